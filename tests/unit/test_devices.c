/* Device knowledge against the device facts of doc/devices.md, data-driven:
 * every vector is a hex string in a table, and one runner per kind of table. */
#include <stdint.h>
#include <stdlib.h>

#include "devices/driver.h"
#include "tests/unit/check.h"

#define B(x) DB_BTN_BIT(DB_BTN_##x)
#define NO_SLIDER (-1)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_REPORT 64

/* Parses "80 00 0C" into out; returns the byte count. */
static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		char *end;
		unsigned long v = strtoul(s, &end, 16);
		if (end == s)
			return n;
		if (n == cap || v > 0xFF) {
			fprintf(stderr, "bad test vector \"%s\"\n", s);
			exit(2);
		}
		out[n++] = (uint8_t)v;
		s = end;
	}
}

/* A heap copy of exactly len bytes, so the sanitizers catch any read beyond len. Free
 * with release(). */
static uint8_t *exact_copy(const uint8_t *bytes, size_t len)
{
	uint8_t *block = malloc(len + 1);
	if (block == NULL)
		exit(2);
	memcpy(block + 1, bytes, len);
	return block + 1;
}

static void release(uint8_t *copy)
{
	free(copy - 1);
}

static void decode_bytes(const struct db_row *row, const struct db_model *model,
                         const uint8_t *bytes, size_t len, struct db_input *in)
{
	uint8_t *copy = exact_copy(bytes, len);
	db_decode(row, model, copy, len, in);
	release(copy);
}

static bool hex_equal(const uint8_t *got, size_t got_len, const char *want_hex)
{
	uint8_t want[MAX_REPORT];
	size_t want_len = parse_hex(want_hex, want, sizeof(want));
	return got_len == want_len && memcmp(got, want, want_len) == 0;
}

/* ---- names -------------------------------------------------------------------------- */

static const char *const button_names[] = {
	"record", "stop", "play", "rewind", "forward", "eol", "ins_ovr", "instruction",
	"f1", "f2", "f3", "f4", "command", "transcribe", "tab_forward", "tab_backward",
	"enter", "custom_left", "custom_right", "trigger", "scan_end", "scan_success",
	"pedal_left", "pedal_middle", "pedal_right",
};
static const char *const led_names[] = {
	"record", "instruction", "ins_ovr", "f1", "f2", "f3", "f4",
};
static const char *const color_names[] = { "off", "red", "green" };
static const char *const mode_names[] = { "on", "blink_slow", "blink_fast" };
static const char *const family_names[] = {
	"speechmike", "powermic4", "powermic3", "foot_control", "vec_pedal",
};

static const struct name_table {
	const char *what;
	const char *(*name)(int);
	int (*from_name)(const char *);
	const char *const *expected;
	int count;
} name_tables[] = {
	{ "button", db_button_name, db_button_from_name, button_names, DB_BTN_COUNT },
	{ "led", db_led_name, db_led_from_name, led_names, DB_LED_COUNT },
	{ "color", db_color_name, db_color_from_name, color_names, 3 },
	{ "mode", db_mode_name, db_mode_from_name, mode_names, 3 },
	{ "family", db_family_name, db_family_from_name, family_names, DB_FAMILY_COUNT },
};

static void test_names(void)
{
	CHECK(COUNT(button_names) == DB_BTN_COUNT, "button table");
	CHECK(COUNT(led_names) == DB_LED_COUNT, "led table");
	CHECK(COUNT(family_names) == DB_FAMILY_COUNT, "family table");
	for (size_t t = 0; t < COUNT(name_tables); t++) {
		const struct name_table *nt = &name_tables[t];
		for (int i = 0; i < nt->count; i++) {
			CHECK_STR(nt->name(i), nt->expected[i]);
			CHECK(nt->from_name(nt->expected[i]) == i, "%s %s", nt->what, nt->expected[i]);
		}
		CHECK(nt->name(nt->count) == NULL, "%s past the end", nt->what);
		CHECK(nt->name(-1) == NULL, "%s -1", nt->what);
		CHECK(nt->from_name("bogus") == -1, "%s bogus", nt->what);
		CHECK(nt->from_name("") == -1, "%s empty", nt->what);
		CHECK(nt->from_name(NULL) == -1, "%s NULL", nt->what);
		CHECK(nt->from_name(nt->expected[0] + 1) == -1, "%s suffix", nt->what);
	}
	CHECK(db_button_from_name("Record") == -1, "names are case-sensitive");
}

/* ---- the table ------------------------------------------------------------------------ */

#define ALL_LEDS ((UINT32_C(1) << DB_LED_COUNT) - 1)
#define RECORD_LED (UINT32_C(1) << DB_LED_RECORD)

static const struct row_expect {
	uint16_t vid, pid, page, usage;
	int family, role;
	const char *model, *wire;
	size_t report_len;
	uint32_t leds;
	bool blink, identifies;
} rows[] = {
	{ 0x0911, 0x0c1c, 0xFFA0, 1, DB_FAMILY_SPEECHMIKE, DB_ROLE_MAIN,
	  "SpeechMike (HID mode)", "speechmike", 9, ALL_LEDS, true, true },
	{ 0x0911, 0x0c1d, 0xFFA0, 1, DB_FAMILY_SPEECHMIKE, DB_ROLE_MAIN,
	  "SpeechMike Premium Air", "speechmike", 9, ALL_LEDS, true, true },
	{ 0x0911, 0x0c1e, 0xFFA0, 1, DB_FAMILY_SPEECHMIKE, DB_ROLE_MAIN,
	  "SpeechOne / SpeechMike Ambient", "speechmike", 9, ALL_LEDS, true, true },
	{ 0x0911, 0x0c1e, 1, 4, DB_FAMILY_SPEECHMIKE, DB_ROLE_BUTTONS,
	  "SpeechOne / SpeechMike Ambient", "gamepad", 0, 0, false, false },
	{ 0x0911, 0x0fa0, 0xFFA0, 1, DB_FAMILY_SPEECHMIKE, DB_ROLE_MAIN,
	  "SpeechMike (browser mode)", "speechmike", 9, ALL_LEDS, true, true },
	{ 0x0911, 0x0fa0, 1, 4, DB_FAMILY_SPEECHMIKE, DB_ROLE_BUTTONS,
	  "SpeechMike (browser mode)", "gamepad", 0, 0, false, false },
	{ 0x0554, 0x0064, 0xFFA0, 1, DB_FAMILY_POWERMIC4, DB_ROLE_MAIN,
	  "PowerMic 4", "speechmike", 9, ALL_LEDS, true, false },
	{ 0x0554, 0x0064, 1, 4, DB_FAMILY_POWERMIC4, DB_ROLE_BUTTONS,
	  "PowerMic 4", "gamepad", 0, 0, false, false },
	{ 0x0554, 0x1001, 1, 0, DB_FAMILY_POWERMIC3, DB_ROLE_MAIN,
	  "PowerMic II/III", "powermic3", 3, RECORD_LED, false, false },
	{ 0x0911, 0x1844, 1, 4, DB_FAMILY_FOOT_CONTROL, DB_ROLE_MAIN,
	  "Philips Foot Control ACC2310/2320", "foot_control", 0, 0, false, false },
	{ 0x0911, 0x091a, 1, 4, DB_FAMILY_FOOT_CONTROL, DB_ROLE_MAIN,
	  "Philips Foot Control ACC2330", "foot_control", 0, 0, false, false },
	{ 0x05f3, 0x00ff, 0x000C, 3, DB_FAMILY_VEC_PEDAL, DB_ROLE_MAIN,
	  "VEC Infinity IN-USB foot pedal", "vec_pedal", 2, 0, false, false },
};

