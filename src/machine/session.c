/* hako login and shell through the guest's systemd (session.h), as machined's OpenMachineLogin
 * and OpenMachineShell do it, without machined on the host. */
#include "machine/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/util.h"
#include "container/user.h"
#include "machine/guestbus.h"
#include "machine/relay.h"

/* systemd's exit status for a command it could not execute (EXIT_EXEC): hako's own 127. */
#define SYSTEMD_EXIT_EXEC 203

int session_login(const struct machine_state *st, int watch_fd)
{
	struct guest g;
	int r = guest_open(st->leader, GUEST_PTY_HELD, &g);
	if (r == -ENOMEDIUM)
		return r;
	if (r < 0)
		return log_errno(r, "cannot reach the systemd of %s", st->name);
	char unit[64];
	snprintf(unit, sizeof(unit), "container-getty@%u.service", g.pty);
	_cleanup_free_ char *why = NULL;
	r = guest_start_unit(&g, unit, &why);
	if (r < 0) {
		log_error("cannot start %s in %s: %s", unit, st->name, why ? why : strerror(-r));
		guest_close(&g);
		return r;
	}
	/* The getty runs on its own: nothing more is asked, and the bus (which gets every signal
	 * of the guest's systemd) is not left to fill up while the user works. */
	guest_close_bus(&g);
	fprintf(stderr, "Connected to machine %s. Press ^] three times within 1s to exit session.\n",
		st->name);
	relay_terminal(g.master, watch_fd, true);
	guest_close(&g);
	fprintf(stderr, "\r\nConnection to machine %s terminated.\n", st->name);
	return 0;
}

/* The program and argv: the command, or the user's login shell from the tree's /etc/passwd
 * ("-bash" as argv[0], as login(1) starts it). -ENOENT: no such user in the tree. */
static int command_of(const struct machine_state *st, const struct shell_request *req, const char *user,
		      char **ret_path, char ***ret_argv)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)st->leader);
	_cleanup_close_ int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	_cleanup_(tree_user_done) struct tree_user u = { 0 };
	int r = tree_user_lookup(root, user, &u);
	if (r < 0)
		return r;
	if (req->command && req->command[0]) {
		*ret_argv = strv_copy(req->command);
		*ret_path = strdup(req->command[0]);
	} else {
		const char *sh = u.shell && *u.shell ? u.shell : "/bin/sh";
		const char *base = strrchr(sh, '/');
		*ret_path = strdup(sh);
		r = strv_push_take(ret_argv, xasprintf("-%s", base ? base + 1 : sh));
		if (r < 0)
			return r;
	}
	return *ret_path && *ret_argv ? 0 : -ENOMEM;
}

/* TERM on a terminal, then the --setenv= ones. */
static int service_env(bool tty, const struct shell_request *req, char ***ret)
{
	const char *term = getenv("TERM");
	int r = tty && term ? strv_push_take(ret, xasprintf("TERM=%s", term)) : 0;
	for (char **e = req->setenv; r >= 0 && e && *e; e++)
		r = strv_push(ret, *e);
	return r;
}

static void relay_pty(void *userdata)
{
	relay_terminal(*(int *)userdata, -1, false);
}

static char *unit_name(const struct guest *g)
{
	uint64_t id;
	if (g->master >= 0)
		return xasprintf("container-shell@%u.service", g->pty); /* machined's name */
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return NULL;
	return xasprintf("hako-shell-%016llx.service", (unsigned long long)id);
}

static int run_in_guest(struct guest *g, const struct machine_state *st, struct guest_service *svc,
			int *ret_status)
{
	_cleanup_free_ char *unit = unit_name(g), *tty = xasprintf("/dev/pts/%u", g->pty), *why = NULL;
	if (!unit || !tty)
		return log_errno(-ENOMEM, "out of memory"), EXIT_HAKO_FAILED;
	svc->unit = unit;
	svc->tty = tty;
	int r = guest_run_service(g, svc, g->master >= 0 ? relay_pty : NULL, &g->master, ret_status, &why);
	if (r < 0) {
		log_error("cannot run %s in %s through its systemd: %s", svc->path, st->name,
			  why ? why : strerror(-r));
		return EXIT_HAKO_FAILED;
	}
	if (*ret_status == SYSTEMD_EXIT_EXEC) {
		log_error("cannot execute %s in %s", svc->path, st->name);
		*ret_status = EXIT_HAKO_NOTFOUND;
	}
	return 0;
}

int session_shell(const struct machine_state *st, const struct shell_request *req, int *ret_status)
{
	/* A terminal on any of stdio gets a pty of the guest's, relayed, as machinectl shell
	 * gives one: the admin's terminal itself is never handed to the guest (TIOCSTI,
	 * bubblewrap's CVE-2017-5226). Without one the guest's service gets the pipes and files. */
	bool tty = isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO);
	const char *user = req->user ? req->user : "root";
	struct guest_service svc = { .user = user, .fds = { -1, -1, -1 } };
	_cleanup_free_ char *path = NULL;
	_cleanup_strv_free_ char **argv = NULL, **env = NULL;
	int r = command_of(st, req, user, &path, &argv);
	if (r == -ENOENT)
		return log_error("unknown user %s in the machine", user), EXIT_HAKO_USAGE;
	if (r < 0)
		return log_errno(r, "cannot look up %s in %s", user, st->name), EXIT_HAKO_FAILED;
	r = service_env(tty, req, &env);
	if (r < 0)
		return log_errno(r, "out of memory"), EXIT_HAKO_FAILED;
	struct guest g;
	r = guest_open(st->leader, tty ? GUEST_PTY : GUEST_NO_PTY, &g);
	if (r == -ENOMEDIUM)
		return r;
	if (r < 0)
		return log_errno(r, "cannot reach the systemd of %s", st->name), EXIT_HAKO_FAILED;
	for (int i = 0; i < 3 && !tty; i++)
		svc.fds[i] = i;
	svc.path = path;
	svc.argv = argv;
	svc.env = env;
	r = run_in_guest(&g, st, &svc, ret_status);
	guest_close(&g);
	return r;
}
