/* The control socket of a machine's supervisor ($HAKO_RUNTIME_DIR/machines/NAME/control,
 * SOCK_SEQPACKET): a request is one message "VERB [NUMBER]", the reply one message "ok" or
 * "error TEXT"; the reply to "login" carries the console's pty master (SCM_RIGHTS). A client
 * that asked to stop the machine keeps its connection: it ends when the supervisor has cleaned
 * up and exited. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum control_verb {
	CTL_POWEROFF, /* NUMBER: seconds before SIGKILL */
	CTL_REBOOT,
	CTL_TERMINATE,
	CTL_KILL,     /* NUMBER: the signal, to PID 1 */
	CTL_KILL_ALL, /* NUMBER: the signal, to every process of the machine */
	CTL_LOGIN,
	_CTL_MAX,
};

struct control_request {
	enum control_verb verb;
	int arg;
};

#define CONTROL_MSG_MAX 256

int control_parse(const char *msg, size_t len, struct control_request *ret);
int control_format(const struct control_request *req, char buf[CONTROL_MSG_MAX]);

/* Client side. control_call sends req and waits for the reply: 0, or -EIO after logging the
 * supervisor's error; *ret_fd (if non-NULL) gets a passed fd or -1. */
int control_connect(const char *name);
int control_call(int fd, const char *name, const struct control_request *req, int *ret_fd);
/* Waits until the supervisor closes the connection (it exited): 0, or -ETIMEDOUT. */
int control_wait_closed(int fd, uint64_t timeout_usec);

/* Sends a message, with fd attached when fd >= 0. */
int control_send(int sock, const char *msg, int fd);
/* Receives one message (NUL-terminated into buf) and the fd passed with it, if any, into *ret_fd
 * when that is -1. Returns the length or a negative errno. */
#include <sys/types.h>
ssize_t control_recv(int sock, char *buf, size_t size, int *ret_fd);
