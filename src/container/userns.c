/* User namespaces (see userns.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/mount.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "base/util.h"
#include "container/userns.h"

extern char **environ;

int userns_parse_mode(struct userns_config *u, const char *value, const char **why)
{
	u->mode_set = true;
	u->from_tree_owner = false;
	if (!value || streq(value, "pick")) {
		u->mode = USERNS_PICK;
		return 0;
	}
	if (streq(value, "identity")) {
		u->mode = USERNS_IDENTITY;
		return 0;
	}
	int b = parse_boolean(value);
	if (b == 0) {
		u->mode = USERNS_NO;
		return 0;
	}
	if (b == 1) {
		u->mode = USERNS_FIXED;
		u->from_tree_owner = true;
		u->count = USERNS_RANGE_SIZE;
		return 0;
	}
	_cleanup_free_ char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	char *colon = strchr(copy, ':');
	uint32_t base, count = USERNS_RANGE_SIZE;
	if (colon)
		*colon = '\0';
	if (parse_u32(copy, &base) < 0 || (colon && parse_u32(colon + 1, &count) < 0) || count == 0 ||
	    (uint64_t)base + count > UINT32_MAX) {
		*why = "expected no, yes, pick, identity or UID[:COUNT]";
		return -EINVAL;
	}
	if (base == 0) {
		/* Mapping root to root is no boundary at all: identity says so explicitly. */
		*why = "UID 0 would map root to the host's root (use identity)";
		return -EINVAL;
	}
	u->mode = USERNS_FIXED;
	u->base = base;
	u->count = count;
	return 0;
}

int userns_parse_ownership(struct userns_config *u, const char *value, const char **why)
{
	// clang-format off
	static const char *const names[] = {
		[USERNS_OWNERSHIP_AUTO] = "auto", [USERNS_OWNERSHIP_MAP] = "map",
		[USERNS_OWNERSHIP_CHOWN] = "chown", [USERNS_OWNERSHIP_OFF] = "off",
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(value, names[i])) {
			u->ownership = i;
			return 0;
		}
	*why = "expected auto, map, chown or off";
	return -EINVAL;
}

/* --- pick --- */

/* The host's own users and groups (/etc/passwd, /etc/group), read once per pick: a range that
 * holds one of their ids is not free. Parsed directly: getpwuid() would go through NSS, whose
 * "systemd" module (loaded for every id the files do not have) costs milliseconds and a megabyte
 * on each start, and fgetpwent() costs two lseek(2)s per line. */
struct host_ids {
	char *passwd, *group, *subuid, *subgid;
};

static void host_ids_done(struct host_ids *h)
{
	free(h->passwd);
	free(h->group);
	free(h->subuid);
	free(h->subgid);
}

/* The files that give ids away on the host: its users and groups, and the subordinate ranges
 * newuidmap/newgidmap let users map (a user whose range covers a container's ids could enter
 * its processes). A missing file gives nothing away. */
static int host_ids_read(struct host_ids *h)
{
	const struct {
		const char *path;
		char **text;
		// clang-format off
	} files[] = {
		{ "/etc/passwd", &h->passwd }, { "/etc/group", &h->group },
		{ "/etc/subuid", &h->subuid }, { "/etc/subgid", &h->subgid },
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		int r = read_file_bounded(files[i].path, READ_FILE_MAX, files[i].text, NULL);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* The third field of the line at l ("name:x:ID:..."), or -1. */
static int64_t line_id(const char *l)
{
	for (int i = 0; i < 2; i++) {
		l += strcspn(l, ":\n");
		if (*l++ != ':')
			return -1;
	}
	if (*l < '0' || *l > '9')
		return -1;
	char *end;
	unsigned long long id = strtoull(l, &end, 10);
	return (*end == ':' || *end == '\n' || !*end) && id <= UINT32_MAX ? (int64_t)id : -1;
}

bool userns_text_has_id_in(const char *text, uint32_t base)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		int64_t id = line_id(l);
		if (id >= base && id - base < USERNS_RANGE_SIZE)
			return true;
	}
	return false;
}

bool userns_subids_overlap(const char *text, uint32_t base)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long start, count;
		const char *colon = l + strcspn(l, ":\n");
		if (*colon != ':' || sscanf(colon + 1, "%llu:%llu", &start, &count) != 2)
			continue;
		if (start < (unsigned long long)base + USERNS_RANGE_SIZE && base < start + count)
			return true;
	}
	return false;
}

