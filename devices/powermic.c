/* The Nuance families: PowerMic 4 and PowerMic II/III (doc/devices.md §1.2, §1.4, §2).
 * The PowerMic 4 speaks the SpeechMike protocol (devices/speechmike.c); its button layouts
 * and its descriptor live here. */
#include "devices/wires.h"

/* 0x80 report of the vendor collection, LE word of bytes 7-8. */
const struct db_bitmap dbw_powermic4_buttons = {
	.offset = 7,
	.width = 2,
	.button_of_bit = {
		/* byte 7 */
		DBW_NONE, DB_BTN_F1, DB_BTN_F2, DB_BTN_F3,
		DB_BTN_F4, DB_BTN_COMMAND, DBW_NONE, DBW_NONE,
		/* byte 8 */
		DB_BTN_RECORD, DBW_NONE, DB_BTN_PLAY, DB_BTN_TAB_FORWARD,
		DB_BTN_TAB_BACKWARD, DB_BTN_REWIND, DB_BTN_FORWARD, DB_BTN_ENTER,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

/* Browser-mode joystick report, LE word of bytes 0-1. */
const struct db_bitmap dbw_powermic4_gamepad_buttons = {
	.offset = 0,
	.width = 2,
	.button_of_bit = {
		/* byte 0 */
		DB_BTN_TAB_BACKWARD, DB_BTN_PLAY, DB_BTN_TAB_FORWARD, DBW_NONE,
		DB_BTN_FORWARD, DB_BTN_RECORD, DB_BTN_COMMAND, DBW_NONE,
		/* byte 1 */
		DBW_NONE, DB_BTN_ENTER, DB_BTN_F1, DB_BTN_F2,
		DB_BTN_F3, DB_BTN_F4, DB_BTN_REWIND, DBW_NONE,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

/* PowerMic II/III: 3-byte report, no report ID. The trigger has two reported homes, byte 0
 * bit 0 (a capture, although the descriptor calls that byte constant) and HID button 13 at
 * byte 2 bit 4 (another reader); neither is confirmed, so both count (doc/devices.md §2).
 * The mouse buttons at byte 2 bits 2-3 are the trackball's, not dictation buttons. */
const struct db_bitmap dbw_powermic3_buttons = {
	.offset = 0,
	.width = 3,
	.button_of_bit = {
		/* byte 0 */
		DB_BTN_TRIGGER, DBW_NONE, DBW_NONE, DBW_NONE,
		DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE,
		/* byte 1: HID buttons 1-8; 0x40 is the STOP/PLAY button */
		DB_BTN_TRANSCRIBE, DB_BTN_TAB_BACKWARD, DB_BTN_RECORD, DB_BTN_TAB_FORWARD,
		DB_BTN_REWIND, DB_BTN_FORWARD, DB_BTN_PLAY, DB_BTN_CUSTOM_LEFT,
		/* byte 2: HID buttons 9-14 */
		DB_BTN_ENTER, DB_BTN_CUSTOM_RIGHT, DBW_NONE, DBW_NONE,
		DB_BTN_TRIGGER, DBW_NONE, DBW_NONE, DBW_NONE,
		DBW_NO_BUTTONS,
	},
};

/* One record LED whose single output byte is a colour: 0 off, 1 red, 2 green. It has no
 * blink mode, so the mode is ignored. */
static size_t encode_leds(const struct db_led_state *state, uint8_t *out, size_t cap)
{
	if (out == NULL || cap < 2)
		return 0;
	uint8_t color = state->led[DB_LED_RECORD].color;
	out[0] = 0; /* report ID */
	out[1] = color == DB_COLOR_RED ? 1 : color == DB_COLOR_GREEN ? 2 : 0;
	return 2;
}

const struct db_wire dbw_powermic3 = {
	.name = "powermic3",
	.report_len = 3,
	.frame = NULL,
	.encode_leds = encode_leds,
	.leds = UINT32_C(1) << DB_LED_RECORD,
	.led_blink = false,
};

/* ---- the families ---------------------------------------------------------------- */

static const struct db_binding powermic4_keymap[] = {
	{ DB_BTN_RECORD, "press", "record.toggle" },
	{ DB_BTN_TAB_BACKWARD, "press", "report.process" },
	{ DB_BTN_TAB_FORWARD, "press", "field.next" },
	{ DB_BTN_ENTER, "hold", "report.sign" },
	{ DB_BTN_F1, "press", "report.save" },
	{ DB_BTN_F2, "hold", "report.sign_prelim" },
	{ DB_BTN_F3, "press", "report.close" },
	{ DB_BTN_F4, "hold", "report.discard" },
};

/* The PowerMic 4 answers the identification queries like a Premium, but with a
 * SpeechMike's codes, and its type comes from its PID (doc/devices.md §1.6): it is not
 * asked, which would only cost time at open. */
const struct db_driver dbd_powermic4 = {
	.name = "powermic4",
	.has_microphone = true,
	.generic = { 0, "PowerMic 4", DB_SLIDER_NONE },
	DBW_KEYMAP(powermic4_keymap),
};

static const struct db_binding powermic3_keymap[] = {
	{ DB_BTN_RECORD, "press", "record.toggle" },
	{ DB_BTN_TAB_BACKWARD, "press", "report.process" },
	{ DB_BTN_TAB_FORWARD, "press", "field.next" },
	{ DB_BTN_ENTER, "hold", "report.sign" },
	{ DB_BTN_CUSTOM_LEFT, "press", "report.save" },
	{ DB_BTN_CUSTOM_RIGHT, "hold", "report.discard" },
};

const struct db_driver dbd_powermic3 = {
	.name = "powermic3",
	.has_microphone = true,
	.generic = { 0, "PowerMic II/III", DB_SLIDER_NONE },
	DBW_KEYMAP(powermic3_keymap),
};