/* Collections that are no dictation device collection. */
static const struct {
	uint16_t vid, pid, page, usage;
} non_matches[] = {
	{ 0x0911, 0x0c1c, 1, 2 },      /* the SpeechMike's boot mouse */
	{ 0x0911, 0x0c1c, 0, 0 },      /* page 0/0 is a wildcard only in the table */
	{ 0x0911, 0x0c1c, 1, 4 },      /* HID-mode PID has no joystick row */
	{ 0x0554, 0x1001, 0xFFA0, 1 },
	{ 0x0554, 0x0064, 1, 0 },
	{ 0x0911, 0x0c1f, 0xFFA0, 1 },
	{ 0x15d8, 0x002a, 0xFF00, 1 }, /* Grundig SonicMic 3: not supported */
	{ 0x1234, 0x5678, 0xFFA0, 1 },
};

/* The VEC row matches whatever usage its collection reports. */
static const struct {
	uint16_t page, usage;
} vec_usages[] = { { 0x000C, 3 }, { 0xFF00, 1 }, { 1, 4 }, { 0, 0 } };

static void test_table(void)
{
	CHECK(db_row_count == COUNT(rows), "%zu rows", db_row_count);
	for (size_t i = 0; i < COUNT(rows); i++) {
		const struct row_expect *e = &rows[i];
		const struct db_row *r = db_match(e->vid, e->pid, e->page, e->usage);
		CHECK(r != NULL, "row %04x:%04x %04x/%x", e->vid, e->pid, e->page, e->usage);
		if (r == NULL)
			continue;
		CHECK(r->vendor_id == e->vid && r->product_id == e->pid, "row %zu ids", i);
		CHECK((int)r->family == e->family && (int)r->role == e->role, "row %zu kind", i);
		CHECK_STR(r->model, e->model);
		CHECK_STR(r->wire->name, e->wire);
		CHECK(r->wire->report_len == e->report_len, "row %zu report_len", i);
		CHECK(r->wire->leds == e->leds, "row %zu leds", i);
		CHECK(r->wire->led_blink == e->blink, "row %zu blink", i);
		CHECK((db_row_ident(r) != NULL) == e->identifies, "row %zu identifies", i);
		CHECK((r->wire->encode_leds != NULL) == (e->leds != 0), "row %zu encoder", i);
		CHECK(r->bitmap != NULL, "row %zu bitmap", i);
	}
	for (size_t i = 0; i < COUNT(non_matches); i++)
		CHECK(db_match(non_matches[i].vid, non_matches[i].pid, non_matches[i].page,
		               non_matches[i].usage) == NULL,
		      "non-match %zu", i);
	for (size_t i = 0; i < COUNT(vec_usages); i++) {
		const struct db_row *r = db_match(0x05f3, 0x00ff, vec_usages[i].page,
		                                  vec_usages[i].usage);
		CHECK(r != NULL && r->family == DB_FAMILY_VEC_PEDAL, "VEC usage %zu", i);
	}
}

/* ---- decoding (doc/devices.md §1.2-§1.4, §2, §3) ---------------------------------- */

#define SM_TRANSPORT (B(RECORD) | B(STOP) | B(PLAY) | B(FORWARD) | B(REWIND))
#define SM_BUTTONS                                                                       \
	(SM_TRANSPORT | B(EOL) | B(INS_OVR) | B(INSTRUCTION) | B(F1) | B(F2) | B(F3) |   \
	 B(F4) | B(COMMAND) | B(SCAN_END) | B(SCAN_SUCCESS))
#define SLIDER_INT (B(RECORD) | B(STOP) | B(PLAY) | B(REWIND))
#define SLIDER_PHI (B(FORWARD) | B(STOP) | B(PLAY) | B(REWIND))

struct decode_case {
	const char *hex;
	int kind;
	uint32_t buttons;
	int slider;
	int motion;
};
#define PRESS(h, b) { h, DB_INPUT_BUTTONS, b, NO_SLIDER, DB_MOTION_NONE }
#define SLIDE(h, b, s) { h, DB_INPUT_BUTTONS, b, DB_BTN_##s, DB_MOTION_NONE }
#define MOTION(h, m) { h, DB_INPUT_MOTION, 0, NO_SLIDER, DB_MOTION_##m }
#define IGNORED(h) { h, DB_INPUT_IGNORE, 0, NO_SLIDER, DB_MOTION_NONE }

/* Reports every vendor-collection table shares: not events. */
#define VENDOR_NOT_EVENTS                                                               \
	IGNORED(""), IGNORED("80"), IGNORED("80 00 00 00 00 00 00 00"),                \
	IGNORED("9E 00 00 00 00 00 00 00"),                                            \
	IGNORED("94 00 00 00 00 05 06 00 00"), /* wireless status */                   \
	IGNORED("83 00 00 00 01 00 32 01 95"), /* a late query answer */               \
	IGNORED("00 00 00 00 00 00 00 00 01"), IGNORED("FF FF FF FF FF FF FF FF FF")

/* F.1 on a push-button model (and on the generic model: no slider either). */
static const struct decode_case speechmike_cases[] = {
	PRESS("80 00 00 00 00 00 00 00 00", 0),
	PRESS("80 00 00 00 00 00 00 00 01", B(RECORD)),
	PRESS("80 00 00 00 00 00 00 00 02", B(STOP)),
	PRESS("80 00 00 00 00 00 00 00 04", B(PLAY)),
	PRESS("80 00 00 00 00 00 00 00 08", B(FORWARD)),
	PRESS("80 00 00 00 00 00 00 00 10", B(REWIND)),
	PRESS("80 00 00 00 00 00 00 00 20", B(EOL)),
	PRESS("80 00 00 00 00 00 00 00 40", B(INS_OVR)),
	PRESS("80 00 00 00 00 00 00 00 80", B(INSTRUCTION)),
	PRESS("80 00 00 00 00 00 00 01 00", B(SCAN_END)),
	PRESS("80 00 00 00 00 00 00 02 00", B(F1)),
	PRESS("80 00 00 00 00 00 00 04 00", B(F2)),
	PRESS("80 00 00 00 00 00 00 08 00", B(F3)),
	PRESS("80 00 00 00 00 00 00 10 00", B(F4)),
	PRESS("80 00 00 00 00 00 00 20 00", B(COMMAND)),
	PRESS("80 00 00 00 00 00 00 40 00", 0),
	PRESS("80 00 00 00 00 00 00 80 00", B(SCAN_SUCCESS)),
	PRESS("80 00 00 00 00 00 00 01 04", B(SCAN_END) | B(PLAY)),
	PRESS("80 00 00 00 00 00 00 02 02", B(F1) | B(STOP)),
	PRESS("80 00 00 00 00 00 00 FF FF", SM_BUTTONS), /* every mapped bit */
	PRESS("80 00 00 00 00 00 00 00 01 00 00", B(RECORD)), /* longer: extra bytes ignored */
	MOTION("9E 00 00 00 00 00 00 00 00", PICKED_UP),
	MOTION("9E 00 00 00 00 00 00 00 01", LAID_DOWN),
	MOTION("9E 00 00 00 00 00 00 00 02", PICKED_UP),
	VENDOR_NOT_EVENTS,
};

