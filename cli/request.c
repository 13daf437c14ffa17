#include "cli/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/conn.h"
#include "cli/status.h"

#define REQUEST_TIMEOUT_MS 5000
#define PING_ID "dictabridge-request"

struct job {
	struct cli_request *r;
	bool sent, answered;
};

static void refuse(struct cli_request *r, const char *code, const char *message)
{
	r->failed = true;
	snprintf(r->code, sizeof r->code, "%s", code);
	snprintf(r->message, sizeof r->message, "%s", message);
}

static bool is_virtual(const cJSON *dev)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dev, "virtual"));
}

/* DEVICE is an id, or the serial number of exactly one connected device; without one,
 * the only virtual device. Unresolved names are sent as they are: the daemon says what
 * is wrong with them. */
static void resolve_device(struct cli_request *r, const cJSON *devices)
{
	const cJSON *dev, *match = NULL;
	int found = 0;

	cJSON_ArrayForEach(dev, devices) {
		if (!r->device) {
			if (is_virtual(dev)) {
				match = dev;
				found++;
			}
		} else if (strcmp(status_str(dev, "id", ""), r->device) == 0) {
			match = dev;
			found = 1;
			break;
		} else if (strcmp(status_str(dev, "serial", ""), r->device) == 0) {
			match = dev;
			found++;
		}
	}
	if (match && found == 1) {
		snprintf(r->device_id, sizeof r->device_id, "%s", status_str(match, "id", ""));
		r->device_obj = cJSON_Duplicate(match, true);
	} else if (r->device) {
		snprintf(r->device_id, sizeof r->device_id, "%s", r->device);
	} else {
		refuse(r, "unknown_device", found ? "several virtual devices: name one with --device"
		                                  : "no virtual device (start dictabridged with "
		                                    "--virtual-device FAMILY)");
	}
}

static void send_json(struct conn *c, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text)
		conn_send(c, text);
	free(text);
	cJSON_Delete(o);
}

static void on_message(struct conn *c, const cJSON *msg, const char *text, size_t len,
                       void *arg)
{
	struct job *j = arg;
	struct cli_request *r = j->r;
	const char *type = status_str(msg, "type", "");

	(void)text;
	(void)len;
	if (strcmp(type, "hello") == 0 && !j->sent) {
		cJSON *req = cJSON_CreateObject(), *ping = cJSON_CreateObject();

		j->sent = true;
		resolve_device(r, cJSON_GetObjectItemCaseSensitive(msg, "devices"));
		if (r->failed) {
			cJSON_Delete(req);
			cJSON_Delete(ping);
			j->answered = true;
			conn_finish(c);
			return;
		}
		cJSON_AddStringToObject(req, "type", r->type);
		cJSON_AddStringToObject(req, "device_id", r->device_id);
		r->fill(req, r->arg);
		send_json(c, req);
		cJSON_AddStringToObject(ping, "type", "ping");
		cJSON_AddStringToObject(ping, "id", PING_ID);
		send_json(c, ping);
	} else if (strcmp(type, "error") == 0 && j->sent && !j->answered && !r->failed) {
		refuse(r, status_str(msg, "code", "error"), status_str(msg, "message", ""));
	} else if (strcmp(type, "pong") == 0 && j->sent &&
	           strcmp(status_str(msg, "id", ""), PING_ID) == 0) {
		j->answered = true;
		conn_finish(c);
	}
}

int cli_request_run(const struct cli_opts *o, struct cli_request *r)
{
	static const struct conn_handlers handlers = { .message = on_message };
	struct job j = { .r = r };
	char err[256] = "";
	int rc = conn_ws_run(o->port, &handlers, &j, REQUEST_TIMEOUT_MS, err, sizeof err);

	if (rc == CONN_DOWN)
		return cli_not_running(o);
	if (rc != CONN_OK || !j.answered)
		return cli_fail(o, EXIT_FAILED, "connection", "%s",
		                err[0] ? err : "the daemon did not confirm the request");
	return EXIT_OK;
}
