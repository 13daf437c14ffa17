/* protocol/message: every request shape, every error class, and the exact JSON of every
 * server message. */
#include <stdlib.h>

#include "check.h"
#include "protocol/audio_frame.h"
#include "protocol/keymap.h"
#include "protocol/message.h"

struct parse_case {
	const char *text;
	const char *error;         /* NULL: must parse */
	const char *request_type;  /* expected err.request_type on failure */
};

static const struct parse_case cases[] = {
	{"{\"type\":\"ping\",\"id\":7}", NULL, ""},
	{"{\"type\":\"ping\",\"id\":\"abc\"}", NULL, ""},
	{"{\"type\":\"ping\",\"id\":1.5e300}", NULL, ""},
	{"{\"type\":\"claim\"}", NULL, ""},
	{"{\"type\":\"release\",\"extra\":[1,2]}", NULL, ""},
	{"{\"type\":\"state\",\"recording\":true,\"report_open\":false}", NULL, ""},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"f1\",\"color\":\"green\"}", NULL, ""},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"record\",\"color\":\"red\",\"mode\":\"blink_fast\"}", NULL, ""},
	{"", PM_ERR_INVALID_JSON, ""},
	{"nope", PM_ERR_INVALID_JSON, ""},
	{"{\"type\":\"ping\"", PM_ERR_INVALID_JSON, ""},
	{"[1,2]", PM_ERR_INVALID_MESSAGE, ""},
	{"\"ping\"", PM_ERR_INVALID_MESSAGE, ""},
	{"{}", PM_ERR_INVALID_MESSAGE, ""},
	{"{\"type\":5}", PM_ERR_INVALID_MESSAGE, ""},
	{"{\"type\":\"Ping\"}", PM_ERR_UNKNOWN_TYPE, ""},
	{"{\"type\":\"raw_write\"}", PM_ERR_UNKNOWN_TYPE, ""},
	{"{\"type\":\"ping\"}", PM_ERR_INVALID_FIELD, "ping"},
	{"{\"type\":\"ping\",\"id\":null}", PM_ERR_INVALID_FIELD, "ping"},
	{"{\"type\":\"ping\",\"id\":{}}", PM_ERR_INVALID_FIELD, "ping"},
	{"{\"type\":\"ping\",\"id\":\"01234567890123456789012345678901234567890123456789012345678901234\"}",
	 PM_ERR_INVALID_FIELD, "ping"},
	{"{\"type\":\"state\",\"recording\":1,\"report_open\":false}", PM_ERR_INVALID_FIELD, "state"},
	{"{\"type\":\"state\",\"recording\":true}", PM_ERR_INVALID_FIELD, "state"},
	{"{\"type\":\"state\",\"recording\":\"true\",\"report_open\":true}", PM_ERR_INVALID_FIELD, "state"},
	{"{\"type\":\"led\",\"led\":\"f1\",\"color\":\"green\"}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":7,\"led\":\"f1\",\"color\":\"green\"}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"f5\",\"color\":\"green\"}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"f1\",\"color\":\"blue\"}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"f1\",\"color\":\"red\",\"mode\":\"strobe\"}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":\"d\",\"led\":\"f1\",\"color\":\"red\",\"mode\":3}", PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"led\",\"device_id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\",\"led\":\"f1\",\"color\":\"red\"}",
	 PM_ERR_INVALID_FIELD, "led"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\"}", NULL, ""},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":22050,\"frame_ms\":40}", NULL, ""},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":48000,\"frame_ms\":10}", NULL, ""},
	{"{\"type\":\"audio.stop\",\"device_id\":\"d\"}", NULL, ""},
	{"{\"type\":\"audio.start\"}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":11025}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":\"16000\"}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":16000.5}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":-16000}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":1e300}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"frame_ms\":5}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"frame_ms\":101}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"rate\":22050,\"frame_ms\":10}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.start\",\"device_id\":\"d\",\"frame_ms\":null}", PM_ERR_INVALID_FIELD, "audio.start"},
	{"{\"type\":\"audio.stop\"}", PM_ERR_INVALID_FIELD, "audio.stop"},
	{"{\"type\":\"audio.stop\",\"device_id\":[]}", PM_ERR_INVALID_FIELD, "audio.stop"},
	{"{\"type\":\"mode\",\"device_id\":\"d\",\"mode\":\"hid\"}", NULL, ""},
	{"{\"type\":\"mode\",\"device_id\":\"d\",\"mode\":\"dragon_for_windows\"}", NULL, ""},
	{"{\"type\":\"mode\",\"device_id\":\"d\",\"mode\":\"HID\"}", PM_ERR_INVALID_FIELD, "mode"},
	{"{\"type\":\"mode\",\"device_id\":\"d\",\"mode\":0}", PM_ERR_INVALID_FIELD, "mode"},
	{"{\"type\":\"mode\",\"mode\":\"hid\"}", PM_ERR_INVALID_FIELD, "mode"},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\",\"pressed\":true}", NULL, ""},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\",\"pressed\":false}", NULL, ""},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\",\"pressed\":true,\"hold_ms\":60000}", NULL, ""},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\",\"pressed\":true,\"hold_ms\":60001}", PM_ERR_INVALID_FIELD, "press"},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\",\"pressed\":false,\"hold_ms\":5}", PM_ERR_INVALID_FIELD, "press"},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"nose\",\"pressed\":true}", PM_ERR_INVALID_FIELD, "press"},
	{"{\"type\":\"press\",\"device_id\":\"d\",\"button\":\"eol\"}", PM_ERR_INVALID_FIELD, "press"},
	{"{\"type\":\"slide\",\"device_id\":\"d\",\"position\":\"play\"}", NULL, ""},
	{"{\"type\":\"slide\",\"device_id\":\"d\",\"position\":3}", PM_ERR_INVALID_FIELD, "slide"},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pm_request req;
		struct pm_parse_error err;
		int rc = pm_parse_request(cases[i].text, strlen(cases[i].text), &req, &err);

		if (!cases[i].error) {
			CHECK(rc == 0, "case %zu (%s) failed: %s", i, cases[i].text, err.message);
			continue;
		}
		CHECK(rc == -1, "case %zu (%s) parsed", i, cases[i].text);
		if (rc == -1) {
			CHECK_STR(err.code, cases[i].error);
			CHECK_STR(err.request_type, cases[i].request_type);
			CHECK(err.message[0] != '\0', "case %zu has no message", i);
		}
	}
}

