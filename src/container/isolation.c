/* The isolation hooks of the start-up sequence (container.h): user namespace, cgroup and system
 * call filter, glued from userns.c, cgroup.c and seccomp.c. Also this area's run options. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/isolation.h"
#include "container/mounts.h"
#include "container/seccomp.h"
#include "container/systemd.h"

struct isolation_state {
	struct seccomp_program filter;
	struct cgroup *cgroup;
	bool systemd; /* a systemd host: the scope is made once the leader exists */
	bool cgroup2; /* child: its cgroup is in the unified hierarchy (cgroup_path) */
	bool userns;  /* the container has its own user namespace */
	uint32_t uid_base, uid_count;
	int range_lock_fd; /* holds a picked range while the container runs */
	int tree_fd;       /* child: the root tree (idmapped, or a clone), attached */
	int *bind_trees;   /* child: the bind sources' trees, by bind index */
	unsigned n_bind_trees;
	double filter_ms;                 /* time to get the compiled filter (HAKO_DEBUG=1 shows it) */
	double pick_ms, maps_ms, tree_ms; /* the parent's user namespace work, by step */
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- options ---- */

#define ISO(field) offsetof(struct run_config, iso.field)

static int set_private_users(void *target, const char *value, const char **why)
{
	return userns_parse_mode(target, value, why);
}

static int set_private_users_ownership(void *target, const char *value, const char **why)
{
	return userns_parse_ownership(target, value, why);
}

static int set_system_call_filter(void *target, const char *value, const char **why)
{
	struct seccomp_request check = {};
	int r = seccomp_request_add(&check, value, why); /* validates every entry now */
	seccomp_request_done(&check);
	return r < 0 ? r : strv_push(target, value);
}

static int set_no_new_privileges(void *target, const char *value, const char **why)
{
	int b = value ? parse_boolean(value) : 1;
	if (b < 0) {
		*why = "expected yes or no";
		return -EINVAL;
	}
	*(bool *)target = b;
	return 0;
}

static int set_property(void *target, const char *value, const char **why)
{
	return cgroup_limits_parse_property(target, value, why);
}

static int set_cpu_affinity(void *target, const char *value, const char **why)
{
	return cgroup_limits_parse_cpu_affinity(target, value, why);
}

static int set_register(void *target, const char *value, const char **why)
{
	int b = parse_boolean(value);
	if (b < 0) {
		*why = "expected a boolean (yes/no)";
		return -EINVAL;
	}
	*(bool *)target = !b;
	return 0;
}

