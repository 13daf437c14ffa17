/* The driver interface: what a dictation device is, as data plus pure functions.
 *
 * Nothing here knows about sockets, threads, JSON, hidapi or libwebsockets, so every
 * function can be unit-tested and fuzzed on plain byte arrays.
 *
 * Vocabulary:
 *  - a *row* (struct db_row) matches one HID collection of one USB unit by
 *    VID, PID, usage page and usage, and says how to read it (its wire format and
 *    its bit map);
 *  - a *unit* is one physical device; it may expose several rows (a SpeechMike in
 *    browser/gamepad mode has its buttons on one collection and LEDs/motion on another)
 *    and is presented to clients as one device;
 *  - a *family* (enum db_family) is one kind of unit, described once by its descriptor
 *    (struct db_driver): name, microphone, generic model, default keymap and, when its
 *    units say which model they are, the identification exchange;
 *  - buttons are global ids (enum db_button) so the keymap and the protocol name them
 *    the same way whatever the family.
 *
 * Adding a family: README "Adding a device family".
 */
#ifndef DICTABRIDGE_DEVICES_DRIVER_H
#define DICTABRIDGE_DEVICES_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- buttons ------------------------------------------------------------------ */

enum db_button {
	DB_BTN_RECORD, DB_BTN_STOP, DB_BTN_PLAY, DB_BTN_REWIND, DB_BTN_FORWARD,
	DB_BTN_EOL, DB_BTN_INS_OVR, DB_BTN_INSTRUCTION,
	DB_BTN_F1, DB_BTN_F2, DB_BTN_F3, DB_BTN_F4,
	DB_BTN_COMMAND, DB_BTN_TRANSCRIBE, DB_BTN_TAB_FORWARD, DB_BTN_TAB_BACKWARD,
	DB_BTN_ENTER, DB_BTN_CUSTOM_LEFT, DB_BTN_CUSTOM_RIGHT, DB_BTN_TRIGGER,
	DB_BTN_SCAN_END, DB_BTN_SCAN_SUCCESS,
	DB_BTN_PEDAL_LEFT, DB_BTN_PEDAL_MIDDLE, DB_BTN_PEDAL_RIGHT,
	DB_BTN_COUNT
};
#define DB_BTN_BIT(b) (UINT32_C(1) << (b))

/* Lower-case snake-case wire name ("record", "ins_ovr", ...); NULL when out of range. */
const char *db_button_name(int button);
/* Inverse of db_button_name; -1 when unknown. */
int db_button_from_name(const char *name);

/* ---- LEDs --------------------------------------------------------------------- */

enum db_led {
	DB_LED_RECORD, DB_LED_INSTRUCTION, DB_LED_INS_OVR,
	DB_LED_F1, DB_LED_F2, DB_LED_F3, DB_LED_F4,
	DB_LED_COUNT
};
enum db_led_color { DB_COLOR_OFF, DB_COLOR_RED, DB_COLOR_GREEN };
enum db_led_mode { DB_MODE_ON, DB_MODE_BLINK_SLOW, DB_MODE_BLINK_FAST };

struct db_led_value {
	uint8_t color; /* enum db_led_color */
	uint8_t mode;  /* enum db_led_mode; ignored when color is off */
};
/* The whole LED state of a unit: devices take the full state in every write. */
struct db_led_state {
	struct db_led_value led[DB_LED_COUNT];
};

const char *db_led_name(int led);            /* "record", "instruction", "ins_ovr", "f1".."f4" */
int db_led_from_name(const char *name);      /* -1 when unknown */
const char *db_color_name(int color);        /* "off", "red", "green" */
int db_color_from_name(const char *name);
const char *db_mode_name(int mode);          /* "on", "blink_slow", "blink_fast" */
int db_mode_from_name(const char *name);

/* ---- decoded input ------------------------------------------------------------ */

enum db_motion { DB_MOTION_NONE, DB_MOTION_PICKED_UP, DB_MOTION_LAID_DOWN };

enum db_input_kind {
	DB_INPUT_IGNORE,   /* not an event: unknown code, query response, wrong length */
	DB_INPUT_BUTTONS,  /* full current button state (level-triggered) */
	DB_INPUT_MOTION,   /* pick-up / lay-down */
};

struct db_input {
	enum db_input_kind kind;
	uint32_t buttons;     /* DB_INPUT_BUTTONS: DB_BTN_BIT() of every button held down */
	int slider;           /* DB_INPUT_BUTTONS on slider models: enum db_button of the slide
	                       * switch position (record/stop/play/rewind/forward), else -1 */
	enum db_motion motion;/* DB_INPUT_MOTION */
};

/* ---- families, models, wire formats and table rows ---------------------------- */

/* Every family has one descriptor (struct db_driver, db_drivers[]) indexed by this enum;
 * the order is that of every list of families (help, messages, configuration). */
