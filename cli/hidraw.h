/* The hidraw nodes of supported dictation devices, found through sysfs: each
 * /sys/class/hidraw/hidrawN/device is a HID device whose USB ancestor carries idVendor and
 * idProduct; its report descriptor says which collection the node is. */
#ifndef DICTABRIDGE_CLI_HIDRAW_H
#define DICTABRIDGE_CLI_HIDRAW_H

#include <stddef.h>
#include <stdint.h>

#include "devices/driver.h"

#define HIDRAW_MAX_NODES 64

struct hidraw_node {
	char name[32];              /* "hidraw3" */
	char devnode[48];           /* "/dev/hidraw3" */
	uint16_t vendor_id, product_id;
	int usage_page, usage;      /* top-level collection; -1 when the descriptor is unread */
	const struct db_row *row;   /* the table row the daemon opens it with, or the unit's
	                             * first row when the descriptor could not be read */
};

/* Fills out[] with the nodes the daemon would open (sorted by name); returns how many. */
size_t hidraw_supported_nodes(struct hidraw_node *out, size_t cap);

/* The top-level usage page and usage of a report descriptor: 0 with both set, -1 when
 * it has no application collection. Pure. */
int hidraw_top_usage(const uint8_t *desc, size_t len, int *usage_page, int *usage);

#endif
