/* Keymap: names, defaults, validation, and gesture timing driven by scripted scenarios. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "protocol/keymap.h"
#include "tests/unit/check.h"

#define NO_DEADLINE UINT64_MAX

/* ---- names -------------------------------------------------------------------- */

static void test_names(void)
{
	static const struct {
		const char *name;
		int command;
		bool destructive;
	} commands[] = {
		{ "record.toggle", KM_RECORD_TOGGLE, false },
		{ "record.start", KM_RECORD_START, false },
		{ "record.stop", KM_RECORD_STOP, false },
		{ "report.process", KM_REPORT_PROCESS, false },
		{ "report.sign", KM_REPORT_SIGN, true },
		{ "report.sign_prelim", KM_REPORT_SIGN_PRELIM, true },
		{ "report.save", KM_REPORT_SAVE, false },
		{ "report.discard", KM_REPORT_DISCARD, true },
		{ "report.close", KM_REPORT_CLOSE, false },
		{ "field.next", KM_FIELD_NEXT, false },
		{ "field.previous", KM_FIELD_PREVIOUS, false },
	};
	CHECK(sizeof commands / sizeof commands[0] == KM_COMMAND_COUNT, "every command listed");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		CHECK_STR(km_command_name(commands[i].command), commands[i].name);
		CHECK(km_command_from_name(commands[i].name) == commands[i].command, "%s",
		      commands[i].name);
		CHECK(km_command_is_destructive(commands[i].command) == commands[i].destructive,
		      "%s destructive", commands[i].name);
	}
	static const char *const unknown[] = {
		"", "record", "Record.Toggle", "record.toggle ", "report.sign.", "field", "null",
	};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		CHECK(km_command_from_name(unknown[i]) == KM_NONE, "'%s' unknown", unknown[i]);
	CHECK(km_command_from_name(NULL) == KM_NONE, "NULL command name");
	CHECK(km_command_name(KM_NONE) == NULL, "name of KM_NONE");
	CHECK(km_command_name(KM_COMMAND_COUNT) == NULL, "name past the end");
	CHECK(!km_command_is_destructive(KM_NONE), "KM_NONE not destructive");

	static const char *const gestures[KM_GESTURE_COUNT] = { "press", "release", "hold" };
	for (int g = 0; g < KM_GESTURE_COUNT; g++) {
		CHECK_STR(km_gesture_name(g), gestures[g]);
		CHECK(km_gesture_from_name(gestures[g]) == g, "%s", gestures[g]);
	}
	CHECK(km_gesture_from_name("long_press") == -1, "unknown gesture");
	CHECK(km_gesture_from_name("PRESS") == -1, "gesture names are case-sensitive");
	CHECK(km_gesture_from_name(NULL) == -1, "NULL gesture name");
	CHECK(km_gesture_name(-1) == NULL && km_gesture_name(KM_GESTURE_COUNT) == NULL,
	      "gesture out of range");
}

/* ---- defaults ----------------------------------------------------------------- */

struct binding {
	int family, button, gesture, command;
};

/* The README's "Default keymap" table, spelled as a user reads it: family, button,
 * gesture, command. Going through the name lookups checks the spelling too. */
static const char *const documented_defaults[] = {
	"speechmike record press record.toggle",
	"speechmike stop press record.stop",
	"speechmike ins_ovr press report.process",
	"speechmike eol hold report.sign",
	"speechmike forward press field.next",
	"speechmike rewind press field.previous",
	"speechmike f1 press report.save",
	"speechmike f2 hold report.sign_prelim",
	"speechmike f3 press report.close",
	"speechmike f4 hold report.discard",
	"powermic4 record press record.toggle",
	"powermic4 tab_backward press report.process",
	"powermic4 tab_forward press field.next",
	"powermic4 enter hold report.sign",
	"powermic4 f1 press report.save",
	"powermic4 f2 hold report.sign_prelim",
	"powermic4 f3 press report.close",
	"powermic4 f4 hold report.discard",
	"powermic3 record press record.toggle",
	"powermic3 tab_backward press report.process",
	"powermic3 tab_forward press field.next",
	"powermic3 enter hold report.sign",
	"powermic3 custom_left press report.save",
	"powermic3 custom_right hold report.discard",
	"foot_control play press record.toggle",
	"foot_control forward press field.next",
	"foot_control rewind press field.previous",
	"vec_pedal pedal_middle press record.toggle",
	"vec_pedal pedal_right press field.next",
	"vec_pedal pedal_left press field.previous",
};