/* F.1's slider sequence on an INT model (SMP3710): record is a slider position. */
static const struct decode_case int_slider_cases[] = {
	SLIDE("80 00 00 00 00 00 00 01 04", B(SCAN_END), PLAY),
	SLIDE("80 00 00 00 00 00 00 00 04", 0, PLAY),
	SLIDE("80 00 00 00 00 00 00 00 02", 0, STOP),
	SLIDE("80 00 00 00 00 00 00 02 02", B(F1), STOP),
	SLIDE("80 00 00 00 00 00 00 00 01", 0, RECORD),
	SLIDE("80 00 00 00 00 00 00 00 10", 0, REWIND),
	PRESS("80 00 00 00 00 00 00 00 08", B(FORWARD)),
	SLIDE("80 00 00 00 00 00 00 20 01", B(COMMAND), RECORD),
	PRESS("80 00 00 00 00 00 00 00 00", 0),
	MOTION("9E 00 00 00 00 00 00 00 01", LAID_DOWN),
};

/* ... and on a PHI model (LFH3520): forward is a slider position. */
static const struct decode_case phi_slider_cases[] = {
	SLIDE("80 00 00 00 00 00 00 01 04", B(SCAN_END), PLAY),
	SLIDE("80 00 00 00 00 00 00 00 04", 0, PLAY),
	SLIDE("80 00 00 00 00 00 00 00 02", 0, STOP),
	SLIDE("80 00 00 00 00 00 00 02 02", B(F1), STOP),
	SLIDE("80 00 00 00 00 00 00 00 08", 0, FORWARD),
	SLIDE("80 00 00 00 00 00 00 00 10", 0, REWIND),
	PRESS("80 00 00 00 00 00 00 00 01", B(RECORD)),
	PRESS("80 00 00 00 00 00 00 00 41", B(RECORD) | B(INS_OVR)),
};

/* The slide switch in browser mode: the joystick's record bit is the INT slider too, and
 * as the joystick has no STOP bit, a report without a position bit is STOP. */
static const struct decode_case int_slider_gamepad_cases[] = {
	SLIDE("20 00", 0, RECORD),
	SLIDE("02 00", 0, PLAY),
	SLIDE("01 00", 0, REWIND),
	SLIDE("00 00", 0, STOP),
	SLIDE("40 00", B(COMMAND), STOP),
	SLIDE("04 00", B(FORWARD), STOP),
	SLIDE("00 04", B(F1), STOP),
	SLIDE("22 04", B(F1), RECORD),
	SLIDE("20 00 7F 7F", 0, RECORD),
	IGNORED("20"),
};

/* PHI slider in browser mode: forward is a position, record a button. */
static const struct decode_case phi_slider_gamepad_cases[] = {
	SLIDE("04 00", 0, FORWARD),
	SLIDE("00 00", 0, STOP),
	SLIDE("20 00", B(RECORD), STOP),
	SLIDE("24 00", B(RECORD), FORWARD),
	SLIDE("01 00", 0, REWIND),
};

/* Push-button model in browser mode: no slider, so no position either. */
static const struct decode_case buttons_gamepad_cases[] = {
	PRESS("00 00", 0),
	PRESS("20 00", B(RECORD)),
};

/* F.4: the PowerMic 4's own bit map on the vendor collection. */
static const struct decode_case powermic4_cases[] = {
	PRESS("80 00 00 00 00 00 00 00 00", 0),
	PRESS("80 00 00 00 00 00 00 00 01", B(RECORD)),
	PRESS("80 00 00 00 00 00 00 00 04", B(PLAY)),
	PRESS("80 00 00 00 00 00 00 00 08", B(TAB_FORWARD)),
	PRESS("80 00 00 00 00 00 00 00 10", B(TAB_BACKWARD)),
	PRESS("80 00 00 00 00 00 00 00 20", B(REWIND)),
	PRESS("80 00 00 00 00 00 00 00 40", B(FORWARD)),
	PRESS("80 00 00 00 00 00 00 00 80", B(ENTER)),
	PRESS("80 00 00 00 00 00 00 02 00", B(F1)),
	PRESS("80 00 00 00 00 00 00 04 00", B(F2)),
	PRESS("80 00 00 00 00 00 00 08 00", B(F3)),
	PRESS("80 00 00 00 00 00 00 10 00", B(F4)),
	PRESS("80 00 00 00 00 00 00 20 00", B(COMMAND)),
	PRESS("80 00 00 00 00 00 00 01 00", 0),
	PRESS("80 00 00 00 00 00 00 40 00", 0),
	PRESS("80 00 00 00 00 00 00 80 00", 0),
	PRESS("80 00 00 00 00 00 00 00 02", 0),
	MOTION("9E 00 00 00 00 00 00 00 01", LAID_DOWN),
	VENDOR_NOT_EVENTS,
};

/* F.6: PowerMic II/III, both homes of the trigger. */
static const struct decode_case powermic3_cases[] = {
	PRESS("00 00 00", 0),
	PRESS("00 01 00", B(TRANSCRIBE)),
	PRESS("00 02 00", B(TAB_BACKWARD)),
	PRESS("00 04 00", B(RECORD)),
	PRESS("00 08 00", B(TAB_FORWARD)),
	PRESS("00 10 00", B(REWIND)),
	PRESS("00 20 00", B(FORWARD)),
	PRESS("00 40 00", B(PLAY)),
	PRESS("00 80 00", B(CUSTOM_LEFT)),
	PRESS("00 00 01", B(ENTER)),
	PRESS("00 00 02", B(CUSTOM_RIGHT)),
	PRESS("00 00 04", 0),
	PRESS("01 00 00", B(TRIGGER)),
	PRESS("00 00 10", B(TRIGGER)),
	PRESS("01 00 10", B(TRIGGER)),
	PRESS("01 04 00", B(TRIGGER) | B(RECORD)),
	PRESS("00 04 00 FF", B(RECORD)),
	IGNORED(""), IGNORED("00"), IGNORED("00 04"),
};

/* F.7: Philips foot controls. */
static const struct decode_case foot_control_cases[] = {
	PRESS("00", 0),
	PRESS("01", B(REWIND)),
	PRESS("02", B(PLAY)),
	PRESS("04", B(FORWARD)),
	PRESS("08", B(EOL)),
	PRESS("10", 0),
	PRESS("03", B(REWIND) | B(PLAY)),
	PRESS("0F 00 00", B(REWIND) | B(PLAY) | B(FORWARD) | B(EOL)),
	IGNORED(""),
};

/* F.8: VEC / Infinity pedal. */
static const struct decode_case vec_pedal_cases[] = {
	PRESS("00 00", 0),
	PRESS("01 00", B(PEDAL_LEFT)),
	PRESS("02 00", B(PEDAL_MIDDLE)),
	PRESS("04 00", B(PEDAL_RIGHT)),
	PRESS("03 00", B(PEDAL_LEFT) | B(PEDAL_MIDDLE)),
	PRESS("05 00", B(PEDAL_LEFT) | B(PEDAL_RIGHT)),
	PRESS("06 00", B(PEDAL_MIDDLE) | B(PEDAL_RIGHT)),
	PRESS("07 00", B(PEDAL_LEFT) | B(PEDAL_MIDDLE) | B(PEDAL_RIGHT)),
	PRESS("F8 FF", 0),
	IGNORED(""), IGNORED("01"),
};

