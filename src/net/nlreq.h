/* Netlink requests and their acks, shared by rtnetlink (rtnl.c, which batches many requests per
 * send) and generic netlink (wireguard.c): the socket, opened in a given network namespace, and
 * the loop that reads until every request sent is acked, keeping the first failure and the
 * kernel's extended ack text for it. */
#pragma once
#include <libmnl/libmnl.h>
#include <stddef.h>

struct nl_ack {
	int err;       /* the first failure's negative errno, or 0 */
	char msg[256]; /* the kernel's text for it ("Invalid prefix for given prefix length"), or "" */
};

static inline void nl_ack_reset(struct nl_ack *a)
{
	a->err = 0;
	a->msg[0] = 0;
}

/* A bound netlink socket of protocol (NETLINK_ROUTE, NETLINK_GENERIC) in netns_fd's namespace
 * (-1: ours), acks capped and extended; its port id in *ret_portid. */
int nl_open(int netns_fd, int protocol, unsigned *ret_portid);
/* Sends len bytes of requests to the kernel. */
int nl_send(int fd, const void *buf, size_t len);
/* Reads into buf (size bytes) until pending requests are acked (each asks for an ack), noting
 * failures in ack; every other answer to portid goes to cb (NULL: none expected). A receive
 * error is returned (negative), a request's failure only noted. */
int nl_collect(int fd, unsigned portid, char *buf, size_t size, unsigned pending, mnl_cb_t cb, void *data,
	       struct nl_ack *ack);
