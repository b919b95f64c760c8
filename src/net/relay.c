#include "net/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/proctitle.h"
#include "base/util.h"

pid_t fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();
	if (pid != 0)
		return pid;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	if (getppid() != parent) /* the parent died before PDEATHSIG was set */
		_exit(1);
	return 0;
}

struct listener {
	int fd;
	int proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t to_port; /* the container's port */
};

/* Everything is served by one process and one epoll loop; each registered fd carries what it
 * is in its event data: the kind above, the index below. */
enum relay_fd_kind { FD_LISTENER, FD_FLOW, FD_CLIENT, FD_SERVICE };

static uint64_t fd_tag(enum relay_fd_kind kind, unsigned index)
{
	return (uint64_t)kind << 32 | index;
}

static struct relay {
	int epoll;
	const struct listener *l;
	unsigned n;
	struct inet_addr to;
} relay;

static struct sockaddr_in container_addr(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	memcpy(&sin.sin_addr, relay.to.bytes, sizeof(sin.sin_addr));
	return sin;
}

/* UDP has no connections: a client (its address and port) gets a socket connected to the
 * container's port, the way back for the answers, until it is idle for as long as the kernel's
 * conntrack keeps a UDP stream (docker-proxy does the same). The longest idle goes when all are
 * taken. */
#define UDP_FLOWS 256
#define UDP_IDLE_USEC (120ULL * 1000 * 1000)

struct udp_flow {
	int fd;            /* -1: free */
	unsigned listener; /* where the client sent to, and where answers go out */
	struct sockaddr_in6 client;
	uint64_t last_used;
};

static struct udp_flow flows[UDP_FLOWS];
static char datagram[65536];

static void udp_flow_close(struct udp_flow *f)
{
	close(f->fd); /* leaves the epoll set with it */
	f->fd = -1;
}

static struct udp_flow *udp_flow_find(unsigned listener, const struct sockaddr_in6 *client)
{
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++)
		if (f->fd >= 0 && f->listener == listener && f->client.sin6_port == client->sin6_port &&
		    !memcmp(&f->client.sin6_addr, &client->sin6_addr, sizeof(client->sin6_addr)))
			return f;
	return NULL;
}

/* A free slot, else the longest idle flow's, closed. */
static struct udp_flow *udp_flow_slot(void)
{
	struct udp_flow *oldest = &flows[0];
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++) {
		if (f->fd < 0)
			return f;
		if (f->last_used < oldest->last_used)
			oldest = f;
	}
	udp_flow_close(oldest);
	return oldest;
}

/* The client's flow, a new one if it has none; NULL if no socket could be made. */
static struct udp_flow *udp_flow_of(unsigned listener, const struct sockaddr_in6 *client)
{
	struct udp_flow *f = udp_flow_find(listener, client);
	if (f)
		return f;
	f = udp_flow_slot();
	struct sockaddr_in sin = container_addr(relay.l[listener].to_port);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return NULL;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = fd_tag(FD_FLOW, (unsigned)(f - flows)) };
	if (epoll_ctl(relay.epoll, EPOLL_CTL_ADD, fd, &ev) < 0)
		return NULL;
	f->fd = TAKE_FD(fd);
	f->listener = listener;
	f->client = *client;
	return f;
}

/* A datagram from a client on [::1] goes on to the container through the client's flow. */
static void udp_from_client(unsigned i)
{
	struct sockaddr_in6 client;
	socklen_t len = sizeof(client);
	ssize_t n = recvfrom(relay.l[i].fd, datagram, sizeof(datagram), MSG_DONTWAIT,
			     (struct sockaddr *)&client, &len);
	struct udp_flow *f = n >= 0 ? udp_flow_of(i, &client) : NULL;
	if (!f)
		return;
	f->last_used = now_usec();
	(void)send(f->fd, datagram, (size_t)n, MSG_DONTWAIT);
}

/* An answer from the container goes back to its client, from the [::1] port it sent to. */
static void udp_to_client(struct udp_flow *f)
{
	ssize_t n = recv(f->fd, datagram, sizeof(datagram), MSG_DONTWAIT);
	if (n < 0)
		return;
	f->last_used = now_usec();
	(void)sendto(relay.l[f->listener].fd, datagram, (size_t)n, MSG_DONTWAIT,
		     (struct sockaddr *)&f->client, sizeof(f->client));
}

/* Whether any flow is left after letting the idle ones go. */
static bool udp_expire(uint64_t now)
{
	bool any = false;
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++) {
		if (f->fd >= 0 && now - f->last_used > UDP_IDLE_USEC)
			udp_flow_close(f);
		any |= f->fd >= 0;
	}
	return any;
}

/* TCP: each connection is two non-blocking sockets, the client's on [::1] and one to the
 * container's service, and a buffer per direction. At most TCP_CONNECTIONS at once (the default
 * of systemd-socket-proxyd's --connections-max): beyond that, clients wait in the listen backlog
 * until one ends. Before, each connection was two processes of root, and idle connections alone
 * made hundreds of them (issue 14.7). */
