/* Doing things inside another network namespace from hako's (single) thread: switch the calling
 * thread into it, act, switch back. Sockets keep the namespace they were made in, so an rtnetlink
 * socket made while switched works there after the switch back. */
#pragma once

/* Opens a network namespace file (/run/netns/NAME, /proc/PID/ns/net) O_CLOEXEC, checking its
 * type. -EINVAL if it is not a network namespace. */
int netns_open(const char *path);
/* Moves the calling thread into netns_fd; *ret_saved gets an fd of the namespace it was in. */
int netns_enter(int netns_fd, int *ret_saved);
/* Returns to the saved namespace and closes saved. Failing to get back is fatal (abort): the
 * thread would go on acting in the wrong namespace. */
void netns_leave(int saved);

/* Writes value to /proc/sys/KEY ("net/ipv4/ip_forward") as seen from netns_fd (-1: the current
 * namespace). /proc/sys/net resolves the namespace of whoever opens the file. */
int sysctl_write(int netns_fd, const char *key, const char *value);
