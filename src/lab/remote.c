/* hako on the other hosts of a lab, over ssh: `ssh -o BatchMode=yes -o ConnectTimeout=N ADDRESS
 * hako lab ...`, one ssh per host, all at once, so that N hosts that do not answer cost one
 * timeout and not N. ssh is the program ($HAKO_SSH, else "ssh") and not a library: it brings the
 * user's keys, agent, known hosts and ~/.ssh/config, which a library would have to relearn. Each
 * one's output goes to a memfd (no pipe to drain while waiting); with a deadline, one that has
 * not ended by then is killed, so a host that accepts the connection and then hangs does not
 * hang hako. */
#include "lab/remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

extern char **environ;

#define ARGS_MAX 16

void lab_remote_done(struct lab_remote *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].out);
		free(r[i].err);
		if (r[i].pidfd >= 0)
			close(r[i].pidfd);
	}
}

static int memfd(const char *name, const char *text)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = text ? strlen(text) : 0;
	if (len && write(fd, text, len) != (ssize_t)len)
		return -EIO;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* argv of one host's ssh: the program, its options, the destination (Ssh=, else Address=),
 * "hako", args[, --host=NAME]. */
static void ssh_argv(const struct lab_remote_cmd *c, const struct lab_host *h, const char *dest,
		     char *host_opt, char *timeout, const char *argv[static ARGS_MAX])
{
	size_t k = 0;
	const char *ssh = getenv("HAKO_SSH");
	argv[k++] = ssh && *ssh ? ssh : "ssh";
	argv[k++] = "-o";
	argv[k++] = "BatchMode=yes";
	argv[k++] = "-o";
	argv[k++] = timeout;
	argv[k++] = dest;
	argv[k++] = "hako";
	for (size_t i = 0; c->args[i] && k < ARGS_MAX - 2; i++)
		argv[k++] = c->args[i];
	if (c->host_option) {
		snprintf(host_opt, LAB_REMOTE_HOSTOPT, "--host=%s", h->name);
		argv[k++] = host_opt;
	}
	argv[k] = NULL;
}

static int spawn_one(const struct lab_remote_cmd *c, const struct lab_host *h, struct lab_remote *r)
{
	char addr[INET6_ADDRSTRLEN], host_opt[LAB_REMOTE_HOSTOPT], timeout[40];
	const char *argv[ARGS_MAX];
	inet_ntop(h->addr.family, h->addr.bytes, addr, sizeof(addr));
	snprintf(timeout, sizeof(timeout), "ConnectTimeout=%u", c->timeout_s);
	ssh_argv(c, h, h->ssh ? h->ssh : addr, host_opt, timeout, argv);
	_cleanup_close_ int in = memfd("hako-ssh-in", c->input);
	_cleanup_close_ int out = memfd("hako-ssh-out", NULL);
	_cleanup_close_ int err = memfd("hako-ssh-err", NULL);
	if (in < 0 || out < 0 || err < 0)
		return in < 0 ? in : out < 0 ? out : err;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
	int e = posix_spawnp(&r->pid, argv[0], &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e)
		return log_errno(-e, "cannot run %s", argv[0]);
	r->out_fd = TAKE_FD(out);
	r->err_fd = TAKE_FD(err);
	r->pidfd = pidfd_open(r->pid, 0);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for every one started, killing what is left at the deadline (0: none). */
static void wait_all(struct lab_remote *r, size_t n, unsigned deadline_s)
{
	long end = now_ms() + deadline_s * 1000L;
	for (size_t i = 0; i < n; i++) {
		if (!r[i].pid)
			continue;
		struct pollfd p = { .fd = r[i].pidfd, .events = POLLIN };
		long left = end - now_ms();
		if (deadline_s && r[i].pidfd >= 0 && poll(&p, 1, left > 0 ? (int)left : 0) == 0) {
			kill(r[i].pid, SIGKILL); /* ours: started above */
			r[i].timed_out = true;
		}
		int st;
		while (waitpid(r[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		r[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
}

static char *slurp(int fd)
{
	char *s = NULL;
	size_t len;
	if (fd < 0)
		return strdup("");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return strdup("");
	if (read_fd(fd, &s, &len) < 0)
		return strdup("");
	return s;
}

int lab_remote_run(const struct lab_topology *t, const bool *hosts, const struct lab_remote_cmd *c,
		   struct lab_remote *r)
{
	for (size_t i = 0; i < t->n_hosts; i++)
		r[i] = (struct lab_remote){ .pidfd = -1, .out_fd = -1, .err_fd = -1 };
	int ret = 0;
	for (size_t i = 0; i < t->n_hosts && ret == 0; i++)
		if (hosts[i])
			ret = spawn_one(c, &t->hosts[i], &r[i]);
	wait_all(r, t->n_hosts, c->deadline_s);
	for (size_t i = 0; i < t->n_hosts; i++) {
		if (!r[i].pid)
			continue;
		r[i].out = slurp(r[i].out_fd);
		r[i].err = slurp(r[i].err_fd);
		close(r[i].out_fd);
		close(r[i].err_fd);
		if (!r[i].out || !r[i].err)
			ret = -ENOMEM;
	}
	return ret;
}

/* The last non-empty line of s, without a "hako: " prefix, into buf. ssh ends its own messages
 * with "\r\n" (its log.c writes for a terminal that may be in raw mode): the '\r' goes too, or
 * it would end up in hako's one line. */
static void last_line(const char *s, char *buf, size_t size)
{
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	if (strncmp(start, "hako: ", 6) == 0)
		start += 6;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

const char *lab_remote_why(const struct lab_remote *r, unsigned deadline_s, char *buf, size_t size)
{
	char line[256];
	last_line(r->err, line, sizeof(line));
	if (r->timed_out)
		snprintf(buf, size, "unreachable: no answer in %u s", deadline_s);
	else if (r->status == LAB_REMOTE_SSH_FAILED || r->status < 0)
		snprintf(buf, size, "unreachable: %s", *line ? line : "ssh failed");
	else
		snprintf(buf, size, "%s", *line ? line : "failed");
	return buf;
}
