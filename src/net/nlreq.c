/* Netlink requests and their acks for rtnl.c and wireguard.c (nlreq.h). */
#include "net/nlreq.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "net/netns.h"

int nl_open(int netns_fd, int protocol, unsigned *ret_portid)
{
	int saved = -1;
	if (netns_fd >= 0) {
		int r = netns_enter(netns_fd, &saved);
		if (r < 0)
			return r;
	}
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	int err = fd < 0 ? -errno : 0;
	if (saved >= 0)
		netns_leave(saved);
	if (err < 0)
		return err;
	int one = 1;
	/* Acks without a copy of the request, and the kernel's reason text with errors. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Port id 0: the kernel picks one. */
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	*ret_portid = sa.nl_pid;
	return TAKE_FD(fd);
}

int nl_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

static void note_error(struct nl_ack *ack, const struct nlmsghdr *nlh, int err)
{
	if (ack->err)
		return;
	ack->err = err;
	/* Extended ack attributes follow the (capped) original header. */
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	const struct nlattr *attr;
	mnl_attr_for_each_payload((const struct nlattr *)((const char *)e + off),
				  nlh->nlmsg_len - NLMSG_HDRLEN - off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
			snprintf(ack->msg, sizeof(ack->msg), "%s", mnl_attr_get_str(attr));
			break;
		}
	}
}

/* One received datagram's messages to us: acks counted down in *pending, answers to cb. */
static void dispatch(const char *buf, int len, unsigned portid, unsigned *pending, mnl_cb_t cb, void *data,
		     struct nl_ack *ack)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_pid != portid)
			continue;
		if (nlh->nlmsg_type != NLMSG_ERROR) {
			if (cb && nlh->nlmsg_type >= NLMSG_MIN_TYPE)
				cb(nlh, data);
			continue;
		}
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		if (e->error)
			note_error(ack, nlh, e->error);
		(*pending)--;
	}
}

int nl_collect(int fd, unsigned portid, char *buf, size_t size, unsigned pending, mnl_cb_t cb, void *data,
	       struct nl_ack *ack)
{
	while (pending > 0) {
		ssize_t n = recv(fd, buf, size, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		dispatch(buf, (int)n, portid, &pending, cb, data, ack);
	}
	return 0;
}