enum db_family {
	DB_FAMILY_SPEECHMIKE,   /* Philips SpeechMike, HID and browser/gamepad mode */
	DB_FAMILY_POWERMIC4,    /* Nuance PowerMic 4: SpeechMike protocol, own bit map */
	DB_FAMILY_POWERMIC3,    /* Nuance PowerMic II / III */
	DB_FAMILY_FOOT_CONTROL, /* Philips ACC2310 / ACC2320 / ACC2330 */
	DB_FAMILY_VEC_PEDAL,    /* Infinity / VEC IN-USB foot pedal */
	DB_FAMILY_COUNT
};
/* The descriptor's name ("speechmike", "powermic4", ...); NULL when out of range. */
const char *db_family_name(int family);
int db_family_from_name(const char *name);
/* The descriptor's has_microphone; false when out of range. */
bool db_family_has_microphone(enum db_family family);

/* Index of `name` in names[0..n), -1 when absent or NULL: the lookup behind every
 * *_from_name of the wire vocabulary (the keymap's commands and gestures use it too). */
int db_name_index(const char *const *names, size_t n, const char *name);

enum db_slider_kind { DB_SLIDER_NONE, DB_SLIDER_INT, DB_SLIDER_PHI };

/* A model a unit identified itself as (SpeechMike device codes), or a family's generic model. */
struct db_model {
	uint16_t code;            /* device code (3200, 3710, 6001, ...); 0 = generic */
	const char *name;         /* "SpeechMike Premium Touch SMP3710" */
	enum db_slider_kind slider;
};

/* How one collection's input reports carry buttons: a little-endian word read from
 * `offset` over `width` bytes, and which enum db_button each word bit means (-1: none).
 * Several bits may name the same button (the PowerMic trigger has two reported homes). */
struct db_bitmap {
	uint8_t offset;
	uint8_t width;            /* 1..4 */
	int8_t button_of_bit[32];
};

/* A wire format: framing and LED encoding, shared by every row that speaks it. */
struct db_wire {
	const char *name;
	/* Bytes in one input report as hid_read returns it (no report-ID prefix); 0 = not
	 * fixed. Used to split a read that carries several reports back to back. */
	size_t report_len;
	/* Frames one input report. NULL means every report is a plain button report decoded
	 * with the row's bitmap. Returns the kind; fills *in for motion; for buttons the
	 * caller then applies the bitmap. */
	enum db_input_kind (*frame)(const uint8_t *report, size_t len, struct db_input *in);
	/* Encodes the whole LED state as the buffer to pass to hid_write (report ID first).
	 * Returns its length, or 0 when it does not fit in cap (10 bytes always do). NULL
	 * on wires without LEDs (leds == 0). Pure. */
	size_t (*encode_leds)(const struct db_led_state *state, uint8_t *out, size_t cap);
	uint32_t leds;            /* DB_LED bit mask of LEDs that exist on this wire */
	bool led_blink;           /* false: LEDs are on/off only */
};

enum db_role {
	DB_ROLE_MAIN,     /* the unit's control collection: LEDs, motion, identification (when
	                   * its family identifies), and buttons unless a DB_ROLE_BUTTONS row
	                   * exists */
	DB_ROLE_BUTTONS,  /* buttons only (gamepad collection in browser mode) */
};

struct db_row {
	uint16_t vendor_id, product_id;
	uint16_t usage_page, usage;
	enum db_family family;
	enum db_role role;
	const struct db_wire *wire;
	const struct db_bitmap *bitmap;
	const char *model;        /* generic model name for the unit (before identification) */
};

/* Every supported collection. The udev rule is generated from this table too. */
extern const struct db_row db_rows[];
extern const size_t db_row_count;

/* The row for a collection, or NULL when it is not a dictation device collection. */
const struct db_row *db_match(uint16_t vid, uint16_t pid, uint16_t usage_page, uint16_t usage);

/* Decodes one input report of `row` for a unit identified as `model` (NULL or a generic
 * model: no slider). Pure: level-triggered state, the caller diffs against the previous
 * state. Any length is accepted; reports too short for the row give DB_INPUT_IGNORE. */
void db_decode(const struct db_row *row, const struct db_model *model,
               const uint8_t *report, size_t len, struct db_input *out);

/* Buttons a unit of `family` identified as `model` can report, as a DB_BTN_BIT mask
 * (slider positions excluded), and the slider positions it can report (0 without). */
uint32_t db_buttons_of(enum db_family family, const struct db_model *model);
uint32_t db_slider_positions_of(const struct db_model *model);

/* ---- event mode (SpeechMike vendor protocol) ----------------------------------- */

/* What a SpeechMike does with its buttons. Switching changes the USB product id, so the
 * unit leaves and comes back (re-enumerates). */
enum db_event_mode {
	DB_EVENT_MODE_HID,                /* vendor collection 0x80 reports */
	DB_EVENT_MODE_KEYBOARD,           /* keystrokes */
	DB_EVENT_MODE_BROWSER,            /* joystick collection (product id 0fa0 or 0c1e) */
	DB_EVENT_MODE_WINDOWS_SR,         /* Windows speech recognition */
	DB_EVENT_MODE_DRAGON_FOR_MAC,
	DB_EVENT_MODE_DRAGON_FOR_WINDOWS,
	DB_EVENT_MODE_COUNT
};
/* "hid", "keyboard", "browser", "windows_sr", "dragon_for_mac", "dragon_for_windows";
 * NULL when out of range. */
