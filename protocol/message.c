/* Over 600 lines on purpose: this file is the one place the wire's spelling lives (server
 * messages, request parsing, request encoders), so that no other file spells a message. */
#include "protocol/message.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/audio_frame.h"
#include "protocol/keymap.h"
#include "protocol/utf8.h"

/* ---- encoding ------------------------------------------------------------------- */

static cJSON *message(const char *type)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "type", type)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Serialises and frees o. Any allocation failure on the way yields NULL. cJSON copies
 * string bytes as they are: a device's or a sound card's name that is not valid UTF-8
 * would make a browser close the connection (1007), so such bytes become '?'. */
static char *finish(cJSON *o, bool ok)
{
	char *text = o && ok ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (text)
		utf8_repair(text);
	return text;
}

static cJSON *names(uint32_t mask, int count, const char *(*name)(int))
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a && i < count; i++)
		if (mask & (UINT32_C(1) << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(name(i)));
	return a;
}

static cJSON *audio_json(const struct pm_device *d)
{
	cJSON *o;

	if (!d->audio_source)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (strcmp(d->audio_source, "paired") == 0)
		cJSON_AddNumberToObject(o, "card", d->audio_card);
	else
		cJSON_AddNullToObject(o, "card");
	cJSON_AddStringToObject(o, "name", d->audio_name ? d->audio_name : "");
	cJSON_AddStringToObject(o, "source", d->audio_source);
	if (d->audio_via)
		cJSON_AddStringToObject(o, "via", d->audio_via);
	else
		cJSON_AddNullToObject(o, "via");
	if (d->audio_via && d->audio_server_source) {
		cJSON_AddStringToObject(o, "server_source", d->audio_server_source);
		cJSON_AddBoolToObject(o, "default_input", d->audio_default_input);
	} else {
		cJSON_AddNullToObject(o, "server_source");
		cJSON_AddNullToObject(o, "default_input");
	}
	return o;
}

/* {"record": {"color": "red", "mode": "on"}, ...} for the LEDs in `leds`. */
static cJSON *led_state_json(const struct db_led_state *st, uint32_t leds)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < DB_LED_COUNT; i++) {
		cJSON *l;

		if (!(leds & (UINT32_C(1) << i)) || !(l = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(l, "color", db_color_name(st->led[i].color));
		cJSON_AddStringToObject(l, "mode", db_mode_name(st->led[i].mode));
		cJSON_AddItemToObject(o, db_led_name(i), l);
	}
	return o;
}

static cJSON *device_json(const struct pm_device *d)
{
	cJSON *o = cJSON_CreateObject();
	/* off, red, green: every LED wire takes both colours (a single-colour LED lights for
	 * either), so they are what `led` accepts, not what each LED shows (PROTOCOL.md) */
	uint32_t colors = d->leds ? 0x7u : 0;
	uint32_t modes = d->leds ? (d->led_blink ? 0x7u : 0x1u) : 0;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddStringToObject(o, "family", db_family_name(d->family));
	cJSON_AddStringToObject(o, "model", d->model);
	cJSON_AddNumberToObject(o, "model_code", d->model_code);
	cJSON_AddNumberToObject(o, "vendor_id", d->vendor_id);
	cJSON_AddNumberToObject(o, "product_id", d->product_id);
	if (d->serial)
		cJSON_AddStringToObject(o, "serial", d->serial);
	else
		cJSON_AddNullToObject(o, "serial");
	cJSON_AddItemToObject(o, "buttons", names(d->buttons, DB_BTN_COUNT, db_button_name));
	cJSON_AddItemToObject(o, "slider", names(d->slider, DB_BTN_COUNT, db_button_name));
	cJSON_AddItemToObject(o, "leds", names(d->leds, DB_LED_COUNT, db_led_name));
	cJSON_AddItemToObject(o, "led_colors", names(colors, 3, db_color_name));
	cJSON_AddItemToObject(o, "led_modes", names(modes, 3, db_mode_name));
	cJSON_AddItemToObject(o, "audio", audio_json(d));
	if (d->has_event_mode && db_event_mode_name(d->event_mode))
		cJSON_AddStringToObject(o, "event_mode", db_event_mode_name(d->event_mode));
	else
		cJSON_AddNullToObject(o, "event_mode");
	if (d->has_event_mode && !db_event_mode_delivers_buttons(d->event_mode)) {
		char why[256];

		snprintf(why, sizeof why, "in %s mode its buttons do not reach dictabridge; "
		         "switch it to HID mode with: dictabridge mode %s hid",
		         db_event_mode_name(d->event_mode), d->id);
		cJSON_AddStringToObject(o, "warning", why);
	} else {
		cJSON_AddNullToObject(o, "warning");
	}
	cJSON_AddBoolToObject(o, "virtual", d->is_virtual);
	if (d->led_state)
		cJSON_AddItemToObject(o, "led_state", led_state_json(d->led_state, d->leds));
	return o;
}

static cJSON *device_list(const struct pm_device *devices, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, device_json(&devices[i]));
	return a;
}

