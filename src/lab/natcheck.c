/* hako lab nat-check LAB NODE: what the NAT(s) between NODE and the lab's internet do, measured
 * in the manner of RFC 5780 against a responder on two addresses × two ports. One process, one
 * thread: the responder's sockets are made in the switch namespace (where the internet's bridge
 * carries the two responder addresses), the client's in the node's; sockets keep the namespace
 * they were made in, so every exchange is a plain sendto/poll/recvfrom in between. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "lab/lab.h"
#include "lab/labcmd.h"

#define PORT1 3478
#define PORT2 3479
#define WAIT_MS 500
#define LIFETIME_SOCKETS_MAX 600

struct ep {
	uint32_t addr; /* host byte order */
	uint16_t port;
};

struct check {
	int responder[4]; /* [address index * 2 + port index] */
	struct ep resp[4];
	int node_fd;      /* the node's namespace, for new client sockets */
};

static bool ep_eq(struct ep a, struct ep b) { return a.addr == b.addr && a.port == b.port; }

static struct sockaddr_in sin_of(struct ep e)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(e.port),
				     .sin_addr.s_addr = htonl(e.addr) };
}

static int udp_socket(struct ep local)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = sin_of(local);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	return getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ? 0 : ntohs(sa.sin_port);
}

static int send_to(int fd, struct ep to)
{
	struct sockaddr_in sa = sin_of(to);
	return sendto(fd, "hako", 4, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/* Waits up to ms for a datagram on fd; *from gets its source. 1 if one came, 0 if not. */
static int receive(int fd, int ms, struct ep *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	if (from)
		*from = (struct ep){ ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port) };
	return 1;
}

/* A new client socket on an ephemeral port, in the node's namespace. */
static int client(struct check *c)
{
	_cleanup_close_ int saved = -1;
	int fd;
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0 || setns(c->node_fd, CLONE_NEWNET) < 0)
		return -errno;
	fd = udp_socket((struct ep){ 0, 0 });
	if (setns(saved, CLONE_NEWNET) < 0)
		abort(); /* acting on in the wrong namespace would mislead */
	return fd;
}

/* The client's mapped address as responder `to` sees it; 0 if nothing arrived. With reply_from
 * >= 0, that responder socket answers and the result says whether the client got it. */
static int exchange(struct check *c, int fd, int to, int reply_from, struct ep *mapped)
{
	if (send_to(fd, c->resp[to]) < 0 || !receive(c->responder[to], WAIT_MS, mapped))
		return -EHOSTUNREACH;
	if (reply_from < 0 || send_to(c->responder[reply_from], *mapped) < 0)
		return 0;
	return receive(fd, WAIT_MS, NULL);
}

static const char *behaviour(enum nat_behaviour b) { return nat_behaviour_name(b); }

static int check_mapping(struct check *c, enum nat_behaviour *ret, bool *preserved, struct ep *m1)
{
	_cleanup_close_ int fd = client(c);
	struct ep m2, m3;
	if (fd < 0)
		return fd;
	if (exchange(c, fd, 0, 0, m1) <= 0 || exchange(c, fd, 2, 2, &m2) <= 0)
		return -EHOSTUNREACH;
	*preserved = m1->port == local_port(fd);
	if (ep_eq(*m1, m2)) {
		*ret = NAT_EI;
		return 0;
	}
	if (exchange(c, fd, 3, 3, &m3) <= 0)
		return -EHOSTUNREACH;
	*ret = ep_eq(m2, m3) ? NAT_AD : NAT_APD;
	return 0;
}

/* Each question on a fresh binding: an earlier answer must not open the door for a later one. */
static int check_filtering(struct check *c, enum nat_behaviour *ret)
{
	static const struct { int reply_from; enum nat_behaviour if_received; } steps[] = {
		{ 3, NAT_EI },  /* other address, other port */
		{ 1, NAT_AD },  /* same address, other port */
	};
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		_cleanup_close_ int fd = client(c);
		struct ep m;
		if (fd < 0)
			return fd;
		int r = exchange(c, fd, 0, steps[i].reply_from, &m);
		if (r < 0)
			return r;
		if (r > 0) {
			*ret = steps[i].if_received;
			return 0;
		}
	}
	*ret = NAT_APD;
	return 0;
}

/* Another inside socket sends to the first one's mapped address: does it come back round? */
static int check_hairpin(struct check *c, bool *ret)
{
	_cleanup_close_ int a = client(c), b = client(c);
	struct ep m;
	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	if (exchange(c, a, 0, 0, &m) <= 0)
		return -EHOSTUNREACH;
	*ret = send_to(b, m) == 0 && receive(a, WAIT_MS, NULL);
	return 0;
}

/* n bindings made at once; binding i is answered (by the endpoint it talked to) i+1 seconds
 * later. The lifetime is the last delay that still got through before the first that did not. */
