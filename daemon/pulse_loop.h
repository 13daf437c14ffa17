/* libpulse's main loop interface (pa_mainloop_api) served by the daemon's event loop, so
 * that capturing through the sound server needs no thread of its own: the server's socket
 * wakes the loop thread, which reads the block and hands it on in the same pass (libpulse's
 * threaded mainloop woke a thread of its own per block, which then woke the loop: two
 * wake-ups and a cross-thread hand-off for every 10 ms of audio).
 *
 * libpulse's descriptors live in one epoll set, with a timerfd for its timers and an
 * eventfd for its deferred events; the loop watches that set as one descriptor
 * (loop_watch_fd). libpulse's callbacks run on the loop thread with the lock held.
 *
 * Threads: like libpulse's threaded mainloop, any thread may call libpulse while holding
 * pulse_loop_lock (the capture worker opens and closes streams that way, waiting for the
 * server's answers with pulse_loop_wait); the callbacks wake it with pulse_loop_signal.
 * pulse_loop_attach and pulse_loop_detach run on the loop thread. */
#ifndef DICTABRIDGE_DAEMON_PULSE_LOOP_H
#define DICTABRIDGE_DAEMON_PULSE_LOOP_H

#include <pulse/mainloop-api.h>
#include <stdbool.h>
#include <stdint.h>

/* Sets the event set up and watches it on the loop, once (before the first capture: the
 * loop must exist); later calls return the first one's result. 0 or -1. */
int pulse_loop_attach(void);
/* Closes the set; no libpulse context may be left. */
void pulse_loop_detach(void);

/* The interface to give pa_context_new; NULL unless attached. */
pa_mainloop_api *pulse_loop_api(void);

void pulse_loop_lock(void);
void pulse_loop_unlock(void);
/* Lets libpulse's descriptors and timers wait until until_us (CLOCK_MONOTONIC µs; a time
 * not ahead: at once): the loop does not look at them before then, so the server's blocks
 * in between are read together, in one wake-up instead of one each. A later call replaces
 * the hold. Loop thread; only for a caller that knows nobody needs the server sooner. */
void pulse_loop_hold(uint64_t until_us);

/* Locked: waits for pulse_loop_signal until deadline_us (CLOCK_MONOTONIC µs); false once
 * it has passed. */
bool pulse_loop_wait(uint64_t deadline_us);
/* Locked (a libpulse callback): wakes pulse_loop_wait. */
void pulse_loop_signal(void);

#endif
