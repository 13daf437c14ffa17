/* Walking sysfs for the hidraw nodes of supported units. */
#include "cli/hidraw.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DESC_MAX 4096

int hidraw_top_usage(const uint8_t *desc, size_t len, int *usage_page, int *usage)
{
	long page = -1, use = -1;
	size_t i = 0;

	while (i < len) {
		uint8_t prefix = desc[i];
		size_t size, n;
		uint32_t value = 0;

		if (prefix == 0xFE) {   /* long item: size in the next byte */
			if (i + 1 >= len)
				return -1;
			i += 3 + (size_t)desc[i + 1];
			continue;
		}
		size = prefix & 3u;
		if (size == 3)
			size = 4;
		if (i + 1 + size > len)
			return -1;
		for (n = 0; n < size; n++)
			value |= (uint32_t)desc[i + 1 + n] << (8 * n);
		switch (prefix & 0xFCu) {
		case 0x04:   /* global: usage page */
			page = value;
			break;
		case 0x08:   /* local: usage (a 4-byte usage carries its page) */
			if (use < 0) {
				if (size == 4) {
					page = value >> 16;
					use = value & 0xFFFFu;
				} else {
					use = value;
				}
			}
			break;
		case 0xA0:   /* main: collection */
			if (page < 0 || use < 0)
				return -1;
			*usage_page = (int)page;
			*usage = (int)use;
			return 0;
		default:
			break;
		}
		i += 1 + size;
	}
	return -1;
}

/* The first line of a small sysfs attribute, as a hex number; -1 when absent. */
static long read_hex(const char *dir, const char *attr)
{
	char path[PATH_MAX + 32], line[32];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof path, "%s/%s", dir, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(line, sizeof line, f)) {
		char *end;

		v = strtol(line, &end, 16);
		if (end == line)
			v = -1;
	}
	fclose(f);
	return v;
}

/* Walks up from the HID device to the USB device (the first ancestor with idVendor). */
static int usb_ids(const char *hid_dir, uint16_t *vid, uint16_t *pid)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof dir, "%s", hid_dir);
	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		long v = read_hex(dir, "idVendor"), p = read_hex(dir, "idProduct");

		if (v >= 0 && p >= 0) {
			*vid = (uint16_t)v;
			*pid = (uint16_t)p;
			return 0;
		}
		if (strcmp(dir, "/sys/devices") == 0)
			break;
	}
	return -1;
}

static const struct db_row *first_row_of(uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < db_row_count; i++)
		if (db_rows[i].vendor_id == vid && db_rows[i].product_id == pid)
			return &db_rows[i];
	return NULL;
}

static int describe(const char *name, struct hidraw_node *n)
{
	char link[PATH_MAX], hid_dir[PATH_MAX], path[PATH_MAX + 32];
	uint8_t desc[DESC_MAX];
	size_t len = 0;
	FILE *f;

	snprintf(link, sizeof link, "/sys/class/hidraw/%s/device", name);
	if (!realpath(link, hid_dir))
		return -1;
	memset(n, 0, sizeof *n);
	snprintf(n->name, sizeof n->name, "%s", name);
	snprintf(n->devnode, sizeof n->devnode, "/dev/%s", name);
	if (usb_ids(hid_dir, &n->vendor_id, &n->product_id) < 0)
		return -1;   /* not a USB device (Bluetooth, uhid, ...) */
	n->row = first_row_of(n->vendor_id, n->product_id);
	if (!n->row)
		return -1;
	n->usage_page = n->usage = -1;
	snprintf(path, sizeof path, "%s/report_descriptor", hid_dir);
	f = fopen(path, "re");
	if (f) {
		len = fread(desc, 1, sizeof desc, f);
		fclose(f);
	}
	if (len && hidraw_top_usage(desc, len, &n->usage_page, &n->usage) == 0) {
		n->row = db_match(n->vendor_id, n->product_id, (uint16_t)n->usage_page,
		                  (uint16_t)n->usage);
		if (!n->row)
			return -1;   /* a collection the daemon does not use (a boot mouse) */
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct hidraw_node *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->name, y->name);
}

size_t hidraw_supported_nodes(struct hidraw_node *out, size_t cap)
{
	DIR *d = opendir("/sys/class/hidraw");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL && n < cap) {
		if (strncmp(e->d_name, "hidraw", 6) != 0)
			continue;
		if (describe(e->d_name, &out[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(out, n, sizeof *out, by_name);
	return n;
}
