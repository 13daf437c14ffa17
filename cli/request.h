/* One request to dictabridged over the WebSocket, confirmed with a `ping`. The daemon
 * answers a good request with nothing and a bad one with an `error`, and handles a
 * connection's messages in order: an `error` before the `pong` is the request's failure,
 * the `pong` alone means the daemon accepted it. */
#ifndef DICTABRIDGE_CLI_REQUEST_H
#define DICTABRIDGE_CLI_REQUEST_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

struct cli_request {
	/* DEVICE as the user gave it (cli.h). NULL: the only virtual device. */
	const char *device;
	/* The request for device_id, encoded (a protocol/message.h pm_req_* encoder). */
	char *(*encode)(const char *device_id, void *arg);
	void *arg;

	/* Results. */
	char device_id[128];        /* the id the request was sent for */
	cJSON *device_obj;          /* that device's object from `hello`, or NULL; the caller
	                             * frees it with cJSON_Delete */
	bool failed;                /* refused: code and message say why */
	char code[64], message[512];
};

/* Runs the request. EXIT_OK when the daemon answered (r->failed tells how); otherwise
 * the failure is already reported and its exit code returned. */
int cli_request_run(const struct cli_opts *o, struct cli_request *r);

#endif
