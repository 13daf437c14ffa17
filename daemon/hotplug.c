#include "daemon/hotplug.h"

#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "protocol/utf8.h"

static struct udev *udev;
static struct udev_monitor *monitor;
static const struct hotplug_ops *ops;

static uint16_t hex_attr(struct udev_device *d, const char *name)
{
	const char *v = udev_device_get_sysattr_value(d, name);

	return v ? (uint16_t)strtoul(v, NULL, 16) : 0;
}

static void report_added(struct udev_device *dev)
{
	struct udev_device *usb =
		udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");
	struct hotplug_node node = {0};
	char serial[HOTPLUG_SERIAL_MAX];
	const char *raw_serial;

	node.syspath = udev_device_get_syspath(dev);
	node.devnode = udev_device_get_devnode(dev);
	if (!usb || !node.devnode)
		return; /* not a USB HID device (Bluetooth, virtual): not ours */
	node.unit_syspath = udev_device_get_syspath(usb);
	node.unit_port = udev_device_get_sysname(usb);
	/* The serial number is whatever the device says: it goes into ids, messages and
	 * the log as one line of valid UTF-8 (its odd bytes written as \xNN). */
	raw_serial = udev_device_get_sysattr_value(usb, "serial");
	node.serial = raw_serial ? utf8_escape(raw_serial, serial, sizeof serial) : NULL;
	node.vendor_id = hex_attr(usb, "idVendor");
	node.product_id = hex_attr(usb, "idProduct");
	ops->added(&node);
}

int hotplug_open(const struct hotplug_ops *o)
{
	ops = o;
	udev = udev_new();
	if (!udev)
		return -1;
	monitor = udev_monitor_new_from_netlink(udev, "udev");
	if (!monitor || udev_monitor_filter_add_match_subsystem_devtype(monitor, "hidraw", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(monitor, "sound", NULL) < 0 ||
	    udev_monitor_enable_receiving(monitor) < 0) {
		hotplug_close();
		return -1;
	}
	return udev_monitor_get_fd(monitor);
}

void hotplug_scan(void)
{
	struct udev_enumerate *en = udev_enumerate_new(udev);
	struct udev_list_entry *e;

	if (!en)
		return;
	udev_enumerate_add_match_subsystem(en, "hidraw");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev =
			udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));
		if (dev) {
			report_added(dev);
			udev_device_unref(dev);
		}
	}
	udev_enumerate_unref(en);
}

void hotplug_dispatch(void)
{
	struct udev_device *dev;

	while ((dev = udev_monitor_receive_device(monitor)) != NULL) {
		const char *action = udev_device_get_action(dev);
		const char *subsystem = udev_device_get_subsystem(dev);

		if (subsystem && strcmp(subsystem, "sound") == 0) {
			if (action && (strcmp(action, "add") == 0 || strcmp(action, "remove") == 0))
				ops->sound_changed(udev_device_get_syspath(dev),
				                   strcmp(action, "remove") == 0);
		} else if (action && strcmp(action, "add") == 0)
			report_added(dev);
		else if (action && strcmp(action, "remove") == 0)
			ops->removed(udev_device_get_syspath(dev));
		udev_device_unref(dev);
	}
}

void hotplug_close(void)
{
	if (monitor)
		udev_monitor_unref(monitor);
	if (udev)
		udev_unref(udev);
	monitor = NULL;
	udev = NULL;
}
