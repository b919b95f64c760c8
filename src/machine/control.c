#include "machine/control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/machine.h"

static const struct {
	const char *name;
	bool has_arg;
	// clang-format off
} verbs[_CTL_MAX] = {
	[CTL_POWEROFF] = { "poweroff", true }, [CTL_REBOOT] = { "reboot", false },
	[CTL_TERMINATE] = { "terminate", false }, [CTL_KILL] = { "kill", true },
	[CTL_KILL_ALL] = { "kill-all", true }, [CTL_LOGIN] = { "login", false },
};
// clang-format on

int control_parse(const char *msg, size_t len, struct control_request *ret)
{
	char buf[CONTROL_MSG_MAX];
	if (len == 0 || len >= sizeof(buf) || memchr(msg, 0, len))
		return -EBADMSG;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	char *arg = strchr(buf, ' ');
	if (arg)
		*arg++ = '\0';
	for (int v = 0; v < _CTL_MAX; v++) {
		if (!streq(verbs[v].name, buf))
			continue;
		if (verbs[v].has_arg != (arg != NULL))
			return -EBADMSG;
		ret->verb = (enum control_verb)v;
		ret->arg = 0;
		if (arg && (parse_int(arg, &ret->arg) < 0 || ret->arg < 0))
			return -EBADMSG;
		return 0;
	}
	return -EBADMSG;
}

int control_format(const struct control_request *req, char buf[CONTROL_MSG_MAX])
{
	if (req->verb >= _CTL_MAX)
		return -EINVAL;
	if (verbs[req->verb].has_arg)
		snprintf(buf, CONTROL_MSG_MAX, "%s %d", verbs[req->verb].name, req->arg);
	else
		snprintf(buf, CONTROL_MSG_MAX, "%s", verbs[req->verb].name);
	return 0;
}

int control_send(int sock, const char *msg, int fd)
{
	return fd_send(sock, msg, strlen(msg), fd);
}

ssize_t control_recv(int sock, char *buf, size_t size, int *ret_fd)
{
	ssize_t n = fd_recv(sock, buf, size - 1, ret_fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int control_connect(const char *name)
{
	_cleanup_free_ char *path = machine_path(name, "control");
	if (!path)
		return -ENOMEM;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int control_call(int fd, const char *name, const struct control_request *req, int *ret_fd)
{
	char msg[CONTROL_MSG_MAX];
	if (ret_fd)
		*ret_fd = -1;
	int r = control_format(req, msg);
	if (r < 0)
		return log_errno(r, "cannot talk to the supervisor of %s", name);
	r = control_send(fd, msg, -1);
	if (r < 0)
		return log_errno(r, "cannot talk to the supervisor of %s", name);
	ssize_t n = control_recv(fd, msg, sizeof(msg), ret_fd);
	if (n <= 0)
		return log_errno(n < 0 ? (int)n : -ECONNRESET, "no answer from the supervisor of %s", name);
	if (streq(msg, "ok"))
		return 0;
	log_error("%s: %s", name, startswith(msg, "error ") ? msg + 6 : msg);
	if (ret_fd && *ret_fd >= 0) {
		close(*ret_fd);
		*ret_fd = -1;
	}
	return -EIO;
}

int control_wait_closed(int fd, uint64_t timeout_usec)
{
	uint64_t deadline = now_usec() + timeout_usec;
	for (;;) {
		uint64_t now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)((deadline - now) / 1000) + 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		char buf[CONTROL_MSG_MAX];
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return 0;
	}
}
