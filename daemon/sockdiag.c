#include "daemon/sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TCP_STATE_LISTEN 10 /* include/net/tcp_states.h, not exported to user space */

/* Fills an inet_diag_sockid's address from a socket address of `family`. */
static void put_addr(__be32 out[4], __be16 *port, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(out, &a->sin_addr, sizeof a->sin_addr);
		*port = a->sin_port;
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(out, &a->sin6_addr, sizeof a->sin6_addr);
		*port = a->sin6_port;
	}
}

/* The answer must be the socket asked for: the exact lookup falls back to a listener on
 * the same local port, which is never the peer of an established connection. */
static int read_answer(int nl, const struct inet_diag_sockid *want, uint8_t family,
                       uid_t *uid)
{
	union {
		struct nlmsghdr h;
		char buf[8192];
	} u;
	ssize_t n = recv(nl, u.buf, sizeof u.buf, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (struct nlmsghdr *h = &u.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			errno = e->error ? -e->error : ENOENT;
			return -1;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (m->idiag_family != family || m->idiag_state == TCP_STATE_LISTEN ||
			    m->id.idiag_sport != want->idiag_sport ||
			    m->id.idiag_dport != want->idiag_dport ||
			    memcmp(m->id.idiag_src, want->idiag_src, sizeof want->idiag_src) ||
			    memcmp(m->id.idiag_dst, want->idiag_dst, sizeof want->idiag_dst))
				break;
			*uid = m->idiag_uid;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

int sockdiag_peer_uid(int fd, uid_t *uid)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof local, plen = sizeof peer;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	int nl, rc, saved;

	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return -1;
	if (local.ss_family != peer.ss_family ||
	    (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)local.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	/* The other end's socket: its local side is our peer, its remote side is us. */
	put_addr(req.r.id.idiag_src, &req.r.id.idiag_sport, &peer);
	put_addr(req.r.id.idiag_dst, &req.r.id.idiag_dport, &local);
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -1;
	rc = sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) ==
	             (ssize_t)sizeof req
	         ? read_answer(nl, &req.r.id, req.r.sdiag_family, uid)
	         : -1;
	saved = errno;
	close(nl);
	errno = saved;
	return rc;
}

int sockdiag_listener_uid(int family, int port, uid_t *uid)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
	                          .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct timeval limit = {.tv_sec = 1};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, saved;

	if (fd < 0)
		return -1;
	/* connect honours the send timeout */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
	if (family == AF_INET6)
		rc = connect(fd, (struct sockaddr *)&a6, sizeof a6);
	else
		rc = connect(fd, (struct sockaddr *)&a4, sizeof a4);
	if (rc == 0)
		rc = sockdiag_peer_uid(fd, uid);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
