#include "container/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/credentials.h"
#include "container/files.h"
#include "container/isolation.h"
#include "container/specs.h"
#include "container/user.h"

enum mount_kind {
	MNT_FS,        /* mount a file system: what = source, data = options */
	MNT_RO_SELF,   /* bind a path onto itself read-only */
	MNT_MASK_FILE, /* hide a file behind the host's /dev/null */
	MNT_MASK_DIR,  /* hide a directory behind an empty read-only tmpfs */
	MNT_DEV_NODE,  /* bind the host's device node (no CAP_MKNOD needed, none granted) */
	MNT_DIR,       /* create a directory */
	MNT_SYMLINK,   /* symlink what -> where */
	MNT_SYSFS,     /* a read-only sysfs, or the host's read-only where sysfs may not be mounted */
};

struct mount_entry {
	enum mount_kind kind;
	const char *what, *where, *type;
	unsigned long flags;
	const char *data;
	bool optional; /* skip if the kernel has no such file */
};

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The API file systems, in order, relative to the new root. What is read-only or masked in /proc
 * and /sys follows docker/runc and nspawn: writable /proc/sys or sysrq-trigger reconfigures or
 * crashes the host (both are masked whether or not this kernel has them: the list is the
 * policy), /proc/kcore and friends leak kernel memory and timing, /proc/kmsg the host's kernel
 * log, /sys/firmware the host's firmware tables, powercap the energy counters (PLATYPUS). */
