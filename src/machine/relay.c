#include "machine/relay.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

#define ESCAPE 0x1d /* ^] */

/* Copies everything, waiting while the (non-blocking) destination is full. */
static int copy_out(int fd, const char *buf, ssize_t len)
{
	for (ssize_t done = 0; done < len;) {
		ssize_t n = write(fd, buf + done, (size_t)(len - done));
		if (n >= 0) {
			done += n;
			continue;
		}
		if (errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			(void)poll(&p, 1, 1000);
		} else if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Counts ^] presses; true on the third within a second. */
static bool escaped(const char *buf, ssize_t n, unsigned *count, uint64_t *first)
{
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != ESCAPE)
			continue;
		uint64_t now = now_usec();
		if (*count == 0 || now - *first > 1000000) {
			*count = 0;
			*first = now;
		}
		if (++*count == 3)
			return true;
	}
	return false;
}

void relay_copy_winsize(int pty)
{
	struct winsize ws;
	/* The caller's terminal: stdin, or stdout where only that is one (as machinectl's). */
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(pty, TIOCSWINSZ, &ws);
}

int relay_terminal(int master, int watch_fd, bool detach_escape)
{
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGWINCH);
	sigprocmask(SIG_BLOCK, &s, &old);
	_cleanup_close_ int sigfd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	struct termios saved, raw;
	bool is_raw = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (is_raw) {
		raw = saved;
		cfmakeraw(&raw);
		is_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	relay_copy_winsize(master);
	unsigned count = 0;
	uint64_t first = 0;
	int result = 0;
	bool input = true;
	for (;;) {
		// clang-format off
		struct pollfd p[4] = {
			{ .fd = master, .events = POLLIN }, { .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },  { .fd = watch_fd, .events = POLLIN },
		};
		// clang-format on
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		char buf[4096];
		ssize_t n;
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
				break; /* EIO: the other side is closed */
			if (n > 0)
				(void)copy_out(STDOUT_FILENO, buf, n);
		}
		if (p[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				input = false;
			else if (detach_escape && escaped(buf, n, &count, &first)) {
				result = 1;
				break;
			} else
				(void)copy_out(master, buf, n);
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == sizeof(si))
				relay_copy_winsize(master);
		}
		if (p[3].revents)
			break;
	}
	if (is_raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return result;
}