char *pm_hello(const char *version, const struct pm_device *devices, size_t n)
{
	cJSON *o = message("hello");

	return finish(o, o && cJSON_AddNumberToObject(o, "protocol", PM_PROTOCOL_VERSION) &&
	                     cJSON_AddStringToObject(o, "version", version) &&
	                     cJSON_AddItemToObject(o, "devices", device_list(devices, n)));
}

char *pm_status(const char *version, unsigned clients, const struct pm_device *devices,
                size_t n)
{
	cJSON *o = cJSON_CreateObject();

	return finish(o, o && cJSON_AddStringToObject(o, "name", "dictabridged") &&
	                     cJSON_AddStringToObject(o, "version", version) &&
	                     cJSON_AddNumberToObject(o, "protocol", PM_PROTOCOL_VERSION) &&
	                     cJSON_AddNumberToObject(o, "clients", clients) &&
	                     cJSON_AddItemToObject(o, "devices", device_list(devices, n)));
}

char *pm_device_added(const struct pm_device *d)
{
	cJSON *o = message("device.added");

	return finish(o, o && cJSON_AddItemToObject(o, "device", device_json(d)));
}

char *pm_device_changed(const struct pm_device *d)
{
	cJSON *o = message("device.changed");

	return finish(o, o && cJSON_AddItemToObject(o, "device", device_json(d)));
}

char *pm_audio_started(const char *device_id, uint32_t stream_id, uint32_t rate,
                       uint32_t frame_ms, uint32_t capture_rate, const char *via)
{
	cJSON *o = message("audio.started");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddNumberToObject(o, "stream_id", stream_id) &&
	                     cJSON_AddNumberToObject(o, "rate", rate) &&
	                     cJSON_AddNumberToObject(o, "channels", 1) &&
	                     cJSON_AddStringToObject(o, "format", "s16le") &&
	                     cJSON_AddNumberToObject(o, "frame_ms", frame_ms) &&
	                     cJSON_AddNumberToObject(o, "capture_rate", capture_rate) &&
	                     cJSON_AddStringToObject(o, "via", via));
}

char *pm_audio_level(const char *device_id, double rms_dbfs, double peak_dbfs)
{
	cJSON *o = message("audio.level");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddNumberToObject(o, "rms_dbfs", rms_dbfs) &&
	                     cJSON_AddNumberToObject(o, "peak_dbfs", peak_dbfs));
}

char *pm_audio_overrun(const char *device_id, uint64_t dropped_frames)
{
	cJSON *o = message("audio.overrun");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddNumberToObject(o, "dropped_frames", (double)dropped_frames));
}

char *pm_audio_stopped(const char *device_id, const char *reason, const char *text)
{
	cJSON *o = message("audio.stopped");
	bool ok = o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	          cJSON_AddStringToObject(o, "reason", reason);

	if (ok && text)
		ok = cJSON_AddStringToObject(o, "message", text) != NULL;
	return finish(o, ok);
}

char *pm_device_removed(const char *device_id)
{
	cJSON *o = message("device.removed");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id));
}

char *pm_button(const char *device_id, int button, bool pressed, int64_t time_ms)
{
	cJSON *o = message("button");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddStringToObject(o, "button", db_button_name(button)) &&
	                     cJSON_AddBoolToObject(o, "pressed", pressed) &&
	                     cJSON_AddNumberToObject(o, "time_ms", (double)time_ms));
}

char *pm_slider(const char *device_id, int position, int64_t time_ms)
{
	cJSON *o = message("slider");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddStringToObject(o, "position", db_button_name(position)) &&
	                     cJSON_AddNumberToObject(o, "time_ms", (double)time_ms));
}

