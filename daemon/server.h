/* The transport as the rest of the daemon sees it: its limits, what it asks of the daemon
 * (server_handlers), its life cycle (server.c, which assembles the loop, the listeners,
 * HTTP and the WebSocket clients), and the one outbound interface through which every
 * module (hub, router, audio) reaches clients (implemented by ws.c). Which client
 * receives a command is router.c's business. The parts, each with its own contract:
 * loop.h (context, descriptor watches, timers, wake-up), listen.h (sockets, accept, uid
 * gate, connection cap), http.h (the gate, /status, web root), ws.h (clients, queues).
 *
 * Single-threaded: everything here runs on the loop thread (the only thread-safe entry
 * into the loop is loop_wake). */
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
/* An established client that sent nothing (no message, no pong) for SERVER_PING_IDLE_S
 * is pinged; one still silent SERVER_PING_HANGUP_S - SERVER_PING_IDLE_S after that ping
 * went out is closed, judged only once the loop has read what the client sent (ws.c). */
#define SERVER_PING_IDLE_S 20
#define SERVER_PING_HANGUP_S 30

struct client;

/* What the server asks of the rest of the daemon. */
struct server_handlers {
	char *(*hello)(void);                          /* JSON for a new client */
	char *(*status)(unsigned clients);             /* JSON for GET /status */
	/* A validated request of c other than ping; returns NULL or an error JSON for c. */
	char *(*request)(struct client *c, const struct pm_request *req);
	void (*woken)(void);                           /* loop_wake was called */
	void (*client_gone)(struct client *c);         /* c is closed: forget it */
	/* Copies c's next binary (audio) frame into out; its length, or 0 for none. Calls
	 * server_audio_ready(c) again while c has more queued. */
	size_t (*next_frame)(struct client *c, unsigned char *out, size_t cap);
};

/* Binds both listeners, then creates the loop and starts accepting. -1 (reason logged)
 * when the port is taken or the sockets cannot be created. */
int server_init(int port, const struct server_handlers *h);
/* Closes every client with `code` and runs the loop until they are gone (bounded;
 * ws.c). */
void server_close_all(int code, const char *reason);
void server_destroy(void);

/* ---- the outbound interface (ws.c) ---- */
/* Queues json for every client (one copy, shared). */
void server_broadcast(const char *json);
/* Queues json for one client. */
void server_send_to(struct client *c, const char *json);
/* Queues json for one client and frees it (NULL: nothing). */
void server_send_owned(struct client *c, char *json);
/* c has a binary frame waiting: handlers->next_frame runs when c can take it. Text
 * messages go first, so a slow audio reader never delays button events. */
void server_audio_ready(struct client *c);
unsigned server_client_count(void);

#endif
