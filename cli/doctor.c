/* dictabridge doctor: every check that stands between a radiologist and dictation, one
 * line each (OK / WARN / FAIL / SKIP), with how to fix each failure. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/conn.h"
#include "cli/hidraw.h"
#include "cli/soundserver.h"
#include "cli/status.h"
#include "daemon/config.h"
#include "daemon/sockdiag.h"
#include "devices/driver.h"

#define RULE_FILE "70-dictabridge.rules"
#define RULE_DIRS "/etc/udev/rules.d:/lib/udev/rules.d:/usr/lib/udev/rules.d:" \
                  "/usr/local/lib/udev/rules.d"

enum verdict { V_OK, V_WARN, V_FAIL, V_SKIP };
static const char *const verdict_names[] = { "OK", "WARN", "FAIL", "SKIP" };

struct report {
	const struct cli_opts *o;
	cJSON *checks;                 /* --json */
	int counts[4];
	cJSON *status;                 /* dictabridged's GET /status; NULL when it is not running */
};

static void check(struct report *r, enum verdict v, const char *name, const char *fix,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void check(struct report *r, enum verdict v, const char *name, const char *fix,
                  const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	r->counts[v]++;
	if (r->o->json) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "check", name);
		cJSON_AddStringToObject(c, "verdict", verdict_names[v]);
		cJSON_AddStringToObject(c, "detail", detail);
		if (fix)
			cJSON_AddStringToObject(c, "fix", fix);
		else
			cJSON_AddNullToObject(c, "fix");
		cJSON_AddItemToArray(r->checks, c);
		return;
	}
	printf("%-4s  %-8s %s\n", verdict_names[v], name, detail);
	if (fix && (v == V_FAIL || v == V_WARN))
		printf("      %-8s fix: %s\n", "", fix);
}

/* ---- the daemon and its port -------------------------------------------------------- */

static void check_daemon(struct report *r)
{
	int port = r->o->port;
	char err[256], fix[512];
	cJSON *st = NULL;
	int rc = conn_get_status(port, &st, err, sizeof err);
	uid_t holder;
	bool ours = rc == CONN_OK && strcmp(status_str(st, "name", ""), "dictabridged") == 0;

	if (ours) {
		const cJSON *devs = cJSON_GetObjectItemCaseSensitive(st, "devices");

		check(r, V_OK, "daemon", NULL,
		      "dictabridged %s answers on 127.0.0.1:%d (%d device%s, %d client%s)",
		      status_str(st, "version", "?"), port, cJSON_GetArraySize(devs),
		      cJSON_GetArraySize(devs) == 1 ? "" : "s", status_int(st, "clients", 0),
		      status_int(st, "clients", 0) == 1 ? "" : "s");
		check(r, V_OK, "port", NULL, "127.0.0.1:%d is held by dictabridged", port);
		r->status = st;
		return;
	} else if (rc == CONN_DOWN) {
		check(r, V_FAIL, "daemon",
		      "start it with `systemctl --user start dictabridge` (or run `dictabridged`); "
		      "if it stopped, `journalctl --user -u dictabridge` says why",
		      "dictabridged is not running on 127.0.0.1:%d", port);
		check(r, V_OK, "port", NULL, "127.0.0.1:%d is free for dictabridged", port);
	} else if (sockdiag_listener_uid(AF_INET, port, &holder) == 0 && holder != geteuid()) {
		check(r, V_FAIL, "daemon", "see the port check below",
		      "dictabridged does not answer on 127.0.0.1:%d for you", port);
		snprintf(fix, sizeof fix,
		         "find and stop it (`sudo ss -ltnp 'sport = :%d'`); until then do not "
		         "dictate on this workstation", port);
		check(r, V_FAIL, "port", fix,
		      "127.0.0.1:%d is held by a program of another user (uid %u), not yours: "
		      "a security problem, it could receive your dictation and commands",
		      port, (unsigned)holder);
	} else {
		check(r, V_FAIL, "daemon",
		      "see the port check below",
		      "dictabridged does not answer on 127.0.0.1:%d", port);
		snprintf(fix, sizeof fix,
		         "stop that program (`ss -ltnp 'sport = :%d'` names it) or move "
		         "dictabridged to another port (\"port\" in its configuration, and "
		         "--port here)", port);
		check(r, V_FAIL, "port", fix,
		      "127.0.0.1:%d is held by another program, not dictabridged (%s)", port, err);
	}
	cJSON_Delete(st);
}

