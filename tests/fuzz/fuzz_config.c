/* The configuration file: config_parse on arbitrary text (comments, JSON, every key),
 * then config_free. Leaks on any path are LeakSanitizer reports at the end of the run. */
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "protocol/audio_frame.h"
#include "protocol/origin.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz-config.json"

static void check_config(const struct config *c)
{
	FUZZ_CHECK(c->port >= 1 && c->port <= 65535);
	FUZZ_CHECK(c->n_origins <= CONFIG_MAX_ORIGINS);
	for (size_t i = 0; i < c->n_origins; i++) {
		char why[160];
		/* The server matches every Origin against these: an entry that slipped past
		 * validation would be matched with rules nobody reviewed. */
		FUZZ_CHECK(c->origins[i] != NULL && origin_pattern_valid(c->origins[i], why,
		                                                        sizeof why));
	}
	FUZZ_CHECK(c->identify_timeout_ms >= 50 && c->identify_timeout_ms <= 10000);
	FUZZ_CHECK(c->keymap.hold_ms >= KM_MIN_HOLD_MS && c->keymap.hold_ms <= KM_MAX_HOLD_MS);
	FUZZ_CHECK(c->log_level >= LOG_ERROR && c->log_level <= LOG_DEBUG);
	FUZZ_CHECK(c->audio_capture_rate == 0 || pm_audio_rate_ok(c->audio_capture_rate));
	if (c->audio_device != NULL) {
		size_t n = strlen(c->audio_device);
		FUZZ_CHECK(n >= 1 && n <= CONFIG_AUDIO_DEVICE_MAX);
	}
	char why[384];
	FUZZ_CHECK(km_validate(&c->keymap, why, sizeof why) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	/* Filled with non-zero bytes so that a message left unterminated shows up. */
	char err[512];
	memset(err, 'x', sizeof err);
	if (config_parse((const char *)data, size, NAME, &cfg, err, sizeof err) == 0) {
		check_config(&cfg);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
		/* config.h: errors name the file, so a user with two files knows which. */
		FUZZ_CHECK(strstr(err, NAME) != NULL);
		/* config.h: "on failure *c is left freed": back at the defaults, owning nothing. */
		FUZZ_CHECK(cfg.n_origins == 0 && cfg.audio_device == NULL && cfg.source == NULL);
		FUZZ_CHECK(cfg.port == CONFIG_DEFAULT_PORT);
	}
	config_free(&cfg);
	return 0;
}
