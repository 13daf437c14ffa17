/* cli/wav: the header byte for byte, and the sizes a finished file states (exact when the
 * file can be rewritten, "as large as can be" on a pipe). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/wav.h"

static void test_header(void)
{
	static const unsigned char want[WAV_HEADER_BYTES] = {
		'R', 'I', 'F', 'F', 0x64, 0x02, 0x00, 0x00,      /* 36 + 576 */
		'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
		0x10, 0x00, 0x00, 0x00,                          /* format chunk: 16 bytes */
		0x01, 0x00, 0x01, 0x00,                          /* PCM, mono */
		0x80, 0x3E, 0x00, 0x00,                          /* 16000 Hz */
		0x00, 0x7D, 0x00, 0x00,                          /* 32000 bytes/s */
		0x02, 0x00, 0x10, 0x00,                          /* 2 bytes a frame, 16 bits */
		'd', 'a', 't', 'a', 0x40, 0x02, 0x00, 0x00,      /* 576 bytes */
	};
	unsigned char got[WAV_HEADER_BYTES];

	memset(got, 0xAA, sizeof got);
	wav_header(got, 16000, 576);
	CHECK(memcmp(got, want, sizeof want) == 0, "header bytes differ");
	wav_header(got, 48000, WAV_DATA_MAX);
	CHECK(got[4] == 0xFE && got[5] == 0xFF && got[6] == 0xFF && got[7] == 0xFF,
	      "RIFF size of the largest file");
	CHECK(got[40] == 0xDA && got[43] == 0xFF, "data size of the largest file");
}

static void test_file(void)
{
	static const unsigned char pcm[6] = {1, 2, 3, 4, 5, 6};
	unsigned char file[WAV_HEADER_BYTES + 16], want[WAV_HEADER_BYTES];
	struct wav w;
	FILE *f = tmpfile();

	CHECK(f != NULL, "tmpfile");
	if (!f)
		return;
	CHECK(wav_begin(&w, f, 8000) && w.start == 0, "begin");
	CHECK(wav_room(&w) == WAV_DATA_MAX / 2, "room %llu", (unsigned long long)wav_room(&w));
	CHECK(wav_append(&w, pcm, 2) && wav_append(&w, pcm + 4, 1) && wav_append(&w, pcm, 0),
	      "append");
	CHECK(w.samples == 3 && wav_room(&w) == WAV_DATA_MAX / 2 - 3, "counted");
	wav_end(&w);
	CHECK(w.err == 0, "error %d", w.err);
	rewind(f);
	CHECK(fread(file, 1, sizeof file, f) == WAV_HEADER_BYTES + 6, "file size");
	wav_header(want, 8000, 6);
	CHECK(memcmp(file, want, WAV_HEADER_BYTES) == 0, "sizes not fixed");
	CHECK(memcmp(file + WAV_HEADER_BYTES, "\1\2\3\4\5\6", 6) == 0, "samples");
	fclose(f);
}

/* On a pipe the header cannot be rewritten: it keeps saying "as large as can be". */
static void test_pipe(void)
{
	unsigned char got[WAV_HEADER_BYTES], want[WAV_HEADER_BYTES];
	int fds[2];
	struct wav w;
	FILE *f;

	CHECK(pipe(fds) == 0, "pipe");
	f = fdopen(fds[1], "w");
	CHECK(f != NULL, "fdopen");
	if (!f)
		return;
	CHECK(wav_begin(&w, f, 16000) && w.start < 0, "begin on a pipe");
	CHECK(wav_append(&w, (const unsigned char *)"\0\0", 1), "append");
	wav_end(&w);
	CHECK(w.err == 0, "error %d", w.err);
	fclose(f);
	CHECK(read(fds[0], got, sizeof got) == (ssize_t)sizeof got, "read");
	wav_header(want, 16000, WAV_DATA_MAX);
	CHECK(memcmp(got, want, sizeof want) == 0, "pipe header");
	close(fds[0]);
}

int main(void)
{
	test_header();
	test_file();
	test_pipe();
	return CHECK_DONE();
}