char *pm_command(const char *device_id, int command, int button, const char *gesture)
{
	cJSON *o = message("command");
	bool ok = o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	          cJSON_AddStringToObject(o, "command", km_command_name(command));

	if (ok)
		ok = button >= 0 ? cJSON_AddStringToObject(o, "button", db_button_name(button)) != NULL
		                 : cJSON_AddNullToObject(o, "button") != NULL;
	return finish(o, ok && cJSON_AddStringToObject(o, "gesture", gesture));
}

char *pm_motion(const char *device_id, enum db_motion motion)
{
	cJSON *o = message("motion");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddStringToObject(o, "state", motion == DB_MOTION_LAID_DOWN
	                                                                 ? "laid_down"
	                                                                 : "picked_up"));
}

char *pm_leds(const char *device_id, const struct db_led_state *state, uint32_t leds)
{
	cJSON *o = message("leds");

	return finish(o, o && cJSON_AddStringToObject(o, "device_id", device_id) &&
	                     cJSON_AddItemToObject(o, "leds", led_state_json(state, leds)));
}

char *pm_claim(bool owner)
{
	cJSON *o = message("claim");

	return finish(o, o && cJSON_AddBoolToObject(o, "owner", owner));
}

char *pm_pong(const char *id_json)
{
	cJSON *o = message("pong"), *id = cJSON_Parse(id_json);

	if (!id) {
		cJSON_Delete(o);
		return NULL;
	}
	return finish(o, o && cJSON_AddItemToObject(o, "id", id));
}

char *pm_error(const char *code, const char *text, const char *request_type)
{
	cJSON *o = message("error");
	bool ok = o && cJSON_AddStringToObject(o, "code", code) &&
	          cJSON_AddStringToObject(o, "message", text);

	if (ok)
		ok = request_type ? cJSON_AddStringToObject(o, "request", request_type) != NULL
		                  : cJSON_AddNullToObject(o, "request") != NULL;
	return finish(o, ok);
}

/* ---- client requests -------------------------------------------------------------- */

static cJSON *request(const char *type, const char *device_id)
{
	cJSON *o = message(type);

	if (o && device_id && !cJSON_AddStringToObject(o, "device_id", device_id)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *pm_req_ping(const char *id)
{
	cJSON *o = request("ping", NULL);

	return finish(o, o && cJSON_AddStringToObject(o, "id", id));
}

char *pm_req_claim(void)
{
	return finish(request("claim", NULL), true);
}

char *pm_req_release(void)
{
	return finish(request("release", NULL), true);
}

char *pm_req_state(bool recording, bool report_open)
{
	cJSON *o = request("state", NULL);

	return finish(o, o && cJSON_AddBoolToObject(o, "recording", recording) &&
	                     cJSON_AddBoolToObject(o, "report_open", report_open));
}

char *pm_req_led(const char *device_id, const char *led, const char *color, const char *mode)
{
	cJSON *o = request("led", device_id);
	bool ok = o && cJSON_AddStringToObject(o, "led", led) &&
	          cJSON_AddStringToObject(o, "color", color);

	if (ok && mode)
		ok = cJSON_AddStringToObject(o, "mode", mode) != NULL;
	return finish(o, ok);
}

char *pm_req_mode(const char *device_id, const char *event_mode)
{
	cJSON *o = request("mode", device_id);

	return finish(o, o && cJSON_AddStringToObject(o, "mode", event_mode));
}

char *pm_req_press(const char *device_id, const char *button, bool pressed, uint32_t hold_ms)
{
	cJSON *o = request("press", device_id);
	bool ok = o && cJSON_AddStringToObject(o, "button", button) &&
	          cJSON_AddBoolToObject(o, "pressed", pressed);

	if (ok && hold_ms)
		ok = cJSON_AddNumberToObject(o, "hold_ms", hold_ms) != NULL;
	return finish(o, ok);
}

char *pm_req_slide(const char *device_id, const char *position)
{
	cJSON *o = request("slide", device_id);

	return finish(o, o && cJSON_AddStringToObject(o, "position", position));
}

char *pm_req_audio_start(const char *device_id, uint32_t rate, uint32_t frame_ms)
{
	cJSON *o = request("audio.start", device_id);
	bool ok = o != NULL;

	if (ok && rate)
		ok = cJSON_AddNumberToObject(o, "rate", rate) != NULL;
	if (ok && frame_ms)
		ok = cJSON_AddNumberToObject(o, "frame_ms", frame_ms) != NULL;
	return finish(o, ok);
}

char *pm_req_audio_stop(const char *device_id)
{
	return finish(request("audio.stop", device_id), true);
}

/* ---- parsing ---------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(struct pm_parse_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

/* A required string field with a bounded length. */
static const char *string_field(const cJSON *o, const char *key, size_t max,
                                struct pm_parse_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v)) {
		fail(err, PM_ERR_INVALID_FIELD, "field '%s' must be a string", key);
		return NULL;
	}
	if (strlen(v->valuestring) > max) {
		fail(err, PM_ERR_INVALID_FIELD, "field '%s' is too long", key);
		return NULL;
	}
	return v->valuestring;
}

