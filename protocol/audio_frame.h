/* Audio on the wire: the stream parameters clients may ask for, the 24-byte header of
 * every binary audio frame (PROTOCOL.md "Binary audio frames") and the level scale of
 * audio.level. Pure functions: no I/O, no clock, no allocation. */
#ifndef DICTABRIDGE_PROTOCOL_AUDIO_FRAME_H
#define DICTABRIDGE_PROTOCOL_AUDIO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PM_AUDIO_DEFAULT_RATE 16000
#define PM_AUDIO_DEFAULT_FRAME_MS 20
#define PM_AUDIO_MIN_FRAME_MS 10
#define PM_AUDIO_MAX_FRAME_MS 100
#define PM_AUDIO_MAX_RATE 48000
#define PM_AUDIO_HEADER_BYTES 24
/* The largest frame: 100 ms at 48 kHz, 16-bit mono, plus the header. */
#define PM_AUDIO_MAX_FRAME_BYTES \
	(PM_AUDIO_HEADER_BYTES + PM_AUDIO_MAX_RATE / 1000 * PM_AUDIO_MAX_FRAME_MS * 2)
#define PM_AUDIO_LEVEL_FLOOR_DBFS (-100.0)

/* 8000, 16000, 22050, 44100 or 48000. */
bool pm_audio_rate_ok(uint32_t rate);

/* Samples in one frame of frame_ms at rate, or 0 when the pair is not allowed (rate not
 * offered, frame_ms outside 10..100, or not a whole number of samples). */
uint32_t pm_audio_frame_samples(uint32_t rate, uint32_t frame_ms);

/* Writes the header: "DBA1", stream id, sequence number, sample count, capture time. */
void pm_audio_header(uint8_t out[PM_AUDIO_HEADER_BYTES], uint32_t stream_id, uint32_t seq,
                     uint32_t samples, uint64_t capture_us);

/* A binary frame's header, as pm_audio_header() wrote it. */
struct pm_audio_frame {
	uint32_t stream_id, seq, samples;
	uint64_t capture_us;
	const uint8_t *pcm;           /* the samples (16-bit little-endian), inside the frame */
};

enum pm_audio_frame_result {
	PM_AUDIO_FRAME_OK,
	PM_AUDIO_FRAME_NOT_AUDIO,     /* shorter than a header, or not "DBA1" */
	PM_AUDIO_FRAME_BAD_LENGTH,    /* a header, but not followed by exactly `samples` samples */
};

/* Reads the binary message `data` of `len` bytes. *f is filled unless NOT_AUDIO (with
 * BAD_LENGTH, f->pcm must not be read). */
enum pm_audio_frame_result pm_audio_frame_decode(const uint8_t *data, size_t len,
                                                 struct pm_audio_frame *f);

/* Level of `n` samples whose squares sum to sum_sq and whose largest magnitude is peak
 * (16-bit full scale = 0 dB), rounded to 0.1 dB and floored at PM_AUDIO_LEVEL_FLOOR_DBFS. */
void pm_audio_levels(double sum_sq, uint64_t n, uint32_t peak, double *rms_dbfs,
                     double *peak_dbfs);

#endif
