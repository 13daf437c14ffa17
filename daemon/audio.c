/* Over 600 lines on purpose: a stream's life (pending, flowing, draining, waiting for its
 * device, resuming) and its device's capture (opened while a stream wants it, closed when
 * none does, failures ending its streams) are one state machine over the stream list and
 * the devices' audio slots; each transition of one is a transition of the other. What
 * stands apart went out: a stream's frames and queue (audio_frames.c), the capture back
 * ends (capture*.c). */
#include "daemon/audio.h"

#include <speex/speex_resampler.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/audio_frames.h"
#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/server.h"
#include "protocol/audio_frame.h"

#define ID_MAX (PM_MAX_ID_CHARS + 1)
#define RESAMPLE_QUALITY 5
#define RESAMPLE_OUT_MAX (CAPTURE_BLOCK_MAX * 6 + 64) /* 8 kHz → 48 kHz, plus slack */
#define LEVELS_PER_SEC 10
#define HOLD_AFTER_US 2000u /* a hold ends this long after its block's last sample */

/* One output rate of a device's capture: shared by every stream at that rate. */
struct branch {
	uint32_t rate;
	SpeexResamplerState *rs;       /* NULL: the capture already runs at this rate */
	struct branch *next;
};

/* The audio side of one device: its slot in the registry (hub.h) holds it from the first
 * stream for the device until the device goes. */
struct adev {
	struct unit *unit;             /* the device in the registry */
	struct capture_source src;     /* what cap reads */
	struct capture *cap;
	bool running;                  /* cap reached CAPTURE_RUNNING */
	uint32_t cap_rate;
	struct capture_route route;    /* as the last capture found it */
	bool has_route;
	struct branch *branches;
	uint64_t t_end;                /* capture time just past the last sample taken, 0: none */
	uint32_t block_us;             /* how long the last block taken lasted */
	double level_sum_sq;           /* the current 100 ms level window */
	uint32_t level_peak;
	uint32_t level_n;
};

enum st_state {
	ST_PENDING,   /* waiting for the microphone to open */
	ST_ACTIVE,    /* audio.started sent, frames flowing */
	ST_DRAINING,  /* ended: queued frames go out, then audio.stopped */
	ST_WAITING,   /* ended by removal or failure: restarts when the device returns */
};

/* What an ended stream does once its audio.stopped is out. */
enum resume {
	RESUME_NEVER,     /* the client ended it: gone */
	RESUME_ON_RETURN, /* its device left or its microphone failed: waits for the device to
	                   * come back or change */
	RESUME_AT_ONCE,   /* its device's microphone changed under it: restarts on the new one
	                   * (not before its queued frames and audio.stopped are out) */
};

struct stream {
	struct client *client;
	struct adev *dev;              /* NULL from its device's removal until it resumes */
	char device_id[ID_MAX];
	enum st_state state;
	uint32_t frame_ms;
	struct branch *branch;
	struct frames f;
	const char *end_reason;
	char end_message[160];
	enum resume resume;
	struct stream *next;
};

static struct stream *streams;
static uint32_t next_stream_id = 1;
static uint32_t fixed_capture_rate;
static void (*route_changed)(const char *id);

void audio_set_capture_rate(uint32_t capture_rate)
{
	fixed_capture_rate = capture_rate;
}

void audio_set_route_listener(void (*changed)(const char *id))
{
	route_changed = changed;
}

/* ---- lookups ------------------------------------------------------------------------- */

/* The audio side of device `id` (made when `make`), NULL when it is not in the registry. */
static struct adev *dev_find(const char *id, bool make)
{
	struct unit *u = hub_device(id);
	struct adev **slot = u ? hub_device_audio(u) : NULL;

	if (slot && !*slot && make && (*slot = calloc(1, sizeof **slot)) != NULL)
		(*slot)->unit = u;
	return slot ? *slot : NULL;
}

/* Every device's audio side, in registry order: dev_after(NULL) is the first. */
static struct adev *dev_after(const struct adev *d)
{
	for (struct unit *u = hub_device_next(d ? d->unit : NULL); u; u = hub_device_next(u))
		if (*hub_device_audio(u))
			return *hub_device_audio(u);
	return NULL;
}

/* A stream of c for device `id` that has not ended. */
static struct stream *stream_live(struct client *c, const char *id)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->client == c && strcmp(s->device_id, id) == 0 && s->state != ST_DRAINING)
			return s;
	return NULL;
}

/* ---- messages --------------------------------------------------------------------------- */