static const struct decode_suite {
	const char *name;
	uint16_t vid, pid, page, usage;
	uint16_t code; /* device code of the model, 0: the family's generic model */
	const struct decode_case *cases;
	size_t n;
} decode_suites[] = {
#define SUITE(name, vid, pid, page, usage, code, cases) \
	{ name, vid, pid, page, usage, code, cases, COUNT(cases) }
	SUITE("F.1 SMP3700", 0x0911, 0x0c1c, 0xFFA0, 1, 3700, speechmike_cases),
	SUITE("F.1 generic", 0x0911, 0x0c1c, 0xFFA0, 1, 0, speechmike_cases),
	SUITE("F.1 Air", 0x0911, 0x0c1d, 0xFFA0, 1, 4000, speechmike_cases),
	SUITE("F.1 SMP3710 (INT)", 0x0911, 0x0c1c, 0xFFA0, 1, 3710, int_slider_cases),
	SUITE("F.1 LFH3520 (PHI)", 0x0911, 0x0c1c, 0xFFA0, 1, 3520, phi_slider_cases),
	SUITE("SMP3710 browser mode", 0x0911, 0x0fa0, 1, 4, 3710, int_slider_gamepad_cases),
	SUITE("SMP4010 browser mode", 0x0911, 0x0fa0, 1, 4, 4010, int_slider_gamepad_cases),
	SUITE("LFH3520 browser mode", 0x0911, 0x0fa0, 1, 4, 3520, phi_slider_gamepad_cases),
	SUITE("SMP3700 browser mode", 0x0911, 0x0fa0, 1, 4, 3700, buttons_gamepad_cases),
	SUITE("F.4 PowerMic 4", 0x0554, 0x0064, 0xFFA0, 1, 0, powermic4_cases),
	SUITE("F.6 PowerMic II/III", 0x0554, 0x1001, 1, 0, 0, powermic3_cases),
	SUITE("F.7 ACC2310", 0x0911, 0x1844, 1, 4, 0, foot_control_cases),
	SUITE("F.7 ACC2330", 0x0911, 0x091a, 1, 4, 0, foot_control_cases),
	SUITE("F.8 VEC", 0x05f3, 0x00ff, 0x000C, 3, 0, vec_pedal_cases),
#undef SUITE
};

static void run_decode_case(const char *suite, const struct db_row *row,
                            const struct db_model *model, const struct decode_case *c)
{
	uint8_t bytes[MAX_REPORT];
	size_t len = parse_hex(c->hex, bytes, sizeof(bytes));
	struct db_input in;
	decode_bytes(row, model, bytes, len, &in);
	CHECK((int)in.kind == c->kind && in.buttons == c->buttons && in.slider == c->slider &&
	          (int)in.motion == c->motion,
	      "%s [%s]: kind %d buttons %#x slider %d motion %d", suite, c->hex, in.kind,
	      (unsigned)in.buttons, in.slider, in.motion);
}

static void test_decode(void)
{
	for (size_t s = 0; s < COUNT(decode_suites); s++) {
		const struct decode_suite *ds = &decode_suites[s];
		const struct db_row *row = db_match(ds->vid, ds->pid, ds->page, ds->usage);
		CHECK(row != NULL, "%s: no row", ds->name);
		if (row == NULL)
			continue;
		const struct db_model *model = db_model_lookup(row->family, ds->code);
		CHECK(model->code == ds->code, "%s: model %u", ds->name, model->code);
		for (size_t i = 0; i < ds->n; i++)
			run_decode_case(ds->name, row, model, &ds->cases[i]);
	}
}

/* F.5: the joystick collection, with both bit maps. */
static const struct {
	const char *hex;
	uint32_t speechmike, powermic4;
} gamepad_cases[] = {
	{ "00 00", 0, 0 },
	{ "01 00", B(REWIND), B(TAB_BACKWARD) },
	{ "02 00", B(PLAY), B(PLAY) },
	{ "04 00", B(FORWARD), B(TAB_FORWARD) },
	{ "10 00", B(INS_OVR), B(FORWARD) },
	{ "20 00", B(RECORD), B(RECORD) },
	{ "40 00", B(COMMAND), B(COMMAND) },
	{ "00 02", B(INSTRUCTION), B(ENTER) },
	{ "00 04", B(F1), B(F1) },
	{ "00 08", B(F2), B(F2) },
	{ "00 10", B(F3), B(F3) },
	{ "00 20", B(F4), B(F4) },
	{ "00 40", B(EOL), B(REWIND) },
	{ "08 00", 0, 0 },
	{ "80 00", 0, 0 },
	{ "00 01", 0, 0 },
	{ "00 80", 0, 0 },
	{ "21 40", B(REWIND) | B(RECORD) | B(EOL), B(TAB_BACKWARD) | B(RECORD) | B(REWIND) },
	{ "20 00 7F 7F 00 00", B(RECORD), B(RECORD) }, /* axes after the buttons */
};

static const struct {
	uint16_t pid;
	bool powermic4;
} gamepad_units[] = { { 0x0fa0, false }, { 0x0c1e, false }, { 0x0064, true } };

static void test_gamepad(void)
{
	for (size_t u = 0; u < COUNT(gamepad_units); u++) {
		uint16_t vid = gamepad_units[u].powermic4 ? 0x0554 : 0x0911;
		const struct db_row *row = db_match(vid, gamepad_units[u].pid, 1, 4);
		CHECK(row != NULL && row->role == DB_ROLE_BUTTONS, "gamepad row %04x",
		      gamepad_units[u].pid);
		if (row == NULL)
			continue;
		const struct db_model *model = db_model_lookup(row->family, 0);
		for (size_t i = 0; i < COUNT(gamepad_cases); i++) {
			struct decode_case c = PRESS(gamepad_cases[i].hex,
			                             gamepad_units[u].powermic4
			                                     ? gamepad_cases[i].powermic4
			                                     : gamepad_cases[i].speechmike);
			run_decode_case("F.5", row, model, &c);
		}
		static const struct decode_case short_cases[] = { IGNORED(""), IGNORED("20") };
		for (size_t i = 0; i < COUNT(short_cases); i++)
			run_decode_case("F.5 short", row, model, &short_cases[i]);
	}
}

/* ---- LEDs (doc/devices.md §1.5, §2) ----------------------------------------------- */

struct led_set {
	int led, color, mode;
};
struct led_case {
	const char *hex; /* the hid_write buffer, report ID first */
	size_t n;
	struct led_set set[2];
};
#define L(led, color, mode) { DB_LED_##led, DB_COLOR_##color, DB_MODE_##mode }

