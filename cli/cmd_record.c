/* dictabridge record [--device ID] [--rate R] [--seconds N] [--out FILE]: one device's
 * microphone, streamed by the daemon (audio.start, DBA1 binary frames), written as a
 * 16-bit mono WAV file as it arrives, so memory stays bounded however long it runs.
 *
 * The recording ends after N seconds of samples, on SIGINT / SIGTERM (then with an
 * audio.stop, so the daemon closes the microphone before we go), or when the daemon
 * stops the stream (unit unplugged, microphone failed). Every ending leaves a valid WAV
 * of what arrived. Frames the daemon dropped are not replaced by silence: they are
 * counted (sequence gaps, audio.overrun) and reported, so that nobody mistakes a
 * recording with holes for a complete one. */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/status.h"
#include "cli/wav.h"
#include "protocol/audio_frame.h"
#include "protocol/client.h"
#include "protocol/message.h"

#define START_TIMEOUT_MS 5000   /* until audio.started */
#define STOP_TIMEOUT_MS 3000    /* audio.stop, or device.removed, until audio.stopped */
#define STALL_SLACK_MS 5000     /* --seconds: how late the last sample may be */
#define SECONDS_MAX (7.0 * 24 * 3600)
#define RATE_MAX 1000000


struct rec {
	const struct cli_opts *o;
	const char *device_arg;     /* --device, or NULL */
	const char *out_path;       /* --out, or NULL for stdout */
	int rate_req;               /* --rate, or 0 for the daemon's default */
	double seconds;             /* --seconds, or 0 for until a signal */

	/* A refusal before any audio: reported instead of a summary, no file written. */
	int fail_exit;
	char fail_code[48];
	char fail_msg[640];

	char device_id[128];
	char device_name[160];      /* "id (model)" for messages */
	FILE *out;
	struct wav wav;             /* on out once started; wav.err: writing the file failed */
	bool started, stopping, stopped, removed, interrupted, size_limited;

	uint32_t stream_id, next_seq;
	int rate, frame_ms;
	uint64_t target;            /* samples to record; 0: until a signal */
	uint64_t frames, gaps, dropped, overruns, overrun_frames, bad_frames;
	char stop_reason[32];
	char stop_message[256];
};

static void on_stop_signal(int sig)
{
	(void)sig;
	conn_interrupt();
}

static const char *out_label(const struct rec *r)
{
	return r->out_path && strcmp(r->out_path, "-") != 0 ? r->out_path : "stdout";
}

static void fail(struct rec *r, int code_exit, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct rec *r, int code_exit, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (r->fail_exit)
		return;   /* the first refusal is the one that explains */
	r->fail_exit = code_exit;
	snprintf(r->fail_code, sizeof r->fail_code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->fail_msg, sizeof r->fail_msg, fmt, ap);
	va_end(ap);
}

/* Ends the recording the way the daemon expects: audio.stop, then its audio.stopped. */
static void request_stop(struct conn *c, struct rec *r)
{
	if (r->stopping || r->stopped)
		return;
	r->stopping = true;
	conn_send(c, pm_req_audio_stop(r->device_id));
	conn_deadline(c, STOP_TIMEOUT_MS);
}

/* ---- choosing the device ----------------------------------------------------------- */

static bool has_mic(const cJSON *dev)
{
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(dev, "audio"));
}

static void describe(const cJSON *dev, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s (%s)", status_str(dev, "id", "?"), status_str(dev, "model", "?"));
}

