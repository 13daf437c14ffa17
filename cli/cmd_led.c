/* dictabridge led DEVICE LED COLOR [MODE]: one `led` request, then a `ping`. The daemon
 * answers a good `led` with nothing and a bad one with an `error`, and handles a
 * connection's messages in order: an `error` before the `pong` is the led's failure, the
 * `pong` alone means the daemon accepted it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/status.h"

#define LED_TIMEOUT_MS 5000
#define PING_ID "dictabridge-led"

struct led_job {
	const struct cli_opts *o;
	const char *device, *led, *color, *mode;
	char device_id[128];
	char device_leds[256];      /* the device's LEDs, for a better message */
	bool sent, answered, failed;
	char code[64], message[512];
};

/* DEVICE is an id, or the serial number of exactly one connected device. */
static void resolve_device(struct led_job *j, const cJSON *devices)
{
	const cJSON *dev, *match = NULL;
	int by_serial = 0;

	cJSON_ArrayForEach(dev, devices) {
		if (strcmp(status_str(dev, "id", ""), j->device) == 0) {
			match = dev;
			by_serial = 1;
			break;
		}
		if (strcmp(status_str(dev, "serial", ""), j->device) == 0) {
			match = dev;
			by_serial++;
		}
	}
	snprintf(j->device_id, sizeof j->device_id, "%s",
	         match && by_serial == 1 ? status_str(match, "id", j->device) : j->device);
	if (match && by_serial == 1) {
		const cJSON *leds = cJSON_GetObjectItemCaseSensitive(match, "leds"), *l;
		size_t used = 0;

		cJSON_ArrayForEach(l, leds)
			if (cJSON_IsString(l) && used < sizeof j->device_leds)
				used += (size_t)snprintf(j->device_leds + used,
				                         sizeof j->device_leds - used, "%s%s",
				                         used ? ", " : "", l->valuestring);
	}
}

static void send_request(struct conn *c, struct led_job *j)
{
	cJSON *req = cJSON_CreateObject(), *ping = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(req, "type", "led");
	cJSON_AddStringToObject(req, "device_id", j->device_id);
	cJSON_AddStringToObject(req, "led", j->led);
	cJSON_AddStringToObject(req, "color", j->color);
	if (j->mode)
		cJSON_AddStringToObject(req, "mode", j->mode);
	cJSON_AddStringToObject(ping, "type", "ping");
	cJSON_AddStringToObject(ping, "id", PING_ID);
	if ((text = cJSON_PrintUnformatted(req)) != NULL)
		conn_send(c, text);
	free(text);
	if ((text = cJSON_PrintUnformatted(ping)) != NULL)
		conn_send(c, text);
	free(text);
	cJSON_Delete(req);
	cJSON_Delete(ping);
	j->sent = true;
}

static void on_message(struct conn *c, const cJSON *msg, const char *text, size_t len,
                       void *arg)
{
	struct led_job *j = arg;
	const char *type = status_str(msg, "type", "");

	(void)text;
	(void)len;
	if (strcmp(type, "hello") == 0 && !j->sent) {
		resolve_device(j, cJSON_GetObjectItemCaseSensitive(msg, "devices"));
		send_request(c, j);
	} else if (strcmp(type, "error") == 0 && j->sent && !j->answered) {
		j->failed = true;
		snprintf(j->code, sizeof j->code, "%s", status_str(msg, "code", "error"));
		snprintf(j->message, sizeof j->message, "%s", status_str(msg, "message", ""));
	} else if (strcmp(type, "pong") == 0 && j->sent &&
	           strcmp(status_str(msg, "id", ""), PING_ID) == 0) {
		j->answered = true;
		conn_finish(c);
	}
}

int cmd_led(const struct cli_opts *o)
{
	static const struct conn_handlers handlers = { .message = on_message };
	struct led_job j;
	char err[256];
	int rc;

	if (o->argc < 3 || o->argc > 4)
		return cli_fail(o, EXIT_USAGE, "usage",
		                "usage: dictabridge led DEVICE LED COLOR [MODE] (see --help)");
	memset(&j, 0, sizeof j);
	j.o = o;
	j.device = o->argv[0];
	j.led = o->argv[1];
	j.color = o->argv[2];
	j.mode = o->argc == 4 ? o->argv[3] : NULL;

	rc = conn_ws_run(o->port, &handlers, &j, LED_TIMEOUT_MS, err, sizeof err);
	if (rc == CONN_DOWN)
		return cli_not_running(o);
	if (rc != CONN_OK || !j.answered)
		return cli_fail(o, EXIT_FAILED, "connection", "%s",
		                err[0] ? err : "the daemon did not confirm the request");
	if (j.failed) {
		if (strcmp(j.code, "unknown_led") == 0 || (strcmp(j.code, "invalid_field") == 0 &&
		                                           strstr(j.message, "'led'"))) {
			if (j.device_leds[0])
				return cli_fail(o, EXIT_FAILED, j.code, "%s: %s (its LEDs: %s)",
				                j.device_id, j.message, j.device_leds);
			return cli_fail(o, EXIT_FAILED, j.code, "%s: %s (it has no LEDs)",
			                j.device_id, j.message);
		}
		return cli_fail(o, EXIT_FAILED, j.code, "%s: %s", j.device_id, j.message);
	}
	if (o->json) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddTrueToObject(r, "ok");
		cJSON_AddStringToObject(r, "device_id", j.device_id);
		cJSON_AddStringToObject(r, "led", j.led);
		cJSON_AddStringToObject(r, "color", j.color);
		cJSON_AddStringToObject(r, "mode", j.mode ? j.mode : "on");
		cli_print_json(r);
		cJSON_Delete(r);
	} else {
		printf("%s: LED %s set to %s%s%s\n", j.device_id, j.led, j.color,
		       j.mode && strcmp(j.color, "off") != 0 ? ", " : "",
		       j.mode && strcmp(j.color, "off") != 0 ? j.mode : "");
	}
	return EXIT_OK;
}
