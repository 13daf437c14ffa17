/* Device arrival and removal from a libudev monitor on the "hidraw" and "sound"
 * subsystems: the monitor's descriptor joins the event loop (no polling, no periodic
 * enumeration), and the hidraw nodes already present are reported once at start.
 *
 * libudev rather than libusb's hotplug API: a hidraw node is what gets opened, and it
 * appears only after the kernel binds usbhid to the interface, i.e. after libusb's
 * "device arrived" callback; watching hidraw directly needs no retry. */
#ifndef DICTABRIDGE_DAEMON_HOTPLUG_H
#define DICTABRIDGE_DAEMON_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

/* A USB serial number is at most 126 UTF-16 units; room for it with escapes. */
#define HOTPLUG_SERIAL_MAX 512

/* What the hub needs to know about one hidraw node. */
struct hotplug_node {
	const char *syspath;       /* hidraw node's sysfs path: the key for removal */
	const char *devnode;       /* /dev/hidrawN */
	const char *unit_syspath;  /* the USB device it belongs to: groups collections */
	const char *unit_port;     /* USB port path ("1-2.3"), for ids of units without serial */
	const char *serial;        /* may be NULL; one line of valid UTF-8 (utf8_escape) */
	uint16_t vendor_id, product_id;
};

struct hotplug_ops {
	void (*added)(const struct hotplug_node *node);
	void (*removed)(const char *syspath);
	/* A sound device appeared or went (removed: it is going): a unit's microphone may
	 * have come or gone independently of its HID interface. */
	void (*sound_changed)(const char *syspath, bool removed);
};

/* Opens the monitor and returns its descriptor for the loop to watch (-1 on failure). */
int hotplug_open(const struct hotplug_ops *ops);
/* Reports every node present now through ops->added. */
void hotplug_scan(void);
/* The monitor's descriptor is readable: dispatch what arrived. */
void hotplug_dispatch(void);
void hotplug_close(void);

#endif
