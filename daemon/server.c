#include "daemon/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/sockdiag.h"
#include "daemon/webroot.h"
#include "protocol/audio_frame.h"
#include "protocol/origin.h"

#define HDR_MAX 256
#define CLOSE_ALL_MS 1000

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
	lws_usec_t refilled_at;
	bool audio_waiting;            /* the audio module may have a frame for it */
	int close_code;                /* nonzero: close with it at the next writable */
	const char *close_reason;
};

/* One HTTP connection: the answer being sent, either the /status document or a file of
 * the web root streamed in chunks (lws zero-fills the session: has_file guards fd). */
struct http_session {
	char *body;
	size_t len;
	bool has_file;
	int fd;
	off_t remaining;
};

struct fd_watch {
	void (*cb)(void *arg);
	void *arg;
};

static struct lws_context *ctx;
static struct lws_vhost *vhost;
static const struct server_handlers *handlers;
static int listen_port;
static const char *web_root;      /* NULL: no web root */
static char **origins;
static size_t n_origins;
static struct client *clients;
static unsigned n_clients;
static volatile int loop_running;
static struct fd_watch watches[8];
static size_t n_watches;
/* Accepted connections that lws holds (marked with connection_mark), until destroyed. */
static unsigned n_connections;
static const char connection_mark = 0;
static bool at_cap_logged;        /* the cap was reached and said so; until one ends */

static void connection_ended(void);

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

static void send_owned(struct client *c, char *json)
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

/* One binary frame per writable callback, asking for the next one until none is left. */
static int client_write_frame(struct client *c)
{
	unsigned char buf[LWS_PRE + PM_AUDIO_MAX_FRAME_BYTES];
	size_t len = handlers->next_frame(c, buf + LWS_PRE, sizeof buf - LWS_PRE);

	if (!len) {
		c->audio_waiting = false; /* until server_audio_ready says otherwise */
		return 0;
	}
	if (lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY) < (int)len)
		return -1;
	lws_callback_on_writable(c->wsi);
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

/* ---- requests ------------------------------------------------------------------- */

static bool rate_ok(struct client *c)
{
	lws_usec_t now = lws_now_usecs();

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
		send_owned(c, pm_error(PM_ERR_RATE_LIMITED,
		                       "too many messages; slow down", NULL));
		return;
	}
	if (pm_parse_request(text, len, &req, &err) < 0) {
		send_owned(c, pm_error(err.code, err.message,
		                       err.request_type[0] ? err.request_type : NULL));
		return;
	}
	switch (req.type) {
	case PM_REQ_PING:
		send_owned(c, pm_pong(req.id_json));
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
			send_owned(c, reply);
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
			send_owned(c, pm_error(PM_ERR_INVALID_MESSAGE,
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

/* ---- the gate: Host, Origin, subprotocol, client cap ----------------------------- */

static bool header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t len)
{
	int n = lws_hdr_total_length(wsi, t);

	if (n <= 0 || (size_t)n >= len)
		return false;
	return lws_hdr_copy(wsi, buf, (int)len, t) >= 0;
}

/* Returns 0 when allowed, else the HTTP status to refuse with and a reason. */
static int gate(struct lws *wsi, const char **why)
{
	char host[HDR_MAX], origin[HDR_MAX];

	if (!header(wsi, WSI_TOKEN_HOST, host, sizeof host) || !origin_host_ok(host, listen_port)) {
		*why = "Host not allowed";
		return HTTP_STATUS_FORBIDDEN;
	}
	/* A browser always sends Origin; no Origin is a local program, which could open
	 * the device nodes itself anyway. An Origin header too long to copy is refused. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0 &&
	    (!header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin) ||
	     !origin_allowed(origin, (const char *const *)origins, n_origins))) {
		*why = "Origin not allowed";
		return HTTP_STATUS_FORBIDDEN;
	}
	return 0;
}

static bool offers_subprotocol(struct lws *wsi)
{
	char list[HDR_MAX];

	if (!header(wsi, WSI_TOKEN_PROTOCOL, list, sizeof list))
		return false;
	for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save))
		if (strcmp(tok, PM_SUBPROTOCOL) == 0)
			return true;
	return false;
}

/* lws binds a WebSocket to the first offered name it knows: "http, dictabridge.v1" would
 * make one of the HTTP handler (or of the descriptor watcher), outside the client cap
 * and the message rules. Those handlers refuse every WebSocket binding: lws closes the
 * connection. */
static int refuse_websocket(void)
{
	log_info("refused a connection: a WebSocket may only be %s", PM_SUBPROTOCOL);
	return -1;
}

/* Writes a complete plain-text refusal. Hand-made rather than lws_return_http_status,
 * which answers an upgrade with an HTML page and an HTTP/1.0 status line that strict
 * WebSocket clients reject as malformed. */
static int refuse(struct lws *wsi, int status, const char *why)
{
	/* room for the head and the longest reason (one naming a web-root file) */
	unsigned char buf[LWS_PRE + 256 + WEBROOT_MAX_REL + 64];
	const char *text = status == HTTP_STATUS_FORBIDDEN     ? "Forbidden"
	                 : status == HTTP_STATUS_NOT_FOUND     ? "Not Found"
	                 : status == HTTP_STATUS_BAD_REQUEST   ? "Bad Request"
	                 : status == HTTP_STATUS_METHOD_NOT_ALLOWED ? "Method Not Allowed"
	                                                      : "Service Unavailable";
	int n = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
	                 "HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\n"
	                 "content-length: %zu\r\nconnection: close\r\n\r\n%s\n",
	                 status, text, strlen(why) + 1, why);

	if (status != HTTP_STATUS_NOT_FOUND)
		log_info("refused a connection: %s", why);
	lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS);
	return 1;
}

static int confirm_upgrade(struct lws *wsi)
{
	const char *why = NULL;
	int status = gate(wsi, &why);

	if (status)
		return refuse(wsi, status, why);
	if (!offers_subprotocol(wsi))
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
		              "WebSocket subprotocol " PM_SUBPROTOCOL " required");
	if (n_clients >= SERVER_MAX_CLIENTS)
		return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "too many clients");
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------------ */

