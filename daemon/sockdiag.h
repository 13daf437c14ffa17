/* Who owns the other end of a loopback TCP connection, asked of the kernel through the
 * sock_diag netlink interface (NETLINK_SOCK_DIAG, inet_diag, exact 4-tuple lookup).
 *
 * Used by the daemon to serve only its own user's processes (every accepted connection)
 * and by the command-line client to check that the daemon it reached runs as its user.
 *
 * Contract:
 * - `fd` is a connected TCP socket over IPv4 or IPv6 in this process's network namespace.
 * - On success, 0 and *uid is the owner uid of the socket at the other end: the socket
 *   whose local address and port are fd's peer's and whose remote ones are fd's local
 *   ones, exactly. For a connection accepted by a listener (accepted or still in its
 *   queue) that is the uid that created the listening socket.
 * - Otherwise -1 with errno set (ENOENT: no such socket any more, e.g. the peer closed
 *   at once; anything else: the kernel or this process could not answer). Callers that
 *   decide trust on it must treat -1 as "not trusted" (fail closed).
 * - Never blocks: the kernel answers within the send; no state is kept between calls
 *   (one short-lived netlink socket per call), so it is safe from any thread.
 */
#ifndef DICTABRIDGE_DAEMON_SOCKDIAG_H
#define DICTABRIDGE_DAEMON_SOCKDIAG_H

#include <sys/types.h>

int sockdiag_peer_uid(int fd, uid_t *uid);

/* Who holds a loopback port: connects to 127.0.0.1 (family AF_INET) or ::1 (AF_INET6) on
 * `port` and asks for the owner of the socket that took the connection, which is the uid
 * that created the listener. 0 with *uid set; -1 with errno when nothing accepts (for
 * instance a socket bound but not listening) or the owner cannot be told. Blocks for at
 * most about a second (a listener whose queue is full does not answer). */
int sockdiag_listener_uid(int family, int port, uid_t *uid);

#endif