/* "a (m), b (m)" of the devices for which keep() holds, into buf; returns how many. */
static int list_devices(const cJSON *devices, bool (*keep)(const cJSON *), char *buf,
                        size_t cap)
{
	const cJSON *dev;
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(dev, devices) {
		char one[200];

		if (keep && !keep(dev))
			continue;
		n++;
		describe(dev, one, sizeof one);
		if (used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", one);
	}
	return n;
}

/* --device as cli.h says. */
static const cJSON *find_device(struct rec *r, const cJSON *devices)
{
	const cJSON *dev;
	char list[400];

	switch (pm_device_lookup(devices, r->device_arg, &dev, list, sizeof list)) {
	case PM_LOOKUP_FOUND:
		return dev;
	case PM_LOOKUP_AMBIGUOUS:
		fail(r, EXIT_USAGE, "ambiguous_device", CLI_AMBIGUOUS_SERIAL, r->device_arg, list);
		return NULL;
	case PM_LOOKUP_NONE:
		break;
	}
	if (list_devices(devices, NULL, list, sizeof list) == 0)
		fail(r, EXIT_FAILED, "unknown_device",
		     "no device '%s' is connected (no device is connected at all)", r->device_arg);
	else
		fail(r, EXIT_FAILED, "unknown_device", "no device '%s' is connected (connected: %s)",
		     r->device_arg, list);
	return NULL;
}

static const cJSON *choose_device(struct rec *r, const cJSON *devices)
{
	const cJSON *dev;
	char list[400];
	int n;

	if (r->device_arg) {
		dev = find_device(r, devices);
		if (dev && !has_mic(dev)) {
			describe(dev, list, sizeof list);
			fail(r, EXIT_FAILED, "no_microphone",
			     "%s has no microphone for dictabridged (`dictabridge doctor` says how "
			     "to give it one)", list);
			return NULL;
		}
		return dev;
	}
	n = list_devices(devices, has_mic, list, sizeof list);
	if (n == 1) {
		cJSON_ArrayForEach(dev, devices)
			if (has_mic(dev))
				return dev;
	}
	if (n > 1) {
		fail(r, EXIT_USAGE, "ambiguous_device",
		     "%d devices have a microphone: %s; choose one with --device ID", n, list);
		return NULL;
	}
	n = list_devices(devices, NULL, list, sizeof list);
	if (n == 0)
		fail(r, EXIT_FAILED, "no_microphone",
		     "no device is connected, so there is no microphone to record from");
	else
		fail(r, EXIT_FAILED, "no_microphone",
		     "no connected device has a microphone (connected: %s); `dictabridge doctor` "
		     "says how to give one a microphone", list);
	return NULL;
}

/* ---- the stream -------------------------------------------------------------------- */

static void write_samples(struct conn *c, struct rec *r, const unsigned char *pcm, uint64_t n)
{
	uint64_t room = wav_room(&r->wav);

	if (r->target && r->wav.samples + n > r->target)
		n = r->target - r->wav.samples;
	if (n > room) {
		n = room;
		r->size_limited = true;
	}
	if (!wav_append(&r->wav, pcm, n)) {
		conn_finish(c);   /* nothing more can be kept: the daemon ends the stream with us */
		return;
	}
	if ((r->target && r->wav.samples >= r->target) || r->size_limited)
		request_stop(c, r);
}

static void on_binary(struct conn *c, const unsigned char *data, size_t len, void *arg)
{
	struct rec *r = arg;
	struct pm_audio_frame f;
	enum pm_audio_frame_result rc;

	if (!r->started || r->stopped || r->wav.err)
		return;
	rc = pm_audio_frame_decode(data, len, &f);
	if (rc == PM_AUDIO_FRAME_NOT_AUDIO) {
		r->bad_frames++;
		return;
	}
	if (f.stream_id != r->stream_id)
		return;   /* not the stream this recording started */
	if (rc == PM_AUDIO_FRAME_BAD_LENGTH || f.seq < r->next_seq) {
		r->bad_frames++;
		return;
	}
	if (f.seq > r->next_seq) {
		r->gaps++;
		r->dropped += f.seq - r->next_seq;
	}
	r->next_seq = f.seq + 1;
	r->frames++;
	if (!r->stopping)
		write_samples(c, r, f.pcm, f.samples);
}

static bool open_output(struct rec *r)
{
	if (!r->out_path || strcmp(r->out_path, "-") == 0) {
		r->out = stdout;
	} else if (!(r->out = fopen(r->out_path, "wbe"))) {
		fail(r, EXIT_FAILED, "cannot_write", "cannot create %s: %s", r->out_path,
		     strerror(errno));
		return false;
	}
	return wav_begin(&r->wav, r->out, (uint32_t)r->rate);
}

/* Fixes the header's sizes where the file can be rewritten, and closes it. */
static void finish_output(struct rec *r)
{
	if (!r->out)
		return;
	wav_end(&r->wav);
	if (r->out != stdout && fclose(r->out) != 0 && !r->wav.err)
		r->wav.err = errno ? errno : EIO;
	r->out = NULL;
}

static void on_started(struct conn *c, struct rec *r, const cJSON *msg)
{
	if (r->started)
		return;   /* a stream restarted after a replug: this recording has ended */
	r->stream_id = (uint32_t)status_int(msg, "stream_id", 0);
	r->rate = status_int(msg, "rate", 0);
	r->frame_ms = status_int(msg, "frame_ms", 0);
	if (r->rate <= 0 || r->rate > RATE_MAX || strcmp(status_str(msg, "format", "s16le"),
	                                                 "s16le") != 0 ||
	    status_int(msg, "channels", 1) != 1) {
		fail(r, EXIT_PROTOCOL, "protocol",
		     "dictabridged announced a stream this version cannot write (rate %d, %s, "
		     "%d channels)", r->rate, status_str(msg, "format", "?"),
		     status_int(msg, "channels", 0));
		conn_finish(c);
		return;
	}
	if (!open_output(r)) {
		conn_finish(c);
		return;
	}
	r->started = true;
	if (r->seconds > 0) {
		r->target = (uint64_t)(r->seconds * r->rate + 0.5);
		if (r->target == 0)
			r->target = 1;
		conn_deadline(c, (int)(r->seconds * 1000) + STALL_SLACK_MS);
	} else {
		conn_deadline(c, 0);
	}
	if (r->interrupted)
		request_stop(c, r);
}

static void on_message(struct conn *c, const cJSON *msg, const char *text, size_t len,
                       void *arg)
{
	struct rec *r = arg;
	const char *type = pm_message_type(msg);
	bool ours = strcmp(status_str(msg, "device_id", ""), r->device_id) == 0;

	(void)text;
	(void)len;
	if (strcmp(type, "hello") == 0 && !r->device_id[0]) {
		const cJSON *dev = choose_device(r, cJSON_GetObjectItemCaseSensitive(msg, "devices"));

		if (!dev || r->interrupted) {
			conn_finish(c);
			return;
		}
		snprintf(r->device_id, sizeof r->device_id, "%s", status_str(dev, "id", ""));
		describe(dev, r->device_name, sizeof r->device_name);
		conn_send(c, pm_req_audio_start(r->device_id, (uint32_t)r->rate_req, 0));
	} else if (strcmp(type, "error") == 0 && !r->started) {
		fail(r, EXIT_FAILED, status_str(msg, "code", "error"), "%s: %s",
		     r->device_id[0] ? r->device_id : "dictabridged", status_str(msg, "message", ""));
		conn_finish(c);
	} else if (strcmp(type, "audio.started") == 0 && ours) {
		on_started(c, r, msg);
	} else if (strcmp(type, "audio.overrun") == 0 && ours && r->started) {
		r->overruns++;
		r->overrun_frames += (uint64_t)status_int(msg, "dropped_frames", 0);
	} else if (strcmp(type, "audio.stopped") == 0 && ours && r->started && !r->stopped) {
		r->stopped = true;
		snprintf(r->stop_reason, sizeof r->stop_reason, "%s", status_str(msg, "reason", "?"));
		snprintf(r->stop_message, sizeof r->stop_message, "%s",
		         status_str(msg, "message", ""));
		conn_finish(c);
	} else if (strcmp(type, "device.removed") == 0 && ours && r->started && !r->stopped) {
		/* audio.stopped (device_removed) follows with the last frames; wait for it,
		 * a little. */
		r->removed = true;
		conn_deadline(c, STOP_TIMEOUT_MS);
	}
}

static void on_interrupt(struct conn *c, void *arg)
{
	struct rec *r = arg;

	r->interrupted = true;
	if (r->started)
		request_stop(c, r);
	else if (!r->device_id[0])
		conn_finish(c);
	/* else audio.start is on its way: on_started() stops the stream it starts */
}

/* ---- options and the summary ------------------------------------------------------- */

static int parse_args(const struct cli_opts *o, struct rec *r)
{
	for (int i = 0; i < o->argc; i++) {
		bool missing = false;
		const char *v;
		char *end;

		if ((v = cli_option_value(o, &i, "--device", &missing)) != NULL) {
			r->device_arg = v;
		} else if ((v = cli_option_value(o, &i, "--out", &missing)) != NULL) {
			r->out_path = v;
		} else if ((v = cli_option_value(o, &i, "--rate", &missing)) != NULL) {
			long rate = strtol(v, &end, 10);

			if (end == v || *end || rate <= 0 || rate > RATE_MAX)
				return cli_fail(o, EXIT_USAGE, "usage",
				                "--rate: '%s' is not a sample rate in Hz (8000, 16000, "
				                "22050, 44100 or 48000)", v);
			r->rate_req = (int)rate;
		} else if ((v = cli_option_value(o, &i, "--seconds", &missing)) != NULL) {
			r->seconds = strtod(v, &end);
			if (end == v || *end || !(r->seconds > 0) || r->seconds > SECONDS_MAX)
				return cli_fail(o, EXIT_USAGE, "usage",
				                "--seconds: '%s' is not a duration in seconds (more "
				                "than 0, at most a week)", v);
		} else if (missing) {
			return cli_fail(o, EXIT_USAGE, "usage", "%s needs a value", o->argv[i]);
		} else {
			return cli_fail(o, EXIT_USAGE, "usage",
			                "record: unexpected '%s' (usage: dictabridge record [--device "
			                "ID] [--rate R] [--seconds N] [--out FILE])", o->argv[i]);
		}
		if (!*v)
			return cli_fail(o, EXIT_USAGE, "usage", "%s needs a value", o->argv[i - 1]);
	}
	if (!r->out_path || strcmp(r->out_path, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return cli_fail(o, EXIT_USAGE, "usage",
			                "refusing to write audio to a terminal: give --out FILE or "
			                "redirect stdout");
		if (o->json)
			return cli_fail(o, EXIT_USAGE, "usage",
			                "--json prints the summary on stdout: give the recording "
			                "--out FILE");
	}
	return EXIT_OK;
}

static cJSON *summary(const struct rec *r)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "device_id", r->device_id);
	cJSON_AddStringToObject(j, "file", r->out_path ? r->out_path : "-");
	cJSON_AddNumberToObject(j, "rate", r->rate);
	cJSON_AddNumberToObject(j, "samples", (double)r->wav.samples);
	cJSON_AddNumberToObject(j, "seconds", r->rate ? (double)r->wav.samples / r->rate : 0);
	cJSON_AddNumberToObject(j, "frames", (double)r->frames);
	cJSON_AddNumberToObject(j, "gaps", (double)r->gaps);
	cJSON_AddNumberToObject(j, "dropped_frames", (double)r->dropped);
	cJSON_AddNumberToObject(j, "overruns", (double)r->overruns);
	cJSON_AddNumberToObject(j, "overrun_frames", (double)r->overrun_frames);
	cJSON_AddNumberToObject(j, "bad_frames", (double)r->bad_frames);
	if (r->stop_reason[0])
		cJSON_AddStringToObject(j, "stop_reason", r->stop_reason);
	else if (r->removed)
		cJSON_AddStringToObject(j, "stop_reason", "device_removed");
	else
		cJSON_AddNullToObject(j, "stop_reason");
	cJSON_AddBoolToObject(j, "interrupted", r->interrupted);
	return j;
}

