/* Configuration: parse with cJSON and check every key, the defaults, and the overrides the
 * command line applies.
 *
 * Every object is walked member by member against a closed set of names, so an unknown
 * or repeated key is an error rather than silently ignored; each check reports the
 * dotted key path of the offending value. Finding and reading the file is config_load.c's.
 *
 * Over 600 lines on purpose: it is one closed schema walked by one parser state (the key
 * path and the first error, which every check writes); splitting the key parsers from
 * the walker would put that state in a header for no second user. */
#include "daemon/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/audio_frame.h"
#include "protocol/origin.h"
#include "protocol/utf8.h"

#define IDENTIFY_DEFAULT_MS 1000
#define IDENTIFY_MIN_MS 50
#define IDENTIFY_MAX_MS 10000

#define KEY_PATH_MAX 192   /* longest key path shown in a message */
#define SHOWN_MAX 64       /* longest user string (key, origin) quoted in a message */
#define EXCERPT_MAX 24     /* bytes of the offending line shown for a syntax error */

#define COUNT_OF(a) (sizeof (a) / sizeof (a)[0])
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define MAX_ORIGINS_TEXT STRINGIFY(CONFIG_MAX_ORIGINS)

_Static_assert(DB_BTN_COUNT <= 64 && DB_FAMILY_COUNT <= 64,
               "walk_object tracks seen names in a uint64_t");

/* ---- messages ----------------------------------------------------------------- */

/* Copies at most `max` bytes of src (stopping at NUL) as printable ASCII, so file content
 * cannot inject control sequences into the log; longer text ends in "...". */
static void printable(char *dst, size_t cap, const char *src, size_t max)
{
	size_t n = 0, i = 0;
	for (; src[i] != '\0' && i < max && n + 1 < cap; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[n++] = ch >= ' ' && ch < 0x7f ? (char)ch : '?';
	}
	if (src[i] != '\0' && i == max && n + 4 < cap) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	if (cap > 0)
		dst[n] = '\0';
}

struct parser {
	const char *name;             /* file name for messages */
	char *err;
	size_t errlen;
	char path[KEY_PATH_MAX];      /* dotted path of the value being checked */
	size_t path_len;
};

