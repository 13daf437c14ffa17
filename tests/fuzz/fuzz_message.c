/* Client → server messages: pm_parse_request on arbitrary text, then the replies the
 * daemon builds from what it parsed (an error carrying the parser's message, a pong
 * echoing the ping id, events naming the device id), which must be JSON a client reads
 * back to the same values. The input is the message text, as a WebSocket frame delivers it.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/audio_frame.h"
#include "protocol/message.h"
#include "protocol/utf8.h"
#include "tests/fuzz/fuzz.h"

static const char *const error_codes[] = {
	PM_ERR_INVALID_JSON, PM_ERR_INVALID_MESSAGE, PM_ERR_UNKNOWN_TYPE, PM_ERR_INVALID_FIELD,
	PM_ERR_UNKNOWN_DEVICE, PM_ERR_UNKNOWN_LED, PM_ERR_UNSUPPORTED, PM_ERR_RATE_LIMITED,
};

/* RFC 3629 well-formedness: a text frame that is not UTF-8 makes a browser drop the
 * connection (RFC 6455 §8.1), so whatever valid text goes in must come out valid. */
static bool oracle_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = s[i];
		size_t more;
		uint32_t cp, min;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xe0) == 0xc0) {
			more = 1, cp = b & 0x1f, min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			more = 2, cp = b & 0x0f, min = 0x800;
		} else if ((b & 0xf8) == 0xf0) {
			more = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

static bool nul_terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* An encoder's output parsed back (the text is freed): it must be a JSON object, and
 * UTF-8 whatever the client's message was. */
static cJSON *reparse(char *json)
{
	FUZZ_CHECK(json != NULL);
	FUZZ_CHECK(oracle_utf8((const uint8_t *)json, strlen(json)));
	cJSON *o = cJSON_Parse(json);
	FUZZ_CHECK(cJSON_IsObject(o));
	free(json);
	return o;
}

/* Text that is not UTF-8 comes back with '?' for each stray byte, valid text as it was. */
static void check_string(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *shown = strdup(want);
	FUZZ_CHECK(shown != NULL);
	utf8_repair(shown);
	FUZZ_CHECK(oracle_utf8((const uint8_t *)want, strlen(want)) == (strcmp(shown, want) == 0));
	FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, shown) == 0);
	free(shown);
}

static void check_failure(const struct pm_parse_error *err)
{
	bool known = false;
	for (size_t i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++)
		known |= err->code == error_codes[i] ||
		         (err->code != NULL && strcmp(err->code, error_codes[i]) == 0);
	FUZZ_CHECK(known);
	FUZZ_CHECK(nul_terminated(err->message, sizeof err->message) && err->message[0] != '\0');
	FUZZ_CHECK(nul_terminated(err->request_type, sizeof err->request_type));

	const char *type = err->request_type[0] ? err->request_type : NULL;
	cJSON *o = reparse(pm_error(err->code, err->message, type));
	check_string(o, "type", "error");
	check_string(o, "code", err->code);
	check_string(o, "message", err->message);
	if (type != NULL)
		check_string(o, "request", type);
	else
		FUZZ_CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "request")));
	cJSON_Delete(o);
}

static void check_device_id(const struct pm_request *req)
{
	FUZZ_CHECK(nul_terminated(req->device_id, sizeof req->device_id));
	FUZZ_CHECK(strlen(req->device_id) <= PM_MAX_ID_CHARS);
	cJSON *o = reparse(pm_device_removed(req->device_id));
	check_string(o, "device_id", req->device_id);
	cJSON_Delete(o);
}

