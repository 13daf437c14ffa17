/* Capture through the user's sound server (PulseAudio, or PipeWire's PulseAudio server):
 * the back end capture.c tries first, so that the daemon and the browser (getUserMedia goes
 * through the same server) record one microphone at once. A USB microphone has no hardware
 * mixing: opened directly through ALSA it belongs to whoever opened it first.
 *
 * libpulse is loaded with dlopen at the first capture (see dynlib.h) and its asynchronous
 * API runs on the daemon's event loop (pulse_loop.h, attached before the first open); its
 * read callback hands samples to the sink on the loop thread (never blocking, like
 * PortAudio's callback), in the pass in which the server's block arrived.
 *
 * Worker thread of capture.c only, except the sink's callbacks (loop thread). */
#ifndef DICTABRIDGE_DAEMON_CAPTURE_PULSE_H
#define DICTABRIDGE_DAEMON_CAPTURE_PULSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/capture.h"

/* Where the captured audio goes: called on the loop thread. */
struct capture_pulse_sink {
	/* n mono samples, the first captured at t_us (CLOCK_MONOTONIC µs). */
	void (*samples)(void *arg, const int16_t *s, uint32_t n, uint64_t t_us);
	/* The server or the source went away, or the stream failed: no more samples. */
	void (*failed)(void *arg, const char *why);
	void *arg;
};

enum capture_pulse_result {
	CAPTURE_PULSE_OPEN,       /* recording; `what` is the source's description */
	CAPTURE_PULSE_NO_SERVER,  /* no server answers for this user: none named by
	                           * PULSE_SERVER, no $XDG_RUNTIME_DIR/pulse/native nor
	                           * /run/pulse/native socket, or no libpulse */
	CAPTURE_PULSE_NO_SOURCE,  /* the server runs but has no source for src */
	CAPTURE_PULSE_ERROR,      /* the server has the source but cannot record it: `what` */
};

struct capture_pulse;

/* What an open found: the source, and whether it is the server's default source (what a
 * browser's getUserMedia records unless told otherwise). */
struct capture_pulse_found {
	char name[CAPTURE_PATH_MAX];
	char description[CAPTURE_NAME_MAX];
	bool is_default;
};

/* Records src's source mono 16-bit at `rate` (the server converts). For CAPTURE_CARD the
 * source is the one whose sysfs.path is the card's (or, without sysfs.path, whose
 * alsa.card is its number), waited for up to two seconds: the server loads a card's
 * source shortly after the kernel announces the card. For CAPTURE_NAMED, a source whose
 * name, else description, is src->name. For CAPTURE_DEFAULT, the server's default source.
 * Once open, *found says which; otherwise `why` (len bytes) says why not. */
enum capture_pulse_result capture_pulse_open(const struct capture_source *src, uint32_t rate,
                                             const struct capture_pulse_sink *sink,
                                             struct capture_pulse **out,
                                             struct capture_pulse_found *found, char *why,
                                             size_t len);

/* Stops the stream; no sink callback runs after it returns. */
void capture_pulse_close(struct capture_pulse *p);

#endif
