/* The foot pedal families (doc/devices.md §3): plain button reports, no LEDs, no
 * identification, no microphone. Pedals are pressed with the foot: dictating while one is
 * held down is what transcription users expect, and no default binds a destructive
 * command (a foot resting on a pedal holds it). */
#include "devices/wires.h"

/* Philips ACC2310/2320/2330: only byte 0 is known; the pedals are named by their default
 * function because which physical pedal sets which bit is not documented. 0x10 is
 * reported but means nothing. The report length is not documented. */
const struct db_bitmap dbw_foot_control_buttons = {
	.offset = 0,
	.width = 1,
	.button_of_bit = {
		DB_BTN_REWIND, DB_BTN_PLAY, DB_BTN_FORWARD, DB_BTN_EOL,
		DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

const struct db_wire dbw_foot_control = {
	.name = "foot_control",
	.report_len = 0,
	.frame = NULL,
	.encode_leds = NULL,
};

static const struct db_binding foot_control_keymap[] = {
	{ DB_BTN_PLAY, "press", "record.toggle" },
	{ DB_BTN_FORWARD, "press", "field.next" },
	{ DB_BTN_REWIND, "press", "field.previous" },
};

const struct db_driver dbd_foot_control = {
	.name = "foot_control",
	.has_microphone = false,
	.generic = { 0, "Philips Foot Control", DB_SLIDER_NONE },
	.push_to_talk = true,
	DBW_KEYMAP(foot_control_keymap),
};

/* VEC / Infinity IN-USB: 2-byte report, pedals in byte 0, byte 1 always 0. */
const struct db_bitmap dbw_vec_pedal_buttons = {
	.offset = 0,
	.width = 1,
	.button_of_bit = {
		DB_BTN_PEDAL_LEFT, DB_BTN_PEDAL_MIDDLE, DB_BTN_PEDAL_RIGHT, DBW_NONE,
		DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE,
		DBW_NO_BUTTONS, DBW_NO_BUTTONS, DBW_NO_BUTTONS,
	},
};

const struct db_wire dbw_vec_pedal = {
	.name = "vec_pedal",
	.report_len = 2,
	.frame = NULL,
	.encode_leds = NULL,
};

static const struct db_binding vec_pedal_keymap[] = {
	{ DB_BTN_PEDAL_MIDDLE, "press", "record.toggle" },
	{ DB_BTN_PEDAL_RIGHT, "press", "field.next" },
	{ DB_BTN_PEDAL_LEFT, "press", "field.previous" },
};

const struct db_driver dbd_vec_pedal = {
	.name = "vec_pedal",
	.has_microphone = false,
	.generic = { 0, "VEC Infinity foot pedal", DB_SLIDER_NONE },
	.push_to_talk = true,
	DBW_KEYMAP(vec_pedal_keymap),
};
