/* The listening sockets and accept: exactly 127.0.0.1 and ::1 on the port, only the
 * daemon's own user's connections (each one's owner asked of the kernel, daemon/sockdiag.h),
 * at most SERVER_MAX_CONNECTIONS open at once, and a pause instead of a busy loop when
 * the process is out of descriptors. Accepted connections go to the loop's vhost; what
 * they say is http.c's and ws.c's business.
 *
 * Single-threaded: everything here runs on the loop thread. */
#ifndef DICTABRIDGE_DAEMON_LISTEN_H
#define DICTABRIDGE_DAEMON_LISTEN_H

#include <stdbool.h>

struct lws;

/* Binds both listeners (before the loop exists, so a taken port fails early). -1 (the
 * reason logged, naming the holder's user when the port is taken). */
int listen_open(int port);
/* Whether [::1] is listened on (IPv6 may be disabled on the host). */
bool listen_ipv6(void);
/* Starts accepting on the loop (after loop_init). -1 on failure. */
int listen_start(void);
/* wsi is being destroyed: when it was an accepted connection, a slot is free again. */
void listen_connection_destroyed(struct lws *wsi);
/* Closes both listeners. */
void listen_close(void);

#endif