static void test_parse_values(void)
{
	struct pm_request req;
	struct pm_parse_error err;
	const char *led = "{\"type\":\"led\",\"device_id\":\"0911-0c1c-SN1\",\"led\":\"ins_ovr\","
	                  "\"color\":\"green\",\"mode\":\"blink_slow\"}";
	const char *state = "{\"type\":\"state\",\"recording\":false,\"report_open\":true}";
	const char *ping = "{\"type\":\"ping\",\"id\":\"a\\\"b\"}";

	CHECK(pm_parse_request(led, strlen(led), &req, &err) == 0, "led: %s", err.message);
	CHECK(req.type == PM_REQ_LED, "type %d", req.type);
	CHECK_STR(req.device_id, "0911-0c1c-SN1");
	CHECK(req.led == DB_LED_INS_OVR && req.color == DB_COLOR_GREEN &&
	      req.mode == DB_MODE_BLINK_SLOW, "led %d color %d mode %d", req.led, req.color,
	      req.mode);

	CHECK(pm_parse_request(state, strlen(state), &req, &err) == 0, "state: %s", err.message);
	CHECK(req.type == PM_REQ_STATE && !req.recording && req.report_open, "state values");

	CHECK(pm_parse_request(ping, strlen(ping), &req, &err) == 0, "ping: %s", err.message);
	CHECK_STR(req.id_json, "\"a\\\"b\"");

	{
		const char *a = "{\"type\":\"audio.start\",\"device_id\":\"m\"}";
		const char *b = "{\"type\":\"audio.start\",\"device_id\":\"m\",\"rate\":8000,"
		                "\"frame_ms\":60}";

		CHECK(pm_parse_request(a, strlen(a), &req, &err) == 0, "audio.start: %s", err.message);
		CHECK(req.type == PM_REQ_AUDIO_START && req.rate == 16000 && req.frame_ms == 20,
		      "defaults: rate %u frame %u", (unsigned)req.rate, (unsigned)req.frame_ms);
		CHECK_STR(req.device_id, "m");
		CHECK(pm_parse_request(b, strlen(b), &req, &err) == 0, "audio.start: %s", err.message);
		CHECK(req.rate == 8000 && req.frame_ms == 60, "rate %u frame %u", (unsigned)req.rate,
		      (unsigned)req.frame_ms);
	}

	{
		/* An unknown type echoed in the error is cut on a character boundary. */
		const char *t = "{\"type\":\"0123456789012345678901234567890\u00e9\u00e9\"}";

		CHECK(pm_parse_request(t, strlen(t), &req, &err) == -1, "unknown type parsed");
		CHECK(strstr(err.message, "'0123456789012345678901234567890'") != NULL,
		      "not cut before the two-byte character: %s", err.message);
	}

	/* not NUL-terminated: only len bytes count */
	CHECK(pm_parse_request("{\"type\":\"claim\"}XYZ", 16, &req, &err) == 0, "length-bounded");
	CHECK(req.type == PM_REQ_CLAIM, "claim");
}

