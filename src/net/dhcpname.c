#include "net/dhcpname.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "net/dhcp4.h"
#include "net/netns.h"

#define CLIENT_PORT 68
#define SERVER_PORT 67
#define CONTAINER_LINK "host0"

/* How long each try waits for the answer: the first request can go before the kernel has
 * activated host0's queue (link watch, asynchronous), and is then dropped. A second in all. */
static const int tries_ms[] = { 100, 300, 600 };

/* "hako:ADDR": the lease belongs to the address, whichever container has it now. */
static void client_id(const struct inet_addr *addr, char id[32])
{
	char a[INET_PREFIX_STRLEN];
	snprintf(id, 32, "hako:%s", inet_addr_str(addr, a));
}

/* A UDP socket in netns_fd on host0, allowed to broadcast; bound to the client port when it
 * waits for an answer. */
static int open_socket(int netns_fd, bool client_port)
{
	int saved;
	int r = netns_enter(netns_fd, &saved);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = fd < 0 ? -errno : 0;
	netns_leave(saved);
	if (r < 0)
		return r;
	const int on = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0)
		return -errno;
	/* The limited broadcast leaves by host0 whatever the routes say. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, CONTAINER_LINK, sizeof(CONTAINER_LINK)) < 0)
		return -errno;
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(CLIENT_PORT) };
	if (client_port && bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* To every host of the network: the server's own address is the gateway's, which every host
 * answers for itself. */
static int broadcast(int fd, const uint8_t *msg, int len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(SERVER_PORT),
				  .sin_addr = { htonl(INADDR_BROADCAST) } };
	if (sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The answer to c, within ms: 1 if *ret is one, 0 if none came. Other datagrams are skipped. */
static int wait_answer(int fd, const struct dhcp4_client *c, int ms, struct dhcp4_reply *ret)
{
	uint64_t deadline = now_usec() + (uint64_t)ms * 1000;
	for (;;) {
		uint64_t now = now_usec();
		if (now >= deadline)
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)((deadline - now + 999) / 1000));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		uint8_t buf[1500];
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (len > 0 && dhcp4_parse(buf, (size_t)len, ret) == 0 && ret->xid == c->xid &&
		    memcmp(ret->mac, c->mac, sizeof(c->mac)) == 0 &&
		    (ret->type == DHCP4_ACK || ret->type == DHCP4_NAK))
			return 1;
	}
}

static int ask(int fd, const struct dhcp4_client *c, struct dhcp4_reply *ret)
{
	uint8_t msg[DHCP4_MAX];
	int len = dhcp4_build(msg, DHCP4_REQUEST, c);
	if (len < 0)
		return len;
	for (size_t i = 0; i < ELEMENTSOF(tries_ms); i++) {
		int r = broadcast(fd, msg, len);
		if (r < 0)
			return r;
		r = wait_answer(fd, c, tries_ms[i], ret);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return -ETIMEDOUT;
}

int dhcpname_claim(int netns_fd, const char *name, const uint8_t mac[6], const struct inet_addr *addr,
		   struct dhcpname *ret, char why[256])
{
	char id[32];
	client_id(addr, id);
	struct dhcp4_client c = {
		.addr = addr->v4, .hostname = name, .client_id = id, .user_class = DHCPNAME_USER_CLASS
	};
	memcpy(c.mac, mac, sizeof(c.mac));
	if (getrandom(&c.xid, sizeof(c.xid), 0) != sizeof(c.xid))
		return -errno;
	_cleanup_close_ int fd = open_socket(netns_fd, true);
	if (fd < 0)
		return fd;
	struct dhcp4_reply reply;
	int r = ask(fd, &c, &reply);
	if (r < 0)
		return r;
	if (reply.type == DHCP4_NAK) {
		snprintf(why, 256, "%s", *reply.message ? reply.message : "no reason given");
		return -EADDRINUSE;
	}
	*ret = (struct dhcpname){ .held = true, .server = reply.server };
	return 0;
}

int dhcpname_release(int netns_fd, const uint8_t mac[6], const struct inet_addr *addr,
		     const struct dhcpname *held)
{
	char id[32];
	client_id(addr, id);
	struct dhcp4_client c = { .addr = addr->v4, .server = held->server, .client_id = id };
	memcpy(c.mac, mac, sizeof(c.mac));
	uint8_t msg[DHCP4_MAX];
	int len = dhcp4_build(msg, DHCP4_RELEASE, &c);
	if (len < 0)
		return len;
	_cleanup_close_ int fd = open_socket(netns_fd, false);
	if (fd < 0)
		return fd;
	return broadcast(fd, msg, len);
}