static void test_defaults(void)
{
	struct keymap km;
	char err[256] = "";
	km_defaults(&km);
	CHECK(km.hold_ms == KM_DEFAULT_HOLD_MS && km.hold_ms == 800, "hold_ms %u", km.hold_ms);
	CHECK(!km.allow_short_press_destructive, "safety rule on by default");
	CHECK(km.release_delay_ms == KM_DEFAULT_RELEASE_DELAY_MS && km.release_delay_ms == 300,
	      "release_delay_ms %u", km.release_delay_ms);
	/* A foot resting on a pedal holds it: nothing destructive on any gesture. */
	static const int feet[] = { DB_FAMILY_FOOT_CONTROL, DB_FAMILY_VEC_PEDAL };
	for (size_t i = 0; i < sizeof feet / sizeof feet[0]; i++)
		for (int b = 0; b < DB_BTN_COUNT; b++)
			for (int g = 0; g < KM_GESTURE_COUNT; g++)
				CHECK(!km_command_is_destructive(km.family[feet[i]].bind[b][g]),
				      "%s %s %s is destructive", db_family_name(feet[i]),
				      db_button_name(b), km_gesture_name(g));
	CHECK(km_validate(&km, err, sizeof err) == 0, "defaults validate: %s", err);

	size_t expected = sizeof documented_defaults / sizeof documented_defaults[0];
	size_t bound = 0;
	for (size_t i = 0; i < expected; i++) {
		char family[32], button[32], gesture[16], command[32];
		int f = -1, b = -1, g = -1;
		if (sscanf(documented_defaults[i], "%31s %31s %15s %31s", family, button, gesture,
		           command) == 4) {
			f = db_family_from_name(family);
			b = db_button_from_name(button);
			g = km_gesture_from_name(gesture);
		}
		CHECK(f >= 0 && b >= 0 && g >= 0, "bad row \"%s\"", documented_defaults[i]);
		if (f >= 0 && b >= 0 && g >= 0)
			CHECK_STR(km_command_name(km.family[f].bind[b][g]), command);
	}
	for (int f = 0; f < DB_FAMILY_COUNT; f++)
		for (int b = 0; b < DB_BTN_COUNT; b++)
			for (int g = 0; g < KM_GESTURE_COUNT; g++)
				bound += km.family[f].bind[b][g] != KM_NONE;
	CHECK(bound == expected, "%zu bindings, %zu documented", bound, expected);

	static const bool push_to_talk[DB_FAMILY_COUNT] = {
		[DB_FAMILY_FOOT_CONTROL] = true, [DB_FAMILY_VEC_PEDAL] = true,
	};
	for (int f = 0; f < DB_FAMILY_COUNT; f++)
		CHECK(km.family[f].push_to_talk == push_to_talk[f], "%s push_to_talk",
		      db_family_name(f));
	/* km_defaults leaves out a descriptor's default whose names do not resolve */
	for (int f = 0; f < DB_FAMILY_COUNT; f++) {
		const struct db_driver *d = db_driver(f);
		for (size_t i = 0; i < d->keymap_len; i++)
			CHECK(db_button_name(d->keymap[i].button) != NULL &&
			          km_gesture_from_name(d->keymap[i].gesture) >= 0 &&
			          km_command_from_name(d->keymap[i].command) != KM_NONE,
			      "%s default %zu: %s %s", d->name, i, d->keymap[i].gesture,
			      d->keymap[i].command);
	}
}

/* ---- validation --------------------------------------------------------------- */

