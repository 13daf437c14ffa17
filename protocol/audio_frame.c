#include "protocol/audio_frame.h"

#include <math.h>

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