/* A slice unit's name, as systemd accepts it: NAME.slice of unit name characters. */
static int set_slice(void *target, const char *value, const char **why)
{
	size_t n = strlen(value);
	if (!endswith(value, ".slice") || n == strlen(".slice") ||
	    n >= sizeof(((struct isolation_config *)0)->slice) ||
	    value[strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\")] !=
		    '\0') {
		*why = "expected a slice unit name like machine.slice";
		return -EINVAL;
	}
	memcpy(target, value, n + 1);
	return 0;
}

// clang-format off
const struct opt run_options_isolation[] = {
	{ "private-users", 'U', OPT_OPTIONAL, "MODE", "User namespace: no, yes, pick (-U), identity or UID[:COUNT]", set_private_users, ISO(userns), "Exec.PrivateUsers" },
	{ "private-users-ownership", 0, OPT_REQUIRED, "MODE", "The tree's ownership with --private-users: auto, map, chown or off", set_private_users_ownership, ISO(userns), "Files.PrivateUsersOwnership" },
	{ "system-call-filter", 0, OPT_REQUIRED, "LIST", "Allow (@group or name) or with ~ refuse system calls", set_system_call_filter, ISO(syscall_filter), "Exec.SystemCallFilter" },
	{ "no-new-privileges", 0, OPT_OPTIONAL, "BOOL", "Set no_new_privs: setuid binaries gain nothing", set_no_new_privileges, ISO(no_new_privileges), "Exec.NoNewPrivileges" },
	{ "property", 0, OPT_REQUIRED, "NAME=VALUE", "Cgroup limit: MemoryMax=, MemoryHigh= (memory), TasksMax= (pids), CPUQuota=, CPUWeight= (cpu); each controller from cgroup v2 where the unified hierarchy has it, else from v1", set_property, ISO(limits), NULL },
	/* nspawn has these on the command line only, in no .nspawn section. */
	{ "register", 0, OPT_REQUIRED, "BOOL", "On a systemd host, register the machine with systemd-machined (default yes)", set_register, ISO(no_register), NULL },
	{ "keep-unit", 0, OPT_NONE, NULL, "On a systemd host, use the unit hako runs in (it must have Delegate=yes) for the container's cgroup, no scope of its own", opt_set_flag, ISO(keep_unit), NULL },
	{ "slice", 0, OPT_REQUIRED, "SLICE", "On a systemd host, the slice of the container's scope (default machine.slice)", set_slice, ISO(slice), NULL },
	{ "cpu-affinity", 0, OPT_REQUIRED, "CPUS", "Run on these CPUs only (e.g. 0,2-3)", set_cpu_affinity, ISO(limits), "Exec.CPUAffinity" },
};
// clang-format on
const size_t run_options_isolation_n = ELEMENTSOF(run_options_isolation);

/* ---- what a user who is not root may ask for ---- */

/* A rootless container lives in a user namespace of the caller's: it may make namespaces of its
 * own, but nothing on the host side (links, bridges, nftables rules, cgroups) that needs the
 * host's CAP_NET_ADMIN or write access to hako's system state. Each option that would need it is
 * refused up front, by name, before anything is made. */
// clang-format off
static bool wants_veth(const struct run_config *c) { return c->net.veth; }
static bool wants_bridge(const struct run_config *c) { return c->net.bridge; }
static bool wants_zone(const struct run_config *c) { return c->net.zone; }
static bool wants_network(const struct run_config *c) { return c->net.network; }
static bool wants_ports(const struct run_config *c) { return c->net.n_ports > 0; }
static bool wants_interface(const struct run_config *c) { return c->net.interfaces; }
static bool wants_macvlan(const struct run_config *c) { return c->net.macvlan; }
static bool wants_ipvlan(const struct run_config *c) { return c->net.ipvlan; }
static bool wants_veth_extra(const struct run_config *c) { return c->net.veth_extra; }
static bool wants_limits(const struct run_config *c) { return cgroup_limits_any(&c->iso.limits); }
// clang-format on

#define NO_HOST_LINKS "a user's container gets only a network namespace of its own: --private-network"
static const struct {
	const char *option;
	bool (*given)(const struct run_config *cfg);
	const char *why;
	// clang-format off
} root_only[] = {
	{ "-n/--network-veth", wants_veth, NO_HOST_LINKS },
	{ "--network-bridge=", wants_bridge, NO_HOST_LINKS },
	{ "--network-zone=", wants_zone, NO_HOST_LINKS },
	{ "--network=", wants_network, NO_HOST_LINKS },
	{ "-p/--port=", wants_ports, "port forwarding is nftables rules on the host" },
	{ "--network-interface=", wants_interface, NO_HOST_LINKS },
	{ "--network-macvlan=", wants_macvlan, NO_HOST_LINKS },
	{ "--network-ipvlan=", wants_ipvlan, NO_HOST_LINKS },
	{ "--network-veth-extra=", wants_veth_extra, NO_HOST_LINKS },
	{ "--property=", wants_limits, "hako makes no cgroups when run by a user" },
};
// clang-format on

int isolation_check_caller(const struct run_config *cfg)
{
	if (getuid() == 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(root_only); i++)
		if (root_only[i].given(cfg)) {
			log_error("%s needs root (%s)", root_only[i].option, root_only[i].why);
			return -EPERM;
		}
	return 0;
}

/* ---- user namespace ---- */

/* nspawn's defaults, made safe: a booted container gets its own range (pick) unless told
 * --private-users=no, where the tree's file system can be idmapped (else nspawn's default, no
 * user namespace: its tree would show as nobody's); a command keeps the host's ids unless asked.
 * A non-root caller always gets a user namespace: it is the only way it may create the others. */
static enum userns_mode effective_userns(const struct container *c)
{
	if (getuid() != 0)
		return USERNS_FIXED;
	if (c->cfg->iso.userns.mode_set)
		return c->cfg->iso.userns.mode;
	/* The tree hako opened and validated, not its path again (issue 14.3). */
	return c->cfg->boot && userns_fd_can_idmap(c->root_fd) ? USERNS_PICK : USERNS_NO;
}

unsigned long isolation_clone_flags(const struct container *c)
{
	return effective_userns(c) != USERNS_NO ? CLONE_NEWUSER : 0;
}

static int prepare_userns(struct container *c, struct isolation_state *s)
{
	const struct userns_config *u = &c->cfg->iso.userns;
	s->uid_count = USERNS_RANGE_SIZE;
	if (getuid() != 0) {
		s->uid_base = getuid(); /* rootless: maps are decided by userns_write_maps */
		return 0;
	}
	switch (effective_userns(c)) {
	case USERNS_IDENTITY:
		s->uid_base = 0;
		return 0;
	case USERNS_FIXED:
		if (u->from_tree_owner) {
			struct stat st;
			if (fstat(c->root_fd, &st) < 0)
				return log_errno(-errno, "cannot stat %s", c->root);
			if (st.st_uid == 0 || st.st_uid % USERNS_RANGE_SIZE) {
				log_error(
					"--private-users=yes: %s is owned by uid %u, not the base of a 65536 range (use pick or UID)",
					c->root, (unsigned)st.st_uid);
				return -EINVAL;
			}
			s->uid_base = st.st_uid;
		} else {
			s->uid_base = u->base;
			s->uid_count = u->count;
		}
		return 0;
	case USERNS_PICK: {
		int r = userns_pick(hako_dir(HAKO_DIR_STATE), c->name, &s->uid_base, &s->range_lock_fd);
		if (r < 0)
			return log_errno(r, "cannot pick a user namespace range for %s", c->name);
		return 0;
	}
	case USERNS_NO:
		break;
	}
	return 0;
}

uid_t isolation_root_host_uid(const struct container *c)
{
	return c->iso && c->iso->userns ? (uid_t)c->iso->uid_base : 0;
}

/* --private-users-ownership=chown: shifts the tree's owners on disk into the range, once. The
 * owner of the tree's root records the range it was shifted for (as with nspawn); the state dir
 * keeps it too, for people. A tree shifted for another range is shifted again by the difference. */
static int shift_tree(struct container *c, const struct isolation_state *s)
{
	struct stat st;
	if (fstat(c->root_fd, &st) < 0)
		return log_errno(-errno, "cannot stat %s", c->root);
	uint32_t from = st.st_uid - st.st_uid % USERNS_RANGE_SIZE;
	if (from == s->uid_base)
		return 0;
	int r = userns_chown_tree(c->root_fd, (int64_t)s->uid_base - from);
	if (r < 0)
		return log_errno(r, "cannot shift the owners of %s to %u", c->root, (unsigned)s->uid_base);
	_cleanup_free_ char *record = hako_path(HAKO_DIR_STATE, "userns");
	_cleanup_free_ char *file = record ? xasprintf("%s/chown-%s", record, c->name) : NULL;
	char buf[32];
	snprintf(buf, sizeof(buf), "%08x %08x\n", (unsigned)from, (unsigned)s->uid_base);
	if (file && mkdir_p(record, 0755) >= 0)
		(void)write_file(file, buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	return 0;
}

/* Whether the tree is shown to the container through an idmapped mount. */
static bool wants_idmap(const struct container *c, const struct isolation_state *s)
{
	enum userns_ownership o = c->cfg->iso.userns.ownership;
	return s->userns && getuid() == 0 && s->uid_base != 0 &&
	       (o == USERNS_OWNERSHIP_MAP || (o == USERNS_OWNERSHIP_AUTO && userns_fd_can_idmap(c->root_fd)));
}

/* --bind=SRC:DST:idmap: the source's owners shown through the container's user namespace. Only
 * the host's root may idmap a mount of the host's file systems, so the parent makes it. */
static int idmapped_bind_tree(const struct bind_spec *b, int nsfd)
{
	_cleanup_close_ int fd =
		syscall(SYS_open_tree, AT_FDCWD, b->source,
			OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (b->recursive ? AT_RECURSIVE : 0));
	if (fd < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd };
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (b->recursive ? AT_RECURSIVE : 0), &attr,
		    sizeof(attr)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* After the tree, one message per idmap bind, in their order: clone_host_trees() takes them. */
static int send_idmapped_binds(struct container *c)
{
	const struct run_config *cfg = c->cfg;
	unsigned n = 0;
	for (unsigned i = 0; i < cfg->n_binds; i++)
		n += cfg->binds[i].idmap;
	if (n == 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)c->pid);
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return log_errno(-errno, "cannot open the container's user namespace");
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		const struct bind_spec *b = &cfg->binds[i];
		if (!b->idmap)
			continue;
		_cleanup_close_ int t = idmapped_bind_tree(b, nsfd);
		if (t < 0)
			return log_errno(t, "cannot make an idmapped mount of %s", b->source);
		int r = fd_send(c->sync_fd, "B", 1, t);
		if (r < 0)
			return log_errno(r, "cannot hand the idmapped %s to the container", b->source);
	}
	return 0;
}

/* Tells the waiting child its maps are written, handing it the idmapped tree (if any) with the
 * message over the start-up socket. */
static int send_userns_ready(struct container *c, bool idmap)
{
	_cleanup_close_ int tree = -1;
	if (idmap) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)c->pid);
		_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return log_errno(-errno, "cannot open the container's user namespace");
		tree = userns_idmapped_tree(c->root_fd, nsfd);
		if (tree < 0)
			return log_errno(
				tree,
				"cannot make an idmapped mount of %s (try --private-users-ownership=chown)",
				c->root);
	}
	int r = fd_send(c->sync_fd, "U", 1, tree);
	if (r < 0)
		return log_errno(r, "cannot hand the idmapped tree to the container");
	return send_idmapped_binds(c);
}

