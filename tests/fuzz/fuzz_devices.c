/* Device side: db_decode on every row, the model-identification exchange and the LED
 * encoders, driven the way the daemon drives them (a stream of input reports on one
 * collection, the model switching once identification completes).
 *
 * Input layout (every field falls back to 0 when the input runs out):
 *   [0]      row index, modulo db_row_count
 *   [1]      model choice: bit 7 looks the code up in the SpeechMike family whatever the
 *            row (slider models on every bit map); bits 0-6 index known_codes, and an
 *            index past its end takes the code from the next two bytes (big-endian)
 *   [..+14]  a struct db_led_state, raw, so out-of-range colours and modes occur
 *   [+1]     output buffer size for the LED encoder and the identification queries
 *   then     reports: one length byte (modulo 65), then that many bytes
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/driver.h"
#include "tests/fuzz/fuzz.h"

/* Device codes the decoder treats specially, so that the fuzzer need not guess them. */
static const uint16_t known_codes[] = {
	0,    3200, 3210, 3220, 3300, 3310, 3500, 3510, 3520, 3600,
	3610, 3700, 3710, 3720, 3800, 3810, 4000, 4010, 5000, 6001,
};
#define N_KNOWN (sizeof known_codes / sizeof known_codes[0])
#define MAX_REPORT 64
#define MAX_CAP 24
/* Queries at most: 0x83, 0x87 or 0x8B, 0x91, 0x96, 0x8D (the first comes from
 * start). */
#define MAX_IDENT_QUERIES 5
/* The SpeechMike family's exchange, the one identification there is; it runs on every
 * row's reports, so that it meets every kind of report. */
#define SM_IDENT (db_driver(DB_FAMILY_SPEECHMIKE)->ident)

static const struct db_model *pick_model(struct fuzz_cursor *c, const struct db_row *row,
                                         uint8_t choice)
{
	enum db_family family = choice & 0x80 ? DB_FAMILY_SPEECHMIKE : row->family;
	unsigned index = choice & 0x7f;
	uint16_t code;
	if (index < N_KNOWN) {
		code = known_codes[index];
	} else {
		code = (uint16_t)(fuzz_byte(c) << 8);
		code |= fuzz_byte(c);
	}
	const struct db_model *m = db_model_lookup(family, code);
	FUZZ_CHECK(m != NULL && m->name != NULL);
	return m;
}

static void check_input(const struct db_row *row, const struct db_model *model,
                        size_t len, const struct db_input *in)
{
	uint32_t allowed = db_buttons_of(row->family, model);
	uint32_t positions = db_slider_positions_of(model);
	switch (in->kind) {
	case DB_INPUT_BUTTONS:
		FUZZ_CHECK(row->wire->report_len == 0 || len >= row->wire->report_len);
		FUZZ_CHECK((in->buttons & ~allowed) == 0);
		/* A slide switch position is never also reported as a held button. */
		FUZZ_CHECK((in->buttons & positions) == 0);
		FUZZ_CHECK(in->slider == -1 ||
		           (in->slider >= 0 && in->slider < DB_BTN_COUNT &&
		            (positions & DB_BTN_BIT(in->slider)) != 0));
		FUZZ_CHECK(in->slider == -1 || db_button_name(in->slider) != NULL);
		break;
	case DB_INPUT_MOTION:
		FUZZ_CHECK(in->motion == DB_MOTION_PICKED_UP || in->motion == DB_MOTION_LAID_DOWN);
		FUZZ_CHECK(in->buttons == 0 && in->slider == -1);
		break;
	case DB_INPUT_IGNORE:
		FUZZ_CHECK(in->buttons == 0 && in->slider == -1);
		break;
	default:
		FUZZ_CHECK(!"unknown input kind");
	}
	FUZZ_CHECK((allowed & positions) == 0);
}

static void check_leds(const struct db_row *row, const struct db_led_state *state, size_t cap)
{
	if (row->wire->encode_leds == NULL) {
		FUZZ_CHECK(row->wire->leds == 0);
		return;
	}
	/* Exactly cap bytes on the heap: a write past cap is an ASan report, not luck. */
	uint8_t *out = malloc(cap ? cap : 1);
	FUZZ_CHECK(out != NULL);
	size_t n = row->wire->encode_leds(state, cap ? out : NULL, cap);
	FUZZ_CHECK(n <= cap);
	if (cap >= 10)
		FUZZ_CHECK(n != 0); /* driver.h: 10 bytes always do */
	if (n > 0)
		FUZZ_CHECK(out[0] == 0); /* hidapi report ID */
	/* The encoder is pure: the same state gives the same bytes. */
	if (n > 0) {
		uint8_t again[MAX_CAP];
		FUZZ_CHECK(row->wire->encode_leds(state, again, n) == n);
		FUZZ_CHECK(memcmp(out, again, n) == 0);
	}
	free(out);
}

