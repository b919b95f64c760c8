/* hako shell: a command (or a login shell) inside a running machine, as if started by its init:
 * its namespaces, its cgroup, its root, its PID 1's environment and capability bounding set, the
 * machine's no_new_privs and system call filter, the user from the tree's /etc/passwd, and a pty
 * of the machine's own devpts when on a terminal. The command is confined exactly as the
 * machine's own processes are (they all inherit PID 1's filter): a shell is no way around it. */
#include "machine/shell.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/util.h"
#include "container/caps.h"
#include "container/seccomp.h"
#include "container/user.h"
#include "machine/control.h"
#include "machine/relay.h"
#include "machine/session.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* In setns order: the user namespace first (it grants the rights to join the others), the
 * mount namespace last (it changes what paths mean). */
static const struct {
	const char *name;
	int type;
	// clang-format off
} namespaces[] = {
	{ "user", CLONE_NEWUSER }, { "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },   { "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID },
	{ "mnt", CLONE_NEWNS },
};
// clang-format on
#define N_NS ELEMENTSOF(namespaces)

struct join {
	const struct shell_request *req;
	int ns[N_NS]; /* -1: the same as ours, nothing to join */
	int root_fd;
	char **cgroup_procs;           /* the leader's cgroup.procs, then the machine's in the other
				* hierarchies (v1 memory, pids...: its limits hold for the shell too) */
	char **env;                    /* PID 1's environment */
	uint64_t bounding;             /* PID 1's capability bounding set */
	bool no_new_privs;             /* the machine's */
	struct seccomp_program filter; /* the machine's, loaded last before the user switch */
	int pty_sock;                  /* the child sends the pty master back over it; -1 without a tty */
};

static int open_ns(pid_t leader, int i, int *ret)
{
	char path[64], self[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)leader, namespaces[i].name);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", namespaces[i].name);
	struct stat a, b;
	*ret = -1;
	if (stat(path, &a) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return 0; /* shared with the host (e.g. no user namespace) */
	*ret = open(path, O_RDONLY | O_CLOEXEC);
	return *ret < 0 ? -errno : 0;
}

static int read_environ(pid_t leader, char ***ret)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/environ", (int)leader), *data = NULL;
	size_t len;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, &data, &len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i += strlen(data + i) + 1) {
		if (!data[i])
			continue;
		r = strv_push(ret, data + i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_bounding(pid_t leader, uint64_t *ret)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/status", (int)leader), *data = NULL;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, &data, NULL);
	if (r < 0)
		return r;
	const char *p = strstr(data, "\nCapBnd:");
	return p && sscanf(p + 8, "%lx", (unsigned long *)ret) == 1 ? 0 : -EBADMSG;
}

/* The machine's cgroup as its last two components ("/hako/NAME", "/machine.slice/machine-NAME.scope"
 * on a systemd host): what the leader's "0::" line holds whatever the hierarchy's mount point. */
static const char *cgroup_tail(const char *dir)
{
	const char *last = strrchr(dir, '/'), *p = last;
	while (p && p > dir && *--p != '/')
		;
	return p && *p == '/' ? p : dir;
}

/* The leader's own cgroup (an init puts itself in a sub-cgroup such as init.scope, and cgroup v2
 * lets no process join the machine's cgroup once it has children with controllers): the
 * machine's cgroup directory plus what follows its tail in the leader's "0::" line. */
static char *leader_cgroup_procs(const struct machine_state *st)
{
	if (!st->cgroup || !*st->cgroup)
		return NULL;
	_cleanup_free_ char *path = xasprintf("/proc/%d/cgroup", (int)st->leader), *data = NULL,
			    *mark = strdup(cgroup_tail(st->cgroup));
	if (!path || !mark || read_file(path, &data, NULL) < 0)
		return xasprintf("%s/cgroup.procs", st->cgroup);
	const char *line = strstr(data, "0::"), *m = line ? strstr(line, mark) : NULL;
	const char *rest = m ? m + strlen(mark) : "";
	size_t n = strcspn(rest, "\n");
	return xasprintf("%s%.*s/cgroup.procs", st->cgroup, (int)n, rest);
}

/* The machine's filter, built from the request and bounding set it started with: the same
 * cache entry (state directory) its start used, so usually only a read. */
static int machine_filter(const struct machine_state *st, struct seccomp_program *ret)
{
	_cleanup_(seccomp_request_done) struct seccomp_request req = {};
	_cleanup_free_ char *removals =
		st->seccomp_remove && *st->seccomp_remove ? xasprintf("~%s", st->seccomp_remove) : NULL;
	_cleanup_free_ char *cache = hako_path(HAKO_DIR_STATE, "seccomp");
	const char *why = NULL;
	int r = 0;
	if (st->seccomp_add && *st->seccomp_add)
		r = seccomp_request_add(&req, st->seccomp_add, &why);
	if (r < 0)
		return r;
	if (st->seccomp_remove && *st->seccomp_remove)
		r = removals ? seccomp_request_add(&req, removals, &why) : -ENOMEM;
	if (r < 0)
		return r;
	return seccomp_get_program(&req, st->caps, cache, ret);
}

static int join_cgroups(struct join *j, const struct machine_state *st)
{
	_cleanup_strv_free_ char **dirs = NULL;
	int r = machine_cgroup_dirs(st, &dirs);
	if (r < 0)
		return r;
	for (size_t i = 0; dirs[i]; i++) {
		char *procs = i == 0 ? leader_cgroup_procs(st) : xasprintf("%s/cgroup.procs", dirs[i]);
		if (!procs)
			return -ENOMEM;
		r = strv_push_take(&j->cgroup_procs, procs);
		if (r < 0)
			return r;
	}
	return 0;
}

static int prepare(struct join *j, const struct machine_state *st)
{
	for (size_t i = 0; i < N_NS; i++) {
		int r = open_ns(st->leader, (int)i, &j->ns[i]);
		if (r < 0)
			return log_errno(r, "cannot open the %s namespace of %s", namespaces[i].name,
					 st->name);
	}
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", (int)st->leader);
	j->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->root_fd < 0)
		return log_errno(-errno, "cannot open the root of %s", st->name);
	int r = read_environ(st->leader, &j->env);
	if (r < 0)
		return log_errno(r, "cannot read the environment of %s's PID 1", st->name);
	r = read_bounding(st->leader, &j->bounding);
	if (r < 0)
		return log_errno(r, "cannot read the environment of %s's PID 1", st->name);
	r = join_cgroups(j, st);
	if (r < 0)
		return log_errno(r, "cannot find the cgroups of %s", st->name);
	j->no_new_privs = st->no_new_privs;
	r = machine_filter(st, &j->filter);
	if (r < 0)
		return log_errno(r, "cannot build the system call filter of %s", st->name);
	return 0;
}

