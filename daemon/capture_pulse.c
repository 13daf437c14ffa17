#include "daemon/capture_pulse.h"

#include <pulse/pulseaudio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dynlib.h"
#include "daemon/log.h"
#include "daemon/pulse_loop.h"
#include "daemon/pulse_match.h"
#include "daemon/queue.h"

#define LIBPULSE "libpulse.so.0"
#define STEP_TIMEOUT_US 3000000u   /* one server round trip (connect, list, stream) */
#define CARD_WAIT_TRIES 8          /* x 250 ms: a card's source appears after the card */
#define CARD_WAIT_NS 250000000L
#define FRAGMENT_MS 10u            /* what the server sends at once: latency vs wake-ups */

#define PULSE_FUNCS(X) \
	X(pa_context_new) X(pa_context_unref) X(pa_context_connect) X(pa_context_disconnect) \
	X(pa_context_get_state) X(pa_context_set_state_callback) X(pa_context_errno) \
	X(pa_context_get_source_info_list) X(pa_context_get_server_info) \
	X(pa_operation_unref) X(pa_operation_cancel) \
	X(pa_proplist_gets) X(pa_stream_new) X(pa_stream_unref) \
	X(pa_stream_set_state_callback) X(pa_stream_set_read_callback) \
	X(pa_stream_connect_record) X(pa_stream_disconnect) X(pa_stream_get_state) \
	X(pa_stream_peek) X(pa_stream_drop) X(pa_stream_get_latency) X(pa_strerror)

static struct {
	PULSE_FUNCS(DYNLIB_MEMBER)
} pa;

struct capture_pulse {
	pa_context *ctx;
	pa_stream *stream;
	struct capture_pulse_sink sink;
	uint32_t rate;
	bool live;               /* opened: failures go to the sink from now on */
	bool listed;             /* the source listing (or server info) arrived */
	bool failed;             /* the sink was told: once only */
	const struct capture_source *want;
	struct capture_pulse_found found; /* name "" while none matches */
	enum pulse_match found_match;
	char default_source[CAPTURE_PATH_MAX];
};

/* Whether a server may answer: PULSE_SERVER names one, or the user's socket exists (where
 * PulseAudio and pipewire-pulse both listen), or the system-wide one does. Without any of
 * them libpulse is not even loaded: it brings a dozen libraries, for nothing on a machine
 * without a sound server. */
static bool server_may_run(void)
{
	const char *env = getenv("PULSE_SERVER"), *run = getenv("XDG_RUNTIME_DIR");
	char path[512];

	if (env && *env)
		return true;
	if (run && *run) {
		snprintf(path, sizeof path, "%s/pulse/native", run);
		if (access(path, F_OK) == 0)
			return true;
	}
	return access("/run/pulse/native", F_OK) == 0;
}

/* Loaded once and kept: unloading libpulse while its atexit state exists is not safe. */
static bool load_libpulse(void)
{
	static int state; /* 0 untried, 1 loaded, -1 missing */
	void *h;

	if (state)
		return state > 0;
	state = -1;
	h = dlopen(LIBPULSE, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_debug("no sound-server capture: %s", dlerror());
		return false;
	}
#define LOAD_ONE(f) if (!DYNLIB_LOAD(h, pa, f)) { log_warn(LIBPULSE " lacks " #f); return false; }
	PULSE_FUNCS(LOAD_ONE)
#undef LOAD_ONE
	state = 1;
	return true;
}

static void tell_failed(struct capture_pulse *p, const char *why)
{
	if (p->failed || !p->live)
		return;
	p->failed = true;
	p->sink.failed(p->sink.arg, why);
}

/* ---- the loop thread (pulse_loop.h) ----------------------------------------------------------------- */

static void on_context_state(pa_context *ctx, void *arg)
{
	struct capture_pulse *p = arg;
	pa_context_state_t st = pa.pa_context_get_state(ctx);
	char why[160];

	if (st == PA_CONTEXT_FAILED || st == PA_CONTEXT_TERMINATED) {
		snprintf(why, sizeof why, "the sound server went away (%s)",
		         pa.pa_strerror(pa.pa_context_errno(ctx)));
		tell_failed(p, why);
	}
	pulse_loop_signal();
}

static void on_stream_state(pa_stream *s, void *arg)
{
	struct capture_pulse *p = arg;
	char why[160];

	/* The stream fails first when the whole server goes: say which it was. */
	if (pa.pa_stream_get_state(s) == PA_STREAM_FAILED) {
		snprintf(why, sizeof why, "%s (%s)",
		         PA_CONTEXT_IS_GOOD(pa.pa_context_get_state(p->ctx))
		                 ? "the microphone stopped" : "the sound server went away",
		         pa.pa_strerror(pa.pa_context_errno(p->ctx)));
		tell_failed(p, why);
	}
	pulse_loop_signal();
}

/* Hands every readable fragment to the sink. The server's latency for the oldest unread
 * sample dates the fragment; without timing information yet, its duration does. */
