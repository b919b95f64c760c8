/* --link-journal= (see journal.h), as systemd-nspawn 252's setup_journal() does it. */
#include "container/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/isolation.h"
#include "container/user.h"

#define HOST_JOURNAL "/var/log/journal"

static const struct {
	const char *name;
	enum link_journal mode;
	bool try;
	// clang-format off
} modes[] = {
	{ "no", LINK_JOURNAL_NO, false },         { "auto", LINK_JOURNAL_AUTO, false },
	{ "host", LINK_JOURNAL_HOST, false },     { "try-host", LINK_JOURNAL_HOST, true },
	{ "guest", LINK_JOURNAL_GUEST, false },   { "try-guest", LINK_JOURNAL_GUEST, true },
};
// clang-format on

int link_journal_parse(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	if (!value)
		value = "try-guest"; /* -j */
	for (size_t i = 0; i < ELEMENTSOF(modes); i++)
		if (streq(modes[i].name, value)) {
			cfg->link_journal = modes[i].mode;
			cfg->link_journal_try = modes[i].try;
			return 0;
		}
	*why = "expected no, auto, host, try-host, guest or try-guest";
	return -EINVAL;
}

/* The host's own machine-id, "" when it has none (no systemd). */
static void host_machine_id(char out[33])
{
	_cleanup_free_ char *text = NULL;
	out[0] = '\0';
	if (read_file("/etc/machine-id", &text, NULL) < 0)
		return;
	snprintf(out, 33, "%.32s", text);
}

/* Where a failure ends: an error, or (try-, auto) a debug line and nothing done. */
static int give_up(const struct container *c, int r, const char *what, const char *path)
{
	bool try = c->cfg->link_journal_try || c->cfg->link_journal == LINK_JOURNAL_AUTO;
	if (try) {
		log_debug("--link-journal: %s %s: %s, skipped", what, path, strerror(-r));
		return 0;
	}
	log_errno(r, "--link-journal: %s %s", what, path);
	return r;
}

/* guest: the host's /var/log/journal/ID becomes a symlink to the tree's directory. */
static int link_guest(struct container *c, const char *host, const char *guest)
{
	char target[PATH_MAX];
	ssize_t n = readlink(host, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (streq(target, guest))
			return 1; /* from an earlier start */
		if (unlink(host) < 0)
			return give_up(c, -errno, "cannot remove the symlink", host);
	} else if (errno == EINVAL && rmdir(host) < 0) {
		/* A directory of its own (an earlier host mode) is left alone unless empty. */
		return give_up(c, errno == ENOTDIR ? -EEXIST : -errno, "cannot replace", host);
	}
	if (symlink(guest, host) < 0)
		return give_up(c, -errno, "cannot make the symlink", host);
	return 1;
}

/* host, auto: the host's directory, bound into the tree in the child. */
static int link_host(struct container *c, const char *host, const char *guest)
{
	char target[PATH_MAX];
	ssize_t n = readlink(host, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (c->cfg->link_journal == LINK_JOURNAL_AUTO && streq(target, guest))
			return 1; /* auto keeps what guest mode made */
		if (unlink(host) < 0)
			return give_up(c, -errno, "cannot remove the symlink", host);
	}
	if (c->cfg->link_journal == LINK_JOURNAL_AUTO && access(host, F_OK) < 0)
		return 0; /* auto: the host keeps no journal for this machine */
	/* Without its parents: a host that keeps no journal on disk is not made to. */
	if (mkdir(host, 0755) < 0 && errno != EEXIST)
		return give_up(c, -errno, "cannot create", host);
	/* As nspawn: with -U the guest's journald runs as the shifted root and writes here. */
	uid_t root = isolation_root_host_uid(c);
	if (root != 0 && chown(host, root, root) < 0)
		return give_up(c, -errno, "cannot give the container's root", host);
	c->journal_tree = open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (c->journal_tree < 0)
		return give_up(c, -errno, "cannot bind", host);
	return 1;
}

int journal_prepare(struct container *c)
{
	/* An ephemeral machine's journal goes with it, as in nspawn. */
	if (c->cfg->link_journal == LINK_JOURNAL_NO || c->cfg->ephemeral)
		return 0;
	char id[33], host_id[33];
	size_t k = 0;
	for (const char *p = c->uuid; *p && k < 32; p++)
		if (*p != '-')
			id[k++] = *p;
	id[k] = '\0';
	host_machine_id(host_id);
	if (streq(id, host_id))
		return give_up(c, -EEXIST, "the machine has the host's machine-id", id);
	_cleanup_free_ char *host = xasprintf(HOST_JOURNAL "/%s", id);
	_cleanup_free_ char *guest = xasprintf("%s" HOST_JOURNAL "/%s", container_os_path(c), id);
	c->journal_dir = xasprintf(HOST_JOURNAL "/%s", id);
	if (!host || !guest || !c->journal_dir)
		return log_errno(-ENOMEM, "out of memory");
	int r = c->cfg->link_journal == LINK_JOURNAL_GUEST ? link_guest(c, host, guest)
							   : link_host(c, host, guest);
	if (r <= 0) {
		free(c->journal_dir);
		c->journal_dir = NULL; /* nothing to do in the tree */
	}
	return r < 0 ? r : 0;
}
