/* Every family's descriptor, and every supported HID collection. The udev rule is
 * generated from the collections (udev/gen-rules.c), so adding a row here is all it takes
 * to support a new unit of a known family. */
#include <stdio.h>

#include "devices/wires.h"

#define VID_PHILIPS 0x0911
#define VID_NUANCE 0x0554
#define VID_PI_ENGINEERING 0x05f3

#define PAGE_VENDOR 0xFFA0, 0x0001   /* SpeechMike vendor protocol */
#define PAGE_JOYSTICK 0x0001, 0x0004 /* Generic Desktop / Joystick */
#define PAGE_ANY 0x0000, 0x0000      /* wildcard, see db_match */

#define SPEECHMIKE DB_FAMILY_SPEECHMIKE
#define MAIN DB_ROLE_MAIN
#define BUTTONS DB_ROLE_BUTTONS

const struct db_driver *const db_drivers[DB_FAMILY_COUNT] = {
	[DB_FAMILY_SPEECHMIKE] = &dbd_speechmike,
	[DB_FAMILY_POWERMIC4] = &dbd_powermic4,
	[DB_FAMILY_POWERMIC3] = &dbd_powermic3,
	[DB_FAMILY_FOOT_CONTROL] = &dbd_foot_control,
	[DB_FAMILY_VEC_PEDAL] = &dbd_vec_pedal,
};

const struct db_row db_rows[] = {
	/* SpeechMikes in HID mode: wired (LFH32xx-36xx, SMP37xx/38xx) and Premium Air. */
	{ VID_PHILIPS, 0x0c1c, PAGE_VENDOR, SPEECHMIKE, MAIN, &dbw_speechmike,
	  &dbw_speechmike_buttons, "SpeechMike (HID mode)" },
	{ VID_PHILIPS, 0x0c1d, PAGE_VENDOR, SPEECHMIKE, MAIN, &dbw_speechmike,
	  &dbw_speechmike_buttons, "SpeechMike Premium Air" },
	/* SpeechOne / Ambient keep their PID in browser mode, where the joystick appears. */
	{ VID_PHILIPS, 0x0c1e, PAGE_VENDOR, SPEECHMIKE, MAIN, &dbw_speechmike,
	  &dbw_speechmike_buttons, "SpeechOne / SpeechMike Ambient" },
	{ VID_PHILIPS, 0x0c1e, PAGE_JOYSTICK, SPEECHMIKE, BUTTONS, &dbw_gamepad,
	  &dbw_speechmike_gamepad_buttons, "SpeechOne / SpeechMike Ambient" },
	/* Every other SpeechMike in browser mode. */
	{ VID_PHILIPS, 0x0fa0, PAGE_VENDOR, SPEECHMIKE, MAIN, &dbw_speechmike,
	  &dbw_speechmike_buttons, "SpeechMike (browser mode)" },
	{ VID_PHILIPS, 0x0fa0, PAGE_JOYSTICK, SPEECHMIKE, BUTTONS, &dbw_gamepad,
	  &dbw_speechmike_gamepad_buttons, "SpeechMike (browser mode)" },
	/* PowerMic 4, HID or browser mode. */
	{ VID_NUANCE, 0x0064, PAGE_VENDOR, DB_FAMILY_POWERMIC4, MAIN, &dbw_speechmike,
	  &dbw_powermic4_buttons, "PowerMic 4" },
	{ VID_NUANCE, 0x0064, PAGE_JOYSTICK, DB_FAMILY_POWERMIC4, BUTTONS, &dbw_gamepad,
	  &dbw_powermic4_gamepad_buttons, "PowerMic 4" },
	/* PowerMic II-NS and III share one PID; their only collection has usage 0. */
	{ VID_NUANCE, 0x1001, 0x0001, 0x0000, DB_FAMILY_POWERMIC3, MAIN, &dbw_powermic3,
	  &dbw_powermic3_buttons, "PowerMic II/III" },
	{ VID_PHILIPS, 0x1844, PAGE_JOYSTICK, DB_FAMILY_FOOT_CONTROL, MAIN, &dbw_foot_control,
	  &dbw_foot_control_buttons, "Philips Foot Control ACC2310/2320" },
	{ VID_PHILIPS, 0x091a, PAGE_JOYSTICK, DB_FAMILY_FOOT_CONTROL, MAIN, &dbw_foot_control,
	  &dbw_foot_control_buttons, "Philips Foot Control ACC2330" },
	/* No public source states the usage of this pedal's collection (the kernel needs a
	 * quirk to treat it as input, so it is not a plain joystick), hence the wildcard. */
	{ VID_PI_ENGINEERING, 0x00ff, PAGE_ANY, DB_FAMILY_VEC_PEDAL, MAIN, &dbw_vec_pedal,
	  &dbw_vec_pedal_buttons, "VEC Infinity IN-USB foot pedal" },
};
const size_t db_row_count = sizeof(db_rows) / sizeof(db_rows[0]);

/* A row with usage page 0 and usage 0 matches every collection of its unit: it is only
 * for single-collection units whose usage is unknown, and must be the unit's only row. */
static bool row_matches(const struct db_row *r, uint16_t vid, uint16_t pid,
                        uint16_t usage_page, uint16_t usage)
{
	if (r->vendor_id != vid || r->product_id != pid)
		return false;
	if (r->usage_page == 0 && r->usage == 0)
		return true;
	return r->usage_page == usage_page && r->usage == usage;
}

const struct db_row *db_match(uint16_t vid, uint16_t pid, uint16_t usage_page, uint16_t usage)
{
	for (size_t i = 0; i < db_row_count; i++)
		if (row_matches(&db_rows[i], vid, pid, usage_page, usage))
			return &db_rows[i];
	return NULL;
}

const struct db_driver *db_driver(int family)
{
	return family >= 0 && family < DB_FAMILY_COUNT ? db_drivers[family] : NULL;
}

const struct db_ident_ops *db_row_ident(const struct db_row *row)
{
	const struct db_driver *d = db_driver(row->family);

	return d != NULL && row->role == DB_ROLE_MAIN ? d->ident : NULL;
}

bool db_family_has_microphone(enum db_family family)
{
	const struct db_driver *d = db_driver(family);

	return d != NULL && d->has_microphone;
}

static const struct db_model unknown_model = { 0, "dictation device", DB_SLIDER_NONE };

const struct db_model *db_model_lookup(enum db_family family, uint16_t code)
{
	const struct db_driver *d = db_driver(family);
	const struct db_model *m;

	if (d == NULL)
		return &unknown_model;
	if (d->model_of_code != NULL && (m = d->model_of_code(code)) != NULL)
		return m;
	return &d->generic;
}

const struct db_model *db_model_identified(enum db_family family, uint16_t code,
                                           struct db_model *unknown, char *name, size_t cap)
{
	const struct db_driver *d = db_driver(family);
	const struct db_model *m = db_model_lookup(family, code);

	if (m->code == code || d == NULL || d->model_of_code == NULL || cap == 0)
		return m;
	snprintf(name, cap, "%s (device code %u)", m->name, code);
	*unknown = (struct db_model){ code, name, DB_SLIDER_NONE };
	return unknown;
}