#define FILE_CHUNK 16384 /* bytes of a static file sent per writable callback */

static int add_header(struct lws *wsi, const char *name, const char *value,
                      unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	                                   (const unsigned char *)value, (int)strlen(value), p,
	                                   end);
}

/* The gate already checked the Origin: an allowed page may read the answer (and import a
 * script of the web root as a module, which is a CORS request). */
static int add_cors(struct lws *wsi, unsigned char **p, unsigned char *end)
{
	char origin[HDR_MAX];

	if (!header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin))
		return 0;
	return add_header(wsi, "access-control-allow-origin:", origin, p, end) ||
	       add_header(wsi, "vary:", "Origin", p, end);
}

static void session_close_file(struct http_session *s)
{
	if (s->has_file)
		close(s->fd);
	s->has_file = false;
	s->fd = -1;
	s->remaining = 0;
}

/* Frees what the last answer held: a keep-alive connection reuses its session. */
static void session_reset(struct http_session *s)
{
	free(s->body);
	s->body = NULL;
	session_close_file(s);
}

/* Headers only (a redirect, an empty file, HEAD): the transaction ends here. */
static int finish_headers_only(struct lws *wsi, unsigned char *start, unsigned char **p,
                               unsigned char *end)
{
	if (lws_finalize_write_http_header(wsi, start, p, end))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int web_respond(struct lws *wsi, struct http_session *s, enum webroot_route route,
                       const char *rel)
{
	unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start,
	                                    *end = head + sizeof head - 1;
	bool is_head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
	enum webroot_open_result r;
	char why[WEBROOT_MAX_REL + 64];
	off_t size;
	int fd;

	if (!is_head && !lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET and HEAD are served");
	if (route == WEBROOT_BAD_PATH)
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST, "path not allowed");
	if (route == WEBROOT_REDIRECT) {
		if (lws_add_http_common_headers(wsi, HTTP_STATUS_MOVED_PERMANENTLY, "text/plain", 0,
		                                &p, end) ||
		    add_header(wsi, "location:", rel, &p, end))
			return -1;
		return finish_headers_only(wsi, start, &p, end);
	}

	r = webroot_open(web_root, rel, &fd, &size);
	switch (r) {
	case WEBROOT_OPENED:
		break;
	case WEBROOT_NO_ROOT:
		return refuse(wsi, HTTP_STATUS_NOT_FOUND,
		              "no web root: the demo page is not installed");
	case WEBROOT_ESCAPES:
		log_info("refused /%s: it leads outside the web root %s", rel, web_root);
		return refuse(wsi, HTTP_STATUS_NOT_FOUND, "not found");
	case WEBROOT_TOO_BIG:
		snprintf(why, sizeof why, "/%s is larger than %d MiB", rel,
		         WEBROOT_MAX_FILE_BYTES / (1024 * 1024));
		return refuse(wsi, HTTP_STATUS_FORBIDDEN, why);
	case WEBROOT_NOT_FOUND:
	default:
		return refuse(wsi, HTTP_STATUS_NOT_FOUND, "not found");
	}

	/* no-cache: the browser revalidates, so a page edited in the source tree shows up on
	 * reload. nosniff: a file is only ever what its extension says. frame-ancestors:
	 * the demo may frame its own pages, no other site may frame it (clickjacking the
	 * device controls). */
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, webroot_content_type(rel),
	                                (lws_filepos_t)size, &p, end) ||
	    add_header(wsi, "cache-control:", "no-cache", &p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(wsi, "content-security-policy:", "frame-ancestors 'self'", &p, end) ||
	    add_cors(wsi, &p, end)) {
		close(fd);
		return -1;
	}
	log_debug("serving /%s (%lld bytes)", rel, (long long)size);
	if (is_head || size == 0) {
		close(fd);
		return finish_headers_only(wsi, start, &p, end);
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end)) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->has_file = true;
	s->remaining = size;
	lws_callback_on_writable(wsi);
	return 0;
}

