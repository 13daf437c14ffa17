/* The connection to dictabridged: a TCP probe, GET /status, and a WebSocket session
 * (libwebsockets client, subprotocol dictabridge.v1). Always 127.0.0.1, never an Origin
 * header: the daemon treats a request without one as a local program. */
#ifndef DICTABRIDGE_CLI_CONN_H
#define DICTABRIDGE_CLI_CONN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum conn_result {
	CONN_OK = 0,
	CONN_DOWN = -1,     /* nothing accepts connections on the port */
	CONN_ERROR = -2,    /* something answered, but not as dictabridged does; or timeout */
	CONN_UNTRUSTED = -3, /* the program on the port runs as another user (or its owner is
	                      * unknown): nothing was sent to it */
	CONN_REFUSED = -4,  /* a WebSocket session never opened: the program on the port
	                     * refused the handshake (or closed before answering) */
};

/* CONN_OK when something accepts TCP connections on 127.0.0.1:port, else CONN_DOWN. */
int conn_probe(int port);

/* GET /status. CONN_OK with the parsed JSON object in *out (the caller frees it with
 * cJSON_Delete), else CONN_DOWN, or CONN_ERROR or CONN_UNTRUSTED with a message in err. */
int conn_get_status(int port, cJSON **out, char *err, size_t errlen);

/* ---- WebSocket session -------------------------------------------------------- */

struct conn;

struct conn_handlers {
	/* Every message from the daemon, parsed (a JSON object with a string "type") and as
	 * the text received. */
	void (*message)(struct conn *c, const cJSON *msg, const char *text, size_t len,
	                void *arg);
	/* Optional: every binary message, whole (at most CONN_BINARY_MAX bytes; a larger
	 * one ends the session with CONN_ERROR). Without it binary messages are skipped
	 * unbuffered. `data` is valid only during the call. */
	void (*binary)(struct conn *c, const unsigned char *data, size_t len, void *arg);
	/* Optional: called once, on the session's thread, after the first conn_interrupt().
	 * With it the session goes on until the handler (or the daemon) ends it, so that a
	 * command can close what it started; a second conn_interrupt() ends the session at
	 * once. Without it the first conn_interrupt() ends the session. */
	void (*interrupt)(struct conn *c, void *arg);
};

#define CONN_BINARY_MAX (1u * 1024 * 1024)

/* Connects and runs the session until conn_finish(), conn_interrupt(), the daemon
 * closing the connection, or timeout_ms (0: none). Returns CONN_OK when ended by
 * conn_finish() or conn_interrupt(), CONN_DOWN when nothing listens, CONN_UNTRUSTED,
 * CONN_REFUSED or CONN_ERROR (with a message in err) otherwise. */
int conn_ws_run(int port, const struct conn_handlers *h, void *arg, int timeout_ms,
                char *err, size_t errlen);

/* Queues a message for the daemon: `json`, an encoder's result (protocol/message.h), which
 * it frees (NULL, an encoder out of memory: nothing is sent). */
void conn_send(struct conn *c, char *json);
/* (Re)arms the session's deadline, replacing the one conn_ws_run() started with:
 * timeout_ms from now the session ends with CONN_ERROR ("did not answer in time").
 * 0 removes the deadline. */
void conn_deadline(struct conn *c, int timeout_ms);
/* Closes the connection normally (code 1000) and makes conn_ws_run return CONN_OK. */
void conn_finish(struct conn *c);
/* Async-signal-safe: ends the running session as conn_finish() does, or first asks the
 * handlers' `interrupt` when there is one. */
void conn_interrupt(void);
bool conn_interrupted(void);

#endif
