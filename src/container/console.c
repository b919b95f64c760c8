#include "container/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"

#define ESCAPE_CHAR 0x1d /* ^] */
#define ESCAPE_COUNT 3
#define ESCAPE_WINDOW_USEC 1000000

int console_open(struct container *c)
{
	enum console_mode m = c->cfg->console;
	/* nspawn's autopipe: a pty only when both ends are a terminal, so that `hako run ... | less`
	 * or `> file` gets the command's own output, not a terminal's. */
	if (m == CONSOLE_AUTO)
		m = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
	c->console = m;
	if (m == CONSOLE_PIPE)
		return 0;
	c->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_master < 0)
		return log_errno(-errno, "cannot allocate a pty");
	char path[64];
	if (grantpt(c->pty_master) < 0)
		return log_errno(-errno, "cannot grant the pty");
	if (unlockpt(c->pty_master) < 0)
		return log_errno(-errno, "cannot unlock the pty");
	int r = ptsname_r(c->pty_master, path, sizeof(path));
	if (r != 0) /* it returns the error number */
		return log_errno(-r, "cannot name the pty");
	c->pty_path = strdup(path);
	if (!c->pty_path)
		return log_errno(-ENOMEM, "out of memory");
	c->pty_slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_slave < 0)
		return log_errno(-errno, "cannot open %s", path);
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(c->pty_master, TIOCSWINSZ, &ws);
	if (fcntl(c->pty_master, F_SETFL, O_NONBLOCK) < 0)
		return log_errno(-errno, "cannot set up the pty");
	return 0;
}

void console_close(struct container *c)
{
	if (c->pty_master >= 0)
		close(c->pty_master);
	if (c->pty_slave >= 0)
		close(c->pty_slave);
	c->pty_master = c->pty_slave = -1;
	free(c->pty_path);
	c->pty_path = NULL;
}

struct relay {
	struct container *c;
	bool raw; /* hako's terminal is in raw mode */
	struct termios saved;
	unsigned escapes; /* ^] seen within the window */
	uint64_t first_escape;
	bool killed_by_escape;
};

static void terminal_raw(struct relay *r)
{
	if (r->c->console != CONSOLE_INTERACTIVE || tcgetattr(STDIN_FILENO, &r->saved) < 0)
		return;
	struct termios raw = r->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		r->raw = true;
}

static void terminal_restore(struct relay *r)
{
	if (r->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &r->saved);
	r->raw = false;
}

/* Three ^] within one second kill the container, as with systemd-nspawn. */
static void scan_escapes(struct relay *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != ESCAPE_CHAR)
			continue;
		uint64_t now = now_usec();
		if (r->escapes == 0 || now - r->first_escape > ESCAPE_WINDOW_USEC) {
			r->escapes = 0;
			r->first_escape = now;
		}
		if (++r->escapes == ESCAPE_COUNT && !r->killed_by_escape) {
			r->killed_by_escape = true;
			container_kill(r->c, SIGKILL);
		}
	}
}

/* Copies what the container wrote; returns false once the pty is closed on its side. */
static bool pump_output(struct relay *r)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(r->c->pty_master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false; /* EIO: every slave fd is closed */
		if (r->c->console != CONSOLE_PASSIVE)
			(void)write_all(STDOUT_FILENO, buf, (size_t)n);
	}
}

static bool pump_input(struct relay *r)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	scan_escapes(r, buf, (size_t)n);
	(void)write_all(r->c->pty_master, buf, (size_t)n);
	return true;
}

static void forward_signal(struct container *c, int sig)
{
	if (sig == SIGWINCH) {
		struct winsize ws;
		if (c->pty_master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			(void)ioctl(c->pty_master, TIOCSWINSZ, &ws);
		return;
	}
	/* SIGTERM asks for an orderly stop: --kill-signal=, by default SIGRTMIN+3 for an init
	 * (systemd's "halt") and SIGTERM for a command, which the stub init forwards. SIGINT and
	 * SIGHUP reach a command as they are; an init takes them as a stop request too. */
	int to = sig;
	if (sig == SIGTERM || c->cfg->boot)
		to = c->cfg->kill_signal ? c->cfg->kill_signal : c->cfg->boot ? SIGRTMIN + 3 : SIGTERM;
	/* A command as PID 1 (--as-pid1) without --kill-signal= ends at once, as under nspawn,
	 * which then exits on SIGTERM: a shell as PID 1 would never see the SIGTERM. */
	if (sig == SIGTERM && !c->cfg->kill_signal && c->cfg->process_mode == PROCESS_AS_PID1)
		to = SIGKILL;
	container_kill(c, to);
}

/* Returns true when the container has exited. */
static bool handle_signals(struct container *c, int sigfd)
{
	struct signalfd_siginfo si;
	bool exited = false;
	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			exited = container_try_reap(c) != 0 || exited;
		else
			forward_signal(c, (int)si.ssi_signo);
	}
	return exited || c->reaped;
}

int container_foreground(struct container *c, int sigfd)
{
	struct relay r = { .c = c };
	bool pty = c->pty_master >= 0, input = c->console == CONSOLE_INTERACTIVE;
	int status;
	terminal_raw(&r);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = pty ? c->pty_master : -1, .events = POLLIN },
			{ .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents && !pump_output(&r))
			pty = false;
		if (p[2].revents && !pump_input(&r))
			input = false;
		if (p[0].revents && handle_signals(c, sigfd))
			break;
	}
	if (c->pty_master >= 0)
		(void)pump_output(&r); /* what the container wrote last */
	terminal_restore(&r);
	if (container_wait(c, &status) < 0)
		status = 126;
	if (r.killed_by_escape)
		log_info("Container %s terminated by ^].", c->name);
	return status;
}
