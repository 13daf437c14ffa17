/* Which sound-server source is the microphone a capture_source names: one rule for the
 * daemon (capture_pulse.c) and for `dictabridge doctor`, which must agree on it. Pure: the
 * caller reads the source's name, description and properties from the server. */
#ifndef DICTABRIDGE_DAEMON_PULSE_MATCH_H
#define DICTABRIDGE_DAEMON_PULSE_MATCH_H

#include <stdbool.h>

#include "daemon/capture.h"

enum pulse_match {
	PULSE_MATCH_NONE,
	PULSE_MATCH_DESCRIPTION,   /* CAPTURE_NAMED: its description is the name */
	PULSE_MATCH_EXACT,         /* the card's source, or the source of that name */
};

/* For CAPTURE_CARD: a source that is not a monitor, whose sysfs.path is the card's
 * (want->path), or, when either side lacks a path, whose alsa.card is the card's number.
 * For CAPTURE_NAMED: the name, else the description. CAPTURE_DEFAULT matches nothing (the
 * server's default source is asked for by name). sysfs_path, alsa_card, description may
 * be NULL. */
enum pulse_match pulse_match_source(const struct capture_source *want, const char *name,
                                    const char *description, const char *sysfs_path,
                                    const char *alsa_card, bool is_monitor);

#endif
