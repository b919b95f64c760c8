#include "net/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "net/netns.h"
#include "net/nlreq.h"

/* Messages queued per sendmsg(): each ack takes about 1 KiB of the receive buffer's truesize
 * accounting, and the default buffer holds ~200; 64 leaves room to spare. */
#define BATCH_MAX_MSGS 64
#define BATCH_BYTES (64 * 1024)
#define RBUF_BYTES (32 * 1024)

struct rtnl {
	int fd;
	unsigned portid;
	uint32_t seq;
	bool batching;
	size_t len;        /* bytes queued in buf */
	unsigned queued;   /* messages queued, not sent */
	struct nl_ack ack; /* the current batch's first failure */
	/* malloc()ed, not part of a calloc()ed struct: zeroing ~100 KiB cost a container's start
	 * 0.3-1.5 ms in page faults; untouched pages cost nothing. */
	char *buf;  /* BATCH_BYTES */
	char *rbuf; /* RBUF_BYTES */
};

int rtnl_open(int netns_fd, struct rtnl **ret)
{
	struct rtnl *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->buf = malloc(BATCH_BYTES);
	r->rbuf = malloc(RBUF_BYTES);
	r->seq = (uint32_t)time(NULL);
	int err = r->buf && r->rbuf ? nl_open(netns_fd, NETLINK_ROUTE, &r->portid) : -ENOMEM;
	if (err < 0) {
		rtnl_close(r);
		return err;
	}
	r->fd = err;
	*ret = r;
	return 0;
}

int rtnl_reopen(struct rtnl *r, int netns_fd)
{
	unsigned portid;
	int fd = nl_open(netns_fd, NETLINK_ROUTE, &portid);
	if (fd < 0)
		return fd;
	close(r->fd);
	r->fd = fd;
	r->portid = portid;
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->rbuf);
	free(r);
}

const char *rtnl_error_message(const struct rtnl *r)
{
	return r->ack.msg;
}

void rtnl_begin(struct rtnl *r)
{
	r->batching = true;
	nl_ack_reset(&r->ack);
}

static int flush(struct rtnl *r)
{
	if (r->queued == 0)
		return 0;
	unsigned pending = r->queued;
	int err = nl_send(r->fd, r->buf, r->len);
	r->len = 0;
	r->queued = 0;
	if (err < 0) {
		if (!r->ack.err)
			r->ack.err = err;
		return r->ack.err;
	}
	err = nl_collect(r->fd, r->portid, r->rbuf, RBUF_BYTES, pending, NULL, NULL, &r->ack);
	if (err < 0 && !r->ack.err)
		r->ack.err = err;
	return r->ack.err;
}

int rtnl_commit(struct rtnl *r)
{
	flush(r);
	r->batching = false;
	return r->ack.err;
}

/* Starts a message in the batch buffer, flushing it first if a large message might not fit. */
static struct nlmsghdr *msg_start(struct rtnl *r, uint16_t type, uint16_t flags)
{
	if (!r->batching)
		nl_ack_reset(&r->ack);
	if (r->queued >= BATCH_MAX_MSGS || BATCH_BYTES - r->len < 4096)
		flush(r);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf + r->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++r->seq;
	return nlh;
}

static int msg_end(struct rtnl *r, struct nlmsghdr *nlh)
{
	r->len += NLMSG_ALIGN(nlh->nlmsg_len);
	r->queued++;
	return r->batching ? 0 : rtnl_commit(r);
}

static void put_mac(struct nlmsghdr *nlh, const uint8_t *mac)
{
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
}

/* The attributes an add and a change share. */
static void put_link_common(struct nlmsghdr *nlh, const struct rtnl_link *l)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, l->master == RTNL_NOMASTER ? 0 : (uint32_t)l->master);
	if (l->netns_fd)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*l->netns_fd);
	put_mac(nlh, l->mac);
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, bool up, bool down)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (up || down) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	return ifi;
}

/* One queue each way, as veth uses anyway: the kernel's default (one per CPU) makes it cut the
 * queues down right after registering the link, which waits for an RCU grace period per veth
 * end, a good part of the time it takes to make one. */
static void put_one_queue(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
	mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
}

static void put_link_data(struct nlmsghdr *nlh, const struct rtnl_link *l)
{
	if (streq_ptr(l->kind, "veth") && l->peer) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		put_ifinfo(nlh, l->peer_up, false);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, l->peer);
		put_one_queue(nlh);
		if (l->mtu)
			mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
		if (l->peer_netns_fd)
			mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*l->peer_netns_fd);
		put_mac(nlh, l->peer_mac);
		mnl_attr_nest_end(nlh, peer);
		mnl_attr_nest_end(nlh, data);
	} else if (streq_ptr(l->kind, "macvlan")) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, l->mode ? (uint32_t)l->mode : MACVLAN_MODE_BRIDGE);
		mnl_attr_nest_end(nlh, data);
	} else if (streq_ptr(l->kind, "ipvlan")) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u16(nlh, IFLA_IPVLAN_MODE, (uint16_t)l->mode);
		mnl_attr_nest_end(nlh, data);
	}
}

