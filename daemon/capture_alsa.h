/* Capture through ALSA with PortAudio: the back end capture.c falls back to when no sound
 * server runs for the user or it has no source for the microphone. A unit's paired card is
 * opened shared through ALSA's dsnoop first, and alone only when that does not open.
 *
 * PortAudio and alsa-lib are loaded with dlopen at the first capture that needs them
 * (dynlib.h) and kept. PortAudio's callback thread hands samples to the sink; it never
 * blocks or allocates.
 *
 * Worker thread of capture.c only, except the sink's callbacks (PortAudio's thread). */
#ifndef DICTABRIDGE_DAEMON_CAPTURE_ALSA_H
#define DICTABRIDGE_DAEMON_CAPTURE_ALSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/capture.h"

/* Where the captured audio goes: called on PortAudio's callback thread. */
struct capture_alsa_sink {
	/* n frames of `channels` interleaved samples, the first captured at t_us
	 * (CLOCK_MONOTONIC µs). */
	void (*samples)(void *arg, const int16_t *s, unsigned long n, int channels,
	                uint64_t t_us);
	/* The device failed or went away: no more samples. */
	void (*failed)(void *arg, const char *why);
	void *arg;
};

struct capture_alsa;

/* Opens and starts src mono (else two channels, for the sink to average) at want_rate
 * (when rate_fixed, only at that rate; otherwise at that rate when the device takes it,
 * else at the device's default rate, or dsnoop's 48 kHz). *rate is written before the
 * first sample reaches the sink. Returns the capture, with *via "alsa-dsnoop" (the paired
 * card, shared) or "alsa" (held alone); NULL with the reason in why (len bytes). Logs
 * which path it took. */
struct capture_alsa *capture_alsa_open(const struct capture_source *src, uint32_t want_rate,
                                       bool rate_fixed, const struct capture_alsa_sink *sink,
                                       uint32_t *rate, const char **via, char *why,
                                       size_t len);
/* Stops and frees; no sink call follows. */
void capture_alsa_close(struct capture_alsa *a);
/* The set of sound devices changed: PortAudio's list is read again before the next open
 * that finds no ALSA capture running. Any thread. */
void capture_alsa_devices_changed(void);
/* Releases PortAudio and ALSA's parsed configuration, once every capture is closed. */
void capture_alsa_exit(void);

#endif
