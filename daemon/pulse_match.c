#include "daemon/pulse_match.h"

#include <stdio.h>
#include <string.h>

enum pulse_match pulse_match_source(const struct capture_source *want, const char *name,
                                    const char *description, const char *sysfs_path,
                                    const char *alsa_card, bool is_monitor)
{
	char number[16];

	switch (want->kind) {
	case CAPTURE_CARD:
		if (is_monitor)
			return PULSE_MATCH_NONE;
		/* The sysfs path names one card for good; card numbers are reused after a
		 * replug, so the number decides only when there is no path to compare. */
		if (sysfs_path && want->path[0])
			return strcmp(sysfs_path, want->path) == 0 ? PULSE_MATCH_EXACT
			                                           : PULSE_MATCH_NONE;
		snprintf(number, sizeof number, "%d", want->card);
		return alsa_card && strcmp(alsa_card, number) == 0 ? PULSE_MATCH_EXACT
		                                                   : PULSE_MATCH_NONE;
	case CAPTURE_NAMED:
		if (name && strcmp(name, want->name) == 0)
			return PULSE_MATCH_EXACT;
		return description && strcmp(description, want->name) == 0
		               ? PULSE_MATCH_DESCRIPTION : PULSE_MATCH_NONE;
	case CAPTURE_DEFAULT:
	default:
		return PULSE_MATCH_NONE;
	}
}
