/* The supervisor of one machine: a process of its own (double fork, own session) that starts
 * the container, holds its console pty (passive: drained while nobody is logged in), its
 * cgroup and network through the container library, and answers the control socket. It cleans
 * up however the machine ends; if the supervisor itself is SIGKILLed, PID 1 dies with it
 * (PDEATHSIG) and the next hako list, or command on that machine, collects the rest. */
#include "machine/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/isolation.h"
#include "container/options.h"
#include "machine/console_log.h"
#include "machine/control.h"
#include "machine/info.h"
#include "machine/machine.h"
#include "machine/notify.h"

#define MAX_CLIENTS 32
#define DEFAULT_STOP_TIMEOUT_S 10
/* When hako start returns. machinectl start returns once nspawn's unit has started, and nspawn
 * (Type=notify) says READY=1 as soon as the container's init has been exec'd: an init that dies
 * a moment later leaves a failed unit behind a start that succeeded. hako knows the same moment
 * (container_start returns once PID 1's execve succeeded: a failed execve fails it with the
 * exec error), then watches PID 1 a little longer, so that an init that cannot start fails hako
 * start with its console's last lines instead of reporting a machine that is gone at once.
 * Measured after the exec, on the 2-core test machine (set-up 9-15 ms, 120 ms cold): a program
 * missing a library dies within 1-3 ms, a script that exits within 3 ms, a Debian systemd that
 * cannot mount its cgroups within 17-21 ms: each is pure start-up work of the same kind as
 * hako's own set-up of the container (system calls, page faults, file reads), and scales with
 * the machine like it (several times slower under TCG, or under load). So the window is
 * START_CHECK_FACTOR times the set-up this start took (about twice the systemd case's ratio),
 * never under START_CHECK_MIN_MS (2.5 times that systemd's death on a warm, fast start) nor over
 * START_CHECK_MAX_MS (a set-up slowed by something else, such as a D-Bus peer, says less about
 * the init). The fixed grace of before, 500 ms, cost every start its whole length. */
#define START_CHECK_FACTOR 4
#define START_CHECK_MIN_MS 50
#define START_CHECK_MAX_MS 1000
/* The console lines `hako start` shows when PID 1 ended during start-up. */
#define START_FAILURE_LINES 10
/* --notify-ready=yes: how long hako start waits for READY=1, systemd's DefaultTimeoutStartSec. */
#define NOTIFY_TIMEOUT_S 90
/* Where the init finds the notify socket, as under nspawn. */
#define NOTIFY_SOCKET_IN_MACHINE "/run/host/notify"

struct supervisor {
	struct run_config *cfg;
	struct container *c;
	struct machine_state st;
	int sigfd, listen_fd, timer_fd;
	int notify_fd; /* --notify-ready: where READY=1 arrives, until it has; else -1 */
	int clients[MAX_CLIENTS];
	int login_fd;       /* the client holding the console, or -1 */
	bool console_gone;  /* nobody has the pty's slave open any more */
	bool stopping;      /* the machine is to end, not be restarted */
	bool rebooting;     /* restart it once PID 1 is gone */
	bool accept_paused; /* out of fds (EMFILE): clients wait in the backlog until one leaves */
	struct console_log log;
	uint64_t setup_usec; /* how long the last container_start took, until PID 1's exec */
};

static int block_signals(void)
{
	static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, 0 };
	signal(SIGPIPE, SIG_IGN);
	return signalfd_blocking(handled);
}