static int status_respond(struct lws *wsi, struct http_session *s, const char *path)
{
	unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start,
	                                    *end = head + sizeof head - 1;

	if (!lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "only GET is served");
	if (strcmp(path, "/status") != 0)
		return refuse(wsi, HTTP_STATUS_NOT_FOUND, "not found");

	s->body = handlers->status(n_clients);
	if (!s->body)
		return -1;
	s->len = strlen(s->body);
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", s->len, &p, end) ||
	    add_header(wsi, "cache-control:", "no-store", &p, end) || add_cors(wsi, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* Every request passes the gate first, whatever it asks for. */
static int http_respond(struct lws *wsi, struct http_session *s, const char *path, size_t len)
{
	char rel[WEBROOT_MAX_REL + 1];
	const char *why = NULL;
	int status = gate(wsi, &why);
	enum webroot_route route;

	session_reset(s);
	if (status)
		return refuse(wsi, status, why);
	route = webroot_route(path, len, rel, sizeof rel);
	if (route != WEBROOT_NONE)
		return web_respond(wsi, s, route, rel);
	return status_respond(wsi, s, path);
}

static int http_write_file(struct lws *wsi, struct http_session *s)
{
	unsigned char buf[LWS_PRE + FILE_CHUNK];
	size_t want = s->remaining < FILE_CHUNK ? (size_t)s->remaining : FILE_CHUNK;
	ssize_t n = read(s->fd, buf + LWS_PRE, want);

	/* The file shrank since it was opened: the promised length cannot be kept, so the
	 * connection is dropped rather than ending the response short. */
	if (n <= 0) {
		log_warn("a web-root file changed while it was sent");
		session_close_file(s);
		return -1;
	}
	s->remaining -= n;
	if (lws_write(wsi, buf + LWS_PRE, (size_t)n,
	              s->remaining ? LWS_WRITE_HTTP : LWS_WRITE_HTTP_FINAL) < (int)n) {
		session_close_file(s);
		return -1;
	}
	if (s->remaining) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	session_close_file(s);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_write_body(struct lws *wsi, struct http_session *s)
{
	unsigned char *buf;
	int n;

	if (s->has_file)
		return http_write_file(wsi, s);
	if (!s->body)
		return -1;
	buf = malloc(LWS_PRE + s->len);
	if (!buf)
		return -1;
	memcpy(buf + LWS_PRE, s->body, s->len);
	n = lws_write(wsi, buf + LWS_PRE, s->len, LWS_WRITE_HTTP_FINAL);
	free(buf);
	free(s->body);
	s->body = NULL;
	if (n < (int)s->len)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
	struct http_session *s = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return refuse_websocket();
	case LWS_CALLBACK_WSI_DESTROY:
		if (lws_get_opaque_user_data(wsi) == &connection_mark)
			connection_ended();
		return 0;
	case LWS_CALLBACK_HTTP:
		return http_respond(wsi, s, in, len);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write_body(wsi, s);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (s)
			session_reset(s);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (wsi && lws_get_vhost(wsi) == vhost && handlers)
			handlers->woken();
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
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
		c->refilled_at = lws_now_usecs();
		c->next = clients;
		clients = c;
		n_clients++;
		log_debug("client connected (%u now)", n_clients);
		send_owned(c, handlers->hello());
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return client_receive(c, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c->close_code) {
			lws_close_reason(wsi, (enum lws_close_status)c->close_code,
			                 (unsigned char *)c->close_reason,
			                 c->close_reason ? strlen(c->close_reason) : 0);
			return -1;
		}
		return client_write_one(c);
	case LWS_CALLBACK_CLOSED:
		client_unlink(c);
		log_debug("client disconnected (%u left)", n_clients);
		return 0;
	default:
		return 0;
	}
}

/* ---- foreign descriptors ------------------------------------------------------------ */

static int fd_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                       void *in, size_t len)
{
	struct fd_watch *w = lws_get_opaque_user_data(wsi);

	(void)user;
	(void)in;
	(void)len;
	if (reason == LWS_CALLBACK_RAW_RX_FILE && w)
		w->cb(w->arg);
	return reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION ? refuse_websocket() : 0;
}

static struct lws *watch_fd(int fd, void (*cb)(void *arg), void *arg)
{
	lws_sock_file_fd_type u;
	struct lws *wsi;
	struct fd_watch *w;

	if (n_watches == sizeof watches / sizeof watches[0])
		return NULL;
	/* lws closes what it adopts; the owner keeps (and closes) its own descriptor. */
	u.filefd = (lws_filefd_type)dup(fd);
	if (u.filefd < 0)
		return NULL;
	wsi = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, u, "dictabridge-fd",
	                                 NULL);
	if (!wsi) {
		close(u.filefd);
		return NULL;
	}
	w = &watches[n_watches++];
	w->cb = cb;
	w->arg = arg;
	lws_set_opaque_user_data(wsi, w);
	return wsi;
}

