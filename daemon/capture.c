#include "daemon/capture.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/capture_alsa.h"
#include "daemon/capture_pulse.h"
#include "daemon/log.h"
#include "daemon/pulse_loop.h"

/* 128 slots of 10 ms: the loop may fall 1.28 s behind before samples are lost. */
#define RING_SLOTS 128u

enum cmd_op { CMD_OPEN, CMD_CLOSE };

struct cmd {
	struct capture *c;
	enum cmd_op op;
	struct cmd *next;
};

struct capture {
	struct capture_source src;
	uint32_t want_rate;
	bool rate_fixed;

	/* Written by the worker before it publishes `state` (release); read by the loop
	 * after loading it (acquire). */
	_Atomic int state;
	uint32_t rate;
	char why[160];

	/* Worker only (route is published with `state`). */
	struct capture_pulse *pulse;
	struct capture_alsa *alsa;
	struct capture_route route;
	struct capture *next_open;    /* the worker's list of open streams */
	struct cmd open_cmd, close_cmd;

	/* Callback thread → loop. */
	atomic_bool closing;
	_Atomic uint32_t head, tail;
	_Atomic uint64_t dropped;
	struct capture_block ring[RING_SLOTS];
};

static void (*wake_loop)(void);
static pthread_t worker;
static bool worker_started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct cmd *cmd_head, *cmd_tail;
static bool quitting;

/* Worker-only state. */
static struct capture *open_list;

/* ---- the callback threads ------------------------------------------------------------- */

static void copy_block(struct capture_block *b, const int16_t *in, uint32_t n, int channels)
{
	if (channels == 1) {
		memcpy(b->s, in, n * sizeof *in);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		b->s[i] = (int16_t)(((int32_t)in[2 * i] + in[2 * i + 1]) / 2);
}

/* Never blocks, never allocates: copies n frames of `channels` samples into the ring, the
 * first captured at t (µs), and counts what does not fit. Called on the back end's
 * thread. */
static void ring_push(struct capture *c, const int16_t *in, unsigned long frames, int channels,
                      uint64_t t)
{
	while (frames) {
		uint32_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
		uint32_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
		uint32_t n = frames < CAPTURE_BLOCK_MAX ? (uint32_t)frames : CAPTURE_BLOCK_MAX;
		struct capture_block *b;

		if (head - tail == RING_SLOTS) {
			atomic_fetch_add(&c->dropped, frames);
			break;
		}
		b = &c->ring[head % RING_SLOTS];
		copy_block(b, in, n, channels);
		b->t_us = t;
		b->n = n;
		atomic_store_explicit(&c->head, head + 1, memory_order_release);
		frames -= n;
		in += (size_t)n * (size_t)channels;
		t += (uint64_t)n * 1000000u / c->rate;
	}
	wake_loop();
}

static void on_server_audio(void *arg, const int16_t *s, uint32_t n, uint64_t t_us)
{
	ring_push(arg, s, n, 1, t_us);
}

static void on_alsa_audio(void *arg, const int16_t *s, unsigned long n, int channels,
                          uint64_t t_us)
{
	ring_push(arg, s, n, channels, t_us);
}

/* Publishes the failure (the reason first: the loop reads it after the state). */
__attribute__((format(printf, 2, 3)))
static void fail(struct capture *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	atomic_store_explicit(&c->state, CAPTURE_FAILED, memory_order_release);
	wake_loop();
}

/* A back end's stream ended by itself: the device, source or server went away. */
static void on_failed(void *arg, const char *why)
{
	struct capture *c = arg;

	if (!atomic_load(&c->closing))
		fail(c, "%s", why);
}

/* ---- the worker ------------------------------------------------------------------------ */

static void publish_running(struct capture *c, const char *via)
{
	c->route.via = via;
	atomic_store_explicit(&c->state, CAPTURE_RUNNING, memory_order_release);
	wake_loop();
}

/* Through the sound server when it runs and has the source. Returns whether that settled
 * the open (running, or failed for a reason ALSA would not fix); false: try ALSA. The
 * server converts to the wanted rate itself, so the capture runs at the first stream's
 * rate whether or not audio.capture_rate fixed it. */
static bool open_via_server(struct capture *c)
{
	const struct capture_pulse_sink sink = {on_server_audio, on_failed, c};
	struct capture_pulse_found found;
	char what[160];

	c->rate = c->want_rate;
	switch (capture_pulse_open(&c->src, c->rate, &sink, &c->pulse, &found, what,
	                           sizeof what)) {
	case CAPTURE_PULSE_OPEN:
		log_info("capturing from '%s' through the sound server at %u Hz (%s; %s the "
		         "default input)", found.description, (unsigned)c->rate, found.name,
		         found.is_default ? "it is" : "it is not");
		snprintf(c->route.source, sizeof c->route.source, "%s", found.name);
		c->route.is_default = found.is_default;
		publish_running(c, "pulse");
		return true;
	case CAPTURE_PULSE_ERROR:
		fail(c, "sound server: %s", what);
		return true;
	case CAPTURE_PULSE_NO_SOURCE:
	case CAPTURE_PULSE_NO_SERVER:
	default:
		log_debug("%s: capturing through ALSA", what);
		return false;
	}
}

static void do_open(struct capture *c)
{
	const struct capture_alsa_sink sink = {on_alsa_audio, on_failed, c};
	const char *via = NULL;
	char why[sizeof c->why];

	if (atomic_load(&c->closing) || open_via_server(c))
		return;
	c->alsa = capture_alsa_open(&c->src, c->want_rate, c->rate_fixed, &sink, &c->rate, &via,
	                            why, sizeof why);
	if (!c->alsa) {
		fail(c, "%s", why);
		return;
	}
	c->next_open = open_list;
	open_list = c;
	publish_running(c, via);
}

static void do_close(struct capture *c)
{
	if (c->pulse) {
		capture_pulse_close(c->pulse);
		log_debug("capture closed");
	}
	if (c->alsa) {
		struct capture **pp = &open_list;

		capture_alsa_close(c->alsa);
		while (*pp != c)
			pp = &(*pp)->next_open;
		*pp = c->next_open;
		log_debug("capture closed");
	}
	free(c);
}

static void *worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct cmd *cmd;

		pthread_mutex_lock(&lock);
		while (!cmd_head && !quitting)
			pthread_cond_wait(&cond, &lock);
		cmd = cmd_head;
		if (cmd) {
			cmd_head = cmd->next;
			if (!cmd_head)
				cmd_tail = NULL;
		}
		pthread_mutex_unlock(&lock);
		if (!cmd)
			break; /* quitting, and every command done */
		if (cmd->op == CMD_OPEN)
			do_open(cmd->c);
		else
			do_close(cmd->c);
	}
	while (open_list)
		do_close(open_list);
	capture_alsa_exit();
	return NULL;
}

