/* Network hooks of the start-up sequence (src/container/container.h): the host's network by
 * default (like nspawn), --private-network (a new namespace with lo up) or
 * --network-namespace-path= (join one). veth, bridges and zones replace these bodies later. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "container/container.h"

struct net_state {
	int netns_fd; /* --network-namespace-path=, validated and opened before clone */
};

unsigned long network_clone_flags(const struct run_config *cfg)
{
	return cfg->net.private_network ? CLONE_NEWNET : 0;
}

static int open_netns(const char *path, int *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open network namespace %s", path);
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		log_error("%s is not a network namespace", path);
		return -EINVAL;
	}
	*ret = TAKE_FD(fd);
	return 0;
}

int network_prepare(struct container *c)
{
	const struct net_config *n = &c->cfg->net;
	if (!n->namespace_path)
		return 0;
	if (n->private_network) {
		log_error("--network-namespace-path= cannot be combined with --private-network");
		return -EINVAL;
	}
	c->net = calloc(1, sizeof(*c->net));
	if (!c->net)
		return log_errno(-ENOMEM, "out of memory");
	c->net->netns_fd = -1;
	return open_netns(n->namespace_path, &c->net->netns_fd);
}

/* In a fresh namespace lo is down; a container expects 127.0.0.1 to work. */
static int loopback_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int network_enter_child(struct container *c)
{
	if (c->net && c->net->netns_fd >= 0 && setns(c->net->netns_fd, CLONE_NEWNET) < 0)
		return log_errno(-errno, "cannot join network namespace %s", c->cfg->net.namespace_path);
	if (c->cfg->net.private_network) {
		int r = loopback_up();
		if (r < 0)
			return log_errno(r, "cannot bring up lo");
	}
	return 0;
}

int network_setup(struct container *c)
{
	(void)c;
	return 0;
}

void network_cleanup(struct container *c)
{
	if (!c->net)
		return;
	if (c->net->netns_fd >= 0)
		close(c->net->netns_fd);
	free(c->net);
	c->net = NULL;
}
