/* libwebsockets client side: GET /status and the WebSocket session. One lws context per
 * operation, serviced on the calling thread until the operation ends. */
#include "cli/conn.h"
#include "daemon/sockdiag.h"
#include "protocol/client.h"
#include "protocol/message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SUBPROTOCOL PM_SUBPROTOCOL
#define HTTP_BODY_MAX (4u * 1024 * 1024)
#define MESSAGE_MAX (4u * 1024 * 1024)
#define STATUS_TIMEOUT_US (5 * LWS_USEC_PER_SEC)
#define FINISH_GRACE_US (1 * LWS_USEC_PER_SEC)
#define HANDSHAKE_TIMEOUT_S 5

struct outmsg {
	struct outmsg *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of headroom, then the text */
};

struct conn {
	struct lws_context *ctx;
	struct lws *wsi;
	const struct conn_handlers *h;
	void *arg;
	int done;
	int result;
	int finishing;
	char *err;
	size_t errlen;
	/* HTTP */
	int http_status;
	char *body;
	size_t body_len;
	int http_completed;
	/* WebSocket */
	bool websocket, opened;     /* a session, and its handshake succeeded */
	struct outmsg *head, *tail;
	char *rx;
	size_t rx_len;
	bool rx_active;             /* a message has begun and is not complete yet */
	bool rx_binary;             /* ... it is binary */
	bool rx_skip;               /* ... and nobody wants it: not buffered */
	bool interrupt_delivered;
	int close_code;
	char close_reason[124];
	lws_sorted_usec_list_t deadline;
};

static volatile sig_atomic_t interrupted;    /* conn_interrupt() calls, saturating */
static struct lws_context *volatile running_ctx;

static void set_err(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err || c->errlen == 0 || c->err[0])
		return;   /* the first error is the one that explains */
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

static void end(struct conn *c, int result)
{
	if (c->done)
		return;
	c->done = 1;
	c->result = result;
}

/* ---- probe ------------------------------------------------------------------------ */

int conn_probe(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return CONN_DOWN;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (rc < 0 && errno == EINTR);
	close(fd);
	return rc == 0 ? CONN_OK : CONN_DOWN;
}

/* ---- the lws callback ------------------------------------------------------------- */

static void free_queue(struct conn *c)
{
	while (c->head) {
		struct outmsg *m = c->head;

		c->head = m->next;
		free(m);
	}
	c->tail = NULL;
}

static void deliver(struct conn *c)
{
	cJSON *msg = cJSON_ParseWithLength(c->rx, c->rx_len);

	if (cJSON_IsObject(msg) && pm_message_type(msg) && c->h && c->h->message)
		c->h->message(c, msg, c->rx, c->rx_len, c->arg);
	cJSON_Delete(msg);
	c->rx_len = 0;
}

static int on_receive(struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	bool last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);

	if (!c->rx_active) {
		c->rx_active = true;
		c->rx_binary = lws_frame_is_binary(wsi);
		c->rx_skip = c->rx_binary && !(c->h && c->h->binary);
	}
	if (last)
		c->rx_active = false;
	if (c->rx_skip)
		return 0;
	size_t max = c->rx_binary ? CONN_BINARY_MAX : MESSAGE_MAX;
	if (c->rx_len + len > max) {
		set_err(c, "a %s message from the daemon is larger than %zu bytes",
		        c->rx_binary ? "binary" : "text", max);
		end(c, CONN_ERROR);
		return -1;
	}
	if (len) {
		char *grown = realloc(c->rx, c->rx_len + len);

		if (!grown)
			return -1;
		c->rx = grown;
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
	}
	if (last) {
		if (c->rx_binary) {
			c->h->binary(c, (const unsigned char *)c->rx, c->rx_len, c->arg);
			c->rx_len = 0;
		} else {
			deliver(c);
		}
	}
	return 0;
}

static int on_writable(struct conn *c, struct lws *wsi)
{
	struct outmsg *m = c->head;

	if (c->finishing && !m) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	if (!m)
		return 0;
	if (lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) {
		set_err(c, "cannot send to the daemon");
		end(c, CONN_ERROR);
		return -1;
	}
	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	free(m);
	if (c->head || c->finishing)
		lws_callback_on_writable(wsi);
	return 0;
}