static int listen_control(const char *name)
{
	_cleanup_free_ char *path = machine_path(name, "control");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path)
		return -ENOMEM;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	(void)unlink(path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(path, 0600) < 0)
		return -errno;
	if (listen(fd, 16) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* The state file, replaced atomically so readers never see half of it. */
static int write_state(const struct machine_state *st)
{
	_cleanup_free_ char *text = NULL, *path = machine_path(st->name, "state"),
			    *tmp = machine_path(st->name, "state.new");
	if (!path || !tmp)
		return -ENOMEM;
	int r = machine_state_format(st, &text);
	if (r < 0)
		return r;
	r = write_file(tmp, text, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return r;
	if (rename(tmp, path) < 0)
		return -errno;
	return r;
}

enum pick { PICK_ALL, PICK_ADDS, PICK_REMOVALS };

/* words as one space separated list, for the state file. Of --system-call-filter= values,
 * PICK_ADDS/PICK_REMOVALS keep one kind (removals have a leading "~", dropped here): the request
 * is only ever the union of each kind. */
static char *join_words(char *const *words, enum pick pick)
{
	char *list = strdup("");
	for (char *const *w = words; list && w && *w; w++) {
		bool removal = **w == '~';
		if (pick != PICK_ALL && removal != (pick == PICK_REMOVALS))
			continue;
		char *more = xasprintf("%s%s%s", list, *list ? " " : "", *w + (pick == PICK_REMOVALS));
		free(list);
		list = more;
	}
	return list;
}

/* The temporary bind sources, for the collector when the supervisor dies (machine.c: reclaim). */
static char *temp_bind_list(const struct run_config *cfg)
{
	_cleanup_strv_free_ char **v = NULL;
	for (unsigned i = 0; i < cfg->n_binds; i++)
		if (cfg->binds[i].temporary && cfg->binds[i].source &&
		    strv_push(&v, cfg->binds[i].source) < 0)
			return NULL;
	return join_words(v, PICK_ALL);
}

static int record_state(struct supervisor *s)
{
	struct container *c = s->c;
	struct machine_state *st = &s->st;
	char exe[64], target[PATH_MAX];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)c->pid);
	ssize_t n = readlink(exe, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	const char *cg = isolation_cgroup_path(c);
	machine_state_done(st);
	/* cfg->machine, not c->name: an --ephemeral container's name has a random suffix, but its
	 * lock, control socket and state live under the name it was started as. */
	st->name = strdup(s->cfg->machine);
	st->uuid = strdup(c->uuid);
	st->root = strdup(c->root);
	st->init = strdup(s->cfg->boot ? target : "");
	st->cgroup = strdup(cg ? cg : "");
	st->netns = strdup(s->cfg->net.namespace_path ? s->cfg->net.namespace_path : "");
	st->seccomp_add = join_words(s->cfg->iso.syscall_filter, PICK_ADDS);
	st->seccomp_remove = join_words(s->cfg->iso.syscall_filter, PICK_REMOVALS);
	_cleanup_strv_free_ char **cgroups = NULL;
	int r = isolation_cgroup_paths(c, &cgroups);
	if (r < 0)
		return r;
	st->cgroups = join_words(cgroups, PICK_ALL);
	st->temp_binds = temp_bind_list(s->cfg);
	if (!st->name || !st->uuid || !st->root || !st->init || !st->cgroup || !st->netns ||
	    !st->seccomp_add || !st->seccomp_remove || !st->cgroups || !st->temp_binds)
		return -ENOMEM;
	st->caps = c->caps;
	st->no_new_privs = s->cfg->iso.no_new_privileges;
	st->leader = c->pid;
	st->supervisor = getpid();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	st->since_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	/* A command as PID 1 stops as under nspawn without --kill-signal=: killed at once. */
	int kill_signal = s->cfg->kill_signal;
	if (!kill_signal && s->cfg->process_mode == PROCESS_AS_PID1)
		kill_signal = SIGKILL;
	machine_init_signals(s->cfg->boot ? st->init : NULL, kill_signal, &st->poweroff_signal,
			     &st->reboot_signal);
	return write_state(st);
}

static int start_container(struct supervisor *s, int *ret_exit)
{
	uint64_t begin = now_usec();
	int r = container_start(s->cfg, &s->c, ret_exit);
	if (r < 0)
		return r;
	s->setup_usec = now_usec() - begin;
	s->console_gone = false;
	r = record_state(s);
	if (r < 0) {
		*ret_exit = EXIT_HAKO_FAILED;
		return log_errno(r, "cannot write the state of %s", s->c->name);
	}
	return 0;
}

static void arm_timer(struct supervisor *s, int seconds)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds > 0 ? seconds : 1 } };
	(void)timerfd_settime(s->timer_fd, 0, &its, NULL);
}

