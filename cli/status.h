/* Fetching /status for a command, with the common failure reporting. */
#ifndef DICTABRIDGE_CLI_STATUS_H
#define DICTABRIDGE_CLI_STATUS_H

#include <cjson/cJSON.h>

#include "cli/cli.h"

/* GET /status from dictabridged. On success returns EXIT_OK with the object in *out
 * (cJSON_Delete it); otherwise reports (not running, or another program on the port)
 * and returns the exit code. */
int status_fetch(const struct cli_opts *o, cJSON **out);

/* The daemon's string / integer field, or a fallback. */
const char *status_str(const cJSON *obj, const char *key, const char *fallback);
int status_int(const cJSON *obj, const char *key, int fallback);

#endif
