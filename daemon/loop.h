/* The event loop: the libwebsockets context and its one vhost, descriptor watches, timers,
 * and the one wake-up path from other threads. Every other module reaches libwebsockets'
 * loop through here; only the transport (listen.c, http.c, ws.c) handles connections
 * itself.
 *
 * Threads: everything here runs on the loop thread, except loop_wake, which any thread
 * may call. Callbacks (watches, timers, the woken handler) run on the loop thread. */
#ifndef DICTABRIDGE_DAEMON_LOOP_H
#define DICTABRIDGE_DAEMON_LOOP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

/* Creates the context and the vhost serving `protocols` (terminated by a NULL name) with
 * the keepalive policy; woken runs on the loop after loop_wake. -1 on failure. */
int loop_init(const struct lws_protocols *protocols, const lws_retry_bo_t *keepalive,
              void (*woken)(void));
void loop_destroy(void);

/* The vhost every connection and watch belongs to (NULL before loop_init). */
struct lws_vhost *loop_vhost(void);

/* Runs the loop until loop_stop. */
void loop_run(void);
void loop_stop(void);
/* Services the loop once; <0 when the context is failing. */
int loop_service_once(void);
/* Thread-safe: wakes the loop, which then calls the woken handler (called on the loop
 * thread during a pass, the handler runs when the pass ends). */
void loop_wake(void);

/* Watches a readable descriptor (the caller keeps and closes its own); cb runs on the
 * loop thread when it is readable. Returns the watch's id, or -1. */
int loop_watch_fd(int fd, void (*cb)(void *arg), void *arg);
/* Stops (false) or resumes (true) calling a watch's cb; the descriptor stays open. */
void loop_watch_enable(int id, bool enable);
/* The lws protocol callback of the watched descriptors (for the vhost's protocol table,
 * under the name LOOP_FD_PROTOCOL); it also delivers the wake-up. */
#define LOOP_FD_PROTOCOL "dictabridge-fd"
int loop_fd_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);

/* A one-shot timer, owned (and zero-initialised) by its user. */
struct loop_timer {
	lws_sorted_usec_list_t sul;
	void (*fire)(void *arg);
	void *arg;
};

/* Arms t to call fire(arg) after delay_ms; an armed t is re-armed. */
void loop_timer_start(struct loop_timer *t, uint64_t delay_ms, void (*fire)(void *arg),
                      void *arg);
/* Disarms t (nothing when it is not armed). */
void loop_timer_stop(struct loop_timer *t);
/* Monotonic microseconds, the loop's clock. */
uint64_t loop_now_us(void);

#endif
