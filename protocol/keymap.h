/* Keymap: button gestures → semantic commands.
 *
 * Pure and clock-free: the caller passes the time of every event and asks when the next
 * timer must fire, so the daemon arms a one-shot timer only while a hold is pending
 * (no periodic wake-ups) and tests run without sleeping.
 *
 * Gestures:
 *  - press:   fires when the button goes down;
 *  - release: fires when it comes up;
 *  - hold:    fires once, while still down, when it has been held for hold_ms.
 * A button may bind any of the three. In push-to-talk mode a `record.toggle` bound to
 * press becomes `record.start` on press and `record.stop` release_delay_ms after the
 * release (so the last word is not clipped); a press within that tail continues the same
 * recording (no `record.stop`, no new `record.start`).
 *
 * Safety: the destructive commands (report.sign, report.sign_prelim, report.discard)
 * may only be bound to `hold` unless the configuration explicitly allows otherwise
 * (checked by km_validate); the defaults bind them to hold only, and never on foot
 * controls and pedals (a resting foot must not sign).
 */
#ifndef DICTABRIDGE_PROTOCOL_KEYMAP_H
#define DICTABRIDGE_PROTOCOL_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/driver.h"

enum km_command {
	KM_NONE = -1,
	KM_RECORD_TOGGLE, KM_RECORD_START, KM_RECORD_STOP,
	KM_REPORT_PROCESS, KM_REPORT_SIGN, KM_REPORT_SIGN_PRELIM, KM_REPORT_SAVE,
	KM_REPORT_DISCARD, KM_REPORT_CLOSE, KM_FIELD_NEXT, KM_FIELD_PREVIOUS,
	KM_COMMAND_COUNT
};
const char *km_command_name(int command);       /* "record.toggle", ...; NULL out of range */
int km_command_from_name(const char *name);     /* KM_NONE when unknown */
bool km_command_is_destructive(int command);    /* sign, sign_prelim, discard */

enum km_gesture { KM_PRESS, KM_RELEASE, KM_HOLD, KM_GESTURE_COUNT };
const char *km_gesture_name(int gesture);       /* "press", "release", "hold" */
int km_gesture_from_name(const char *name);     /* -1 when unknown */

struct km_family_map {
	bool push_to_talk;                                 /* record_mode "push_to_talk" */
	int8_t bind[DB_BTN_COUNT][KM_GESTURE_COUNT];       /* enum km_command or KM_NONE */
};

struct keymap {
	uint32_t hold_ms;                                  /* long-press duration */
	uint32_t release_delay_ms;                         /* push-to-talk tail, 0: none */
	bool allow_short_press_destructive;                /* explicit opt-out of the safety rule */
	struct km_family_map family[DB_FAMILY_COUNT];
};

#define KM_DEFAULT_HOLD_MS 800u
#define KM_MIN_HOLD_MS 200u
#define KM_MAX_HOLD_MS 10000u
#define KM_DEFAULT_RELEASE_DELAY_MS 300u
#define KM_MAX_RELEASE_DELAY_MS 5000u

/* The documented per-family defaults (README "Default keymap"). */
void km_defaults(struct keymap *km);

/* 0 when valid; otherwise -1 with a message naming family, button and gesture. */
int km_validate(const struct keymap *km, char *err, size_t errlen);

/* One command to deliver. */
struct km_fire {
	int command;     /* enum km_command */
	int button;      /* enum db_button that caused it, -1 for none */
	int gesture;     /* enum km_gesture that fired it (a push-to-talk tail's stop: release);
	                  * -1 for the slider */
};

/* Gesture state of one device. Zero-initialise. */
struct km_tracker {
	uint32_t down;                   /* buttons currently down */
	uint32_t hold_done;              /* holds already fired for the current press */
	uint64_t down_at_ms[DB_BTN_COUNT];
	int slider;                      /* last slider position, -1 none */
	bool slider_known;               /* false until the first km_on_slider: zero
	                                  * initialisation must not read as "in record" */
	bool stop_pending;               /* a push-to-talk release waits out its tail */
	int8_t stop_button;              /* the button released */
	uint64_t stop_at_ms;             /* when its record.stop fires */
};
#define KM_MAX_FIRES 4

/* A button changed. Returns the number of commands written to out (≤ KM_MAX_FIRES). */
size_t km_on_button(const struct keymap *km, int family, struct km_tracker *t,
                    int button, bool pressed, uint64_t now_ms,
                    struct km_fire *out, size_t cap);

/* Fires a push-to-talk tail's pending record.stop now (the unit is gone: nothing more
 * to record). Returns the number of commands written (0 or 1). */
size_t km_end_tail(struct km_tracker *t, struct km_fire *out, size_t cap);

/* The slider moved (slide-switch models): entering "record" starts recording, leaving it
 * stops recording. */
size_t km_on_slider(const struct keymap *km, int family, struct km_tracker *t,
                    int position, struct km_fire *out, size_t cap);

/* Time (ms, same clock as now_ms) of the next pending hold or push-to-talk stop, or
 * UINT64_MAX for none. */
uint64_t km_next_deadline(const struct keymap *km, int family, const struct km_tracker *t);

/* Fires every hold and push-to-talk stop whose deadline is ≤ now_ms, in deadline order. */
size_t km_on_timer(const struct keymap *km, int family, struct km_tracker *t,
                   uint64_t now_ms, struct km_fire *out, size_t cap);

#endif
