#include "daemon/ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/loop.h"
#include "protocol/audio_frame.h"

#define CLOSE_ALL_MS 1000
#define IDLE_US ((uint64_t)SERVER_PING_IDLE_S * 1000000u)
#define ANSWER_US ((uint64_t)(SERVER_PING_HANGUP_S - SERVER_PING_IDLE_S) * 1000000u)

/* The keepalive's ping (server.h). Not empty: lws reports only pongs that carry data. */
static const char ping_payload[] = "dictabridge";

/* One outgoing message, shared by every client it is queued for. */
struct outbuf {
	unsigned refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of headroom, then the payload */
};

struct outmsg {
	struct outmsg *next;
	struct outbuf *buf;
};

struct client {
	struct lws *wsi;
	struct client *next;           /* all established clients */
	struct outmsg *head, *tail;
	size_t queued, queued_bytes;
	char *rx;                      /* a message being reassembled from fragments */
	size_t rx_len;
	double tokens;                 /* rate limit bucket */
	uint64_t refilled_at;
	bool audio_waiting;            /* the audio module may have a frame for it */
	int close_code;                /* nonzero: close with it at the next writable */
	const char *close_reason;
	/* keepalive */
	struct loop_timer keepalive;
	uint64_t heard_us;             /* when the client last sent anything */
	uint64_t ping_sent_us;         /* when the unanswered ping went out; 0: none */
	bool ping_due;                 /* a ping waits for the next writable */
	bool verdict_read;             /* the loop has read the socket since the deadline */
};

static struct client *clients;
static unsigned n_clients;
static const struct server_handlers *handlers;

/* ---- outgoing queues ----------------------------------------------------------- */

static struct outbuf *outbuf_new(const char *json)
{
	size_t len = strlen(json);
	struct outbuf *b = malloc(sizeof *b + LWS_PRE + len);

	if (!b)
		return NULL;
	b->refs = 0;
	b->len = len;
	memcpy(b->data + LWS_PRE, json, len);
	return b;
}

static void outbuf_unref(struct outbuf *b)
{
	if (--b->refs == 0)
		free(b);
}

static void client_kill(struct client *c, const char *why)
{
	log_warn("closing a client: %s", why);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
}

/* Queues b for c. A client that stops reading is cut off once its queue is full rather
 * than being allowed to grow memory or to make the others wait. */
static void client_enqueue(struct client *c, struct outbuf *b)
{
	struct outmsg *m;

	if (c->close_code)
		return;
	if (c->queued >= SERVER_CLIENT_QUEUE_MAX ||
	    c->queued_bytes + b->len > SERVER_CLIENT_QUEUE_BYTES) {
		c->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
		client_kill(c, "it is not reading its messages (queue full)");
		return;
	}
	m = malloc(sizeof *m);
	if (!m)
		return;
	m->next = NULL;
	m->buf = b;
	b->refs++;
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	c->queued_bytes += b->len;
	lws_callback_on_writable(c->wsi);
}

void server_send_to(struct client *c, const char *json)
{
	struct outbuf *b;

	if (!json || !(b = outbuf_new(json)))
		return;
	b->refs = 1;
	client_enqueue(c, b);
	outbuf_unref(b);
}

void server_send_owned(struct client *c, char *json)
{
	server_send_to(c, json);
	free(json);
}

void server_broadcast(const char *json)
{
	struct outbuf *b;

	if (!json || !clients || !(b = outbuf_new(json)))
		return;
	b->refs = 1;
	for (struct client *c = clients; c; c = c->next)
		client_enqueue(c, b);
	outbuf_unref(b);
}

unsigned server_client_count(void)
{
	return n_clients;
}

static void client_drop_queue(struct client *c)
{
	while (c->head) {
		struct outmsg *m = c->head;

		c->head = m->next;
		outbuf_unref(m->buf);
		free(m);
	}
	c->tail = NULL;
	c->queued = c->queued_bytes = 0;
}

void server_audio_ready(struct client *c)
{
	c->audio_waiting = true;
	if (!c->close_code)
		lws_callback_on_writable(c->wsi);
}