/* Feeds one report to the identification exchange and checks the step it takes. */
static void ident_step(struct db_ident *st, const uint8_t *report, size_t len, size_t cap,
                       unsigned *queries)
{
	uint8_t *out = malloc(cap ? cap : 1);
	FUZZ_CHECK(out != NULL);
	struct db_ident before = *st;
	size_t out_len = 12345;
	/* A one-byte report 0xFF stands for the pending query's timeout. */
	bool timeout = len == 1 && report[0] == 0xFF;
	enum db_ident_result r = timeout ? SM_IDENT->timeout(st, cap ? out : NULL, cap, &out_len)
	                                 : SM_IDENT->feed(st, report, len, cap ? out : NULL, cap,
	                                                  &out_len);
	/* A timeout keeps what was learned. */
	if (timeout)
		FUZZ_CHECK(st->code == before.code && r != DB_IDENT_NOT_MINE);
	FUZZ_CHECK(out_len <= cap);
	switch (r) {
	case DB_IDENT_NOT_MINE:
		FUZZ_CHECK(out_len == 0);
		FUZZ_CHECK(memcmp(&before, st, sizeof before) == 0);
		break;
	case DB_IDENT_SEND:
		FUZZ_CHECK(st->pending != 0);
		FUZZ_CHECK(++*queries <= MAX_IDENT_QUERIES);
		if (out_len > 0)
			FUZZ_CHECK(out[0] == 0 && out[1] == st->pending);
		if (cap >= 10)
			FUZZ_CHECK(out_len != 0);
		/* A retry re-sends the very same query. */
		if (out_len > 0) {
			uint8_t again[MAX_CAP];
			FUZZ_CHECK(SM_IDENT->pending_query(st, again, out_len) == out_len);
			FUZZ_CHECK(memcmp(again, out, out_len) == 0);
		}
		break;
	case DB_IDENT_DONE:
		FUZZ_CHECK(st->pending == 0 && out_len == 0);
		FUZZ_CHECK(SM_IDENT->pending_query(st, out, cap) == 0);
		break;
	default:
		FUZZ_CHECK(!"unknown identification result");
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	const struct db_row *row = &db_rows[fuzz_byte(&c) % db_row_count];
	FUZZ_CHECK(row->wire != NULL && row->bitmap != NULL);
	FUZZ_CHECK(db_match(row->vendor_id, row->product_id, row->usage_page, row->usage) == row);
	const struct db_model *model = pick_model(&c, row, fuzz_byte(&c));

	struct db_led_state leds;
	for (size_t i = 0; i < sizeof leds; i++)
		((uint8_t *)&leds)[i] = fuzz_byte(&c);
	size_t cap = fuzz_byte(&c) % (MAX_CAP + 1);
	check_leds(row, &leds, cap);

	struct db_ident ident;
	uint8_t first[MAX_CAP];
	size_t first_len = SM_IDENT->start(&ident, first, cap);
	FUZZ_CHECK(first_len <= cap && ident.pending != 0 && ident.code == 0);
	unsigned queries = 1;
	bool identified = false;

	while (c.left > 0) {
		size_t len = fuzz_byte(&c) % (MAX_REPORT + 1);
		if (len > c.left)
			len = c.left;
		/* A report of its own size, so that reading past its end is caught. */
		uint8_t *report = malloc(len ? len : 1);
		FUZZ_CHECK(report != NULL);
		memcpy(report, c.p, len);
		c.p += len;
		c.left -= len;

		struct db_input in, again;
		db_decode(row, model, report, len, &in);
		check_input(row, model, len, &in);
		db_decode(row, model, report, len, &again);
		FUZZ_CHECK(memcmp(&in, &again, sizeof in) == 0);
		/* Before identification the daemon decodes with no model at all. */
		db_decode(row, NULL, report, len, &again);
		check_input(row, NULL, len, &again);

		if (!identified) {
			ident_step(&ident, report, len, cap, &queries);
			if (ident.pending == 0) {
				identified = true;
				model = db_model_lookup(row->family, ident.code);
				FUZZ_CHECK(model != NULL);
			}
		} else if (identified) {
			/* Late answers are input, never a restart of the exchange. */
			struct db_ident done = ident;
			size_t n = 1;
			FUZZ_CHECK(SM_IDENT->feed(&done, report, len, NULL, 0, &n) ==
			           DB_IDENT_NOT_MINE);
			FUZZ_CHECK(n == 0 && memcmp(&done, &ident, sizeof done) == 0);
		}
		free(report);
	}
	db_decode(row, model, NULL, 0, &(struct db_input){ 0 });
	return 0;
}