/* "NAME: key 'PATH': MESSAGE", or "NAME: MESSAGE" outside any key. Always -1. */
static int report(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int report(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->path_len > 0)
		snprintf(p->err, p->errlen, "%s: key '%s': %s", p->name, p->path, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

static size_t path_append(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_append(struct parser *p, const char *fmt, ...)
{
	size_t saved = p->path_len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->path + saved, sizeof p->path - saved, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->path_len = saved + (size_t)n < sizeof p->path ? saved + (size_t)n
		                                                  : sizeof p->path - 1;
	return saved;
}

static size_t path_push_key(struct parser *p, const char *key)
{
	char shown[SHOWN_MAX + 4];
	printable(shown, sizeof shown, key, SHOWN_MAX);
	return path_append(p, "%s%s", p->path_len > 0 ? "." : "", shown);
}

static void path_pop(struct parser *p, size_t saved)
{
	p->path_len = saved;
	p->path[saved] = '\0';
}

/* ---- name sets ---------------------------------------------------------------- */

/* A closed set of names: the keys of one object level, or the values of an enum. */
struct name_set {
	const char *what;                /* "key", "button", ... for messages */
	const char *(*name_of)(int index);
	int count;
};

static int name_index(const struct name_set *set, const char *name)
{
	for (int i = 0; name != NULL && i < set->count; i++)
		if (strcmp(set->name_of(i), name) == 0)
			return i;
	return -1;
}

/* "a, b, c" into buf (truncated when buf is short). */
static void name_list(const struct name_set *set, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < set->count && used < cap; i++) {
		int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", set->name_of(i));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static const char *const family_keys[] = { "record_mode", "buttons" };
enum family_key { KEY_RECORD_MODE, KEY_BUTTONS, FAMILY_KEY_COUNT };
static const char *const log_levels[] = {
	[LOG_ERROR] = "error", [LOG_WARNING] = "warning", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};
static const char *const record_modes[] = { "toggle", "push_to_talk" };

static const char *family_key_name(int i) { return family_keys[i]; }
static const char *log_level_name(int i) { return log_levels[i]; }
static const char *record_mode_name(int i) { return record_modes[i]; }

static const struct name_set family_key_set = { "key", family_key_name, FAMILY_KEY_COUNT };
static const struct name_set family_set = { "device family", db_family_name, DB_FAMILY_COUNT };
static const struct name_set button_set = { "button", db_button_name, DB_BTN_COUNT };
static const struct name_set gesture_set = { "gesture", km_gesture_name, KM_GESTURE_COUNT };
static const struct name_set command_set = { "command", km_command_name, KM_COMMAND_COUNT };
static const struct name_set log_level_set = {
	"log level", log_level_name, (int)COUNT_OF(log_levels)
};
static const struct name_set record_mode_set = {
	"record mode", record_mode_name, (int)COUNT_OF(record_modes)
};

/* ---- typed values ------------------------------------------------------------- */

static int get_int(struct parser *p, const cJSON *v, long lo, long hi, long *out)
{
	/* Range first: the cast is only defined for values that fit. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return report(p, "must be an integer from %ld to %ld", lo, hi);
	*out = (long)v->valuedouble;
	return 0;
}

static int get_bool(struct parser *p, const cJSON *v, bool *out)
{
	if (!cJSON_IsBool(v))
		return report(p, "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_choice(struct parser *p, const cJSON *v, const struct name_set *set, int *out)
{
	int i = cJSON_IsString(v) ? name_index(set, v->valuestring) : -1;
	if (i < 0) {
		char names[256];
		name_list(set, names, sizeof names);
		return report(p, "must be one of: %s", names);
	}
	*out = i;
	return 0;
}

/* Walks every member of obj: each name must belong to `set` and appear once. */
typedef int (*member_fn)(struct parser *p, const cJSON *value, int index, void *arg);

static int walk_object(struct parser *p, const cJSON *obj, const struct name_set *set,
                       member_fn fn, void *arg)
{
	uint64_t seen = 0;
	for (const cJSON *m = obj->child; m != NULL; m = m->next) {
		size_t saved = path_push_key(p, m->string);
		int i = name_index(set, m->string);
		int rc;
		if (i < 0) {
			char names[256];
			name_list(set, names, sizeof names);
			rc = report(p, "unknown %s (expected one of: %s)", set->what, names);
		} else if (seen & (UINT64_C(1) << i)) {
			rc = report(p, "duplicate key");
		} else {
			seen |= UINT64_C(1) << i;
			rc = fn(p, m, i, arg);
		}
		if (rc != 0)
			return rc;
		path_pop(p, saved);
	}
	return 0;
}

static int require_object(struct parser *p, const cJSON *v, const char *what)
{
	return cJSON_IsObject(v) ? 0 : report(p, "must be an object %s", what);
}

/* ---- origins ------------------------------------------------------------------ */

/* NULL when stored (or already present), otherwise why not. */
static const char *add_pattern(struct config *c, const char *pattern)
{
	for (size_t i = 0; i < c->n_origins; i++)
		if (strcmp(c->origins[i], pattern) == 0)
			return NULL;
	if (c->n_origins >= CONFIG_MAX_ORIGINS)
		return "too many allowed origins (at most " MAX_ORIGINS_TEXT ")";
	char *copy = strdup(pattern);
	if (copy == NULL)
		return "out of memory";
	c->origins[c->n_origins++] = copy;
	return NULL;
}

static int parse_allowed_origins(struct parser *p, const cJSON *v, struct config *c)
{
	static const char *const shape =
		"must be an array of at most " MAX_ORIGINS_TEXT " origin patterns";
	if (!cJSON_IsArray(v))
		return report(p, "%s", shape);
	size_t i = 0;
	for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
		if (i == CONFIG_MAX_ORIGINS)
			return report(p, "%s", shape);
	}
	i = 0;
	for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
		size_t saved = path_append(p, "[%zu]", i);
		char why[128], shown[SHOWN_MAX + 4];
		const char *failed;
		if (!cJSON_IsString(e))
			return report(p, "must be a string (an origin pattern such as "
			                 "\"https://app.example.org\")");
		if (!origin_pattern_valid(e->valuestring, why, sizeof why)) {
			printable(shown, sizeof shown, e->valuestring, SHOWN_MAX);
			return report(p, "\"%s\" is not a valid origin pattern: %s", shown, why);
		}
		if ((failed = add_pattern(c, e->valuestring)) != NULL)
			return report(p, "%s", failed);
		path_pop(p, saved);
	}
	return 0;
}

/* ---- virtual devices ---------------------------------------------------------- */

int config_add_virtual_device(struct config *c, const char *spec, char *err, size_t errlen)
{
	char family[32], shown[SHOWN_MAX + 4];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int f;
	unsigned long code = 0;

	printable(shown, sizeof shown, spec, SHOWN_MAX);
	if (c->n_virtual == CONFIG_MAX_VIRTUAL) {
		snprintf(err, errlen, "at most %d virtual devices", CONFIG_MAX_VIRTUAL);
		return -1;
	}
	snprintf(family, sizeof family, "%.*s", (int)(n < sizeof family ? n : 0), spec);
	f = db_family_from_name(family);
	if (f < 0) {
		char names[128];

		config_family_names(names, sizeof names);
		snprintf(err, errlen, "\"%s\": not a device family (%s)", shown, names);
		return -1;
	}
	if (colon) {
		char *end;

		code = strtoul(colon + 1, &end, 10);
		if (!db_driver(f)->model_of_code) {
			snprintf(err, errlen, "\"%s\": %s units have no device codes", shown,
			         family);
			return -1;
		}
		if (end == colon + 1 || *end || code > UINT16_MAX || code == 0 ||
		    db_model_lookup(f, (uint16_t)code)->code != code) {
			snprintf(err, errlen, "\"%s\": not a known %s device code (such as "
			         "speechmike:3710 for a slide switch)", shown, family);
			return -1;
		}
	}
	c->virtual_devices[c->n_virtual].family = f;
	c->virtual_devices[c->n_virtual].code = (uint16_t)code;
	c->n_virtual++;
	return 0;
}

void config_family_names(char *buf, size_t cap)
{
	name_list(&family_set, buf, cap);
}

static int parse_virtual_devices(struct parser *p, const cJSON *v, struct config *c)
{
	if (!cJSON_IsArray(v))
		return report(p, "must be an array of device families");
	size_t i = 0;
	for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
		size_t saved = path_append(p, "[%zu]", i);
		char why[200];
		if (!cJSON_IsString(e))
			return report(p, "must be a string (a family such as \"speechmike\")");
		if (config_add_virtual_device(c, e->valuestring, why, sizeof why) < 0)
			return report(p, "%s", why);
		path_pop(p, saved);
	}
	return 0;
}

/* ---- keymap ------------------------------------------------------------------- */

static int on_gesture(struct parser *p, const cJSON *v, int gesture, void *arg)
{
	int8_t *bind = arg;
	if (cJSON_IsNull(v)) {
		bind[gesture] = KM_NONE;
		return 0;
	}
	int cmd = cJSON_IsString(v) ? km_command_from_name(v->valuestring) : KM_NONE;
	if (cmd == KM_NONE) {
		char names[512];
		name_list(&command_set, names, sizeof names);
		return report(p, "must be a command (one of: %s) or null to unbind", names);
	}
	bind[gesture] = (int8_t)cmd;
	return 0;
}

static int on_button(struct parser *p, const cJSON *v, int button, void *arg)
{
	struct km_family_map *map = arg;
	if (require_object(p, v, "mapping press, release and/or hold to a command or null"))
		return -1;
	/* A listed button replaces all of its default bindings. */
	for (int g = 0; g < KM_GESTURE_COUNT; g++)
		map->bind[button][g] = KM_NONE;
	return walk_object(p, v, &gesture_set, on_gesture, map->bind[button]);
}

static int on_family_key(struct parser *p, const cJSON *v, int key, void *arg)
{
	struct km_family_map *map = arg;
	if (key == KEY_BUTTONS) {
		if (require_object(p, v, "mapping button names to their bindings"))
			return -1;
		return walk_object(p, v, &button_set, on_button, map);
	}
	int mode = 0;
	if (get_choice(p, v, &record_mode_set, &mode))
		return -1;
	map->push_to_talk = mode == 1;
	return 0;
}

static int on_family(struct parser *p, const cJSON *v, int family, void *arg)
{
	struct keymap *km = arg;
	if (require_object(p, v, "with \"record_mode\" and/or \"buttons\""))
		return -1;
	return walk_object(p, v, &family_key_set, on_family_key, &km->family[family]);
}

/* ---- top level ---------------------------------------------------------------- */

static int parse_port(struct parser *p, const cJSON *v, struct config *c)
{
	long n = 0;
	if (get_int(p, v, 1, 65535, &n))
		return -1;
	c->port = (int)n;
	return 0;
}

static int parse_hold_ms(struct parser *p, const cJSON *v, struct config *c)
{
	long n = 0;
	if (get_int(p, v, KM_MIN_HOLD_MS, KM_MAX_HOLD_MS, &n))
		return -1;
	c->keymap.hold_ms = (uint32_t)n;
	return 0;
}

static int parse_release_delay_ms(struct parser *p, const cJSON *v, struct config *c)
{
	long n = 0;
	if (get_int(p, v, 0, KM_MAX_RELEASE_DELAY_MS, &n))
		return -1;
	c->keymap.release_delay_ms = (uint32_t)n;
	return 0;
}

static int parse_identify_timeout(struct parser *p, const cJSON *v, struct config *c)
{
	long n = 0;
	if (get_int(p, v, IDENTIFY_MIN_MS, IDENTIFY_MAX_MS, &n))
		return -1;
	c->identify_timeout_ms = (uint32_t)n;
	return 0;
}

static int parse_log_level(struct parser *p, const cJSON *v, struct config *c)
{
	int level = 0;
	if (get_choice(p, v, &log_level_set, &level))
		return -1;
	c->log_level = (enum log_level)level;
	return 0;
}

static int parse_allow_null_origin(struct parser *p, const cJSON *v, struct config *c)
{
	return get_bool(p, v, &c->allow_null_origin);
}

static int parse_allow_destructive(struct parser *p, const cJSON *v, struct config *c)
{
	return get_bool(p, v, &c->keymap.allow_short_press_destructive);
}

/* ---- audio -------------------------------------------------------------------- */

enum { AUDIO_DEVICE, AUDIO_ALLOW_DEFAULT, AUDIO_CAPTURE_RATE, AUDIO_KEY_COUNT };
static const char *const audio_keys[] = { "device", "allow_system_default", "capture_rate" };
static const char *audio_key_name(int i) { return audio_keys[i]; }
static const struct name_set audio_key_set = { "key", audio_key_name, AUDIO_KEY_COUNT };

/* NULL when `name` can name a capture device, otherwise why not. */
static const char *audio_device_problem(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CONFIG_AUDIO_DEVICE_MAX)
		return "must be 1 to " STRINGIFY(CONFIG_AUDIO_DEVICE_MAX) " characters";
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return "must not contain control characters";
	/* It is shown to clients (JSON) and to PortAudio's device names: text only. */
	if (!utf8_valid(name))
		return "must be valid UTF-8";
	return NULL;
}

static int on_audio_key(struct parser *p, const cJSON *v, int key, void *arg)
{
	struct config *c = arg;
	const char *why;
	long rate = 0;
	switch (key) {
	case AUDIO_DEVICE:
		if (!cJSON_IsString(v))
			return report(p, "must be a string (a PortAudio capture device name or part "
			                 "of one)");
		if ((why = audio_device_problem(v->valuestring)) != NULL)
			return report(p, "%s", why);
		free(c->audio_device);
		c->audio_device = strdup(v->valuestring);
		return c->audio_device ? 0 : report(p, "out of memory");
	case AUDIO_ALLOW_DEFAULT:
		return get_bool(p, v, &c->audio_allow_system_default);
	default:
		if (get_int(p, v, 8000, 48000, &rate) || !pm_audio_rate_ok((uint32_t)rate))
			return report(p, "must be one of 8000, 16000, 22050, 44100, 48000");
		c->audio_capture_rate = (uint32_t)rate;
		return 0;
	}
}

static int parse_audio(struct parser *p, const cJSON *v, struct config *c)
{
	if (require_object(p, v, "with \"device\", \"allow_system_default\" and/or "
	                         "\"capture_rate\""))
		return -1;
	return walk_object(p, v, &audio_key_set, on_audio_key, c);
}

static int parse_keymap(struct parser *p, const cJSON *v, struct config *c)
{
	if (require_object(p, v, "mapping device families to their bindings"))
		return -1;
	return walk_object(p, v, &family_set, on_family, &c->keymap);
}

static const struct top_rule {
	const char *name;
	int (*parse)(struct parser *p, const cJSON *v, struct config *c);
} top_rules[] = {
	{ "port", parse_port },
	{ "allowed_origins", parse_allowed_origins },
	{ "virtual_devices", parse_virtual_devices },
	{ "allow_null_origin", parse_allow_null_origin },
	{ "hold_ms", parse_hold_ms },
	{ "release_delay_ms", parse_release_delay_ms },
	{ "identify_timeout_ms", parse_identify_timeout },
	{ "log_level", parse_log_level },
	{ "allow_short_press_destructive", parse_allow_destructive },
	{ "keymap", parse_keymap },
	{ "audio", parse_audio },
};

static const char *top_key_name(int i) { return top_rules[i].name; }
static const struct name_set top_set = { "key", top_key_name, (int)COUNT_OF(top_rules) };

static int on_top_key(struct parser *p, const cJSON *v, int key, void *arg)
{
	return top_rules[key].parse(p, v, arg);
}

/* ---- JSON syntax -------------------------------------------------------------- */

/* "NAME:LINE:COL: invalid JSON near '...'" for the byte at pos (columns in characters). */
static int syntax_error(struct parser *p, const char *text, size_t len, size_t pos)
{
	size_t line = 1, col = 1, line_start = 0;
	for (size_t i = 0; i < pos && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
			line_start = i + 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	if (pos >= len) {
		snprintf(p->err, p->errlen, "%s:%zu:%zu: invalid JSON (unexpected end of file)",
		         p->name, line, col);
		return -1;
	}
	size_t from = pos - line_start > EXCERPT_MAX / 2 ? pos - EXCERPT_MAX / 2 : line_start;
	char raw[EXCERPT_MAX + 1], shown[EXCERPT_MAX + 4];
	size_t n = 0;
	while (n < EXCERPT_MAX && from + n < len && text[from + n] != '\n' &&
	       text[from + n] != '\r') {
		raw[n] = text[from + n] == '\0' ? '?' : text[from + n];
		n++;
	}
	raw[n] = '\0';
	printable(shown, sizeof shown, raw, EXCERPT_MAX);
	snprintf(p->err, p->errlen, "%s:%zu:%zu: invalid JSON near '%s'", p->name, line, col,
	         shown);
	return -1;
}

/* Comments (// to the end of the line, and block comments) are blanked with spaces,
 * newlines kept, so an administrator's notes can stay in the file and every position in
 * an error message still points into the file as written. Returns the offset of an
 * unterminated block comment, or len when there is none. */
static size_t blank_comments(char *t, size_t len)
{
	bool in_string = false, escaped = false;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (t[i] == '\\')
				escaped = true;
			else if (t[i] == '"')
				in_string = false;
			continue;
		}
		if (t[i] == '"') {
			in_string = true;
			continue;
		}
		if (t[i] != '/' || i + 1 >= len || (t[i + 1] != '/' && t[i + 1] != '*'))
			continue;
		bool block = t[i + 1] == '*';
		size_t end = i + 2;
		if (block) {
			while (end + 1 < len && !(t[end] == '*' && t[end + 1] == '/'))
				end++;
			if (end + 1 >= len)
				return i;
			end += 2;
		} else {
			while (end < len && t[end] != '\n')
				end++;
		}
		for (; i < end; i++)
			if (t[i] != '\n')
				t[i] = ' ';
		i--;
	}
	return len;
}

