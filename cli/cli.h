/* dictabridge: the command-line client of dictabridged. Shared options, exit codes and
 * output helpers of every command. */
#ifndef DICTABRIDGE_CLI_CLI_H
#define DICTABRIDGE_CLI_CLI_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* Exit codes, the same for every command. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* the daemon refused the request, a doctor check failed */
	EXIT_USAGE = 2,         /* bad arguments, or a feature this version does not have */
	EXIT_NOT_RUNNING = 3,   /* nothing answers on the daemon's port */
	EXIT_PROTOCOL = 4,      /* something answers but it is not a working dictabridged */
};

/* DEVICE (a command's argument) names a device by id, or by a serial number that exactly
 * one connected device has (protocol/client.h). A serial number of several devices is
 * refused with this message (serial number, their ids), code "ambiguous_device" and
 * EXIT_USAGE: the user gives the id. */
#define CLI_AMBIGUOUS_SERIAL \
	"several devices have the serial number '%s' (%s): give the id (see `dictabridge devices`)"

struct cli_opts {
	int port;               /* resolved: --port, else the configured port */
	bool port_given;        /* --port was on the command line */
	bool json;              /* --json: machine-readable output on stdout */
	const char *config;     /* --config FILE (doctor, and the port lookup) */
	int argc;               /* the command's own arguments (after the command name) */
	char **argv;
};

/* Commands: each returns the process exit code. */
int cmd_status(const struct cli_opts *o);
int cmd_devices(const struct cli_opts *o);
int cmd_monitor(const struct cli_opts *o);
int cmd_led(const struct cli_opts *o);
int cmd_record(const struct cli_opts *o);
int cmd_doctor(const struct cli_opts *o);
int cmd_mode(const struct cli_opts *o);
int cmd_press(const struct cli_opts *o);
int cmd_slide(const struct cli_opts *o);

/* A command's own option: --name VALUE or --name=VALUE at argv[*i] (advancing *i past
 * VALUE); NULL when argv[*i] is not --name, or (with *missing set) when VALUE is. */
const char *cli_option_value(const struct cli_opts *o, int *i, const char *name,
                             bool *missing);

/* Prints o as one line of JSON on stdout and flushes it (a reader may be a pipe waiting
 * line by line). The caller keeps ownership of o. */
void cli_print_json(const cJSON *o);

/* "dictabridged is not running on 127.0.0.1:PORT (...)" on stderr (and as a JSON object
 * on stdout with --json); returns EXIT_NOT_RUNNING. */
int cli_not_running(const struct cli_opts *o);

/* A connection (cli/conn.h) that never reached a dictabridged to trust, reported the same
 * way by every command: CONN_DOWN as cli_not_running(); CONN_UNTRUSTED (another user's
 * program on the port; err says whose) as error "untrusted" with EXIT_PROTOCOL;
 * CONN_REFUSED (a WebSocket handshake refused) by asking GET /status whether the program
 * on the port is dictabridged at all, another program being reported as `status` reports
 * it ("not_dictabridged", EXIT_PROTOCOL). Returns that exit code, or EXIT_OK for any other
 * result, and for a refusing dictabridged (the command reports those). */
int cli_unreachable(const struct cli_opts *o, int conn_rc, const char *err);

/* An error message on stderr ("dictabridge: ..."), and with --json a JSON object
 * {"ok":false,"error":CODE,"message":...} on stdout, followed by the items of `extra` (an
 * object, or NULL; the caller keeps it) for a command that has more to say. Returns
 * `code_exit`. */
int cli_fail_with(const struct cli_opts *o, int code_exit, const char *code, const cJSON *extra,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define cli_fail(o, code_exit, code, ...) cli_fail_with(o, code_exit, code, NULL, __VA_ARGS__)

#endif