int rtnl_link_add(struct rtnl *r, const struct rtnl_link *l)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh, l->up, false);
	put_link_common(nlh, l);
	if (l->parent > 0)
		mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)l->parent);
	if (streq_ptr(l->kind, "veth"))
		put_one_queue(nlh);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, l->kind);
	put_link_data(nlh, l);
	mnl_attr_nest_end(nlh, info);
	return msg_end(r, nlh);
}

int rtnl_link_change(struct rtnl *r, const struct rtnl_link *l)
{
	/* By name the kernel takes IFLA_IFNAME as the link to change; a rename carries the new
	 * name there, so it names the link by index. */
	int idx = 0;
	if (l->new_name && (idx = rtnl_ifindex(r, l->name)) < 0)
		return idx;
	struct nlmsghdr *nlh = msg_start(r, RTM_SETLINK, 0);
	struct ifinfomsg *ifi = put_ifinfo(nlh, l->up, l->down);
	struct rtnl_link copy = *l;
	if (l->new_name) {
		ifi->ifi_index = idx;
		copy.name = l->new_name;
	}
	put_link_common(nlh, &copy);
	if (l->no_ipv6_ll) {
		/* Without an address the link also skips DAD, MLD reports and router solicitations.
		 * (The kernel refuses IFLA_AF_SPEC when creating a link.) */
		struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
		struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);
		mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
		mnl_attr_nest_end(nlh, in6);
		mnl_attr_nest_end(nlh, af);
	}
	return msg_end(r, nlh);
}

int rtnl_link_del(struct rtnl *r, const char *name)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_DELLINK, 0);
	put_ifinfo(nlh, false, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return msg_end(r, nlh);
}

int rtnl_link_altname_add(struct rtnl *r, const char *name, const char *altname)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWLINKPROP, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh, false, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *list = mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, altname);
	mnl_attr_nest_end(nlh, list);
	return msg_end(r, nlh);
}

struct altname_query {
	char *buf;
	size_t size;
	int err;
};

static int altname_attr(const struct nlattr *attr, void *data)
{
	struct altname_query *q = data;
	if (mnl_attr_get_type(attr) != IFLA_PROP_LIST || mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	const struct nlattr *alt;
	mnl_attr_for_each_nested(alt, attr)
	{
		if (mnl_attr_get_type(alt) != IFLA_ALT_IFNAME ||
		    mnl_attr_validate(alt, MNL_TYPE_NUL_STRING) < 0)
			continue;
		snprintf(q->buf, q->size, "%s", mnl_attr_get_str(alt));
		q->err = 0;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

static int altname_msg(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), altname_attr, data);
}

/* RTM_GETLINK for one link (not batched: it has an answer). */
int rtnl_link_altname(struct rtnl *r, const char *name, char *buf, size_t size)
{
	if (r->queued)
		(void)flush(r);
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++r->seq;
	put_ifinfo(nlh, false, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	int err = nl_send(r->fd, nlh, nlh->nlmsg_len);
	if (err < 0)
		return err;
	ssize_t n;
	while ((n = recv(r->fd, r->rbuf, RBUF_BYTES, 0)) < 0)
		if (errno != EINTR)
			return -errno;
	struct altname_query q = { buf, size, -ENODATA };
	int cb = mnl_cb_run(r->rbuf, (size_t)n, nlh->nlmsg_seq, r->portid, altname_msg, &q);
	return cb < 0 ? -errno : q.err;
}

/* SIOCGIFINDEX, not RTM_GETLINK: the ioctl is a lookup by name under RCU, while RTM_GETLINK
 * takes the rtnl lock, fills in every attribute of the link and, since Linux 6.x, first runs
 * the link's pending link-watch events (linkwatch_sync_dev) with their notifier chains: for a
 * veth just made, most of what configuring it costs. A netlink socket passes the ioctl down
 * to its own network namespace's devices. */
int rtnl_ifindex(struct rtnl *r, const char *name)
{
	struct ifreq ifr = { 0 };
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	strcpy(ifr.ifr_name, name);
	/* What a batch queued so far goes first: the answer may depend on it. */
	if (r->queued)
		(void)flush(r);
	if (ioctl(r->fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex > 0 ? ifr.ifr_ifindex : -ENODEV;
}

int rtnl_addr_add(struct rtnl *r, int ifindex, const struct inet_prefix *p)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->addr.family;
	ifa->ifa_prefixlen = (uint8_t)p->len;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	size_t size = inet_addr_size(p->addr.family);
	mnl_attr_put(nlh, IFA_LOCAL, size, p->addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, size, p->addr.bytes);
	if (p->addr.family == AF_INET6) {
		/* No duplicate address detection: the address is hako's to give, and DAD would keep
		 * it "tentative" (unusable) for a second after the container starts. */
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return msg_end(r, nlh);
}

int rtnl_route_add(struct rtnl *r, const struct inet_prefix *dst, const struct inet_addr *gw, int oif)
{
	int family = dst ? dst->addr.family : gw ? gw->family : AF_INET;
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst ? (uint8_t)dst->len : 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (dst && dst->len)
		mnl_attr_put(nlh, RTA_DST, inet_addr_size(family), dst->addr.bytes);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, inet_addr_size(family), gw->bytes);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return msg_end(r, nlh);
}

int rtnl_qdisc_add(struct rtnl *r, int ifindex, uint32_t handle, uint32_t parent, const char *kind,
		   const void *opts, size_t opts_len)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	/* Not mnl_attr_nest_*: netem's TCA_OPTIONS is a struct followed by attributes. */
	mnl_attr_put(nlh, TCA_OPTIONS, opts_len, opts);
	return msg_end(r, nlh);
}

int rtnl_vxlan_add(struct rtnl *r, const struct rtnl_vxlan *v)
{
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh, false, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	if (v->netns_fd)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*v->netns_fd);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, v->vni);
	if (v->local->family == AF_INET)
		mnl_attr_put(nlh, IFLA_VXLAN_LOCAL, 4, v->local->bytes);
	else
		mnl_attr_put(nlh, IFLA_VXLAN_LOCAL6, 16, v->local->bytes);
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(v->port));
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
	if (v->link > 0)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)v->link);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return msg_end(r, nlh);
}