// clang-format off
static const struct mount_entry api_mounts[] = {
	{ MNT_FS, "proc", "proc", "proc", NOSUID_NODEV_NOEXEC, NULL, false },
	{ MNT_RO_SELF, NULL, "proc/sys", NULL, 0, NULL, false },
	{ MNT_RO_SELF, NULL, "proc/sysrq-trigger", NULL, 0, NULL, true }, /* CONFIG_MAGIC_SYSRQ */
	{ MNT_RO_SELF, NULL, "proc/irq", NULL, 0, NULL, true },
	{ MNT_RO_SELF, NULL, "proc/bus", NULL, 0, NULL, true },
	{ MNT_RO_SELF, NULL, "proc/fs", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/kcore", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/keys", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/kmsg", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/timer_list", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/timer_stats", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/sched_debug", NULL, 0, NULL, true },
	{ MNT_MASK_FILE, NULL, "proc/latency_stats", NULL, 0, NULL, true },
	{ MNT_MASK_DIR, NULL, "proc/acpi", NULL, 0, NULL, true },
	{ MNT_MASK_DIR, NULL, "proc/apm", NULL, 0, NULL, true },
	{ MNT_MASK_DIR, NULL, "proc/asound", NULL, 0, NULL, true },
	{ MNT_MASK_DIR, NULL, "proc/scsi", NULL, 0, NULL, true },
	{ MNT_SYSFS, "sysfs", "sys", "sysfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL, false },
	{ MNT_MASK_DIR, NULL, "sys/firmware", NULL, 0, NULL, true },
	{ MNT_MASK_DIR, NULL, "sys/devices/virtual/powercap", NULL, 0, NULL, true },
	{ MNT_FS, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755,size=4m", false },
	{ MNT_DEV_NODE, "/dev/null", "dev/null", NULL, 0, NULL, false },
	{ MNT_DEV_NODE, "/dev/zero", "dev/zero", NULL, 0, NULL, false },
	{ MNT_DEV_NODE, "/dev/full", "dev/full", NULL, 0, NULL, false },
	{ MNT_DEV_NODE, "/dev/random", "dev/random", NULL, 0, NULL, false },
	{ MNT_DEV_NODE, "/dev/urandom", "dev/urandom", NULL, 0, NULL, false },
	{ MNT_DEV_NODE, "/dev/tty", "dev/tty", NULL, 0, NULL, false },
	{ MNT_DIR, NULL, "dev/pts", NULL, 0, NULL, false },
	{ MNT_FS, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620,gid=5", false },
	{ MNT_SYMLINK, "pts/ptmx", "dev/ptmx", NULL, 0, NULL, false },
	{ MNT_DIR, NULL, "dev/shm", NULL, 0, NULL, false },
	/* nspawn's NESTED_TMPFS_LIMITS: without them a container can fill half the host's RAM. */
	{ MNT_FS, "tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=10%,nr_inodes=400k", false },
	{ MNT_DIR, NULL, "dev/mqueue", NULL, 0, NULL, false },
	{ MNT_FS, "mqueue", "dev/mqueue", "mqueue", NOSUID_NODEV_NOEXEC, NULL, false },
	{ MNT_SYMLINK, "/proc/self/fd", "dev/fd", NULL, 0, NULL, false },
	{ MNT_SYMLINK, "/proc/self/fd/0", "dev/stdin", NULL, 0, NULL, false },
	{ MNT_SYMLINK, "/proc/self/fd/1", "dev/stdout", NULL, 0, NULL, false },
	{ MNT_SYMLINK, "/proc/self/fd/2", "dev/stderr", NULL, 0, NULL, false },
};
// clang-format on

static int bind_onto(const char *src, int target, bool recursive, bool ro);

static int set_ro(int fd, bool recursive)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

/* The kernel lets a user namespace mount sysfs only when it also owns the network namespace
 * (sysfs shows that namespace's links). A container with -U on the host's network gets the
 * host's /sys, bound read-only all the way down, as nspawn does. */
static int mount_sysfs(const struct mount_entry *m)
{
	if (mount(m->what, m->where, m->type, m->flags, m->data) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	_cleanup_close_ int target = open(m->where, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return -errno;
	return bind_onto("/sys", target, true, true);
}

static int bind_ro_self(const char *path)
{
	if (mount(path, path, NULL, MS_BIND, NULL) < 0)
		return -errno;
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

static int create_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int bind_file(const char *src, const char *dst)
{
	int r = create_file(dst, 0644);
	if (r < 0)
		return r;
	return mount(src, dst, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int apply_mount_entry(const struct mount_entry *m)
{
	switch (m->kind) {
	case MNT_FS:
		if (mount(m->what, m->where, m->type, m->flags, m->data) == 0)
			return 0;
		/* A rootless single-id user namespace maps no tty group (gid 5): devpts without it. */
		if (errno == EINVAL && streq(m->type, "devpts") &&
		    mount(m->what, m->where, m->type, m->flags, "newinstance,ptmxmode=0666,mode=620") == 0)
			return 0;
		return -errno;
	case MNT_RO_SELF:
		return bind_ro_self(m->where);
	case MNT_MASK_FILE:
		return mount("/dev/null", m->where, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
	case MNT_MASK_DIR:
		return mount("tmpfs", m->where, "tmpfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL) < 0 ? -errno
												    : 0;
	case MNT_DEV_NODE:
		return bind_file(m->what, m->where);
	case MNT_DIR:
		return mkdir(m->where, 0755) < 0 && errno != EEXIST ? -errno : 0;
	case MNT_SYMLINK:
		return symlink(m->what, m->where) < 0 ? -errno : 0;
	case MNT_SYSFS:
		return mount_sysfs(m);
	}
	return -EINVAL;
}

/* /proc, /sys and /dev must be real directories of the tree: mount(2) follows symlinks, and a
 * tree's "dev -> /somewhere" must not steer hako's mounts. */
static int ensure_api_dir(const char *name)
{
	struct stat st;
	if (fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return log_errno(-errno, "cannot use the tree's /%s", name);
		if (mkdir(name, 0755) < 0)
			return log_errno(-errno, "cannot create /%s in the tree", name);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("the tree's /%s is not a directory", name);
		return -ENOTDIR;
	}
	return 0;
}

static int mount_api(void)
{
	static const char *const dirs[] = { "proc", "sys", "dev" };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		int r = ensure_api_dir(dirs[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(api_mounts); i++) {
		const struct mount_entry *m = &api_mounts[i];
		int r = apply_mount_entry(m);
		if (r == -ENOENT && m->optional)
			continue;
		if (r < 0)
			return log_errno(r, "cannot set up /%s in the container", m->where);
	}
	return 0;
}

/* The container's own cgroup tree on /sys/fs/cgroup, as nspawn gives it: a cgroup2 mounted from
 * inside the container's cgroup namespace shows only the container's subtree. A booted init
 * (systemd) needs it writable, and the parent delegated it to the container's root; a command
 * gets it read-only. On a hybrid host too it is a unified tree (what nspawn does with
 * SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1): the v1 controllers stay the host's business and systemd
 * runs without controllers. Mounted on top of what /sys has there: with -U on the host's network
 * that is the host's read-only cgroup tree, whose mounts are locked and cannot be unmounted. */
static int mount_cgroup(const struct container *c)
{
	if (!isolation_has_cgroup2(c))
		return 0;
	unsigned long flags = NOSUID_NODEV_NOEXEC | (c->cfg->boot ? 0 : MS_RDONLY);
	if (mount("cgroup2", "sys/fs/cgroup", "cgroup2", flags, NULL) == 0)
		return 0;
	/* On a pure cgroup v2 host that bound mount is the host's cgroup2 itself, and the kernel
	 * refuses the same file system on the same mount point (EBUSY): a small tmpfs between. */
	if (errno != EBUSY)
		return log_errno(-errno, "cannot mount the container's cgroup on /sys/fs/cgroup");
	if (mount("tmpfs", "sys/fs/cgroup", "tmpfs", NOSUID_NODEV_NOEXEC, "mode=0755,size=4k") < 0)
		return log_errno(-errno, "cannot mount a tmpfs for the container's cgroup on /sys/fs/cgroup");
	if (mount("cgroup2", "sys/fs/cgroup", "cgroup2", flags, NULL) < 0)
		return log_errno(-errno, "cannot mount the container's cgroup on /sys/fs/cgroup");
	return 0;
}

static int mount_console(const struct container *c)
{
	if (!c->pty_path)
		return 0;
	int r = bind_file(c->pty_path, "dev/console");
	return r < 0 ? log_errno(r, "cannot set up /dev/console") : 0;
}

/* Attaches the detached mount mnt on top of the directory at. */
static int attach(int mnt, int at)
{
	return move_mount(mnt, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -errno
												  : 0;
}

/* A new, still detached mount of file system type from fsopen(2) options key=value pairs. */
static int new_fs(const char *type, const char *const *options)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	for (size_t i = 0; options[i]; i += 2)
		if (fsconfig(fs, FSCONFIG_SET_STRING, options[i], options[i + 1], 0) < 0)
			return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	return mnt < 0 ? -errno : mnt;
}

/* A tmpfs (with opts) over target (in this mount namespace, where overlayfs may use it) with the
 * upper and work directories of an overlay whose writes vanish; returns the tmpfs's fd. */
static int tmpfs_upper(int target, const char *const *opts, int *ret_upper, int *ret_work)
{
	_cleanup_close_ int t = new_fs("tmpfs", opts);
	if (t < 0)
		return t;
	int r = attach(t, target);
	if (r < 0)
		return r;
	if (mkdirat(t, "upper", 0755) < 0)
		return -errno;
	if (mkdirat(t, "work", 0700) < 0)
		return -errno;
	*ret_upper = openat(t, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_upper < 0)
		return -errno;
	*ret_work = openat(t, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_work < 0)
		return -errno;
	return TAKE_FD(t);
}

/* --ephemeral: a tmpfs over the tree (in this mount namespace only) holds the overlay's upper and
 * work directories; the tree itself is the lower layer, reached through its fd. Constant time
 * whatever the tree's size; the tree is never written. Returns the overlay's mount fd. */
static int mount_ephemeral(int tree)
{
	struct stat st;
	if (fstat(tree, &st) < 0)
		return -errno;
	_cleanup_close_ int upper = -1, work = -1;
	_cleanup_close_ int t =
		tmpfs_upper(tree, (const char *const[]){ "mode", "0755", NULL }, &upper, &work);
	if (t < 0)
		return t;
	/* The upper layer is the tree's root: its owner and mode. */
	if (fchownat(t, "upper", st.st_uid, st.st_gid, 0) < 0)
		return -errno;
	if (fchmodat(t, "upper", st.st_mode & 07777, 0) < 0)
		return -errno;
	char lower_dir[32], upper_dir[32], work_dir[32];
	snprintf(lower_dir, sizeof(lower_dir), "/proc/self/fd/%d", tree);
	snprintf(upper_dir, sizeof(upper_dir), "/proc/self/fd/%d", upper);
	snprintf(work_dir, sizeof(work_dir), "/proc/self/fd/%d", work);
	_cleanup_close_ int ov =
		new_fs("overlay", (const char *const[]){ "lowerdir", lower_dir, "upperdir", upper_dir,
							 "workdir", work_dir, NULL });
	if (ov < 0)
		return ov;
	int r = attach(ov, t);
	if (r < 0)
		return r;
	return TAKE_FD(ov);
}

/* A recursive bind of the tree onto itself, so the root is a mount point pivot_root accepts. */
static int bind_tree(int tree)
{
	int b = open_tree(tree, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (b < 0)
		return -errno;
	int r = attach(b, tree);
	if (r < 0) {
		close(b);
		return r;
	}
	return b;
}

int container_reopen_root(const struct container *c)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, AT_FDCWD, c->root, &how, sizeof(how));
	if (fd < 0)
		return errno == ELOOP || errno == ENOENT || errno == ENOTDIR ? -ESTALE : -errno;
	struct stat want, got;
	if (fstat(c->root_fd, &want) < 0)
		return -errno;
	if (fstat(fd, &got) < 0)
		return -errno;
	if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
		return -ESTALE;
	return TAKE_FD(fd);
}

int log_reopen_root(const struct container *c, int r)
{
	if (r != -ESTALE)
		return log_errno(r, "cannot open %s again", c->root);
	log_error("%s was moved or replaced while the container started; refusing to use it", c->root);
	return r;
}

/* nspawn's TMPFS_LIMITS_ROOTFS and TMPFS_LIMITS_VOLATILE_STATE: a volatile container must not be
 * able to fill the host's RAM with its writes. */
static const char *const volatile_tmpfs[] = { "mode", "0755", "size", "25%", "nr_inodes", "1m", NULL };

/* What --volatile=yes builds around the tree's /usr in the tmpfs root, as nspawn's
 * base_filesystem_create() does: a symlink to the first target the tree has (holding check,
 * if given), none if it has none; a directory of that mode otherwise. */
struct base_entry {
	const char *name;
	mode_t mode; /* 0: a symlink */
	const char *targets[3];
	const char *check;
};

static const struct base_entry base_filesystem[] = {
	{ "bin", 0, { "usr/bin" }, NULL },
	{ "lib", 0, { "usr/lib" }, NULL },
	{ "root", 0750, { NULL }, NULL },
	{ "sbin", 0, { "usr/sbin" }, NULL },
	{ "usr", 0755, { NULL }, NULL },
	{ "var", 0755, { NULL }, NULL },
	{ "etc", 0755, { NULL }, NULL },
	{ "proc", 0555, { NULL }, NULL },
	{ "sys", 0555, { NULL }, NULL },
	{ "dev", 0555, { NULL }, NULL },
	{ "run", 0555, { NULL }, NULL },
	/* nspawn mounts a tmpfs here later; a command run by hako gets the directory. */
	{ "tmp", 01777, { NULL }, NULL },
#if defined(__x86_64__)
	{ "lib64", 0, { "usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/lib" }, "ld-linux-x86-64.so.2" },
#endif
};

static const char *base_target(int tree, const struct base_entry *e)
{
	for (size_t i = 0; i < ELEMENTSOF(e->targets) && e->targets[i]; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", e->targets[i], e->check ? e->check : ".");
		if (faccessat(tree, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return e->targets[i];
	}
	return NULL;
}

static int make_base_filesystem(int root, int tree)
{
	for (size_t i = 0; i < ELEMENTSOF(base_filesystem); i++) {
		const struct base_entry *e = &base_filesystem[i];
		if (e->mode == 0) {
			const char *target = base_target(tree, e);
			if (target && symlinkat(target, root, e->name) < 0)
				return -errno;
			continue;
		}
		if (mkdirat(root, e->name, e->mode) < 0)
			return -errno;
		if (fchmodat(root, e->name, e->mode, 0) < 0) /* past the umask */
			return -errno;
	}
	return 0;
}

/* --volatile=yes: a fresh tmpfs over the root holding the base file system and the tree's /usr,
 * read-only. Returns the tmpfs's mount fd. */
static int volatile_yes(int tree)
{
	_cleanup_close_ int usr = open_tree(tree, "usr", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (usr < 0)
		return -errno;
	int r = set_ro(usr, true);
	if (r < 0)
		return r;
	_cleanup_close_ int t = new_fs("tmpfs", volatile_tmpfs);
	if (t < 0)
		return t;
	r = attach(t, tree);
	if (r < 0)
		return r;
	r = make_base_filesystem(t, tree);
	if (r < 0)
		return r;
	_cleanup_close_ int usr_dir = openat(t, "usr", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (usr_dir < 0)
		return -errno;
	r = attach(usr, usr_dir);
	if (r < 0)
		return r;
	return TAKE_FD(t);
}

/* --volatile=state: the whole tree read-only, a fresh tmpfs on /var (made if the tree has none,
 * as nspawn does). */
static int volatile_state(int root)
{
	if (mkdirat(root, "var", 0755) < 0 && errno != EEXIST)
		return -errno;
	_cleanup_close_ int var = open_in_root(root, "/var", O_PATH | O_DIRECTORY);
	if (var < 0)
		return var;
	int r = set_ro(root, true);
	if (r < 0)
		return r;
	_cleanup_close_ int t = new_fs("tmpfs", volatile_tmpfs);
	if (t < 0)
		return t;
	return attach(t, var);
}

int mounts_check(const struct container *c)
{
	const struct run_config *cfg = c->cfg;
	if (cfg->volatile_mode == VOLATILE_NO)
		return 0;
	if (cfg->read_only) {
		log_error(
			"--read-only and --volatile= exclude each other: --volatile already keeps the tree read-only");
		return -EINVAL;
	}
	if (cfg->volatile_mode != VOLATILE_YES)
		return 0;
	/* Only /usr of the tree is there: an unmerged /bin would be missing (nspawn's rule). */
	struct stat st;
	if (fstatat(container_os_fd(c), "bin", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_errno(-errno, "cannot use %s/bin", container_os_path(c));
	}
	if (!S_ISLNK(st.st_mode)) {
		log_error(
			"--volatile=yes needs a tree with a merged /usr: %s/bin is not a symlink to usr/bin",
			container_os_path(c));
		return -EINVAL;
	}
	return 0;
}

bool mounts_root_is_overlay(const struct run_config *cfg)
{
	return cfg->ephemeral || cfg->volatile_mode == VOLATILE_OVERLAY;
}

/* The root's /etc goes away with the container: hako's files may be written into it. */
static bool etc_is_throwaway(const struct run_config *cfg)
{
	if (cfg->volatile_mode == VOLATILE_STATE)
		return false;
	return cfg->volatile_mode != VOLATILE_NO || cfg->ephemeral;
}

/* Applies --volatile=yes or state to the mounted root and enters the result. */
static int enter_volatile(const struct container *c, int root)
{
	_cleanup_close_ int tmpfs_root = -1;
	int r = 0;
	if (c->cfg->volatile_mode == VOLATILE_YES)
		r = tmpfs_root = volatile_yes(root);
	else if (c->cfg->volatile_mode == VOLATILE_STATE)
		r = volatile_state(root);
	if (r < 0)
		return log_errno(r, "cannot set up the volatile root over %s", c->root);
	if (fchdir(tmpfs_root >= 0 ? tmpfs_root : root) < 0)
		return log_errno(-errno, "cannot enter %s", c->root);
	return 0;
}

/* --pivot-root=NEW[:OLD], as nspawn's setup_pivot_root(): a recursive bind of the tree's NEW is
 * mounted over the root, and with OLD a recursive bind of the root (cloned before, so without
 * NEW's) at OLD in it; without OLD the tree's root is covered, and out of reach once the host's
 * root is detached. Both resolved in the mounted tree (RESOLVE_IN_ROOT). Returns NEW's mount fd,
 * to be entered instead of root. */
static int pivot_root_within(const struct run_config *cfg, int root)
{
	_cleanup_close_ int dir = open_in_root(root, cfg->pivot_root_new, O_PATH | O_DIRECTORY);
	if (dir < 0)
		return dir;
	_cleanup_close_ int new =
		open_tree(dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (new < 0)
		return -errno;
	_cleanup_close_ int old = -1;
	if (cfg->pivot_root_old) {
		old = open_tree(root, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (old < 0)
			return -errno;
	}
	int r = attach(new, root);
	if (r < 0)
		return r;
	if (old < 0)
		return TAKE_FD(new);
	/* --read-only reaches the old root too: it is the same tree. */
	r = cfg->read_only ? set_ro(old, true) : 0;
	if (r < 0)
		return r;
	_cleanup_close_ int at = open_in_root(new, cfg->pivot_root_old, O_PATH | O_DIRECTORY);
	if (at < 0)
		return at;
	r = attach(old, at);
	if (r < 0)
		return r;
	return TAKE_FD(new);
}

/* Mounts the container's root and enters it. Works on fds, not on the tree's path: in a user
 * namespace this process may no longer search the directories above the tree (a 0700 parent
 * only the host's root may enter), so those were opened before it gave up the host's ids. */
static int mount_root(struct container *c)
{
	/* Nothing done below may propagate back to the host's mount table. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(-errno, "cannot make the container's mounts private");
	bool overlay = mounts_root_is_overlay(c->cfg);
	int tree = isolation_root_tree_fd(c);
	/* With a user namespace, already a mount of its own (isolation_enter_child attached it). */
	int root = tree;
	_cleanup_close_ int own = -1, mounted = -1;
	if (tree < 0 || overlay) {
		if (tree < 0) {
			tree = own = container_reopen_root(c);
			if (tree < 0)
				return log_reopen_root(c, tree);
		}
		root = mounted = overlay ? mount_ephemeral(tree) : bind_tree(tree);
		if (root < 0)
			return log_errno(root,
					 overlay ? "cannot mount an overlay over %s" : "cannot bind-mount %s",
					 c->root);
	}
	if (!c->cfg->pivot_root_new)
		return enter_volatile(c, root);
	_cleanup_close_ int pivoted = pivot_root_within(c->cfg, root);
	if (pivoted < 0)
		return log_errno(pivoted, "cannot make %s the root (--pivot-root=)", container_os_path(c));
	return enter_volatile(c, pivoted);
}

static int make_target(int nfd, const char *path, bool dir)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		bool last = !*s;
		char saved = *s;
		*s = 0;
		int fd = open_in_root(nfd, p, O_PATH);
		if (fd == -ENOENT) {
			char *slash = strrchr(p, '/');
			*slash = 0;
			_cleanup_close_ int parent = open_in_root(nfd, *p ? p : "/", O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				return parent;
			if (last && !dir) {
				int f = openat(parent, slash + 1,
					       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (f < 0)
					return -errno;
				close(f);
			} else if (mkdirat(parent, slash + 1, 0755) < 0)
				return -errno;
			fd = open_in_root(nfd, p, O_PATH);
		}
		if (fd < 0 || last)
			return fd;
		close(fd);
		*s = saved;
	}
}

/* Binds the mount tree t onto the open target: move_mount, so the target is the fd resolved
 * inside the tree, not a path the tree could redirect. */
static int bind_tree_onto(int t, int target, bool ro)
{
	if (ro) {
		int r = set_ro(t, true);
		if (r < 0)
			return r;
	}
	if (move_mount(t, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int bind_onto(const char *src, int target, bool recursive, bool ro)
{
	_cleanup_close_ int t =
		open_tree(AT_FDCWD, src,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	return t < 0 ? -errno : bind_tree_onto(t, target, ro);
}

int mounts_make_target(int nfd, const char *path, bool dir)
{
	return make_target(nfd, path, dir);
}

int mounts_bind_onto(const char *src, int target, bool recursive, bool ro)
{
	return bind_onto(src, target, recursive, ro);
}

/* The mount tree bind i starts from: cloned before (-U: the host's path, before the ids changed;
 * idmap: by the parent), from the tree for +PATH (resolved inside it), or the host's path. */
static int bind_source_tree(struct container *c, int nfd, unsigned i)
{
	const struct bind_spec *b = &c->cfg->binds[i];
	int tree = isolation_take_bind_tree(c, i);
	if (tree >= 0)
		return tree;
	_cleanup_close_ int src =
		b->in_tree ? open_in_root(nfd, b->source, O_PATH) : open(b->source, O_PATH | O_CLOEXEC);
	if (src < 0)
		return b->in_tree ? src : -errno;
	tree = open_tree(src, "",
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
				 (b->recursive ? AT_RECURSIVE : 0));
	return tree < 0 ? -errno : tree;
}

/* The guest's journal directory, with the host's bound over it when one was opened. */
static int journal_onto_tree(struct container *c, int nfd)
{
	_cleanup_close_ int target = make_target(nfd, c->journal_dir, true);
	if (target < 0)
		return target;
	if (c->journal_tree < 0)
		return 0;
	return bind_tree_onto(c->journal_tree, target, false);
}

/* --link-journal's side in the tree (journal.c did the host's): the guest's directory, and over
 * it the host's when one was opened. try- and auto give up quietly, as in nspawn. */
static int mount_journal(struct container *c, int nfd)
{
	if (!c->journal_dir)
		return 0;
	bool try = c->cfg->link_journal_try || c->cfg->link_journal == LINK_JOURNAL_AUTO;
	int r = journal_onto_tree(c, nfd);
	if (r < 0 && try) {
		log_debug("--link-journal: cannot set up %s in the tree: %s, skipped", c->journal_dir,
			  strerror(-r));
		return 0;
	}
	return r < 0 ? log_errno(r, "--link-journal: cannot set up %s in the tree", c->journal_dir) : 0;
}

static int mount_binds(struct container *c, int nfd)
{
	const struct run_config *cfg = c->cfg;
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		const struct bind_spec *b = &cfg->binds[i];
		_cleanup_close_ int tree = bind_source_tree(c, nfd, i);
		if (tree < 0)
			return log_errno(tree, "bind source %s%s", b->in_tree ? "+" : "", b->source);
		struct stat st;
		if (fstat(tree, &st) < 0)
			return log_errno(-errno, "bind source %s", b->source);
		_cleanup_close_ int target = make_target(nfd, b->dest, S_ISDIR(st.st_mode));
		if (target < 0)
			return log_errno(target, "cannot create bind destination %s", b->dest);
		int r = bind_tree_onto(tree, target, b->read_only);
		if (r < 0)
			return log_errno(r, "cannot bind %s to %s", b->source, b->dest);
	}
	for (unsigned i = 0; i < cfg->n_tmpfs; i++) {
		const struct tmpfs_spec *t = &cfg->tmpfs[i];
		_cleanup_close_ int target = make_target(nfd, t->path, true);
		if (target < 0)
			return log_errno(target, "cannot create tmpfs mount point %s", t->path);
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", target);
		if (mount("tmpfs", p, "tmpfs", MS_NODEV | MS_STRICTATIME, t->options) < 0)
			return log_errno(-errno, "cannot mount tmpfs on %s (options %s)", t->path,
					 t->options);
	}
	return 0;
}

/* The host's layers of the overlays (paths without '+'), opened once in the container's mount
 * namespace (overlayfs takes layers only from there) while the process still has the host's
 * ids: with -U the container's root may not search the directories above them (a 0700 one of
 * the host's root). In the order mount_overlay() takes them: each overlay's lower layers top
 * first, then UPPER's parent. Only the container's child process fills it, once. */
static struct {
	int fd[128];
	unsigned n, next;
	bool opened;
} host_layers;

static int push_host_layer(const char *path)
{
	if (host_layers.n >= ELEMENTSOF(host_layers.fd))
		return -E2BIG;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	host_layers.fd[host_layers.n++] = fd;
	return 0;
}

/* "DIR/NAME" -> DIR ("/" for "/NAME", "+/" for "+/NAME") and NAME. */
static int split_parent(const char *path, char **ret_dir, char **ret_name)
{
	const char *slash = strrchr(path, '/');
	size_t keep = (size_t)(slash - path);
	if (keep == (size_t)(path[0] == '+'))
		keep++;
	*ret_dir = strndup(path, keep);
	*ret_name = strdup(slash + 1);
	return *ret_dir && *ret_name ? 0 : -ENOMEM;
}

static int open_host_layers(const struct overlay_spec *o)
{
	for (size_t i = strv_length(o->lower); i-- > 0;) {
		if (o->lower[i][0] == '+')
			continue;
		int r = push_host_layer(o->lower[i]);
		if (r < 0)
			return log_errno(r, "cannot open the overlay layer %s", o->lower[i]);
	}
	if (!o->upper || o->upper[0] == '+')
		return 0;
	_cleanup_free_ char *dir = NULL, *name = NULL;
	int r = split_parent(o->upper, &dir, &name);
	if (r < 0)
		return log_errno(r, "cannot open the directory of the overlay's upper layer %s", o->upper);
	r = push_host_layer(dir);
	if (r < 0)
		return log_errno(r, "cannot open the directory of the overlay's upper layer %s", o->upper);
	return 0;
}

int mounts_open_host_layers(const struct container *c)
{
	if (host_layers.opened)
		return 0;
	host_layers.opened = true;
	for (unsigned i = 0; i < c->cfg->n_overlays; i++) {
		int r = open_host_layers(&c->cfg->overlays[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An overlay layer's directory: '+PATH' inside the container's root (nfd), any other path the
 * next one open_host_layers() opened. The overlay then names it by its fd, never by its path. */
static int open_layer(int nfd, const char *path)
{
	if (path[0] == '+')
		return open_in_root(nfd, path + 1, O_PATH | O_DIRECTORY);
	if (host_layers.next >= host_layers.n)
		return -EBADF;
	int *fd = &host_layers.fd[host_layers.next++];
	return TAKE_FD(*fd);
}

/* UPPER, and the work directory overlayfs needs on its file system: ".#hako-work.NAME" beside
 * UPPER, made once and kept (overlayfs empties it at each mount). */
static int open_upper(int nfd, const char *upper, int *ret_upper, int *ret_work)
{
	_cleanup_free_ char *dir = NULL, *name = NULL;
	int r = split_parent(upper, &dir, &name);
	if (r < 0)
		return r;
	_cleanup_close_ int parent = open_layer(nfd, dir);
	if (parent < 0)
		return parent;
	*ret_upper = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*ret_upper < 0)
		return -errno;
	_cleanup_free_ char *work = xasprintf(".#hako-work.%s", name);
	if (!work)
		return -ENOMEM;
	if (mkdirat(parent, work, 0700) < 0 && errno != EEXIST)
		return -errno;
	*ret_work = openat(parent, work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *ret_work < 0 ? -errno : 0;
}

struct layer_fds {
	int fd[64];
	size_t n;
	char lowerdir[64 * 24];
};

static void layer_fds_done(struct layer_fds *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fd[i]);
	l->n = 0;
}

/* Opens the lower layers and names them, top first as overlayfs wants, in l->lowerdir. */
static int open_lowers(int nfd, const struct overlay_spec *o, struct layer_fds *l)
{
	size_t n = strv_length(o->lower), len = 0;
	if (n > ELEMENTSOF(l->fd))
		return -E2BIG;
	for (size_t i = n; i-- > 0;) {
		int fd = open_layer(nfd, o->lower[i]);
		if (fd < 0)
			return fd;
		l->fd[l->n++] = fd;
		len += (size_t)snprintf(l->lowerdir + len, sizeof(l->lowerdir) - len, "%s/proc/self/fd/%d",
					len ? ":" : "", fd);
	}
	return 0;
}

static int mount_overlay(int nfd, const struct overlay_spec *o)
{
	_cleanup_(layer_fds_done) struct layer_fds lowers = { .n = 0 };
	int r = open_lowers(nfd, o, &lowers);
	if (r < 0)
		return r;
	_cleanup_close_ int target = make_target(nfd, o->dest, true);
	if (target < 0)
		return target;
	_cleanup_close_ int upper = -1, work = -1, tmpfs = -1;
	if (!o->read_only && !o->upper) {
		tmpfs = tmpfs_upper(target, volatile_tmpfs, &upper, &work);
		if (tmpfs < 0)
			return tmpfs;
	} else if (!o->read_only) {
		r = open_upper(nfd, o->upper, &upper, &work);
		if (r < 0)
			return r;
	}
	char upper_dir[32], work_dir[32];
	snprintf(upper_dir, sizeof(upper_dir), "/proc/self/fd/%d", upper);
	snprintf(work_dir, sizeof(work_dir), "/proc/self/fd/%d", work);
	_cleanup_close_ int ov =
		new_fs("overlay",
		       (const char *const[]){ "lowerdir", lowers.lowerdir, o->read_only ? NULL : "upperdir",
					      upper_dir, "workdir", work_dir, NULL });
	if (ov < 0)
		return ov;
	return attach(ov, tmpfs >= 0 ? tmpfs : target);
}

static int mount_overlays(const struct run_config *cfg, int nfd)
{
	for (unsigned i = 0; i < cfg->n_overlays; i++) {
		int r = mount_overlay(nfd, &cfg->overlays[i]);
		if (r < 0)
			return log_errno(r, "cannot mount the overlay on %s", cfg->overlays[i].dest);
	}
	return 0;
}

/* The text a copy of resolv.conf gets: hako's network's DNS for the host's file (the container
 * reaches hako's resolver, not the host's), else the source's. */
static int resolv_conf_data(const struct container *c, const char *source, char **ret)
{
	const char *net = network_resolv_conf(c);
	if (net && streq(source, "/etc/resolv.conf")) {
		*ret = strdup(net);
		return *ret ? 0 : -ENOMEM;
	}
	return read_file(source, ret, NULL);
}

/* replace-*: a guest's /etc/resolv.conf that is a symlink (to resolved's stub, say) or missing is
 * replaced in the tree, as nspawn does; a plain file is covered as by copy-*. 1 if written. */
static int replace_resolv_conf(int etc, const char *data)
{
	struct stat st;
	if (fstatat(etc, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
		return 0;
	if (unlinkat(etc, "resolv.conf", 0) < 0 && errno != ENOENT)
		return -errno;
	int r = write_file_at(etc, "resolv.conf", data, O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	return r < 0 ? r : 1;
}

/* data in a new file at tmp (relative to the working directory), bound onto target. */
static int bind_text_onto(const char *tmp, const char *data, int target)
{
	int r = write_file(tmp, data, O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (r < 0)
		return r;
	return bind_onto(tmp, target, false, false);
}

/* A private copy of source: written into an ephemeral tree (it is thrown away), otherwise kept in
 * the container's /dev tmpfs, bound over the tree's file and unlinked there, so a persistent tree
 * is never modified (replace-* aside). */
static int copy_resolv_conf(const struct container *c, int nfd, const char *source, bool replace)
{
	_cleanup_free_ char *data = NULL;
	int r = resolv_conf_data(c, source, &data);
	if (r < 0)
		return r;
	_cleanup_close_ int etc = open_in_root(nfd, "/etc", O_PATH | O_DIRECTORY);
	if (etc < 0)
		return 0; /* not a full tree */
	if (etc_is_throwaway(c->cfg)) {
		(void)unlinkat(etc, "resolv.conf", 0);
		return write_file_at(etc, "resolv.conf", data, O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	}
	r = replace ? replace_resolv_conf(etc, data) : 0;
	if (r != 0)
		return r < 0 ? r : 0;
	_cleanup_close_ int target = open_in_root(nfd, "/etc/resolv.conf", O_PATH);
	if (target < 0)
		return 0; /* creating it would modify the tree */
	static const char tmp[] = "dev/.hako-resolv.conf";
	r = bind_text_onto(tmp, data, target);
	(void)unlink(tmp);
	return r;
}

/* bind-*: the source itself, read-only, over the guest's file (created if missing, as nspawn). */
static int bind_resolv_conf(int nfd, const char *source)
{
	if (access(source, F_OK) < 0)
		return -errno;
	_cleanup_close_ int etc = open_in_root(nfd, "/etc", O_PATH | O_DIRECTORY);
	if (etc < 0)
		return 0; /* not a full tree */
	_cleanup_close_ int target = make_target(nfd, "/etc/resolv.conf", false);
	if (target < 0)
		return target;
	return bind_onto(source, target, false, true);
}

/* Is systemd-resolved's stub listening in hako's network namespace (a UDP socket on
 * 127.0.0.53:53)? nspawn asks resolved over D-Bus; the socket is what a container sharing the
 * host's network needs, and it needs no bus. */
static bool resolved_stub_listening(void)
{
	_cleanup_free_ char *udp = NULL;
	if (read_file_bounded("/proc/net/udp", 1 << 20, &udp, NULL) < 0)
		return false;
	/* local_address is the __be32 printed as a host-order number; this is little-endian's. */
	return strstr(udp, " 3500007F:0035 ") != NULL;
}

/* nspawn's auto: with a network of its own the guest's file is its business (a bridged machine
 * may have its own DNS), unless hako's network gives it hako's DNS; a host that runs resolved
 * gives resolved's static file (127.0.0.53, reachable on the host's network), else its own. */
static enum resolv_conf_mode resolv_conf_auto(const struct container *c)
{
	if (network_resolv_conf(c))
		return RESOLV_CONF_COPY_HOST;
	if (c->cfg->net.private_network)
		return RESOLV_CONF_OFF;
	if (resolved_stub_listening() && access(RESOLV_CONF_STATIC_PATH, F_OK) == 0)
		return RESOLV_CONF_COPY_STATIC;
	if (access("/etc/resolv.conf", F_OK) < 0)
		return RESOLV_CONF_OFF; /* the host has none: nothing to copy */
	return RESOLV_CONF_COPY_HOST;
}

static int setup_resolv_conf(const struct container *c, int nfd)
{
	enum resolv_conf_mode m = c->cfg->resolv_conf;
	if (m == RESOLV_CONF_AUTO)
		m = resolv_conf_auto(c);
	const char *source = resolv_conf_source(m);
	int r = 0;
	switch (resolv_conf_action(m)) {
	case RESOLV_ACTION_NONE:
		return 0;
	case RESOLV_ACTION_DELETE: {
		_cleanup_close_ int etc = open_in_root(nfd, "/etc", O_PATH | O_DIRECTORY);
		if (etc >= 0 && unlinkat(etc, "resolv.conf", 0) < 0 && errno != ENOENT)
			r = -errno;
		break;
	}
	case RESOLV_ACTION_COPY:
	case RESOLV_ACTION_REPLACE:
		r = copy_resolv_conf(c, nfd, source, resolv_conf_action(m) == RESOLV_ACTION_REPLACE);
		break;
	case RESOLV_ACTION_BIND:
		r = bind_resolv_conf(nfd, source);
		break;
	}
	if (r < 0 && source)
		return log_errno(r, "cannot set up /etc/resolv.conf from %s", source);
	return r < 0 ? log_errno(r, "cannot set up /etc/resolv.conf") : 0;
}

static int enter_root(void)
{
	/* pivot_root, not chroot: the old root is unmounted, not merely out of sight, so no
	 * chroot escape (fchdir to an fd, nested chroot) can get back to the host's files. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return log_errno(-errno, "pivot_root failed");
	if (umount2(".", MNT_DETACH) < 0)
		return log_errno(-errno, "cannot detach the host's root");
	if (chdir("/") < 0)
		return log_errno(-errno, "cannot chdir to the new root");
	return 0;
}

/* As nspawn: the container's mounts become shared among themselves (a peer group of this
 * namespace alone; they were made private before, so nothing reaches the host's). A booted
 * systemd does not make / shared in a container, it leaves that to the container manager, and
 * needs it: a service's /run/credentials/UNIT (LoadCredential=), and the mounts of
 * `systemctl bind`, are made in a child's mount namespace and moved into place from there, which
 * only propagates back to the init's namespace from a shared mount (systemd issue 3860). */
static int share_mounts(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		return log_errno(-errno, "cannot make the container's mounts shared");
	return 0;
}

/* A booted init gets /run as a tmpfs of hako's, as under nspawn (with its limits, for the same
 * reason as /dev/shm's): an init mounts its own only where none is, and one mounted by the guest
 * would hide what hako binds below it (/run/host/notify). */
static int mount_run(const struct container *c, int nfd)
{
	if (!c->cfg->boot)
		return 0;
	_cleanup_close_ int target = make_target(nfd, "/run", true);
	if (target < 0)
		return log_errno(target, "cannot create /run");
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", target);
	if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		  "mode=0755,size=20%,nr_inodes=800k") < 0)
		return log_errno(-errno, "cannot mount a tmpfs on /run");
	return 0;
}

int mounts_setup(struct container *c)
{
	int r = mounts_open_host_layers(c);
	if (r < 0)
		return r;
	r = mount_root(c);
	if (r < 0)
		return r;
	_cleanup_close_ int nfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0)
		return log_errno(-errno, "cannot open the container's root");
	r = mount_api();
	if (r < 0)
		return r;
	r = mount_cgroup(c);
	if (r < 0)
		return r;
	r = mount_console(c);
	if (r < 0)
		return r;
	r = mount_run(c, nfd);
	if (r < 0)
		return r;
	r = credentials_setup(c, nfd);
	if (r < 0)
		return r;
	r = mount_binds(c, nfd);
	if (r < 0)
		return r;
	r = binduser_setup(c, nfd);
	if (r < 0)
		return r;
	r = mount_overlays(c->cfg, nfd);
	if (r < 0)
		return r;
	r = files_setup_timezone(c, nfd);
	if (r < 0)
		return r;
	r = mount_journal(c, nfd);
	if (r < 0)
		return r;
	r = setup_resolv_conf(c, nfd);
	if (r < 0)
		return r;
	r = files_setup_inaccessible(c, nfd);
	if (r < 0)
		return r;
	r = c->cfg->read_only ? set_ro(nfd, false) : 0;
	if (r < 0)
		return log_errno(r, "cannot make the root directory read-only");
	r = enter_root();
	if (r < 0)
		return r;
	return share_mounts();
}
