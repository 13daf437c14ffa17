/* Who gets what. The one place that decides which client receives a `command` and whose
 * `state` the units' LEDs show; it also dispatches every validated request the server
 * hands over (claim / release / state here; led, mode, press and slide to the hub; audio.* to
 * the audio module).
 *
 * The contract (PROTOCOL.md "claim / release", "state"):
 * - A `command` goes to exactly one client, the owner, or to none. Never broadcast.
 * - The owner is the client that claimed last. Ownership is sticky: it lasts until
 *   another client claims, or the owner releases or disconnects; then the most recent
 *   earlier claimant still connected owns the commands. A client that never claimed
 *   never receives a command (buttons, sliders, devices go to everyone: server_broadcast).
 * - Each client's last `state` is kept. The LEDs show the owner's; with no owner, they
 *   show that nothing is recording. A change of owner re-renders them at once; a
 *   non-owner's `state` is kept for later and changes no LED.
 * - Owners are told with `claim` messages when they gain or lose the commands.
 *
 * Loop thread only, like the server and the hub that call it. */
#ifndef DICTABRIDGE_DAEMON_ROUTER_H
#define DICTABRIDGE_DAEMON_ROUTER_H

#include "protocol/message.h"

struct client;

/* A validated request of c other than ping: NULL, or an error JSON for c. */
char *router_request(struct client *c, const struct pm_request *req);
/* c is closed: forgets it (its ownership passes on; the hub releases the virtual buttons
 * it held and ends its audio streams). */
void router_client_gone(struct client *c);
/* Sends json to the owner of the commands, if any. */
void router_send_command(const char *json);

#endif
