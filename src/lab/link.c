/* [Link NODE] impairments as qdiscs, set through rtnetlink on both ends of the node's link (the
 * node's interface for what it sends, its port on the switch for what it receives): tbf for
 * Rate=, netem for Delay=/Jitter=/Loss=; with both, netem at the root and tbf as its child. */
#include "lab/link.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "net/netns.h"
#include "net/rtnl.h"

#define NETEM_LIMIT_PACKETS 1000
#define NETEM_HANDLE 0x10000U /* 1: */
#define NETEM_CLASS 0x10001U  /* 1:1, netem's one class: where tbf goes under it */
#define TBF_MIN_BURST 3200    /* bytes: two full-sized frames always pass at once */
#define TBF_QUEUE_MS 50       /* how much the queue holds, in time at the rate */

bool link_needs_netem(const struct lab_link *l)
{
	return l->set && (l->delay_us || l->jitter_us || l->loss_ppm);
}

/* Milliseconds, with up to three decimals only when needed. */
static void put_ms(FILE *f, const char *what, uint64_t us)
{
	if (us % 1000)
		fprintf(f, " %s %.3gms", what, (double)us / 1000);
	else
		fprintf(f, " %s %llums", what, (unsigned long long)(us / 1000));
}

void link_describe(const struct lab_link *l, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");
	if (!f) {
		*buf = 0;
		return;
	}
	if (l->delay_us)
		put_ms(f, "delay", l->delay_us);
	if (l->jitter_us)
		put_ms(f, "jitter", l->jitter_us);
	if (l->loss_ppm)
		fprintf(f, " loss %g%%", (double)l->loss_ppm / 10000);
	if (l->rate_bps)
		fprintf(f, " rate %gmbit", (double)l->rate_bps * 8 / 1000000);
	fclose(f);
	if (*buf == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/* The attributes are built on a scratch message so that mnl lays them out; the qdisc's options
 * are that message's payload. */
static void opts_begin(struct qdisc_spec *q, const char *kind, uint32_t handle, uint32_t parent)
{
	q->kind = kind;
	q->handle = handle;
	q->parent = parent;
	mnl_nlmsg_put_header(q->buf);
}

static void opts_end(struct qdisc_spec *q)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
	q->opts = mnl_nlmsg_get_payload(nlh);
	q->len = mnl_nlmsg_get_payload_len(nlh);
}

static void tbf(const struct lab_link *l, uint32_t parent, struct qdisc_spec *q)
{
	opts_begin(q, "tbf", 0, parent);
	struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
	uint64_t burst = l->rate_bps / 100; /* 10 ms at the rate */
	if (burst < TBF_MIN_BURST)
		burst = TBF_MIN_BURST;
	if (burst > UINT32_MAX / 2)
		burst = UINT32_MAX / 2;
	uint64_t limit = burst + l->rate_bps * TBF_QUEUE_MS / 1000;
	struct tc_tbf_qopt qopt = {
		/* Without a rate table the kernel computes the sizes itself for this link layer. */
		.rate = { .linklayer = TC_LINKLAYER_ETHERNET,
			  .rate = l->rate_bps > UINT32_MAX ? UINT32_MAX : (uint32_t)l->rate_bps },
		.limit = limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit,
	};
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(qopt), &qopt);
	mnl_attr_put_u64(nlh, TCA_TBF_RATE64, l->rate_bps);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, (uint32_t)burst);
	opts_end(q);
}

static void netem(const struct lab_link *l, struct qdisc_spec *q)
{
	opts_begin(q, "netem", NETEM_HANDLE, TC_H_ROOT);
	struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
	/* Loss is a probability scaled to 2^32 - 1; delays go as 64-bit nanoseconds below. */
	struct tc_netem_qopt qopt = {
		.limit = NETEM_LIMIT_PACKETS,
		.loss = (uint32_t)((uint64_t)l->loss_ppm * UINT32_MAX / 1000000),
	};
	memcpy(mnl_nlmsg_get_payload_tail(nlh), &qopt, sizeof(qopt));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(qopt));
	mnl_attr_put(nlh, TCA_NETEM_LATENCY64, sizeof(int64_t), &(int64_t){ (int64_t)l->delay_us * 1000 });
	mnl_attr_put(nlh, TCA_NETEM_JITTER64, sizeof(int64_t), &(int64_t){ (int64_t)l->jitter_us * 1000 });
	opts_end(q);
}

size_t link_qdiscs(const struct lab_link *l, struct qdisc_spec out[static 2])
{
	size_t n = 0;
	if (!l->set)
		return 0;
	if (link_needs_netem(l))
		netem(l, &out[n++]);
	if (l->rate_bps) {
		tbf(l, n ? NETEM_CLASS : TC_H_ROOT, &out[n]);
		n++;
	}
	return n;
}

int link_add_qdiscs(struct rtnl *r, int ifindex, const struct lab_link *l)
{
	struct qdisc_spec q[2];
	size_t n = link_qdiscs(l, q);
	for (size_t i = 0; i < n; i++) {
		int k = rtnl_qdisc_add(r, ifindex, q[i].handle, q[i].parent, q[i].kind, q[i].opts, q[i].len);
		if (k < 0)
			return k;
	}
	return 0;
}

/* A network namespace of its own for trying things, gone when the fd is closed. */
static int scratch_netns(void)
{
	_cleanup_close_ int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : fd;
	netns_leave(TAKE_FD(saved));
	return r;
}

/* Sets the impairments of node's link on lo of a scratch namespace: the kernel says whether it
 * has the qdiscs (and takes the options) before lab up makes anything. */
static int try_link(const struct lab_topology *t, const struct lab_node *node)
{
	const struct lab_link *l = &node->link;
	_cleanup_close_ int ns = scratch_netns();
	if (ns < 0)
		return log_errno(ns, "cannot make a namespace to try the link impairments in");
	_cleanup_rtnl_ struct rtnl *r = NULL;
	int k = rtnl_open(ns, &r);
	if (k < 0)
		return log_errno(k, "cannot talk to rtnetlink");
	k = link_add_qdiscs(r, 1 /* lo */, l);
	if (k == -ENOENT && link_needs_netem(l))
		log_error(
			"%s:%u: [Link %s] Delay=, Jitter= and Loss= need tc netem: the kernel has no sch_netem",
			t->file, l->line, node->name);
	else if (k == -ENOENT)
		log_error("%s:%u: [Link %s] Rate= needs tc tbf: the kernel has no sch_tbf", t->file, l->line,
			  node->name);
	else if (k < 0)
		log_error("%s:%u: [Link %s] the kernel refuses the impairments: %s%s%s", t->file, l->line,
			  node->name, strerror(-k), *rtnl_error_message(r) ? ": " : "",
			  rtnl_error_message(r));
	return k;
}

int link_probe(const struct lab_topology *t)
{
	/* One link needing netem and one needing tbf cover every kind the lab needs. */
	const struct lab_node *with_netem = NULL, *with_rate = NULL;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct lab_link *l = &t->nodes[i].link;
		if (!with_netem && link_needs_netem(l))
			with_netem = &t->nodes[i];
		if (!with_rate && l->set && l->rate_bps)
			with_rate = &t->nodes[i];
	}
	if (with_netem) {
		int r = try_link(t, with_netem);
		if (r < 0)
			return r;
	}
	if (with_rate && with_rate != with_netem)
		return try_link(t, with_rate);
	return 0;
}
