/* What a browser will record: asks the user's sound server (PulseAudio, or PipeWire's
 * PulseAudio server) for its default source and for the source that is a unit's
 * microphone, by the daemon's own rule (daemon/pulse_match.h). For `dictabridge doctor`. */
#ifndef DICTABRIDGE_CLI_SOUNDSERVER_H
#define DICTABRIDGE_CLI_SOUNDSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/capture.h"

struct soundserver_view {
	char default_source[CAPTURE_PATH_MAX];  /* "" when the server has none */
	char unit_source[CAPTURE_PATH_MAX];     /* the unit's microphone; "" when none matches */
	char unit_description[CAPTURE_NAME_MAX];
};

/* False when no sound server answers within two seconds (why says so). */
bool soundserver_view(const struct capture_source *unit, struct soundserver_view *out,
                      char *why, size_t len);

#endif