static void send_stopped(struct stream *s)
{
	server_send_owned(s->client, pm_audio_stopped(s->device_id, s->end_reason,
	                                              s->end_message[0] ? s->end_message : NULL));
}

/* ---- branches ------------------------------------------------------------------------------ */

static struct branch *branch_get(struct adev *d, uint32_t rate)
{
	struct branch *b;
	int err = 0;

	for (b = d->branches; b; b = b->next)
		if (b->rate == rate)
			return b;
	b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->rate = rate;
	if (rate != d->cap_rate) {
		b->rs = speex_resampler_init(1, d->cap_rate, rate, RESAMPLE_QUALITY, &err);
		if (!b->rs) {
			log_error("cannot convert %u Hz to %u Hz: %s", (unsigned)d->cap_rate,
			          (unsigned)rate, speex_resampler_strerror(err));
			free(b);
			return NULL;
		}
		/* Without this the first frames would start with the filter's ramp-in. */
		speex_resampler_skip_zeros(b->rs);
	}
	b->next = d->branches;
	d->branches = b;
	return b;
}

static bool branch_used(const struct adev *d, const struct branch *b)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->dev == d && s->branch == b)
			return true;
	return false;
}

/* d may be NULL: a stream's device that is away has no branches. */
static void branches_prune(struct adev *d, bool all)
{
	struct branch **pp;

	if (!d)
		return;
	pp = &d->branches;
	while (*pp) {
		struct branch *b = *pp;

		if (!all && branch_used(d, b)) {
			pp = &b->next;
			continue;
		}
		*pp = b->next;
		if (b->rs)
			speex_resampler_destroy(b->rs);
		free(b);
	}
}

/* ---- stream life ------------------------------------------------------------------------------ */

static void stream_free(struct stream *s)
{
	struct stream **pp = &streams;
	struct adev *d = s->dev;

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	frames_free(&s->f);
	free(s);
	branches_prune(d, false);
}

static struct stream *stream_new(struct client *c, struct adev *d, const char *id,
                                 uint32_t rate, uint32_t frame_ms)
{
	struct stream *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->client = c;
	s->dev = d;
	snprintf(s->device_id, sizeof s->device_id, "%s", id);
	s->frame_ms = frame_ms;
	if (!frames_init(&s->f, c, s->device_id, rate, frame_ms)) {
		free(s);
		return NULL;
	}
	s->next = streams;
	streams = s;
	return s;
}

/* A new stream id and sequence for a (re)started stream. */
static void stream_restart(struct stream *s)
{
	frames_restart(&s->f, next_stream_id++);
	if (next_stream_id == 0)
		next_stream_id = 1;
	s->branch = NULL;
	s->state = ST_PENDING;
}

static void dev_update_capture(struct adev *d);

/* Its device's microphone changed under it: a new stream on the new one (this stream
 * only, so that a caller walking the list meets no stream it has not seen change). */
static void stream_resume_at_once(struct stream *s)
{
	struct unit *u = hub_device(s->device_id);
	struct adev *d = u && hub_device_mic(u) ? dev_find(s->device_id, true) : NULL;

	if (!d)
		return;
	s->dev = d;
	stream_restart(s);
	dev_update_capture(d);
}

/* audio.stopped went out: the stream waits for its device, restarts, or is gone. */
static void stream_finish(struct stream *s)
{
	frames_report_overrun(&s->f);
	send_stopped(s);
	if (s->resume != RESUME_NEVER && !stream_live(s->client, s->device_id)) {
		frames_clear(&s->f);
		s->state = ST_WAITING;
		s->branch = NULL;
		branches_prune(s->dev, false);
		if (s->resume == RESUME_AT_ONCE)
			stream_resume_at_once(s);
		return;
	}
	stream_free(s);
}

/* Ends a stream: what was captured goes out (the last frame may be short), then
 * audio.stopped. */
static void stream_end(struct stream *s, const char *reason, const char *message,
                       enum resume resume)
{
	s->end_reason = reason;
	snprintf(s->end_message, sizeof s->end_message, "%s", message ? message : "");
	s->resume = resume;
	if (s->state == ST_ACTIVE)
		frames_flush(&s->f);
	s->state = ST_DRAINING;
	if (!s->f.q_len)
		stream_finish(s);
}