int rtnl_fdb_append(struct rtnl *r, int ifindex, const uint8_t *mac, const struct inet_addr *dst)
{
	static const uint8_t zero_mac[6];
	struct nlmsghdr *nlh = msg_start(r, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT | NUD_NOARP;
	ndm->ndm_flags = NTF_SELF;
	mnl_attr_put(nlh, NDA_LLADDR, sizeof(zero_mac), mac ? mac : zero_mac);
	mnl_attr_put(nlh, NDA_DST, inet_addr_size(dst->family), dst->bytes);
	return msg_end(r, nlh);
}

/* Every namespace's loopback device is its first, with this ifindex (LOOPBACK_IFINDEX, fixed
 * since Linux 3.7), and no other device is IFF_LOOPBACK: its addresses are skipped without a
 * link dump. */
#define LOOPBACK_IFINDEX 1

const void *rtnl_addr_of(const struct nlmsghdr *nlh, uint32_t *ret_flags)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t flags = ifa->ifa_flags;
	const struct nlattr *attr, *local = NULL, *address = NULL;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
		else if (mnl_attr_get_type(attr) == IFA_FLAGS) /* all 32 bits of the flags */
			flags = mnl_attr_get_u32(attr);
	}
	*ret_flags = flags;
	/* IFA_LOCAL is the link's own address (IFA_ADDRESS the peer's on point-to-point), as
	 * getifaddrs() takes it. */
	const struct nlattr *a = local ? local : address;
	bool inet = ifa->ifa_family == AF_INET || ifa->ifa_family == AF_INET6;
	if (!a || !inet || mnl_attr_get_payload_len(a) != inet_addr_size(ifa->ifa_family))
		return NULL;
	return mnl_attr_get_payload(a);
}

static int on_address(const struct nlmsghdr *nlh, void *data)
{
	char ***ret = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index == LOOPBACK_IFINDEX)
		return MNL_CB_OK;
	uint32_t flags;
	const void *a = rtnl_addr_of(nlh, &flags);
	char text[INET6_ADDRSTRLEN];
	if (!a || !inet_ntop(ifa->ifa_family, a, text, sizeof(text)))
		return MNL_CB_OK;
	return strv_push(ret, text) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Reads the dump's answers until its end. */
static int read_dump(int fd, unsigned portid, char *buf, size_t size, mnl_cb_t cb, void *data)
{
	for (;;) {
		ssize_t n = recv(fd, buf, size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		errno = ENOMEM; /* what a callback's MNL_CB_ERROR means here */
		int r = mnl_cb_run(buf, (size_t)n, 1, portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int addr_dump(int fd, unsigned portid, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(RBUF_BYTES);
	if (!buf)
		return -ENOMEM;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	int r = nl_send(fd, nlh, nlh->nlmsg_len);
	if (r < 0)
		return r;
	return read_dump(fd, portid, buf, RBUF_BYTES, cb, data);
}

int rtnl_addr_dump(int fd, int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	return addr_dump(fd, 0, cb, data);
}

int rtnl_addresses(int netns_fd, char ***ret)
{
	unsigned portid;
	_cleanup_close_ int fd = nl_open(netns_fd, NETLINK_ROUTE, &portid);
	if (fd < 0)
		return fd;
	_cleanup_strv_free_ char **addresses = NULL;
	int r = addr_dump(fd, portid, on_address, &addresses);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(addresses);
	return 0;
}
