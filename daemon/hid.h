/* One HID collection of a unit, opened with hidapi and served by two threads:
 *  - a reader thread that opens the node, runs the model-identification exchange when the
 *    collection has one (db_row_ident; timeout per query, one retry), then blocks in hid_read and pushes every
 *    input report to the event queue;
 *  - a writer thread with its own handle that writes the latest LED buffer (writes are
 *    coalesced: only the newest state matters, and a stalled device never blocks the loop).
 * Separate handles keep hidapi's per-handle state single-threaded. Nothing here decodes:
 * the loop does, from the queue. */
#ifndef DICTABRIDGE_DAEMON_HID_H
#define DICTABRIDGE_DAEMON_HID_H

#include <stddef.h>
#include <stdint.h>

#include "devices/driver.h"

struct hid_iface;

/* Process-wide hidapi set-up; call before any thread starts. */
int hid_global_init(void);
void hid_global_exit(void);

/* (usage page, usage) pairs hidapi reports for the hidraw node `devnode` of the unit
 * vid:pid. Returns the number written (≤ cap). */
size_t hid_collections(uint16_t vid, uint16_t pid, const char *devnode, uint16_t *pages,
                       uint16_t *usages, size_t cap);

/* Starts I/O on `devnode`. Events arrive on the queue tagged with `iface_id`. NULL when
 * the threads cannot be created. */
struct hid_iface *hid_iface_start(const char *devnode, const struct db_row *row,
                                  uint32_t iface_id, uint32_t identify_timeout_ms);

/* Queues `buf` as the next output report, replacing one not yet written. Never blocks. */
void hid_iface_write(struct hid_iface *h, const uint8_t *buf, size_t len);

/* Queues a one-off command (an event-mode switch): written before any LED state still
 * pending, and not replaced by a later LED write. Never blocks. */
void hid_iface_command(struct hid_iface *h, const uint8_t *buf, size_t len);

/* Stops the threads, writes a still-pending output report first (bounded wait), closes
 * the handles and frees h. */
void hid_iface_stop(struct hid_iface *h);

#endif