static int bool_field(const cJSON *o, const char *key, bool *out, struct pm_parse_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsBool(v))
		return fail(err, PM_ERR_INVALID_FIELD, "field '%s' must be true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A string field whose value must be one of a name table's entries. */
static int name_field(const cJSON *o, const char *key, int (*lookup)(const char *), int *out,
                      struct pm_parse_error *err)
{
	const char *s = string_field(o, key, 32, err);

	if (!s)
		return -1;
	*out = lookup(s);
	if (*out < 0)
		return fail(err, PM_ERR_INVALID_FIELD, "field '%s' has an unknown value", key);
	return 0;
}

static int parse_ping(const cJSON *o, struct pm_request *req, struct pm_parse_error *err)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	char *text;

	if (cJSON_IsNumber(id)) {
		if (!isfinite(id->valuedouble))
			return fail(err, PM_ERR_INVALID_FIELD, "field '%s' must be finite", "id");
	} else if (!cJSON_IsString(id) || strlen(id->valuestring) > PM_MAX_ID_CHARS) {
		return fail(err, PM_ERR_INVALID_FIELD,
		            "field '%s' must be a number or a string of at most 64 characters",
		            "id");
	}
	text = cJSON_PrintUnformatted(id);
	if (!text || strlen(text) >= sizeof req->id_json) {
		free(text);
		return fail(err, PM_ERR_INVALID_FIELD, "field '%s' is too long", "id");
	}
	strcpy(req->id_json, text);
	free(text);
	return 0;
}

static int device_id_field(const cJSON *o, struct pm_request *req, struct pm_parse_error *err)
{
	const char *id = string_field(o, "device_id", PM_MAX_ID_CHARS, err);

	if (!id)
		return -1;
	strcpy(req->device_id, id);
	return 0;
}

static int parse_led(const cJSON *o, struct pm_request *req, struct pm_parse_error *err)
{
	if (device_id_field(o, req, err))
		return -1;
	if (name_field(o, "led", db_led_from_name, &req->led, err) ||
	    name_field(o, "color", db_color_from_name, &req->color, err))
		return -1;
	req->mode = DB_MODE_ON;
	if (cJSON_GetObjectItemCaseSensitive(o, "mode") &&
	    name_field(o, "mode", db_mode_from_name, &req->mode, err))
		return -1;
	return 0;
}

/* An optional whole-number field; *out keeps its default when the field is absent. */
static int optional_uint(const cJSON *o, const char *key, uint32_t *out,
                         struct pm_parse_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e6) ||
	    v->valuedouble != (double)(uint32_t)v->valuedouble)
		return fail(err, PM_ERR_INVALID_FIELD, "field '%s' must be a whole number", key);
	*out = (uint32_t)v->valuedouble;
	return 0;
}

static int parse_audio_start(const cJSON *o, struct pm_request *req,
                             struct pm_parse_error *err)
{
	req->rate = PM_AUDIO_DEFAULT_RATE;
	req->frame_ms = PM_AUDIO_DEFAULT_FRAME_MS;
	if (device_id_field(o, req, err) || optional_uint(o, "rate", &req->rate, err) ||
	    optional_uint(o, "frame_ms", &req->frame_ms, err))
		return -1;
	if (!pm_audio_rate_ok(req->rate))
		return fail(err, PM_ERR_INVALID_FIELD,
		            "field 'rate' must be 8000, 16000, 22050, 44100 or 48000");
	if (!pm_audio_frame_samples(req->rate, req->frame_ms))
		return fail(err, PM_ERR_INVALID_FIELD,
		            "field 'frame_ms' must be 10 to 100 and give whole samples at %u Hz",
		            (unsigned)req->rate);
	return 0;
}

