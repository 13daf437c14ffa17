/* Binary audio frames as a client receives them: pm_audio_frame_decode on arbitrary bytes
 * never reads past them, accepts exactly the frames whose sample count matches their
 * length, and what it reads pm_audio_header writes back byte for byte. */
#include <string.h>

#include "protocol/audio_frame.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_audio_frame f;
	uint8_t again[PM_AUDIO_HEADER_BYTES];
	enum pm_audio_frame_result rc = pm_audio_frame_decode(data, size, &f);

	if (rc == PM_AUDIO_FRAME_NOT_AUDIO) {
		FUZZ_CHECK(size < PM_AUDIO_HEADER_BYTES || memcmp(data, "DBA1", 4) != 0);
		return 0;
	}
	FUZZ_CHECK(size >= PM_AUDIO_HEADER_BYTES);
	pm_audio_header(again, f.stream_id, f.seq, f.samples, f.capture_us);
	FUZZ_CHECK(memcmp(again, data, PM_AUDIO_HEADER_BYTES) == 0);
	FUZZ_CHECK((rc == PM_AUDIO_FRAME_OK) ==
	           ((size - PM_AUDIO_HEADER_BYTES) == 2 * (uint64_t)f.samples));
	if (rc == PM_AUDIO_FRAME_OK && f.samples) {
		/* the samples are inside the input: reading the last one is in bounds */
		volatile uint8_t last = f.pcm[2 * (size_t)f.samples - 1];
		(void)last;
		FUZZ_CHECK(f.pcm == data + PM_AUDIO_HEADER_BYTES);
	}
	return 0;
}