static int check_lifetime(struct check *c, unsigned n, unsigned *ret)
{
	int fds[LIFETIME_SOCKETS_MAX];
	struct ep mapped[LIFETIME_SOCKETS_MAX];
	size_t made = 0;
	int r = 0;
	for (; made < n && r == 0; made++) {
		fds[made] = client(c);
		if (fds[made] < 0 || send_to(fds[made], c->resp[0]) < 0 ||
		    !receive(c->responder[0], WAIT_MS, &mapped[made]))
			r = fds[made] < 0 ? fds[made] : -EHOSTUNREACH;
	}
	uint64_t start = now_usec();
	*ret = 0;
	for (size_t i = 0; r == 0 && i < made; i++) {
		uint64_t due = start + (i + 1) * 1000000ULL, now = now_usec();
		if (due > now)
			usleep((useconds_t)(due - now));
		if (send_to(c->responder[0], mapped[i]) < 0 || !receive(fds[i], WAIT_MS, NULL))
			break;
		*ret = (unsigned)i + 1;
	}
	for (size_t i = 0; i < made; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

/* The lab's internet as the node sees it: the top-level network outwards of its NATs. */
static const struct lab_network *internet_of(const struct lab_topology *t, const struct lab_node *n)
{
	const struct lab_network *net = &t->networks[n->network];
	while (!network_is_top(net))
		net = &t->networks[t->nats[net->inside_of].outside];
	return net;
}

static int responders(struct check *c, const char *lab, const struct lab_network *inet)
{
	_cleanup_close_ int sw = lab_ns_open(lab, LAB_SWITCH);
	_cleanup_close_ int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sw < 0 || saved < 0)
		return sw < 0 ? sw : -errno;
	if (setns(sw, CLONE_NEWNET) < 0)
		return -errno;
	int r = 0;
	for (int i = 0; i < 4; i++) {
		c->resp[i] = (struct ep){ inet->responder[i / 2], i % 2 ? PORT2 : PORT1 };
		if ((c->responder[i] = udp_socket(c->resp[i])) < 0 && r == 0)
			r = c->responder[i];
	}
	if (setns(saved, CLONE_NEWNET) < 0)
		abort();
	return r;
}

struct natcheck_cfg {
	unsigned lifetime_max;
};

static int set_seconds(void *target, const char *value, const char **why)
{
	uint32_t v;
	if (parse_u32(value, &v) < 0 || v > LIFETIME_SOCKETS_MAX) {
		*why = "not a number of seconds from 0 to 600";
		return -EINVAL;
	}
	*(unsigned *)target = v;
	return 0;
}

static const struct opt natcheck_options[] = {
	{ "lifetime-max", 0, OPT_REQUIRED, "SECONDS",
	  "measure the UDP binding lifetime up to SECONDS (default 60; 0: do not measure)", set_seconds,
	  offsetof(struct natcheck_cfg, lifetime_max), NULL },
};

static int run_checks(struct check *c, const struct natcheck_cfg *cfg)
{
	enum nat_behaviour mapping, filtering;
	bool preserved, hairpin;
	struct ep m1;
	char a[16];
	int r = check_mapping(c, &mapping, &preserved, &m1);
	if (r < 0)
		return r;
	printf("mapping:           %s (first mapped address %s:%u)\n", behaviour(mapping), ip_str(m1.addr, a), m1.port);
	fflush(stdout);
	if ((r = check_filtering(c, &filtering)) < 0)
		return r;
	printf("filtering:         %s\n", behaviour(filtering));
	const char *type = nat_type_name(mapping, filtering);
	printf("type:              %s\n", type ? type : "(no classic name)");
	printf("port preservation: %s\n", preserved ? "yes" : "no");
	if ((r = check_hairpin(c, &hairpin)) < 0)
		return r;
	printf("hairpinning:       %s\n", hairpin ? "yes" : "no");
	fflush(stdout);
	if (cfg->lifetime_max == 0)
		return 0;
	unsigned lifetime;
	if ((r = check_lifetime(c, cfg->lifetime_max, &lifetime)) < 0)
		return r;
	if (lifetime >= cfg->lifetime_max)
		printf("binding lifetime:  more than %u s\n", cfg->lifetime_max);
	else
		printf("binding lifetime:  %u s (gone after %u s)\n", lifetime, lifetime + 1);
	return 0;
}

int lab_cmd_nat_check(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, natcheck_options) };
	struct natcheck_cfg cfg = { .lifetime_max = 60 };
	static const char use[] = "Usage: hako lab nat-check LAB NODE [--lifetime-max=SECONDS]";
	int i = opts_parse(groups, 1, argc, argv, &cfg, 0, use, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i >= 0 && argc - i != 2) {
		log_error("usage: hako lab nat-check LAB NODE [--lifetime-max=SECONDS]");
		i = -EINVAL;
	}
	if (i < 0)
		return EXIT_HAKO_USAGE;
	const char *lab = argv[i], *node = argv[i + 1];
	_cleanup_topology_ struct lab_topology *t = NULL;
	if (lab_load_or_fail(lab, &t) < 0)
		return EXIT_HAKO_USAGE;
	int k = topology_find_node(t, node);
	if (k < 0) {
		log_error("lab %s has no node '%s'", lab, node);
		return EXIT_HAKO_USAGE;
	}
	const struct lab_network *inet = internet_of(t, &t->nodes[k]);
	struct check c = { .responder = { -1, -1, -1, -1 } };
	char a1[16], a2[16];
	int r = (c.node_fd = lab_ns_open(lab, node)) < 0 ? c.node_fd : responders(&c, lab, inet);
	if (r >= 0) {
		printf("nat-check: %s in lab %s, against %s and %s ports %u and %u on %s\n", node, lab,
		       ip_str(inet->responder[0], a1), ip_str(inet->responder[1], a2), PORT1, PORT2, inet->name);
		fflush(stdout);
		r = run_checks(&c, &cfg);
		if (r == -EHOSTUNREACH)
			log_error("lab %s: %s gets no UDP answer from the responder on %s", lab, node, inet->name);
		else if (r < 0)
			log_errno(r, "lab %s: nat-check from %s", lab, node);
	}
	for (int j = 0; j < 4; j++)
		if (c.responder[j] >= 0)
			close(c.responder[j]);
	if (c.node_fd >= 0)
		close(c.node_fd);
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}
