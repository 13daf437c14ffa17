/* dictabridge: global options, the port lookup, and dispatch to the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/status.h"
#include "daemon/config.h"
#include "protocol/message.h"
#include "dictabridge-version.h"

struct command {
	const char *name;
	int (*run)(const struct cli_opts *o);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "status", cmd_status, "", "is the daemon running? version, clients, devices" },
	{ "devices", cmd_devices, "", "the connected dictation devices" },
	{ "monitor", cmd_monitor, "", "print device events as they happen (Ctrl-C stops)" },
	{ "led", cmd_led, "DEVICE LED COLOR [MODE]", "set one LED of one device" },
	{ "record", cmd_record, "[--device ID] [--rate R] [--seconds N] [--out FILE]",
	  "record a device's microphone to a WAV file" },
	{ "mode", cmd_mode, "DEVICE MODE", "switch a SpeechMike's event mode (it re-enumerates)" },
	{ "press", cmd_press, "BUTTON [--hold MS] [--device ID]",
	  "press a virtual device's button" },
	{ "slide", cmd_slide, "POSITION [--device ID]",
	  "move a virtual device's slide switch" },
	{ "doctor", cmd_doctor, "", "check everything dictation needs, with fixes" },
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: dictabridge [--port N] [--json] COMMAND [ARG]...\n"
	        "The command-line client of dictabridged, the dictation device daemon.\n\n"
	        "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		char left[96];

		snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
		if (strlen(left) > 32)   /* a long synopsis gets a line of its own */
			fprintf(out, "  %s\n  %-32s %s\n", left, "", commands[i].help);
		else
			fprintf(out, "  %-32s %s\n", left, commands[i].help);
	}
	fprintf(out,
	        "\nOptions (before or after the command):\n"
	        "  --port N       the daemon's port (default: the configured port, %d)\n"
	        "  --json         machine-readable output (one JSON document; monitor: one\n"
	        "                 JSON message a line)\n"
	        "  --config FILE  the daemon's configuration file (doctor checks it; default:\n"
	        "                 the daemon's search order)\n"
	        "  --version      print the version and exit\n"
	        "  --help         print this help and exit\n\n"
	        "led: LED is record, instruction, ins_ovr or f1-f4; COLOR red, green or off;\n"
	        "MODE on (default), blink_slow or blink_fast. DEVICE is a device id (see\n"
	        "`dictabridge devices`) or a unique serial number.\n\n"
	        "record: ID as DEVICE above, needed only when several devices have a microphone;\n"
	        "R is 8000, 16000 (default), 22050, 44100 or 48000 Hz; without --seconds until\n"
	        "Ctrl-C or SIGTERM. 16-bit mono WAV to FILE, or to stdout ('-' or no --out) when\n"
	        "that is not a terminal. A summary on stderr (--json: on stdout, so with --out).\n"
	        "It exits 1 when the device is unplugged or its microphone fails (the file is\n"
	        "still a valid WAV of what arrived).\n\n"
	        "mode: MODE is hid, browser, keyboard, windows_sr, dragon_for_mac or\n"
	        "dragon_for_windows; dictabridge receives buttons in hid and browser mode only.\n"
	        "The unit disconnects and comes back, in browser mode under another product id.\n\n"
	        "press, slide: only virtual devices (dictabridged --virtual-device); without\n"
	        "--device, the only one. --hold MS keeps the button down MS milliseconds\n"
	        "(default 100: a short press).\n\n"
	        "Exit status: 0 success, 1 the daemon refused or a check failed, 2 usage or\n"
	        "not available, 3 dictabridged is not running, 4 something else holds the port.\n",
	        PM_DEFAULT_PORT);
}

const char *cli_option_value(const struct cli_opts *o, int *i, const char *name, bool *missing)
{
	const char *a = o->argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= o->argc) {
		*missing = true;
		return NULL;
	}
	return o->argv[++*i];
}

void cli_print_json(const cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text)
		printf("%s\n", text);
	free(text);
	fflush(stdout);
}

