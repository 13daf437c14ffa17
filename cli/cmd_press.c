/* dictabridge press BUTTON [--hold MS] [--device ID] and dictabridge slide POSITION
 * [--device ID]: input for a virtual device (`press` / `slide` requests, cli/request.h).
 * The daemon refuses both for real devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/request.h"
#include "protocol/message.h"

#define TAP_MS 100                  /* press without --hold: a finger's tap */

struct input_args {
	const char *name;           /* button or position */
	long hold_ms;
};

static char *encode_press(const char *device_id, void *arg)
{
	const struct input_args *a = arg;

	/* the daemon releases it: a CLI that exits early never leaves a button down */
	return pm_req_press(device_id, a->name, true, (uint32_t)a->hold_ms);
}

static char *encode_slide(const char *device_id, void *arg)
{
	const struct input_args *a = arg;

	return pm_req_slide(device_id, a->name);
}

/* NAME [--hold MS] [--device ID]; --hold only when hold is non-NULL. */
static int parse(const struct cli_opts *o, const char *usage, struct input_args *a,
                 long *hold, const char **device)
{
	for (int i = 0; i < o->argc; i++) {
		bool missing = false;
		const char *v;
		char *end;

		if ((v = cli_option_value(o, &i, "--device", &missing)) != NULL) {
			*device = v;
		} else if (hold && (v = cli_option_value(o, &i, "--hold", &missing)) != NULL) {
			*hold = strtol(v, &end, 10);
			if (end == v || *end || *hold < 1 || *hold > PM_MAX_HOLD_MS)
				return cli_fail(o, EXIT_USAGE, "usage",
				                "--hold: '%s' is not a duration of 1 to %d ms", v,
				                PM_MAX_HOLD_MS);
		} else if (missing) {
			return cli_fail(o, EXIT_USAGE, "usage", "%s needs a value", o->argv[i]);
		} else if (o->argv[i][0] == '-' && o->argv[i][1] == '-') {
			return cli_fail(o, EXIT_USAGE, "usage", "unknown option '%s'", o->argv[i]);
		} else if (!a->name) {
			a->name = o->argv[i];
		} else {
			return cli_fail(o, EXIT_USAGE, "usage", "usage: %s", usage);
		}
	}
	if (!a->name)
		return cli_fail(o, EXIT_USAGE, "usage", "usage: %s", usage);
	return EXIT_OK;
}

static int run(const struct cli_opts *o, struct cli_request *r, const char *what,
               const struct input_args *a)
{
	int rc = cli_request_run(o, r);

	cJSON_Delete(r->device_obj);
	if (rc != EXIT_OK)
		return rc;
	if (r->failed)
		return cli_fail(o, EXIT_FAILED, r->code, "%s: %s", r->device_id[0] ? r->device_id
		                                                                   : "dictabridge",
		                r->message);
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "device_id", r->device_id);
		cJSON_AddStringToObject(j, what, a->name);
		if (strcmp(what, "button") == 0)
			cJSON_AddNumberToObject(j, "hold_ms", (double)a->hold_ms);
		cli_print_json(j);
		cJSON_Delete(j);
	} else if (strcmp(what, "button") == 0) {
		printf("%s: %s pressed for %ld ms\n", r->device_id, a->name, a->hold_ms);
	} else {
		printf("%s: slide switch moved to %s\n", r->device_id, a->name);
	}
	return EXIT_OK;
}

int cmd_press(const struct cli_opts *o)
{
	struct input_args a = { .hold_ms = TAP_MS };
	struct cli_request r = { .encode = encode_press, .arg = &a };
	int rc = parse(o, "dictabridge press BUTTON [--hold MS] [--device ID]", &a, &a.hold_ms,
	               &r.device);

	return rc != EXIT_OK ? rc : run(o, &r, "button", &a);
}

int cmd_slide(const struct cli_opts *o)
{
	struct input_args a = { 0 };
	struct cli_request r = { .encode = encode_slide, .arg = &a };
	int rc = parse(o, "dictabridge slide POSITION [--device ID]", &a, NULL, &r.device);

	return rc != EXIT_OK ? rc : run(o, &r, "position", &a);
}
