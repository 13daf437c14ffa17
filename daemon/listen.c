#include "daemon/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/server.h"
#include "daemon/sockdiag.h"

/* The listening sockets are ours, not lws's: lws 4.1 binds an IPv4 "iface" on a dual-stack
 * socket to every address, so the daemon binds exactly 127.0.0.1 and ::1 itself and
 * hands each accepted connection to lws. */
static int listen_fds[2] = {-1, -1};
static int listen_watch[2] = {-1, -1};
/* Accepted connections that lws holds (marked with connection_mark), until destroyed. */
static unsigned n_connections;
static const char connection_mark = 0;
static bool at_cap_logged;        /* the cap was reached and said so; until one ends */

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
#define ACCEPT_PAUSE_MS 250

static struct loop_timer accept_pause;

static void accepting(bool enable)
{
	for (size_t i = 0; i < 2; i++)
		loop_watch_enable(listen_watch[i], enable);
}

static void resume_accepting(void *arg)
{
	(void)arg;
	accepting(true);
}

static void pause_accepting(void)
{
	static bool logged;

	if (!logged)
		log_error("out of file descriptors: new connections wait until some end (logged "
		          "once)");
	logged = true;
	accepting(false);
	loop_timer_start(&accept_pause, ACCEPT_PAUSE_MS, resume_accepting, NULL);
}

void listen_connection_destroyed(struct lws *wsi)
{
	if (lws_get_opaque_user_data(wsi) != &connection_mark)
		return;
	n_connections--;
	at_cap_logged = false;
}

static void on_accept(void *arg)
{
	int lfd = *(int *)arg, sndbuf = SERVER_SOCKET_SNDBUF, one = 1;

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
		/* Every message is small and due now: with Nagle's algorithm on (lws leaves an
		 * adopted socket as it is), a `command` right behind its `button`, or a frame
		 * behind the last one, waited for the client's delayed ACK: 40 ms late. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		wsi = lws_adopt_socket_vhost(loop_vhost(), fd);
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

int listen_open(int port)
{
	int err4 = 0, err6 = 0;

	listen_fds[0] = open_listener(AF_INET, port, &err4);
	if (listen_fds[0] < 0)
		return listen_failed(AF_INET, "127.0.0.1", port, err4);
	/* IPv6 loopback is optional (some hosts disable IPv6), but another program holding
	 * [::1]:port is not: a browser resolving "localhost" to ::1 would reach it. */
	listen_fds[1] = open_listener(AF_INET6, port, &err6);
	if (listen_fds[1] < 0 && err6 == EADDRINUSE) {
		listen_close();
		return listen_failed(AF_INET6, "[::1]", port, err6);
	}
	if (listen_fds[1] < 0)
		log_warn("not listening on [::1]:%d: %s", port, strerror(err6));
	return 0;
}

bool listen_ipv6(void)
{
	return listen_fds[1] >= 0;
}

int listen_start(void)
{
	for (size_t i = 0; i < 2; i++)
		if (listen_fds[i] >= 0 &&
		    (listen_watch[i] = loop_watch_fd(listen_fds[i], on_accept, &listen_fds[i])) < 0)
			return -1;
	return 0;
}

void listen_close(void)
{
	for (size_t i = 0; i < 2; i++) {
		if (listen_fds[i] >= 0)
			close(listen_fds[i]);
		listen_fds[i] = -1;
		listen_watch[i] = -1;
	}
}
