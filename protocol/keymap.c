/* Keymap: names, documented defaults, validation and the per-device gesture tracker. */
#include "protocol/keymap.h"

#include <stdio.h>
#include <string.h>

_Static_assert(DB_BTN_COUNT <= 32, "km_tracker keeps one bit per button in a uint32_t");

static const char *const command_names[KM_COMMAND_COUNT] = {
	[KM_RECORD_TOGGLE] = "record.toggle",
	[KM_RECORD_START] = "record.start",
	[KM_RECORD_STOP] = "record.stop",
	[KM_REPORT_PROCESS] = "report.process",
	[KM_REPORT_SIGN] = "report.sign",
	[KM_REPORT_SIGN_PRELIM] = "report.sign_prelim",
	[KM_REPORT_SAVE] = "report.save",
	[KM_REPORT_DISCARD] = "report.discard",
	[KM_REPORT_CLOSE] = "report.close",
	[KM_FIELD_NEXT] = "field.next",
	[KM_FIELD_PREVIOUS] = "field.previous",
};

static const char *const gesture_names[KM_GESTURE_COUNT] = {
	[KM_PRESS] = "press",
	[KM_RELEASE] = "release",
	[KM_HOLD] = "hold",
};

const char *km_command_name(int command)
{
	return command >= 0 && command < KM_COMMAND_COUNT ? command_names[command] : NULL;
}

int km_command_from_name(const char *name)
{
	int i = db_name_index(command_names, KM_COMMAND_COUNT, name);
	return i < 0 ? KM_NONE : i;
}

bool km_command_is_destructive(int command)
{
	return command == KM_REPORT_SIGN || command == KM_REPORT_SIGN_PRELIM ||
	       command == KM_REPORT_DISCARD;
}

const char *km_gesture_name(int gesture)
{
	return gesture >= 0 && gesture < KM_GESTURE_COUNT ? gesture_names[gesture] : NULL;
}

int km_gesture_from_name(const char *name)
{
	return db_name_index(gesture_names, KM_GESTURE_COUNT, name);
}

/* ---- defaults ----------------------------------------------------------------- */

/* The README's "Default keymap" is the families' descriptors' (devices/): destructive
 * commands sit on hold only, and on no foot control or pedal at all. A default whose
 * gesture or command does not resolve is left out; tests/unit/test_keymap.c checks that
 * every one resolves. */
void km_defaults(struct keymap *km)
{
	memset(km, 0, sizeof *km);
	km->hold_ms = KM_DEFAULT_HOLD_MS;
	km->release_delay_ms = KM_DEFAULT_RELEASE_DELAY_MS;
	km->allow_short_press_destructive = false;
	for (int f = 0; f < DB_FAMILY_COUNT; f++) {
		const struct db_driver *d = db_driver(f);

		for (int b = 0; b < DB_BTN_COUNT; b++)
			for (int g = 0; g < KM_GESTURE_COUNT; g++)
				km->family[f].bind[b][g] = KM_NONE;
		km->family[f].push_to_talk = d->push_to_talk;
		for (size_t i = 0; i < d->keymap_len; i++) {
			const struct db_binding *bd = &d->keymap[i];
			int g = km_gesture_from_name(bd->gesture);
			int cmd = km_command_from_name(bd->command);

			if (bd->button >= 0 && bd->button < DB_BTN_COUNT && g >= 0 && cmd != KM_NONE)
				km->family[f].bind[bd->button][g] = (int8_t)cmd;
		}
	}
}

/* ---- validation --------------------------------------------------------------- */