/* Another user's program on the port (one that took it while the daemon was not running)
 * could feed made-up devices, audio and answers: only a daemon of our own user is
 * trusted. Checked on this very connection, before the request is sent. */
static int check_daemon_user(struct conn *c, struct lws *wsi)
{
	uid_t uid;

	if (sockdiag_peer_uid(lws_get_socket_fd(wsi), &uid) < 0) {
		set_err(c, "the owner of the program on the daemon's port cannot be determined "
		           "(%s): not trusted", strerror(errno));
	} else if (uid != geteuid()) {
		set_err(c, "the program on the daemon's port runs as another user (uid %u), not "
		           "as you: not trusted, this is a security problem (it could be "
		           "impersonating dictabridged)", (unsigned)uid);
	} else {
		return 0;
	}
	end(c, CONN_UNTRUSTED);
	return -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
	struct conn *c = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return check_daemon_user(c, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		set_err(c, "cannot connect: %s", in ? (const char *)in : "connection failed");
		c->wsi = NULL;
		end(c, c->websocket && !c->opened ? CONN_REFUSED : CONN_ERROR);
		break;

	/* HTTP (GET /status) */
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		c->http_status = (int)lws_http_client_http_response(wsi);
		break;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (c->body_len + len > HTTP_BODY_MAX) {
			set_err(c, "the answer is larger than %u bytes", HTTP_BODY_MAX);
			end(c, CONN_ERROR);
			return -1;
		}
		if (len) {
			char *grown = realloc(c->body, c->body_len + len + 1);

			if (!grown)
				return -1;
			c->body = grown;
			memcpy(c->body + c->body_len, in, len);
			c->body_len += len;
			c->body[c->body_len] = '\0';
		}
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
		char buf[LWS_PRE + 4096], *p = buf + LWS_PRE;
		int n = (int)(sizeof buf - LWS_PRE);

		if (lws_http_client_read(wsi, &p, &n) < 0)
			return -1;
		return 0;
	}
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		c->http_completed = 1;
		end(c, CONN_OK);
		lws_cancel_service(lws_get_context(wsi));
		break;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		c->wsi = NULL;
		if (!c->http_completed) {
			set_err(c, "the connection closed before a complete answer");
			end(c, c->http_status ? CONN_OK : CONN_ERROR);
		}
		break;

	/* WebSocket */
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->opened = true;
		if (c->head || c->finishing)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;
			size_t n = len - 2 < sizeof c->close_reason - 1 ? len - 2
			                                                 : sizeof c->close_reason - 1;

			c->close_code = b[0] << 8 | b[1];
			memcpy(c->close_reason, b + 2, n);
			c->close_reason[n] = '\0';
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		c->wsi = NULL;
		if (c->finishing) {
			end(c, CONN_OK);
		} else if (c->close_code) {
			set_err(c, "dictabridged closed the connection (%d%s%s)", c->close_code,
			        c->close_reason[0] ? ": " : "", c->close_reason);
			end(c, CONN_ERROR);
		} else {
			set_err(c, "dictabridged closed the connection");
			end(c, CONN_ERROR);
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ SUBPROTOCOL, callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- running one operation -------------------------------------------------------- */

static void on_deadline(lws_sorted_usec_list_t *sul)
{
	struct conn *c = lws_container_of(sul, struct conn, deadline);

	if (c->finishing) {
		end(c, CONN_OK);
		return;
	}
	set_err(c, "dictabridged did not answer in time");
	end(c, CONN_ERROR);
}

static int start(struct conn *c, int port, bool websocket)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;

	lws_set_log_level(0, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.user = c;
	info.timeout_secs = HANDSHAKE_TIMEOUT_S;
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		set_err(c, "cannot create the libwebsockets context");
		return CONN_ERROR;
	}
	memset(&ci, 0, sizeof ci);
	ci.context = c->ctx;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.host = "127.0.0.1";
	ci.path = websocket ? "/" : "/status";
	ci.protocol = websocket ? SUBPROTOCOL : NULL;
	ci.method = websocket ? NULL : "GET";
	ci.local_protocol_name = SUBPROTOCOL;
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci) && !c->done) {
		set_err(c, "cannot connect to 127.0.0.1:%d", port);
		end(c, CONN_ERROR);
	}
	return CONN_OK;
}

