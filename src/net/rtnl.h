/* rtnetlink over libmnl: links (veth, bridge, dummy, macvlan, ipvlan), addresses, routes and
 * qdiscs.
 *
 * Requests are queued and sent together: between rtnl_begin() and rtnl_commit() every call only
 * appends a message to one buffer, and rtnl_commit() sends them in as few sendmsg() calls as the
 * socket buffers allow and collects every ack, so making many links costs a few syscalls. Outside
 * a begin/commit pair each call is its own batch and returns the kernel's answer directly.
 * rtnl_ifindex() needs no batch open.
 *
 * Links are named by name (the kernel looks them up by IFLA_IFNAME), so one batch can create a
 * link and change it; addresses and routes need an ifindex. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/cidr.h"

struct rtnl;

/* A socket in the current network namespace, or in netns_fd's (>= 0). */
int rtnl_open(int netns_fd, struct rtnl **ret);
/* Moves r to a new socket in netns_fd's namespace, keeping what it allocated: a process that
 * just forked pays a page fault for every page it touches first, which on a VM with shadow
 * page tables costs more than the netlink work of configuring a container's host0. */
int rtnl_reopen(struct rtnl *r, int netns_fd);
void rtnl_close(struct rtnl *r);
static inline void rtnl_closep(struct rtnl **r)
{
	if (*r)
		rtnl_close(*r);
}
#define _cleanup_rtnl_ __attribute__((cleanup(rtnl_closep)))

void rtnl_begin(struct rtnl *r);
/* Sends what is queued and waits for every ack. Returns 0 or the first failure's negative errno;
 * the kernel's extended ack text for it, if any, is in rtnl_error_message(). Ends the batch. */
int rtnl_commit(struct rtnl *r);
/* The kernel's message ("Invalid prefix for given prefix length") for the last failure, or "". */
const char *rtnl_error_message(const struct rtnl *r);

#define RTNL_NOMASTER (-1)

struct rtnl_link {
	const char *name;
	const char *kind;     /* rtnl_link_add: "veth", "bridge", "dummy", "macvlan", "ipvlan" */
	int parent;           /* macvlan/ipvlan: ifindex of the lower link */
	int mode;             /* macvlan: MACVLAN_MODE_* (0: bridge); ipvlan: IPVLAN_MODE_* */
	const int *netns_fd;  /* non-NULL: create in, or move into, the namespace of this fd */
	int master;           /* ifindex to enslave to; 0 unchanged; RTNL_NOMASTER releases */
	unsigned mtu;         /* 0: unchanged / default; a veth's add sets both ends */
	bool up;              /* set IFF_UP (add, change) */
	bool down;            /* clear IFF_UP (change) */
	const char *new_name; /* change: rename */
	const uint8_t *mac;   /* 6 bytes, or NULL */
	/* veth only: the other end, created in *peer_netns_fd's namespace if non-NULL. */
	const char *peer;
	const int *peer_netns_fd;
	bool peer_up;
	const uint8_t *peer_mac;
	bool no_ipv6_ll; /* change (before up): no IPv6 link-local address */
};

/* Creates l->name of l->kind (NLM_F_EXCL: an existing link is -EEXIST). */
int rtnl_link_add(struct rtnl *r, const struct rtnl_link *l);
/* Changes the existing link l->name: up/down, mtu, master, new_name, netns_fd, mac. */
int rtnl_link_change(struct rtnl *r, const struct rtnl_link *l);
/* ALTIFNAMSIZ of linux/if.h, which cannot be included with net/if.h. */
#define RTNL_ALTNAME_SIZE 128

/* An alternative name for a link (up to 127 bytes, unique like a name): what a shortened
 * name stands for. */
int rtnl_link_altname_add(struct rtnl *r, const char *name, const char *altname);
/* The link's first alternative name into buf; -ENODATA if it has none, -ENODEV if no such link. */
int rtnl_link_altname(struct rtnl *r, const char *name, char *buf, size_t size);
int rtnl_link_del(struct rtnl *r, const char *name);

/* ifindex of name (> 0), or -ENODEV. Not batched. */
int rtnl_ifindex(struct rtnl *r, const char *name);

int rtnl_addr_add(struct rtnl *r, int ifindex, const struct inet_prefix *p);
/* A route to dst (NULL: default route of gw's family) via gw (NULL: on-link) out of oif
 * (0: let the kernel pick by gw). */
int rtnl_route_add(struct rtnl *r, const struct inet_prefix *dst, const struct inet_addr *gw, int oif);

/* A qdisc of kind ("tbf", "netem") on ifindex at parent (TC_H_ROOT or a class) with handle (0:
 * the kernel picks); opts is the TCA_OPTIONS payload, as the qdisc's kind defines it. Replaces
 * one already there. */
int rtnl_qdisc_add(struct rtnl *r, int ifindex, uint32_t handle, uint32_t parent, const char *kind,
		   const void *opts, size_t opts_len);

/* A VXLAN link: VNI vni, UDP port port, sending from local over link (0: the route's), with
 * learning off, so that only the FDB entries hako sets say where frames go. Its UDP socket is in
 * the namespace of r's socket, the link itself in *netns_fd's if non-NULL. */
struct rtnl_vxlan {
	const char *name;
	uint32_t vni;
	const struct inet_addr *local;
	uint16_t port;
	int link;
	unsigned mtu;
	const int *netns_fd;
};
int rtnl_vxlan_add(struct rtnl *r, const struct rtnl_vxlan *v);
/* An FDB entry on the VXLAN link ifindex: frames to mac go to dst. mac NULL is the all-zero
 * entry: every broadcast, multicast and unknown unicast frame is also sent to dst (head-end
 * replication), one entry per remote. */
int rtnl_fdb_append(struct rtnl *r, int ifindex, const uint8_t *mac, const struct inet_addr *dst);

struct nlmsghdr;
/* An RTM_NEWADDR message's own address (IFA_LOCAL, else IFA_ADDRESS; 4 or 16 bytes of its
 * family), NULL if it has none; its flags (IFA_FLAGS' 32 bits, else ifa_flags) in *ret_flags. */
const void *rtnl_addr_of(const struct nlmsghdr *nlh, uint32_t *ret_flags);
/* Sends an RTM_GETADDR dump of every family on the rtnetlink socket fd and runs cb on each
 * answer until the dump ends. */
int rtnl_addr_dump(int fd, int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* The addresses in netns_fd's namespace (-1: ours) on every link but loopback, as text
 * ("10.0.0.2", "fe80::1"), in the kernel's dump order (IPv4 first), as getifaddrs() lists them:
 * one socket and one RTM_GETADDR dump, no process. */
int rtnl_addresses(int netns_fd, char ***ret);
