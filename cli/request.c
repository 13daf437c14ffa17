#include "cli/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/conn.h"
#include "cli/status.h"
#include "protocol/client.h"
#include "protocol/message.h"

#define REQUEST_TIMEOUT_MS 5000
#define PING_ID "dictabridge-request"

struct job {
	struct cli_request *r;
	bool sent, answered;
	bool ambiguous;             /* refused before sending: DEVICE is an ambiguous serial */
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

/* Without a DEVICE, the only virtual device. */
static const cJSON *only_virtual(struct cli_request *r, const cJSON *devices)
{
	const cJSON *dev, *match = NULL;
	int found = 0;

	cJSON_ArrayForEach(dev, devices) {
		if (is_virtual(dev)) {
			match = dev;
			found++;
		}
	}
	if (found == 1)
		return match;
	refuse(r, "unknown_device", found ? "several virtual devices: name one with --device"
	                                  : "no virtual device (start dictabridged with "
	                                    "--virtual-device FAMILY)");
	return NULL;
}

/* DEVICE as cli.h says. A name that is no device's is sent as it is: the daemon says
 * what is wrong with it. */
static void resolve_device(struct job *j, const cJSON *devices)
{
	struct cli_request *r = j->r;
	const cJSON *match = NULL;
	char candidates[256];

	if (!r->device) {
		match = only_virtual(r, devices);
	} else if (pm_device_lookup(devices, r->device, &match, candidates, sizeof candidates) ==
	           PM_LOOKUP_AMBIGUOUS) {
		j->ambiguous = true;
		refuse(r, "ambiguous_device", "");
		snprintf(r->message, sizeof r->message, CLI_AMBIGUOUS_SERIAL, r->device,
		         candidates);
	}
	if (match) {
		snprintf(r->device_id, sizeof r->device_id, "%s", status_str(match, "id", ""));
		r->device_obj = cJSON_Duplicate(match, true);
	} else if (r->device) {
		snprintf(r->device_id, sizeof r->device_id, "%s", r->device);
	}
}

static void on_message(struct conn *c, const cJSON *msg, const char *text, size_t len,
                       void *arg)
{
	struct job *j = arg;
	struct cli_request *r = j->r;
	const char *type = pm_message_type(msg);

	(void)text;
	(void)len;
	if (strcmp(type, "hello") == 0 && !j->sent) {
		j->sent = true;
		resolve_device(j, cJSON_GetObjectItemCaseSensitive(msg, "devices"));
		if (r->failed) {
			j->answered = true;
			conn_finish(c);
			return;
		}
		conn_send(c, r->encode(r->device_id, r->arg));
		conn_send(c, pm_req_ping(PING_ID));
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
	int rc = conn_ws_run(o->port, &handlers, &j, REQUEST_TIMEOUT_MS, err, sizeof err), code;

	if ((code = cli_unreachable(o, rc, err)) != EXIT_OK)
		return code;
	if (j.ambiguous)
		return cli_fail(o, EXIT_USAGE, r->code, "%s", r->message);
	if (rc != CONN_OK || !j.answered)
		return cli_fail(o, EXIT_FAILED, "connection", "%s",
		                err[0] ? err : "the daemon did not confirm the request");
	return EXIT_OK;
}
