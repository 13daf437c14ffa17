/* protocol/audio_frame: the rates and frame sizes clients may ask for, the binary frame
 * header byte for byte, and the level scale. */
#include <string.h>

#include "check.h"
#include "protocol/audio_frame.h"

static void test_frame_samples(void)
{
	static const uint32_t rates[] = {8000, 16000, 22050, 44100, 48000};
	unsigned offered = 0;

	for (uint32_t r = 0; r <= 200000; r += 50)
		offered += pm_audio_rate_ok(r);
	CHECK(offered == 5, "%u rates offered", offered);
	for (size_t i = 0; i < 5; i++) {
		for (uint32_t ms = 0; ms <= 200; ms++) {
			uint32_t n = pm_audio_frame_samples(rates[i], ms);
			bool whole = (rates[i] * ms) % 1000 == 0;

			if (ms < 10 || ms > 100 || !whole)
				CHECK(n == 0, "%u Hz %u ms gave %u", (unsigned)rates[i], (unsigned)ms,
				      (unsigned)n);
			else
				CHECK(n == rates[i] * ms / 1000, "%u Hz %u ms gave %u", (unsigned)rates[i],
				      (unsigned)ms, (unsigned)n);
		}
	}
	CHECK(pm_audio_frame_samples(16000, 20) == 320, "default frame");
	CHECK(pm_audio_frame_samples(22050, 10) == 0, "22050 Hz needs 20 ms steps");
	CHECK(pm_audio_frame_samples(22050, 20) == 441, "22050 Hz 20 ms");
	CHECK(pm_audio_frame_samples(12345, 20) == 0, "rate not offered");
	CHECK(PM_AUDIO_MAX_FRAME_BYTES == 24 + 9600, "largest frame %d", PM_AUDIO_MAX_FRAME_BYTES);
}

static void test_header(void)
{
	static const uint8_t want[PM_AUDIO_HEADER_BYTES] = {
		'D', 'B', 'A', '1',
		0x07, 0x00, 0x00, 0x00,                          /* stream 7 */
		0x04, 0x03, 0x02, 0x01,                          /* seq 0x01020304 */
		0x40, 0x01, 0x00, 0x00,                          /* 320 samples */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  /* capture time */
	};
	uint8_t got[PM_AUDIO_HEADER_BYTES];

	memset(got, 0xAA, sizeof got);
	pm_audio_header(got, 7, 0x01020304u, 320, UINT64_C(0x1122334455667788));
	CHECK(memcmp(got, want, sizeof want) == 0, "header bytes differ");
	pm_audio_header(got, UINT32_MAX, UINT32_MAX, 0, UINT64_MAX);
	for (size_t i = 4; i < 12; i++)
		CHECK(got[i] == 0xFF, "byte %zu", i);
	CHECK(got[12] == 0 && got[15] == 0 && got[16] == 0xFF && got[23] == 0xFF, "extremes");
}

/* What pm_audio_header() writes, pm_audio_frame_decode() reads back; a frame whose
 * length does not match its count, or that is no frame at all, is told apart. */
static void test_decode(void)
{
	static const uint32_t ids[] = {0, 1, 7, 0x80000000u, UINT32_MAX};
	uint8_t frame[PM_AUDIO_HEADER_BYTES + 8];
	struct pm_audio_frame f;

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		uint64_t t = (uint64_t)ids[i] << 32 | (ids[i] ^ 0x5A5A5A5Au);

		pm_audio_header(frame, ids[i], ids[i] ^ 1, 4, t);
		memset(&f, 0, sizeof f);
		CHECK(pm_audio_frame_decode(frame, sizeof frame, &f) == PM_AUDIO_FRAME_OK,
		      "frame %zu not read", i);
		CHECK(f.stream_id == ids[i] && f.seq == (ids[i] ^ 1) && f.samples == 4 &&
		      f.capture_us == t && f.pcm == frame + PM_AUDIO_HEADER_BYTES,
		      "frame %zu read back wrong", i);
	}
	pm_audio_header(frame, 1, 2, 0, 3);
	CHECK(pm_audio_frame_decode(frame, PM_AUDIO_HEADER_BYTES, &f) == PM_AUDIO_FRAME_OK &&
	      f.samples == 0, "an empty frame is a frame");
	CHECK(pm_audio_frame_decode(frame, PM_AUDIO_HEADER_BYTES - 1, &f) ==
	      PM_AUDIO_FRAME_NOT_AUDIO, "short header");
	pm_audio_header(frame, 9, 2, 4, 3);
	CHECK(pm_audio_frame_decode(frame, sizeof frame - 2, &f) == PM_AUDIO_FRAME_BAD_LENGTH &&
	      f.stream_id == 9, "fewer samples than said");
	pm_audio_header(frame, 1, 2, 3, 3);
	CHECK(pm_audio_frame_decode(frame, sizeof frame, &f) == PM_AUDIO_FRAME_BAD_LENGTH,
	      "more samples than said");
	pm_audio_header(frame, 1, 2, UINT32_MAX, 3);
	CHECK(pm_audio_frame_decode(frame, sizeof frame, &f) == PM_AUDIO_FRAME_BAD_LENGTH,
	      "a huge count");
	pm_audio_header(frame, 1, 2, 4, 3);
	frame[3] = '2';
	CHECK(pm_audio_frame_decode(frame, sizeof frame, &f) == PM_AUDIO_FRAME_NOT_AUDIO,
	      "another magic");
}

static void test_levels(void)
{
	double rms, peak;

	pm_audio_levels(0, 0, 0, &rms, &peak);
	CHECK(rms == -100.0 && peak == -100.0, "nothing: %f %f", rms, peak);
	pm_audio_levels(0, 1600, 0, &rms, &peak);
	CHECK(rms == -100.0 && peak == -100.0, "silence: %f %f", rms, peak);
	/* full-scale square wave: RMS = peak = 32768 → 0 dB */
	pm_audio_levels(32768.0 * 32768.0 * 1600, 1600, 32768, &rms, &peak);
	CHECK(rms == 0.0 && peak == 0.0, "full scale: %f %f", rms, peak);
	/* a sine of amplitude 8192: peak -12.0 dB, RMS -15.1 dB (one decimal) */
	pm_audio_levels(8192.0 * 8192.0 / 2 * 1600, 1600, 8192, &rms, &peak);
	CHECK(rms == -15.1 && peak == -12.0, "sine: %f %f", rms, peak);
	/* one LSB: about -90.3 dB, above the floor */
	pm_audio_levels(1.0 * 1600, 1600, 1, &rms, &peak);
	CHECK(peak == -90.3 && rms == -90.3, "one LSB: %f %f", rms, peak);
}

int main(void)
{
	test_frame_samples();
	test_header();
	test_decode();
	test_levels();
	return CHECK_DONE();
}