/* Locks the range file for base in dirfd; -EBUSY when a running container holds it. */
static int lock_range(int dirfd, const struct host_ids *host, uint32_t base, const char *machine, int *ret_fd)
{
	/* The range must not belong to a host user or group either. */
	if (userns_text_has_id_in(host->passwd, base) || userns_text_has_id_in(host->group, base))
		return -EBUSY;
	if (userns_subids_overlap(host->subuid, base) || userns_subids_overlap(host->subgid, base))
		return -EBUSY;
	char name[32];
	snprintf(name, sizeof(name), "range-%08x", base);
	_cleanup_close_ int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	/* Who holds it, for people reading the state dir. Rewritten only when it changes: a
	 * truncated and rewritten file costs ext4 a flush on close (auto_da_alloc), on every start. */
	char held[MACHINE_NAME_MAX + 2] = "", want[MACHINE_NAME_MAX + 2];
	ssize_t n = pread(fd, held, sizeof(held) - 1, 0);
	snprintf(want, sizeof(want), "%s\n", machine);
	if ((n < 0 || !streq(held, want)) && ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, want, strlen(want), 0);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int read_recorded_base(int dirfd, const char *name, uint32_t *ret)
{
	char line[32];
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, line, sizeof(line) - 1);
	if (n < 0)
		return -errno;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	char *end;
	unsigned long v = strtoul(line, &end, 16);
	if (*end || end == line || v < USERNS_PICK_FIRST || v > USERNS_PICK_LAST || v % USERNS_RANGE_SIZE)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* state_dir/userns, made on first use. */
static int open_userns_dir(const char *state_dir)
{
	_cleanup_free_ char *dir = xasprintf("%s/userns", state_dir);
	if (!dir)
		return -ENOMEM;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int userns_pick(const char *state_dir, const char *machine, uint32_t *ret_base, int *ret_lock_fd)
{
	_cleanup_close_ int dirfd = open_userns_dir(state_dir);
	if (dirfd < 0)
		return dirfd;
	_cleanup_free_ char *record = xasprintf("machine-%s", machine);
	if (!record)
		return -ENOMEM;
	_cleanup_(host_ids_done) struct host_ids host = {};
	int r = host_ids_read(&host);
	if (r < 0)
		return r;
	uint32_t base, recorded = 0;
	int fd = -1;
	if (read_recorded_base(dirfd, record, &recorded) == 0 &&
	    lock_range(dirfd, &host, recorded, machine, &fd) == 0)
		base = recorded;
	else {
		const uint32_t n_ranges = (USERNS_PICK_LAST - USERNS_PICK_FIRST) / USERNS_RANGE_SIZE;
		uint32_t start = hash64(machine, strlen(machine)) % n_ranges;
		for (uint32_t i = 0; i < n_ranges; i++) {
			base = USERNS_PICK_FIRST + ((start + i) % n_ranges) * USERNS_RANGE_SIZE;
			r = lock_range(dirfd, &host, base, machine, &fd);
			if (r != -EBUSY)
				break;
		}
		if (r < 0)
			return r == -EBUSY ? -EADDRINUSE : r;
		/* Best effort: only makes the next pick for this name stable. */
		char buf[16];
		snprintf(buf, sizeof(buf), "%08x", base);
		(void)write_file_at(dirfd, record, buf, O_CREAT | O_TRUNC, 0644);
	}
	*ret_base = base;
	*ret_lock_fd = fd;
	return 0;
}

/* --- maps --- */

static int write_proc(pid_t pid, const char *file, const char *data)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_file(path, data, O_WRONLY, 0);
}

/* The first /etc/subuid (or subgid) range of user: "name:start:count" or "uid:start:count". */
static int find_subid(const char *file, const char *user, uid_t uid, uint32_t *start, uint32_t *count)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f)
		return -errno;
	char line[256], uidstr[16];
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned s, c;
		if (sscanf(line, "%127[^:]:%u:%u", name, &s, &c) == 3 && c > 0 &&
		    ((user && streq(name, user)) || streq(name, uidstr))) {
			*start = s;
			*count = c;
			return 0;
		}
	}
	return -ENOENT;
}

