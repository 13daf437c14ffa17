/* Protocol v1 messages: events → JSON text, JSON text → validated requests, and a
 * client's requests → JSON text.
 *
 * The only module that knows the wire spelling of messages (protocol/PROTOCOL.md is its
 * prose twin). Pure: no sockets, no threads. Every encoder returns a malloc'd,
 * NUL-terminated JSON string the caller frees, or NULL when out of memory.
 */
#ifndef DICTABRIDGE_PROTOCOL_MESSAGE_H
#define DICTABRIDGE_PROTOCOL_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/driver.h"

#define PM_PROTOCOL_VERSION 1
#define PM_SUBPROTOCOL "dictabridge.v1"
/* The daemon's port unless configured otherwise, and so the clients' (web/dictabridge.js
 * mirrors it). */
#define PM_DEFAULT_PORT 27415
#define PM_MAX_MESSAGE_BYTES (64 * 1024)
#define PM_MAX_ID_CHARS 64          /* device ids and ping ids */

/* A device as clients see it. */
struct pm_device {
	const char *id;               /* stable per unit across replugs */
	int family;                   /* enum db_family */
	const char *model;
	uint16_t model_code;          /* 0 when not identified */
	uint16_t vendor_id, product_id;
	const char *serial;           /* NULL when the unit has none */
	uint32_t buttons;             /* DB_BTN_BIT mask */
	uint32_t slider;              /* DB_BTN_BIT mask of slider positions, 0 without */
	uint32_t leds;                /* DB_LED bit mask */
	bool led_blink;               /* false: LEDs are on/off only */
	/* The microphone: audio_source NULL → "audio": null; else "paired" (audio_card is
	 * the ALSA card number), "config" or "default" (card null). */
	const char *audio_source;
	int audio_card;
	const char *audio_name;
	/* SpeechMike event mode (enum db_event_mode) when has_event_mode. A mode whose
	 * buttons the daemon cannot receive adds a "warning" saying how to fix it. */
	bool has_event_mode;
	int event_mode;
	/* A virtual unit (--virtual-device): no hardware behind it; led_state is its LED
	 * state, shown in the device object. NULL for real units. */
	bool is_virtual;
	const struct db_led_state *led_state;
	/* How the last capture reached it: audio_via NULL → "via": null (no capture yet);
	 * "pulse" (then audio_server_source is the sound server's source name and
	 * audio_default_input whether it is the server's default input) or "alsa". */
	const char *audio_via;
	const char *audio_server_source;
	bool audio_default_input;
};

char *pm_hello(const char *version, const struct pm_device *devices, size_t n);
char *pm_device_added(const struct pm_device *d);
char *pm_device_changed(const struct pm_device *d);
char *pm_device_removed(const char *device_id);
char *pm_button(const char *device_id, int button, bool pressed, int64_t time_ms);
char *pm_slider(const char *device_id, int position, int64_t time_ms);
/* gesture: "press" | "release" | "hold" | "slider" | "unplug" */
char *pm_command(const char *device_id, int command, int button, const char *gesture);
char *pm_motion(const char *device_id, enum db_motion motion);
/* The whole LED state of a virtual unit (only the LEDs in the `leds` mask). */
char *pm_leds(const char *device_id, const struct db_led_state *state, uint32_t leds);
char *pm_claim(bool owner);
char *pm_pong(const char *id_json);   /* id_json: the request id, already JSON-encoded */
/* request_type may be NULL (unknown or unreadable request). */
char *pm_error(const char *code, const char *message, const char *request_type);
/* via: "pulse" (the sound server) or "alsa": the path the capture took. */
char *pm_audio_started(const char *device_id, uint32_t stream_id, uint32_t rate,
                       uint32_t frame_ms, uint32_t capture_rate, const char *via);
char *pm_audio_level(const char *device_id, double rms_dbfs, double peak_dbfs);
char *pm_audio_overrun(const char *device_id, uint64_t dropped_frames);
/* reason: "client" | "device_removed" | "error"; message may be NULL. */
char *pm_audio_stopped(const char *device_id, const char *reason, const char *message);
/* GET /status body. */
char *pm_status(const char *version, unsigned clients, const struct pm_device *devices,
                size_t n);

/* ---- client → server ------------------------------------------------------------ */

enum pm_request_type {
	PM_REQ_PING, PM_REQ_LED, PM_REQ_STATE, PM_REQ_CLAIM, PM_REQ_RELEASE,
	PM_REQ_AUDIO_START, PM_REQ_AUDIO_STOP,
	PM_REQ_MODE,        /* switch a SpeechMike's event mode */
	PM_REQ_PRESS,       /* press or release a virtual unit's button */
	PM_REQ_SLIDE,       /* move a virtual unit's slide switch */
};

struct pm_request {
	enum pm_request_type type;
	char id_json[PM_MAX_ID_CHARS * 6 + 8];  /* ping: the id, JSON-encoded for echoing */
	char device_id[PM_MAX_ID_CHARS + 1];    /* led, audio.start, audio.stop */
	int led, color, mode;                   /* led: enum db_led / db_led_color / db_led_mode */
	bool recording, report_open;            /* state */
	uint32_t rate, frame_ms;                /* audio.start (defaults filled in) */
	int event_mode;                         /* mode: enum db_event_mode */
	int button;                             /* press: enum db_button; slide: the position */
	bool pressed;                           /* press */
	uint32_t hold_ms;                       /* press: release after this long (0: no) */
};
#define PM_MAX_HOLD_MS 60000

/* Requests as a client sends them (the encoders' output parses back with
 * pm_parse_request). Names (LEDs, colours, buttons, modes) are passed as the user gave
 * them and not checked here: the daemon answers a wrong one with an error naming the
 * field, which a client shows as it is. */
char *pm_req_ping(const char *id);
char *pm_req_claim(void);
char *pm_req_release(void);
char *pm_req_state(bool recording, bool report_open);
/* mode NULL: left out (the LED is on). */
char *pm_req_led(const char *device_id, const char *led, const char *color, const char *mode);
char *pm_req_mode(const char *device_id, const char *event_mode);
/* hold_ms 0: left out (no automatic release). */
char *pm_req_press(const char *device_id, const char *button, bool pressed, uint32_t hold_ms);
char *pm_req_slide(const char *device_id, const char *position);
/* rate, frame_ms 0: left out (the daemon's defaults). */
char *pm_req_audio_start(const char *device_id, uint32_t rate, uint32_t frame_ms);
char *pm_req_audio_stop(const char *device_id);

/* Error codes (PROTOCOL.md "Errors"). */
#define PM_ERR_INVALID_JSON "invalid_json"
#define PM_ERR_INVALID_MESSAGE "invalid_message"
#define PM_ERR_UNKNOWN_TYPE "unknown_type"
#define PM_ERR_INVALID_FIELD "invalid_field"
#define PM_ERR_UNKNOWN_DEVICE "unknown_device"
#define PM_ERR_UNKNOWN_LED "unknown_led"
#define PM_ERR_UNSUPPORTED "unsupported"
#define PM_ERR_RATE_LIMITED "rate_limited"

struct pm_parse_error {
	const char *code;             /* one of PM_ERR_* */
	char message[160];
	char request_type[24];        /* the request's type when readable, else "" */
};

/* Parses and type-checks one client text message. Returns 0 and fills *req, or -1 and
 * fills *err. Unknown fields are ignored (forward compatibility); known fields must have
 * the documented type and value. */
int pm_parse_request(const char *text, size_t len, struct pm_request *req,
                     struct pm_parse_error *err);

#endif
