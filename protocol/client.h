/* The client side of the protocol: reading what dictabridged sends (message.h encodes what
 * a client sends). For clients written in C, such as the dictabridge command. Pure: no
 * sockets, no threads. */
#ifndef DICTABRIDGE_PROTOCOL_CLIENT_H
#define DICTABRIDGE_PROTOCOL_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* A server message's type ("hello", "error", ...); NULL when it has none. */
const char *pm_message_type(const cJSON *msg);

enum pm_lookup {
	PM_LOOKUP_FOUND,
	PM_LOOKUP_NONE,          /* no device has that id or serial number */
	PM_LOOKUP_AMBIGUOUS,     /* several devices have that serial number, none has that id */
};

/* The device `name` stands for in `devices` (the "devices" array of hello or GET /status):
 * the one whose id it is, else the only one whose serial number it is. Several devices
 * with that serial number are never guessed between: AMBIGUOUS, and `candidates` gets
 * their ids ("a, b"; cut short to fit cap) for the user to choose from. *found is set
 * when FOUND, else NULL. */
enum pm_lookup pm_device_lookup(const cJSON *devices, const char *name, const cJSON **found,
                                char *candidates, size_t cap);

#endif
