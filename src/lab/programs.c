/* Exec= of a node that is a namespace, not a container: a shell command line run detached in
 * the node's namespace, in a session of its own, its output in labs/LAB/logs/NODE. */
#include "lab/programs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/lab.h"

/* How long a program may take to fail and still fail `lab up`: a typo, a missing file, a
 * command not found show within a few ms. Containers start meanwhile, so little of it adds. */
#define EXEC_GRACE_MS 150

static _Noreturn void program_child(const char *logfile, int netns_fd, const char *command)
{
	/* Nothing to log to before the log file is open: 127, as the shell's "cannot run". */
	int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		_exit(127);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0)
		_exit(127);
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		_exit(127);
	if (setsid() < 0)
		_exit(127);
	dup2(nul, 0), dup2(fd, 1), dup2(fd, 2);
	/* Nothing of hako's caller (a pipe a test waits on) may stay open in the program. */
	close_range(3, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	/* The whole command line, as the man page says: not "exec %s", which ran only its first
	 * command (issue 16.2). Its session (sid = pgid = this pid) is what lab down kills. */
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
}

int lab_program_start(const char *lab, const struct lab_node *node, int netns_fd, pid_t *ret)
{
	_cleanup_free_ char *pidfile = lab_path(lab, "pids/%s", node->name);
	_cleanup_free_ char *logfile = lab_path(lab, "logs/%s", node->name);
	if (!pidfile || !logfile)
		return log_errno(-ENOMEM, "out of memory");
	pid_t pid = fork();
	if (pid < 0)
		return log_errno(-errno, "lab %s: %s: cannot start Exec=", lab, node->name);
	if (pid == 0)
		program_child(logfile, netns_fd, node->exec);
	char buf[16];
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	int r = write_file(pidfile, buf, O_CREAT | O_TRUNC, 0644);
	if (r < 0) {
		kill(pid, SIGKILL);
		return log_errno(r, "lab %s: cannot record %s", lab, pidfile);
	}
	*ret = pid;
	return 0;
}

/* The last line the program wrote, for the error message. */
static char *last_log_line(const char *lab, const char *node)
{
	_cleanup_free_ char *path = lab_path(lab, "logs/%s", node), *text = NULL;
	if (!path || read_file(path, &text, NULL) < 0)
		return NULL;
	size_t n = strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	const char *line = strrchr(text, '\n');
	return *text ? strdup(line ? line + 1 : text) : NULL;
}

/* A program that ended: fine if it exited 0 (a one-shot set-up command), else the lab's error. */
static int program_ended(const struct lab_topology *t, const struct lab_program *p)
{
	int st;
	if (waitpid(p->pid, &st, WNOHANG) <= 0 || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		return 0;
	_cleanup_free_ char *last = last_log_line(t->name, p->node->name);
	char how[48];
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof(how), "was killed by SIG%s", sigabbrev_np(WTERMSIG(st)) ?: "?");
	log_error("%s:%u: [Node %s] Exec= %s%s%s", t->file, p->node->line, p->node->name, how,
		  last ? ": " : "", last ? last : "");
	return -ECHILD;
}

/* Waits out the grace period, failing at the first program that ends with an error. */
static int programs_watch(const struct lab_topology *t, const struct lab_program *progs, struct pollfd *fds,
			  size_t n)
{
	uint64_t deadline = now_usec() + EXEC_GRACE_MS * 1000;
	for (uint64_t now = now_usec(); now < deadline; now = now_usec()) {
		if (poll(fds, n, (int)((deadline - now + 999) / 1000)) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!(fds[i].revents & POLLIN))
				continue;
			fds[i].fd = -fds[i].fd - 1; /* poll skips a negative fd; closed by the caller */
			int r = program_ended(t, &progs[i]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int lab_programs_check(const struct lab_topology *t, const struct lab_program *progs, size_t n)
{
	if (n == 0)
		return 0;
	_cleanup_free_ struct pollfd *fds = calloc(n, sizeof(*fds));
	if (!fds)
		return log_errno(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fds[i] = (struct pollfd){ .fd = pidfd_open(progs[i].pid, 0), .events = POLLIN };
	int r = programs_watch(t, progs, fds, n);
	for (size_t i = 0; i < n; i++)
		close(fds[i].fd < -1 ? -fds[i].fd - 1 : fds[i].fd);
	return r;
}

static bool same_ns(pid_t pid, const struct stat *ns)
{
	char path[40];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) == 0 && st.st_ino == ns->st_ino && st.st_dev == ns->st_dev;
}

/* The process group of the pid, from /proc/PID/stat (after the command name's last ')'). */
static pid_t pgrp_of(pid_t pid)
{
	char path[40];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *text = NULL;
	int pgrp;
	const char *p = read_file(path, &text, NULL) < 0 ? NULL : strrchr(text, ')');
	return p && sscanf(p + 1, " %*c %*d %d", &pgrp) == 1 ? pgrp : -1;
}

/* What the program left in its process group after it exited (a command put in the
 * background): each such process that runs in the node's namespace. */
static void kill_orphaned_group(pid_t pgid, const struct stat *ns)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));) {
		int pid;
		if (parse_int(e->d_name, &pid) == 0 && pid > 1 && pgrp_of(pid) == pgid && same_ns(pid, ns))
			(void)kill(pid, SIGKILL);
	}
}

/* The pid a node's record names and the node's namespace: 1, or 0 for a record or namespace
 * that is gone or holds no pid. */
static int recorded_program(const char *lab, const char *dir, const char *node, pid_t *ret, struct stat *ns)
{
	_cleanup_free_ char *pidfile = xasprintf("%s/%s", dir, node);
	_cleanup_free_ char *nsfile = lab_path(lab, "ns/%s", node);
	if (!pidfile || !nsfile)
		return -ENOMEM;
	_cleanup_free_ char *line = NULL;
	int r = read_line_file(pidfile, &line);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	int pid;
	if (parse_int(line, &pid) < 0 || pid <= 1)
		return 0;
	if (stat(nsfile, ns) < 0)
		return 0;
	*ret = pid;
	return 1;
}

void lab_programs_kill(const char *lab)
{
	_cleanup_free_ char *dir = lab_path(lab, "pids");
	if (!dir) {
		log_errno(-ENOMEM, "lab %s: cannot stop its programs", lab);
		return;
	}
	_cleanup_closedir_ DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		struct stat ns;
		pid_t pid;
		int r = recorded_program(lab, dir, e->d_name, &pid, &ns);
		if (r < 0)
			log_errno(r, "lab %s: cannot stop the program of %s", lab, e->d_name);
		if (r <= 0)
			continue;
		/* A recorded pid counts only while it runs in the node's namespace (pids are
		 * reused); then its whole group goes: a pipeline, a command in the background. */
		if (same_ns(pid, &ns))
			(void)kill(-pid, SIGKILL);
		else
			kill_orphaned_group(pid, &ns);
	}
}