/* ---- the udev rule ------------------------------------------------------------------- */

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The VID:PIDs of the table the rule text does not grant, as "vvvv:pppp ..." in out. */
static int missing_units(const char *rules, char *out, size_t cap)
{
	int missing = 0;
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < db_row_count; i++) {
		char needle[96];
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			if (db_rows[j].vendor_id == db_rows[i].vendor_id &&
			    db_rows[j].product_id == db_rows[i].product_id)
				seen = true;
		if (seen)
			continue;
		snprintf(needle, sizeof needle, "ATTRS{idVendor}==\"%04x\", ATTRS{idProduct}==\"%04x\"",
		         db_rows[i].vendor_id, db_rows[i].product_id);
		if (strstr(rules, needle))
			continue;
		missing++;
		if (used < cap)
			used += (size_t)snprintf(out + used, cap - used, "%s%04x:%04x",
			                         used ? " " : "", db_rows[i].vendor_id,
			                         db_rows[i].product_id);
	}
	return missing;
}

static void check_udev_rule(struct report *r)
{
	static const char fix[] =
		"install the dictabridge package, or copy " RULE_FILE " (generated into "
		"build/udev/) to /etc/udev/rules.d/, run `sudo udevadm control --reload` and "
		"replug the device";
	const char *env = getenv("DICTABRIDGE_UDEV_RULES_DIRS");
	char *dirs = strdup(env && *env ? env : RULE_DIRS), *save = NULL, *dir;
	char found[1024] = "";

	if (!dirs)
		return;
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof found, "%s/%s", dir, RULE_FILE);
		if (access(found, F_OK) == 0)
			break;
		found[0] = '\0';
	}
	if (!found[0]) {
		check(r, V_FAIL, "udev", fix,
		      "%s is not installed (looked in %s): the devices' nodes are root's only "
		      "after a replug or reboot", RULE_FILE, env && *env ? env : RULE_DIRS);
	} else {
		char *text = read_file(found, 1024 * 1024), missing[256];
		int n;

		if (!text) {
			check(r, V_FAIL, "udev", fix, "%s cannot be read: %s", found, strerror(errno));
		} else if ((n = missing_units(text, missing, sizeof missing)) > 0) {
			check(r, V_WARN, "udev", fix,
			      "%s does not cover %d supported unit%s (%s): an older version?", found,
			      n, n == 1 ? "" : "s", missing);
		} else {
			check(r, V_OK, "udev", NULL, "%s is installed and covers every supported unit",
			      found);
		}
		free(text);
	}
	free(dirs);
}

/* ---- device nodes ------------------------------------------------------------------ */

static void check_nodes(struct report *r)
{
	struct hidraw_node nodes[HIDRAW_MAX_NODES];
	size_t n = hidraw_supported_nodes(nodes, HIDRAW_MAX_NODES);
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : "this user";

	if (n == 0) {
		check(r, V_WARN, "device",
		      "plug the dictation device in (`lsusb` should list it); a unit in a "
		      "mode this version does not know is not shown either",
		      "no supported dictation device is plugged in");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hidraw_node *d = &nodes[i];
		char fix[512];

		if (access(d->devnode, R_OK | W_OK) == 0) {
			check(r, V_OK, "device", NULL, "%s (%04x:%04x %s) is readable and writable by %s",
			      d->devnode, d->vendor_id, d->product_id, d->row->model, user);
			continue;
		}
		int e = errno;

		snprintf(fix, sizeof fix,
		         "install the udev rule (see the udev check) and replug the device; for a "
		         "quick try: sudo chmod a+rw %s", d->devnode);
		check(r, V_FAIL, "device", fix, "%s (%04x:%04x %s) is not readable and writable by %s: %s",
		      d->devnode, d->vendor_id, d->product_id, d->row->model, user, strerror(e));
	}
}

/* ---- configuration ---------------------------------------------------------------- */