static void stream_activate(struct stream *s)
{
	s->branch = branch_get(s->dev, s->f.rate);
	if (!s->branch) {
		stream_end(s, "error", "cannot convert the microphone's rate", RESUME_ON_RETURN);
		return;
	}
	s->state = ST_ACTIVE;
	s->f.overrun_at = queue_now_mono_us();
	capture_server_hold(0); /* its first frame is due from now: an earlier hold is stale */
	server_send_owned(s->client, pm_audio_started(s->device_id, s->f.stream_id, s->f.rate,
	                                              s->frame_ms, s->dev->cap_rate,
	                                              s->dev->route.via));
}

/* ---- the device's microphone ----------------------------------------------------------------- */

static bool dev_wanted(const struct adev *d)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->dev == d && (s->state == ST_PENDING || s->state == ST_ACTIVE))
			return true;
	return false;
}

static void dev_close_capture(struct adev *d)
{
	if (!d->cap)
		return;
	capture_close(d->cap);
	d->cap = NULL;
	d->running = false;
	d->cap_rate = 0;
	d->t_end = 0;
	d->level_sum_sq = 0;
	d->level_peak = 0;
	d->level_n = 0;
	branches_prune(d, true);
}

/* Opens the microphone when a stream wants it, closes it when none does. */
static void dev_update_capture(struct adev *d)
{
	const struct capture_source *src = hub_device_mic(d->unit);

	if (!dev_wanted(d)) {
		dev_close_capture(d);
		return;
	}
	if (d->cap || !src)
		return;
	for (struct stream *s = streams; s; s = s->next) {
		if (s->dev == d && s->state == ST_PENDING) {
			d->src = *src;
			d->cap = capture_open(&d->src,
			                      fixed_capture_rate ? fixed_capture_rate : s->f.rate,
			                      fixed_capture_rate != 0);
			break;
		}
	}
}

/* Ends every stream of d that is pending or flowing. */
static void dev_end_streams(struct adev *d, const char *reason, const char *message,
                            enum resume resume)
{
	struct stream *s = streams, *next;

	for (; s; s = next) {
		next = s->next;
		if (s->dev == d && (s->state == ST_PENDING || s->state == ST_ACTIVE))
			stream_end(s, reason, message, resume);
	}
}

/* Restarts the streams waiting for device id, which has a microphone. */
static void dev_resume_streams(const char *id)
{
	struct adev *d = NULL;

	for (struct stream *s = streams; s; s = s->next) {
		if (s->state != ST_WAITING || strcmp(s->device_id, id) != 0)
			continue;
		if (!d && !(d = dev_find(id, true)))
			return;
		s->dev = d;
		stream_restart(s);
	}
	if ((d = dev_find(id, false)) != NULL)
		dev_update_capture(d);
}

static bool same_source(const struct capture_source *a, const struct capture_source *b)
{
	return a->kind == b->kind && a->card == b->card && strcmp(a->name, b->name) == 0;
}

void audio_device_present(const char *id)
{
	struct unit *u = hub_device(id);
	const struct capture_source *src = u ? hub_device_mic(u) : NULL;
	struct adev *d = dev_find(id, false);

	if (d && d->cap && (!src || !same_source(src, &d->src))) {
		/* Closed first: a stream whose queue is empty finishes at once and, with a new
		 * microphone, resumes on it right away. */
		dev_close_capture(d);
		dev_end_streams(d, "error", "the device's microphone changed",
		                src ? RESUME_AT_ONCE : RESUME_ON_RETURN);
	}
	if (src)
		dev_resume_streams(id);
}

/* The device leaves the registry: its streams let go of its audio side, which is freed. */
static void dev_forget(struct adev *d)
{
	dev_close_capture(d);
	for (struct stream *s = streams; s; s = s->next) {
		if (s->dev == d) {
			s->dev = NULL;
			s->branch = NULL;
		}
	}
	*hub_device_audio(d->unit) = NULL;
	free(d);
}

void audio_device_gone(const char *id)
{
	struct adev *d = dev_find(id, false);

	if (!d)
		return;
	dev_end_streams(d, "device_removed", NULL, RESUME_ON_RETURN);
	dev_forget(d);
}

const struct capture_route *audio_device_route(const char *id)
{
	const struct adev *d = dev_find(id, false);

	return d && d->has_route ? &d->route : NULL;
}

/* ---- requests ------------------------------------------------------------------------------------ */

