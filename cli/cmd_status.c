/* dictabridge status and dictabridge devices: GET /status, shown as text or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/status.h"

const char *status_str(const cJSON *obj, const char *key, const char *fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : fallback;
}

int status_int(const cJSON *obj, const char *key, int fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valueint : fallback;
}

int status_fetch(const struct cli_opts *o, cJSON **out)
{
	char err[256];
	int rc = conn_get_status(o->port, out, err, sizeof err), code;

	if ((code = cli_unreachable(o, rc, err)) != EXIT_OK)
		return code;
	if (rc != CONN_OK)
		return cli_fail(o, EXIT_PROTOCOL, "not_dictabridged",
		                "something answers on 127.0.0.1:%d but it is not dictabridged (%s)",
		                o->port, err);
	if (strcmp(status_str(*out, "name", ""), "dictabridged") != 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return cli_fail(o, EXIT_PROTOCOL, "not_dictabridged",
		                "something answers on 127.0.0.1:%d but it is not dictabridged",
		                o->port);
	}
	return EXIT_OK;
}

static int device_count(const cJSON *st)
{
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(st, "devices");

	return cJSON_IsArray(devs) ? cJSON_GetArraySize(devs) : 0;
}

int cmd_status(const struct cli_opts *o)
{
	cJSON *st;
	int rc;

	if (o->argc > 0)
		return cli_fail(o, EXIT_USAGE, "usage", "status takes no arguments");
	rc = status_fetch(o, &st);
	if (rc != EXIT_OK)
		return rc;
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddTrueToObject(j, "ok");
		cJSON_AddTrueToObject(j, "running");
		cJSON_AddNumberToObject(j, "port", o->port);
		cJSON_AddStringToObject(j, "name", status_str(st, "name", ""));
		cJSON_AddStringToObject(j, "version", status_str(st, "version", ""));
		cJSON_AddNumberToObject(j, "protocol", status_int(st, "protocol", 0));
		cJSON_AddNumberToObject(j, "clients", status_int(st, "clients", 0));
		cJSON_AddNumberToObject(j, "devices", device_count(st));
		cli_print_json(j);
		cJSON_Delete(j);
	} else {
		int n = device_count(st);

		printf("dictabridged %s is running on 127.0.0.1:%d\n",
		       status_str(st, "version", "?"), o->port);
		printf("protocol: %d\n", status_int(st, "protocol", 0));
		printf("clients:  %d\n", status_int(st, "clients", 0));
		printf("devices:  %d\n", n);
	}
	cJSON_Delete(st);
	return EXIT_OK;
}

/* ---- devices ---------------------------------------------------------------------- */

enum { COL_ID, COL_MODEL, COL_SERIAL, COL_BUTTONS, COL_LEDS, COL_AUDIO, N_COLS };
static const char *const headings[N_COLS] = {
	"ID", "MODEL", "SERIAL", "BUTTONS", "LEDS", "AUDIO"
};

/* "a,b,c" from an array of strings; "-" when empty. Free the result. */
static char *joined(const cJSON *arr)
{
	size_t cap = 2, used = 0;
	const cJSON *e;
	char *s;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e))
			cap += strlen(e->valuestring) + 1;
	s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e))
			continue;
		used += (size_t)snprintf(s + used, cap - used, "%s%s", used ? "," : "",
		                         e->valuestring);
	}
	if (used == 0)
		snprintf(s, cap, "-");
	return s;
}

static void cells_of(const cJSON *dev, char *cells[N_COLS])
{
	const char *serial = status_str(dev, "serial", "-");

	cells[COL_ID] = strdup(status_str(dev, "id", "?"));
	cells[COL_MODEL] = strdup(status_str(dev, "model", "?"));
	cells[COL_SERIAL] = strdup(*serial ? serial : "-");
	cells[COL_BUTTONS] = joined(cJSON_GetObjectItemCaseSensitive(dev, "buttons"));
	cells[COL_LEDS] = joined(cJSON_GetObjectItemCaseSensitive(dev, "leds"));
	cells[COL_AUDIO] = strdup("-");   /* audio is not supported yet */
}

static void print_table(const cJSON *devs)
{
	int n = cJSON_GetArraySize(devs), i = 0;
	char *(*rows)[N_COLS] = calloc((size_t)n + 1, sizeof *rows);
	size_t width[N_COLS];
	const cJSON *dev;

	if (!rows)
		return;
	for (int c = 0; c < N_COLS; c++) {
		rows[0][c] = strdup(headings[c]);
		width[c] = strlen(headings[c]);
	}
	cJSON_ArrayForEach(dev, devs)
		cells_of(dev, rows[++i]);
	for (i = 0; i <= n; i++)
		for (int c = 0; c < N_COLS; c++)
			if (rows[i][c] && strlen(rows[i][c]) > width[c])
				width[c] = strlen(rows[i][c]);
	for (i = 0; i <= n; i++) {
		for (int c = 0; c < N_COLS; c++) {
			const char *cell = rows[i][c] ? rows[i][c] : "?";

			if (c == N_COLS - 1)
				printf("%s\n", cell);
			else
				printf("%-*s  ", (int)width[c], cell);
		}
	}
	for (i = 0; i <= n; i++)
		for (int c = 0; c < N_COLS; c++)
			free(rows[i][c]);
	free(rows);
}

int cmd_devices(const struct cli_opts *o)
{
	cJSON *st, *devs;
	int rc;

	if (o->argc > 0)
		return cli_fail(o, EXIT_USAGE, "usage", "devices takes no arguments");
	rc = status_fetch(o, &st);
	if (rc != EXIT_OK)
		return rc;
	devs = cJSON_GetObjectItemCaseSensitive(st, "devices");
	if (!cJSON_IsArray(devs)) {
		cJSON_Delete(st);
		return cli_fail(o, EXIT_PROTOCOL, "bad_status", "/status lists no devices array");
	}
	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *dev;

		cJSON_AddTrueToObject(j, "ok");
		cJSON_ArrayForEach(dev, devs)
			if (cJSON_IsObject(dev))
				cJSON_AddNullToObject(dev, "audio");
		cJSON_DetachItemViaPointer(st, devs);
		cJSON_AddItemToObject(j, "devices", devs);
		cli_print_json(j);
		cJSON_Delete(j);
	} else if (cJSON_GetArraySize(devs) == 0) {
		printf("no dictation device connected (see `dictabridge doctor` if one is "
		       "plugged in)\n");
	} else {
		print_table(devs);
	}
	cJSON_Delete(st);
	return EXIT_OK;
}
