#include "net/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/proctitle.h"
#include "base/util.h"

/* A child that dies with its parent, with default signal handling (hako blocks the signals it
 * reads from a signalfd). */
static pid_t fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();
	if (pid != 0)
		return pid;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	return 0;
}

/* One direction of a connection, until EOF or an error; then the peer sees our EOF. */
static _Noreturn void copy_stream(int from, int to)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	shutdown(to, SHUT_WR);
	shutdown(from, SHUT_RD);
	_exit(0);
}

/* A connection: one process per direction, so neither can block the other. */
static _Noreturn void serve(int client, const struct sockaddr_in *to)
{
	int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server < 0 || connect(server, (const struct sockaddr *)to, sizeof(*to)) < 0)
		_exit(1);
	pid_t pid = fork_tied();
	if (pid < 0)
		_exit(1);
	if (pid == 0)
		copy_stream(client, server);
	copy_stream(server, client);
}

struct listener {
	int fd;
	int proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t to_port; /* the container's port */
};

/* UDP has no connections: a client (its address and port) gets a socket connected to the
 * container's port, the way back for the answers, until it is idle for as long as the kernel's
 * conntrack keeps a UDP stream (docker-proxy does the same). The longest idle goes when all are
 * taken. */
#define UDP_FLOWS 256
#define UDP_IDLE_USEC (120ULL * 1000 * 1000)

struct udp_flow {
	int fd;                     /* -1: free */
	unsigned listener;          /* where the client sent to, and where answers go out */
	struct sockaddr_in6 client;
	uint64_t last_used;
};

static struct udp_flow flows[UDP_FLOWS];
static char datagram[65536];

static struct sockaddr_in container_addr(const struct inet_addr *to, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	memcpy(&sin.sin_addr, to->bytes, sizeof(sin.sin_addr));
	return sin;
}

/* The client's flow; a new one (in a free slot, else the longest idle one's) if it has none.
 * NULL if no socket could be made. */
static struct udp_flow *udp_flow_of(unsigned listener, const struct sockaddr_in6 *client,
				    const struct listener *l, const struct inet_addr *to)
{
	struct udp_flow *oldest = &flows[0];
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++) {
		if (f->fd >= 0 && f->listener == listener && f->client.sin6_port == client->sin6_port &&
		    !memcmp(&f->client.sin6_addr, &client->sin6_addr, sizeof(client->sin6_addr)))
			return f;
		if (oldest->fd >= 0 && (f->fd < 0 || f->last_used < oldest->last_used))
			oldest = f;
	}
	if (oldest->fd >= 0)
		close(oldest->fd);
	struct sockaddr_in sin = container_addr(to, l->to_port);
	oldest->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (oldest->fd >= 0 && connect(oldest->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(oldest->fd);
		oldest->fd = -1;
	}
	oldest->listener = listener;
	oldest->client = *client;
	return oldest->fd >= 0 ? oldest : NULL;
}

/* A datagram from a client on [::1] goes on to the container through the client's flow. */
static void udp_from_client(unsigned i, const struct listener *l, const struct inet_addr *to)
{
	struct sockaddr_in6 client;
	socklen_t len = sizeof(client);
	ssize_t n = recvfrom(l[i].fd, datagram, sizeof(datagram), MSG_DONTWAIT,
			     (struct sockaddr *)&client, &len);
	struct udp_flow *f = n >= 0 ? udp_flow_of(i, &client, &l[i], to) : NULL;
	if (!f)
		return;
	f->last_used = now_usec();
	(void)send(f->fd, datagram, (size_t)n, MSG_DONTWAIT);
}

/* An answer from the container goes back to its client, from the [::1] port it sent to. */
static void udp_to_client(struct udp_flow *f, const struct listener *l)
{
	ssize_t n = recv(f->fd, datagram, sizeof(datagram), MSG_DONTWAIT);
	if (n < 0)
		return;
	f->last_used = now_usec();
	(void)sendto(l[f->listener].fd, datagram, (size_t)n, MSG_DONTWAIT,
		     (struct sockaddr *)&f->client, sizeof(f->client));
}

