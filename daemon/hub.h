/* The hub routes everything: hidraw nodes → units (one per physical device, grouping
 * its collections) → decoded button / slider / motion changes → keymap → protocol
 * messages → server; and client led/state requests → LED state → encoder → device.
 * Runs on the loop thread only; device threads reach it through the event queue. */
#ifndef DICTABRIDGE_DAEMON_HUB_H
#define DICTABRIDGE_DAEMON_HUB_H

#include "daemon/config.h"
#include "daemon/hotplug.h"
#include "protocol/message.h"

/* cfg must outlive the hub or be replaced with hub_set_config. */
void hub_init(const struct config *cfg);
void hub_set_config(const struct config *cfg);

void hub_node_added(const struct hotplug_node *node);
void hub_node_removed(const char *syspath);
/* Processes every event the device threads queued. */
void hub_drain(void);

char *hub_hello(void);
char *hub_status(unsigned clients);
/* led / state requests: NULL on success, else an error message JSON for the sender. */
char *hub_request(const struct pm_request *req);

/* Turns every LED off and stops every device (waits for the writes, bounded). */
void hub_shutdown(void);

#endif
