/* The HTTP side of every connection: the gate (Host, Origin, the subprotocol and the
 * client cap) on every request and WebSocket upgrade, plain-text refusals, GET /status,
 * and the read-only web root (/demo/, /web/; which file a URL names is webroot.c's
 * business). An upgrade that passes the gate becomes a client of ws.c.
 *
 * Single-threaded: everything here runs on the loop thread. */
#ifndef DICTABRIDGE_DAEMON_HTTP_H
#define DICTABRIDGE_DAEMON_HTTP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

/* The vhost's "http" protocol (lws hands it every new connection first). */
extern const struct lws_protocols http_protocol;

/* The port the Host and the daemon's own origins must name; status builds /status's
 * JSON (the caller frees it). */
void http_init(int port, char *(*status)(unsigned clients));
/* The allow-list in force (copied), after the daemon's own origins on its port; with
 * allow_null, the opaque origin "null" too. Called at start and on reload. */
void http_set_origins(const char *const *origins, size_t n, bool allow_null);
/* The directory served under /demo/ and /web/ (kept, not copied: it must outlive the
 * server). NULL or a missing directory: those URLs answer 404. */
void http_set_web_root(const char *dir);
/* Forgets the allow-list. */
void http_destroy(void);

/* lws binds a WebSocket to the first offered name it knows; every protocol but the
 * clients' refuses the binding with this (logged; lws closes the connection). */
int http_refuse_websocket(void);

#endif