int cli_fail_with(const struct cli_opts *o, int code_exit, const char *code, const cJSON *extra,
                  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "dictabridge: %s\n", msg);
	if (o && o->json) {
		cJSON *j = cJSON_CreateObject();
		const cJSON *item;

		cJSON_AddFalseToObject(j, "ok");
		cJSON_AddStringToObject(j, "error", code);
		cJSON_AddStringToObject(j, "message", msg);
		cJSON_ArrayForEach(item, extra)
			cJSON_AddItemToObject(j, item->string, cJSON_Duplicate(item, true));
		cli_print_json(j);
		cJSON_Delete(j);
	}
	return code_exit;
}

int cli_not_running(const struct cli_opts *o)
{
	return cli_fail(o, EXIT_NOT_RUNNING, "not_running",
	                "dictabridged is not running on 127.0.0.1:%d (start it with "
	                "`systemctl --user start dictabridge` or `dictabridged`, or check "
	                "`journalctl --user -u dictabridge`)", o->port);
}

int cli_unreachable(const struct cli_opts *o, int conn_rc, const char *err)
{
	if (conn_rc == CONN_DOWN)
		return cli_not_running(o);
	if (conn_rc == CONN_UNTRUSTED)
		return cli_fail(o, EXIT_PROTOCOL, "untrusted", "%s", err);
	if (conn_rc == CONN_REFUSED) { /* only sessions refuse: status_fetch's GET never does */
		cJSON *st = NULL;
		int code = status_fetch(o, &st);

		cJSON_Delete(st);
		return code;
	}
	return EXIT_OK;
}

/* Without --port: the port the daemon would use, from its configuration; the default
 * when there is none or it does not load (doctor reports why). */
static int configured_port(const char *config_path)
{
	struct config c;
	char err[512];
	int port = PM_DEFAULT_PORT;

	if (config_load(config_path, &c, err, sizeof err) == 0) {
		port = c.port;
		config_free(&c);
	}
	return port;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	const struct command *cmd = NULL;
	char **rest;
	int n_rest = 0;

	memset(&o, 0, sizeof o);
	rest = calloc((size_t)argc + 1, sizeof *rest);
	if (!rest)
		return EXIT_FAILED;
	/* Options may come before or after the command; everything else is positional. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				rest[n_rest++] = argv[i];
			break;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			free(rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("dictabridge %s (protocol %d)\n", DICTABRIDGE_VERSION,
			       DICTABRIDGE_PROTOCOL);
			free(rest);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			o.json = true;
		} else if (strcmp(a, "--port") == 0 || strncmp(a, "--port=", 7) == 0) {
			const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : "");

			o.port = config_parse_port(v);
			o.port_given = true;
			if (o.port < 0) {
				fprintf(stderr, "dictabridge: --port: '%s' is not a port number "
				                "(1-65535)\n", v);
				free(rest);
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			o.config = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!o.config || !*o.config) {
				fprintf(stderr, "dictabridge: --config needs a file name\n");
				free(rest);
				return EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1] == '-' && n_rest > 0 &&
		           (strcmp(rest[0], "record") == 0 || strcmp(rest[0], "press") == 0 ||
		            strcmp(rest[0], "slide") == 0)) {
			rest[n_rest++] = argv[i];   /* the command's own options: it parses them */
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "dictabridge: unknown option '%s' (see --help)\n", a);
			free(rest);
			return EXIT_USAGE;
		} else {
			rest[n_rest++] = argv[i];
		}
	}
	if (n_rest == 0) {
		usage(stderr);
		free(rest);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(rest[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "dictabridge: unknown command '%s' (see --help)\n", rest[0]);
		free(rest);
		return EXIT_USAGE;
	}
	if (!o.port_given)
		o.port = configured_port(o.config);
	o.argc = n_rest - 1;
	o.argv = rest + 1;
	int rc = cmd->run(&o);

	free(rest);
	return rc;
}