/* One binary frame per writable callback; next_frame asks for the next callback
 * (server_audio_ready) while more are queued, so that the last one costs no empty pass. */
static int client_write_frame(struct client *c)
{
	unsigned char buf[LWS_PRE + PM_AUDIO_MAX_FRAME_BYTES];
	size_t len;

	c->audio_waiting = false; /* until server_audio_ready says otherwise */
	len = handlers->next_frame(c, buf + LWS_PRE, sizeof buf - LWS_PRE);
	if (len && lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < (int)len)
		return -1;
	return 0;
}

static int client_write_one(struct client *c)
{
	struct outmsg *m = c->head;

	if (!m)
		return client_write_frame(c);
	if (lws_write(c->wsi, m->buf->data + LWS_PRE, m->buf->len, LWS_WRITE_TEXT) <
	    (int)m->buf->len)
		return -1;
	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	c->queued--;
	c->queued_bytes -= m->buf->len;
	outbuf_unref(m->buf);
	free(m);
	if (c->head || c->audio_waiting)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- keepalive (server.h) ---------------------------------------------------------- */

static void keepalive_fire(void *arg);

static void keepalive_arm(struct client *c, uint64_t due_us)
{
	uint64_t now = loop_now_us();

	loop_timer_start(&c->keepalive, due_us > now ? (due_us - now + 999) / 1000 : 0,
	                 keepalive_fire, c);
}

static void heard(struct client *c)
{
	c->heard_us = loop_now_us();
	c->ping_sent_us = 0;
}

/* A silent client is pinged; one that stays silent past the answer time is closed, but
 * only after the loop has read its socket once more: when the daemon itself was late (a
 * loaded machine, a stopped process), the answer may be waiting unread, and a live
 * client must not lose its connection for the daemon's delay. */
static void keepalive_fire(void *arg)
{
	struct client *c = arg;
	uint64_t now = loop_now_us();

	if (!c->ping_sent_us) {
		if (now - c->heard_us < IDLE_US) {
			keepalive_arm(c, c->heard_us + IDLE_US);
		} else if (!c->close_code) {
			c->ping_due = true; /* the timer is armed again when the ping is out */
			lws_callback_on_writable(c->wsi);
		}
		return;
	}
	if (now - c->ping_sent_us < ANSWER_US) {
		keepalive_arm(c, c->ping_sent_us + ANSWER_US);
	} else if (!c->verdict_read) {
		/* A timer a millisecond away is not ripe before the loop polls the sockets. */
		c->verdict_read = true;
		loop_timer_start(&c->keepalive, 1, keepalive_fire, c);
	} else {
		client_kill(c, "it does not answer pings");
	}
}

static int client_write_ping(struct client *c)
{
	unsigned char buf[LWS_PRE + sizeof ping_payload];

	memcpy(buf + LWS_PRE, ping_payload, sizeof ping_payload - 1);
	c->ping_due = false;
	if (lws_write(c->wsi, buf + LWS_PRE, sizeof ping_payload - 1, LWS_WRITE_PING) <
	    (int)sizeof ping_payload - 1)
		return -1;
	c->ping_sent_us = loop_now_us();
	c->verdict_read = false;
	keepalive_fire(c);
	if (c->head || c->audio_waiting)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- requests ------------------------------------------------------------------- */

static bool rate_ok(struct client *c)
{
	uint64_t now = loop_now_us();

	c->tokens += (double)(now - c->refilled_at) * SERVER_RATE_PER_SEC / 1e6;
	if (c->tokens > SERVER_RATE_BURST)
		c->tokens = SERVER_RATE_BURST;
	c->refilled_at = now;
	if (c->tokens < 1.0)
		return false;
	c->tokens -= 1.0;
	return true;
}

static void handle_message(struct client *c, const char *text, size_t len)
{
	struct pm_request req;
	struct pm_parse_error err;

	if (!rate_ok(c)) {
		server_send_owned(c, pm_error(PM_ERR_RATE_LIMITED,
		                       "too many messages; slow down", NULL));
		return;
	}
	if (pm_parse_request(text, len, &req, &err) < 0) {
		server_send_owned(c, pm_error(err.code, err.message,
		                       err.request_type[0] ? err.request_type : NULL));
		return;
	}
	switch (req.type) {
	case PM_REQ_PING:
		server_send_owned(c, pm_pong(req.id_json));
		break;
	case PM_REQ_CLAIM:
	case PM_REQ_RELEASE:
	case PM_REQ_LED:
	case PM_REQ_STATE:
	case PM_REQ_AUDIO_START:
	case PM_REQ_AUDIO_STOP:
	case PM_REQ_MODE:
	case PM_REQ_PRESS:
	case PM_REQ_SLIDE: {
		char *reply = handlers->request(c, &req);

		if (reply)
			server_send_owned(c, reply);
		break;
	}
	}
}

/* Reassembles fragments; anything over the limit closes the connection with 1009. */
static int client_receive(struct client *c, struct lws *wsi, const void *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);

	if (lws_frame_is_binary(wsi)) {
		if (final)
			server_send_owned(c, pm_error(PM_ERR_INVALID_MESSAGE,
			                       "binary messages are not accepted", NULL));
		return 0;
	}
	if (first)
		c->rx_len = 0;
	if (c->rx_len + len > PM_MAX_MESSAGE_BYTES) {
		static const char reason[] = "message larger than 65536 bytes";

		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		                 (unsigned char *)reason, sizeof reason - 1);
		return -1;
	}
	if (!c->rx) {
		c->rx = malloc(PM_MAX_MESSAGE_BYTES);
		if (!c->rx)
			return -1;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (final && lws_remaining_packet_payload(wsi) == 0)
		handle_message(c, c->rx, c->rx_len);
	return 0;
}

/* ---- WebSocket clients ----------------------------------------------------------- */

static void client_unlink(struct client *c)
{
	struct client **pp = &clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = c->next;
	n_clients--;
	loop_timer_stop(&c->keepalive);
	client_drop_queue(c);
	free(c->rx);
	c->rx = NULL;
	handlers->client_gone(c);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                       void *in, size_t len)
{
	struct client *c = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof *c);
		c->wsi = wsi;
		c->tokens = SERVER_RATE_BURST;
		c->refilled_at = loop_now_us();
		heard(c);
		keepalive_fire(c);
		c->next = clients;
		clients = c;
		n_clients++;
		log_debug("client connected (%u now)", n_clients);
		server_send_owned(c, handlers->hello());
		return 0;
	case LWS_CALLBACK_RECEIVE:
		heard(c);
		return client_receive(c, wsi, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		heard(c);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c->close_code) {
			lws_close_reason(wsi, (enum lws_close_status)c->close_code,
			                 (unsigned char *)c->close_reason,
			                 c->close_reason ? strlen(c->close_reason) : 0);
			return -1;
		}
		if (c->ping_due)
			return client_write_ping(c);
		return client_write_one(c);
	case LWS_CALLBACK_CLOSED:
		client_unlink(c);
		log_debug("client disconnected (%u left)", n_clients);
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols ws_protocol = {
	PM_SUBPROTOCOL, ws_callback, sizeof(struct client), 4096, 0, NULL, 0,
};

void ws_init(const struct server_handlers *h)
{
	handlers = h;
}

static void close_all_deadline(void *arg)
{
	(void)arg; /* only here to make the loop return at the deadline */
}

void server_close_all(int code, const char *reason)
{
	static struct loop_timer deadline;
	uint64_t until = loop_now_us() + (uint64_t)CLOSE_ALL_MS * 1000;

	loop_timer_start(&deadline, CLOSE_ALL_MS, close_all_deadline, NULL);
	for (struct client *c = clients; c; c = c->next) {
		c->close_code = code;
		c->close_reason = reason;
		lws_callback_on_writable(c->wsi);
	}
	while (clients && loop_now_us() < until && loop_service_once() >= 0)
		;
	loop_timer_stop(&deadline);
}