/* newuidmap PID 0 ID 1 1 START COUNT-1: root inside is the user, 1.. its subordinate ids. */
static int run_newidmap(const char *tool, pid_t pid, uint32_t id, uint32_t start, uint32_t count)
{
	char spid[16], sid[16], sstart[16], scount[16];
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sid, sizeof(sid), "%u", id);
	snprintf(sstart, sizeof(sstart), "%u", start);
	snprintf(scount, sizeof(scount), "%u", count);
	char *argv[] = { (char *)tool, spid, "0", sid, "1", "1", sstart, scount, NULL };
	pid_t child;
	int r = posix_spawnp(&child, tool, NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	int status;
	if (waitpid(child, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

static int write_rootless_maps(pid_t pid)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	uint32_t us, uc, gs, gc;
	if (find_subid("/etc/subuid", pw ? pw->pw_name : NULL, uid, &us, &uc) == 0 &&
	    find_subid("/etc/subgid", pw ? pw->pw_name : NULL, uid, &gs, &gc) == 0 &&
	    run_newidmap("newuidmap", pid, uid, us, uc) == 0 &&
	    run_newidmap("newgidmap", pid, gid, gs, gc) == 0)
		return 0;
	/* No subordinate ids: the single-id map an unprivileged user may write itself. */
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	int r = write_proc(pid, "uid_map", map);
	if (r < 0)
		return r;
	r = write_proc(pid, "setgroups", "deny");
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	return write_proc(pid, "gid_map", map);
}

int userns_write_map_text(pid_t pid, const char *uid_map, const char *gid_map)
{
	int r = write_proc(pid, "uid_map", uid_map);
	return r < 0 ? r : write_proc(pid, "gid_map", gid_map);
}

int userns_write_maps(pid_t pid, uint32_t base, uint32_t count)
{
	if (getuid() != 0)
		return write_rootless_maps(pid);
	char map[64];
	snprintf(map, sizeof(map), "0 %u %u\n", base, count);
	int r = write_proc(pid, "uid_map", map);
	return r < 0 ? r : write_proc(pid, "gid_map", map);
}

/* --- ownership --- */

/* File systems whose idmapped mounts this kernel supports (FS_ALLOW_IDMAP), by statfs magic. */
static const unsigned long idmap_fs_magic[] = {
	0xEF53,     /* ext2/3/4 */
	0x58465342, /* xfs */
	0x9123683E, /* btrfs */
	0x01021994, /* tmpfs (6.3) */
	0x794c7630, /* overlayfs (5.19) */
	0xF2F52010, /* f2fs */
	0x4d44,     /* vfat, msdos */
	0xE0F5E1E2, /* erofs */
	0x73717368, /* squashfs */
};

static bool fs_type_can_idmap(const struct statfs *sf)
{
	for (size_t i = 0; i < ELEMENTSOF(idmap_fs_magic); i++)
		if ((unsigned long)sf->f_type == idmap_fs_magic[i])
			return true;
	return false;
}

bool userns_fd_can_idmap(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && fs_type_can_idmap(&sf);
}

int userns_idmapped_tree(int dirfd, int userns_fd)
{
	_cleanup_close_ int fd = syscall(SYS_open_tree, dirfd, "",
					 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (fd < 0)
		return -errno;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns_fd };
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int64_t chown_delta;
static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	int64_t uid = st->st_uid + chown_delta, gid = st->st_gid + chown_delta;
	if (uid < 0 || gid < 0 || uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
		return -ERANGE;
	/* lchown drops setuid bits: keep the mode as it was. */
	if (lchown(path, uid, gid) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    chmod(path, st->st_mode & 07777) < 0)
		return -errno;
	return 0;
}

/* nftw() walks from a path: "." after entering the tree through its fd, so that the walk starts
 * in the directory validated, not whatever the tree's name points to by now. */
int userns_chown_tree(int dirfd, int64_t delta)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return -errno;
	if (fchdir(dirfd) < 0)
		return -errno;
	chown_delta = delta;
	int r = nftw(".", chown_one, 64, FTW_PHYS | FTW_MOUNT);
	if (r == -1)
		r = -errno;
	if (fchdir(cwd) < 0 && r >= 0)
		r = -errno;
	return r;
}