static void request_stop(struct supervisor *s, int timeout_s)
{
	if (!s->stopping)
		container_kill(s->c, s->st.poweroff_signal);
	s->stopping = true;
	arm_timer(s, timeout_s);
}

static void kill_all(struct supervisor *s, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (s->st.cgroup && *s->st.cgroup && machine_cgroup_pids(s->st.cgroup, &pids, &n) >= 0)
		for (size_t i = 0; i < n; i++)
			kill(pids[i], sig);
	else
		container_kill(s->c, sig);
}

/* Returns the reply; *pass_fd gets an fd to send with it. Clients stay connected until they
 * hang up: one that asked for a stop waits for the supervisor to exit. */
static const char *handle_request(struct supervisor *s, int client, const struct control_request *req,
				  int *pass_fd)
{
	switch (req->verb) {
	case CTL_POWEROFF:
		request_stop(s, req->arg);
		return "ok";
	case CTL_TERMINATE:
		s->stopping = true;
		container_kill(s->c, SIGKILL);
		return "ok";
	case CTL_REBOOT:
		if (s->stopping)
			return "error the machine is shutting down";
		s->rebooting = true;
		container_kill(s->c, s->st.reboot_signal ? s->st.reboot_signal : s->st.poweroff_signal);
		if (!s->st.reboot_signal)
			arm_timer(s, DEFAULT_STOP_TIMEOUT_S);
		return "ok";
	case CTL_KILL:
		return container_kill(s->c, req->arg) < 0 ? "error cannot send the signal" : "ok";
	case CTL_KILL_ALL:
		kill_all(s, req->arg);
		return "ok";
	case CTL_LOGIN:
		if (s->login_fd >= 0)
			return "error the console is in use by another login";
		if (s->c->pty_master < 0)
			return "error the machine has no console";
		s->login_fd = client;
		*pass_fd = s->c->pty_master;
		return "ok";
	default:
		return "error unknown request";
	}
}

static void drop_client(struct supervisor *s, int i)
{
	if (s->clients[i] == s->login_fd)
		s->login_fd = -1;
	close(s->clients[i]);
	s->clients[i] = -1;
	s->accept_paused = false; /* an fd is free again */
}

static void serve_client(struct supervisor *s, int i)
{
	char buf[CONTROL_MSG_MAX];
	ssize_t n = recv(s->clients[i], buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(s, i);
		return;
	}
	struct control_request req;
	int pass = -1;
	const char *reply = control_parse(buf, (size_t)n, &req) < 0
				    ? "error malformed request"
				    : handle_request(s, s->clients[i], &req, &pass);
	(void)control_send(s->clients[i], reply, pass);
}

static void accept_clients(struct supervisor *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* Out of fds, the socket stays readable: it is not polled until a client
			 * leaves (the waiting ones stay in its backlog). */
			if (errno == EMFILE || errno == ENFILE)
				s->accept_paused = true;
			return;
		}
		size_t i;
		for (i = 0; i < MAX_CLIENTS && s->clients[i] >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			(void)control_send(fd, "error too many clients", -1);
			close(fd);
			continue;
		}
		s->clients[i] = fd;
	}
}

/* Nobody is logged in: the console's output goes to the machine's log, so the machine never
 * blocks on it and what it said outlives it. */
static void drain_console(struct supervisor *s)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(s->c->pty_master, buf, sizeof(buf))) > 0)
		if (s->log.fd >= 0)
			(void)console_log_append(&s->log, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		s->console_gone = true;
}

/* A line of the supervisor's own in the machine's log, with the time: where a boot begins and
 * how it ended, among the console's lines. Written whatever -q says. */
