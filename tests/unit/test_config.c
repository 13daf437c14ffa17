/* Config file parsing and lookup: every key's type and range, the error message's
 * file/key/position, the keymap safety rule, and the search order. */
#include "daemon/config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char err[512];

static int parse(const char *text, struct config *c)
{
	err[0] = '\0';
	return config_parse(text, strlen(text), "test.json", c, err, sizeof err);
}

/* Parses text, expecting failure with every fragment in the message. */
static void expect_error(const char *text, const char *frag1, const char *frag2)
{
	struct config c;
	int rc = parse(text, &c);
	CHECK(rc == -1, "accepted: %s", text);
	CHECK(strstr(err, "test.json") != NULL, "message does not name the file: %s", err);
	CHECK(frag1 == NULL || strstr(err, frag1) != NULL, "'%s' not in: %s", frag1, err);
	CHECK(frag2 == NULL || strstr(err, frag2) != NULL, "'%s' not in: %s", frag2, err);
	CHECK(c.port == CONFIG_DEFAULT_PORT && c.n_origins == 0,
	      "a failed parse leaves the defaults");
	config_free(&c);
}

static void test_defaults(void)
{
	struct config c;
	config_defaults(&c);
	CHECK(c.port == 27415, "default port %d", c.port);
	CHECK(c.n_origins == 0, "no extra origins by default");
	CHECK(c.identify_timeout_ms == 1000, "identify timeout %u", c.identify_timeout_ms);
	CHECK(c.log_level == LOG_INFO, "log level");
	CHECK(c.keymap.hold_ms == KM_DEFAULT_HOLD_MS, "hold");
	CHECK(c.keymap.release_delay_ms == KM_DEFAULT_RELEASE_DELAY_MS, "release delay");
	CHECK(!c.keymap.allow_short_press_destructive, "safety on by default");
	CHECK(c.source == NULL, "no source");
	config_free(&c);

	CHECK(parse("{}", &c) == 0, "empty object: %s", err);
	CHECK(c.port == 27415, "empty object keeps the defaults");
	config_free(&c);
}

static void test_full(void)
{
	struct config c;
	const char *text =
		"{ \"port\": 28000,\n"
		"  \"allowed_origins\": [\"https://ris.example.org\", \"https://*.pacs.example.org\"],\n"
		"  \"hold_ms\": 1500, \"identify_timeout_ms\": 200, \"log_level\": \"debug\",\n"
		"  \"release_delay_ms\": 0,\n"
		"  \"allow_short_press_destructive\": false,\n"
		"  \"keymap\": { \"speechmike\": { \"record_mode\": \"push_to_talk\",\n"
		"     \"buttons\": { \"f1\": { \"press\": \"report.process\" },\n"
		"                  \"eol\": { \"hold\": null } } } } }";
	CHECK(parse(text, &c) == 0, "full config: %s", err);
	CHECK(c.port == 28000, "port");
	CHECK(c.n_origins == 2, "origins %zu", c.n_origins);
	CHECK_STR(c.origins[0], "https://ris.example.org");
	CHECK_STR(c.origins[1], "https://*.pacs.example.org");
	CHECK(c.keymap.hold_ms == 1500, "hold_ms");
	CHECK(c.keymap.release_delay_ms == 0, "release_delay_ms");
	CHECK(c.identify_timeout_ms == 200, "identify");
	CHECK(c.log_level == LOG_DEBUG, "log level");
	const struct km_family_map *sm = &c.keymap.family[DB_FAMILY_SPEECHMIKE];
	CHECK(sm->push_to_talk, "push to talk");
	CHECK(sm->bind[DB_BTN_F1][KM_PRESS] == KM_REPORT_PROCESS, "f1 rebound");
	CHECK(sm->bind[DB_BTN_F1][KM_HOLD] == KM_NONE, "a listed button replaces its defaults");
	CHECK(sm->bind[DB_BTN_EOL][KM_HOLD] == KM_NONE, "null unbinds");
	CHECK(sm->bind[DB_BTN_RECORD][KM_PRESS] == KM_RECORD_TOGGLE, "unlisted buttons keep defaults");
	CHECK(c.keymap.family[DB_FAMILY_POWERMIC4].bind[DB_BTN_ENTER][KM_HOLD] == KM_REPORT_SIGN,
	      "other families keep their defaults");
	config_free(&c);
}

