/* dictabridge mode DEVICE MODE: switches a SpeechMike's event mode (a `mode` request,
 * cli/request.h). The unit then leaves and comes back, in browser mode under another
 * product id and so another device id. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/request.h"
#include "protocol/message.h"

static char *encode(const char *device_id, void *arg)
{
	return pm_req_mode(device_id, arg);
}

int cmd_mode(const struct cli_opts *o)
{
	struct cli_request r = { .encode = encode };
	int rc;

	if (o->argc != 2)
		return cli_fail(o, EXIT_USAGE, "usage",
		                "usage: dictabridge mode DEVICE MODE (see --help)");
	r.device = o->argv[0];
	r.arg = o->argv[1];
	rc = cli_request_run(o, &r);
	cJSON_Delete(r.device_obj);
	if (rc != EXIT_OK)
		return rc;
	if (r.failed)
		return cli_fail(o, EXIT_FAILED, r.code, "%s: %s", r.device_id, r.message);
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "device_id", r.device_id);
		cJSON_AddStringToObject(j, "mode", o->argv[1]);
		cJSON_AddTrueToObject(j, "reenumerates");
		cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("%s: switching to %s mode; the unit disconnects and comes back (in "
		       "browser mode under another product id, so with another device id)\n",
		       r.device_id, o->argv[1]);
	}
	return EXIT_OK;
}