static void test_validate(void)
{
	static const struct {
		struct binding bind;      /* family -1: no change */
		uint32_t hold_ms;         /* 0: keep the default */
		bool allow;
		const char *error;        /* NULL: valid; else the exact message */
	} cases[] = {
		{ { -1, 0, 0, 0 }, 0, false, NULL },
		{ { -1, 0, 0, 0 }, KM_MIN_HOLD_MS, false, NULL },
		{ { -1, 0, 0, 0 }, KM_MAX_HOLD_MS, false, NULL },
		{ { -1, 0, 0, 0 }, KM_MIN_HOLD_MS - 1, false,
		  "key 'hold_ms': must be an integer from 200 to 10000" },
		{ { -1, 0, 0, 0 }, KM_MAX_HOLD_MS + 1, false,
		  "key 'hold_ms': must be an integer from 200 to 10000" },
		{ { DB_FAMILY_SPEECHMIKE, DB_BTN_F4, KM_PRESS, KM_REPORT_DISCARD }, 0, false,
		  "key 'keymap.speechmike.buttons.f4.press': report.discard is destructive and "
		  "must not fire on a short press; bind it to hold, or set "
		  "allow_short_press_destructive" },
		{ { DB_FAMILY_POWERMIC3, DB_BTN_ENTER, KM_RELEASE, KM_REPORT_SIGN_PRELIM }, 0, false,
		  "key 'keymap.powermic3.buttons.enter.release': report.sign_prelim is destructive "
		  "and must not fire on a short release; bind it to hold, or set "
		  "allow_short_press_destructive" },
		{ { DB_FAMILY_VEC_PEDAL, DB_BTN_PEDAL_LEFT, KM_PRESS, KM_REPORT_SIGN }, 0, false,
		  "key 'keymap.vec_pedal.buttons.pedal_left.press': report.sign is destructive and "
		  "must not fire on a short press; bind it to hold, or set "
		  "allow_short_press_destructive" },
		{ { DB_FAMILY_FOOT_CONTROL, DB_BTN_EOL, KM_PRESS, KM_REPORT_SIGN }, 0, false,
		  "key 'keymap.foot_control.buttons.eol.press': report.sign is destructive and "
		  "must not fire on a short press; bind it to hold, or set "
		  "allow_short_press_destructive" },
		{ { DB_FAMILY_FOOT_CONTROL, DB_BTN_EOL, KM_HOLD, KM_REPORT_SIGN }, 0, false, NULL },
		{ { DB_FAMILY_SPEECHMIKE, DB_BTN_F4, KM_PRESS, KM_REPORT_DISCARD }, 0, true, NULL },
		{ { DB_FAMILY_VEC_PEDAL, DB_BTN_PEDAL_LEFT, KM_RELEASE, KM_REPORT_SIGN }, 0, true,
		  NULL },
		{ { DB_FAMILY_SPEECHMIKE, DB_BTN_F4, KM_HOLD, KM_REPORT_DISCARD }, 0, false, NULL },
		{ { DB_FAMILY_SPEECHMIKE, DB_BTN_F4, KM_RELEASE, KM_REPORT_SAVE }, 0, false, NULL },
		{ { DB_FAMILY_FOOT_CONTROL, DB_BTN_PLAY, KM_HOLD, KM_COMMAND_COUNT }, 0, true,
		  "key 'keymap.foot_control.buttons.play.hold': command id 11 is out of range" },
		{ { DB_FAMILY_POWERMIC4, DB_BTN_F1, KM_PRESS, -2 }, 0, false,
		  "key 'keymap.powermic4.buttons.f1.press': command id -2 is out of range" },
		{ { DB_FAMILY_POWERMIC4, DB_BTN_F1, KM_PRESS, 127 }, 0, false,
		  "key 'keymap.powermic4.buttons.f1.press': command id 127 is out of range" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct keymap km;
		char err[512] = "";
		km_defaults(&km);
		const struct binding *b = &cases[i].bind;
		if (b->family >= 0)
			km.family[b->family].bind[b->button][b->gesture] = (int8_t)b->command;
		if (cases[i].hold_ms)
			km.hold_ms = cases[i].hold_ms;
		km.allow_short_press_destructive = cases[i].allow;
		int rc = km_validate(&km, err, sizeof err);
		if (cases[i].error == NULL) {
			CHECK(rc == 0, "case %zu: %s", i, err);
		} else {
			CHECK(rc == -1, "case %zu accepted", i);
			CHECK_STR(err, cases[i].error);
		}
	}
	/* A short buffer truncates but still reports the error. */
	struct keymap km;
	char tiny[8];
	km_defaults(&km);
	km.hold_ms = 1;
	CHECK(km_validate(&km, tiny, sizeof tiny) == -1 && strlen(tiny) == 7, "truncated");
	CHECK(km_validate(&km, NULL, 0) == -1, "no message buffer");
}

/* ---- scripted gesture scenarios ----------------------------------------------- */

enum op { END, DOWN, UP, TIMER, SLIDER };

struct step {
	enum op op;
	int arg;             /* button, or slider position */
	uint64_t at;         /* now_ms (unused for SLIDER) */
	const char *fires;   /* expected "command:button,..." ("-" for no button) */
	uint64_t next;       /* expected km_next_deadline afterwards */
};

struct scenario {
	const char *name;
	int family;
	int push_to_talk;            /* -1: keep the default */
	struct binding extra[2];     /* applied over the defaults; family -1 ends */
	size_t cap;                  /* 0: KM_MAX_FIRES */
	struct step steps[12];
};

#define NONE_EXTRA { { -1, 0, 0, 0 }, { -1, 0, 0, 0 } }

static const struct scenario scenarios[] = {
	{ "press fires on the down edge only", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_RECORD, 1000, "record.toggle:record", NO_DEADLINE },
		{ UP, DB_BTN_RECORD, 1100, "", NO_DEADLINE },
		{ DOWN, DB_BTN_RECORD, 1200, "record.toggle:record", NO_DEADLINE },
		{ UP, DB_BTN_RECORD, 1300, "", NO_DEADLINE },
	} },
	{ "hold fires once at the deadline", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ TIMER, 0, 799, "", 800 },
		{ TIMER, 0, 800, "report.sign:eol", NO_DEADLINE },
		{ TIMER, 0, 801, "", NO_DEADLINE },
		{ TIMER, 0, 5000, "", NO_DEADLINE },
		{ UP, DB_BTN_EOL, 6000, "", NO_DEADLINE },
	} },
	{ "release before the deadline cancels the hold", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA,
	  0, {
		{ DOWN, DB_BTN_EOL, 10000, "", 10800 },
		{ UP, DB_BTN_EOL, 10799, "", NO_DEADLINE },
		{ TIMER, 0, 10800, "", NO_DEADLINE },
		{ DOWN, DB_BTN_EOL, 11000, "", 11800 },
		{ TIMER, 0, 11800, "report.sign:eol", NO_DEADLINE },
		{ UP, DB_BTN_EOL, 11900, "", NO_DEADLINE },
	} },
	{ "a late timer does not lose a completed hold", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_F4, 0, "", 800 },
		{ UP, DB_BTN_F4, 800, "report.discard:f4", NO_DEADLINE },
		{ TIMER, 0, 900, "", NO_DEADLINE },
	} },
	{ "two buttons held, staggered", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ DOWN, DB_BTN_F4, 300, "", 800 },
		{ TIMER, 0, 800, "report.sign:eol", 1100 },
		{ TIMER, 0, 1100, "report.discard:f4", NO_DEADLINE },
		{ UP, DB_BTN_EOL, 1200, "", NO_DEADLINE },
		{ UP, DB_BTN_F4, 1300, "", NO_DEADLINE },
	} },
	{ "holds due together fire in deadline order", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_F4, 0, "", 800 },
		{ DOWN, DB_BTN_EOL, 100, "", 800 },
		{ TIMER, 0, 5000, "report.discard:f4,report.sign:eol", NO_DEADLINE },
	} },
	{ "releasing one of two held buttons keeps the other", DB_FAMILY_SPEECHMIKE, -1,
	  NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ DOWN, DB_BTN_F2, 400, "", 800 },
		{ UP, DB_BTN_EOL, 500, "", 1200 },
		{ TIMER, 0, 1199, "", 1200 },
		{ TIMER, 0, 1200, "report.sign_prelim:f2", NO_DEADLINE },
	} },
	{ "a press while another button is held", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ DOWN, DB_BTN_FORWARD, 200, "field.next:forward", 800 },
		{ UP, DB_BTN_FORWARD, 300, "", 800 },
		{ TIMER, 0, 800, "report.sign:eol", NO_DEADLINE },
	} },
	{ "repeated edges are idempotent", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ UP, DB_BTN_STOP, 0, "", NO_DEADLINE },
		{ DOWN, DB_BTN_STOP, 10, "record.stop:stop", NO_DEADLINE },
		{ DOWN, DB_BTN_STOP, 20, "", NO_DEADLINE },
		{ UP, DB_BTN_STOP, 30, "", NO_DEADLINE },
		{ UP, DB_BTN_STOP, 40, "", NO_DEADLINE },
		{ DOWN, DB_BTN_EOL, 100, "", 900 },
		{ DOWN, DB_BTN_EOL, 500, "", 900 },
		{ TIMER, 0, 900, "report.sign:eol", NO_DEADLINE },
		{ DOWN, DB_BTN_EOL, 950, "", NO_DEADLINE },
	} },
	{ "unbound buttons produce nothing", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_INSTRUCTION, 0, "", NO_DEADLINE },
		{ TIMER, 0, 5000, "", NO_DEADLINE },
		{ UP, DB_BTN_INSTRUCTION, 6000, "", NO_DEADLINE },
	} },
	{ "press and hold on one button", DB_FAMILY_SPEECHMIKE, -1,
	  { { DB_FAMILY_SPEECHMIKE, DB_BTN_F1, KM_HOLD, KM_REPORT_CLOSE }, { -1, 0, 0, 0 } }, 0, {
		{ DOWN, DB_BTN_F1, 0, "report.save:f1", 800 },
		{ TIMER, 0, 800, "report.close:f1", NO_DEADLINE },
		{ UP, DB_BTN_F1, 900, "", NO_DEADLINE },
	} },
	{ "release gesture fires on the up edge", DB_FAMILY_POWERMIC4, -1,
	  { { DB_FAMILY_POWERMIC4, DB_BTN_TRIGGER, KM_RELEASE, KM_RECORD_STOP },
	    { DB_FAMILY_POWERMIC4, DB_BTN_TRIGGER, KM_PRESS, KM_RECORD_START } }, 0, {
		{ DOWN, DB_BTN_TRIGGER, 0, "record.start:trigger", NO_DEADLINE },
		{ UP, DB_BTN_TRIGGER, 50, "record.stop:trigger", NO_DEADLINE },
	} },
	{ "foot control is push-to-talk by default, with a tail", DB_FAMILY_FOOT_CONTROL, -1,
	  NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_PLAY, 0, "record.start:play", NO_DEADLINE },
		{ TIMER, 0, 5000, "", NO_DEADLINE },
		{ UP, DB_BTN_PLAY, 5000, "", 5300 },
		{ TIMER, 0, 5299, "", 5300 },
		{ TIMER, 0, 5300, "record.stop:play", NO_DEADLINE },
		{ TIMER, 0, 9000, "", NO_DEADLINE },
		{ DOWN, DB_BTN_FORWARD, 6000, "field.next:forward", NO_DEADLINE },
		{ UP, DB_BTN_FORWARD, 6100, "", NO_DEADLINE },
	} },
	{ "a foot control's eol held does not sign by default", DB_FAMILY_FOOT_CONTROL, -1,
	  NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 7000, "", NO_DEADLINE },
		{ TIMER, 0, 60000, "", NO_DEADLINE },
		{ UP, DB_BTN_EOL, 60000, "", NO_DEADLINE },
	} },
	{ "a site may bind sign to a foot control's eol hold", DB_FAMILY_FOOT_CONTROL, -1,
	  { { DB_FAMILY_FOOT_CONTROL, DB_BTN_EOL, KM_HOLD, KM_REPORT_SIGN }, { -1, 0, 0, 0 } }, 0, {
		{ DOWN, DB_BTN_EOL, 7000, "", 7800 },
		{ UP, DB_BTN_EOL, 7500, "", NO_DEADLINE },
		{ DOWN, DB_BTN_EOL, 8000, "", 8800 },
		{ TIMER, 0, 8800, "report.sign:eol", NO_DEADLINE },
	} },
	{ "a push-to-talk press within the tail continues the recording", DB_FAMILY_FOOT_CONTROL,
	  -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_PLAY, 0, "record.start:play", NO_DEADLINE },
		{ UP, DB_BTN_PLAY, 1000, "", 1300 },
		{ DOWN, DB_BTN_PLAY, 1299, "", NO_DEADLINE },
		{ TIMER, 0, 1300, "", NO_DEADLINE },
		{ UP, DB_BTN_PLAY, 2000, "", 2300 },
		{ TIMER, 0, 2300, "record.stop:play", NO_DEADLINE },
		{ DOWN, DB_BTN_PLAY, 2301, "record.start:play", NO_DEADLINE },
	} },
	{ "the tail and a hold due together fire in deadline order", DB_FAMILY_FOOT_CONTROL, -1,
	  { { DB_FAMILY_FOOT_CONTROL, DB_BTN_EOL, KM_HOLD, KM_REPORT_SIGN }, { -1, 0, 0, 0 } }, 0, {
		{ DOWN, DB_BTN_PLAY, 0, "record.start:play", NO_DEADLINE },
		{ DOWN, DB_BTN_EOL, 100, "", 900 },
		{ UP, DB_BTN_PLAY, 500, "", 800 },
		{ TIMER, 0, 5000, "record.stop:play,report.sign:eol", NO_DEADLINE },
	} },
	{ "vec pedal is push-to-talk by default", DB_FAMILY_VEC_PEDAL, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_PEDAL_MIDDLE, 0, "record.start:pedal_middle", NO_DEADLINE },
		{ DOWN, DB_BTN_PEDAL_RIGHT, 10, "field.next:pedal_right", NO_DEADLINE },
		{ UP, DB_BTN_PEDAL_MIDDLE, 20, "", 320 },
		{ UP, DB_BTN_PEDAL_MIDDLE, 30, "", 320 },
		{ DOWN, DB_BTN_PEDAL_LEFT, 40, "field.previous:pedal_left", 320 },
		{ TIMER, 0, 320, "record.stop:pedal_middle", NO_DEADLINE },
	} },
	{ "foot control in toggle mode", DB_FAMILY_FOOT_CONTROL, 0, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_PLAY, 0, "record.toggle:play", NO_DEADLINE },
		{ UP, DB_BTN_PLAY, 500, "", NO_DEADLINE },
	} },
	{ "speechmike in push-to-talk mode", DB_FAMILY_SPEECHMIKE, 1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_RECORD, 0, "record.start:record", NO_DEADLINE },
		{ UP, DB_BTN_RECORD, 900, "", 1200 },
		{ TIMER, 0, 1200, "record.stop:record", NO_DEADLINE },
		{ DOWN, DB_BTN_STOP, 1300, "record.stop:stop", NO_DEADLINE },
	} },
	{ "push-to-talk keeps the release binding", DB_FAMILY_FOOT_CONTROL, -1,
	  { { DB_FAMILY_FOOT_CONTROL, DB_BTN_PLAY, KM_RELEASE, KM_REPORT_PROCESS },
	    { -1, 0, 0, 0 } }, 0, {
		{ DOWN, DB_BTN_PLAY, 0, "record.start:play", NO_DEADLINE },
		{ UP, DB_BTN_PLAY, 10, "report.process:play", 310 },
		{ TIMER, 0, 310, "record.stop:play", NO_DEADLINE },
	} },
	{ "push-to-talk only rewrites record.toggle on press", DB_FAMILY_FOOT_CONTROL, -1,
	  { { DB_FAMILY_FOOT_CONTROL, DB_BTN_REWIND, KM_HOLD, KM_RECORD_TOGGLE },
	    { -1, 0, 0, 0 } }, 0, {
		{ DOWN, DB_BTN_REWIND, 0, "field.previous:rewind", 800 },
		{ TIMER, 0, 800, "record.toggle:rewind", NO_DEADLINE },
		{ UP, DB_BTN_REWIND, 900, "", NO_DEADLINE },
	} },
	{ "holds beyond the output capacity stay pending", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA,
	  1, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ DOWN, DB_BTN_F2, 10, "", 800 },
		{ DOWN, DB_BTN_F4, 20, "", 800 },
		{ TIMER, 0, 1000, "report.sign:eol", 810 },
		{ TIMER, 0, 1000, "report.sign_prelim:f2", 820 },
		{ TIMER, 0, 1000, "report.discard:f4", NO_DEADLINE },
	} },
	{ "slider enters and leaves record", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ SLIDER, DB_BTN_STOP, 0, "", NO_DEADLINE },
		{ SLIDER, DB_BTN_RECORD, 0, "record.start:-", NO_DEADLINE },
		{ SLIDER, DB_BTN_RECORD, 0, "", NO_DEADLINE },
		{ SLIDER, DB_BTN_PLAY, 0, "record.stop:-", NO_DEADLINE },
		{ SLIDER, DB_BTN_REWIND, 0, "", NO_DEADLINE },
		{ SLIDER, DB_BTN_FORWARD, 0, "", NO_DEADLINE },
		{ SLIDER, DB_BTN_RECORD, 0, "record.start:-", NO_DEADLINE },
		{ SLIDER, -1, 0, "record.stop:-", NO_DEADLINE },
		{ SLIDER, -1, 0, "", NO_DEADLINE },
	} },
	{ "a fresh tracker with the slider in record starts", DB_FAMILY_SPEECHMIKE, -1,
	  NONE_EXTRA, 0, {
		{ SLIDER, DB_BTN_RECORD, 0, "record.start:-", NO_DEADLINE },
		{ SLIDER, DB_BTN_STOP, 0, "record.stop:-", NO_DEADLINE },
	} },
	{ "buttons and slider are independent", DB_FAMILY_SPEECHMIKE, -1, NONE_EXTRA, 0, {
		{ DOWN, DB_BTN_EOL, 0, "", 800 },
		{ SLIDER, DB_BTN_RECORD, 0, "record.start:-", 800 },
		{ TIMER, 0, 800, "report.sign:eol", NO_DEADLINE },
	} },
};

