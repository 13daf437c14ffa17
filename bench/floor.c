/* Benchmark floor: the least a bridge must do. Opens one hidraw node with hidapi, connects
 * to 127.0.0.1:PORT and writes every input report to that socket, nothing else. The
 * benchmark compares dictabridged's report → client latency against this program's. */
#include <arpa/inet.h>
#include <hidapi/hidapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s HIDRAW_NODE PORT\n", argv[0]);
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (hid_init() != 0)
		return 1;
	hid_device *d = hid_open_path(argv[1]);
	if (d == NULL) {
		fprintf(stderr, "cannot open %s: %ls\n", argv[1], hid_error(NULL));
		return 1;
	}
	unsigned char buf[256];
	int n;
	while ((n = hid_read(d, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	hid_close(d);
	hid_exit();
	close(fd);
	return 0;
}
