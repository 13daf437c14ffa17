#include "protocol/audio_frame.h"

#include <math.h>
#include <string.h>

static const uint32_t rates[] = {8000, 16000, 22050, 44100, 48000};

bool pm_audio_rate_ok(uint32_t rate)
{
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
		if (rates[i] == rate)
			return true;
	return false;
}

uint32_t pm_audio_frame_samples(uint32_t rate, uint32_t frame_ms)
{
	if (!pm_audio_rate_ok(rate) || frame_ms < PM_AUDIO_MIN_FRAME_MS ||
	    frame_ms > PM_AUDIO_MAX_FRAME_MS || (rate * frame_ms) % 1000 != 0)
		return 0;
	return rate * frame_ms / 1000;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void pm_audio_header(uint8_t out[PM_AUDIO_HEADER_BYTES], uint32_t stream_id, uint32_t seq,
                     uint32_t samples, uint64_t capture_us)
{
	out[0] = 'D';
	out[1] = 'B';
	out[2] = 'A';
	out[3] = '1';
	put_le(out + 4, stream_id, 4);
	put_le(out + 8, seq, 4);
	put_le(out + 12, samples, 4);
	put_le(out + 16, capture_us, 8);
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

enum pm_audio_frame_result pm_audio_frame_decode(const uint8_t *data, size_t len,
                                                 struct pm_audio_frame *f)
{
	if (len < PM_AUDIO_HEADER_BYTES || memcmp(data, "DBA1", 4) != 0)
		return PM_AUDIO_FRAME_NOT_AUDIO;
	f->stream_id = (uint32_t)get_le(data + 4, 4);
	f->seq = (uint32_t)get_le(data + 8, 4);
	f->samples = (uint32_t)get_le(data + 12, 4);
	f->capture_us = get_le(data + 16, 8);
	f->pcm = data + PM_AUDIO_HEADER_BYTES;
	return (uint64_t)f->samples * 2 == len - PM_AUDIO_HEADER_BYTES ? PM_AUDIO_FRAME_OK
	                                                               : PM_AUDIO_FRAME_BAD_LENGTH;
}

static double dbfs(double amplitude)
{
	double db;

	if (!(amplitude > 0))
		return PM_AUDIO_LEVEL_FLOOR_DBFS;
	db = 20.0 * log10(amplitude / 32768.0);
	if (db < PM_AUDIO_LEVEL_FLOOR_DBFS)
		return PM_AUDIO_LEVEL_FLOOR_DBFS;
	return round(db * 10.0) / 10.0;
}

void pm_audio_levels(double sum_sq, uint64_t n, uint32_t peak, double *rms_dbfs,
                     double *peak_dbfs)
{
	*rms_dbfs = dbfs(n ? sqrt(sum_sq / (double)n) : 0.0);
	*peak_dbfs = dbfs((double)peak);
}
