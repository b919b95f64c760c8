/* A UDP echo server for tests/integration/network.bats (busybox has none): answers every
 * datagram on [::]:PORT (IPv4 too) with "NAME:" and the datagram. Built static (it runs in busybox
 * test trees).
 *
 *   udpecho PORT NAME */

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: udpecho PORT NAME\n");
		return 2;
	}
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), zero = 0;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[1])) };
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		perror("udpecho");
		return 1;
	}
	size_t prefix = strlen(argv[2]) + 1;
	char buf[2048];
	if (prefix >= sizeof(buf))
		return 2;
	memcpy(buf, argv[2], prefix - 1);
	buf[prefix - 1] = ':';
	for (;;) {
		struct sockaddr_in6 from;
		socklen_t len = sizeof(from);
		ssize_t n =
			recvfrom(fd, buf + prefix, sizeof(buf) - prefix, 0, (struct sockaddr *)&from, &len);
		if (n >= 0)
			(void)sendto(fd, buf, prefix + (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}