static void join_done(struct join *j)
{
	for (size_t i = 0; i < N_NS; i++)
		if (j->ns[i] >= 0)
			close(j->ns[i]);
	if (j->root_fd >= 0)
		close(j->root_fd);
	strv_free(j->cgroup_procs);
	strv_free(j->env);
	seccomp_program_done(&j->filter);
}

/* ---- in the child ---- */

static int env_set(char ***env, const char *name, const char *value, bool overwrite)
{
	size_t n = strlen(name);
	for (char **e = *env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
			if (!overwrite)
				return 0;
			char *v = xasprintf("%s=%s", name, value);
			if (!v)
				return -ENOMEM;
			free(*e);
			*e = v;
			return 0;
		}
	char *v = xasprintf("%s=%s", name, value);
	return v ? strv_push_take(env, v) : -ENOMEM;
}

static int user_env(struct join *j, const struct tree_user *u)
{
	const char *term = getenv("TERM");
	/* The user's own variables, set over what PID 1 had (as login does). */
	const struct {
		const char *name, *value;
		// clang-format off
	} own[] = {
		{ "HOME", u->home ? u->home : "/" },
		{ "USER", u->name ? u->name : "root" },
		{ "LOGNAME", u->name ? u->name : "root" },
		{ "SHELL", u->shell ? u->shell : "/bin/sh" },
	};
	// clang-format on
	int r = env_set(&j->env, "PATH", DEFAULT_PATH, false);
	if (r < 0)
		return r;
	if (j->pty_sock >= 0 && term)
		r = env_set(&j->env, "TERM", term, true);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(own); i++) {
		r = env_set(&j->env, own[i].name, own[i].value, true);
		if (r < 0)
			return r;
	}
	for (char **e = j->req->setenv; e && *e; e++) {
		_cleanup_free_ char *name = strndup(*e, strcspn(*e, "="));
		if (!name)
			return -ENOMEM;
		r = env_set(&j->env, name, strchr(*e, '=') + 1, true);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A pty of the machine's devpts: the master goes to hako outside, the slave becomes stdio. */
static int take_pty(int sock)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	if (master < 0)
		return -errno;
	if (unlockpt(master) < 0)
		return -errno;
	int r = ptsname_r(master, name, sizeof(name));
	if (r != 0)
		return -r; /* it returns the error number */
	_cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return -errno;
	/* Sized while stdin is still the caller's terminal: the command may read it at once. */
	relay_copy_winsize(slave);
	r = control_send(sock, "pty", master);
	if (r < 0)
		return r;
	if (setsid() < 0)
		return -errno;
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return -errno;
	return 0;
}

/* Never the admin's terminal as the controlling tty (bubblewrap's CVE-2017-5226: TIOCSTI would
 * push input into the admin's shell): a pty of the machine's own when hako is on a terminal, else
 * a session of its own with no controlling tty at all. */
