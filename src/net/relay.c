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
	uint16_t to_port; /* the container's port */
};

static _Noreturn void relay_main(const struct listener *l, unsigned n, const struct inet_addr *to)
{
	int keep[n];
	struct pollfd pfd[n];
	for (unsigned i = 0; i < n; i++) {
		keep[i] = l[i].fd;
		pfd[i] = (struct pollfd){ .fd = l[i].fd, .events = POLLIN };
	}
	close_fds_except(keep, n);
	proc_title_set("hako-relay");
	/* Connection processes are reaped by the kernel. */
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if (poll(pfd, n, -1) < 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			int client = pfd[i].revents ? accept4(l[i].fd, NULL, NULL, SOCK_CLOEXEC) : -1;
			if (client < 0)
				continue;
			struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(l[i].to_port) };
			memcpy(&sin.sin_addr, to->bytes, sizeof(sin.sin_addr));
			if (fork_tied() == 0) {
				for (unsigned j = 0; j < n; j++)
					close(l[j].fd);
				serve(client, &sin);
			}
			close(client);
		}
	}
}

static int listen_loopback6(uint16_t port)
{
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(fd, 128) < 0)
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
		if (ports[i].proto != IPPROTO_TCP)
			continue;
		if ((r = listen_loopback6(ports[i].host_port)) < 0) {
			log_errno(r, "cannot listen on [::1]:%u", ports[i].host_port);
			break;
		}
		l[k++] = (struct listener){ r, ports[i].container_port };
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
