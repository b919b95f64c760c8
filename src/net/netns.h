/* Doing things inside another network namespace from hako's (single) thread: switch the calling
 * thread into it, act, switch back. Sockets keep the namespace they were made in, so an rtnetlink
 * socket made while switched works there after the switch back. */
#pragma once
#include <stdbool.h>

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

/* An fd of /proc/sys/net as the current namespace sees it, for sysctl_write_at() while in that
 * namespace. Looking up "net" under /proc/sys costs more with every namespace on the host (every
 * namespace's "net" dentry hashes alike: proc_sys_compare walks them all), so a caller writing
 * several sysctls of a namespace looks it up once (issue 21). The fd does not pin the namespace:
 * a sysctl is resolved by the namespace the writer is in (a lookup through it from another
 * namespace writes that one's), and its entries are then cached under the fd's own "net". */
int sysctl_net_open(void);

/* sysctl_net_open() for many new namespaces in a row: the lookup of "net" walks the "net" of
 * every namespace looked up before through the same procfs instance, so one that opens
 * /proc/sys/net of each of 1500 namespaces walks a million entries (a third of a 1000-node lab's
 * up, issue 21). This one looks them up through a private procfs instance (a detached mount,
 * seen by no one), a new one every few dozen namespaces. Starts as SYSCTL_OPENER_INIT; falls
 * back to /proc where procfs cannot be mounted. */
struct sysctl_opener {
	int proc;      /* the detached procfs mount, or -1 */
	unsigned used; /* namespaces looked up through it */
	bool failed;   /* no procfs of our own: /proc */
};
#define SYSCTL_OPENER_INIT \
	{                  \
		.proc = -1 \
	}
int sysctl_net_open_fresh(struct sysctl_opener *o);
void sysctl_opener_done(struct sysctl_opener *o);
/* Writes value to /proc/sys/KEY ("net/ipv4/ip_forward") through net_dir (sysctl_net_open), in the
 * namespace the caller is in, which must be net_dir's: see sysctl_net_open(). */
int sysctl_write_at(int net_dir, const char *key, const char *value);