static void log_event(struct supervisor *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_event(struct supervisor *s, const char *fmt, ...)
{
	char when[32], what[256];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	_cleanup_free_ char *line = xasprintf("-- %s hako: %s --\n", when, what);
	if (line && s->log.fd >= 0)
		(void)console_log_append(&s->log, line, strlen(line));
}

/* How PID 1 ended, for people: "exited with status 3", "was killed by signal SIGKILL". */
static void describe_end(const struct container *c, char *buf, size_t size)
{
	const char *name = c->term_signal ? sigabbrev_np(c->term_signal) : NULL;
	if (name)
		snprintf(buf, size, "was killed by signal SIG%s", name);
	else if (c->term_signal)
		snprintf(buf, size, "was killed by signal %d", c->term_signal);
	else
		snprintf(buf, size, "exited with status %d", c->status);
}

/* PID 1 is gone. Returns true when the machine is to be started again (a reboot). */
static bool machine_ended(struct supervisor *s)
{
	/* An init that calls reboot(2) in its PID namespace dies of SIGHUP (poweroff: SIGINT). */
	bool reboot = !s->stopping && (s->rebooting || s->c->status == 128 + SIGHUP);
	char how[64];
	describe_end(s->c, how, sizeof(how));
	log_event(s, "machine %s ended: PID 1 %s%s", s->st.name, how, reboot ? "; restarting" : "");
	return reboot;
}

static bool restart(struct supervisor *s)
{
	container_free(s->c);
	s->c = NULL;
	s->rebooting = false;
	s->login_fd = -1; /* the old console is gone with the old container */
	struct itimerspec off = { 0 };
	(void)timerfd_settime(s->timer_fd, 0, &off, NULL);
	int code;
	if (start_container(s, &code) < 0)
		return false;
	log_event(s, "machine %s started again, PID 1 is %d", s->cfg->machine, (int)s->c->pid);
	return true;
}

/* Returns false when the supervisor is done. */
static bool handle_signals(struct supervisor *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			request_stop(s, DEFAULT_STOP_TIMEOUT_S);
			continue;
		}
		if (container_try_reap(s->c) == 1)
			return machine_ended(s) && restart(s);
	}
	return true;
}

/* The fds the loop waits on: the fixed ones, then only the clients connected (slot[] says
 * whose), so that the set stays within a low RLIMIT_NOFILE: poll(2) refuses more entries than
 * the limit with EINVAL, and under `ulimit -n 32` the machine died at once (issue 18.7). */
enum { POLL_SIGNALS, POLL_CONTROL, POLL_TIMER, POLL_CONSOLE, POLL_FIXED };

static nfds_t poll_set(const struct supervisor *s, struct pollfd *p, int *slot)
{
	bool drain = s->login_fd < 0 && !s->console_gone && s->c->pty_master >= 0;
	p[POLL_SIGNALS] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	p[POLL_CONTROL] = (struct pollfd){ .fd = s->accept_paused ? -1 : s->listen_fd, .events = POLLIN };
	p[POLL_TIMER] = (struct pollfd){ .fd = s->timer_fd, .events = POLLIN };
	p[POLL_CONSOLE] = (struct pollfd){ .fd = drain ? s->c->pty_master : -1, .events = POLLIN };
	nfds_t n = POLL_FIXED;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i] >= 0) {
			slot[n] = i;
			p[n++] = (struct pollfd){ .fd = s->clients[i], .events = POLLIN };
		}
	return n;
}

static void loop(struct supervisor *s)
{
	for (;;) {
		struct pollfd p[POLL_FIXED + MAX_CLIENTS];
		int slot[POLL_FIXED + MAX_CLIENTS];
		nfds_t n = poll_set(s, p, slot);
		if (poll(p, n, -1) < 0 && errno != EINTR) {
			log_event(s, "machine %s: the supervisor cannot wait for events (%s); killing it",
				  s->st.name, strerror(errno));
			return;
		}
		if (p[POLL_SIGNALS].revents && !handle_signals(s))
			return;
		if (p[POLL_TIMER].revents) {
			uint64_t ticks;
			(void)read(s->timer_fd, &ticks, sizeof(ticks));
			container_kill(s->c, SIGKILL); /* asked politely, waited long enough */
		}
		if (p[POLL_CONSOLE].revents)
			drain_console(s);
		if (p[POLL_CONTROL].revents)
			accept_clients(s);
		for (nfds_t k = POLL_FIXED; k < n; k++)
			if (p[k].revents && s->clients[slot[k]] >= 0)
				serve_client(s, slot[k]);
	}
}

