/* Input reports → button state: framing, the generic bit-map extractor and the slide
 * switch. Stateless: every report yields the full current state, and the caller diffs. */
#include "devices/wires.h"

#define SLIDER_COMMON (DB_BTN_BIT(DB_BTN_STOP) | DB_BTN_BIT(DB_BTN_PLAY) | DB_BTN_BIT(DB_BTN_REWIND))

/* The fourth position is where a push-button model has record (INT) or forward (PHI). */
static const uint32_t slider_positions[] = {
	[DB_SLIDER_NONE] = 0,
	[DB_SLIDER_INT] = SLIDER_COMMON | DB_BTN_BIT(DB_BTN_RECORD),
	[DB_SLIDER_PHI] = SLIDER_COMMON | DB_BTN_BIT(DB_BTN_FORWARD),
};

uint32_t db_slider_positions_of(const struct db_model *model)
{
	if (model == NULL || (unsigned)model->slider >= sizeof(slider_positions) / sizeof(uint32_t))
		return 0;
	return slider_positions[model->slider];
}

/* Buttons named by the set bits of `word`. */
static uint32_t buttons_of_word(const struct db_bitmap *bm, uint32_t word)
{
	uint32_t buttons = 0;
	for (unsigned bit = 0; bit < 8u * bm->width && bit < 32; bit++) {
		int b = bm->button_of_bit[bit];
		if ((word >> bit & 1) && b >= 0 && b < DB_BTN_COUNT)
			buttons |= DB_BTN_BIT(b);
	}
	return buttons;
}

/* Reads the bit map's word; false when the report is too short for it. */
static bool read_buttons(const struct db_bitmap *bm, const uint8_t *report, size_t len,
                         uint32_t *buttons)
{
	if (bm->width == 0 || bm->width > 4 || len < (size_t)bm->offset + bm->width)
		return false;
	uint32_t word = 0;
	for (unsigned i = 0; i < bm->width; i++)
		word |= (uint32_t)report[bm->offset + i] << (8 * i);
	*buttons = buttons_of_word(bm, word);
	return true;
}

void db_decode(const struct db_row *row, const struct db_model *model,
               const uint8_t *report, size_t len, struct db_input *out)
{
	*out = (struct db_input){ .kind = DB_INPUT_IGNORE, .slider = -1 };
	if (row == NULL || report == NULL)
		return;
	const struct db_wire *wire = row->wire;
	if (wire->report_len != 0 && len < wire->report_len)
		return;
	enum db_input_kind kind = wire->frame ? wire->frame(report, len, out) : DB_INPUT_BUTTONS;
	if (kind != DB_INPUT_BUTTONS) {
		out->kind = kind;
		return;
	}
	uint32_t buttons;
	if (!read_buttons(row->bitmap, report, len, &buttons))
		return;

	/* A slide switch has no separate button at its positions: those bits always report
	 * where it stands (doc/devices.md §1.3), whichever collection they come from. */
	uint32_t positions = db_slider_positions_of(model);
	out->kind = DB_INPUT_BUTTONS;
	out->buttons = buttons & ~positions;
	for (int b = 0; b < DB_BTN_COUNT; b++) {
		if (buttons & positions & DB_BTN_BIT(b)) {
			out->slider = b;
			break;
		}
	}
	/* The browser-mode joystick report has no STOP bit: there, no position bit is the
	 * STOP position (devices/speechmike.c, gamepad bit map). */
	if (out->slider < 0 && (positions & DB_BTN_BIT(DB_BTN_STOP)) &&
	    !(buttons_of_word(row->bitmap, UINT32_MAX) & DB_BTN_BIT(DB_BTN_STOP)))
		out->slider = DB_BTN_STOP;
}

uint32_t db_buttons_of(enum db_family family, const struct db_model *model)
{
	uint32_t buttons = 0;
	for (size_t i = 0; i < db_row_count; i++)
		if (db_rows[i].family == family)
			buttons |= buttons_of_word(db_rows[i].bitmap, UINT32_MAX);
	return buttons & ~db_slider_positions_of(model);
}
