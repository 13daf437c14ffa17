/* The SpeechMike family and its vendor protocol (doc/devices.md §1): framing of the
 * 9-byte reports of collection 0xFFA0/1, SET_LED, the model-identification exchange, the
 * event mode and the device codes, plus the browser-mode joystick collection that pairs
 * with it.
 *
 * Every host→device buffer is 10 bytes: hidapi's report-ID byte 0, the command code, and
 * eight payload bytes. Queries are padded to that length too, because whether the
 * firmware accepts a 1-byte output report over hidraw is not known (doc/devices.md §1.1).
 */
#include <string.h>

#include "devices/wires.h"

enum {
	REPORT_LEN = 9,  /* input report, no report ID */
	WRITE_LEN = 10,  /* report ID + command + 8 payload bytes */
};

enum {
	CMD_SET_LED = 0x02,
	CMD_SET_EVENT_MODE = 0x0D,
	EV_BUTTONS = 0x80,
	Q_IS_PREMIUM = 0x83,
	Q_CODE_SM3 = 0x87,
	Q_CODE_SMP = 0x8B,
	Q_EVENT_MODE = 0x8D,
	Q_FIRMWARE = 0x91,
	Q_CODE_SO = 0x96,
	EV_MOTION = 0x9E,
};

/* Starts a host→device buffer for `command`; 0 when it does not fit. */
static size_t command_buffer(uint8_t command, uint8_t *out, size_t cap)
{
	if (out == NULL || cap < WRITE_LEN)
		return 0;
	memset(out, 0, WRITE_LEN);
	out[1] = command;
	return WRITE_LEN;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- input ---------------------------------------------------------------------- */

static enum db_input_kind frame(const uint8_t *report, size_t len, struct db_input *in)
{
	if (report == NULL || len < REPORT_LEN)
		return DB_INPUT_IGNORE;
	switch (report[0]) {
	case EV_BUTTONS:
		return DB_INPUT_BUTTONS;
	case EV_MOTION:
		in->motion = report[8] == 0x01 ? DB_MOTION_LAID_DOWN : DB_MOTION_PICKED_UP;
		return DB_INPUT_MOTION;
	default:
		/* Query answers arriving late, wireless status (0x94) and unknown events. */
		return DB_INPUT_IGNORE;
	}
}

const struct db_bitmap dbw_speechmike_buttons = {
	.offset = 7,
	.width = 2,
	.button_of_bit = {
		/* byte 7 */
		DB_BTN_SCAN_END, DB_BTN_F1, DB_BTN_F2, DB_BTN_F3,
		DB_BTN_F4, DB_BTN_COMMAND, DBW_NONE, DB_BTN_SCAN_SUCCESS,
		/* byte 8 */
		DB_BTN_RECORD, DB_BTN_STOP, DB_BTN_PLAY, DB_BTN_FORWARD,
		DB_BTN_REWIND, DB_BTN_EOL, DB_BTN_INS_OVR, DB_BTN_INSTRUCTION,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

const struct db_bitmap dbw_speechmike_gamepad_buttons = {
	.offset = 0,
	.width = 2,
	.button_of_bit = {
		/* byte 0 */
		DB_BTN_REWIND, DB_BTN_PLAY, DB_BTN_FORWARD, DBW_NONE,
		DB_BTN_INS_OVR, DB_BTN_RECORD, DB_BTN_COMMAND, DBW_NONE,
		/* byte 1 */
		DBW_NONE, DB_BTN_INSTRUCTION, DB_BTN_F1, DB_BTN_F2,
		DB_BTN_F3, DB_BTN_F4, DB_BTN_EOL, DBW_NONE,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

/* ---- LEDs ----------------------------------------------------------------------- */

/* Where each LED's 2-bit mode field sits: data byte, and the field's shift for each
 * colour. The F LEDs are single-colour, so both colours name the same field. */
static const struct {
	uint8_t byte, green_shift, red_shift;
} led_field[DB_LED_COUNT] = {
	[DB_LED_RECORD] = { 6, 0, 2 },
	[DB_LED_INSTRUCTION] = { 6, 4, 6 },
	[DB_LED_INS_OVR] = { 7, 4, 6 },
	[DB_LED_F1] = { 8, 6, 6 },
	[DB_LED_F2] = { 8, 4, 4 },
	[DB_LED_F3] = { 8, 2, 2 },
	[DB_LED_F4] = { 8, 0, 0 },
};

/* Field value of a lit LED; a mode out of range lights it steadily. */
static uint8_t mode_field(uint8_t mode)
{
	switch (mode) {
	case DB_MODE_BLINK_SLOW:
		return 1;
	case DB_MODE_BLINK_FAST:
		return 2;
	default:
		return 3;
	}
}

/* SET_LED with the whole state. Returns 0 (nothing to write) when cap is too small. */
static size_t encode_leds(const struct db_led_state *state, uint8_t *out, size_t cap)
{
	size_t n = command_buffer(CMD_SET_LED, out, cap);
	if (n == 0)
		return 0;
	for (int led = 0; led < DB_LED_COUNT; led++) {
		const struct db_led_value *v = &state->led[led];
		uint8_t shift;
		if (v->color == DB_COLOR_RED)
			shift = led_field[led].red_shift;
		else if (v->color == DB_COLOR_GREEN)
			shift = led_field[led].green_shift;
		else
			continue;
		/* +1: the report-ID byte precedes the data bytes. */
		out[1 + led_field[led].byte] |= (uint8_t)(mode_field(v->mode) << shift);
	}
	return n;
}

/* The PowerMic 4 speaks this wire too. Which of its LEDs react to SET_LED is not
 * documented (doc/devices.md §1.5): it advertises the SpeechMike set, as the reference SDK
 * sends it the same SET_LED. */
const struct db_wire dbw_speechmike = {
	.name = "speechmike",
	.report_len = REPORT_LEN,
	.frame = frame,
	.encode_leds = encode_leds,
	.leds = (UINT32_C(1) << DB_LED_COUNT) - 1,
	.led_blink = true,
};

/* Only the first two bytes are known; the rest of the report (axes?) is not documented,
 * so the length is not fixed. */
const struct db_wire dbw_gamepad = {
	.name = "gamepad",
	.report_len = 0,
	.frame = NULL,
	.encode_leds = NULL, /* LEDs stay on the vendor collection */
};

/* ---- model identification (doc/devices.md §1.6) ------------------------------------ */

/* Stages name what the pending answer means; 0x96 is asked for two different reasons. */
enum {
	ST_IDLE,
	ST_IS_PREMIUM,
	ST_CODE_SM3,
	ST_CODE_SMP,
	ST_FIRMWARE,
	ST_CODE_SPEECHONE,
	ST_CODE_AMBIENT,
	ST_EVENT_MODE,
	ST_DONE,
};

static const uint8_t stage_query[] = {
	[ST_IS_PREMIUM] = Q_IS_PREMIUM,
	[ST_CODE_SM3] = Q_CODE_SM3,
	[ST_CODE_SMP] = Q_CODE_SMP,
	[ST_FIRMWARE] = Q_FIRMWARE,
	[ST_CODE_SPEECHONE] = Q_CODE_SO,
	[ST_CODE_AMBIENT] = Q_CODE_SO,
	[ST_EVENT_MODE] = Q_EVENT_MODE,
	[ST_DONE] = 0,
};

static size_t ident_pending_query(const struct db_ident *st, uint8_t *out, size_t cap)
{
	return st->pending != 0 ? command_buffer(st->pending, out, cap) : 0;
}

static enum db_ident_result enter(struct db_ident *st, uint8_t stage, uint8_t *out,
                                  size_t cap, size_t *out_len)
{
	st->stage = stage;
	st->pending = stage_query[stage];
	size_t n = ident_pending_query(st, out, cap);
	if (out_len != NULL)
		*out_len = n;
	return stage == ST_DONE ? DB_IDENT_DONE : DB_IDENT_SEND;
}

static size_t ident_start(struct db_ident *st, uint8_t *out, size_t cap)
{
	size_t n;
	st->code = 0;
	st->event_mode = -1;
	enter(st, ST_IS_PREMIUM, out, cap, &n);
	return n;
}

static uint16_t max_u16(uint16_t a, uint16_t b)
{
	return a > b ? a : b;
}

static enum db_ident_result ident_feed(struct db_ident *st, const uint8_t *report,
                                       size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (out_len != NULL)
		*out_len = 0;
	if (st->pending == 0 || report == NULL || len < REPORT_LEN || report[0] != st->pending)
		return DB_IDENT_NOT_MINE;

	uint8_t next = ST_DONE;
	switch (st->stage) {
	case ST_IS_PREMIUM:
		next = report[8] & 0x80 ? ST_CODE_SMP : ST_CODE_SM3;
		break;
	case ST_CODE_SM3:
	case ST_CODE_SPEECHONE:
		st->code = be16(report + 7);
		break;
	case ST_CODE_SMP:
		if (report[1] != 0) {
			next = ST_CODE_SPEECHONE;
			break;
		}
		/* Air, Touch and Premium codes: a unit reports those of its predecessors too. */
		st->code = max_u16(be16(report + 2), max_u16(be16(report + 4), be16(report + 6)));
		if (st->code == 4000 || st->code == 4010)
			next = ST_FIRMWARE; /* an Ambient also answers as an Air */
		break;
	case ST_FIRMWARE:
		if (report[5] == 6) /* main firmware v6: an Ambient */
			next = ST_CODE_AMBIENT;
		break;
	case ST_CODE_AMBIENT:
		if (be16(report + 5) != 0)
			st->code = be16(report + 5);
		break;
	case ST_EVENT_MODE:
		st->event_mode = (int8_t)report[8];
		break;
	default:
		break;
	}
	/* Once the code is known, the mode it runs in. */
	if (next == ST_DONE && st->stage != ST_EVENT_MODE && st->code != 0)
		next = ST_EVENT_MODE;
	return enter(st, next, out, cap, out_len);
}

static enum db_ident_result ident_timeout(struct db_ident *st, uint8_t *out, size_t cap,
                                          size_t *out_len)
{
	/* st->code stays as received: the queries after the first code only refine it, and
	 * the event mode is still worth asking for. */
	bool ask_mode = st->code != 0 && st->stage != ST_EVENT_MODE && st->stage != ST_DONE;
	return enter(st, ask_mode ? ST_EVENT_MODE : ST_DONE, out, cap, out_len);
}

/* ---- event mode (doc/devices.md §1.7; its wire names are in names.c) ------------- */

bool db_event_mode_delivers_buttons(int mode)
{
	return mode < 0 || mode >= DB_EVENT_MODE_COUNT || mode == DB_EVENT_MODE_HID ||
	       mode == DB_EVENT_MODE_BROWSER;
}

static size_t event_mode_command(int mode, uint8_t *out, size_t cap)
{
	if (mode < 0 || mode >= DB_EVENT_MODE_COUNT)
		return 0;
	size_t n = command_buffer(CMD_SET_EVENT_MODE, out, cap);
	if (n)
		out[WRITE_LEN - 1] = (uint8_t)mode;
	return n;
}

/* ---- device codes ---------------------------------------------------------------- */

/* xx00 push buttons, xx10 INT slider, xx20 PHI slider (doc/devices.md §1.3). */
static const struct db_model models[] = {
	{ 3200, "SpeechMike III LFH3200", DB_SLIDER_NONE },
	{ 3210, "SpeechMike III LFH3210", DB_SLIDER_INT },
	{ 3220, "SpeechMike III LFH3220", DB_SLIDER_PHI },
	{ 3300, "SpeechMike III LFH3300", DB_SLIDER_NONE },
	{ 3310, "SpeechMike III LFH3310", DB_SLIDER_INT },
	{ 3500, "SpeechMike Premium LFH3500", DB_SLIDER_NONE },
	{ 3510, "SpeechMike Premium LFH3510", DB_SLIDER_INT },
	{ 3520, "SpeechMike Premium LFH3520", DB_SLIDER_PHI },
	{ 3600, "SpeechMike Premium LFH3600", DB_SLIDER_NONE },
	{ 3610, "SpeechMike Premium LFH3610", DB_SLIDER_INT },
	{ 3700, "SpeechMike Premium Touch SMP3700", DB_SLIDER_NONE },
	{ 3710, "SpeechMike Premium Touch SMP3710", DB_SLIDER_INT },
	{ 3720, "SpeechMike Premium Touch SMP3720", DB_SLIDER_PHI },
	{ 3800, "SpeechMike Premium Touch SMP3800", DB_SLIDER_NONE },
	{ 3810, "SpeechMike Premium Touch SMP3810", DB_SLIDER_INT },
	{ 4000, "SpeechMike Premium Air SMP4000", DB_SLIDER_NONE },
	{ 4010, "SpeechMike Premium Air SMP4010", DB_SLIDER_INT },
	{ 5000, "SpeechMike Ambient PSM5000", DB_SLIDER_NONE },
	{ 6001, "SpeechOne PSM6000", DB_SLIDER_NONE },
};

static const struct db_model *model_of_code(uint16_t code)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i].code == code)
			return &models[i];
	return NULL;
}

/* ---- the family ------------------------------------------------------------------ */

static const struct db_ident_ops ident = {
	.start = ident_start,
	.pending_query = ident_pending_query,
	.feed = ident_feed,
	.timeout = ident_timeout,
	.event_mode_command = event_mode_command,
};

static const struct db_binding keymap[] = {
	{ DB_BTN_RECORD, "press", "record.toggle" },
	{ DB_BTN_STOP, "press", "record.stop" },
	{ DB_BTN_INS_OVR, "press", "report.process" },
	{ DB_BTN_EOL, "hold", "report.sign" },
	{ DB_BTN_FORWARD, "press", "field.next" },
	{ DB_BTN_REWIND, "press", "field.previous" },
	{ DB_BTN_F1, "press", "report.save" },
	{ DB_BTN_F2, "hold", "report.sign_prelim" },
	{ DB_BTN_F3, "press", "report.close" },
	{ DB_BTN_F4, "hold", "report.discard" },
};

const struct db_driver dbd_speechmike = {
	.name = "speechmike",
	.has_microphone = true,
	.generic = { 0, "SpeechMike", DB_SLIDER_NONE },
	DBW_KEYMAP(keymap),
	.ident = &ident,
	.model_of_code = model_of_code,
};