static void on_read(pa_stream *s, size_t readable, void *arg)
{
	struct capture_pulse *p = arg;
	const void *data;
	size_t n;

	/* Stops at what the server announced: one peek fewer than reading until empty. */
	while (readable && pa.pa_stream_peek(s, &data, &n) == 0 && n) {
		uint32_t samples = (uint32_t)(n / 2);
		pa_usec_t lat = 0;
		int neg = 0;
		uint64_t age = (uint64_t)samples * 1000000u / p->rate;

		if (pa.pa_stream_get_latency(s, &lat, &neg) == 0 && !neg && lat < 1000000u &&
		    lat >= age)
			age = lat;
		if (data && samples) /* NULL: a hole in the stream, nothing to copy */
			p->sink.samples(p->sink.arg, data, samples, queue_now_mono_us() - age);
		pa.pa_stream_drop(s);
		readable -= n < readable ? n : readable;
	}
}

/* The best match wins: an exact one over a description, the first of equals. */
static void on_source(pa_context *ctx, const pa_source_info *i, int eol, void *arg)
{
	struct capture_pulse *p = arg;
	enum pulse_match m;

	(void)ctx;
	if (eol) {
		p->listed = true;
		pulse_loop_signal();
		return;
	}
	m = pulse_match_source(p->want, i->name, i->description,
	                       pa.pa_proplist_gets(i->proplist, "sysfs.path"),
	                       pa.pa_proplist_gets(i->proplist, "alsa.card"),
	                       i->monitor_of_sink != PA_INVALID_INDEX);
	if (m <= p->found_match)
		return;
	p->found_match = m;
	snprintf(p->found.name, sizeof p->found.name, "%s", i->name);
	snprintf(p->found.description, sizeof p->found.description, "%s",
	         i->description ? i->description : i->name);
}

static void on_server_info(pa_context *ctx, const pa_server_info *i, void *arg)
{
	struct capture_pulse *p = arg;

	(void)ctx;
	snprintf(p->default_source, sizeof p->default_source, "%s",
	         i && i->default_source_name ? i->default_source_name : "");
	p->listed = true;
	pulse_loop_signal();
}

/* ---- the worker's side (pulse_loop_lock held) ------------------------------------------ */

/* Waits until done(p) or the step's deadline. */
static bool wait_for(struct capture_pulse *p, bool (*done)(struct capture_pulse *))
{
	uint64_t deadline = queue_now_mono_us() + STEP_TIMEOUT_US;

	while (!done(p) && pulse_loop_wait(deadline))
		;
	return done(p);
}

static bool context_settled(struct capture_pulse *p)
{
	pa_context_state_t st = pa.pa_context_get_state(p->ctx);

	return st == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(st);
}

static bool listing_done(struct capture_pulse *p)
{
	return p->listed;
}

static bool stream_settled(struct capture_pulse *p)
{
	pa_stream_state_t st = pa.pa_stream_get_state(p->stream);

	return st == PA_STREAM_READY || !PA_STREAM_IS_GOOD(st);
}

/* Runs one query (op, answered through a callback that sets `listed`) to its end. */
static bool query(struct capture_pulse *p, pa_operation *op)
{
	bool done;

	if (!op)
		return false;
	done = wait_for(p, listing_done);
	if (!done)
		pa.pa_operation_cancel(op);
	pa.pa_operation_unref(op);
	return done;
}

static bool find_source(struct capture_pulse *p)
{
	p->found.name[0] = '\0';
	p->found_match = PULSE_MATCH_NONE;
	p->listed = false;
	query(p, pa.pa_context_get_source_info_list(p->ctx, on_source, p));
	return p->found.name[0] != '\0';
}

/* Whether the found source is the server's default (for CAPTURE_DEFAULT, which one that
 * is). Advisory: a server that does not answer leaves it false. */
static void check_default(struct capture_pulse *p)
{
	p->listed = false;
	p->default_source[0] = '\0';
	if (!query(p, pa.pa_context_get_server_info(p->ctx, on_server_info, p)))
		return;
	if (p->want->kind == CAPTURE_DEFAULT) {
		snprintf(p->found.name, sizeof p->found.name, "%s", p->default_source);
		snprintf(p->found.description, sizeof p->found.description, "%.*s",
		         (int)sizeof p->found.description - 1,
		         p->default_source[0] ? p->default_source : "the default source");
	}
	p->found.is_default = p->default_source[0] &&
	                      strcmp(p->found.name, p->default_source) == 0;
}

static void sleep_unlocked(long ns)
{
	struct timespec ts = {0, ns};

	pulse_loop_unlock();
	nanosleep(&ts, NULL);
	pulse_loop_lock();
}

/* Returns locked, whatever the result. */
static enum capture_pulse_result connect_server(struct capture_pulse *p, char *what, size_t len)
{
	pa_mainloop_api *api = pulse_loop_api();