static void remove_runtime_dir(const char *name)
{
	_cleanup_free_ char *dir = machine_path(name, NULL);
	if (dir)
		(void)rm_rf(dir);
}

/* Stdin and stdout to /dev/null at once (a caller reading hako start's output must see EOF);
 * stderr still reaches the user until the machine runs, then goes to the machine's log. */
static int detach_stdio(void)
{
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	if (dup2(null, STDIN_FILENO) < 0)
		return -errno;
	if (dup2(null, STDOUT_FILENO) < 0)
		return -errno;
	return 0;
}

/* PID 1 was reaped while hako start waits for it (a stop asked for meanwhile is carried out). */
static bool reaped_while_starting(struct supervisor *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD)
			request_stop(s, DEFAULT_STOP_TIMEOUT_S);
		else if (container_try_reap(s->c) == 1)
			return true;
	}
	return false;
}

/* --notify-ready=yes: a datagram socket in the machine's runtime directory, bound into it at
 * /run/host/notify and named by NOTIFY_SOCKET, on which the init (systemd) says READY=1 once it
 * has booted. Writable by anyone who reaches it: the machine's root is an unmapped uid on the
 * host with a user namespace; only root can reach the directory it is in. */
static int setup_notify(struct supervisor *s)
{
	if (!s->cfg->notify_ready)
		return 0;
	if (!s->cfg->boot) {
		log_error("--notify-ready=yes needs a booted init (Boot=no runs a command)");
		return -EINVAL;
	}
	_cleanup_free_ char *path = machine_path(s->cfg->machine, "notify");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	if (strlen(path) >= sizeof(sa.sun_path))
		return log_errno(-ENAMETOOLONG, "cannot make the notify socket %s", path);
	strcpy(sa.sun_path, path);
	(void)unlink(path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_errno(-errno, "cannot make the notify socket %s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_errno(-errno, "cannot bind the notify socket %s", path);
	if (chmod(path, 0666) < 0)
		return log_errno(-errno, "cannot open the notify socket %s to the machine", path);
	_cleanup_free_ char *bind_spec = xasprintf("%s:" NOTIFY_SOCKET_IN_MACHINE, path);
	const char *why = "out of memory";
	int r = bind_spec ? run_config_add_bind(s->cfg, bind_spec, false, &why) : -ENOMEM;
	if (r < 0)
		return log_error("cannot bind the notify socket %s: %s", path, why), r;
	r = strv_push(&s->cfg->setenv, "NOTIFY_SOCKET=" NOTIFY_SOCKET_IN_MACHINE);
	if (r < 0)
		return log_error("cannot bind the notify socket %s: %s", path, why), r;
	s->notify_fd = TAKE_FD(fd);
	return 0;
}

/* Reads what arrived on the notify socket: whether one datagram says READY=1. */
static bool notified_ready(struct supervisor *s)
{
	char buf[4096];
	ssize_t n;
	bool ready = false;
	while ((n = recv(s->notify_fd, buf, sizeof(buf), 0)) >= 0)
		ready |= notify_says_ready(buf, (size_t)n);
	return ready;
}

/* How long PID 1, exec'd, is watched before hako start returns (see START_CHECK_FACTOR). */
static uint64_t start_check_usec(const struct supervisor *s)
{
	uint64_t usec = s->setup_usec * START_CHECK_FACTOR;
	if (usec < START_CHECK_MIN_MS * UINT64_C(1000))
		return START_CHECK_MIN_MS * UINT64_C(1000);
	if (usec > START_CHECK_MAX_MS * UINT64_C(1000))
		return START_CHECK_MAX_MS * UINT64_C(1000);
	return usec;
}

/* Waits for PID 1 to show it runs, its console going to the log meanwhile: start_check_usec(),
 * or with --notify-ready until READY=1 (NOTIFY_TIMEOUT_S at most). 0 if it runs, -ECHILD if it
 * ended, -ETIME if it never said it was ready. */
static int await_running(struct supervisor *s)
{
	bool notify = s->notify_fd >= 0;
	uint64_t deadline =
		now_usec() + (notify ? NOTIFY_TIMEOUT_S * UINT64_C(1000000) : start_check_usec(s));
	for (uint64_t now = now_usec(); now < deadline; now = now_usec()) {
		struct pollfd p[3] = {
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = s->console_gone ? -1 : s->c->pty_master, .events = POLLIN },
			{ .fd = s->notify_fd, .events = POLLIN },
		};
		if (poll(p, 3, (int)((deadline - now + 999) / 1000)) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			drain_console(s);
		if (p[0].revents && reaped_while_starting(s)) {
			drain_console(s); /* its last words */
			return -ECHILD;
		}
		if (p[2].revents && notified_ready(s))
			return 0;
	}
	return notify ? -ETIME : 0;
}

/* PID 1 ended during start-up: the log says so, and so does hako start, on the caller's
 * stderr (user_err, which this closes), with the console's last lines. */
static void report_start_failure(struct supervisor *s, int user_err)
{
	char how[64];
	describe_end(s->c, how, sizeof(how));
	log_event(s, "machine %s stopped while starting: PID 1 %s", s->cfg->machine, how);
	_cleanup_fclose_ FILE *out = fdopen(user_err, "w");
	if (!out) {
		close(user_err);
		return;
	}
	fprintf(out,
		"hako: machine %s stopped while starting: PID 1 %s; its console's last lines (hako log %s):\n",
		s->cfg->machine, how, s->cfg->machine);
	(void)console_log_show(s->cfg->machine, START_FAILURE_LINES, out);
}

/* --notify-ready: the init never said READY=1. The machine is stopped, as systemd stops a
 * service that does not start in time, and hako start says so on user_err (closed here). */
static void report_not_ready(struct supervisor *s, int user_err)
{
	log_event(s, "machine %s did not report READY=1 within %d s; stopping it", s->cfg->machine,
		  NOTIFY_TIMEOUT_S);
	container_kill(s->c, SIGKILL);
	int status;
	(void)container_wait(s->c, &status);
	_cleanup_fclose_ FILE *out = fdopen(user_err, "w");
	if (!out) {
		close(user_err);
		return;
	}
	fprintf(out,
		"hako: machine %s did not report READY=1 within %d s (--notify-ready=yes); it was stopped (hako log %s)\n",
		s->cfg->machine, NOTIFY_TIMEOUT_S, s->cfg->machine);
}

/* Starts the machine and waits until it runs: 0, or hako start's exit status. */
static int start_machine(struct supervisor *s)
{
	int code = EXIT_HAKO_FAILED;
	_cleanup_close_ int user_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (user_err < 0)
		return log_errno(-errno, "cannot set up the supervisor of %s", s->cfg->machine), code;
	if (setup_notify(s) < 0)
		return EXIT_HAKO_USAGE;
	if (start_container(s, &code) < 0)
		return code;
	int r = console_log_open(s->cfg->machine, true, &s->log);
	if (r < 0)
		return log_errno(r, "cannot open the log of %s", s->cfg->machine), EXIT_HAKO_FAILED;
	log_event(s, "machine %s started, PID 1 is %d", s->cfg->machine, (int)s->c->pid);
	r = await_running(s);
	if (s->notify_fd >= 0)
		close(s->notify_fd); /* later news of the init's is not waited for */
	s->notify_fd = -1;
	if (r == -ECHILD)
		report_start_failure(s, TAKE_FD(user_err));
	else if (r == -ETIME)
		report_not_ready(s, TAKE_FD(user_err));
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

/* Start-up ran most of hako and libc; the loop needs a few pages of it. Dropping the page table
 * entries of read-only file mappings leaves the RSS to what the loop touches: a page used again
 * is faulted back from the page cache. Only mappings with no private (Anonymous) pages qualify:
 * relocated read-only data (RELRO) was written before it was made read-only, and dropping it
 * would bring back the file's unrelocated bytes. */
static void trim_resident_code(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
	char line[512], perms[8] = "";
	unsigned long lo = 0, hi = 0, anon;
	bool special = false; /* [vdso], [vvar], [vsyscall]: the kernel's, not a file's */
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3) {
			lo = a;
			hi = b;
			special = strstr(line, "[v") != NULL;
		} else if (sscanf(line, "Anonymous: %lu kB", &anon) == 1 && anon == 0 && !special &&
			   perms[1] == '-' && perms[3] == 'p')
			(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
}

/* Its signals, control socket and timer, and stdin and stdout on /dev/null. Logs. */
static int set_up(struct supervisor *s, const char *machine)
{
	s->sigfd = block_signals();
	if (s->sigfd < 0)
		return log_errno(s->sigfd, "cannot take the signals of the supervisor of %s", machine);
	s->listen_fd = listen_control(machine);
	if (s->listen_fd < 0)
		return log_errno(s->listen_fd, "cannot make the control socket of %s", machine);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer_fd < 0)
		return log_errno(-errno, "cannot make the timer of the supervisor of %s", machine);
	int r = detach_stdio();
	if (r < 0)
		return log_errno(r, "cannot detach the supervisor of %s from the terminal", machine);
	return 0;
}

/* set_up, the temporary binds (kept across reboots, as nspawn's), then the machine: hako's exit
 * status for hako start. */
static int set_up_and_start(struct supervisor *s)
{
	if (set_up(s, s->cfg->machine) < 0)
		return EXIT_HAKO_FAILED;
	if (run_config_make_temp_binds(s->cfg) < 0)
		return EXIT_HAKO_FAILED;
	return start_machine(s);
}

static int supervise(struct run_config *cfg, int ready_fd)
{
	struct supervisor s = { .cfg = cfg, .login_fd = -1, .notify_fd = -1, .log = { .fd = -1 } };
	for (int i = 0; i < MAX_CLIENTS; i++)
		s.clients[i] = -1;
	cfg->console = CONSOLE_PASSIVE;
	cfg->iso.limits.accounting = true; /* hako status shows its memory and tasks */
	int code = set_up_and_start(&s);
	(void)write(ready_fd, &code, sizeof(code));
	close(ready_fd);
	if (code == 0) {
		(void)chdir("/");
		malloc_trim(0); /* start-up's allocations are done with: keep the RSS small */
		trim_resident_code();
		loop(&s);
	}
	container_free(s.c);
	run_config_remove_temp_binds(cfg);
	remove_runtime_dir(cfg->machine);
	machine_state_done(&s.st);
	console_log_close(&s.log);
	return code; /* the clients' connections close with this process: "stopped" */
}

int supervisor_start(struct run_config *cfg, int lock_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return log_errno(-errno, "cannot create a pipe"), EXIT_HAKO_FAILED;
	pid_t pid = fork();
	if (pid < 0)
		return log_errno(-errno, "cannot fork the supervisor"), EXIT_HAKO_FAILED;
	if (pid == 0) {
		close(p[0]);
		/* Nothing of `hako start`'s caller (a test harness's pipes, a terminal) may stay open
		 * in a process that lives on. */
		close_fds_except((int[]){ lock_fd, p[1] }, 2);
		if (setsid() < 0)
			_exit(EXIT_HAKO_FAILED);
		pid_t g = fork();
		if (g != 0)
			_exit(g < 0 ? EXIT_HAKO_FAILED : 0);
		_exit(supervise(cfg, p[1]));
	}
	close(p[1]);
	int st, code;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	ssize_t n;
	do
		n = read(p[0], &code, sizeof(code));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	return n == sizeof(code) ? code : EXIT_HAKO_FAILED;
}