static void submit(struct cmd *cmd)
{
	pthread_mutex_lock(&lock);
	cmd->next = NULL;
	if (cmd_tail)
		cmd_tail->next = cmd;
	else
		cmd_head = cmd;
	cmd_tail = cmd;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

/* ---- the loop's side ------------------------------------------------------------------------ */

int capture_global_init(void (*wake)(void))
{
	wake_loop = wake;
	quitting = false;
	if (pthread_create(&worker, NULL, worker_main, NULL) != 0)
		return -1;
	worker_started = true;
	return 0;
}

void capture_global_exit(void)
{
	if (!worker_started)
		return;
	pthread_mutex_lock(&lock);
	quitting = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(worker, NULL);
	worker_started = false;
	pulse_loop_detach();
}

struct capture *capture_open(const struct capture_source *src, uint32_t rate, bool rate_fixed)
{
	struct capture *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	pulse_loop_attach(); /* the sound server's capture runs on this loop */
	pulse_loop_hold(0);
	c->src = *src;
	c->want_rate = rate;
	c->rate_fixed = rate_fixed;
	atomic_init(&c->state, CAPTURE_OPENING);
	c->open_cmd.c = c;
	c->open_cmd.op = CMD_OPEN;
	c->close_cmd.c = c;
	c->close_cmd.op = CMD_CLOSE;
	submit(&c->open_cmd);
	return c;
}

void capture_server_hold(uint64_t until_us)
{
	pulse_loop_hold(until_us);
}

enum capture_state capture_state(struct capture *c, uint32_t *rate, char *why, size_t len)
{
	enum capture_state s = atomic_load_explicit(&c->state, memory_order_acquire);

	if (rate)
		*rate = s == CAPTURE_RUNNING ? c->rate : 0;
	if (why && len && s == CAPTURE_FAILED)
		snprintf(why, len, "%s", c->why);
	else if (why && len)
		why[0] = '\0'; /* no formatting on the streaming path */
	return s;
}

bool capture_route(struct capture *c, struct capture_route *out)
{
	if (atomic_load_explicit(&c->state, memory_order_acquire) != CAPTURE_RUNNING)
		return false;
	*out = c->route;
	return true;
}

const struct capture_block *capture_peek(struct capture *c)
{
	uint32_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);

	if (atomic_load_explicit(&c->head, memory_order_acquire) == tail)
		return NULL;
	return &c->ring[tail % RING_SLOTS];
}

void capture_release(struct capture *c)
{
	atomic_fetch_add_explicit(&c->tail, 1, memory_order_release);
}

uint64_t capture_take_dropped(struct capture *c)
{
	return atomic_exchange(&c->dropped, 0);
}

void capture_close(struct capture *c)
{
	atomic_store(&c->closing, true);
	submit(&c->close_cmd);
}

void capture_devices_changed(void)
{
	capture_alsa_devices_changed();
}