static const struct led_case speechmike_leds[] = {
	{ "00 02 00 00 00 00 00 00 00 00", 0, { { 0 } } },
	{ "00 02 00 00 00 00 00 03 00 00", 1, { L(RECORD, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 01 00 00", 1, { L(RECORD, GREEN, BLINK_SLOW) } },
	{ "00 02 00 00 00 00 00 02 00 00", 1, { L(RECORD, GREEN, BLINK_FAST) } },
	{ "00 02 00 00 00 00 00 0C 00 00", 1, { L(RECORD, RED, ON) } },
	{ "00 02 00 00 00 00 00 04 00 00", 1, { L(RECORD, RED, BLINK_SLOW) } },
	{ "00 02 00 00 00 00 00 30 00 00", 1, { L(INSTRUCTION, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 C0 00 00", 1, { L(INSTRUCTION, RED, ON) } },
	{ "00 02 00 00 00 00 00 00 30 00", 1, { L(INS_OVR, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 00 C0 00", 1, { L(INS_OVR, RED, ON) } },
	{ "00 02 00 00 00 00 00 00 00 03", 1, { L(F4, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 00 00 0C", 1, { L(F3, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 00 00 30", 1, { L(F2, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 00 00 C0", 1, { L(F1, GREEN, ON) } },
	/* presets: record-insert, record-standby-insert */
	{ "00 02 00 00 00 00 00 03 30 00", 2, { L(RECORD, GREEN, ON), L(INS_OVR, GREEN, ON) } },
	{ "00 02 00 00 00 00 00 01 10 00", 2,
	  { L(RECORD, GREEN, BLINK_SLOW), L(INS_OVR, GREEN, BLINK_SLOW) } },
	/* single-colour F LEDs light in any colour; off ignores the mode */
	{ "00 02 00 00 00 00 00 00 00 C0", 1, { L(F1, RED, ON) } },
	{ "00 02 00 00 00 00 00 00 00 20", 1, { L(F2, GREEN, BLINK_FAST) } },
	{ "00 02 00 00 00 00 00 00 00 00", 1, { L(RECORD, OFF, BLINK_FAST) } },
	{ "00 02 00 00 00 00 00 83 00 00", 2, { L(RECORD, GREEN, ON), L(INSTRUCTION, RED, BLINK_FAST) } },
};

static const struct led_case powermic3_leds[] = {
	{ "00 00", 0, { { 0 } } },
	{ "00 01", 1, { L(RECORD, RED, ON) } },
	{ "00 02", 1, { L(RECORD, GREEN, ON) } },
	{ "00 01", 1, { L(RECORD, RED, BLINK_FAST) } },
	{ "00 00", 1, { L(INSTRUCTION, RED, ON) } },
};

static void run_led_cases(const char *what, const struct db_wire *wire,
                          const struct led_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct db_led_state state;
		memset(&state, 0, sizeof(state));
		for (size_t k = 0; k < cases[i].n; k++) {
			state.led[cases[i].set[k].led].color = (uint8_t)cases[i].set[k].color;
			state.led[cases[i].set[k].led].mode = (uint8_t)cases[i].set[k].mode;
		}
		uint8_t out[MAX_REPORT];
		size_t len = wire->encode_leds(&state, out, sizeof(out));
		CHECK(hex_equal(out, len, cases[i].hex), "%s LED case %zu: want %s", what, i,
		      cases[i].hex);
	}
}

static void test_leds(void)
{
	const struct db_row *sm = db_match(0x0911, 0x0c1c, 0xFFA0, 1);
	const struct db_row *pm4 = db_match(0x0554, 0x0064, 0xFFA0, 1);
	const struct db_row *pm3 = db_match(0x0554, 0x1001, 1, 0);
	if (sm == NULL || pm4 == NULL || pm3 == NULL) {
		CHECK(false, "LED rows missing");
		return;
	}
	run_led_cases("SpeechMike", sm->wire, speechmike_leds, COUNT(speechmike_leds));
	run_led_cases("PowerMic 4", pm4->wire, speechmike_leds, COUNT(speechmike_leds));
	run_led_cases("PowerMic II/III", pm3->wire, powermic3_leds, COUNT(powermic3_leds));

	struct db_led_state state;
	memset(&state, 0, sizeof(state));
	uint8_t out[MAX_REPORT];
	CHECK(sm->wire->encode_leds(&state, out, 9) == 0, "SET_LED needs 10 bytes");
	CHECK(pm3->wire->encode_leds(&state, out, 1) == 0, "PowerMic LED needs 2 bytes");
}

/* ---- identification (doc/devices.md §1.6) ----------------------------------------- */

/* The SpeechMike family's exchange, the one identification there is. */
#define SM_IDENT (db_driver(DB_FAMILY_SPEECHMIKE)->ident)

struct ident_step {
	const char *answer;
	uint8_t next; /* the query it must lead to; 0: done */
};
static const struct {
	uint16_t code;
	struct ident_step steps[4];
} ident_cases[] = {
#define SM3 { "83 02 00 00 00 00 32 00 55", 0x87 }
#define PREMIUM { "83 00 00 00 01 00 32 01 95", 0x8B }
#define AIR_4000 { "8B 00 0F A0 0E 74 0D AC 00", 0x91 }
	{ 3200, { SM3, { "87 00 00 00 00 00 00 0C 80", 0 } } },
	{ 3210, { SM3, { "87 00 00 00 00 00 00 0C 8A", 0 } } },
	{ 3220, { SM3, { "87 00 00 00 00 00 00 0C 94", 0 } } },
	{ 3300, { SM3, { "87 00 00 00 00 00 00 0C E4", 0 } } },
	{ 3310, { SM3, { "87 00 00 00 00 00 00 0C EE", 0 } } },
	{ 3500, { PREMIUM, { "8B 00 00 00 00 00 0D AC 00", 0 } } },
	{ 3510, { PREMIUM, { "8B 00 00 00 00 00 0D B6 00", 0 } } },
	{ 3520, { PREMIUM, { "8B 00 00 00 00 00 0D C0 00", 0 } } },
	{ 3600, { PREMIUM, { "8B 00 00 00 00 00 0E 10 00", 0 } } },
	{ 3610, { PREMIUM, { "8B 00 00 00 00 00 0E 1A 00", 0 } } },
	{ 3700, { PREMIUM, { "8B 00 00 00 00 00 0E 74 00", 0 } } },
	{ 3710, { PREMIUM, { "8B 00 00 00 00 00 0E 7E 00", 0 } } },
	{ 3720, { PREMIUM, { "8B 00 00 00 00 00 0E 88 00", 0 } } },
	{ 3800, { PREMIUM, { "8B 00 00 00 0E D8 0E 10 00", 0 } } },
	{ 3810, { PREMIUM, { "8B 00 00 00 0E E2 0E 10 00", 0 } } },
	{ 4000, { PREMIUM, AIR_4000, { "91 00 00 41 41 04 2E 00 41", 0 } } },
	{ 4010, { PREMIUM, { "8B 00 0F AA 0E 74 0D AC 00", 0x91 },
	          { "91 00 00 41 41 04 2E 00 41", 0 } } },
	{ 6001, { PREMIUM, { "8B 01 0F A0 0E 74 0D AC 00", 0x96 },
	          { "96 00 00 00 00 00 00 17 71", 0 } } },
	{ 5000, { PREMIUM, AIR_4000, { "91 00 00 05 07 06 2E 00 07", 0x96 },
	          { "96 00 00 00 00 13 88 00 00", 0 } } },
	/* firmware 6 but no Ambient code: stays an Air */
	{ 4000, { PREMIUM, AIR_4000, { "91 00 00 05 07 06 2E 00 07", 0x96 },
	          { "96 00 00 00 00 00 00 00 00", 0 } } },
	/* the PowerMic 4's answer: a SpeechMike code (its type comes from the PID) */
	{ 3700, { PREMIUM, { "8B 00 00 00 0E 74 0D AC 00", 0 } } },
#undef SM3
#undef PREMIUM
#undef AIR_4000
};

static bool query_is(const uint8_t *out, size_t len, uint8_t code)
{
	char want[40];
	snprintf(want, sizeof(want), "00 %02X 00 00 00 00 00 00 00 00", code);
	return hex_equal(out, len, want);
}

/* Feeds one hex report; returns the result and leaves the query in out/out_len. */
static enum db_ident_result feed(struct db_ident *st, const char *hex, uint8_t *out,
                                 size_t *out_len)
{
	uint8_t bytes[MAX_REPORT];
	size_t len = parse_hex(hex, bytes, sizeof(bytes));
	uint8_t *copy = exact_copy(bytes, len);
	enum db_ident_result r = SM_IDENT->feed(st, copy, len, out, MAX_REPORT, out_len);
	release(copy);
	return r;
}

static void test_ident_sequences(void)
{
	for (size_t i = 0; i < COUNT(ident_cases); i++) {
		struct db_ident st;
		uint8_t out[MAX_REPORT];
		size_t len = SM_IDENT->start(&st, out, sizeof(out));
		CHECK(query_is(out, len, 0x83) && st.pending == 0x83, "case %zu start", i);
		bool done = false;
		for (const struct ident_step *s = ident_cases[i].steps; !done; s++) {
			enum db_ident_result r = feed(&st, s->answer, out, &len);
			done = s->next == 0;
			/* with the code known, the event mode is asked last */
			uint8_t want = done ? 0x8D : s->next;
			CHECK(r == DB_IDENT_SEND && query_is(out, len, want) && st.pending == want,
			      "case %zu [%s]: result %d, want query %02X", i, s->answer, r, want);
		}
		CHECK(st.code == ident_cases[i].code, "case %zu: code %u, want %u", i, st.code,
		      ident_cases[i].code);
		CHECK(st.event_mode == -1, "case %zu: mode before its answer", i);
		enum db_ident_result r = feed(&st, "8D 00 00 00 00 00 00 00 02", out, &len);
		CHECK(r == DB_IDENT_DONE && len == 0 && st.pending == 0 && st.event_mode == 2 &&
		          st.code == ident_cases[i].code,
		      "case %zu: mode answer: result %d mode %d", i, r, st.event_mode);
	}
}

/* Reports that are not the pending answer pass through untouched. */
static void test_ident_not_mine(void)
{
	static const char button[] = "80 00 00 00 00 00 00 00 01";
	struct db_ident st;
	uint8_t out[MAX_REPORT];
	size_t len;

	memset(&st, 0, sizeof(st));
	CHECK(feed(&st, "83 00 00 00 01 00 32 01 95", out, &len) == DB_IDENT_NOT_MINE,
	      "not started");
	CHECK(SM_IDENT->pending_query(&st, out, sizeof(out)) == 0, "no query before start");

	CHECK(SM_IDENT->start(&st, out, 9) == 0 && st.pending == 0x83, "start, small buffer");
	len = SM_IDENT->pending_query(&st, out, sizeof(out));
	CHECK(query_is(out, len, 0x83), "retry after a small buffer");

	static const char *const not_mine[] = {
		button, "9E 00 00 00 00 00 00 00 01", "83 00 00 00 01 00 32 01", "", "83",
		"87 00 00 00 00 00 00 0C 80",
	};
	for (size_t i = 0; i < COUNT(not_mine); i++)
		CHECK(feed(&st, not_mine[i], out, &len) == DB_IDENT_NOT_MINE && len == 0 &&
		          st.pending == 0x83,
		      "before the first answer: [%s]", not_mine[i]);

	CHECK(feed(&st, "83 00 00 00 01 00 32 01 95", out, &len) == DB_IDENT_SEND &&
	          query_is(out, len, 0x8B),
	      "premium answer");
	/* a button pressed mid-exchange is input, and the exchange goes on */
	CHECK(feed(&st, button, out, &len) == DB_IDENT_NOT_MINE && st.pending == 0x8B,
	      "button mid-exchange");
	struct db_input in;
	uint8_t bytes[MAX_REPORT];
	size_t n = parse_hex(button, bytes, sizeof(bytes));
	decode_bytes(db_match(0x0911, 0x0c1c, 0xFFA0, 1), NULL, bytes, n, &in);
	CHECK(in.kind == DB_INPUT_BUTTONS && in.buttons == B(RECORD), "... decodes as input");
	len = SM_IDENT->pending_query(&st, out, sizeof(out));
	CHECK(query_is(out, len, 0x8B), "retry re-encodes 0x8B");
	CHECK(feed(&st, "83 00 00 00 01 00 32 01 95", out, &len) == DB_IDENT_NOT_MINE,
	      "repeated earlier answer");
	CHECK(feed(&st, "8B 00 00 00 00 00 0E 74 00", out, &len) == DB_IDENT_SEND &&
	          st.code == 3700 && query_is(out, len, 0x8D),
	      "code after the interruption");
	CHECK(feed(&st, button, out, &len) == DB_IDENT_NOT_MINE && st.pending == 0x8D,
	      "button before the mode answer");
	CHECK(feed(&st, "8D 00 00 00 00 00 00 00 01", out, &len) == DB_IDENT_DONE &&
	          st.code == 3700 && st.event_mode == DB_EVENT_MODE_KEYBOARD,
	      "done after the mode");
	CHECK(feed(&st, "8B 00 00 00 00 00 0E 74 00", out, &len) == DB_IDENT_NOT_MINE,
	      "after done");
	CHECK(SM_IDENT->pending_query(&st, out, sizeof(out)) == 0, "no query after done");
}

/* A query that stays unanswered ends the exchange, keeping the code already received. */
static void test_ident_timeout(void)
{
	static const struct {
		const char *answers[3]; /* fed in order before the timeout */
		uint8_t unanswered;
		uint16_t code;
	} cases[] = {
		{ { NULL }, 0x83, 0 },
		{ { "83 00 00 00 01 00 32 01 95" }, 0x8B, 0 },
		{ { "83 02 00 00 00 00 32 00 55" }, 0x87, 0 },
		/* SMP4010 whose firmware query times out: still an SMP4010 (INT slider) */
		{ { "83 00 00 00 01 00 32 01 95", "8B 00 0F AA 0E 74 0D AC 00" }, 0x91, 4010 },
		{ { "83 00 00 00 01 00 32 01 95", "8B 00 0F A0 0E 74 0D AC 00" }, 0x91, 4000 },
		/* firmware 6 but the Ambient code query times out: an Air */
		{ { "83 00 00 00 01 00 32 01 95", "8B 00 0F A0 0E 74 0D AC 00",
		    "91 00 00 05 07 06 2E 00 07" }, 0x96, 4000 },
		/* a SpeechOne whose code query times out: nothing known */
		{ { "83 00 00 00 01 00 32 01 95", "8B 01 0F A0 0E 74 0D AC 00" }, 0x96, 0 },
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct db_ident st;
		uint8_t out[MAX_REPORT];
		size_t len = SM_IDENT->start(&st, out, sizeof(out));
		for (size_t k = 0; k < COUNT(cases[i].answers) && cases[i].answers[k]; k++)
			feed(&st, cases[i].answers[k], out, &len);
		CHECK(st.pending == cases[i].unanswered, "timeout case %zu: pending %02X", i,
		      st.pending);
		enum db_ident_result r = SM_IDENT->timeout(&st, out, sizeof(out), &len);
		if (cases[i].code != 0) { /* the mode is still asked for, and may time out too */
			CHECK(r == DB_IDENT_SEND && query_is(out, len, 0x8D),
			      "timeout case %zu: mode query, result %d", i, r);
			r = SM_IDENT->timeout(&st, out, sizeof(out), &len);
		}
		CHECK(r == DB_IDENT_DONE && len == 0 && st.pending == 0 && st.event_mode == -1,
		      "timeout case %zu: result %d", i, r);
		CHECK(st.code == cases[i].code, "timeout case %zu: code %u, want %u", i, st.code,
		      cases[i].code);
		const struct db_model *m = db_model_lookup(DB_FAMILY_SPEECHMIKE, st.code);
		CHECK(m->code == cases[i].code, "timeout case %zu: model %s", i, m->name);
	}
	/* the SMP4010 keeps its slide switch */
	CHECK(db_model_lookup(DB_FAMILY_SPEECHMIKE, 4010)->slider == DB_SLIDER_INT, "4010");
}

/* Event modes: names, which deliver buttons, and SET_EVENT_MODE's exact bytes. */
static void test_event_mode(void)
{
	static const struct {
		const char *name;
		bool delivers;
		const char *command;
	} modes[] = {
		{ "hid", true, "00 0D 00 00 00 00 00 00 00 00" },
		{ "keyboard", false, "00 0D 00 00 00 00 00 00 00 01" },
		{ "browser", true, "00 0D 00 00 00 00 00 00 00 02" },
		{ "windows_sr", false, "00 0D 00 00 00 00 00 00 00 03" },
		{ "dragon_for_mac", false, "00 0D 00 00 00 00 00 00 00 04" },
		{ "dragon_for_windows", false, "00 0D 00 00 00 00 00 00 00 05" },
	};
	uint8_t out[MAX_REPORT];
	for (int m = 0; m < (int)COUNT(modes); m++) {
		CHECK_STR(db_event_mode_name(m), modes[m].name);
		CHECK(db_event_mode_from_name(modes[m].name) == m, "from name %s", modes[m].name);
		CHECK(db_event_mode_delivers_buttons(m) == modes[m].delivers, "delivers %d", m);
		size_t n = SM_IDENT->event_mode_command(m, out, sizeof(out));
		CHECK(hex_equal(out, n, modes[m].command), "command %d", m);
	}
	CHECK(db_event_mode_name(6) == NULL && db_event_mode_name(-1) == NULL, "range");
	CHECK(db_event_mode_from_name("HID") == -1 && db_event_mode_from_name(NULL) == -1,
	      "unknown names");
	CHECK(db_event_mode_delivers_buttons(-1) && db_event_mode_delivers_buttons(9),
	      "unknown modes");
	CHECK(SM_IDENT->event_mode_command(6, out, sizeof(out)) == 0 &&
	          SM_IDENT->event_mode_command(-1, out, sizeof(out)) == 0 &&
	          SM_IDENT->event_mode_command(0, out, 9) == 0,
	      "bad mode or buffer");
	/* the answer's byte 8 is read as a signed byte */
	struct db_ident st;
	size_t len;
	SM_IDENT->start(&st, out, sizeof(out));
	feed(&st, "83 02 00 00 00 00 32 00 55", out, &len);
	feed(&st, "87 00 00 00 00 00 00 0C 80", out, &len);
	CHECK(feed(&st, "8D 00 00 00 00 00 00 00 FE", out, &len) == DB_IDENT_DONE &&
	          st.event_mode == -2 && st.code == 3200,
	      "mode -2");
}

/* ---- models and capabilities ---------------------------------------------------------- */

/* The device codes doc/devices.md lists (§1.6); the names must carry the model number. */
static const uint16_t known_codes[] = {
	3200, 3210, 3220, 3300, 3310, 3500, 3510, 3520, 3600, 3610,
	3700, 3710, 3720, 3800, 3810, 4000, 4010, 5000, 6001,
};

/* xx10 is the INT slider, xx20 the PHI slider, every other code has push buttons. */
static int slider_rule(uint16_t code)
{
	return code % 100 == 10 ? DB_SLIDER_INT : code % 100 == 20 ? DB_SLIDER_PHI : DB_SLIDER_NONE;
}

static const struct {
	int family;
	uint16_t code;
	const char *name;
} generic_models[] = {
	{ DB_FAMILY_SPEECHMIKE, 0, "SpeechMike" },
	{ DB_FAMILY_SPEECHMIKE, 1234, "SpeechMike" },
	{ DB_FAMILY_SPEECHMIKE, 3230, "SpeechMike" },
	{ DB_FAMILY_POWERMIC4, 0, "PowerMic 4" },
	{ DB_FAMILY_POWERMIC4, 3700, "PowerMic 4" },
	{ DB_FAMILY_POWERMIC3, 0, "PowerMic II/III" },
	{ DB_FAMILY_FOOT_CONTROL, 3200, "Philips Foot Control" },
	{ DB_FAMILY_VEC_PEDAL, 0, "VEC Infinity foot pedal" },
};

static const struct {
	int family;
	uint16_t code;
	uint32_t buttons, slider;
} capabilities[] = {
	{ DB_FAMILY_SPEECHMIKE, 0, SM_BUTTONS, 0 },
	{ DB_FAMILY_SPEECHMIKE, 3700, SM_BUTTONS, 0 },
	{ DB_FAMILY_SPEECHMIKE, 3710, SM_BUTTONS & ~SLIDER_INT, SLIDER_INT },
	{ DB_FAMILY_SPEECHMIKE, 3520, SM_BUTTONS & ~SLIDER_PHI, SLIDER_PHI },
	{ DB_FAMILY_POWERMIC4, 0,
	  B(RECORD) | B(PLAY) | B(REWIND) | B(FORWARD) | B(TAB_FORWARD) | B(TAB_BACKWARD) |
	          B(ENTER) | B(F1) | B(F2) | B(F3) | B(F4) | B(COMMAND),
	  0 },
	{ DB_FAMILY_POWERMIC3, 0,
	  B(TRANSCRIBE) | B(TAB_BACKWARD) | B(RECORD) | B(TAB_FORWARD) | B(REWIND) |
	          B(FORWARD) | B(PLAY) | B(CUSTOM_LEFT) | B(ENTER) | B(CUSTOM_RIGHT) |
	          B(TRIGGER),
	  0 },
	{ DB_FAMILY_FOOT_CONTROL, 0, B(REWIND) | B(PLAY) | B(FORWARD) | B(EOL), 0 },
	{ DB_FAMILY_VEC_PEDAL, 0, B(PEDAL_LEFT) | B(PEDAL_MIDDLE) | B(PEDAL_RIGHT), 0 },
};

static void test_models(void)
{
	for (size_t i = 0; i < COUNT(known_codes); i++) {
		uint16_t code = known_codes[i];
		const struct db_model *m = db_model_lookup(DB_FAMILY_SPEECHMIKE, code);
		char digits[8];
		snprintf(digits, sizeof digits, "%u", code == 6001 ? 6000u : code);
		CHECK(m->code == code && (int)m->slider == slider_rule(code), "model %u", code);
		CHECK(strstr(m->name, digits) != NULL, "name \"%s\" lacks %s", m->name, digits);
	}
	for (size_t i = 0; i < COUNT(generic_models); i++) {
		const struct db_model *m = db_model_lookup(generic_models[i].family,
		                                           generic_models[i].code);
		CHECK(m->code == 0 && m->slider == DB_SLIDER_NONE, "generic %zu", i);
		CHECK_STR(m->name, generic_models[i].name);
	}
	CHECK(db_model_lookup(DB_FAMILY_COUNT, 0) != NULL, "bad family");

	/* An unknown code is kept and named; known codes and code 0 are looked up. */
	struct db_model unknown;
	char name[48];
	const struct db_model *id = db_model_identified(DB_FAMILY_SPEECHMIKE, 4711, &unknown,
	                                               name, sizeof name);
	CHECK(id == &unknown && id->code == 4711 && id->slider == DB_SLIDER_NONE, "4711");
	CHECK_STR(id->name, "SpeechMike (device code 4711)");
	CHECK(db_buttons_of(DB_FAMILY_SPEECHMIKE, id) == SM_BUTTONS, "4711 buttons");
	id = db_model_identified(DB_FAMILY_SPEECHMIKE, 3710, &unknown, name, sizeof name);
	CHECK(id == db_model_lookup(DB_FAMILY_SPEECHMIKE, 3710), "3710 identified");
	id = db_model_identified(DB_FAMILY_SPEECHMIKE, 0, &unknown, name, sizeof name);
	CHECK(id->code == 0 && check_str_eq(id->name, "SpeechMike"), "code 0");
	/* other families have no device codes */
	id = db_model_identified(DB_FAMILY_POWERMIC4, 3700, &unknown, name, sizeof name);
	CHECK(id->code == 0 && check_str_eq(id->name, "PowerMic 4"), "PowerMic 4");
	id = db_model_identified(DB_FAMILY_SPEECHMIKE, 65535, &unknown, name, 12);
	CHECK(id->code == 65535 && check_str_eq(id->name, "SpeechMike "), "short buffer: %s",
	      id->name);
	for (size_t i = 0; i < COUNT(capabilities); i++) {
		const struct db_model *m = db_model_lookup(capabilities[i].family,
		                                           capabilities[i].code);
		CHECK(db_buttons_of(capabilities[i].family, m) == capabilities[i].buttons,
		      "buttons of %zu: %#x", i,
		      (unsigned)db_buttons_of(capabilities[i].family, m));
		CHECK(db_slider_positions_of(m) == capabilities[i].slider, "slider of %zu", i);
	}
	CHECK(db_buttons_of(DB_FAMILY_SPEECHMIKE, NULL) == SM_BUTTONS, "NULL model");
	CHECK(db_slider_positions_of(NULL) == 0, "NULL model slider");
}

/* Every family's descriptor: what is a microphone, which family identifies (only the
 * SpeechMike: the PowerMic 4 is known by its PID), and which has device codes. */
static void test_drivers(void)
{
	static const struct {
		bool microphone, identifies, codes;
	} want[DB_FAMILY_COUNT] = {
		[DB_FAMILY_SPEECHMIKE] = { true, true, true },
		[DB_FAMILY_POWERMIC4] = { true, false, false },
		[DB_FAMILY_POWERMIC3] = { true, false, false },
		[DB_FAMILY_FOOT_CONTROL] = { false, false, false },
		[DB_FAMILY_VEC_PEDAL] = { false, false, false },
	};
	for (int f = 0; f < DB_FAMILY_COUNT; f++) {
		const struct db_driver *d = db_driver(f);
		CHECK(d != NULL && d == db_drivers[f], "descriptor %d", f);
		if (d == NULL)
			continue;
		CHECK_STR(d->name, family_names[f]);
		CHECK(d->has_microphone == want[f].microphone &&
		          db_family_has_microphone((enum db_family)f) == want[f].microphone,
		      "%s microphone", d->name);
		CHECK((d->ident != NULL) == want[f].identifies, "%s identifies", d->name);
		CHECK((d->model_of_code != NULL) == want[f].codes, "%s codes", d->name);
		CHECK(d->generic.code == 0 && d->generic.name != NULL, "%s generic", d->name);
		CHECK(d->keymap_len > 0 && d->keymap != NULL, "%s keymap", d->name);
		if (d->ident)
			CHECK(d->ident->start && d->ident->feed && d->ident->timeout &&
			          d->ident->pending_query,
			      "%s ident ops", d->name);
	}
	CHECK(db_driver(-1) == NULL && db_driver(DB_FAMILY_COUNT) == NULL, "range");
	CHECK(!db_family_has_microphone(DB_FAMILY_COUNT), "no microphone out of range");
}

/* ---- robustness ------------------------------------------------------------------------- */

static uint32_t rng_state = 0x9E3779B9u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random bytes of random lengths, half of them with an event code the wire knows:
 * nothing may crash or read past len, and every decoded state must be one the unit
 * can report. */
static void test_random_reports(void)
{
	static const uint16_t codes[] = { 0, 3710, 3520 };
	static const uint8_t first_bytes[] = { 0x80, 0x9E, 0x83, 0x8B, 0x96 };
	for (size_t r = 0; r < db_row_count; r++) {
		const struct db_row *row = &db_rows[r];
		for (size_t c = 0; c < COUNT(codes); c++) {
			const struct db_model *model = db_model_lookup(row->family, codes[c]);
			uint32_t can = db_buttons_of(row->family, model);
			uint32_t positions = db_slider_positions_of(model);
			unsigned bad = 0;
			for (int i = 0; i < 4000; i++) {
				uint8_t bytes[MAX_REPORT];
				size_t len = rng() % 24;
				for (size_t k = 0; k < len; k++)
					bytes[k] = (uint8_t)rng();
				if (len > 0 && rng() % 2)
					bytes[0] = first_bytes[rng() % COUNT(first_bytes)];
				struct db_input in;
				decode_bytes(row, model, bytes, len, &in);
				if (in.kind == DB_INPUT_BUTTONS)
					bad += (in.buttons & ~can) != 0 ||
					       (in.slider != -1 &&
					        !(positions & DB_BTN_BIT(in.slider)));
				else if (in.kind == DB_INPUT_MOTION)
					bad += in.motion == DB_MOTION_NONE;
				else
					bad += in.kind != DB_INPUT_IGNORE || in.buttons != 0;
			}
			CHECK(bad == 0, "row %zu model %u: %u bad decodes", r, codes[c], bad);
		}
	}

	struct db_ident st;
	uint8_t out[MAX_REPORT];
	unsigned bad = 0;
	for (int i = 0; i < 20000; i++) {
		if (i % 8 == 0)
			SM_IDENT->start(&st, out, sizeof(out));
		uint8_t bytes[MAX_REPORT];
		size_t len = rng() % 12;
		for (size_t k = 0; k < len; k++)
			bytes[k] = (uint8_t)rng();
		if (len > 0)
			bytes[0] = rng() % 4 ? st.pending : first_bytes[rng() % COUNT(first_bytes)];
		size_t out_len;
		uint8_t *copy = exact_copy(bytes, len);
		enum db_ident_result res = SM_IDENT->feed(&st, copy, len, out, sizeof(out), &out_len);
		release(copy);
		if (res == DB_IDENT_SEND)
			bad += !query_is(out, out_len, st.pending) || st.pending == 0;
		else
			bad += out_len != 0 || (res == DB_IDENT_DONE && st.pending != 0);
	}
	CHECK(bad == 0, "identification: %u bad steps", bad);

	struct db_input in;
	db_decode(&db_rows[0], NULL, NULL, 9, &in);
	CHECK(in.kind == DB_INPUT_IGNORE, "NULL report");
	db_decode(NULL, NULL, (const uint8_t *)"", 0, &in);
	CHECK(in.kind == DB_INPUT_IGNORE, "NULL row");
}

int main(void)
{
	test_names();
	test_table();
	test_decode();
	test_gamepad();
	test_leds();
	test_ident_sequences();
	test_ident_not_mine();
	test_ident_timeout();
	test_event_mode();
	test_models();
	test_drivers();
	test_random_reports();
	return CHECK_DONE();
}
