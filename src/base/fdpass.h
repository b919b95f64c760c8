/* One message over a unix socket (SOCK_SEQPACKET here) with at most one file descriptor riding
 * along (SCM_RIGHTS): the machine's control socket, and the start-up socket between hako and
 * the container's PID 1. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of data and fd (if >= 0). Returns 0 or a negative errno. */
int fd_send(int sock, const void *data, size_t len, int fd);
/* Receives one message into buf (up to size bytes), retrying on EINTR: its length (0 at EOF) or
 * a negative errno. A passed fd goes to *ret_fd (O_CLOEXEC) if ret_fd is non-NULL and *ret_fd
 * < 0, else it is closed. */
ssize_t fd_recv(int sock, void *buf, size_t size, int *ret_fd);