static void test_errors(void)
{
	expect_error("{ \"port\": 0 }", "port", "1");
	expect_error("{ \"port\": 70000 }", "port", NULL);
	expect_error("{ \"port\": \"27415\" }", "port", NULL);
	expect_error("{ \"port\": 1.5 }", "port", NULL);
	expect_error("{ \"hold_ms\": 10 }", "hold_ms", NULL);
	expect_error("{ \"release_delay_ms\": 5001 }", "release_delay_ms", "5000");
	expect_error("{ \"release_delay_ms\": -1 }", "release_delay_ms", NULL);
	expect_error("{ \"identify_timeout_ms\": true }", "identify_timeout_ms", NULL);
	expect_error("{ \"log_level\": \"loud\" }", "log_level", "debug");
	expect_error("{ \"allow_short_press_destructive\": 1 }", "allow_short_press_destructive", NULL);
	expect_error("{ \"prot\": 1 }", "prot", NULL);
	expect_error("{ \"port\": 1, \"port\": 2 }", "port", NULL);
	expect_error("[]", "object", NULL);
	expect_error("", NULL, NULL);
	expect_error("{ \"allowed_origins\": \"https://a.example\" }", "allowed_origins", NULL);
	expect_error("{ \"allowed_origins\": [\"https://a.example/\"] }", "allowed_origins", "https://a.example/");
	expect_error("{ \"allowed_origins\": [42] }", "allowed_origins", NULL);
	expect_error("{ \"keymap\": { \"trackball\": {} } }", "trackball", NULL);
	expect_error("{ \"keymap\": { \"speechmike\": { \"buttons\": { \"nope\": {} } } } }",
	             "nope", NULL);
	expect_error("{ \"keymap\": { \"speechmike\": { \"buttons\": { \"f1\": { \"tap\": null } } } } }",
	             "tap", NULL);
	expect_error("{ \"keymap\": { \"speechmike\": { \"buttons\": { \"f1\": { \"press\": \"explode\" } } } } }",
	             "f1.press", "record.toggle");
	expect_error("{ \"keymap\": { \"speechmike\": { \"record_mode\": \"latch\" } } }",
	             "record_mode", NULL);
	/* The safety rule: a destructive command on a short press needs the explicit opt-out. */
	expect_error("{ \"keymap\": { \"powermic4\": { \"buttons\": { \"enter\": { \"press\": \"report.sign\" } } } } }",
	             "report.sign", "enter");
	expect_error("{ \"keymap\": { \"speechmike\": { \"buttons\": { \"f4\": { \"release\": \"report.discard\" } } } } }",
	             "report.discard", NULL);

	expect_error("{ \"audio\": \"mic\" }", "audio", "object");
	expect_error("{ \"audio\": { \"device\": 5 } }", "audio.device", "string");
	expect_error("{ \"audio\": { \"device\": \"\" } }", "audio.device", "1 to 127");
	expect_error("{ \"audio\": { \"device\": \"a\\u0007b\" } }", "audio.device", "control");
	expect_error("{ \"audio\": { \"allow_system_default\": \"yes\" } }",
	             "audio.allow_system_default", NULL);
	expect_error("{ \"audio\": { \"capture_rate\": 11025 } }", "audio.capture_rate", "22050");
	expect_error("{ \"audio\": { \"capture_rate\": 48000.5 } }", "audio.capture_rate", NULL);
	expect_error("{ \"audio\": { \"rate\": 16000 } }", "audio.rate", "capture_rate");

	/* Syntax errors name the line and column. */
	struct config c;
	CHECK(parse("{\n  \"port\": 1,\n  \"hold_ms\" 900\n}", &c) == -1, "syntax error accepted");
	CHECK(strstr(err, "test.json:3:") != NULL, "syntax error without its line: %s", err);
	config_free(&c);

	/* Control characters in a bad key are not echoed raw into the log. */
	CHECK(parse("{ \"a\\u001b[31mb\": 1 }", &c) == -1, "escape key accepted");
	CHECK(strchr(err, '\x1b') == NULL, "raw escape in message: %s", err);
	config_free(&c);

	/* Every error has a non-empty message naming the file. */
	CHECK(parse("{ \"port\": null }", &c) == -1 && strncmp(err, "test.json", 9) == 0,
	      "message starts with the file: %s", err);
	config_free(&c);
}