static cJSON *parse_json(struct parser *p, const char *text, size_t len)
{
	const char *end = text;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	size_t pos = end != NULL && end >= text ? (size_t)(end - text) : 0;
	if (root == NULL) {
		syntax_error(p, text, len, len == 0 ? 0 : pos);
		return NULL;
	}
	/* cJSON stops after the first value; anything but whitespace after it is an error. */
	while (pos < len && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' ||
	                     text[pos] == '\r'))
		pos++;
	if (pos < len) {
		cJSON_Delete(root);
		syntax_error(p, text, len, pos);
		return NULL;
	}
	return root;
}

/* ---- public API --------------------------------------------------------------- */

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->port = CONFIG_DEFAULT_PORT;
	c->identify_timeout_ms = IDENTIFY_DEFAULT_MS;
	c->log_level = LOG_INFO;
	km_defaults(&c->keymap);
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->n_origins && i < CONFIG_MAX_ORIGINS; i++) {
		free(c->origins[i]);
		c->origins[i] = NULL;
	}
	c->n_origins = 0;
	c->n_virtual = 0;
	free(c->audio_device);
	c->audio_device = NULL;
	free(c->source);
	c->source = NULL;
}

int config_parse(const char *text, size_t len, const char *name, struct config *c,
                 char *err, size_t errlen)
{
	struct parser p = {
		.name = name != NULL ? name : "config", .err = err, .errlen = errlen,
	};
	int rc = -1;
	config_defaults(c);
	if (text == NULL)
		len = 0;
	if (len > CONFIG_MAX_FILE_BYTES)
		return report(&p, "larger than %d bytes", CONFIG_MAX_FILE_BYTES);

	char *plain = malloc(len + 1);
	if (plain == NULL)
		return report(&p, "out of memory");
	if (len)
		memcpy(plain, text, len);
	plain[len] = '\0';
	size_t open_comment = blank_comments(plain, len);
	if (open_comment < len) {
		rc = syntax_error(&p, text, len, open_comment);
		free(plain);
		size_t used = err != NULL ? strnlen(err, errlen) : errlen;
		if (used < errlen)
			snprintf(err + used, errlen - used, " (unterminated comment)");
		config_free(c);
		config_defaults(c);
		return rc;
	}
	cJSON *root = parse_json(&p, plain, len);
	free(plain);
	if (root == NULL)
		return -1;
	if (!cJSON_IsObject(root))
		report(&p, "the top level must be a JSON object");
	else
		rc = walk_object(&p, root, &top_set, on_top_key, c);
	cJSON_Delete(root);

	char why[384];
	if (rc == 0 && km_validate(&c->keymap, why, sizeof why) != 0)
		rc = report(&p, "%s", why);
	if (rc != 0) {
		config_free(c);
		config_defaults(c);
	}
	return rc;
}

int config_add_origin(struct config *c, const char *origin, char *err, size_t errlen)
{
	char why[128], shown[SHOWN_MAX + 4];
	const char *failed;
	if (!origin_pattern_valid(origin, why, sizeof why)) {
		printable(shown, sizeof shown, origin != NULL ? origin : "", SHOWN_MAX);
		snprintf(err, errlen, "\"%s\" is not a valid origin pattern: %s", shown, why);
		return -1;
	}
	if ((failed = add_pattern(c, origin)) != NULL) {
		snprintf(err, errlen, "%s", failed);
		return -1;
	}
	return 0;
}

int config_parse_port(const char *s)
{
	char *end;
	long v;

	/* strtol alone would also take leading blanks and a sign. */
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

int config_set_audio_device(struct config *c, const char *name, char *err, size_t errlen)
{
	const char *why = audio_device_problem(name);
	char *copy;

	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	copy = strdup(name);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(c->audio_device);
	c->audio_device = copy;
	return 0;
}