	pulse_loop_lock();
	if (!api) {
		snprintf(what, len, "the event loop cannot watch the sound server");
		return CAPTURE_PULSE_NO_SERVER;
	}
	p->ctx = pa.pa_context_new(api, "dictabridged");
	if (!p->ctx) {
		snprintf(what, len, "out of memory");
		return CAPTURE_PULSE_ERROR;
	}
	pa.pa_context_set_state_callback(p->ctx, on_context_state, p);
	/* No autospawn: a server the user's session does not run is not the daemon's to start. */
	if (pa.pa_context_connect(p->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) >= 0 &&
	    wait_for(p, context_settled) && pa.pa_context_get_state(p->ctx) == PA_CONTEXT_READY)
		return CAPTURE_PULSE_OPEN;
	snprintf(what, len, "no sound server (%s)", pa.pa_strerror(pa.pa_context_errno(p->ctx)));
	return CAPTURE_PULSE_NO_SERVER;
}

static enum capture_pulse_result record(struct capture_pulse *p, const char *source, char *what,
                                        size_t len)
{
	pa_sample_spec ss = {.format = PA_SAMPLE_S16LE, .rate = p->rate, .channels = 1};
	pa_buffer_attr ba = {
		.maxlength = (uint32_t)-1, .tlength = (uint32_t)-1, .prebuf = (uint32_t)-1,
		.minreq = (uint32_t)-1, .fragsize = p->rate / (1000 / FRAGMENT_MS) * 2,
	};
	/* A named source never silently becomes another one when it goes away: the stream
	 * fails instead (the wrong microphone would record the wrong room). */
	pa_stream_flags_t flags = PA_STREAM_ADJUST_LATENCY | PA_STREAM_AUTO_TIMING_UPDATE |
	                          PA_STREAM_INTERPOLATE_TIMING | (source ? PA_STREAM_DONT_MOVE : 0);

	p->stream = pa.pa_stream_new(p->ctx, "dictation microphone", &ss, NULL);
	if (!p->stream) {
		snprintf(what, len, "cannot record: %s", pa.pa_strerror(pa.pa_context_errno(p->ctx)));
		return CAPTURE_PULSE_ERROR;
	}
	pa.pa_stream_set_state_callback(p->stream, on_stream_state, p);
	pa.pa_stream_set_read_callback(p->stream, on_read, p);
	if (pa.pa_stream_connect_record(p->stream, source, &ba, flags) < 0 ||
	    !wait_for(p, stream_settled) || pa.pa_stream_get_state(p->stream) != PA_STREAM_READY) {
		snprintf(what, len, "cannot record from '%s': %s", source ? source : "default",
		         pa.pa_strerror(pa.pa_context_errno(p->ctx)));
		return CAPTURE_PULSE_ERROR;
	}
	return CAPTURE_PULSE_OPEN;
}

/* Locked: after it no callback of p's runs. */
static void disconnect(struct capture_pulse *p)
{
	p->live = false;
	if (p->stream) {
		pa.pa_stream_set_state_callback(p->stream, NULL, NULL);
		pa.pa_stream_set_read_callback(p->stream, NULL, NULL);
		pa.pa_stream_disconnect(p->stream);
		pa.pa_stream_unref(p->stream);
	}
	if (p->ctx) {
		pa.pa_context_set_state_callback(p->ctx, NULL, NULL);
		pa.pa_context_disconnect(p->ctx);
		pa.pa_context_unref(p->ctx);
	}
}

enum capture_pulse_result capture_pulse_open(const struct capture_source *src, uint32_t rate,
                                             const struct capture_pulse_sink *sink,
                                             struct capture_pulse **out,
                                             struct capture_pulse_found *found, char *what,
                                             size_t len)
{
	struct capture_pulse *p;
	enum capture_pulse_result r;
	const char *source = NULL;

	*out = NULL;
	if (!server_may_run()) {
		snprintf(what, len, "no sound server socket");
		return CAPTURE_PULSE_NO_SERVER;
	}
	if (!load_libpulse()) {
		snprintf(what, len, "no libpulse");
		return CAPTURE_PULSE_NO_SERVER;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(what, len, "out of memory");
		return CAPTURE_PULSE_ERROR;
	}
	p->rate = rate;
	p->want = src;
	p->sink = *sink;
	r = connect_server(p, what, len);
	/* Locked from here. Until it works, failures are reported by the return value. */
	if (r == CAPTURE_PULSE_OPEN && src->kind != CAPTURE_DEFAULT) {
		bool has = find_source(p);

		for (int i = 1; !has && src->kind == CAPTURE_CARD && i < CARD_WAIT_TRIES; i++) {
			sleep_unlocked(CARD_WAIT_NS);
			has = find_source(p);
		}
		if (!has) {
			snprintf(what, len, "the sound server has no source for %s", src->name);
			r = CAPTURE_PULSE_NO_SOURCE;
		}
		source = p->found.name;
	}
	if (r == CAPTURE_PULSE_OPEN) {
		check_default(p);
		r = record(p, source, what, len);
	}
	if (r != CAPTURE_PULSE_OPEN) {
		pulse_loop_unlock();
		capture_pulse_close(p);
		return r;
	}
	*found = p->found;
	p->live = true;
	pulse_loop_unlock();
	*out = p;
	return r;
}

void capture_pulse_close(struct capture_pulse *p)
{
	if (!p)
		return;
	pulse_loop_lock();
	disconnect(p);
	pulse_loop_unlock();
	free(p);
}
