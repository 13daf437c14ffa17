/* The daemon's configuration: a JSON file (cJSON) merged with command-line flags.
 *
 * JSON with line (//) and block comments (blanked before parsing, so positions stay true).
 *
 * Search order: --config FILE, else $XDG_CONFIG_HOME/dictabridge/config.json ($HOME/.config
 * when XDG_CONFIG_HOME is unset), else /etc/dictabridge/config.json, else built-in
 * defaults. Every key is type- and range-checked and unknown keys are errors, so a typo
 * never silently falls back to a default. Errors name the file, the key path (or line
 * and column for a syntax error) and what is wrong.
 *
 * Keys (all optional):
 *   port                          integer 1..65535, default 27415
 *   allowed_origins               array of origin patterns (see protocol/origin.h)
 *   allow_null_origin             boolean, default false: also allow "Origin: null"
 *   hold_ms                       long-press duration, 200..10000, default 800
 *   release_delay_ms              push-to-talk tail after the release, 0..5000, default 300
 *   identify_timeout_ms           model-identification answer timeout, 50..10000, default 1000
 *   log_level                     "error" | "warning" | "info" | "debug", default "info"
 *   allow_short_press_destructive boolean, default false
 *   audio                         { "device": NAME, "allow_system_default": BOOL,
 *                                   "capture_rate": RATE } (see PROTOCOL.md "Audio"):
 *                                 device: PortAudio device name or substring for units
 *                                 without a paired sound card (1..127 characters);
 *                                 allow_system_default: default false; capture_rate:
 *                                 8000 | 16000 | 22050 | 44100 | 48000, default automatic
 *   virtual_devices               array of "FAMILY" or "speechmike:CODE" (a device code, for
 *                                 a slider model), at most CONFIG_MAX_VIRTUAL: virtual units
 *                                 for testing without hardware (default none; read at start)
 *   keymap                        { FAMILY: { "record_mode": "toggle" | "push_to_talk",
 *                                             "buttons": { BUTTON: { "press"|"release"|"hold":
 *                                                                    COMMAND | null } } } }
 *                                 a listed button replaces that button's default bindings.
 */
#ifndef DICTABRIDGE_DAEMON_CONFIG_H
#define DICTABRIDGE_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/keymap.h"
#include "protocol/message.h"

#define CONFIG_DEFAULT_PORT PM_DEFAULT_PORT
#define CONFIG_MAX_ORIGINS 64
#define CONFIG_MAX_FILE_BYTES (1024 * 1024)
#define CONFIG_AUDIO_DEVICE_MAX 127
#define CONFIG_MAX_VIRTUAL 8

enum log_level { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

struct config {
	int port;
	char *origins[CONFIG_MAX_ORIGINS];   /* from the file, then --allow-origin; owned */
	size_t n_origins;
	bool allow_null_origin;              /* any site can send null: explicit opt-in */
	uint32_t identify_timeout_ms;
	enum log_level log_level;
	struct keymap keymap;
	char *audio_device;                  /* owned; NULL: none configured */
	bool audio_allow_system_default;
	uint32_t audio_capture_rate;         /* 0: automatic */
	struct config_virtual {              /* virtual_devices, then --virtual-device */
		int family;                  /* enum db_family */
		uint16_t code;               /* SpeechMike device code, 0: generic */
	} virtual_devices[CONFIG_MAX_VIRTUAL];
	size_t n_virtual;
	char *source;                        /* file it came from, NULL for built-in defaults */
};

/* Built-in defaults (no file). */
void config_defaults(struct config *c);

/* Parses `text` (len bytes, not necessarily NUL-terminated) as a config file named
 * `name` (used in messages) into *c, starting from the defaults. Returns 0, or -1 with a
 * one-line message in err. On failure *c is left freed (no ownership to release). */
int config_parse(const char *text, size_t len, const char *name, struct config *c,
                 char *err, size_t errlen);

/* Resolves the search order above and loads the file it finds. `explicit_path` is the
 * --config argument or NULL. Returns 0 (c->source says which file, NULL for defaults)
 * or -1 with a message in err. An explicit path that does not exist is an error; a
 * missing file in the search path is not. */
int config_load(const char *explicit_path, struct config *c, char *err, size_t errlen);

/* A --port argument: the port (1..65535), or -1 when it is not exactly a number in range.
 * Shared by the daemon and the CLI so both accept the same spellings. */
int config_parse_port(const char *s);

/* Sets the audio device (--audio-device); -1 with a message when invalid. */
int config_set_audio_device(struct config *c, const char *name, char *err, size_t errlen);

/* Appends an --allow-origin value; -1 with a message when invalid or too many. */
int config_add_origin(struct config *c, const char *origin, char *err, size_t errlen);

/* Appends a virtual device ("FAMILY", or "FAMILY:CODE" with a known device code of a
 * family that has them, such as speechmike:3710); -1 with a message when invalid or too
 * many. */
int config_add_virtual_device(struct config *c, const char *spec, char *err, size_t errlen);
/* The device families, "speechmike, powermic4, ...", into buf (truncated when short). */
void config_family_names(char *buf, size_t cap);

void config_free(struct config *c);

#endif