/* The length of s's first `max` bytes or less, not cutting a UTF-8 sequence: the echo
 * goes back in a text frame, which a browser closes on invalid UTF-8. */
static int utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return (int)n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static int parse_press(const cJSON *o, struct pm_request *req, struct pm_parse_error *err)
{
	if (device_id_field(o, req, err) ||
	    name_field(o, "button", db_button_from_name, &req->button, err) ||
	    bool_field(o, "pressed", &req->pressed, err) ||
	    optional_uint(o, "hold_ms", &req->hold_ms, err))
		return -1;
	if (req->hold_ms > PM_MAX_HOLD_MS)
		return fail(err, PM_ERR_INVALID_FIELD, "field 'hold_ms' must be at most %d",
		            PM_MAX_HOLD_MS);
	if (req->hold_ms && !req->pressed)
		return fail(err, PM_ERR_INVALID_FIELD, "field 'hold_ms' needs 'pressed': true");
	return 0;
}

static const struct {
	const char *name;
	enum pm_request_type type;
} request_types[] = {
	{"mode", PM_REQ_MODE}, {"press", PM_REQ_PRESS}, {"slide", PM_REQ_SLIDE},
	{"ping", PM_REQ_PING}, {"led", PM_REQ_LED}, {"state", PM_REQ_STATE},
	{"claim", PM_REQ_CLAIM}, {"release", PM_REQ_RELEASE},
	{"audio.start", PM_REQ_AUDIO_START}, {"audio.stop", PM_REQ_AUDIO_STOP},
};

static int parse_object(const cJSON *o, struct pm_request *req, struct pm_parse_error *err)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
	size_t i;

	if (!cJSON_IsObject(o))
		return fail(err, PM_ERR_INVALID_MESSAGE, "a message must be a JSON object");
	if (!cJSON_IsString(type))
		return fail(err, PM_ERR_INVALID_MESSAGE, "field '%s' must be a string", "type");
	for (i = 0; i < sizeof request_types / sizeof request_types[0]; i++)
		if (strcmp(type->valuestring, request_types[i].name) == 0)
			break;
	if (i == sizeof request_types / sizeof request_types[0])
		return fail(err, PM_ERR_UNKNOWN_TYPE, "unknown message type '%.*s'",
		            utf8_prefix(type->valuestring, 32), type->valuestring);
	snprintf(err->request_type, sizeof err->request_type, "%s", request_types[i].name);
	req->type = request_types[i].type;
	switch (req->type) {
	case PM_REQ_PING:
		return parse_ping(o, req, err);
	case PM_REQ_LED:
		return parse_led(o, req, err);
	case PM_REQ_STATE:
		return bool_field(o, "recording", &req->recording, err) ||
		       bool_field(o, "report_open", &req->report_open, err) ? -1 : 0;
	case PM_REQ_AUDIO_START:
		return parse_audio_start(o, req, err);
	case PM_REQ_AUDIO_STOP:
		return device_id_field(o, req, err);
	case PM_REQ_MODE:
		return device_id_field(o, req, err) ||
		       name_field(o, "mode", db_event_mode_from_name, &req->event_mode, err) ? -1 : 0;
	case PM_REQ_PRESS:
		return parse_press(o, req, err);
	case PM_REQ_SLIDE:
		return device_id_field(o, req, err) ||
		       name_field(o, "position", db_button_from_name, &req->button, err) ? -1 : 0;
	case PM_REQ_CLAIM:
	case PM_REQ_RELEASE:
		return 0;
	}
	return 0;
}

int pm_parse_request(const char *text, size_t len, struct pm_request *req,
                     struct pm_parse_error *err)
{
	cJSON *o;
	int rc;

	memset(req, 0, sizeof *req);
	memset(err, 0, sizeof *err);
	if (len > PM_MAX_MESSAGE_BYTES)
		return fail(err, PM_ERR_INVALID_MESSAGE, "message too large");
	o = cJSON_ParseWithLength(text, len);
	if (!o)
		return fail(err, PM_ERR_INVALID_JSON, "the message is not valid JSON");
	rc = parse_object(o, req, err);
	cJSON_Delete(o);
	return rc;
}
