#include "daemon/audio.h"

#include <speex/speex_resampler.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/queue.h"
#include "daemon/server.h"
#include "protocol/audio_frame.h"

#define ID_MAX (PM_MAX_ID_CHARS + 1)
#define RESAMPLE_QUALITY 5
#define RESAMPLE_OUT_MAX (CAPTURE_BLOCK_MAX * 6 + 64) /* 8 kHz → 48 kHz, plus slack */
#define OVERRUN_REPORT_US 1000000u
#define LEVELS_PER_SEC 10

/* One output rate of a device's capture: shared by every stream at that rate. */
struct branch {
	uint32_t rate;
	SpeexResamplerState *rs;       /* NULL: the capture already runs at this rate */
	struct branch *next;
};

struct adev {
	char id[ID_MAX];
	bool present;
	bool has_src;
	struct capture_source src;
	struct capture *cap;
	bool running;                  /* cap reached CAPTURE_RUNNING */
	uint32_t cap_rate;
	struct capture_route route;    /* as the last capture found it */
	bool has_route;
	struct branch *branches;
	double level_sum_sq;           /* the current 100 ms level window */
	uint32_t level_peak;
	uint32_t level_n;
	struct adev *next;
};

enum st_state {
	ST_PENDING,   /* waiting for the microphone to open */
	ST_ACTIVE,    /* audio.started sent, frames flowing */
	ST_DRAINING,  /* ended: queued frames go out, then audio.stopped */
	ST_WAITING,   /* ended by removal or failure: restarts when the device returns */
};

struct frame {
	uint64_t t_us;
	size_t len;
	unsigned char data[];          /* header + samples */
};

struct stream {
	struct client *client;
	struct adev *dev;
	enum st_state state;
	uint32_t id, seq, rate, frame_ms, frame_samples;
	struct branch *branch;
	int16_t *acc;                  /* the frame being filled */
	uint32_t acc_n;
	uint64_t acc_t;
	struct frame **q;              /* ring of queued frames, capacity q_cap */
	uint32_t q_cap, q_head, q_len;
	uint64_t dropped;              /* not yet reported in audio.overrun */
	uint64_t overrun_at;
	const char *end_reason;
	char end_message[160];
	bool resume;
	struct stream *next;
};

static struct adev *devs;
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

static struct adev *dev_find(const char *id)
{
	for (struct adev *d = devs; d; d = d->next)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

static struct adev *dev_get(const char *id)
{
	struct adev *d = dev_find(id);

	if (d || !(d = calloc(1, sizeof *d)))
		return d;
	snprintf(d->id, sizeof d->id, "%s", id);
	d->next = devs;
	devs = d;
	return d;
}

static bool dev_in_use(const struct adev *d)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->dev == d)
			return true;
	return false;
}

/* A device neither connected nor awaited by a stream is forgotten. */
static void dev_maybe_free(struct adev *d)
{
	struct adev **pp = &devs;

	if (d->present || d->cap || dev_in_use(d))
		return;
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	free(d);
}

/* A stream of c for d that has not ended. */
static struct stream *stream_live(struct client *c, const struct adev *d)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->client == c && s->dev == d && s->state != ST_DRAINING)
			return s;
	return NULL;
}

/* ---- messages --------------------------------------------------------------------------- */

static void send_stopped(struct stream *s)
{
	server_send_owned(s->client, pm_audio_stopped(s->dev->id, s->end_reason,
	                                              s->end_message[0] ? s->end_message : NULL));
}