static void udp_expire(uint64_t now)
{
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++)
		if (f->fd >= 0 && now - f->last_used > UDP_IDLE_USEC) {
			close(f->fd);
			f->fd = -1;
		}
}

static void tcp_accept(unsigned i, const struct listener *l, unsigned n, const struct inet_addr *to)
{
	int client = accept4(l[i].fd, NULL, NULL, SOCK_CLOEXEC);
	if (client < 0)
		return;
	struct sockaddr_in sin = container_addr(to, l[i].to_port);
	if (fork_tied() == 0) {
		for (unsigned j = 0; j < n; j++)
			close(l[j].fd);
		for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++)
			if (f->fd >= 0)
				close(f->fd);
		serve(client, &sin);
	}
	close(client);
}

static _Noreturn void relay_main(const struct listener *l, unsigned n, const struct inet_addr *to)
{
	int keep[n];
	for (unsigned i = 0; i < n; i++)
		keep[i] = l[i].fd;
	close_fds_except(keep, n);
	proc_title_set("hako-relay");
	/* Connection processes are reaped by the kernel. */
	signal(SIGCHLD, SIG_IGN);
	for (struct udp_flow *f = flows; f < flows + UDP_FLOWS; f++)
		f->fd = -1;
	struct pollfd pfd[n + UDP_FLOWS];
	for (;;) {
		/* Listeners first, then every flow slot (a free one, fd -1, is not polled). */
		for (unsigned i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = l[i].fd, .events = POLLIN };
		bool any_flow = false;
		for (unsigned i = 0; i < UDP_FLOWS; i++) {
			pfd[n + i] = (struct pollfd){ .fd = flows[i].fd, .events = POLLIN };
			any_flow |= flows[i].fd >= 0;
		}
		/* With flows, wake up now and then to let the idle ones go. */
		if (poll(pfd, n + UDP_FLOWS, any_flow ? 10 * 1000 : -1) < 0)
			continue;
		udp_expire(now_usec());
		for (unsigned i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (l[i].proto == IPPROTO_TCP)
				tcp_accept(i, l, n, to);
			else
				udp_from_client(i, l, to);
		}
		for (unsigned i = 0; i < UDP_FLOWS; i++)
			if (pfd[n + i].revents && flows[i].fd >= 0)
				udp_to_client(&flows[i], l);
	}
}

static int bind_loopback6(int proto, uint16_t port)
{
	bool tcp = proto == IPPROTO_TCP;
	_cleanup_close_ int fd = socket(AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || (tcp && listen(fd, 128) < 0))
		return -errno;
	return TAKE_FD(fd);
}

int relay_start(const struct port_spec *ports, unsigned n, const struct inet_addr *to, pid_t *ret_pid)
{
	struct listener l[n ? n : 1];
	unsigned k = 0;
	int r = 0;
	*ret_pid = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *proto = ports[i].proto == IPPROTO_UDP ? "udp" : "tcp";
		if ((r = bind_loopback6(ports[i].proto, ports[i].host_port)) < 0) {
			log_errno(r, "cannot listen on [::1]:%u (%s)", ports[i].host_port, proto);
			break;
		}
		l[k++] = (struct listener){ r, ports[i].proto, ports[i].container_port };
	}
	pid_t pid = 0;
	if (r >= 0 && k > 0) {
		pid = fork_tied();
		if (pid == 0)
			relay_main(l, k, to);
		if (pid < 0)
			r = log_errno(-errno, "cannot start the [::1] port relay");
	}
	for (unsigned i = 0; i < k; i++)
		close(l[i].fd);
	if (r >= 0)
		*ret_pid = pid;
	return r < 0 ? r : 0;
}

void relay_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