static void format_fires(const struct km_fire *f, size_t n, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		const char *button = f[i].button < 0 ? "-" : db_button_name(f[i].button);
		const char *command = km_command_name(f[i].command);
		int w = snprintf(buf + used, cap - used, "%s%s:%s", i ? "," : "",
		                 command ? command : "?", button ? button : "?");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void run_scenario(const struct scenario *s)
{
	struct keymap km;
	struct km_tracker t;
	memset(&t, 0, sizeof t);
	km_defaults(&km);
	if (s->push_to_talk >= 0)
		km.family[s->family].push_to_talk = s->push_to_talk;
	for (size_t i = 0; i < 2 && s->extra[i].family >= 0; i++) {
		const struct binding *b = &s->extra[i];
		km.family[b->family].bind[b->button][b->gesture] = (int8_t)b->command;
	}
	size_t cap = s->cap ? s->cap : KM_MAX_FIRES;
	for (size_t i = 0; i < sizeof s->steps / sizeof s->steps[0] && s->steps[i].op != END; i++) {
		const struct step *st = &s->steps[i];
		struct km_fire out[KM_MAX_FIRES + 1];
		char got[256];
		size_t n = 0;
		memset(out, 0xAB, sizeof out);
		switch (st->op) {
		case DOWN:
		case UP:
			n = km_on_button(&km, s->family, &t, st->arg, st->op == DOWN, st->at, out, cap);
			break;
		case TIMER:
			n = km_on_timer(&km, s->family, &t, st->at, out, cap);
			break;
		case SLIDER:
			n = km_on_slider(&km, s->family, &t, st->arg, out, cap);
			CHECK(t.slider == st->arg, "%s: slider stored", s->name);
			break;
		case END:
			break;
		}
		CHECK(n <= cap, "%s step %zu: %zu fires over capacity %zu", s->name, i, n, cap);
		format_fires(out, n, got, sizeof got);
		CHECK(strcmp(got, st->fires) == 0, "%s step %zu: got \"%s\", expected \"%s\"",
		      s->name, i, got, st->fires);
		uint64_t next = km_next_deadline(&km, s->family, &t);
		CHECK(next == st->next, "%s step %zu: next deadline %llu, expected %llu", s->name,
		      i, (unsigned long long)next, (unsigned long long)st->next);
	}
}

static void test_scenarios(void)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		run_scenario(&scenarios[i]);
}

