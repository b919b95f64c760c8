#include "net/portwatch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/proctitle.h"
#include "base/util.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/relay.h"
#include "net/rtnl.h"
#include "net/rules.h"

/* An rtnetlink socket made in netns_fd's namespace (it stays there), bound to the legacy group
 * mask groups (0: none). */
static int open_in(int netns_fd, unsigned groups)
{
	int saved = -1;
	int r = netns_enter(netns_fd, &saved);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	r = fd < 0 ? -errno : 0;
	netns_leave(saved);
	if (r < 0)
		return r;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* The first usable address of each family: global scope (not lo's, not link-local), neither
 * deprecated nor still in (or failed) duplicate address detection: a tentative IPv6 address
 * answers nothing yet, and the kernel announces it again once DAD is done. The first in the
 * kernel's dump order, as nspawn takes the first of its list. */
struct firsts {
	struct inet_addr v4, v6; /* family 0: none */
};

#define UNUSABLE_ADDR_FLAGS (IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED)

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	struct firsts *f = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	struct inet_addr *slot = ifa->ifa_family == AF_INET    ? &f->v4
				 : ifa->ifa_family == AF_INET6 ? &f->v6
							       : NULL;
	if (!slot || slot->family)
		return MNL_CB_OK;
	uint32_t flags;
	const void *a = rtnl_addr_of(nlh, &flags);
	if (!a || (flags & UNUSABLE_ADDR_FLAGS))
		return MNL_CB_OK;
	slot->family = ifa->ifa_family;
	memcpy(slot->bytes, a, inet_addr_size(ifa->ifa_family));
	return MNL_CB_OK;
}

/* Dumps the namespace's addresses on fd into *ret. */
static int dump_firsts(int fd, struct firsts *ret)
{
	*ret = (struct firsts){ 0 };
	return rtnl_addr_dump(fd, on_addr, ret);
}

/* One transaction: the forwards of a family whose address changed leave the old one and go to
 * the new one. */
static int follow(const struct port_spec *ports, unsigned n, struct firsts *cur, const struct firsts *now)
{
	bool ch4 = !inet_addr_equal(&cur->v4, &now->v4), ch6 = !inet_addr_equal(&cur->v6, &now->v6);
	if (!ch4 && !ch6)
		return 0;
	const struct inet_addr *del4 = ch4 && cur->v4.family ? &cur->v4 : NULL;
	const struct inet_addr *del6 = ch6 && cur->v6.family ? &cur->v6 : NULL;
	const struct inet_addr *add4 = ch4 && now->v4.family ? &now->v4 : NULL;
	const struct inet_addr *add6 = ch6 && now->v6.family ? &now->v6 : NULL;
	_cleanup_free_ char *del = rules_ports(ports, n, del4, del6, false);
	_cleanup_free_ char *add = rules_ports(ports, n, add4, add6, true);
	_cleanup_free_ char *text = del && add ? xasprintf("%s%s", del, add) : NULL, *err = NULL;
	if (!text)
		return -ENOMEM;
	int r = nft_run(text, &err);
	if (r < 0) {
		log_warning("cannot move the port forwards to the container's new address: %s",
			    err ? err : "nftables failed");
		return r;
	}
	*cur = *now;
	return 0;
}

/* Reads every pending notification: they only say that something changed. */
static void drain(int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == EINTR || errno == ENOBUFS)
		;
}

static _Noreturn void watch_main(const struct port_spec *ports, unsigned n, int events, int dump)
{
	/* Nothing of the parent's stays open here (a pipe someone waits on for EOF, a console):
	 * libnftables contexts the parent held first, which would close fds reused by then. */
	nft_release();
	close_fds_except((const int[]){ events, dump }, 2);
	proc_title_set("hako-portwatch");
	struct firsts cur = { 0 }, now;
	for (;;) {
		/* On a failed dump or transaction the next change tries again. */
		if (dump_firsts(dump, &now) == 0)
			(void)follow(ports, n, &cur, &now);
		struct pollfd p = { .fd = events, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		drain(events);
	}
}

int portwatch_start(const struct port_spec *ports, unsigned n, int netns_fd, pid_t *ret_pid)
{
	*ret_pid = 0;
	/* Subscribed before the first dump: no change between the two is missed. */
	_cleanup_close_ int events = open_in(netns_fd, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
	if (events < 0)
		return events;
	_cleanup_close_ int dump = open_in(netns_fd, 0);
	if (dump < 0)
		return dump;
	pid_t pid = fork_tied();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		watch_main(ports, n, events, dump);
	*ret_pid = pid;
	return 0;
}

void portwatch_forget(const struct port_spec *ports, unsigned n)
{
	/* Each family alone: the container may have had an address of one only. */
	const struct inet_addr families[] = { { .family = AF_INET }, { .family = AF_INET6 } };
	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		_cleanup_free_ char *text = rules_ports(ports, n, &families[i], NULL, false), *err = NULL;
		if (text)
			(void)nft_run(text, &err);
	}
}

void portwatch_stop(pid_t pid, const struct port_spec *ports, unsigned n)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	portwatch_forget(ports, n);
}