#define TCP_CONNECTIONS 256
#define TCP_BUFFER 16384

enum { SIDE_CLIENT, SIDE_SERVICE };

struct tcp_pipe { /* the bytes read from one side, not yet written to the other */
	char buf[TCP_BUFFER];
	size_t len, off;
	bool eof;  /* the reading side has no more to send */
	bool shut; /* and the writing side was told so */
};

struct tcp_conn {
	int fd[2];               /* by side */
	uint32_t events[2];      /* what each fd is registered for in the epoll set (0: not) */
	bool connecting;         /* the service's side, until its connect() completes */
	struct tcp_pipe pipe[2]; /* pipe[SIDE_CLIENT] goes from the client to the service */
};

static struct tcp_conn *conns[TCP_CONNECTIONS];
static unsigned n_conns;

static void tcp_close(unsigned i)
{
	struct tcp_conn *c = conns[i];
	close(c->fd[SIDE_CLIENT]);
	close(c->fd[SIDE_SERVICE]);
	free(c);
	conns[i] = NULL;
	n_conns--;
}

/* What side's fd waits for: to read while its pipe has room, to write while the other side's
 * pipe has bytes for it (or to learn that the service accepted the connection). */
static uint32_t tcp_wanted(const struct tcp_conn *c, int side)
{
	const struct tcp_pipe *in = &c->pipe[side], *out = &c->pipe[!side];
	if (side == SIDE_SERVICE && c->connecting)
		return EPOLLOUT;
	uint32_t ev = 0;
	if (in->len == 0 && !in->eof)
		ev |= EPOLLIN;
	if (out->len > out->off)
		ev |= EPOLLOUT;
	return ev;
}

/* An fd with nothing to wait for leaves the epoll set: epoll would still report a hung-up
 * socket, again and again. */
static int tcp_register(struct tcp_conn *c, unsigned i, int side)
{
	uint32_t want = tcp_wanted(c, side);
	if (want == c->events[side])
		return 0;
	struct epoll_event ev = { .events = want, .data.u64 = fd_tag(FD_CLIENT + side, i) };
	int op = !want ? EPOLL_CTL_DEL : c->events[side] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(relay.epoll, op, c->fd[side], &ev) < 0)
		return -errno;
	c->events[side] = want;
	return 0;
}

/* Moves what it can through one direction: from side `from`'s fd into the other's. Negative on
 * an error that ends the connection. */
static int tcp_pump(struct tcp_conn *c, int from)
{
	struct tcp_pipe *p = &c->pipe[from];
	int to = c->fd[!from];
	if (p->len == 0 && !p->eof) {
		ssize_t n = read(c->fd[from], p->buf, sizeof(p->buf));
		if (n < 0 && errno != EAGAIN)
			return -errno;
		p->eof = n == 0;
		p->len = n > 0 ? (size_t)n : 0;
		p->off = 0;
	}
	if (p->len > p->off) {
		/* MSG_NOSIGNAL: a peer gone is this connection's end, not the relay's (SIGPIPE). */
		ssize_t w = send(to, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN)
			return -errno;
		p->off += w > 0 ? (size_t)w : 0;
		if (p->off == p->len)
			p->len = p->off = 0;
	}
	if (p->eof && p->len == 0 && !p->shut) {
		shutdown(to, SHUT_WR);
		p->shut = true;
	}
	return 0;
}

static int tcp_finish_connect(struct tcp_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd[SIDE_SERVICE], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return -err;
	c->connecting = false;
	return 0;
}

/* An event on either of connection i's fds. */
/* One event's work on c: finish its connect, move data both ways, listen again; < 0: close it. */
static int tcp_step(struct tcp_conn *c, unsigned i, int side)
{
	int r = 0;
	if (side == SIDE_SERVICE && c->connecting)
		r = tcp_finish_connect(c);
	if (r < 0)
		return r;
	if (!c->connecting) {
		r = tcp_pump(c, SIDE_CLIENT);
		if (r < 0)
			return r;
		r = tcp_pump(c, SIDE_SERVICE);
		if (r < 0)
			return r;
	}
	if (c->pipe[SIDE_CLIENT].shut && c->pipe[SIDE_SERVICE].shut)
		return -ECONNRESET; /* both directions done */
	r = tcp_register(c, i, SIDE_CLIENT);
	if (r < 0)
		return r;
	return tcp_register(c, i, SIDE_SERVICE);
}

static void tcp_event(unsigned i, int side)
{
	struct tcp_conn *c = conns[i];
	if (!c)
		return;
	if (tcp_step(c, i, side) < 0)
		tcp_close(i);
}

static int tcp_free_slot(void)
{
	for (unsigned i = 0; i < TCP_CONNECTIONS; i++)
		if (!conns[i])
			return (int)i;
	return -1;
}

