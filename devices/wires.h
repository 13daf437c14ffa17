/* The wire formats and bit maps that devices/table.c assembles into rows. Private to
 * devices/: the rest of the daemon sees them only through struct db_row.
 *
 * Bit maps must give every one of their 32 entries a value: an entry left out would be
 * 0, which is DB_BTN_RECORD, so unused bits are spelled DBW_NONE explicitly.
 */
#ifndef DICTABRIDGE_DEVICES_WIRES_H
#define DICTABRIDGE_DEVICES_WIRES_H

#include "devices/driver.h"

/* A bit map entry for a bit that is no button. */
#define DBW_NONE (-1)
/* Eight DBW_NONE: a report byte without buttons, or an unused byte of a narrow word. */
#define DBW_NO_BUTTONS \
	DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE, DBW_NONE

/* ---- speechmike.c: the SpeechMike vendor protocol (doc/devices.md §1) --------- */

/* The vendor collection 0xFFA0/1 as SpeechMikes speak it: identifies its model. */
extern const struct db_wire dbw_speechmike;
/* The same protocol on the PowerMic 4, whose type comes from its PID instead. */
extern const struct db_wire dbw_powermic4;
/* The browser-mode joystick collection 1/4: plain button reports, no LEDs. */
extern const struct db_wire dbw_gamepad;
extern const struct db_bitmap dbw_speechmike_buttons;         /* 0x80 report */
extern const struct db_bitmap dbw_speechmike_gamepad_buttons; /* joystick report */
/* The model of a SpeechMike device code, or NULL when the code is unknown. */
const struct db_model *dbw_speechmike_model(uint16_t code);

/* ---- powermic.c: Nuance button layouts and the PowerMic II/III wire (doc/devices.md §2) */

extern const struct db_wire dbw_powermic3;
extern const struct db_bitmap dbw_powermic3_buttons;
extern const struct db_bitmap dbw_powermic4_buttons;          /* 0x80 report */
extern const struct db_bitmap dbw_powermic4_gamepad_buttons;  /* joystick report */

/* ---- pedal.c: foot pedals (doc/devices.md §3) -------------------------------- */

extern const struct db_wire dbw_foot_control;
extern const struct db_wire dbw_vec_pedal;
extern const struct db_bitmap dbw_foot_control_buttons;
extern const struct db_bitmap dbw_vec_pedal_buttons;

#endif
