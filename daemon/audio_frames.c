#include "daemon/audio_frames.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/queue.h"
#include "daemon/server.h"
#include "protocol/audio_frame.h"
#include "protocol/message.h"

#define OVERRUN_REPORT_US 1000000u

struct frame {
	uint64_t t_us;
	size_t len;
	unsigned char data[];          /* header + samples */
};

bool frames_init(struct frames *f, struct client *c, const char *device_id, uint32_t rate,
                 uint32_t frame_ms)
{
	memset(f, 0, sizeof *f);
	f->client = c;
	f->device_id = device_id;
	f->rate = rate;
	f->frame_samples = pm_audio_frame_samples(rate, frame_ms);
	f->q_cap = 1000 / frame_ms;
	f->acc = malloc(f->frame_samples * sizeof *f->acc);
	f->q = calloc(f->q_cap, sizeof *f->q);
	if (!f->acc || !f->q) {
		frames_free(f);
		return false;
	}
	return true;
}

static void queue_clear(struct frames *f)
{
	while (f->q_len) {
		free(f->q[f->q_head]);
		f->q_head = (f->q_head + 1) % f->q_cap;
		f->q_len--;
	}
}

void frames_free(struct frames *f)
{
	queue_clear(f);
	free(f->q);
	free(f->acc);
	f->q = NULL;
	f->acc = NULL;
}

void frames_restart(struct frames *f, uint32_t stream_id)
{
	f->stream_id = stream_id;
	f->seq = 0;
	f->acc_n = 0;
	f->dropped = 0;
}

void frames_clear(struct frames *f)
{
	queue_clear(f);
	f->q_head = 0;
}

void frames_report_overrun(struct frames *f)
{
	if (!f->dropped)
		return;
	server_send_owned(f->client, pm_audio_overrun(f->device_id, f->dropped));
	f->dropped = 0;
	f->overrun_at = queue_now_mono_us();
}

/* Queues the accumulated samples as the next frame; a full queue loses its oldest. */
static void emit_frame(struct frames *f)
{
	struct frame *fr = malloc(sizeof *fr + PM_AUDIO_HEADER_BYTES + (size_t)f->acc_n * 2);
	unsigned char *p;

	if (!fr) {
		f->seq++;
		f->dropped++;
		f->acc_n = 0;
		return;
	}
	fr->t_us = f->acc_t;
	fr->len = PM_AUDIO_HEADER_BYTES + (size_t)f->acc_n * 2;
	pm_audio_header(fr->data, f->stream_id, f->seq++, f->acc_n, f->acc_t);
	p = fr->data + PM_AUDIO_HEADER_BYTES;
	for (uint32_t i = 0; i < f->acc_n; i++) {
		uint16_t v = (uint16_t)f->acc[i];

		p[2 * i] = (unsigned char)v;
		p[2 * i + 1] = (unsigned char)(v >> 8);
	}
	f->acc_n = 0;
	if (f->q_len == f->q_cap) {
		free(f->q[f->q_head]);
		f->q_head = (f->q_head + 1) % f->q_cap;
		f->q_len--;
		f->dropped++;
	}
	f->q[(f->q_head + f->q_len) % f->q_cap] = fr;
	f->q_len++;
	if (f->dropped && queue_now_mono_us() - f->overrun_at >= OVERRUN_REPORT_US)
		frames_report_overrun(f);
	server_audio_ready(f->client);
}

void frames_feed(struct frames *f, const int16_t *in, uint32_t n, uint64_t t_us)
{
	while (n) {
		uint32_t take = f->frame_samples - f->acc_n;

		if (take > n)
			take = n;
		if (f->acc_n == 0)
			f->acc_t = t_us;
		memcpy(f->acc + f->acc_n, in, take * sizeof *in);
		f->acc_n += take;
		in += take;
		n -= take;
		t_us += (uint64_t)take * 1000000u / f->rate;
		if (f->acc_n == f->frame_samples)
			emit_frame(f);
	}
}

uint32_t frames_missing(const struct frames *f)
{
	return f->frame_samples - f->acc_n;
}

void frames_flush(struct frames *f)
{
	if (f->acc_n)
		emit_frame(f);
}

void frames_skip(struct frames *f, uint64_t n)
{
	uint64_t skipped = n / f->frame_samples + 1;

	f->seq += (uint32_t)skipped;
	f->dropped += skipped;
	f->acc_n = 0;
}

bool frames_oldest(const struct frames *f, uint64_t *t_us)
{
	if (!f->q_len)
		return false;
	*t_us = f->q[f->q_head]->t_us;
	return true;
}

size_t frames_take(struct frames *f, unsigned char *out, size_t cap)
{
	struct frame *fr;
	size_t len;

	if (!f->q_len)
		return 0;
	fr = f->q[f->q_head];
	f->q_head = (f->q_head + 1) % f->q_cap;
	f->q_len--;
	len = fr->len <= cap ? fr->len : 0;
	if (len)
		memcpy(out, fr->data, len);
	free(fr);
	return len;
}
