/* Microphone capture, one capture per device: through the user's sound server when one
 * runs (capture_pulse.h: the browser records the same microphone at once), else through
 * ALSA with PortAudio (capture_alsa.h: a paired card shared through dsnoop when it opens
 * so, else alone). This file is the front both back ends share: the worker and the ring.
 *
 * Opening, starting, stopping and closing a PortAudio stream can take milliseconds to
 * hundreds of milliseconds (ALSA probing, USB round trips), so they run on one worker
 * thread, never on the event loop. Each back end's callback copies each buffer into
 * a single-producer single-consumer ring (no lock, no allocation, no libwebsockets) and
 * wakes the loop; the loop reads the ring.
 *
 * A capture is owned by the loop from capture_open to capture_close; after capture_close
 * the worker finishes and frees it, so the loop must forget the pointer. */
#ifndef DICTABRIDGE_DAEMON_CAPTURE_H
#define DICTABRIDGE_DAEMON_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_BLOCK_MAX 1024    /* samples per ring slot */
#define CAPTURE_NAME_MAX 128
#define CAPTURE_PATH_MAX 256

/* Which microphone a capture opens. */
enum capture_kind {
	CAPTURE_CARD,     /* the server's source of that card, else the PortAudio device
	                   * whose name contains "(hw:CARD," */
	CAPTURE_NAMED,    /* the server's source of that name or description, else the
	                   * PortAudio device of that name, else the first containing it */
	CAPTURE_DEFAULT,  /* the server's default source, else PortAudio's default input */
};

struct capture_source {
	enum capture_kind kind;
	int card;
	char name[CAPTURE_NAME_MAX];
	char path[CAPTURE_PATH_MAX];  /* CAPTURE_CARD: the card's sysfs path below /sys */
};

enum capture_state { CAPTURE_OPENING, CAPTURE_RUNNING, CAPTURE_FAILED };

/* One ring slot: consecutive mono samples and the CLOCK_MONOTONIC time of the first. */
struct capture_block {
	uint64_t t_us;
	uint32_t n;
	int16_t s[CAPTURE_BLOCK_MAX];
};

struct capture;

/* Starts the worker; `wake` is called (from any thread) whenever a capture has news:
 * opened, failed, or samples in its ring. Returns 0 or -1. */
int capture_global_init(void (*wake)(void));
/* Closes every capture still open and stops the worker. */
void capture_global_exit(void);

/* Asks the worker to open `src` mono at `rate` (when `rate_fixed`, only at that rate;
 * otherwise at that rate when the device takes it, else at its default rate). Returns at
 * once with the capture in CAPTURE_OPENING; NULL only when out of memory. */
struct capture *capture_open(const struct capture_source *src, uint32_t rate,
                             bool rate_fixed);

/* The state, the rate once running, and the reason once failed. Loop thread. */
enum capture_state capture_state(struct capture *c, uint32_t *rate, char *why, size_t len);
/* The path a running capture's audio takes. */
struct capture_route {
	const char *via;                /* "pulse" (the sound server), "alsa-dsnoop" (the
	                                 * paired card through ALSA, shared) or "alsa"
	                                 * (through ALSA, held alone) */
	char source[CAPTURE_PATH_MAX];  /* pulse: the server's source name; alsa: "" */
	bool is_default;                /* pulse: it is the server's default source, what a
	                                 * browser's getUserMedia records unless told otherwise */
};

/* Fills *out once the capture runs; false before. Loop thread. */
bool capture_route(struct capture *c, struct capture_route *out);

/* Nothing recording through the sound server needs samples before until_us
 * (CLOCK_MONOTONIC µs; 0: something does now): the server's blocks may wait until then and
 * be read together, one wake-up for several. Opening a capture ends the hold: its answers
 * are due at once. Loop thread. */
void capture_server_hold(uint64_t until_us);

/* The oldest unread block, or NULL; capture_release consumes it. Loop thread. */
const struct capture_block *capture_peek(struct capture *c);
void capture_release(struct capture *c);
/* Samples lost because the ring was full, since the last call. */
uint64_t capture_take_dropped(struct capture *c);

void capture_close(struct capture *c);

/* The set of sound devices changed (a card came or went): PortAudio's device list is read
 * again before the next open that finds no capture running. Any thread. */
void capture_devices_changed(void);

#endif