int server_watch_fd(int fd, void (*cb)(void *arg), void *arg)
{
	return watch_fd(fd, cb, arg) ? 0 : -1;
}

/* ---- life cycle ---------------------------------------------------------------------- */

static const struct lws_protocols protocols[] = {
	{"http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0},
	{PM_SUBPROTOCOL, ws_callback, sizeof(struct client), 4096, 0, NULL, 0},
	{"dictabridge-fd", fd_callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The listening sockets are ours, not lws's: lws 4.1 binds an IPv4 "iface" on a dual-stack
 * socket to every address, so the daemon binds exactly 127.0.0.1 and ::1 itself and
 * hands each accepted connection to lws. */
static int listen_fds[2] = {-1, -1};

/* WebSocket keepalive: lws pings a client idle for the first figure and drops one that
 * has not answered by the second (a suspended laptop's tab, a hung program), so its slot
 * and its audio queue are freed. */
static const lws_retry_bo_t keepalive = {
	.secs_since_valid_ping = SERVER_PING_IDLE_S,
	.secs_since_valid_hangup = SERVER_PING_HANGUP_S,
};

static int open_listener(int family, int port, int *err)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int rc;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		a6.sin6_addr = in6addr_loopback;
		rc = bind(fd, (struct sockaddr *)&a6, sizeof a6);
	} else {
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *)&a4, sizeof a4);
	}
	if (rc < 0 || listen(fd, 64) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

/* Refusals are logged once per uid (a program retrying in a loop would flood the log);
 * the table is bounded, the oldest entry is forgotten first. */
static uid_t logged_uids[16];
static size_t n_logged_uids;

static void log_foreign(uid_t uid)
{
	size_t n = sizeof logged_uids / sizeof logged_uids[0];

	for (size_t i = 0; i < n_logged_uids && i < n; i++)
		if (logged_uids[i] == uid)
			return;
	logged_uids[n_logged_uids++ % n] = uid;
	log_warn("refused connections from uid %u: only this user's (uid %u) programs are "
	         "served (logged once per uid)", (unsigned)uid, (unsigned)geteuid());
}

/* Only the daemon's own user: a browser runs as the seat user, another account's
 * programs do not get the microphone or the commands. Asked of the kernel before a byte
 * is read; an owner that cannot be determined is refused. */
static bool peer_is_own_user(int fd)
{
	static bool logged_unknown;
	uid_t uid;

	if (sockdiag_peer_uid(fd, &uid) < 0) {
		if (!logged_unknown)
			log_warn("refused a connection whose owner cannot be determined (%s; "
			         "logged once)", strerror(errno));
		logged_unknown = true;
		return false;
	}
	if (uid != geteuid()) {
		log_foreign(uid);
		return false;
	}
	return true;
}

/* Out of descriptors, accept fails and the listener stays readable: the loop would wake
 * at once, forever, serving nobody. Instead both listeners stop being watched for a
 * moment; the waiting connections stay in the kernel's backlog and are served once
 * descriptors are free again. */
#define ACCEPT_PAUSE_US (250 * 1000)

static struct lws *listen_wsi[2];
static lws_sorted_usec_list_t accept_pause;

static void accepting(int enable)
{
	for (size_t i = 0; i < 2; i++)
		if (listen_wsi[i])
			lws_rx_flow_control(listen_wsi[i], enable);
}

static void resume_accepting(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	accepting(1);
}

static void pause_accepting(void)
{
	static bool logged;

	if (!logged)
		log_error("out of file descriptors: new connections wait until some end (logged "
		          "once)");
	logged = true;
	accepting(0);
	lws_sul_schedule(ctx, 0, &accept_pause, resume_accepting, ACCEPT_PAUSE_US);
}

static void connection_ended(void)
{
	n_connections--;
	at_cap_logged = false;
}

static void on_accept(void *arg)
{
	int lfd = *(int *)arg, sndbuf = SERVER_SOCKET_SNDBUF;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct lws *wsi;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accepting();
			return;
		}
		if (!peer_is_own_user(fd)) {
			close(fd);
			continue;
		}
		if (n_connections >= SERVER_MAX_CONNECTIONS) {
			if (!at_cap_logged)
				log_warn("%d connections are open: new ones are closed until some end",
				         SERVER_MAX_CONNECTIONS);
			at_cap_logged = true;
			close(fd);
			continue;
		}
		/* A fixed kernel buffer: left to grow (up to megabytes), it would hold minutes of
		 * audio for a client that stopped reading, behind the daemon's back, instead of
		 * the daemon's one second that drops the oldest frames. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
		wsi = lws_adopt_socket_vhost(vhost, fd);
		if (!wsi) {
			log_warn("could not take a new connection");
			continue;
		}
		lws_set_opaque_user_data(wsi, (void *)&connection_mark);
		n_connections++;
	}
}

/* A port already taken names its holder's user: another user's program there is the
 * squatting this daemon cannot prevent while it is not running (see README "Security"). */
static int listen_failed(int family, const char *addr, int port, int err)
{
	uid_t uid;

	if (err != EADDRINUSE)
		log_error("cannot listen on %s:%d: %s", addr, port, strerror(err));
	else if (sockdiag_listener_uid(family, port, &uid) < 0)
		log_error("port %d on %s is already in use (its holder does not accept "
		          "connections, so its user is unknown; see --port)", port, addr);
	else if (uid != geteuid())
		log_error("port %d on %s is already in use by a program of another user (uid %u): "
		          "this is a security problem, it would receive the pages' connections "
		          "meant for dictabridged (find it with `sudo ss -ltnp 'sport = :%d'`)",
		          port, addr, (unsigned)uid, port);
	else
		log_error("port %d on %s is already in use by a program of this user (uid %u; is "
		          "another dictabridged running? see --port)", port, addr, (unsigned)uid);
	return -1;
}

int server_init(int port, const struct server_handlers *h)
{
	struct lws_context_creation_info info;
	int err4 = 0, err6 = 0;

	handlers = h;
	listen_port = port;
	listen_fds[0] = open_listener(AF_INET, port, &err4);
	if (listen_fds[0] < 0)
		return listen_failed(AF_INET, "127.0.0.1", port, err4);
	/* IPv6 loopback is optional (some hosts disable IPv6), but another program holding
	 * [::1]:port is not: a browser resolving "localhost" to ::1 would reach it. */
	listen_fds[1] = open_listener(AF_INET6, port, &err6);
	if (listen_fds[1] < 0 && err6 == EADDRINUSE) {
		server_destroy();
		return listen_failed(AF_INET6, "[::1]", port, err6);
	}
	if (listen_fds[1] < 0)
		log_warn("not listening on [::1]:%d: %s", port, strerror(err6));

	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.timeout_secs = 10;  /* a handshake trickled byte by byte is dropped */
	info.max_http_header_data = 4096;
	ctx = lws_create_context(&info);
	if (ctx) {
		memset(&info, 0, sizeof info);
		info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
		info.vhost_name = "dictabridge";
		info.protocols = protocols;
		info.retry_and_idle_policy = &keepalive;
		vhost = lws_create_vhost(ctx, &info);
	}
	if (vhost)
		for (size_t i = 0; i < 2; i++)
			if (listen_fds[i] >= 0)
				listen_wsi[i] = watch_fd(listen_fds[i], on_accept, &listen_fds[i]);
	if (!vhost || !listen_wsi[0] || (listen_fds[1] >= 0 && !listen_wsi[1])) {
		log_error("cannot start the WebSocket server");
		server_destroy();
		return -1;
	}
	log_info("listening on 127.0.0.1:%d%s", port, listen_fds[1] >= 0 ? " and [::1]" : "");
	return 0;
}

void server_set_origins(const char *const *list, size_t n, bool allow_null)
{
	char own[ORIGIN_OWN_COUNT][ORIGIN_OWN_MAX];
	size_t total = ORIGIN_OWN_COUNT + n + allow_null, k = 0;
	char **copy = calloc(total, sizeof *copy);

	if (!copy)
		return;
	origin_own(listen_port, own);
	for (size_t i = 0; i < ORIGIN_OWN_COUNT; i++)
		copy[k++] = strdup(own[i]);
	for (size_t i = 0; i < n; i++)
		copy[k++] = strdup(list[i]);
	if (allow_null)
		copy[k++] = strdup("null");
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	origins = copy;
	n_origins = total;
}

void server_set_web_root(const char *dir)
{
	web_root = dir;
}

void server_run(void)
{
	loop_running = 1;
	while (loop_running && lws_service(ctx, 0) >= 0)
		;
}

void server_stop_loop(void)
{
	loop_running = 0;
}

void server_wake(void)
{
	if (ctx)
		lws_cancel_service(ctx);
}

static void close_all_deadline(lws_sorted_usec_list_t *sul)
{
	(void)sul; /* only here to make lws_service return at the deadline */
}

void server_close_all(int code, const char *reason)
{
	static lws_sorted_usec_list_t deadline;
	lws_usec_t until = lws_now_usecs() + (lws_usec_t)CLOSE_ALL_MS * 1000;

	lws_sul_schedule(ctx, 0, &deadline, close_all_deadline, (lws_usec_t)CLOSE_ALL_MS * 1000);
	for (struct client *c = clients; c; c = c->next) {
		c->close_code = code;
		c->close_reason = reason;
		lws_callback_on_writable(c->wsi);
	}
	while (clients && lws_now_usecs() < until && lws_service(ctx, 0) >= 0)
		;
	lws_sul_cancel(&deadline);
}

void server_destroy(void)
{
	if (ctx)
		lws_context_destroy(ctx);
	ctx = NULL;
	vhost = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (listen_fds[i] >= 0)
			close(listen_fds[i]);
		listen_fds[i] = -1;
	}
	listen_wsi[0] = listen_wsi[1] = NULL;
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	origins = NULL;
	n_origins = 0;
}

struct lws_context *server_lws_context(void)
{
	return ctx;
}