/* Out-of-range arguments are ignored rather than trusted. */
static void test_bad_arguments(void)
{
	struct keymap km;
	struct km_tracker t;
	struct km_fire out[KM_MAX_FIRES];
	memset(&t, 0, sizeof t);
	km_defaults(&km);
	static const int bad_buttons[] = { -1, DB_BTN_COUNT, 31, 32, 1000 };
	for (size_t i = 0; i < sizeof bad_buttons / sizeof bad_buttons[0]; i++) {
		CHECK(km_on_button(&km, DB_FAMILY_SPEECHMIKE, &t, bad_buttons[i], true, 0, out,
		                   KM_MAX_FIRES) == 0, "button %d", bad_buttons[i]);
		CHECK(t.down == 0, "button %d left no state", bad_buttons[i]);
	}
	static const int bad_families[] = { -1, DB_FAMILY_COUNT, 99 };
	for (size_t i = 0; i < sizeof bad_families / sizeof bad_families[0]; i++) {
		int f = bad_families[i];
		CHECK(km_on_button(&km, f, &t, DB_BTN_RECORD, true, 0, out, KM_MAX_FIRES) == 0,
		      "family %d", f);
		CHECK(km_on_timer(&km, f, &t, 0, out, KM_MAX_FIRES) == 0, "timer family %d", f);
		CHECK(km_on_slider(&km, f, &t, DB_BTN_RECORD, out, KM_MAX_FIRES) == 0,
		      "slider family %d", f);
		CHECK(km_next_deadline(&km, f, &t) == NO_DEADLINE, "deadline family %d", f);
	}
	/* No room for output: state still advances, nothing is written. */
	CHECK(km_on_button(&km, DB_FAMILY_SPEECHMIKE, &t, DB_BTN_RECORD, true, 0, NULL, 0) == 0,
	      "zero capacity");
	CHECK(t.down == DB_BTN_BIT(DB_BTN_RECORD), "zero capacity still tracks the button");
	/* Deadlines saturate instead of wrapping. */
	memset(&t, 0, sizeof t);
	km_on_button(&km, DB_FAMILY_SPEECHMIKE, &t, DB_BTN_EOL, true, UINT64_MAX - 10, out,
	             KM_MAX_FIRES);
	CHECK(km_next_deadline(&km, DB_FAMILY_SPEECHMIKE, &t) == UINT64_MAX, "saturated deadline");
	CHECK(km_on_timer(&km, DB_FAMILY_SPEECHMIKE, &t, 0, out, KM_MAX_FIRES) == 0,
	      "no wrapped early fire");
}