static int detach_from_host_tty(int pty_sock)
{
	if (pty_sock >= 0)
		return take_pty(pty_sock);
	return setsid() < 0 ? -errno : 0;
}

static int become_user(const struct tree_user *u)
{
	if (setgroups(u->n_groups, u->groups) < 0)
		return -errno;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return -errno;
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	if (chdir(u->home ? u->home : "/") < 0)
		(void)chdir("/");
	return 0;
}

/* As the machine's PID 1 was set up (spawn.c): the filter before the user switch, while
 * CAP_SYS_ADMIN is still effective, so no_new_privs stays what the machine has. */
static int confine(struct join *j, const struct tree_user *u)
{
	int r = user_env(j, u);
	if (r < 0)
		return r;
	r = detach_from_host_tty(j->pty_sock);
	if (r < 0)
		return r;
	r = caps_reduce_bounding(j->bounding);
	if (r < 0)
		return r;
	if (j->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	r = seccomp_load_program(&j->filter);
	if (r < 0)
		return r;
	return become_user(u);
}

static _Noreturn void exec_command(struct join *j)
{
	struct tree_user u = { 0 };
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *user = j->req->user ? j->req->user : "root";
	int r = tree_user_lookup(root, user, &u);
	if (r < 0) {
		log_errno(r, "unknown user %s in the machine", user);
		_exit(EXIT_HAKO_USAGE);
	}
	r = confine(j, &u);
	if (r < 0) {
		log_errno(r, "cannot set up the shell");
		_exit(EXIT_HAKO_FAILED);
	}
	if (j->pty_sock >= 0)
		close(j->pty_sock);
	char **argv = j->req->command;
	char *login[] = { NULL, NULL };
	if (!argv || !argv[0]) {
		const char *sh = u.shell ? u.shell : "/bin/sh";
		const char *base = strrchr(sh, '/');
		login[0] = xasprintf("-%s", base ? base + 1 : sh); /* a login shell, as login(1) starts */
		execve(sh, login, j->env);
	} else {
		for (char **e = j->env; *e; e++)
			if (startswith(*e, "PATH="))
				setenv("PATH", *e + 5, 1); /* execvpe searches the caller's PATH */
		execvpe(argv[0], argv, j->env);
	}
	int err = errno;
	log_errno(-err, "cannot execute %s", argv && argv[0] ? argv[0] : u.shell ? u.shell : "/bin/sh");
	_exit(err == ENOENT ? EXIT_HAKO_NOTFOUND : EXIT_HAKO_FAILED);
}

static int enter(struct join *j)
{
	/* Non-dumpable before joining: nothing inside may open /proc/PID/exe (the host's hako
	 * binary) or /proc/PID/fd of this process (runc CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	for (char **p = j->cgroup_procs; p && *p; p++) {
		int r = write_file(*p, "0", O_WRONLY, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < N_NS; i++)
		if (j->ns[i] >= 0 && setns(j->ns[i], namespaces[i].type) < 0)
			return -errno;
	return chroot_fd(j->root_fd);
}

/* Joined; the command is forked so that it is inside the PID namespace. */
static _Noreturn void joiner(struct join *j)
{
	int r = enter(j);
	if (r < 0) {
		log_errno(r, "cannot join the machine");
		_exit(EXIT_HAKO_FAILED);
	}
	pid_t pid = fork();
	if (pid < 0)
		_exit(EXIT_HAKO_FAILED);
	if (pid == 0)
		exec_command(j);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* ---- outside ---- */

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_HAKO_FAILED;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int machine_shell(const struct machine_state *st, const struct shell_request *req)
{
	int guest_status = 0;
	int r = session_shell(st, req, &guest_status);
	if (r != -ENOMEDIUM)
		return r == 0 ? guest_status : r; /* through the guest's systemd */
	struct join j = { .req = req, .root_fd = -1, .pty_sock = -1 };
	int sv[2] = { -1, -1 };
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	for (size_t i = 0; i < N_NS; i++)
		j.ns[i] = -1;
	if (prepare(&j, st) < 0) {
		join_done(&j);
		return EXIT_HAKO_FAILED;
	}
	if (tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		join_done(&j);
		return EXIT_HAKO_FAILED;
	}
	j.pty_sock = sv[1];
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		joiner(&j);
	}
	if (sv[1] >= 0)
		close(sv[1]);
	int status = EXIT_HAKO_FAILED;
	if (pid > 0 && tty) {
		char buf[16];
		int master = -1;
		if (control_recv(sv[0], buf, sizeof(buf), &master) > 0 && master >= 0) {
			relay_terminal(master, -1, false);
			close(master);
		}
	}
	if (pid > 0)
		status = wait_status(pid);
	if (sv[0] >= 0)
		close(sv[0]);
	join_done(&j);
	return status;
}
