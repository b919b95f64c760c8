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
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/labcmd.h"
#include "net/netns.h"

#define PORT1 3478
#define PORT2 3479
#define WAIT_MS 500
#define LIFETIME_SOCKETS_MAX 600

struct ep {
	uint32_t addr; /* host byte order */
	uint16_t port;
};

#define KEEP_MAX 16

/* One end of the exchanges, in its namespace: for UDP a socket; for TCP a listener, whose
 * outgoing connections are made from its very address and port (SO_REUSEPORT). */
struct end {
	int fd;
	struct ep local;
	int ns;
};

struct check {
	bool tcp;
	struct end responder[4]; /* [address index * 2 + port index] */
	struct ep resp[4];
	int node_fd;        /* the node's namespace, for new client sockets */
	int keep[KEEP_MAX]; /* TCP connections of the check under way */
	size_t n_keep;
};

static bool ep_eq(struct ep a, struct ep b)
{
	return a.addr == b.addr && a.port == b.port;
}

static struct sockaddr_in sin_of(struct ep e)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(e.port),
				     .sin_addr.s_addr = htonl(e.addr) };
}

/* A socket bound to local in the current namespace. TCP ends share a port (SO_REUSEPORT): the
 * checks connect from one bound end to several responders. */
static int bound_socket_here(bool tcp, struct ep local)
{
	_cleanup_close_ int fd =
		socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	static const int reuse[] = { SO_REUSEADDR, SO_REUSEPORT };
	for (size_t i = 0; tcp && i < ELEMENTSOF(reuse); i++) {
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, reuse[i], &one, sizeof(one)) < 0)
			return -errno;
	}
	struct sockaddr_in sa = sin_of(local);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* A socket bound to local in namespace ns (-1: the current one). */
static int bound_socket(int ns, bool tcp, struct ep local)
{
	if (ns < 0)
		return bound_socket_here(tcp, local);
	int saved;
	int r = netns_enter(ns, &saved);
	if (r < 0)
		return r;
	r = bound_socket_here(tcp, local);
	netns_leave(saved);
	return r;
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

static void keep(struct check *c, int fd)
{
	if (c->n_keep < KEEP_MAX)
		c->keep[c->n_keep++] = fd;
	else
		close(fd);
}

/* Closes the TCP connections of the check that is done. */
static void drop_kept(struct check *c)
{
	while (c->n_keep > 0)
		close(c->keep[--c->n_keep]);
}

/* from sends to (UDP) or connects to it (TCP, without waiting for the handshake). */
static int contact(struct check *c, const struct end *from, struct ep to)
{
	if (!c->tcp)
		return send_to(from->fd, to);
	int fd = bound_socket(from->ns, true, from->local);
	if (fd < 0)
		return fd;
	struct sockaddr_in sa = sin_of(to);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int r = -errno;
		close(fd);
		return r;
	}
	keep(c, fd);
	return 0;
}

