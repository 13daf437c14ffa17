#include "daemon/audio_pair.h"

#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct udev *udev;

bool audio_pair_under(const char *path, const char *unit_syspath)
{
	size_t n = strlen(unit_syspath);

	return strncmp(path, unit_syspath, n) == 0 && path[n] == '/';
}

/* Card devices are "cardN" in the sound subsystem; their controlC / pcmC nodes are
 * children, not cards. */
static bool is_card(struct udev_device *d, int *number)
{
	const char *name = udev_device_get_sysname(d);
	char *end;
	long n;

	if (!name || strncmp(name, "card", 4) != 0)
		return false;
	n = strtol(name + 4, &end, 10);
	if (end == name + 4 || *end || n < 0 || n > 255)
		return false;
	*number = (int)n;
	return true;
}

bool audio_pair_find(const char *unit_syspath, const char *gone, struct audio_card *card)
{
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	bool found = false;

	if (!udev && !(udev = udev_new()))
		return false;
	en = udev_enumerate_new(udev);
	if (!en)
		return false;
	udev_enumerate_add_match_subsystem(en, "sound");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		const char *path = udev_list_entry_get_name(e);
		struct udev_device *d;
		const char *id;

		if (found || !audio_pair_under(path, unit_syspath) ||
		    (gone && (strcmp(path, gone) == 0 || audio_pair_under(path, gone))))
			continue;
		d = udev_device_new_from_syspath(udev, path);
		if (d && is_card(d, &card->number)) {
			id = udev_device_get_sysattr_value(d, "id");
			snprintf(card->id, sizeof card->id, "%s", id ? id : "");
			id = udev_device_get_devpath(d);
			snprintf(card->devpath, sizeof card->devpath, "%s", id ? id : "");
			found = true;
		}
		if (d)
			udev_device_unref(d);
	}
	udev_enumerate_unref(en);
	return found;
}

void audio_pair_exit(void)
{
	if (udev)
		udev_unref(udev);
	udev = NULL;
}