static void test_audio(void)
{
	struct config c;
	char e[128];

	config_defaults(&c);
	CHECK(c.audio_device == NULL && !c.audio_allow_system_default && c.audio_capture_rate == 0,
	      "no microphone override by default");
	config_free(&c);
	CHECK(parse("{ \"audio\": { \"device\": \"USB Audio\", \"allow_system_default\": true,"
	            " \"capture_rate\": 22050 } }", &c) == 0, "audio: %s", err);
	CHECK_STR(c.audio_device, "USB Audio");
	CHECK(c.audio_allow_system_default && c.audio_capture_rate == 22050, "audio values");
	/* --audio-device replaces the file's device */
	CHECK(config_set_audio_device(&c, "pulse", e, sizeof e) == 0, "set: %s", e);
	CHECK_STR(c.audio_device, "pulse");
	CHECK(config_set_audio_device(&c, "", e, sizeof e) == -1 && strstr(e, "1 to 127"),
	      "empty name: %s", e);
	CHECK_STR(c.audio_device, "pulse");
	config_free(&c);
	CHECK(c.audio_device == NULL, "freed");
}

static void test_virtual_devices(void)
{
	struct config c;
	char e[256];

	config_defaults(&c);
	CHECK(c.n_virtual == 0, "no virtual device by default");
	config_free(&c);
	CHECK(parse("{ \"virtual_devices\": [\"speechmike\", \"speechmike:3710\", "
	            "\"foot_control\"] }", &c) == 0, "virtual_devices: %s", err);
	CHECK(c.n_virtual == 3 && c.virtual_devices[0].family == DB_FAMILY_SPEECHMIKE &&
	          c.virtual_devices[0].code == 0 && c.virtual_devices[1].code == 3710 &&
	          c.virtual_devices[2].family == DB_FAMILY_FOOT_CONTROL,
	      "virtual values");
	/* --virtual-device adds to the file's */
	CHECK(config_add_virtual_device(&c, "vec_pedal", e, sizeof e) == 0, "add: %s", e);
	CHECK(c.n_virtual == 4 && c.virtual_devices[3].family == DB_FAMILY_VEC_PEDAL, "added");
	static const char *const bad[] = {
		"trumpet", "speechmike:9999", "speechmike:", "speechmike:0", "speechmike:3710x",
		"foot_control:3710", "speechmike:-3710", "", ":3710",
		"speechmikespeechmikespeechmikespeechmike",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(config_add_virtual_device(&c, bad[i], e, sizeof e) == -1 && e[0],
		      "accepted \"%s\"", bad[i]);
	CHECK(c.n_virtual == 4, "nothing added by the bad ones");
	while (c.n_virtual < CONFIG_MAX_VIRTUAL)
		CHECK(config_add_virtual_device(&c, "powermic3", e, sizeof e) == 0, "fill: %s", e);
	CHECK(config_add_virtual_device(&c, "powermic3", e, sizeof e) == -1 &&
	          strstr(e, "at most"), "over the limit: %s", e);
	config_free(&c);
	CHECK(c.n_virtual == 0, "freed");
	expect_error("{ \"virtual_devices\": \"speechmike\" }", "virtual_devices", "array");
	expect_error("{ \"virtual_devices\": [3] }", "virtual_devices[0]", "string");
	expect_error("{ \"virtual_devices\": [\"speechmike\", \"kazoo\"] }",
	             "virtual_devices[1]", "kazoo");
}

static void test_short_press_opt_out(void)
{
	struct config c;
	const char *text =
		"{ \"allow_short_press_destructive\": true, \"keymap\": { \"powermic4\": {"
		" \"buttons\": { \"enter\": { \"press\": \"report.sign\" } } } } }";
	CHECK(parse(text, &c) == 0, "opt-out accepted: %s", err);
	CHECK(c.keymap.family[DB_FAMILY_POWERMIC4].bind[DB_BTN_ENTER][KM_PRESS] == KM_REPORT_SIGN,
	      "press bound");
	config_free(&c);
}

static void test_origins_limit(void)
{
	struct config c;
	config_defaults(&c);
	char origin[64];
	int rc = 0;
	for (int i = 0; i < CONFIG_MAX_ORIGINS && rc == 0; i++) {
		snprintf(origin, sizeof origin, "https://h%d.example.org", i);
		rc = config_add_origin(&c, origin, err, sizeof err);
	}
	CHECK(rc == 0 && c.n_origins == CONFIG_MAX_ORIGINS, "room for the maximum: %s", err);
	CHECK(config_add_origin(&c, "https://one-more.example.org", err, sizeof err) == -1,
	      "one past the maximum accepted");
	CHECK(config_add_origin(&c, "not an origin", err, sizeof err) == -1, "invalid accepted");
	CHECK(strstr(err, "not an origin") != NULL, "message quotes the value: %s", err);
	config_free(&c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void test_load(void)
{
	char dir[] = "/tmp/dictabridge-config-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	char sub[128], file[160], explicit[160];
	snprintf(sub, sizeof sub, "%s/dictabridge", dir);
	snprintf(file, sizeof file, "%s/config.json", sub);
	snprintf(explicit, sizeof explicit, "%s/explicit.json", dir);
	mkdir(sub, 0700);
	struct config c;

	/* XDG_CONFIG_HOME with no file: fall through (the system file is absent on test machines). */
	setenv("XDG_CONFIG_HOME", dir, 1);
	if (access("/etc/dictabridge/config.json", F_OK) != 0) {
		CHECK(config_load(NULL, &c, err, sizeof err) == 0, "defaults: %s", err);
		CHECK(c.source == NULL, "no source for the defaults");
		config_free(&c);
	}

	write_file(file, "{ \"port\": 30001 }");
	CHECK(config_load(NULL, &c, err, sizeof err) == 0, "xdg file: %s", err);
	CHECK(c.port == 30001, "xdg port");
	CHECK_STR(c.source, file);
	config_free(&c);

	/* A relative XDG_CONFIG_HOME is ignored (XDG spec); HOME/.config is used instead. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	char home[160], homecfg[200];
	snprintf(home, sizeof home, "%s/home", dir);
	snprintf(homecfg, sizeof homecfg, "%s/.config", home);
	mkdir(home, 0700);
	mkdir(homecfg, 0700);
	snprintf(homecfg, sizeof homecfg, "%s/.config/dictabridge", home);
	mkdir(homecfg, 0700);
	snprintf(homecfg, sizeof homecfg, "%s/.config/dictabridge/config.json", home);
	write_file(homecfg, "{ \"port\": 30002 }");
	setenv("HOME", home, 1);
	CHECK(config_load(NULL, &c, err, sizeof err) == 0 && c.port == 30002, "HOME fallback: %s", err);
	config_free(&c);

	/* A bad file in the search path is an error naming it. */
	setenv("XDG_CONFIG_HOME", dir, 1);
	write_file(file, "{ \"port\": -1 }");
	CHECK(config_load(NULL, &c, err, sizeof err) == -1, "bad xdg file accepted");
	CHECK(strstr(err, file) != NULL, "message names the file: %s", err);
	config_free(&c);

	/* --config wins over the search path, and must exist. */
	write_file(explicit, "{ \"hold_ms\": 300 }");
	CHECK(config_load(explicit, &c, err, sizeof err) == 0 && c.keymap.hold_ms == 300,
	      "explicit: %s", err);
	config_free(&c);
	CHECK(config_load("/nonexistent/dictabridge.json", &c, err, sizeof err) == -1,
	      "missing explicit file accepted");
	CHECK(strstr(err, "/nonexistent/dictabridge.json") != NULL, "names it: %s", err);
	config_free(&c);

	/* Not a regular file (a directory, a FIFO): refused without blocking. */
	CHECK(config_load(dir, &c, err, sizeof err) == -1, "directory accepted");
	config_free(&c);
	char fifo[160];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	if (mkfifo(fifo, 0600) == 0) {
		CHECK(config_load(fifo, &c, err, sizeof err) == -1, "fifo accepted");
		CHECK(strstr(err, "regular") != NULL, "fifo message: %s", err);
		config_free(&c);
		unlink(fifo);
	}

	/* Over the size limit. */
	FILE *f = fopen(explicit, "w");
	for (int i = 0; f != NULL && i < CONFIG_MAX_FILE_BYTES / 8 + 1; i++)
		fputs("        ", f);
	if (f != NULL)
		fclose(f);
	CHECK(config_load(explicit, &c, err, sizeof err) == -1 && strstr(err, "large") != NULL,
	      "oversized file: %s", err);
	config_free(&c);

	unlink(explicit);
	unlink(file);
	unlink(homecfg);
	snprintf(homecfg, sizeof homecfg, "%s/.config/dictabridge", home);
	rmdir(homecfg);
	snprintf(homecfg, sizeof homecfg, "%s/.config", home);
	rmdir(homecfg);
	rmdir(home);
	rmdir(sub);
	rmdir(dir);
}

static void test_parse_port(void)
{
	CHECK(config_parse_port("27415") == 27415, "plain port");
	CHECK(config_parse_port("1") == 1 && config_parse_port("65535") == 65535, "bounds");
	static const char *const bad[] = { "", "0", "65536", "-1", "80x", " 80", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(config_parse_port(bad[i]) == -1, "\"%s\" accepted", bad[i]);
}

static void test_comments(void)
{
	struct config c;
	const char *text =
		"// dictabridge configuration\n"
		"{\n"
		"  /* the reporting site */\n"
		"  \"allowed_origins\": [\"https://ris.example.org\"], // the RIS\n"
		"  \"port\": 28000 /* no\n comment */\n"
		"}\n// end";
	CHECK(parse(text, &c) == 0, "commented config: %s", err);
	CHECK(c.port == 28000 && c.n_origins == 1, "values around comments");
	config_free(&c);

	/* Comment markers inside strings are text. */
	CHECK(parse("{ \"allowed_origins\": [\"https://a//b\"] }", &c) == -1, "string kept");
	CHECK(strstr(err, "https://a//b") != NULL, "the string reached the checker: %s", err);
	config_free(&c);
	CHECK(parse("{ \"log_level\": \"/*\" }", &c) == -1 && strstr(err, "log_level") != NULL,
	      "block marker in a string: %s", err);
	config_free(&c);

	/* Positions still count the comments. */
	CHECK(parse("// one\n/* two\n */ { \"port\" 1 }", &c) == -1, "syntax error");
	CHECK(strstr(err, "test.json:3:") != NULL, "line after comments: %s", err);
	config_free(&c);
	CHECK(parse("{ \"port\": 1 /* open", &c) == -1, "unterminated comment accepted");
	CHECK(strstr(err, "test.json:1:13:") != NULL && strstr(err, "unterminated comment") != NULL,
	      "unterminated comment: %s", err);
	config_free(&c);
}

int main(void)
{
	test_comments();
	test_parse_port();
	test_defaults();
	test_full();
	test_errors();
	test_audio();
	test_virtual_devices();
	test_short_press_opt_out();
	test_origins_limit();
	test_load();
	return CHECK_DONE();
}
