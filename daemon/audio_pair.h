/* Which ALSA sound card belongs to a USB unit: the card whose sysfs device sits under the
 * unit's USB device (a SpeechMike or PowerMic is one USB device with a HID interface and
 * an audio interface). Read from sysfs through libudev, so it works the same for a real
 * unit and an emulated one. */
#ifndef DICTABRIDGE_DAEMON_AUDIO_PAIR_H
#define DICTABRIDGE_DAEMON_AUDIO_PAIR_H

#include <stdbool.h>

#define AUDIO_CARD_ID_MAX 32
#define AUDIO_CARD_PATH_MAX 256

struct audio_card {
	int number;                     /* ALSA card number: hw:NUMBER */
	char id[AUDIO_CARD_ID_MAX];     /* ALSA card id ("SpeechMikeIII") */
	char devpath[AUDIO_CARD_PATH_MAX]; /* sysfs path below /sys: a sound server's sysfs.path */
};

/* Fills *card with the first card under unit_syspath, not counting `gone` (a card being
 * removed: its sysfs entry may outlive its "remove" event) nor what lies under it; false
 * when there is none. gone may be NULL. */
bool audio_pair_find(const char *unit_syspath, const char *gone, struct audio_card *card);

/* Whether the sysfs path `path` lies under `unit_syspath`. */
bool audio_pair_under(const char *path, const char *unit_syspath);

void audio_pair_exit(void);

#endif