static void service(struct conn *c)
{
	running_ctx = c->ctx;
	while (!c->done) {
		if (interrupted && !c->finishing) {
			bool ask = c->h && c->h->interrupt;

			if (ask && !c->interrupt_delivered) {
				c->interrupt_delivered = true;
				c->h->interrupt(c, c->arg);
			} else if (!ask || interrupted > 1) {
				conn_finish(c);
			}
		}
		lws_service(c->ctx, 0);
	}
	running_ctx = NULL;
}

static void stop(struct conn *c)
{
	if (c->ctx)
		lws_context_destroy(c->ctx);
	c->ctx = NULL;
	free_queue(c);
	free(c->rx);
	free(c->body);
	c->rx = c->body = NULL;
}

/* Probes the port, then starts an HTTP (/status) or WebSocket connection on *c. */
static int open_conn(struct conn *c, int port, bool websocket, const struct conn_handlers *h,
                     void *arg, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (conn_probe(port) != CONN_OK) {
		snprintf(err, errlen, "nothing listens on 127.0.0.1:%d", port);
		return CONN_DOWN;
	}
	memset(c, 0, sizeof *c);
	c->err = err;
	c->errlen = errlen;
	c->h = h;
	c->arg = arg;
	c->websocket = websocket;
	if (start(c, port, websocket) != CONN_OK) {
		stop(c);
		return CONN_ERROR;
	}
	return CONN_OK;
}

int conn_get_status(int port, cJSON **out, char *err, size_t errlen)
{
	struct conn c;
	int rc;

	*out = NULL;
	rc = open_conn(&c, port, false, NULL, NULL, err, errlen);
	if (rc != CONN_OK)
		return rc;
	lws_sul_schedule(c.ctx, 0, &c.deadline, on_deadline, STATUS_TIMEOUT_US);
	service(&c);
	lws_sul_cancel(&c.deadline);
	rc = c.result;
	if (rc == CONN_OK && c.http_status != 200) {
		set_err(&c, "GET /status answered HTTP %d", c.http_status);
		rc = CONN_ERROR;
	} else if (rc == CONN_OK) {
		*out = c.body ? cJSON_Parse(c.body) : NULL;
		if (!cJSON_IsObject(*out)) {
			cJSON_Delete(*out);
			*out = NULL;
			set_err(&c, "GET /status did not answer a JSON object");
			rc = CONN_ERROR;
		}
	}
	stop(&c);
	return rc;
}

int conn_ws_run(int port, const struct conn_handlers *h, void *arg, int timeout_ms,
                char *err, size_t errlen)
{
	struct conn c;
	int rc;

	rc = open_conn(&c, port, true, h, arg, err, errlen);
	if (rc != CONN_OK)
		return rc;
	if (timeout_ms > 0)
		lws_sul_schedule(c.ctx, 0, &c.deadline, on_deadline,
		                 (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	service(&c);
	lws_sul_cancel(&c.deadline);
	rc = c.result;
	stop(&c);
	return rc;
}

void conn_send(struct conn *c, char *json)
{
	size_t len = json ? strlen(json) : 0;
	struct outmsg *m = json ? malloc(sizeof *m + LWS_PRE + len) : NULL;

	if (m)
		memcpy(m->data + LWS_PRE, json, len);
	free(json);
	if (!m)
		return;
	m->next = NULL;
	m->len = len;
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

void conn_deadline(struct conn *c, int timeout_ms)
{
	if (timeout_ms > 0)
		lws_sul_schedule(c->ctx, 0, &c->deadline, on_deadline,
		                 (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	else
		lws_sul_cancel(&c->deadline);
}

void conn_finish(struct conn *c)
{
	if (c->finishing)
		return;
	c->finishing = 1;
	if (!c->wsi) {
		end(c, CONN_OK);
		return;
	}
	lws_callback_on_writable(c->wsi);
	/* A daemon that does not complete the close handshake does not keep us. */
	lws_sul_schedule(c->ctx, 0, &c->deadline, on_deadline, FINISH_GRACE_US);
}

void conn_interrupt(void)
{
	struct lws_context *ctx = running_ctx;

	if (interrupted < 2)
		interrupted++;
	if (ctx)
		lws_cancel_service(ctx);
}

bool conn_interrupted(void)
{
	return interrupted != 0;
}
