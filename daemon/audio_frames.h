/* One audio stream's frames: the samples its device's capture gives it (at the stream's
 * rate) cut into frames of frame_ms, each with the binary header (protocol/audio_frame.h),
 * queued for its client. The queue holds one second at most: when it is full the oldest
 * frame is dropped and counted, a client that stops reading must neither grow memory nor
 * delay anyone else. Drops are reported to the client as audio.overrun, at most once a
 * second. audio.c runs the stream's life around it. Loop thread only. */
#ifndef DICTABRIDGE_DAEMON_AUDIO_FRAMES_H
#define DICTABRIDGE_DAEMON_AUDIO_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client;
struct frame;

/* audio.c reads stream_id, rate, q_len and q_cap, and sets overrun_at when frames start
 * to flow; the rest is this module's. */
struct frames {
	struct client *client;
	const char *device_id;         /* for audio.overrun; the owner's string */
	uint32_t stream_id, seq, rate, frame_samples;
	int16_t *acc;                  /* the frame being filled */
	uint32_t acc_n;
	uint64_t acc_t;
	struct frame **q;              /* ring of queued frames, capacity q_cap */
	uint32_t q_cap, q_head, q_len;
	uint64_t dropped;              /* not yet reported in audio.overrun */
	uint64_t overrun_at;           /* the last report (monotonic µs) */
};

/* For client c's stream of device_id (which must outlive f) at rate, frame_ms per frame.
 * False when out of memory. */
bool frames_init(struct frames *f, struct client *c, const char *device_id, uint32_t rate,
                 uint32_t frame_ms);
/* Frees what is queued and f's buffers. */
void frames_free(struct frames *f);

/* The stream (re)starts as stream_id: sequence from 0, no partial frame, no drops. */
void frames_restart(struct frames *f, uint32_t stream_id);
/* n samples, the first captured at t_us (monotonic): full frames are queued and the
 * server told (server_audio_ready). */
void frames_feed(struct frames *f, const int16_t *in, uint32_t n, uint64_t t_us);
/* How many more samples (at the stream's rate) complete the frame being filled. */
uint32_t frames_missing(const struct frames *f);
/* Queues the partial frame, if any (the last of a stream may be short). */
void frames_flush(struct frames *f);
/* n samples (at the stream's rate) never arrived: the frames they spanned are skipped, so
 * that the sequence numbers show the gap, and counted as dropped. */
void frames_skip(struct frames *f, uint64_t n);
/* Drops what is queued, uncounted. */
void frames_clear(struct frames *f);
/* Sends audio.overrun for the drops not yet reported, if any. */
void frames_report_overrun(struct frames *f);

/* The capture time of the oldest queued frame; false when none is queued. */
bool frames_oldest(const struct frames *f, uint64_t *t_us);
/* Takes the oldest queued frame: copies it into out (cap bytes) and returns its length;
 * 0 when none is queued or it does not fit (then it is lost). */
size_t frames_take(struct frames *f, unsigned char *out, size_t cap);

#endif
