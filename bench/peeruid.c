/* The per-connection cost of the daemon's user check alone: N loopback connections to a
 * listener of this program, each accepted end asked for its peer's owner with the
 * daemon's own sockdiag_peer_uid, timed around that call only. Prints one line per
 * lookup time in microseconds, so the harness computes the percentiles it reports. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/sockdiag.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof a;
	int n = argc == 2 ? atoi(argv[1]) : 0, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (n <= 0) {
		fprintf(stderr, "usage: %s COUNT\n", argv[0]);
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		perror("listen");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;
		uid_t uid;
		double t0;

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0 ||
		    (s = accept(lfd, NULL, NULL)) < 0) {
			perror("connect");
			return 1;
		}
		t0 = now_us();
		if (sockdiag_peer_uid(s, &uid) < 0 || uid != geteuid()) {
			perror("sockdiag_peer_uid");
			return 1;
		}
		printf("%.2f\n", now_us() - t0);
		close(s);
		close(c);
	}
	return 0;
}
