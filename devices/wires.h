/* The family descriptors, wire formats and bit maps that devices/table.c assembles into
 * db_drivers and db_rows. Private to devices/: the rest of the daemon sees them only
 * through those two tables.
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

/* A descriptor's default keymap: a struct db_binding array and its length. */
#define DBW_KEYMAP(bindings) \
	.keymap = (bindings), .keymap_len = sizeof(bindings) / sizeof((bindings)[0])

/* ---- speechmike.c: the SpeechMike vendor protocol (doc/devices.md §1) --------- */

extern const struct db_driver dbd_speechmike;
/* The vendor collection 0xFFA0/1 (SpeechMikes and the PowerMic 4). */
extern const struct db_wire dbw_speechmike;
/* The browser-mode joystick collection 1/4: plain button reports, no LEDs. */
extern const struct db_wire dbw_gamepad;
extern const struct db_bitmap dbw_speechmike_buttons;         /* 0x80 report */
extern const struct db_bitmap dbw_speechmike_gamepad_buttons; /* joystick report */

/* ---- powermic.c: the Nuance families (doc/devices.md §1.2, §1.4, §2) ----------- */

extern const struct db_driver dbd_powermic4;
extern const struct db_driver dbd_powermic3;
extern const struct db_wire dbw_powermic3;
extern const struct db_bitmap dbw_powermic3_buttons;
extern const struct db_bitmap dbw_powermic4_buttons;          /* 0x80 report */
extern const struct db_bitmap dbw_powermic4_gamepad_buttons;  /* joystick report */

/* ---- pedal.c: foot pedals (doc/devices.md §3) -------------------------------- */

extern const struct db_driver dbd_foot_control;
extern const struct db_driver dbd_vec_pedal;
extern const struct db_wire dbw_foot_control;
extern const struct db_wire dbw_vec_pedal;
extern const struct db_bitmap dbw_foot_control_buttons;
extern const struct db_bitmap dbw_vec_pedal_buttons;

#endif