/* Waits up to ms for a datagram or a connection at `at`; *from gets its source. 1 if one came. */
static int heard(struct check *c, const struct end *at, int ms, struct ep *from)
{
	struct pollfd p = { .fd = at->fd, .events = POLLIN };
	char buf[64];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (c->tcp) {
		int fd = accept4(at->fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
		if (fd < 0)
			return 0;
		keep(c, fd);
	} else if (recvfrom(at->fd, buf, sizeof(buf), 0, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	if (from)
		*from = (struct ep){ ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port) };
	return 1;
}

/* A new client end on an ephemeral port, in the node's namespace. */
static int client(struct check *c, struct end *ret)
{
	int fd = bound_socket(c->node_fd, c->tcp, (struct ep){ 0, 0 });
	if (fd < 0)
		return fd;
	if (c->tcp && listen(fd, 8) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	*ret = (struct end){ fd, { 0, local_port(fd) }, c->node_fd };
	return 0;
}

static void client_close(struct end *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* The client's mapped address as responder `to` sees it; 0 if nothing arrived. With reply_from
 * >= 0, that responder end answers and the result says whether the client got it. */
static int exchange(struct check *c, const struct end *cl, int to, int reply_from, struct ep *mapped)
{
	if (contact(c, cl, c->resp[to]) < 0)
		return -EHOSTUNREACH;
	if (!heard(c, &c->responder[to], WAIT_MS, mapped))
		return -EHOSTUNREACH;
	if (reply_from < 0)
		return 0;
	if (c->tcp && reply_from == to)
		return 1; /* the connection's handshake came back */
	if (contact(c, &c->responder[reply_from], *mapped) < 0)
		return 0;
	return heard(c, cl, WAIT_MS, NULL);
}

static const char *behaviour(enum nat_behaviour b)
{
	return nat_behaviour_name(b);
}

/* Same client port to three responder ends: the mapped addresses tell the mapping. */
static int mapping_of(struct check *c, const struct end *cl, enum nat_behaviour *ret, struct ep *m1)
{
	struct ep m2, m3;
	if (exchange(c, cl, 0, 0, m1) <= 0 || exchange(c, cl, 2, 2, &m2) <= 0)
		return -EHOSTUNREACH;
	if (ep_eq(*m1, m2)) {
		*ret = NAT_EI;
		return 0;
	}
	if (exchange(c, cl, 3, 3, &m3) <= 0)
		return -EHOSTUNREACH;
	*ret = ep_eq(m2, m3) ? NAT_AD : NAT_APD;
	return 0;
}

static int check_mapping(struct check *c, enum nat_behaviour *ret, bool *preserved, struct ep *m1)
{
	struct end cl;
	int r = client(c, &cl);
	if (r < 0)
		return r;
	r = mapping_of(c, &cl, ret, m1);
	*preserved = r >= 0 && m1->port == cl.local.port;
	client_close(&cl);
	drop_kept(c);
	return r;
}

/* Each question on a fresh binding: an earlier answer must not open the door for a later one. */
static int check_filtering(struct check *c, enum nat_behaviour *ret)
{
	// clang-format off
	static const struct { int reply_from; enum nat_behaviour if_received; } steps[] = {
		{ 3, NAT_EI },  /* other address, other port */
		{ 1, NAT_AD },  /* same address, other port */
	};
	// clang-format on
	*ret = NAT_APD;
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		struct end cl;
		struct ep m;
		int r = client(c, &cl);
		if (r < 0)
			return r;
		r = exchange(c, &cl, 0, steps[i].reply_from, &m);
		client_close(&cl);
		drop_kept(c);
		if (r < 0)
			return r;
		if (r > 0) {
			*ret = steps[i].if_received;
			return 0;
		}
	}
	return 0;
}

static int hairpin_between(struct check *c, struct end *a, struct end *b, bool *ret)
{
	int r = client(c, a);
	if (r < 0)
		return r;
	r = client(c, b);
	if (r < 0)
		return r;
	struct ep m;
	if (exchange(c, a, 0, -1, &m) < 0)
		return -EHOSTUNREACH;
	*ret = contact(c, b, m) == 0 && heard(c, a, WAIT_MS, NULL);
	return 0;
}

/* Another inside end sends to the first one's mapped address: does it come back round? */
static int check_hairpin(struct check *c, bool *ret)
{
	struct end a = { .fd = -1 }, b = { .fd = -1 };
	*ret = false;
	int r = hairpin_between(c, &a, &b, ret);
	client_close(&a);
	client_close(&b);
	drop_kept(c);
	return r;
}

/* n bindings made at once, each with the address its responder saw. */
static int lifetime_bindings(struct check *c, unsigned n, struct end *cl, struct ep *mapped)
{
	for (unsigned i = 0; i < n; i++) {
		int r = client(c, &cl[i]);
		if (r < 0)
			return r;
		if (exchange(c, &cl[i], 0, -1, &mapped[i]) < 0)
			return -EHOSTUNREACH;
	}
	return 0;
}

/* Binding i is answered (by the endpoint it talked to) i+1 seconds after the first was made. */
static unsigned lifetime_probe(struct check *c, unsigned n, const struct end *cl, const struct ep *mapped)
{
	uint64_t start = now_usec();
	for (unsigned i = 0; i < n; i++) {
		uint64_t due = start + (i + 1) * 1000000ULL, now = now_usec();
		if (due > now)
			usleep((useconds_t)(due - now));
		if (contact(c, &c->responder[0], mapped[i]) < 0)
			return i;
		if (!heard(c, &cl[i], WAIT_MS, NULL))
			return i;
	}
	return n;
}

/* The lifetime is the last delay that still got through before the first that did not. UDP only. */
static int check_lifetime(struct check *c, unsigned n, unsigned *ret)
{
	struct end cl[LIFETIME_SOCKETS_MAX];
	struct ep mapped[LIFETIME_SOCKETS_MAX];
	for (unsigned i = 0; i < n; i++)
		cl[i].fd = -1;
	*ret = 0;
	int r = lifetime_bindings(c, n, cl, mapped);
	if (r == 0)
		*ret = lifetime_probe(c, n, cl, mapped);
	for (unsigned i = 0; i < n; i++)
		client_close(&cl[i]);
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

/* The responder's four ends in the switch namespace, sw (kept open while they are used). */
static int responders(struct check *c, int sw, const struct lab_network *inet)
{
	for (int i = 0; i < 4; i++) {
		c->resp[i] = (struct ep){ inet->responder[i / 2], i % 2 ? PORT2 : PORT1 };
		int fd = bound_socket(sw, c->tcp, c->resp[i]);
		if (fd < 0)
			return fd;
		/* responders_close closes it from here on */
		c->responder[i] = (struct end){ fd, c->resp[i], sw };
		if (c->tcp && listen(fd, 8) < 0)
			return -errno;
	}
	return 0;
}

static void responders_close(struct check *c)
{
	for (int i = 0; i < 4; i++)
		client_close(&c->responder[i]);
}

struct natcheck_cfg {
	unsigned lifetime_max;
	unsigned protos; /* PROTO_UDP | PROTO_TCP */
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

static int set_proto(void *target, const char *value, const char **why)
{
	// clang-format off
	static const struct { const char *name; unsigned protos; } names[] = {
		{ "udp", PROTO_UDP }, { "tcp", PROTO_TCP }, { "both", PROTO_UDP | PROTO_TCP },
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(value, names[i].name)) {
			*(unsigned *)target = names[i].protos;
			return 0;
		}
	*why = "not udp, tcp or both";
	return -EINVAL;
}

static const struct opt natcheck_options[] = {
	{ "lifetime-max", 0, OPT_REQUIRED, "SECONDS",
	  "measure the UDP binding lifetime up to SECONDS (default 60; 0: do not measure)", set_seconds,
	  offsetof(struct natcheck_cfg, lifetime_max), NULL },
	{ "proto", 0, OPT_REQUIRED, "udp|tcp|both", "which protocol to check (default both)", set_proto,
	  offsetof(struct natcheck_cfg, protos), NULL },
};

static int run_checks(struct check *c, const struct natcheck_cfg *cfg)
{
	enum nat_behaviour mapping, filtering;
	bool preserved, hairpin;
	struct ep m1;
	char a[16];
	printf("protocol:          %s\n", c->tcp ? "tcp" : "udp");
	int r = check_mapping(c, &mapping, &preserved, &m1);
	if (r < 0)
		return r;
	printf("mapping:           %s (first mapped address %s:%u)\n", behaviour(mapping), ip_str(m1.addr, a),
	       m1.port);
	fflush(stdout);
	r = check_filtering(c, &filtering);
	if (r < 0)
		return r;
	printf("filtering:         %s\n", behaviour(filtering));
	const char *type = nat_type_name(mapping, filtering);
	printf("type:              %s\n", type ? type : "(no classic name)");
	printf("port preservation: %s\n", preserved ? "yes" : "no");
	r = check_hairpin(c, &hairpin);
	if (r < 0)
		return r;
	printf("hairpinning:       %s\n", hairpin ? "yes" : "no");
	fflush(stdout);
	if (cfg->lifetime_max == 0 || c->tcp)
		return 0; /* a TCP binding lasts as long as its connection (2 h 4 min idle) */
	unsigned lifetime;
	r = check_lifetime(c, cfg->lifetime_max, &lifetime);
	if (r < 0)
		return r;
	if (lifetime >= cfg->lifetime_max)
		printf("binding lifetime:  more than %u s\n", cfg->lifetime_max);
	else
		printf("binding lifetime:  %u s (gone after %u s)\n", lifetime, lifetime + 1);
	return 0;
}

static int responders_and_checks(struct check *c, const struct natcheck_cfg *cfg, int sw,
				 const struct lab_network *inet)
{
	int r = responders(c, sw, inet);
	if (r < 0)
		return r;
	return run_checks(c, cfg);
}

/* One protocol's checks, with its own responder ends. */
static int check_proto(struct check *c, const struct natcheck_cfg *cfg, int sw, const char *lab,
		       const char *node, const struct lab_network *inet)
{
	int r = responders_and_checks(c, cfg, sw, inet);
	if (r == -EHOSTUNREACH)
		log_error("lab %s: %s gets no %s answer from the responder on %s", lab, node,
			  c->tcp ? "TCP" : "UDP", inet->name);
	else if (r < 0)
		log_errno(r, "lab %s: nat-check from %s", lab, node);
	responders_close(c);
	drop_kept(c);
	return r;
}

/* One nat-check at a time in a lab: each uses the responder's fixed addresses and ports (the
 * STUN ports), so a second one at once failed with "Address already in use" (issue 16.4). A
 * second waits and says so. Returns the lock's fd. Logs. */
static int natcheck_lock(const char *lab)
{
	_cleanup_free_ char *path = lab_path(lab, "natcheck.lock");
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_errno(-errno, "cannot open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return TAKE_FD(fd);
	log_info("lab %s: waiting for another nat-check of this lab to end", lab);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_errno(-errno, "cannot lock %s", path);
	return TAKE_FD(fd);
}

int lab_cmd_nat_check(int argc, char **argv)
{
	const struct opt_group group = OPT_GROUP(NULL, natcheck_options);
	struct natcheck_cfg cfg = { .lifetime_max = 60, .protos = PROTO_UDP | PROTO_TCP };
	static const char use[] =
		"Usage: hako lab nat-check LAB NODE [--proto=udp|tcp|both] [--lifetime-max=SECONDS]";
	int i, status = lab_cmd_parse_node(&group, argc, argv, &cfg, use, &i);
	if (status >= 0)
		return status;
	const char *lab = argv[i], *node = argv[i + 1];
	_cleanup_topology_ struct lab_topology *t = NULL;
	if (lab_load_or_fail(lab, &t) < 0)
		return EXIT_HAKO_USAGE;
	int k = topology_find_node(t, node);
	if (k < 0) {
		log_error("lab %s has no node '%s'", lab, node);
		return EXIT_HAKO_USAGE;
	}
	if (lab_check_local(t, node) < 0)
		return EXIT_HAKO_USAGE;
	if (lab_check_responder(t) < 0)
		return EXIT_HAKO_USAGE;
	const struct lab_network *inet = internet_of(t, &t->nodes[k]);
	_cleanup_close_ int node_fd = lab_ns_open(lab, node), sw = lab_ns_open(lab, LAB_SWITCH);
	if (node_fd < 0 || sw < 0)
		return EXIT_HAKO_FAILED;
	_cleanup_close_ int lock = natcheck_lock(lab);
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	char a1[16], a2[16];
	printf("nat-check: %s in lab %s, against %s and %s ports %u and %u on %s\n", node, lab,
	       ip_str(inet->responder[0], a1), ip_str(inet->responder[1], a2), PORT1, PORT2, inet->name);
	fflush(stdout);
	static const unsigned protos[] = { PROTO_UDP, PROTO_TCP };
	for (size_t p = 0; p < ELEMENTSOF(protos); p++) {
		if (!(cfg.protos & protos[p]))
			continue;
		struct check c = { .tcp = protos[p] == PROTO_TCP, .node_fd = node_fd };
		for (int j = 0; j < 4; j++)
			c.responder[j].fd = -1;
		int r = check_proto(&c, &cfg, sw, lab, node, inet);
		if (r < 0)
			return EXIT_HAKO_FAILED;
	}
	return 0;
}
