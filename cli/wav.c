#include "cli/wav.h"

#include <errno.h>
#include <string.h>

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

void wav_header(unsigned char h[WAV_HEADER_BYTES], uint32_t rate, uint32_t data_len)
{
	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data_len);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);           /* PCM format chunk */
	put_le16(h + 20, 1);            /* WAVE_FORMAT_PCM */
	put_le16(h + 22, 1);            /* mono */
	put_le32(h + 24, rate);
	put_le32(h + 28, rate * 2);     /* bytes per second */
	put_le16(h + 32, 2);            /* bytes per sample frame */
	put_le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data_len);
}

static void failed(struct wav *w)
{
	if (!w->err)
		w->err = errno ? errno : EIO;
}

bool wav_begin(struct wav *w, FILE *f, uint32_t rate)
{
	unsigned char h[WAV_HEADER_BYTES];

	memset(w, 0, sizeof *w);
	w->f = f;
	w->rate = rate;
	w->start = ftello(f);
	wav_header(h, rate, WAV_DATA_MAX);
	if (fwrite(h, 1, sizeof h, f) != sizeof h) {
		failed(w);
		return false;
	}
	return true;
}

uint64_t wav_room(const struct wav *w)
{
	return WAV_DATA_MAX / 2 - w->samples;
}

bool wav_append(struct wav *w, const unsigned char *pcm, uint64_t n)
{
	if (n && fwrite(pcm, 2, (size_t)n, w->f) != n) {
		failed(w);
		return false;
	}
	w->samples += n;
	return true;
}

void wav_end(struct wav *w)
{
	unsigned char h[WAV_HEADER_BYTES];

	if (fflush(w->f) != 0)
		failed(w);
	if (w->start >= 0 && fseeko(w->f, w->start, SEEK_SET) == 0) {
		wav_header(h, w->rate, (uint32_t)(w->samples * 2));
		if (fwrite(h, 1, sizeof h, w->f) != sizeof h || fflush(w->f) != 0)
			failed(w);
	}
}
