/* dictabridge led DEVICE LED COLOR [MODE]: one `led` request (cli/request.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/request.h"
#include "protocol/message.h"

struct led_args {
	const char *led, *color, *mode;
};

static char *encode(const char *device_id, void *arg)
{
	const struct led_args *a = arg;

	return pm_req_led(device_id, a->led, a->color, a->mode);
}

/* The device's LEDs as "record, f1, ...", for a better message. */
static void list_leds(const cJSON *dev, char *out, size_t cap)
{
	const cJSON *l;
	size_t used = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(dev, "leds"))
		if (cJSON_IsString(l) && used < cap)
			used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
			                         l->valuestring);
}

static int report(const struct cli_opts *o, const struct led_args *a,
                  const struct cli_request *r)
{
	char leds[256];

	if (r->failed) {
		list_leds(r->device_obj, leds, sizeof leds);
		if (strcmp(r->code, "unknown_led") == 0 || (strcmp(r->code, "invalid_field") == 0 &&
		                                             strstr(r->message, "'led'"))) {
			if (leds[0])
				return cli_fail(o, EXIT_FAILED, r->code, "%s: %s (its LEDs: %s)",
				                r->device_id, r->message, leds);
			return cli_fail(o, EXIT_FAILED, r->code, "%s: %s (it has no LEDs)",
			                r->device_id, r->message);
		}
		return cli_fail(o, EXIT_FAILED, r->code, "%s: %s", r->device_id, r->message);
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddStringToObject(j, "device_id", r->device_id);
		cJSON_AddStringToObject(j, "led", a->led);
		cJSON_AddStringToObject(j, "color", a->color);
		cJSON_AddStringToObject(j, "mode", a->mode ? a->mode : "on");
		cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("%s: LED %s set to %s%s%s\n", r->device_id, a->led, a->color,
		       a->mode && strcmp(a->color, "off") != 0 ? ", " : "",
		       a->mode && strcmp(a->color, "off") != 0 ? a->mode : "");
	}
	return EXIT_OK;
}

int cmd_led(const struct cli_opts *o)
{
	struct led_args a;
	struct cli_request r = { .encode = encode, .arg = &a };
	int rc;

	if (o->argc < 3 || o->argc > 4)
		return cli_fail(o, EXIT_USAGE, "usage",
		                "usage: dictabridge led DEVICE LED COLOR [MODE] (see --help)");
	r.device = o->argv[0];
	a.led = o->argv[1];
	a.color = o->argv[2];
	a.mode = o->argc == 4 ? o->argv[3] : NULL;
	rc = cli_request_run(o, &r);
	if (rc == EXIT_OK)
		rc = report(o, &a, &r);
	cJSON_Delete(r.device_obj);
	return rc;
}