char *audio_request(struct client *c, const struct pm_request *req)
{
	const char *type = req->type == PM_REQ_AUDIO_START ? "audio.start" : "audio.stop";
	struct unit *u = hub_device(req->device_id);
	struct stream *s = stream_live(c, req->device_id);
	struct adev *d;
	char msg[160];

	/* A stream waiting for its unplugged device is still the client's to cancel. */
	if (req->type == PM_REQ_AUDIO_STOP && s) {
		d = s->dev;
		stream_end(s, "client", NULL, RESUME_NEVER);
		if (d)
			dev_update_capture(d);
		return NULL;
	}
	if (!u) {
		snprintf(msg, sizeof msg, "no device with id '%s'", req->device_id);
		return pm_error(PM_ERR_UNKNOWN_DEVICE, msg, type);
	}
	if (req->type == PM_REQ_AUDIO_STOP) {
		server_send_owned(c, pm_audio_stopped(req->device_id, "client", NULL));
		return NULL;
	}
	if (!hub_device_mic(u)) {
		snprintf(msg, sizeof msg, "device '%s' has no microphone (its audio is null)",
		         req->device_id);
		return pm_error(PM_ERR_UNSUPPORTED, msg, type);
	}
	if (s)
		stream_end(s, "client", NULL, RESUME_NEVER);
	d = dev_find(req->device_id, true);
	s = d ? stream_new(c, d, req->device_id, req->rate, req->frame_ms) : NULL;
	if (!s)
		return pm_error(PM_ERR_UNSUPPORTED, "out of memory", type);
	stream_restart(s);
	if (d->running)
		stream_activate(s);
	dev_update_capture(d);
	return NULL;
}

void audio_client_gone(struct client *c)
{
	struct stream *s = streams, *next;

	for (; s; s = next) {
		next = s->next;
		if (s->client == c)
			stream_free(s);
	}
	for (struct adev *d = dev_after(NULL); d; d = dev_after(d))
		dev_update_capture(d);
}

size_t audio_next_frame(struct client *c, unsigned char *out, size_t cap)
{
	struct stream *best = NULL;
	uint64_t t, best_t = 0;
	size_t len;

	/* The oldest frame first, whichever device it comes from. */
	for (struct stream *s = streams; s; s = s->next) {
		if (s->client == c && frames_oldest(&s->f, &t) && (!best || t < best_t)) {
			best = s;
			best_t = t;
		}
	}
	if (!best)
		return 0;
	len = frames_take(&best->f, out, cap);
	for (struct stream *s = streams; s; s = s->next) {
		if (s->client == c && s->f.q_len) {
			server_audio_ready(c);
			break;
		}
	}
	if (best->state == ST_DRAINING && !best->f.q_len)
		stream_finish(best);
	return len;
}

/* ---- captured audio -------------------------------------------------------------------------------- */

static void level_feed(struct adev *d, const struct capture_block *b)
{
	uint32_t window = d->cap_rate / LEVELS_PER_SEC;

	for (uint32_t i = 0; i < b->n; i++) {
		int32_t v = b->s[i];
		uint32_t mag = (uint32_t)(v < 0 ? -v : v);

		d->level_sum_sq += (double)v * v;
		if (mag > d->level_peak)
			d->level_peak = mag;
		if (++d->level_n < window)
			continue;
		double rms, peak;
		char *json;

		pm_audio_levels(d->level_sum_sq, d->level_n, d->level_peak, &rms, &peak);
		json = pm_audio_level(hub_device_id(d->unit), rms, peak);
		/* Advisory: not for a client already behind with the audio itself. */
		for (struct stream *s = streams; json && s; s = s->next)
			if (s->dev == d && s->state == ST_ACTIVE && s->f.q_len * 2 <= s->f.q_cap)
				server_send_to(s->client, json);
		free(json);
		d->level_sum_sq = 0;
		d->level_peak = 0;
		d->level_n = 0;
	}
}

static void feed_branch(struct adev *d, struct branch *b, const struct capture_block *blk)
{
	static int16_t out[RESAMPLE_OUT_MAX];
	const int16_t *in = blk->s;
	spx_uint32_t left = blk->n;
	uint64_t t = blk->t_us;

	while (left) {
		spx_uint32_t in_len = left, out_len = RESAMPLE_OUT_MAX;
		const int16_t *samples = in;

		if (b->rs) {
			speex_resampler_process_int(b->rs, 0, in, &in_len, out, &out_len);
			samples = out;
		} else {
			out_len = in_len;
		}
		for (struct stream *s = streams; s; s = s->next)
			if (s->dev == d && s->branch == b && s->state == ST_ACTIVE)
				frames_feed(&s->f, samples, out_len, t);
		if (in_len == 0)
			break; /* the resampler took nothing: never spin */
		in += in_len;
		left -= in_len;
		t += (uint64_t)in_len * 1000000u / d->cap_rate;
	}
}