static void test_deep_nesting(void)
{
	size_t depth = 5000, len = depth * 2;
	char *text = malloc(len + 1);
	struct pm_request req;
	struct pm_parse_error err;

	for (size_t i = 0; i < depth; i++) {
		text[i] = '[';
		text[len - 1 - i] = ']';
	}
	text[len] = '\0';
	CHECK(pm_parse_request(text, len, &req, &err) == -1, "deep nesting accepted");
	free(text);
}

static void expect_json(char *got, const char *want)
{
	CHECK_STR(got, want);
	free(got);
}

static void test_encode(void)
{
	const struct pm_device dev = {
		.id = "05f3-00ff-usb1-2", .family = DB_FAMILY_VEC_PEDAL, .model = "VEC pedal",
		.vendor_id = 0x05f3, .product_id = 0x00ff, .serial = NULL,
		.buttons = DB_BTN_BIT(DB_BTN_PEDAL_LEFT) | DB_BTN_BIT(DB_BTN_PEDAL_RIGHT),
	};
	const struct pm_device pm3 = {
		.id = "x", .family = DB_FAMILY_POWERMIC3, .model = "PowerMic II/III",
		.model_code = 0, .vendor_id = 0x0554, .product_id = 0x1001, .serial = "S",
		.buttons = DB_BTN_BIT(DB_BTN_RECORD), .leds = 1u << DB_LED_RECORD, .led_blink = false,
	};

	expect_json(pm_device_added(&dev),
	            "{\"type\":\"device.added\",\"device\":{\"id\":\"05f3-00ff-usb1-2\","
	            "\"family\":\"vec_pedal\",\"model\":\"VEC pedal\",\"model_code\":0,"
	            "\"vendor_id\":1523,\"product_id\":255,\"serial\":null,"
	            "\"buttons\":[\"pedal_left\",\"pedal_right\"],\"slider\":[],\"leds\":[],"
	            "\"led_colors\":[],\"led_modes\":[],\"audio\":null,"
	            "\"event_mode\":null,\"warning\":null,\"virtual\":false}}");
	expect_json(pm_hello("1.2.3", &pm3, 1),
	            "{\"type\":\"hello\",\"protocol\":1,\"version\":\"1.2.3\",\"devices\":[{\"id\":\"x\","
	            "\"family\":\"powermic3\",\"model\":\"PowerMic II/III\",\"model_code\":0,"
	            "\"vendor_id\":1364,\"product_id\":4097,\"serial\":\"S\","
	            "\"buttons\":[\"record\"],\"slider\":[],\"leds\":[\"record\"],"
	            "\"led_colors\":[\"off\",\"red\",\"green\"],\"led_modes\":[\"on\"],"
	            "\"audio\":null,"
	            "\"event_mode\":null,\"warning\":null,\"virtual\":false}]}");
	{
		struct pm_device mic = pm3;

		mic.audio_source = "paired";
		mic.audio_card = 2;
		mic.audio_name = "SpeechMikeIII";
		expect_json(pm_device_changed(&mic),
		            "{\"type\":\"device.changed\",\"device\":{\"id\":\"x\","
		            "\"family\":\"powermic3\",\"model\":\"PowerMic II/III\",\"model_code\":0,"
		            "\"vendor_id\":1364,\"product_id\":4097,\"serial\":\"S\","
		            "\"buttons\":[\"record\"],\"slider\":[],\"leds\":[\"record\"],"
		            "\"led_colors\":[\"off\",\"red\",\"green\"],\"led_modes\":[\"on\"],"
		            "\"audio\":{\"card\":2,\"name\":\"SpeechMikeIII\",\"source\":\"paired\","
		            "\"via\":null,\"server_source\":null,\"default_input\":null},"
		            "\"event_mode\":null,\"warning\":null,\"virtual\":false}}");
		mic.audio_via = "pulse";
		mic.audio_server_source = "alsa_input.usb-x";
		mic.audio_default_input = false;
		expect_json(pm_device_changed(&mic),
		            "{\"type\":\"device.changed\",\"device\":{\"id\":\"x\","
		            "\"family\":\"powermic3\",\"model\":\"PowerMic II/III\",\"model_code\":0,"
		            "\"vendor_id\":1364,\"product_id\":4097,\"serial\":\"S\","
		            "\"buttons\":[\"record\"],\"slider\":[],\"leds\":[\"record\"],"
		            "\"led_colors\":[\"off\",\"red\",\"green\"],\"led_modes\":[\"on\"],"
		            "\"audio\":{\"card\":2,\"name\":\"SpeechMikeIII\",\"source\":\"paired\","
		            "\"via\":\"pulse\",\"server_source\":\"alsa_input.usb-x\","
		            "\"default_input\":false},"
		            "\"event_mode\":null,\"warning\":null,\"virtual\":false}}");
		mic.audio_via = "alsa";
		mic.audio_server_source = NULL;
		mic.audio_source = "config";
		mic.audio_name = "USB desk mic";
		expect_json(pm_device_added(&mic),
		            "{\"type\":\"device.added\",\"device\":{\"id\":\"x\","
		            "\"family\":\"powermic3\",\"model\":\"PowerMic II/III\",\"model_code\":0,"
		            "\"vendor_id\":1364,\"product_id\":4097,\"serial\":\"S\","
		            "\"buttons\":[\"record\"],\"slider\":[],\"leds\":[\"record\"],"
		            "\"led_colors\":[\"off\",\"red\",\"green\"],\"led_modes\":[\"on\"],"
		            "\"audio\":{\"card\":null,\"name\":\"USB desk mic\",\"source\":\"config\","
		            "\"via\":\"alsa\",\"server_source\":null,\"default_input\":null},"
		            "\"event_mode\":null,\"warning\":null,\"virtual\":false}}");
	}
	expect_json(pm_audio_started("x", 7, 16000, 20, 48000, "pulse"),
	            "{\"type\":\"audio.started\",\"device_id\":\"x\",\"stream_id\":7,"
	            "\"rate\":16000,\"channels\":1,\"format\":\"s16le\",\"frame_ms\":20,"
	            "\"capture_rate\":48000,\"via\":\"pulse\"}");
	expect_json(pm_audio_level("x", -31.4, -100),
	            "{\"type\":\"audio.level\",\"device_id\":\"x\",\"rms_dbfs\":-31.4,"
	            "\"peak_dbfs\":-100}");
	expect_json(pm_audio_overrun("x", 12),
	            "{\"type\":\"audio.overrun\",\"device_id\":\"x\",\"dropped_frames\":12}");
	expect_json(pm_audio_stopped("x", "device_removed", NULL),
	            "{\"type\":\"audio.stopped\",\"device_id\":\"x\",\"reason\":\"device_removed\"}");
	expect_json(pm_audio_stopped("x", "error", "no capture device"),
	            "{\"type\":\"audio.stopped\",\"device_id\":\"x\",\"reason\":\"error\","
	            "\"message\":\"no capture device\"}");
	expect_json(pm_status("1.2.3", 3, NULL, 0),
	            "{\"name\":\"dictabridged\",\"version\":\"1.2.3\",\"protocol\":1,\"clients\":3,"
	            "\"devices\":[]}");
	expect_json(pm_device_removed("x"), "{\"type\":\"device.removed\",\"device_id\":\"x\"}");
	expect_json(pm_button("x", DB_BTN_INS_OVR, true, 1700000000123),
	            "{\"type\":\"button\",\"device_id\":\"x\",\"button\":\"ins_ovr\",\"pressed\":true,"
	            "\"time_ms\":1700000000123}");
	expect_json(pm_slider("x", DB_BTN_PLAY, 5),
	            "{\"type\":\"slider\",\"device_id\":\"x\",\"position\":\"play\",\"time_ms\":5}");
	expect_json(pm_command("x", KM_REPORT_SIGN, DB_BTN_EOL, "hold"),
	            "{\"type\":\"command\",\"device_id\":\"x\",\"command\":\"report.sign\","
	            "\"button\":\"eol\",\"gesture\":\"hold\"}");
	expect_json(pm_command("x", KM_RECORD_STOP, -1, "unplug"),
	            "{\"type\":\"command\",\"device_id\":\"x\",\"command\":\"record.stop\","
	            "\"button\":null,\"gesture\":\"unplug\"}");
	expect_json(pm_motion("x", DB_MOTION_LAID_DOWN),
	            "{\"type\":\"motion\",\"device_id\":\"x\",\"state\":\"laid_down\"}");
	expect_json(pm_motion("x", DB_MOTION_PICKED_UP),
	            "{\"type\":\"motion\",\"device_id\":\"x\",\"state\":\"picked_up\"}");
	expect_json(pm_claim(true), "{\"type\":\"claim\",\"owner\":true}");
	expect_json(pm_pong("\"p\""), "{\"type\":\"pong\",\"id\":\"p\"}");
	expect_json(pm_error(PM_ERR_UNKNOWN_LED, "no \"f1\"", "led"),
	            "{\"type\":\"error\",\"code\":\"unknown_led\",\"message\":\"no \\\"f1\\\"\","
	            "\"request\":\"led\"}");
	expect_json(pm_error(PM_ERR_INVALID_JSON, "bad", NULL),
	            "{\"type\":\"error\",\"code\":\"invalid_json\",\"message\":\"bad\","
	            "\"request\":null}");
}

