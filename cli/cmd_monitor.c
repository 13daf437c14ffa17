/* dictabridge monitor: the daemon's events as they happen, one line each, until SIGINT
 * or SIGTERM. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/status.h"
#include "protocol/client.h"

struct monitor {
	const struct cli_opts *o;
	bool output_closed;         /* stdout went away (`dictabridge monitor | head`) */
};

static void on_stop_signal(int sig)
{
	(void)sig;
	conn_interrupt();
}

/* "HH:MM:SS.mmm" local time of the event (time_ms when the message has it, else now). */
static void timestamp(const cJSON *msg, char *buf, size_t cap)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "time_ms");
	long long ms;
	time_t secs;
	struct tm tm;

	if (cJSON_IsNumber(t)) {
		ms = (long long)t->valuedouble;
	} else {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	}
	secs = (time_t)(ms / 1000);
	localtime_r(&secs, &tm);
	snprintf(buf, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ms % 1000));
}

static void describe_device(const cJSON *dev, char *buf, size_t cap)
{
	const char *serial = status_str(dev, "serial", NULL);

	snprintf(buf, cap, "%s%s%s", status_str(dev, "model", "?"),
	         serial ? ", serial " : "", serial ? serial : "");
}

static void print_text(const cJSON *msg)
{
	const char *type = pm_message_type(msg);
	const char *id = status_str(msg, "device_id", "-");
	char when[32], what[256];
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(msg, "device");

	timestamp(msg, when, sizeof when);
	if (strcmp(type, "button") == 0) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(msg, "pressed");

		printf("%s  %s  button %s %s\n", when, id, status_str(msg, "button", "?"),
		       cJSON_IsTrue(p) ? "pressed" : "released");
	} else if (strcmp(type, "slider") == 0) {
		printf("%s  %s  slider %s\n", when, id, status_str(msg, "position", "?"));
	} else if (strcmp(type, "motion") == 0) {
		printf("%s  %s  motion %s\n", when, id, status_str(msg, "state", "?"));
	} else if (strcmp(type, "device.added") == 0) {
		describe_device(dev, what, sizeof what);
		printf("%s  %s  added: %s\n", when, status_str(dev, "id", "?"), what);
	} else if (strcmp(type, "device.removed") == 0) {
		printf("%s  %s  removed\n", when, id);
	} else if (strcmp(type, "hello") == 0) {
		const cJSON *devs = cJSON_GetObjectItemCaseSensitive(msg, "devices");

		fprintf(stderr, "connected to dictabridged %s (%d device%s); Ctrl-C stops\n",
		        status_str(msg, "version", "?"), cJSON_GetArraySize(devs),
		        cJSON_GetArraySize(devs) == 1 ? "" : "s");
		cJSON_ArrayForEach(dev, devs) {
			describe_device(dev, what, sizeof what);
			printf("%s  %s  present: %s\n", when, status_str(dev, "id", "?"), what);
		}
	} else if (strcmp(type, "error") == 0) {
		printf("%s  -  error %s: %s\n", when, status_str(msg, "code", "?"),
		       status_str(msg, "message", ""));
	} else {
		return;   /* pong, claim, and types this version does not know */
	}
	fflush(stdout);
}

static void on_message(struct conn *c, const cJSON *msg, const char *text, size_t len,
                       void *arg)
{
	struct monitor *m = arg;

	(void)c;
	if (m->o->json) {
		(void)text;
		(void)len;
		cli_print_json(msg);
	} else {
		print_text(msg);
	}
	if (ferror(stdout)) {
		m->output_closed = true;
		conn_finish(c);
	}
}

int cmd_monitor(const struct cli_opts *o)
{
	static const struct conn_handlers handlers = { .message = on_message };
	struct monitor m = { .o = o };
	struct sigaction sa;
	char err[256];
	int rc, code;

	if (o->argc > 0)
		return cli_fail(o, EXIT_USAGE, "usage", "monitor takes no arguments");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = conn_ws_run(o->port, &handlers, &m, 0, err, sizeof err);
	if ((code = cli_unreachable(o, rc, err)) != EXIT_OK)
		return code;
	if (rc != CONN_OK)
		return cli_fail(o, EXIT_FAILED, "connection", "%s", err);
	return m.output_closed ? EXIT_FAILED : EXIT_OK;
}