static void print_summary(const struct rec *r)
{
	fprintf(stderr, "recorded %.2f s from %s to %s (%llu samples at %d Hz, %llu frames); "
	        "%llu frame%s lost in %llu gap%s, %llu overrun%s\n",
	        r->rate ? (double)r->wav.samples / r->rate : 0.0, r->device_name, out_label(r),
	        (unsigned long long)r->wav.samples, r->rate, (unsigned long long)r->frames,
	        (unsigned long long)r->dropped, r->dropped == 1 ? "" : "s",
	        (unsigned long long)r->gaps, r->gaps == 1 ? "" : "s",
	        (unsigned long long)r->overruns, r->overruns == 1 ? "" : "s");
	if (r->bad_frames)
		fprintf(stderr, "%llu malformed or out-of-order frame%s skipped\n",
		        (unsigned long long)r->bad_frames, r->bad_frames == 1 ? "" : "s");
}

/* The exit code and message of a recording that ran: the first thing that went wrong. */
static int conclude(const struct rec *r, int rc, const char *err)
{
	const struct cli_opts *o = r->o;
	cJSON *j = summary(r);
	int code = EXIT_OK;

	if (!o->json)
		print_summary(r);
	if (r->wav.err)
		code = cli_fail_with(o, EXIT_FAILED, "cannot_write", j, "cannot write %s: %s",
		                     out_label(r), strerror(r->wav.err));
	else if (strcmp(r->stop_reason, "device_removed") == 0 || (r->removed && !r->stopped))
		code = cli_fail_with(o, EXIT_FAILED, "device_removed", j,
		                     "the recording ended early: %s was unplugged (%s holds what "
		                     "arrived before)", r->device_name, out_label(r));
	else if (strcmp(r->stop_reason, "error") == 0)
		code = cli_fail_with(o, EXIT_FAILED, "microphone_error", j,
		                     "the recording ended early: the microphone of %s failed%s%s "
		                     "(%s holds what arrived before)", r->device_name,
		                     r->stop_message[0] ? ": " : "", r->stop_message, out_label(r));
	else if (r->stopped && strcmp(r->stop_reason, "client") != 0)
		code = cli_fail_with(o, EXIT_FAILED, "stopped", j,
		                     "the recording ended early: dictabridged stopped the stream "
		                     "(%s)", r->stop_reason);
	else if (rc != CONN_OK || !r->stopped)
		code = cli_fail_with(o, EXIT_FAILED, "connection", j, "%s (%s holds what arrived "
		                     "before)", err[0] ? err : "the stream did not end cleanly",
		                     out_label(r));
	else if (r->size_limited)
		fprintf(stderr, "dictabridge: %s reached the largest size a WAV file can have\n",
		        out_label(r));
	if (code == EXIT_OK && o->json) {
		cJSON_AddTrueToObject(j, "ok");
		cli_print_json(j);
	}
	cJSON_Delete(j);
	return code;
}

int cmd_record(const struct cli_opts *o)
{
	static const struct conn_handlers handlers = {
		.message = on_message, .binary = on_binary, .interrupt = on_interrupt,
	};
	struct rec r;
	struct sigaction sa;
	char err[256];
	int rc, code;

	memset(&r, 0, sizeof r);
	r.o = o;
	rc = parse_args(o, &r);
	if (rc != EXIT_OK)
		return rc;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a closed pipe is a write error, reported */

	rc = conn_ws_run(o->port, &handlers, &r, START_TIMEOUT_MS, err, sizeof err);
	finish_output(&r);
	if ((code = cli_unreachable(o, rc, err)) != EXIT_OK)
		return code;
	if (r.fail_exit)
		return cli_fail(o, r.fail_exit, r.fail_code, "%s", r.fail_msg);
	if (!r.started) {
		if (r.interrupted)
			return cli_fail(o, EXIT_FAILED, "interrupted",
			                "interrupted before the recording started");
		return cli_fail(o, EXIT_FAILED, "connection", "%s",
		                err[0] ? err : "dictabridged did not start the stream");
	}
	return conclude(&r, rc, err);
}