/* Messages use the configuration key path, the only place a user can change a binding. */
int km_validate(const struct keymap *km, char *err, size_t errlen)
{
	if (km->hold_ms < KM_MIN_HOLD_MS || km->hold_ms > KM_MAX_HOLD_MS) {
		snprintf(err, errlen, "key 'hold_ms': must be an integer from %u to %u",
		         KM_MIN_HOLD_MS, KM_MAX_HOLD_MS);
		return -1;
	}
	if (km->release_delay_ms > KM_MAX_RELEASE_DELAY_MS) {
		snprintf(err, errlen, "key 'release_delay_ms': must be an integer from 0 to %u",
		         KM_MAX_RELEASE_DELAY_MS);
		return -1;
	}
	for (int f = 0; f < DB_FAMILY_COUNT; f++) {
		for (int b = 0; b < DB_BTN_COUNT; b++) {
			for (int g = 0; g < KM_GESTURE_COUNT; g++) {
				int cmd = km->family[f].bind[b][g];
				const char *path_family = db_family_name(f);
				const char *path_button = db_button_name(b);
				if (cmd == KM_NONE)
					continue;
				if (cmd < 0 || cmd >= KM_COMMAND_COUNT) {
					snprintf(err, errlen,
					         "key 'keymap.%s.buttons.%s.%s': command id %d is "
					         "out of range", path_family, path_button,
					         km_gesture_name(g), cmd);
					return -1;
				}
				if (g != KM_HOLD && km_command_is_destructive(cmd) &&
				    !km->allow_short_press_destructive) {
					snprintf(err, errlen,
					         "key 'keymap.%s.buttons.%s.%s': %s is destructive and "
					         "must not fire on a short %s; bind it to hold, or set "
					         "allow_short_press_destructive", path_family,
					         path_button, km_gesture_name(g), km_command_name(cmd),
					         km_gesture_name(g));
					return -1;
				}
			}
		}
	}
	return 0;
}

/* ---- gesture tracking --------------------------------------------------------- */

static bool family_ok(const struct keymap *km, int family)
{
	return km != NULL && family >= 0 && family < DB_FAMILY_COUNT;
}

static void emit(struct km_fire *out, size_t cap, size_t *n, int command, int button,
                 int gesture)
{
	if (*n >= cap)
		return;
	out[*n] = (struct km_fire){ .command = command, .button = button, .gesture = gesture };
	(*n)++;
}

static uint64_t hold_deadline(const struct keymap *km, const struct km_tracker *t, int button)
{
	uint64_t at = t->down_at_ms[button];
	return at > UINT64_MAX - km->hold_ms ? UINT64_MAX : at + km->hold_ms;
}

static bool hold_pending(const struct km_family_map *map, const struct km_tracker *t,
                         int button)
{
	uint32_t bit = DB_BTN_BIT(button);
	return (t->down & bit) && !(t->hold_done & bit) && map->bind[button][KM_HOLD] != KM_NONE;
}

static bool is_push_to_talk_record(const struct km_family_map *map, int button)
{
	return map->push_to_talk && map->bind[button][KM_PRESS] == KM_RECORD_TOGGLE;
}

size_t km_on_button(const struct keymap *km, int family, struct km_tracker *t,
                    int button, bool pressed, uint64_t now_ms,
                    struct km_fire *out, size_t cap)
{
	size_t n = 0;
	if (!family_ok(km, family) || t == NULL || button < 0 || button >= DB_BTN_COUNT)
		return 0;
	const struct km_family_map *map = &km->family[family];
	uint32_t bit = DB_BTN_BIT(button);

	if (pressed) {
		if (t->down & bit)
			return 0;
		t->down |= bit;
		t->hold_done &= ~bit;
		t->down_at_ms[button] = now_ms;
		int cmd = map->bind[button][KM_PRESS];
		if (is_push_to_talk_record(map, button)) {
			/* Within a release's tail the recording never stopped: continue it. */
			cmd = t->stop_pending ? KM_NONE : KM_RECORD_START;
			t->stop_pending = false;
		}
		if (cmd != KM_NONE)
			emit(out, cap, &n, cmd, button, KM_PRESS);
		return n;
	}