static void check_success(const struct pm_request *req)
{
	switch (req->type) {
	case PM_REQ_PING: {
		FUZZ_CHECK(nul_terminated(req->id_json, sizeof req->id_json));
		cJSON *id = cJSON_Parse(req->id_json);
		FUZZ_CHECK(cJSON_IsString(id) || cJSON_IsNumber(id));
		cJSON *o = reparse(pm_pong(req->id_json));
		check_string(o, "type", "pong");
		if (cJSON_IsString(id))
			check_string(o, "id", id->valuestring);
		else
			FUZZ_CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "id"), id, true));
		cJSON_Delete(o);
		cJSON_Delete(id);
		break;
	}
	case PM_REQ_LED:
		check_device_id(req);
		FUZZ_CHECK(db_led_name(req->led) != NULL);
		FUZZ_CHECK(db_color_name(req->color) != NULL);
		FUZZ_CHECK(db_mode_name(req->mode) != NULL);
		break;
	case PM_REQ_AUDIO_START:
		check_device_id(req);
		FUZZ_CHECK(pm_audio_rate_ok(req->rate));
		FUZZ_CHECK(req->frame_ms >= PM_AUDIO_MIN_FRAME_MS &&
		           req->frame_ms <= PM_AUDIO_MAX_FRAME_MS);
		{
			uint32_t samples = pm_audio_frame_samples(req->rate, req->frame_ms);
			FUZZ_CHECK(samples != 0);
			FUZZ_CHECK(PM_AUDIO_HEADER_BYTES + 2 * (size_t)samples <=
			           PM_AUDIO_MAX_FRAME_BYTES);
		}
		break;
	case PM_REQ_AUDIO_STOP:
		check_device_id(req);
		break;
	case PM_REQ_MODE:
		check_device_id(req);
		FUZZ_CHECK(db_event_mode_name(req->event_mode) != NULL);
		break;
	case PM_REQ_PRESS:
		check_device_id(req);
		FUZZ_CHECK(db_button_name(req->button) != NULL);
		FUZZ_CHECK(req->hold_ms <= PM_MAX_HOLD_MS && (!req->hold_ms || req->pressed));
		break;
	case PM_REQ_SLIDE:
		check_device_id(req);
		FUZZ_CHECK(db_button_name(req->button) != NULL);
		break;
	case PM_REQ_STATE:
	case PM_REQ_CLAIM:
	case PM_REQ_RELEASE:
		break;
	default:
		FUZZ_CHECK(!"unknown request type");
	}
}

/* A C client's encoder writes what the daemon parsed as a request that parses back to the
 * same request (text that is not UTF-8 is repaired on the way, so it is left out). */
static void check_reencoded(const struct pm_request *req)
{
	const char *dev = req->device_id;
	char *text = NULL;
	cJSON *id;

	if (!oracle_utf8((const uint8_t *)dev, strlen(dev)))
		return;
	switch (req->type) {
	case PM_REQ_PING:
		id = cJSON_Parse(req->id_json);
		if (cJSON_IsString(id) &&
		    oracle_utf8((const uint8_t *)id->valuestring, strlen(id->valuestring)))
			text = pm_req_ping(id->valuestring);
		cJSON_Delete(id);
		if (!text)
			return;   /* a number id: C clients send strings */
		break;
	case PM_REQ_CLAIM:
		text = pm_req_claim();
		break;
	case PM_REQ_RELEASE:
		text = pm_req_release();
		break;
	case PM_REQ_STATE:
		text = pm_req_state(req->recording, req->report_open);
		break;
	case PM_REQ_LED:
		text = pm_req_led(dev, db_led_name(req->led), db_color_name(req->color),
		                  db_mode_name(req->mode));
		break;
	case PM_REQ_AUDIO_START:
		text = pm_req_audio_start(dev, req->rate, req->frame_ms);
		break;
	case PM_REQ_AUDIO_STOP:
		text = pm_req_audio_stop(dev);
		break;
	case PM_REQ_MODE:
		text = pm_req_mode(dev, db_event_mode_name(req->event_mode));
		break;
	case PM_REQ_PRESS:
		text = pm_req_press(dev, db_button_name(req->button), req->pressed, req->hold_ms);
		break;
	case PM_REQ_SLIDE:
		text = pm_req_slide(dev, db_button_name(req->button));
		break;
	}
	FUZZ_CHECK(text != NULL);
	struct pm_request back;
	struct pm_parse_error err;
	FUZZ_CHECK(pm_parse_request(text, strlen(text), &back, &err) == 0);
	FUZZ_CHECK(memcmp(&back, req, sizeof back) == 0);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_request req;
	struct pm_parse_error err;
	if (pm_parse_request((const char *)data, size, &req, &err) == 0) {
		check_success(&req);
		check_reencoded(&req);
	}
	else
		check_failure(&err);
	return 0;
}
