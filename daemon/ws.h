/* WebSocket clients (the PM_SUBPROTOCOL protocol): each established client's bounded
 * write queue (messages shared between the clients they are queued for), the reassembly
 * of fragmented messages, the rate limit, the parsing of requests (ping is answered here,
 * every other request goes to the request handler: router.c decides who gets what), and
 * the binary audio frames pulled from the audio module when a client can take one. The
 * rest of the daemon reaches clients through the outbound interface in server.h, which
 * this file implements.
 *
 * Single-threaded: everything here runs on the loop thread; a struct client lives from
 * its handshake until handlers->client_gone. */
#ifndef DICTABRIDGE_DAEMON_WS_H
#define DICTABRIDGE_DAEMON_WS_H

#include <libwebsockets.h>

#include "daemon/server.h"

/* The vhost's client protocol. */
extern const struct lws_protocols ws_protocol;

/* hello, request, client_gone and next_frame of h are used (h must outlive the loop). */
void ws_init(const struct server_handlers *h);

#endif
