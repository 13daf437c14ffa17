/* The libwebsockets side: listening on 127.0.0.1 and ::1, serving only the daemon's own
 * user (each accepted connection's owner asked of the kernel, daemon/sockdiag.h), the
 * connection cap, the Host / Origin / subprotocol / client-cap gate on every HTTP request
 * and upgrade, WebSocket keepalive, GET /status, the read-only web root (/demo/,
 * /web/; which file a URL names is webroot.c's business), WebSocket clients with bounded
 * per-client write queues, and the event loop itself (other modules' descriptors join it
 * through server_watch_fd). Who receives a command is router.c's business.
 *
 * Single-threaded: everything here runs on the loop thread, except server_wake. */
#ifndef DICTABRIDGE_DAEMON_SERVER_H
#define DICTABRIDGE_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/message.h"

#define SERVER_MAX_CLIENTS 32
#define SERVER_CLIENT_QUEUE_MAX 1024            /* messages queued for one client */
#define SERVER_CLIENT_QUEUE_BYTES (1024 * 1024) /* bytes queued for one client */
#define SERVER_RATE_PER_SEC 100                 /* client messages per second, sustained */
#define SERVER_RATE_BURST 200
#define SERVER_SOCKET_SNDBUF (32 * 1024)           /* kernel send buffer per connection */
/* Open connections of every kind (WebSocket clients, handshakes, HTTP): past it, a new
 * connection is closed at once, so neither slow handshakes nor idle HTTP keep-alives can
 * exhaust the descriptors the clients need. */
#define SERVER_MAX_CONNECTIONS 64
/* An established client that sent nothing for SERVER_PING_IDLE_S is pinged; one that
 * has not answered SERVER_PING_HANGUP_S after its last answer is closed. */
#define SERVER_PING_IDLE_S 20
#define SERVER_PING_HANGUP_S 30

struct client;
struct lws_context;

/* What the server asks of the rest of the daemon. */
struct server_handlers {
	char *(*hello)(void);                          /* JSON for a new client */
	char *(*status)(unsigned clients);             /* JSON for GET /status */
	/* A validated request of c other than ping; returns NULL or an error JSON for c. */
	char *(*request)(struct client *c, const struct pm_request *req);
	void (*woken)(void);                           /* server_wake was called */
	void (*client_gone)(struct client *c);         /* c is closed: forget it */
	/* Copies c's next binary (audio) frame into out; its length, or 0 for none. */
	size_t (*next_frame)(struct client *c, unsigned char *out, size_t cap);
};

/* Creates the context and both listeners. -1 (reason logged) when the port is taken or
 * the sockets cannot be created. */
int server_init(int port, const struct server_handlers *h);
/* The allow-list in force (copied), after the daemon's own origins on its port; with
 * allow_null, the opaque origin "null" too. Called at start and on reload. */
void server_set_origins(const char *const *origins, size_t n, bool allow_null);
/* The directory served under /demo/ and /web/ (kept, not copied: it must outlive the
 * server). NULL or a missing directory: those URLs answer 404. */
void server_set_web_root(const char *dir);

/* Runs the loop until server_stop_loop. */
void server_run(void);
void server_stop_loop(void);
/* Thread-safe: wakes the loop, which then calls handlers->woken. */
void server_wake(void);

/* Watches a readable descriptor on the loop; cb runs on the loop thread. */
int server_watch_fd(int fd, void (*cb)(void *arg), void *arg);

void server_broadcast(const char *json);
/* Queues json for one client. */
void server_send_to(struct client *c, const char *json);
/* c has a binary frame waiting: handlers->next_frame runs when c can take it. Text
 * messages go first, so a slow audio reader never delays button events. */
void server_audio_ready(struct client *c);
unsigned server_client_count(void);

/* Closes every client with `code` and runs the loop until they are gone (bounded). */
void server_close_all(int code, const char *reason);
void server_destroy(void);

struct lws_context *server_lws_context(void);

#endif
