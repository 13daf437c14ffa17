/* Foot pedals (doc/devices.md §3): plain button reports, no LEDs, no identification. */
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
