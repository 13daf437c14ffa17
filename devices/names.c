/* Wire names of the driver enums (families: their descriptors' names). The protocol, the
 * keymap and the configuration file all spell buttons, LEDs and families this way, so these strings are part of the public
 * protocol: never rename one. */
#include <string.h>

#include "devices/driver.h"

static const char *const button_names[DB_BTN_COUNT] = {
	[DB_BTN_RECORD] = "record",
	[DB_BTN_STOP] = "stop",
	[DB_BTN_PLAY] = "play",
	[DB_BTN_REWIND] = "rewind",
	[DB_BTN_FORWARD] = "forward",
	[DB_BTN_EOL] = "eol",
	[DB_BTN_INS_OVR] = "ins_ovr",
	[DB_BTN_INSTRUCTION] = "instruction",
	[DB_BTN_F1] = "f1",
	[DB_BTN_F2] = "f2",
	[DB_BTN_F3] = "f3",
	[DB_BTN_F4] = "f4",
	[DB_BTN_COMMAND] = "command",
	[DB_BTN_TRANSCRIBE] = "transcribe",
	[DB_BTN_TAB_FORWARD] = "tab_forward",
	[DB_BTN_TAB_BACKWARD] = "tab_backward",
	[DB_BTN_ENTER] = "enter",
	[DB_BTN_CUSTOM_LEFT] = "custom_left",
	[DB_BTN_CUSTOM_RIGHT] = "custom_right",
	[DB_BTN_TRIGGER] = "trigger",
	[DB_BTN_SCAN_END] = "scan_end",
	[DB_BTN_SCAN_SUCCESS] = "scan_success",
	[DB_BTN_PEDAL_LEFT] = "pedal_left",
	[DB_BTN_PEDAL_MIDDLE] = "pedal_middle",
	[DB_BTN_PEDAL_RIGHT] = "pedal_right",
};

static const char *const led_names[DB_LED_COUNT] = {
	[DB_LED_RECORD] = "record",
	[DB_LED_INSTRUCTION] = "instruction",
	[DB_LED_INS_OVR] = "ins_ovr",
	[DB_LED_F1] = "f1",
	[DB_LED_F2] = "f2",
	[DB_LED_F3] = "f3",
	[DB_LED_F4] = "f4",
};

static const char *const color_names[] = {
	[DB_COLOR_OFF] = "off",
	[DB_COLOR_RED] = "red",
	[DB_COLOR_GREEN] = "green",
};

static const char *const mode_names[] = {
	[DB_MODE_ON] = "on",
	[DB_MODE_BLINK_SLOW] = "blink_slow",
	[DB_MODE_BLINK_FAST] = "blink_fast",
};

static const char *const event_mode_names[DB_EVENT_MODE_COUNT] = {
	[DB_EVENT_MODE_HID] = "hid",
	[DB_EVENT_MODE_KEYBOARD] = "keyboard",
	[DB_EVENT_MODE_BROWSER] = "browser",
	[DB_EVENT_MODE_WINDOWS_SR] = "windows_sr",
	[DB_EVENT_MODE_DRAGON_FOR_MAC] = "dragon_for_mac",
	[DB_EVENT_MODE_DRAGON_FOR_WINDOWS] = "dragon_for_windows",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_at(const char *const *names, size_t n, int index)
{
	return index >= 0 && (size_t)index < n ? names[index] : NULL;
}

int db_name_index(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *db_button_name(int button)
{
	return name_at(button_names, COUNT(button_names), button);
}

int db_button_from_name(const char *name)
{
	return db_name_index(button_names, COUNT(button_names), name);
}

const char *db_led_name(int led)
{
	return name_at(led_names, COUNT(led_names), led);
}

int db_led_from_name(const char *name)
{
	return db_name_index(led_names, COUNT(led_names), name);
}

const char *db_color_name(int color)
{
	return name_at(color_names, COUNT(color_names), color);
}

int db_color_from_name(const char *name)
{
	return db_name_index(color_names, COUNT(color_names), name);
}

const char *db_mode_name(int mode)
{
	return name_at(mode_names, COUNT(mode_names), mode);
}

int db_mode_from_name(const char *name)
{
	return db_name_index(mode_names, COUNT(mode_names), name);
}

/* Family names are their descriptors'. */
const char *db_family_name(int family)
{
	const struct db_driver *d = db_driver(family);

	return d != NULL ? d->name : NULL;
}

int db_family_from_name(const char *name)
{
	for (int f = 0; name != NULL && f < DB_FAMILY_COUNT; f++)
		if (strcmp(db_drivers[f]->name, name) == 0)
			return f;
	return -1;
}

const char *db_event_mode_name(int mode)
{
	return name_at(event_mode_names, COUNT(event_mode_names), mode);
}

int db_event_mode_from_name(const char *name)
{
	return db_name_index(event_mode_names, COUNT(event_mode_names), name);
}