static void check_config(struct report *r)
{
	static const char fix[] =
		"correct the file, check it with `dictabridged --check-config`, then reload "
		"the daemon (`systemctl --user reload dictabridge`, or SIGHUP)";
	struct config c;
	char err[512];

	if (config_load(r->o->config, &c, err, sizeof err) < 0) {
		check(r, V_FAIL, "config", fix, "%s", err);
		check(r, V_SKIP, "origins", NULL, "(the configuration does not load)");
		return;
	}
	if (c.source)
		check(r, V_OK, "config", NULL, "%s is valid (port %d)", c.source, c.port);
	else
		check(r, V_OK, "config", NULL, "no configuration file: built-in defaults (port %d)",
		      c.port);
	if (c.n_origins == 0) {
		char fix_origins[512];

		snprintf(fix_origins, sizeof fix_origins,
		         "add the reporting application's origin to \"allowed_origins\" in %s "
		         "(e.g. [\"https://ris.example.org\"]) or start dictabridged with "
		         "--allow-origin", c.source ? c.source : "$XDG_CONFIG_HOME/dictabridge/config.json");
		check(r, V_WARN, "origins", fix_origins,
		      "only the daemon's own pages are allowed (http://127.0.0.1:%d, "
		      "http://localhost:%d, http://[::1]:%d): a web page served from elsewhere, "
		      "another loopback port included, is refused", c.port, c.port, c.port);
	} else {
		char list[512];
		size_t used = 0;

		list[0] = '\0';
		for (size_t i = 0; i < c.n_origins && used < sizeof list; i++)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
			                         i ? ", " : "", c.origins[i]);
		check(r, V_OK, "origins", NULL, "%zu allowed besides the daemon's own: %s",
		      c.n_origins, list);
	}
	if (c.allow_null_origin)
		check(r, V_WARN, "null-origin", "remove \"allow_null_origin\" unless a local page "
		      "needs it",
		      "allow_null_origin is set: any web site can reach the daemon from a sandboxed "
		      "iframe (Origin: null)");
	config_free(&c);
}

/* ---- microphones ---------------------------------------------------------------------- */

/* What a browser's getUserMedia records unless told otherwise: the sound server's default
 * input. For a unit whose microphone the daemon knows, whether that is it, and the command
 * that makes it so. The unit's source is the one the daemon last captured from when it
 * says (device.audio.server_source), else the daemon's rule applied to its card or name. */
static void check_browser_mic(struct report *r, const cJSON *dev, const cJSON *audio)
{
	const char *id = status_str(dev, "id", "?");
	const char *source = status_str(audio, "source", "");
	const char *known = status_str(audio, "server_source", NULL);
	struct capture_source want;
	struct soundserver_view v;
	char why[256], fix[CAPTURE_PATH_MAX + 64];

	memset(&want, 0, sizeof want);
	want.kind = known || strcmp(source, "config") == 0 ? CAPTURE_NAMED : CAPTURE_CARD;
	want.card = status_int(audio, "card", -1);
	snprintf(want.name, sizeof want.name, "%s", known ? known : status_str(audio, "name", ""));
	if (!soundserver_view(&want, &v, why, sizeof why)) {
		check(r, V_SKIP, "browser", NULL, "(%s: a browser records ALSA's default device, "
		      "dictabridged the unit's card directly)", why);
		return;
	}
	if (strcmp(source, "default") == 0) {
		check(r, V_OK, "browser", NULL, "%s: a browser and dictabridged both record the "
		      "default input (%s)", id, v.default_source);
	} else if (!v.unit_source[0]) {
		check(r, V_WARN, "browser", "give the unit's card a profile with an input in the "
		      "sound settings (`pactl list cards` shows its profiles)", "%s: the sound "
		      "server has no source for its microphone (%s): dictabridged records it "
		      "through ALSA, and holds it while it does", id, want.name);
	} else if (strcmp(v.unit_source, v.default_source) == 0) {
		check(r, V_OK, "browser", NULL, "%s: the default input is its microphone (%s): a "
		      "browser records it", id, v.unit_description);
	} else {
		snprintf(fix, sizeof fix, "pactl set-default-source %s", v.unit_source);
		check(r, V_WARN, "browser", fix, "%s: the default input is %s, not its microphone "
		      "(%s): a browser records the other one unless the page chooses", id,
		      v.default_source[0] ? v.default_source : "(none)", v.unit_description);
	}
}

/* Per connected device, the microphone audio.start would capture from: the daemon's
 * pairing is what counts, so this reads its /status rather than guessing from sysfs. */
