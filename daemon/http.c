#include "daemon/http.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/listen.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/webroot.h"
#include "protocol/message.h"
#include "protocol/origin.h"

#define HDR_MAX 256

/* One HTTP connection: the answer being sent, either the /status document or a file of
 * the web root streamed in chunks (lws zero-fills the session: has_file guards fd). */
struct http_session {
	char *body;
	size_t len;
	bool has_file;
	int fd;
	off_t remaining;
};

static char *(*status_handler)(unsigned clients);
static int listen_port;
static const char *web_root;      /* NULL: no web root */
static char **origins;
static size_t n_origins;

void http_init(int port, char *(*status)(unsigned clients))
{
	listen_port = port;
	status_handler = status;
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
int http_refuse_websocket(void)
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
	if (server_client_count() >= SERVER_MAX_CLIENTS)
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

	s->body = status_handler(server_client_count());
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
		return http_refuse_websocket();
	case LWS_CALLBACK_WSI_DESTROY:
		listen_connection_destroyed(wsi);
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
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

void http_set_origins(const char *const *list, size_t n, bool allow_null)
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

void http_set_web_root(const char *dir)
{
	web_root = dir;
}

void http_destroy(void)
{
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	origins = NULL;
	n_origins = 0;
}

const struct lws_protocols http_protocol = {
	"http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0,
};