static void send_overrun(struct stream *s)
{
	if (!s->dropped)
		return;
	server_send_owned(s->client, pm_audio_overrun(s->dev->id, s->dropped));
	s->dropped = 0;
	s->overrun_at = queue_now_mono_us();
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

static void branches_prune(struct adev *d, bool all)
{
	struct branch **pp = &d->branches;

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

/* ---- frames and queues ---------------------------------------------------------------------- */

static void queue_clear(struct stream *s)
{
	while (s->q_len) {
		free(s->q[s->q_head]);
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
	}
}

/* Queues the accumulated samples as the next frame. A full queue loses its oldest frame:
 * a client that stops reading must neither grow memory nor delay anyone else. */
static void emit_frame(struct stream *s)
{
	struct frame *f = malloc(sizeof *f + PM_AUDIO_HEADER_BYTES + (size_t)s->acc_n * 2);
	unsigned char *p;

	if (!f) {
		s->seq++;
		s->dropped++;
		s->acc_n = 0;
		return;
	}
	f->t_us = s->acc_t;
	f->len = PM_AUDIO_HEADER_BYTES + (size_t)s->acc_n * 2;
	pm_audio_header(f->data, s->id, s->seq++, s->acc_n, s->acc_t);
	p = f->data + PM_AUDIO_HEADER_BYTES;
	for (uint32_t i = 0; i < s->acc_n; i++) {
		uint16_t v = (uint16_t)s->acc[i];

		p[2 * i] = (unsigned char)v;
		p[2 * i + 1] = (unsigned char)(v >> 8);
	}
	s->acc_n = 0;
	if (s->q_len == s->q_cap) {
		free(s->q[s->q_head]);
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		s->dropped++;
	}
	s->q[(s->q_head + s->q_len) % s->q_cap] = f;
	s->q_len++;
	if (s->dropped && queue_now_mono_us() - s->overrun_at >= OVERRUN_REPORT_US)
		send_overrun(s);
	server_audio_ready(s->client);
}

static void stream_feed(struct stream *s, const int16_t *in, uint32_t n, uint64_t t_us)
{
	while (n) {
		uint32_t take = s->frame_samples - s->acc_n;

		if (take > n)
			take = n;
		if (s->acc_n == 0)
			s->acc_t = t_us;
		memcpy(s->acc + s->acc_n, in, take * sizeof *in);
		s->acc_n += take;
		in += take;
		n -= take;
		t_us += (uint64_t)take * 1000000u / s->rate;
		if (s->acc_n == s->frame_samples)
			emit_frame(s);
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
	queue_clear(s);
	free(s->q);
	free(s->acc);
	free(s);
	branches_prune(d, false);
}

static struct stream *stream_new(struct client *c, struct adev *d, uint32_t rate,
                                 uint32_t frame_ms)
{
	struct stream *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->client = c;
	s->dev = d;
	s->rate = rate;
	s->frame_ms = frame_ms;
	s->frame_samples = pm_audio_frame_samples(rate, frame_ms);
	s->q_cap = 1000 / frame_ms;
	s->acc = malloc(s->frame_samples * sizeof *s->acc);
	s->q = calloc(s->q_cap, sizeof *s->q);
	if (!s->acc || !s->q) {
		free(s->acc);
		free(s->q);
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
	s->id = next_stream_id++;
	if (next_stream_id == 0)
		next_stream_id = 1;
	s->seq = 0;
	s->acc_n = 0;
	s->dropped = 0;
	s->branch = NULL;
	s->state = ST_PENDING;
}

/* audio.stopped went out: the stream waits for its device or is gone. */
static void stream_finish(struct stream *s)
{
	send_overrun(s);
	send_stopped(s);
	if (s->resume && !stream_live(s->client, s->dev)) {
		queue_clear(s);
		s->q_head = 0;
		s->state = ST_WAITING;
		s->branch = NULL;
		branches_prune(s->dev, false);
		return;
	}
	stream_free(s);
}

/* Ends a stream: what was captured goes out (the last frame may be short), then
 * audio.stopped. */
static void stream_end(struct stream *s, const char *reason, const char *message, bool resume)
{
	s->end_reason = reason;
	snprintf(s->end_message, sizeof s->end_message, "%s", message ? message : "");
	s->resume = resume;
	if (s->state == ST_ACTIVE && s->acc_n)
		emit_frame(s);
	s->state = ST_DRAINING;
	if (!s->q_len)
		stream_finish(s);
}

static void stream_activate(struct stream *s)
{
	s->branch = branch_get(s->dev, s->rate);
	if (!s->branch) {
		stream_end(s, "error", "cannot convert the microphone's rate", true);
		return;
	}
	s->state = ST_ACTIVE;
	s->overrun_at = queue_now_mono_us();
	server_send_owned(s->client, pm_audio_started(s->dev->id, s->id, s->rate, s->frame_ms,
	                                              s->dev->cap_rate, s->dev->route.via));
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
	d->level_sum_sq = 0;
	d->level_peak = 0;
	d->level_n = 0;
	branches_prune(d, true);
}

/* Opens the microphone when a stream wants it, closes it when none does. */
static void dev_update_capture(struct adev *d)
{
	bool wanted = dev_wanted(d);

	if (!wanted) {
		dev_close_capture(d);
		return;
	}
	if (d->cap || !d->present || !d->has_src)
		return;
	for (struct stream *s = streams; s; s = s->next) {
		if (s->dev == d && s->state == ST_PENDING) {
			d->cap = capture_open(&d->src, fixed_capture_rate ? fixed_capture_rate : s->rate,
			                      fixed_capture_rate != 0);
			break;
		}
	}
}

/* Ends every stream of d that is pending or flowing. */
static void dev_end_streams(struct adev *d, const char *reason, const char *message,
                            bool resume)
{
	struct stream *s = streams, *next;

	for (; s; s = next) {
		next = s->next;
		if (s->dev == d && (s->state == ST_PENDING || s->state == ST_ACTIVE))
			stream_end(s, reason, message, resume);
	}
}

static void dev_resume_streams(struct adev *d)
{
	for (struct stream *s = streams; s; s = s->next)
		if (s->dev == d && s->state == ST_WAITING)
			stream_restart(s);
	dev_update_capture(d);
}

static bool same_source(const struct capture_source *a, const struct capture_source *b)
{
	return a->kind == b->kind && a->card == b->card && strcmp(a->name, b->name) == 0;
}

void audio_device_present(const char *id, const struct capture_source *src)
{
	struct adev *d = dev_get(id);

	if (!d)
		return;
	if (d->present && d->cap && (!src || !same_source(src, &d->src))) {
		dev_end_streams(d, "error", "the device's microphone changed", true);
		dev_close_capture(d);
	}
	d->present = true;
	d->has_src = src != NULL;
	if (src)
		d->src = *src;
	if (d->has_src)
		dev_resume_streams(d);
	dev_maybe_free(d);
}

void audio_device_gone(const char *id)
{
	struct adev *d = dev_find(id);

	if (!d)
		return;
	dev_end_streams(d, "device_removed", NULL, true);
	dev_close_capture(d);
	d->present = false;
	dev_maybe_free(d);
}

const struct capture_route *audio_device_route(const char *id)
{
	const struct adev *d = dev_find(id);

	return d && d->has_route ? &d->route : NULL;
}

/* ---- requests ------------------------------------------------------------------------------------ */

char *audio_request(struct client *c, const struct pm_request *req)
{
	const char *type = req->type == PM_REQ_AUDIO_START ? "audio.start" : "audio.stop";
	struct adev *d = dev_find(req->device_id);
	struct stream *s = d ? stream_live(c, d) : NULL;
	char msg[160];

	/* A stream waiting for its unplugged device is still the client's to cancel. */
	if (req->type == PM_REQ_AUDIO_STOP && s) {
		stream_end(s, "client", NULL, false);
		dev_update_capture(d);
		dev_maybe_free(d);
		return NULL;
	}
	if (!d || !d->present) {
		snprintf(msg, sizeof msg, "no device with id '%s'", req->device_id);
		return pm_error(PM_ERR_UNKNOWN_DEVICE, msg, type);
	}
	if (req->type == PM_REQ_AUDIO_STOP) {
		server_send_owned(c, pm_audio_stopped(d->id, "client", NULL));
		return NULL;
	}
	if (!d->has_src) {
		snprintf(msg, sizeof msg, "device '%s' has no microphone (its audio is null)", d->id);
		return pm_error(PM_ERR_UNSUPPORTED, msg, type);
	}
	if (s)
		stream_end(s, "client", NULL, false);
	s = stream_new(c, d, req->rate, req->frame_ms);
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
	for (struct adev *d = devs, *dn; d; d = dn) {
		dn = d->next;
		dev_update_capture(d);
		dev_maybe_free(d);
	}
}

size_t audio_next_frame(struct client *c, unsigned char *out, size_t cap)
{
	struct stream *best = NULL;
	struct frame *f;
	size_t len;

	/* The oldest frame first, whichever device it comes from. */
	for (struct stream *s = streams; s; s = s->next)
		if (s->client == c && s->q_len &&
		    (!best || s->q[s->q_head]->t_us < best->q[best->q_head]->t_us))
			best = s;
	if (!best)
		return 0;
	f = best->q[best->q_head];
	best->q_head = (best->q_head + 1) % best->q_cap;
	best->q_len--;
	len = f->len <= cap ? f->len : 0;
	if (len)
		memcpy(out, f->data, len);
	free(f);
	for (struct stream *s = streams; s; s = s->next) {
		if (s->client == c && s->q_len) {
			server_audio_ready(c);
			break;
		}
	}
	if (best->state == ST_DRAINING && !best->q_len) {
		struct adev *d = best->dev;

		stream_finish(best);
		dev_maybe_free(d);
	}
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
		json = pm_audio_level(d->id, rms, peak);
		/* Advisory: not for a client already behind with the audio itself. */
		for (struct stream *s = streams; json && s; s = s->next)
			if (s->dev == d && s->state == ST_ACTIVE && s->q_len * 2 <= s->q_cap)
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
				stream_feed(s, samples, out_len, t);
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
	for (struct stream *s = streams; s; s = s->next) {
		uint64_t frames;

		if (s->dev != d || s->state != ST_ACTIVE)
			continue;
		frames = lost * s->rate / d->cap_rate / s->frame_samples + 1;
		s->seq += (uint32_t)frames;
		s->dropped += frames;
		s->acc_n = 0;
	}
	log_warn("%s: lost %llu captured samples (the loop fell behind)", d->id,
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
		log_warn("%s: %s", d->id, why);
		dev_end_streams(d, "error", why, true);
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
				route_changed(d->id);
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
		capture_release(d->cap);
	}
}

void audio_drain(void)
{
	for (struct adev *d = devs, *next; d; d = next) {
		next = d->next;
		if (d->cap) {
			dev_pump(d);
			dev_update_capture(d);
		}
	}
}

void audio_shutdown(void)
{
	while (streams)
		stream_free(streams);
	while (devs) {
		struct adev *d = devs;

		dev_close_capture(d);
		devs = d->next;
		free(d);
	}
}