/* Samples the ring could not hold: every flowing stream skips the frames they spanned,
 * so its sequence numbers show the gap. */
static void account_lost(struct adev *d, uint64_t lost)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->dev == d && s->state == ST_ACTIVE)
			frames_skip(&s->f, lost * s->f.rate / d->cap_rate);
	log_warn("%s: lost %llu captured samples (the loop fell behind)", hub_device_id(d->unit),
	         (unsigned long long)lost);
}

static void dev_pump(struct adev *d)
{
	const struct capture_block *blk;
	char why[160];
	uint32_t rate;
	enum capture_state st = capture_state(d->cap, &rate, why, sizeof why);
	uint64_t lost;

	if (st == CAPTURE_FAILED) {
		log_warn("%s: %s", hub_device_id(d->unit), why);
		dev_end_streams(d, "error", why, RESUME_ON_RETURN);
		dev_close_capture(d);
		return;
	}
	if (st == CAPTURE_OPENING)
		return;
	if (!d->running) {
		struct capture_route r;

		d->running = true;
		d->cap_rate = rate;
		capture_route(d->cap, &r);
		if (!d->has_route || r.via != d->route.via || r.is_default != d->route.is_default ||
		    strcmp(r.source, d->route.source) != 0) {
			d->route = r;
			d->has_route = true;
			if (route_changed)
				route_changed(hub_device_id(d->unit));
		}
		for (struct stream *s = streams, *next; s; s = next) {
			next = s->next;
			if (s->dev == d && s->state == ST_PENDING)
				stream_activate(s);
		}
	}
	if ((lost = capture_take_dropped(d->cap)) != 0)
		account_lost(d, lost);
	while ((blk = capture_peek(d->cap)) != NULL) {
		level_feed(d, blk);
		for (struct branch *b = d->branches; b; b = b->next)
			feed_branch(d, b, blk);
		d->block_us = (uint32_t)((uint64_t)blk->n * 1000000u / d->cap_rate);
		d->t_end = blk->t_us + d->block_us;
		capture_release(d->cap);
	}
}

/* When device d next needs the server's samples: just after the end of the server block
 * that completes the first of its frames being filled (or its level window), the blocks
 * taken as lasting what the last one did. 0 (read as they come) when that is the next
 * block, so a hold would save nothing, or while a stream of d starts or drains. */
static uint64_t dev_due_us(const struct adev *d, uint64_t now)
{
	uint64_t need, blocks, due;

	if (!d->running || !d->t_end || !d->block_us)
		return 0;
	need = (uint64_t)(d->cap_rate / LEVELS_PER_SEC - d->level_n) * 1000000u / d->cap_rate;
	for (const struct stream *s = streams; s; s = s->next) {
		uint64_t us;

		if (s->dev != d)
			continue;
		if (s->state != ST_ACTIVE)
			return 0;
		us = (uint64_t)frames_missing(&s->f) * 1000000u / s->f.rate;
		if (us < need)
			need = us;
	}
	blocks = (need + d->block_us - 1) / d->block_us;
	due = d->t_end + blocks * d->block_us + HOLD_AFTER_US;
	return blocks >= 2 && due > now ? due : 0;
}

/* The server sends each block as its source has it (every 5 ms for a 10 ms client: a
 * browser's recording sets that): read as they come, a 20 ms frame costs four wake-ups.
 * They wait instead until the first device recording through the server has a whole
 * frame (or level window) there: one wake-up a frame, the frame out at most one block
 * plus HOLD_AFTER_US after its last sample was captured. */
static void hold_server(void)
{
	uint64_t now = queue_now_mono_us(), until = UINT64_MAX;

	for (struct adev *d = dev_after(NULL); d; d = dev_after(d)) {
		uint64_t due;

		if (!d->cap || (d->running && strcmp(d->route.via, "pulse") != 0))
			continue;
		due = dev_due_us(d, now);
		if (due < until)
			until = due;
	}
	capture_server_hold(until == UINT64_MAX ? 0 : until);
}

void audio_drain(void)
{
	for (struct adev *d = dev_after(NULL); d; d = dev_after(d)) {
		if (d->cap) {
			dev_pump(d);
			dev_update_capture(d);
		}
	}
	hold_server();
}

void audio_shutdown(void)
{
	while (streams)
		stream_free(streams);
	for (struct adev *d = dev_after(NULL), *next; d; d = next) {
		next = dev_after(d);
		dev_forget(d);
	}
}
