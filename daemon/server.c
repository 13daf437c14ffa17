#include "daemon/server.h"

#include "daemon/http.h"
#include "daemon/listen.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/ws.h"

/* lws's own keepalive is off (a hangup time of 0): it closes a client whose pong sits
 * unread in the socket when the loop ran late. ws.c keeps clients alive instead. */
static const lws_retry_bo_t keepalive = {0};

static int fd_protocol_callback(struct lws *wsi, enum lws_callback_reasons reason,
                                void *user, void *in, size_t len)
{
	if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
		return http_refuse_websocket();
	return loop_fd_callback(wsi, reason, user, in, len);
}

/* "http" first: lws hands every new connection to the vhost's first protocol. */
static struct lws_protocols protocols[4];

int server_init(int port, const struct server_handlers *h)
{
	if (listen_open(port) < 0)
		return -1;
	http_init(port, h->status);
	ws_init(h);
	protocols[0] = http_protocol;
	protocols[1] = ws_protocol;
	protocols[2] = (struct lws_protocols){LOOP_FD_PROTOCOL, fd_protocol_callback, 0, 0, 0,
	                                      NULL, 0};
	if (loop_init(protocols, &keepalive, h->woken) < 0 || listen_start() < 0) {
		log_error("cannot start the WebSocket server");
		server_destroy();
		return -1;
	}
	log_info("listening on 127.0.0.1:%d%s", port, listen_ipv6() ? " and [::1]" : "");
	return 0;
}

void server_destroy(void)
{
	loop_destroy();
	listen_close();
	http_destroy();
}