/* release_delay_ms 0: the recording stops on the release itself; km_end_tail; the bound. */
static void test_no_release_delay(void)
{
	struct keymap km;
	struct km_tracker t;
	struct km_fire out[KM_MAX_FIRES];
	char err[256] = "";
	memset(&t, 0, sizeof t);
	km_defaults(&km);
	km.release_delay_ms = 0;
	CHECK(km_validate(&km, err, sizeof err) == 0, "0 is valid: %s", err);
	CHECK(km_on_button(&km, DB_FAMILY_FOOT_CONTROL, &t, DB_BTN_PLAY, true, 0, out,
	                   KM_MAX_FIRES) == 1 && out[0].command == KM_RECORD_START, "start");
	CHECK(km_on_button(&km, DB_FAMILY_FOOT_CONTROL, &t, DB_BTN_PLAY, false, 10, out,
	                   KM_MAX_FIRES) == 1 && out[0].command == KM_RECORD_STOP, "stop at once");
	CHECK(km_next_deadline(&km, DB_FAMILY_FOOT_CONTROL, &t) == NO_DEADLINE, "no timer");
	km.release_delay_ms = 300;
	km_on_button(&km, DB_FAMILY_FOOT_CONTROL, &t, DB_BTN_PLAY, true, 100, out, KM_MAX_FIRES);
	CHECK(km_on_button(&km, DB_FAMILY_FOOT_CONTROL, &t, DB_BTN_PLAY, false, 200, out,
	                   KM_MAX_FIRES) == 0, "the tail waits");
	CHECK(km_end_tail(&t, out, KM_MAX_FIRES) == 1 && out[0].command == KM_RECORD_STOP &&
	      out[0].button == DB_BTN_PLAY, "ended at once");
	CHECK(km_end_tail(&t, out, KM_MAX_FIRES) == 0 &&
	      km_next_deadline(&km, DB_FAMILY_FOOT_CONTROL, &t) == NO_DEADLINE, "only once");
	km.release_delay_ms = KM_MAX_RELEASE_DELAY_MS + 1;
	CHECK(km_validate(&km, err, sizeof err) == -1 &&
	      strcmp(err, "key 'release_delay_ms': must be an integer from 0 to 5000") == 0,
	      "bound: %s", err);
}

int main(void)
{
	test_names();
	test_defaults();
	test_validate();
	test_scenarios();
	test_bad_arguments();
	test_no_release_delay();
	return CHECK_DONE();
}