/* Connection i to the container's port: connect() starts, tcp_event() finishes it. */
static int tcp_connect_service(struct tcp_conn *c, unsigned listener)
{
	struct sockaddr_in sin = container_addr(relay.l[listener].to_port);
	c->fd[SIDE_SERVICE] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd[SIDE_SERVICE] < 0)
		return -errno;
	if (connect(c->fd[SIDE_SERVICE], (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		return -errno;
	c->connecting = true;
	return 0;
}

static void listeners_watch(uint32_t proto, uint32_t events);

static void tcp_accept(unsigned listener)
{
	int i = tcp_free_slot();
	if (i < 0)
		return;
	int client = accept4(relay.l[listener].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client < 0)
		return;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(client);
		return;
	}
	c->fd[SIDE_CLIENT] = client;
	c->fd[SIDE_SERVICE] = -1;
	conns[i] = c;
	n_conns++;
	if (tcp_connect_service(c, listener) < 0)
		tcp_close((unsigned)i);
	else if (tcp_register(c, (unsigned)i, SIDE_SERVICE) < 0)
		tcp_close((unsigned)i);
	if (n_conns == TCP_CONNECTIONS)
		listeners_watch(IPPROTO_TCP, 0);
}

/* Registers (events != 0) or unregisters the listeners of proto: a full connection table stops
 * accepting until a connection ends. */
static void listeners_watch(uint32_t proto, uint32_t events)
{
	for (unsigned i = 0; i < relay.n; i++) {
		if ((uint32_t)relay.l[i].proto != proto)
			continue;
		struct epoll_event ev = { .events = events, .data.u64 = fd_tag(FD_LISTENER, i) };
		(void)epoll_ctl(relay.epoll, events ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, relay.l[i].fd, &ev);
	}
}

static void relay_dispatch(uint64_t tag)
{
	unsigned index = (unsigned)tag;
	switch ((enum relay_fd_kind)(tag >> 32)) {
	case FD_LISTENER:
		if (relay.l[index].proto == IPPROTO_TCP)
			tcp_accept(index);
		else
			udp_from_client(index);
		break;
	case FD_FLOW:
		if (flows[index].fd >= 0)
			udp_to_client(&flows[index]);
		break;
	case FD_CLIENT:
	case FD_SERVICE: {
		bool full = n_conns == TCP_CONNECTIONS;
		tcp_event(index, (int)(tag >> 32) - FD_CLIENT);
		if (full && n_conns < TCP_CONNECTIONS)
			listeners_watch(IPPROTO_TCP, EPOLLIN);
		break;
	}
	}
}

static _Noreturn void relay_main(const struct listener *l, unsigned n, const struct inet_addr *to)
{
	int keep[n];
	for (unsigned i = 0; i < n; i++)
		keep[i] = l[i].fd;
	close_fds_except(keep, n);
	proc_title_set("hako-relay");
	relay = (struct relay){ .l = l, .n = n, .to = *to };
	relay.epoll = epoll_create1(EPOLL_CLOEXEC);
	if (relay.epoll < 0)
		_exit(1);
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++)
		f->fd = -1;
	listeners_watch(IPPROTO_TCP, EPOLLIN);
	listeners_watch(IPPROTO_UDP, EPOLLIN);
	bool any_flow = false;
	for (;;) {
		struct epoll_event ev[64];
		/* With flows, wake up now and then to let the idle ones go. */
		int k = epoll_wait(relay.epoll, ev, ELEMENTSOF(ev), any_flow ? 10 * 1000 : -1);
		for (int i = 0; i < k; i++)
			relay_dispatch(ev[i].data.u64);
		any_flow = udp_expire(now_usec());
	}
}

static int bind_loopback6(int proto, uint16_t port)
{
	bool tcp = proto == IPPROTO_TCP;
	_cleanup_close_ int fd = socket(AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0)
		return -errno;
	if (tcp && listen(fd, 128) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* A [::1] listener per port, into l (*k of them, also when one fails). */
static int open_listeners(const struct port_spec *ports, unsigned n, struct listener *l, unsigned *k)
{
	for (unsigned i = 0; i < n; i++) {
		const char *proto = ports[i].proto == IPPROTO_UDP ? "udp" : "tcp";
		int fd = bind_loopback6(ports[i].proto, ports[i].host_port);
		if (fd < 0)
			return log_errno(fd, "cannot listen on [::1]:%u (%s)", ports[i].host_port, proto);
		l[(*k)++] = (struct listener){ fd, ports[i].proto, ports[i].container_port };
	}
	return 0;
}

static void close_listeners(struct listener *l, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		close(l[i].fd);
}

int relay_start(const struct port_spec *ports, unsigned n, const struct inet_addr *to, pid_t *ret_pid)
{
	struct listener l[n ? n : 1];
	unsigned k = 0;
	*ret_pid = 0;
	int r = open_listeners(ports, n, l, &k);
	if (r < 0 || k == 0) {
		close_listeners(l, k);
		return r;
	}
	pid_t pid = fork_tied();
	if (pid == 0)
		relay_main(l, k, to);
	if (pid < 0)
		r = log_errno(-errno, "cannot start the [::1] port relay");
	close_listeners(l, k); /* the relay holds its own copies */
	if (r < 0)
		return r;
	*ret_pid = pid;
	return 0;
}

void relay_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