static void check_audio(struct report *r)
{
	static const char fix[] =
		"if `arecord -l` lists the unit's own sound card, replug the unit; otherwise name "
		"its capture device: `dictabridged --audio-device NAME`, or \"audio\": "
		"{\"device\": \"NAME\"} in the configuration (NAME: a PortAudio device name, or "
		"part of it)";
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(r->status, "devices"), *dev;

	if (!r->status) {
		check(r, V_SKIP, "audio", NULL, "(dictabridged is not running: it pairs the "
		      "microphones)");
		return;
	}
	if (cJSON_GetArraySize(devs) == 0) {
		check(r, V_SKIP, "audio", NULL, "(no device is connected)");
		return;
	}
	cJSON_ArrayForEach(dev, devs) {
		const cJSON *audio = cJSON_GetObjectItemCaseSensitive(dev, "audio");
		const char *id = status_str(dev, "id", "?"), *model = status_str(dev, "model", "?");
		const char *source = status_str(audio, "source", "");
		const char *name = status_str(audio, "name", "?");

		if (cJSON_IsObject(audio) && strcmp(source, "paired") == 0)
			check(r, V_OK, "audio", NULL, "%s (%s): microphone %s (its own sound card, "
			      "card %d)", id, model, name, status_int(audio, "card", -1));
		else if (cJSON_IsObject(audio) && strcmp(source, "config") == 0)
			check(r, V_OK, "audio", NULL, "%s (%s): microphone %s (from the "
			      "configuration)", id, model, name);
		else if (cJSON_IsObject(audio))
			check(r, V_OK, "audio", NULL, "%s (%s): the system's default microphone "
			      "(audio.allow_system_default)", id, model);
		else if (db_family_has_microphone(db_family_from_name(status_str(dev, "family",
		                                                                 ""))) &&
		         !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dev, "virtual")))
			check(r, V_WARN, "audio", fix, "%s (%s) has no microphone: no sound card of "
			      "the same USB unit, and no audio.device configured", id, model);
		else
			check(r, V_OK, "audio", NULL, "%s (%s): no microphone (none built in)", id,
			      model);
	}
	cJSON_ArrayForEach(dev, devs) {
		const cJSON *audio = cJSON_GetObjectItemCaseSensitive(dev, "audio");

		if (cJSON_IsObject(audio))
			check_browser_mic(r, dev, audio);
	}
}

/* Virtual units (for testing only) and units the daemon cannot hear (their event mode). */
static void check_devices(struct report *r)
{
	const cJSON *dev;

	cJSON_ArrayForEach(dev, cJSON_GetObjectItemCaseSensitive(r->status, "devices")) {
		const char *id = status_str(dev, "id", "?");
		const cJSON *warning = cJSON_GetObjectItemCaseSensitive(dev, "warning");

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dev, "virtual")))
			check(r, V_WARN, "devices", "remove --virtual-device and \"virtual_devices\" "
			      "from the daemon's start-up unless you are testing",
			      "%s is a virtual device: no hardware behind it, for testing only", id);
		if (cJSON_IsString(warning))
			check(r, V_WARN, "devices", NULL, "%s: %s", id, warning->valuestring);
	}
}

/* ---- the whole report ------------------------------------------------------------- */

int cmd_doctor(const struct cli_opts *o)
{
	struct report r;
	int failed;

	if (o->argc > 0)
		return cli_fail(o, EXIT_USAGE, "usage", "doctor takes no arguments");
	memset(&r, 0, sizeof r);
	r.o = o;
	if (o->json)
		r.checks = cJSON_CreateArray();

	check_daemon(&r);
	check_udev_rule(&r);
	check_nodes(&r);
	check_config(&r);
	check_devices(&r);
	check_audio(&r);
	cJSON_Delete(r.status);

	failed = r.counts[V_FAIL];
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ok", failed == 0);
		cJSON_AddItemToObject(j, "checks", r.checks);
		cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("%s: %d OK, %d WARN, %d FAIL, %d SKIP\n",
		       failed ? "dictation is blocked" : "ready to dictate",
		       r.counts[V_OK], r.counts[V_WARN], failed, r.counts[V_SKIP]);
	}
	return failed ? EXIT_FAILED : EXIT_OK;
}