const char *db_event_mode_name(int mode);
int db_event_mode_from_name(const char *name);
/* Whether the daemon receives the buttons of a unit in `mode`: HID and browser mode
 * only (a mode out of range, or not known, is given the benefit of the doubt). */
bool db_event_mode_delivers_buttons(int mode);

/* ---- model identification ---------------------------------------------------- */

/* State of an identification exchange: a pure state machine of the family
 * (struct db_ident_ops); the caller does the I/O, the timeout and the retry. */
struct db_ident {
	uint8_t pending;          /* command code of the query awaiting its answer, 0: none */
	uint8_t stage;            /* private to the family */
	uint16_t code;            /* result: device code (0 until known) */
	int8_t event_mode;        /* result: enum db_event_mode, -1 until known (the device
	                           * may answer a value out of range: kept as it came) */
};

enum db_ident_result {
	DB_IDENT_SEND,     /* *out holds the next query to write (hid_write buffer) */
	DB_IDENT_DONE,     /* st->code holds the device code */
	DB_IDENT_NOT_MINE, /* the report is not the pending answer: treat it as input */
};

/* How the units of a family say which model they are, on their DB_ROLE_MAIN collection
 * when it opens, and the vendor commands that go with it. Query buffers are hid_write
 * buffers (report ID 0 first); 10 bytes always do. */
struct db_ident_ops {
	/* Starts the exchange; writes the first query into out and returns its length. */
	size_t (*start)(struct db_ident *st, uint8_t *out, size_t cap);
	/* Re-encodes the pending query (for a retry after a timeout); 0 when none. */
	size_t (*pending_query)(const struct db_ident *st, uint8_t *out, size_t cap);
	/* Feeds one input report. On DB_IDENT_SEND, *out_len is set to the query length. */
	enum db_ident_result (*feed)(struct db_ident *st, const uint8_t *report, size_t len,
	                             uint8_t *out, size_t cap, size_t *out_len);
	/* The pending query went unanswered (retry included). What was learned is kept: a
	 * device code already received stays. Returns DB_IDENT_SEND with the next query in
	 * out when one is still worth asking, else DB_IDENT_DONE. */
	enum db_ident_result (*timeout)(struct db_ident *st, uint8_t *out, size_t cap,
	                                size_t *out_len);
	/* The command that switches the unit to event mode `mode`; its length, or 0 when
	 * mode is out of range or it does not fit in cap. NULL: the family has no event
	 * modes. */
	size_t (*event_mode_command)(int mode, uint8_t *out, size_t cap);
};

/* ---- family descriptors --------------------------------------------------------- */

/* One default binding: a button, and the gesture and command as the configuration
 * spells them ("hold", "report.sign"); protocol/keymap.c resolves the names. */
struct db_binding {
	int8_t button;            /* enum db_button */
	const char *gesture;
	const char *command;
};

/* What every part of the project knows about a family: its name, the keymap defaults,
 * `dictabridge doctor` and the protocol's device object all read it. */
struct db_driver {
	const char *name;         /* wire name, part of the public protocol: never renamed */
	bool has_microphone;      /* hand-held microphones; only those get a capture device */
	struct db_model generic;  /* what a unit is called until, or unless, it identifies */
	/* The default keymap (README "Default keymap"): destructive commands on hold only,
	 * and none on a foot-operated family. */
	bool push_to_talk;        /* default record mode: record while held (pedals) */
	const struct db_binding *keymap;
	size_t keymap_len;
	/* NULL: units do not identify, and are shown as their row's generic model. */
	const struct db_ident_ops *ident;
	/* The model of a device code the exchange returned, or NULL for a code the family
	 * does not know. NULL: the family has no device codes. */
	const struct db_model *(*model_of_code)(uint16_t code);
};

/* The descriptor of every family, indexed by enum db_family (devices/table.c); each
 * family's own file defines its descriptor. */
extern const struct db_driver *const db_drivers[DB_FAMILY_COUNT];
/* The descriptor of `family`, or NULL when out of range. */
const struct db_driver *db_driver(int family);
/* The identification the collection of `row` runs at open: its family's, when it is the
 * unit's control collection; NULL otherwise. */
const struct db_ident_ops *db_row_ident(const struct db_row *row);

/* The model for a device code of a family (always non-NULL: unknown codes, code 0, and
 * families without device codes give the family's generic model). */
const struct db_model *db_model_lookup(enum db_family family, uint16_t code);
/* The model a unit that answered `code` is shown as: the known model, or for a code the
 * family does not know, *unknown filled with that code, no slide switch, and a name that
 * carries the code ("SpeechMike (device code 4711)", written into name[0..cap)). Code 0,
 * and families without device codes, give the family's generic model. */
const struct db_model *db_model_identified(enum db_family family, uint16_t code,
                                           struct db_model *unknown, char *name, size_t cap);

#endif
