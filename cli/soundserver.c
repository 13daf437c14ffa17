#include "cli/soundserver.h"

#include <pulse/pulseaudio.h>
#include <stdio.h>
#include <string.h>

#include "daemon/pulse_match.h"

#define TIMEOUT_US 2000000u

struct lookup {
	const struct capture_source *unit;
	struct soundserver_view *out;
	enum pulse_match best;
	int pending;              /* answers still awaited */
	bool timed_out;
};

static void on_server_info(pa_context *ctx, const pa_server_info *i, void *arg)
{
	struct lookup *l = arg;

	(void)ctx;
	if (i && i->default_source_name)
		snprintf(l->out->default_source, sizeof l->out->default_source, "%s",
		         i->default_source_name);
	l->pending--;
}

static void on_source(pa_context *ctx, const pa_source_info *i, int eol, void *arg)
{
	struct lookup *l = arg;
	enum pulse_match m;

	(void)ctx;
	if (eol) {
		l->pending--;
		return;
	}
	m = pulse_match_source(l->unit, i->name, i->description,
	                       pa_proplist_gets(i->proplist, "sysfs.path"),
	                       pa_proplist_gets(i->proplist, "alsa.card"),
	                       i->monitor_of_sink != PA_INVALID_INDEX);
	if (m <= l->best)
		return;
	l->best = m;
	snprintf(l->out->unit_source, sizeof l->out->unit_source, "%s", i->name);
	snprintf(l->out->unit_description, sizeof l->out->unit_description, "%s",
	         i->description ? i->description : i->name);
}

static void on_timeout(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv,
                       void *arg)
{
	(void)api;
	(void)e;
	(void)tv;
	((struct lookup *)arg)->timed_out = true;
}

bool soundserver_view(const struct capture_source *unit, struct soundserver_view *out,
                      char *why, size_t len)
{
	struct lookup l = {.unit = unit, .out = out};
	pa_mainloop *ml = pa_mainloop_new();
	pa_context *ctx = ml ? pa_context_new(pa_mainloop_get_api(ml), "dictabridge doctor") : NULL;
	bool asked = false, ok = false;

	memset(out, 0, sizeof *out);
	snprintf(why, len, "no sound server");
	if (!ctx)
		goto done;
	pa_context_rttime_new(ctx, pa_rtclock_now() + TIMEOUT_US, on_timeout, &l);
	if (pa_context_connect(ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
		goto done;
	while (!l.timed_out && pa_mainloop_iterate(ml, 1, NULL) >= 0) {
		pa_context_state_t st = pa_context_get_state(ctx);
		pa_operation *op;

		if (!PA_CONTEXT_IS_GOOD(st))
			break;
		if (st == PA_CONTEXT_READY && !asked) {
			asked = true;
			l.pending = 2;
			op = pa_context_get_server_info(ctx, on_server_info, &l);
			op ? pa_operation_unref(op) : (void)l.pending--;
			op = pa_context_get_source_info_list(ctx, on_source, &l);
			op ? pa_operation_unref(op) : (void)l.pending--;
		}
		if (asked && l.pending <= 0) {
			ok = true;
			break;
		}
	}
	if (!ok)
		snprintf(why, len, "no sound server answers (%s)",
		         pa_strerror(pa_context_errno(ctx)));
done:
	if (ctx) {
		pa_context_disconnect(ctx);
		pa_context_unref(ctx);
	}
	if (ml)
		pa_mainloop_free(ml);
	return ok;
}