/* Parses an encoder's output (and frees it): the daemon must read it back. */
static bool reparse(char *text, struct pm_request *req)
{
	struct pm_parse_error err;
	int rc = text ? pm_parse_request(text, strlen(text), req, &err) : -1;

	CHECK(rc == 0, "%s: %s", text ? text : "(null)", text ? err.message : "");
	free(text);
	return rc == 0;
}

/* Every request a client sends: what pm_req_* writes, pm_parse_request reads back. */
static void test_requests(void)
{
	struct pm_request r;

	expect_json(pm_req_led("d1", "record", "red", NULL),
	            "{\"type\":\"led\",\"device_id\":\"d1\",\"led\":\"record\","
	            "\"color\":\"red\"}");
	if (reparse(pm_req_ping("p \"1\""), &r))
		CHECK(r.type == PM_REQ_PING && strcmp(r.id_json, "\"p \\\"1\\\"\"") == 0, "ping %s",
		      r.id_json);
	if (reparse(pm_req_claim(), &r))
		CHECK(r.type == PM_REQ_CLAIM, "claim");
	if (reparse(pm_req_release(), &r))
		CHECK(r.type == PM_REQ_RELEASE, "release");
	if (reparse(pm_req_state(true, false), &r))
		CHECK(r.type == PM_REQ_STATE && r.recording && !r.report_open, "state");
	if (reparse(pm_req_state(false, true), &r))
		CHECK(r.type == PM_REQ_STATE && !r.recording && r.report_open, "state");
	if (reparse(pm_req_led("d1", "f2", "green", "blink_fast"), &r))
		CHECK(r.type == PM_REQ_LED && strcmp(r.device_id, "d1") == 0 && r.led == DB_LED_F2 &&
		      r.color == DB_COLOR_GREEN && r.mode == DB_MODE_BLINK_FAST, "led");
	if (reparse(pm_req_led("d1", "record", "off", NULL), &r))
		CHECK(r.led == DB_LED_RECORD && r.color == DB_COLOR_OFF && r.mode == DB_MODE_ON,
		      "led without a mode");
	if (reparse(pm_req_mode("d2", "browser"), &r))
		CHECK(r.type == PM_REQ_MODE && strcmp(r.device_id, "d2") == 0 &&
		      r.event_mode == DB_EVENT_MODE_BROWSER, "mode");
	if (reparse(pm_req_press("v", "record", true, 250), &r))
		CHECK(r.type == PM_REQ_PRESS && r.button == DB_BTN_RECORD && r.pressed &&
		      r.hold_ms == 250, "press");
	if (reparse(pm_req_press("v", "record", false, 0), &r))
		CHECK(r.type == PM_REQ_PRESS && !r.pressed && r.hold_ms == 0, "release a button");
	if (reparse(pm_req_slide("v", "rewind"), &r))
		CHECK(r.type == PM_REQ_SLIDE && r.button == DB_BTN_REWIND, "slide");
	if (reparse(pm_req_audio_start("m", 0, 0), &r))
		CHECK(r.type == PM_REQ_AUDIO_START && strcmp(r.device_id, "m") == 0 &&
		      r.rate == PM_AUDIO_DEFAULT_RATE && r.frame_ms == PM_AUDIO_DEFAULT_FRAME_MS,
		      "audio.start with the defaults");
	if (reparse(pm_req_audio_start("m", 48000, 10), &r))
		CHECK(r.rate == 48000 && r.frame_ms == 10, "audio.start %u %u", (unsigned)r.rate,
		      (unsigned)r.frame_ms);
	if (reparse(pm_req_audio_stop("m"), &r))
		CHECK(r.type == PM_REQ_AUDIO_STOP && strcmp(r.device_id, "m") == 0, "audio.stop");
}

int main(void)
{
	test_parse();
	test_parse_values();
	test_deep_nesting();
	test_encode();
	test_requests();
	return CHECK_DONE();
}