/* The host paths the container's mounts start from (the tree, the bind sources) may run through
 * directories only the host's root may search (mktemp -d, /var/lib/machines is 0700). They are
 * resolved here, while this process still has the host's root ids, and kept as mount trees. */
static int clone_host_trees(struct container *c, struct isolation_state *s, int sync_fd)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(-errno, "cannot make the container's mounts private");
	_cleanup_close_ int tree = container_reopen_root(c);
	if (tree < 0)
		return log_reopen_root(c, tree);
	if (s->tree_fd < 0 && mounts_root_is_overlay(c->cfg)) {
		/* The overlay's lower layer (mount_ephemeral), a plain directory. */
		s->tree_fd = TAKE_FD(tree);
	} else {
		if (s->tree_fd < 0)
			s->tree_fd =
				syscall(SYS_open_tree, tree, "",
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (s->tree_fd < 0)
			return log_errno(-errno, "cannot bind-mount %s", c->root);
		/* Attached over the tree itself: mount_root() enters it through the fd. Mounts stay
		 * private to the container's namespace. */
		if (syscall(SYS_move_mount, s->tree_fd, "", tree, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return log_errno(-errno, "cannot attach the tree %s", c->root);
	}
	const struct run_config *cfg = c->cfg;
	if (cfg->n_binds && !(s->bind_trees = calloc(cfg->n_binds, sizeof(int))))
		return log_errno(-ENOMEM, "out of memory");
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		const struct bind_spec *b = &cfg->binds[i];
		s->n_bind_trees = i + 1;
		s->bind_trees[i] = -1;
		char byte;
		if (b->idmap && fd_recv(sync_fd, &byte, 1, &s->bind_trees[i]) != 1)
			_exit(EXIT_FAILURE); /* the parent failed and said why */
		if (b->idmap || b->in_tree)
			continue; /* +PATH: resolved in the tree by mount_binds() */
		s->bind_trees[i] =
			syscall(SYS_open_tree, AT_FDCWD, b->source,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (b->recursive ? AT_RECURSIVE : 0));
		if (s->bind_trees[i] < 0)
			return log_errno(-errno, "cannot bind %s", b->source);
	}
	int r = binduser_clone_homes(c);
	if (r < 0)
		return r;
	return mounts_open_host_layers(c);
}

int isolation_enter_child(struct container *c, int sync_fd)
{
	struct isolation_state *s = c->iso;
	if (!s || !s->userns)
		return 0;
	char byte;
	if (fd_recv(sync_fd, &byte, 1, &s->tree_fd) != 1) /* s->tree_fd: the idmapped tree, if any */
		_exit(EXIT_FAILURE);                      /* the parent failed and said why */
	int r = clone_host_trees(c, s, sync_fd);
	if (r < 0)
		return r;
	/* Until now this process kept the host's root ids, which the new namespace does not map
	 * (files it created would fail with EOVERFLOW): become the namespace's root. */
	if (setresgid(0, 0, 0) < 0)
		return log_errno(-errno, "cannot take group 0 in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return log_errno(-errno, "cannot become root in the user namespace");
	/* Changing credentials clears the parent-death signal: set it again, or PID 1 would
	 * outlive a supervisor killed with SIGKILL. Had the parent died in between, the read of
	 * its "go" that follows sees the socket closed and this process exits. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return log_errno(-errno, "cannot set the parent-death signal");
	return 0;
}

int isolation_take_bind_tree(struct container *c, unsigned i)
{
	struct isolation_state *s = c->iso;
	if (!s || i >= s->n_bind_trees)
		return -1;
	int fd = s->bind_trees[i];
	s->bind_trees[i] = -1;
	return fd;
}

bool isolation_setgroups_denied(void)
{
	_cleanup_free_ char *line = NULL;
	return read_line_file("/proc/self/setgroups", &line) >= 0 && streq(line, "deny");
}

int isolation_root_tree_fd(const struct container *c)
{
	return c->iso ? c->iso->tree_fd : -1;
}

/* ---- hooks ---- */

/* ifindex: the host end of the container's veth, made before the machine is registered (as
 * nspawn does), so that machinectl lists it; room for one. */
static struct cgroup_request request_of(const struct container *c, int *ifindex)
{
	const struct isolation_config *iso = &c->cfg->iso;
	*ifindex = network_host_ifindex(c);
	return (struct cgroup_request){
		.machine = c->name,
		.limits = &iso->limits,
		.keep_unit = iso->keep_unit,
		.register_machine = !iso->no_register,
		.slice = *iso->slice ? iso->slice : NULL,
		.directory = c->root,
		.uuid = c->uuid,
		.ifindices = ifindex,
		.n_ifindices = *ifindex > 0,
	};
}

static int create_cgroupfs(struct container *c, struct isolation_state *s);

static int prepare_filter(struct container *c, struct isolation_state *s)
{
	_cleanup_(seccomp_request_done) struct seccomp_request req = { .suppress_sync =
									       c->cfg->suppress_sync };
	const char *why = NULL;
	for (size_t i = 0; c->cfg->iso.syscall_filter && c->cfg->iso.syscall_filter[i]; i++) {
		int r = seccomp_request_add(&req, c->cfg->iso.syscall_filter[i], &why);
		if (r < 0)
			return log_errno(r, "cannot build the system call filter");
	}
	_cleanup_free_ char *cache = hako_path(HAKO_DIR_STATE, "seccomp");
	double start = now_ms();
	int r = seccomp_get_program(&req, c->caps, cache, &s->filter);
	s->filter_ms = now_ms() - start;
	return r < 0 ? log_errno(r, "cannot build the system call filter") : 0;
}

int isolation_prepare(struct container *c)
{
	struct isolation_state *s = calloc(1, sizeof(*s));
	if (!s)
		return log_errno(-ENOMEM, "out of memory");
	s->range_lock_fd = s->tree_fd = -1;
	c->iso = s;
	s->userns = effective_userns(c) != USERNS_NO;
	if (c->cfg->boot && !s->userns && !c->cfg->iso.userns.mode_set)
		log_warning(
			"%s has no idmapped mounts: %s boots without a user namespace (its root is the host's root; -U=pick to map it anyway)",
			c->cfg->directory, c->name);
	int r = prepare_filter(c, s);
	if (r < 0)
		return r;
	double start = now_ms();
	if (s->userns)
		r = prepare_userns(c, s);
	s->pick_ms = now_ms() - start;
	if (r < 0)
		return r;
	if (s->userns && getuid() == 0 && c->cfg->iso.userns.ownership == USERNS_OWNERSHIP_CHOWN) {
		if (c->cfg->ephemeral || c->cfg->read_only) {
			log_error(
				"--private-users-ownership=chown writes the tree: not with --ephemeral or --read-only");
			return -EINVAL;
		}
		if (c->cfg->volatile_mode != VOLATILE_NO) {
			log_error("--private-users-ownership=chown writes the tree: not with --volatile=");
			return -EINVAL;
		}
		r = shift_tree(c, s);
		if (r < 0)
			return r;
	}
	if (getuid() != 0)
		return 0; /* isolation_check_caller refused --property= */
	/* --keep-unit's cgroups are made before the clone on both paths: hako's unit must hold no
	 * process (the child would be one) when it enables controllers for payload. */
	s->systemd = cgroup_systemd_host() && !c->cfg->iso.keep_unit;
	return s->systemd ? 0 : create_cgroupfs(c, s);
}

/* On a systemd host machine names are host-wide (machined's): another state directory's hako, or
 * nspawn, may hold the name. The line names that owner when machined knows it. */
static void log_name_taken(const char *name)
{
	_cleanup_free_ char *owner = NULL;
	if (systemd_machine_owner(name, &owner) < 0) {
		log_error("machine %s is already running (its unit exists)", name);
		return;
	}
	log_error(
		"machine %s is already running: systemd-machined has it (%s); machine names are host-wide on a systemd host",
		name, owner);
}

static int create_unit(struct container *c, struct isolation_state *s)
{
	int ifindex;
	struct cgroup_request req = request_of(c, &ifindex);
	_cleanup_free_ char *why = NULL;
	int r = cgroup_create_unit(&req, c->pid, &s->cgroup, &why);
	if (r == -ENOPKG || r == -ENOMEDIUM) /* no libsystemd or no bus to ask: the cgroupfs path */
		return create_cgroupfs(c, s);
	if (r == -EEXIST)
		log_name_taken(c->name);
	else if (r < 0)
		log_error("cannot create the scope of %s: %s", c->name, why ? why : strerror(-r));
	return r;
}

/* --keep-unit on a systemd host: machined learns that hako's unit is the machine's. */
static int register_unit(struct container *c)
{
	int ifindex;
	struct cgroup_request req = request_of(c, &ifindex);
	_cleanup_free_ char *why = NULL;
	if (!req.keep_unit || !req.register_machine || !cgroup_systemd_host())
		return 0;
	int r = cgroup_register_unit(&req, c->pid, &why);
	if (r == -ENOPKG || r == -ENOMEDIUM)
		return 0; /* nobody to register with */
	if (r < 0)
		log_error("cannot register %s with systemd-machined: %s", c->name, why ? why : strerror(-r));
	return r;
}

static int create_cgroupfs(struct container *c, struct isolation_state *s)
{
	int ifindex;
	struct cgroup_request req = request_of(c, &ifindex);
	int r = cgroup_create(&req, &s->cgroup);
	if (r < 0 && req.keep_unit && r != -EOPNOTSUPP) {
		log_errno(r, "cannot use the cgroup hako runs in for %s (is it delegated, Delegate=yes?)",
			  c->name);
		return r;
	}
	if (r == -EOPNOTSUPP)
		log_error("cannot apply --property=: no cgroup hierarchy offers the controller it needs");
	else if (r == -EBUSY || r == -EEXIST)
		log_error("machine %s is already running (its cgroup is in use)", c->name);
	else if (r < 0)
		log_errno(r, "cannot create the cgroup of %s", c->name);
	return r;
}

/* The uid and gid map texts with the --bind-user= holes; none (NULL) without bound users. */
static int bound_user_maps(const struct container *c, const struct isolation_state *s, char **uid_map,
			   char **gid_map)
{
	if (!c->bound_users.n)
		return 0;
	int r = binduser_map_text(&c->bound_users, s->uid_base, s->uid_count, 0, uid_map);
	if (r < 0)
		return r;
	return binduser_map_text(&c->bound_users, s->uid_base, s->uid_count, 1, gid_map);
}

/* The range, with a hole per --bind-user= user that maps its id to the host's. */
static int write_maps(struct container *c, const struct isolation_state *s)
{
	_cleanup_free_ char *uid_map = NULL, *gid_map = NULL;
	int r = bound_user_maps(c, s, &uid_map, &gid_map);
	if (r == -ERANGE) {
		log_error(
			"--bind-user=: the user namespace range %u:%u holds a bound user's host id or ends below %u",
			s->uid_base, s->uid_count, BINDUSER_ID_LAST + 1);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot write the user namespace maps of %s", c->name);
	if (uid_map)
		r = userns_write_map_text(c->pid, uid_map, gid_map);
	else
		r = userns_write_maps(c->pid, s->uid_base, s->uid_count);
	if (r < 0)
		return log_errno(r, "cannot write the user namespace maps of %s", c->name);
	return 0;
}

/* Into the container's own cgroup, delegated to a booted init, and registered. */
static int enter_cgroup(struct container *c, const struct isolation_state *s)
{
	int r = cgroup_attach(s->cgroup, c->pid);
	if (r < 0)
		return log_errno(r, "cannot move %s into its cgroup", c->name);
	/* An init manages its own subtree (systemd's delegation). */
	if (c->cfg->boot) {
		uid_t owner = s->userns ? s->uid_base : 0;
		r = cgroup_delegate(s->cgroup, owner, owner);
		if (r < 0)
			return log_errno(r, "cannot delegate the cgroup of %s", c->name);
	}
	return register_unit(c);
}

int isolation_setup_parent(struct container *c)
{
	struct isolation_state *s = c->iso;
	int r;
	double start = now_ms();
	if (s->userns) {
		r = write_maps(c, s);
		if (r < 0)
			return r;
	}
	s->maps_ms = now_ms() - start;
	/* The console is a pty of the host's devpts, owned by the host's root: unmapped inside, so
	 * the container's root could not open /dev/console (a getty fails). Give it to the
	 * container's root, as nspawn does. */
	if (s->userns && getuid() == 0 && c->pty_slave >= 0 &&
	    fchown(c->pty_slave, s->uid_base, s->uid_base) < 0)
		return log_errno(-errno, "cannot hand the console of %s to its root", c->name);
	if (s->systemd) {
		r = create_unit(c, s);
		if (r < 0)
			return r;
	}
	if (s->cgroup) {
		r = enter_cgroup(c, s);
		if (r < 0)
			return r;
	}
	const struct cgroup_limits *l = &c->cfg->iso.limits;
	if (l->has_cpu_affinity && sched_setaffinity(c->pid, sizeof(l->cpu_affinity), &l->cpu_affinity) < 0)
		return log_errno(-errno, "cannot set the CPU affinity of %s", c->name);
	if (!s->userns)
		return 0;
	start = now_ms();
	r = send_userns_ready(c, wants_idmap(c, s));
	s->tree_ms = now_ms() - start;
	/* bench/startup reads this line: what -U costs the parent. */
	log_debug("user namespace: set up in %.3f ms (range %.3f, maps %.3f, idmapped tree %.3f)",
		  s->pick_ms + s->maps_ms + s->tree_ms, s->pick_ms, s->maps_ms, s->tree_ms);
	return r;
}

int isolation_setup_child(struct container *c)
{
	struct isolation_state *s = c->iso;
	if (s->tree_fd >= 0) {
		close(s->tree_fd);
		s->tree_fd = -1;
	}
	if (c->cfg->iso.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_errno(-errno, "cannot set no_new_privs");
	/* Loaded last, while CAP_SYS_ADMIN is still effective, so no_new_privs stays optional. */
	double start = now_ms();
	int r = seccomp_load_program(&s->filter);
	if (r < 0)
		return log_errno(r, "cannot load the system call filter");
	/* bench/startup reads this line: the filter's whole cost in a container's start-up. */
	log_debug("seccomp filter: %zu instructions, ready in %.3f ms, loaded in %.3f ms", s->filter.n,
		  s->filter_ms, now_ms() - start);
	return 0;
}

int isolation_enter_cgroup(struct container *c)
{
	struct isolation_state *s = c->iso;
	if (!s || (!s->cgroup && !s->systemd))
		return 0;
	/* The container's cgroup namespace starts at its own cgroup (the parent moved it there
	 * before its "go"): an init sees "/" and manages the subtree below. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return log_errno(-errno, "cannot root the cgroup namespace at the container's cgroup");
	if (s->systemd) {
		s->cgroup2 = true; /* systemd's scopes are in the unified hierarchy */
		return 0;
	}
	struct statfs fs;
	if (statfs(cgroup_path(s->cgroup), &fs) < 0)
		return log_errno(-errno, "cannot find the cgroup of %s", c->name);
	s->cgroup2 = fs.f_type == CGROUP2_SUPER_MAGIC;
	return 0;
}

bool isolation_has_cgroup2(const struct container *c)
{
	return c->iso && c->iso->cgroup2;
}

const char *isolation_cgroup_path(const struct container *c)
{
	return c->iso && c->iso->cgroup ? cgroup_path(c->iso->cgroup) : NULL;
}

int isolation_cgroup_paths(const struct container *c, char ***ret)
{
	*ret = NULL;
	return c->iso && c->iso->cgroup ? cgroup_paths(c->iso->cgroup, ret) : 0;
}

void isolation_cleanup(struct container *c)
{
	struct isolation_state *s = c->iso;
	if (!s)
		return;
	cgroup_destroy(s->cgroup);
	if (s->range_lock_fd >= 0)
		close(s->range_lock_fd);
	if (s->tree_fd >= 0)
		close(s->tree_fd);
	for (unsigned i = 0; i < s->n_bind_trees; i++)
		if (s->bind_trees[i] >= 0)
			close(s->bind_trees[i]);
	free(s->bind_trees);
	seccomp_program_done(&s->filter);
	free(s);
	c->iso = NULL;
}