	if (!(t->down & bit))
		return 0;
	/* A late timer must not turn a long enough hold into nothing: the button was held
	 * past its deadline, so the hold happened before this release. */
	if (hold_pending(map, t, button) && now_ms >= hold_deadline(km, t, button))
		emit(out, cap, &n, map->bind[button][KM_HOLD], button, KM_HOLD);
	t->down &= ~bit;
	t->hold_done &= ~bit;
	if (is_push_to_talk_record(map, button)) {
		if (km->release_delay_ms == 0) {
			emit(out, cap, &n, KM_RECORD_STOP, button, KM_RELEASE);
		} else {
			t->stop_pending = true;
			t->stop_button = (int8_t)button;
			t->stop_at_ms = now_ms > UINT64_MAX - km->release_delay_ms
				? UINT64_MAX : now_ms + km->release_delay_ms;
		}
	}
	if (map->bind[button][KM_RELEASE] != KM_NONE)
		emit(out, cap, &n, map->bind[button][KM_RELEASE], button, KM_RELEASE);
	return n;
}

size_t km_end_tail(struct km_tracker *t, struct km_fire *out, size_t cap)
{
	size_t n = 0;
	if (t == NULL || !t->stop_pending)
		return 0;
	t->stop_pending = false;
	emit(out, cap, &n, KM_RECORD_STOP, t->stop_button, KM_RELEASE);
	return n;
}

size_t km_on_slider(const struct keymap *km, int family, struct km_tracker *t,
                    int position, struct km_fire *out, size_t cap)
{
	size_t n = 0;
	if (!family_ok(km, family) || t == NULL)
		return 0;
	int previous = t->slider_known ? t->slider : -1;
	t->slider = position;
	t->slider_known = true;
	if (previous != DB_BTN_RECORD && position == DB_BTN_RECORD)
		emit(out, cap, &n, KM_RECORD_START, -1, -1);
	else if (previous == DB_BTN_RECORD && position != DB_BTN_RECORD)
		emit(out, cap, &n, KM_RECORD_STOP, -1, -1);
	return n;
}

/* The pending hold with the earliest deadline (ties: lowest button), or -1. */
static int earliest_hold(const struct keymap *km, int family, const struct km_tracker *t,
                         uint64_t *deadline)
{
	int best = -1;
	*deadline = UINT64_MAX;
	for (int b = 0; b < DB_BTN_COUNT; b++) {
		if (!hold_pending(&km->family[family], t, b))
			continue;
		uint64_t at = hold_deadline(km, t, b);
		if (best < 0 || at < *deadline) {
			best = b;
			*deadline = at;
		}
	}
	return best;
}

uint64_t km_next_deadline(const struct keymap *km, int family, const struct km_tracker *t)
{
	uint64_t deadline = UINT64_MAX;
	if (family_ok(km, family) && t != NULL) {
		earliest_hold(km, family, t, &deadline);
		if (t->stop_pending && t->stop_at_ms < deadline)
			deadline = t->stop_at_ms;
	}
	return deadline;
}

size_t km_on_timer(const struct keymap *km, int family, struct km_tracker *t,
                   uint64_t now_ms, struct km_fire *out, size_t cap)
{
	size_t n = 0;
	if (!family_ok(km, family) || t == NULL)
		return 0;
	/* In deadline order; holds that do not fit in `out` stay pending, so the caller's
	 * next km_next_deadline is already due and it calls again. */
	while (n < cap) {
		uint64_t deadline;
		int b = earliest_hold(km, family, t, &deadline);
		if (t->stop_pending && t->stop_at_ms <= now_ms && t->stop_at_ms <= deadline) {
			t->stop_pending = false;
			emit(out, cap, &n, KM_RECORD_STOP, t->stop_button, KM_RELEASE);
			continue;
		}
		if (b < 0 || deadline > now_ms)
			break;
		t->hold_done |= DB_BTN_BIT(b);
		emit(out, cap, &n, km->family[family].bind[b][KM_HOLD], b, KM_HOLD);
	}
	return n;
}
