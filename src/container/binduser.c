/* --bind-user=: see binduser.h. The ids and records follow nspawn 252 (nspawn-bind-user.c). */
#include "container/binduser.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>
#include "base/cleanup.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/isolation.h"
#include "container/mounts.h"
#include "container/user.h"

#define HOME_DIR "/run/host/home"
#define USERDB_DIR "/run/host/userdb"

/* Host ids below this are system users (Debian's SYS_UID_MAX is 999): mapping one into the
 * container would let the container's root act as a host daemon (or as the host's root) on
 * whatever of theirs is bound in. nspawn binds regular users only as well. */
#define BINDUSER_MIN_HOST_ID 1000U

void binduser_done(struct bound_users *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct bound_user *u = &b->v[i];
		free(u->name);
		free(u->group);
		free(u->home);
		free(u->hashed_password);
		if (u->home_tree >= 0)
			close(u->home_tree);
	}
	free(b->v);
	*b = (struct bound_users){ 0 };
}

/* Whether passwd- or group-format text has a line named name, or with id in its third field. */
static bool db_has(const char *text, const char *name, int64_t id)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t n = strcspn(l, ":\n");
		if (name && n == strlen(name) && strncmp(l, name, n) == 0)
			return true;
		const char *f = l + n;
		if (*f != ':' || !(f = strchr(f + 1, ':')))
			continue;
		char *end;
		long long v = strtoll(f + 1, &end, 10);
		if (id >= 0 && end != f + 1 && (*end == ':' || *end == '\n' || !*end) && v == id)
			return true;
	}
	return false;
}

/* The guest's /etc/passwd or /etc/group, resolved inside the tree; "" when it has none. */
static int read_guest_db(const struct container *c, const char *path, char **ret)
{
	_cleanup_close_ int fd = open_in_root(container_os_fd(c), path, O_RDONLY | O_NONBLOCK);
	if (fd == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (fd < 0)
		return fd;
	return read_file_bounded_fd(fd, READ_FILE_MAX, ret, NULL);
}

struct guest_dbs {
	char *passwd, *group;
};

static void guest_dbs_done(struct guest_dbs *g)
{
	free(g->passwd);
	free(g->group);
}

static bool id_taken(const struct bound_users *b, const struct guest_dbs *g, uint32_t id)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->v[i].id == id)
			return true;
	return db_has(g->passwd, NULL, id) || db_has(g->group, NULL, id);
}

/* nspawn's choice: the first id of the range no guest user or group (nor an earlier bound user)
 * has, the same number for the user and its group. */
static int pick_id(const struct bound_users *b, const struct guest_dbs *g, uint32_t *ret)
{
	for (uint32_t id = BINDUSER_ID_FIRST; id <= BINDUSER_ID_LAST; id++)
		if (!id_taken(b, g, id)) {
			*ret = id;
			return 0;
		}
	return -ERANGE;
}

static int lookup_host(const char *name, struct bound_user *u)
{
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return -ESRCH;
	struct group *gr = getgrgid(pw->pw_gid);
	if (!gr)
		return -ENOENT;
	u->host_uid = pw->pw_uid;
	u->host_gid = pw->pw_gid;
	u->name = strdup(pw->pw_name);
	u->home = strdup(pw->pw_dir);
	u->group = strdup(gr->gr_name);
	if (!u->name || !u->home || !u->group)
		return -ENOMEM;
	/* nspawn copies it too, into a record only the container's root may read. */
	struct spwd *sp = getspnam(name);
	if (sp && sp->sp_pwdp && *sp->sp_pwdp && !(u->hashed_password = strdup(sp->sp_pwdp)))
		return -ENOMEM;
	return 0;
}

/* Why name cannot be bound, or NULL. */
static const char *refusal(const struct bound_users *b, const struct guest_dbs *g, const struct bound_user *u)
{
	for (unsigned i = 0; i + 1 < b->n; i++)
		if (streq(b->v[i].name, u->name))
			return "given twice";
	if (u->host_uid < BINDUSER_MIN_HOST_ID || u->host_gid < BINDUSER_MIN_HOST_ID)
		return "a system user (uid or primary gid below 1000)";
	if (u->home[0] != '/')
		return "its home directory is not an absolute path";
	if (db_has(g->passwd, u->name, -1))
		return "the container's /etc/passwd has a user of that name";
	if (db_has(g->group, u->group, -1))
		return "the container's /etc/group has a group named like its primary group";
	return NULL;
}

static int add_user(struct container *c, const struct guest_dbs *g, const char *name)
{
	struct bound_users *b = &c->bound_users;
	struct bound_user *v = realloc(b->v, (b->n + 1) * sizeof(*v));
	if (!v)
		return log_errno(-ENOMEM, "out of memory");
	b->v = v;
	struct bound_user *u = &v[b->n++];
	*u = (struct bound_user){ .home_tree = -1 };
	int r = lookup_host(name, u);
	if (r == -ESRCH || r == -ENOENT) {
		log_error("--bind-user=%s: %s", name,
			  r == -ESRCH ? "no such user on the host"
				      : "its primary group is unknown on the host");
		return -EINVAL;
	}
	if (r < 0)
		return log_errno(r, "--bind-user=%s", name);
	const char *why = refusal(b, g, u);
	if (why) {
		log_error("--bind-user=%s: %s", name, why);
		return -EINVAL;
	}
	uint32_t id;
	if (pick_id(b, g, &id) < 0) {
		log_error("--bind-user=%s: no free id left in %u..%u", name, BINDUSER_ID_FIRST,
			  BINDUSER_ID_LAST);
		return -EINVAL;
	}
	u->id = id;
	return 0;
}

int binduser_prepare(struct container *c)
{
	char **names = c->cfg->bind_users;
	if (!names || !*names)
		return 0;
	if (!(isolation_clone_flags(c) & CLONE_NEWUSER) || getuid() != 0) {
		log_error("--bind-user= needs a user namespace of root's (--private-users=pick or a range)");
		return -EINVAL;
	}
	_cleanup_(guest_dbs_done) struct guest_dbs g = { 0 };
	int r = read_guest_db(c, "/etc/passwd", &g.passwd);
	if (r < 0)
		return log_errno(r, "--bind-user=: cannot read the container's /etc/passwd");
	r = read_guest_db(c, "/etc/group", &g.group);
	if (r < 0)
		return log_errno(r, "--bind-user=: cannot read the container's /etc/group");
	for (; *names; names++) {
		r = add_user(c, &g, *names);
		if (r < 0)
			return r;
	}
	return 0;
}

int binduser_lookup(const struct bound_users *b, const char *name, struct tree_user *ret)
{
	for (unsigned i = 0; i < b->n; i++) {
		const struct bound_user *u = &b->v[i];
		uint32_t id;
		if (!streq(u->name, name) && (parse_u32(name, &id) < 0 || id != u->id))
			continue;
		*ret = (struct tree_user){ .uid = u->id, .gid = u->id };
		ret->name = strdup(u->name);
		ret->home = xasprintf(HOME_DIR "/%s", u->name);
		ret->shell = strdup("/bin/sh");
		if (!ret->name || !ret->home || !ret->shell)
			return -ENOMEM;
		return 0;
	}
	return -ENOENT;
}

int binduser_map_text(const struct bound_users *b, uint32_t base, uint32_t count, int gid, char **ret)
{
	if (count <= BINDUSER_ID_LAST)
		return -ERANGE;
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	_cleanup_fclose_ FILE *f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	uint32_t next = 0; /* ids are picked in rising order: the holes come in order */
	for (unsigned i = 0; i < b->n; i++) {
		const struct bound_user *u = &b->v[i];
		uint32_t host = gid ? u->host_gid : u->host_uid;
		if (host >= base && host - base < count)
			return -ERANGE; /* the kernel refuses overlapping lines */
		if (u->id > next)
			fprintf(f, "%u %u %u\n", next, base + next, u->id - next);
		fprintf(f, "%u %u 1\n", u->id, host);
		next = u->id + 1;
	}
	fprintf(f, "%u %u %u\n", next, base + next, count - next);
	int r = fclose(f);
	f = NULL;
	if (r != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(text);
	return 0;
}

int binduser_clone_homes(struct container *c)
{
	struct bound_users *b = &c->bound_users;
	for (unsigned i = 0; i < b->n; i++) {
		struct bound_user *u = &b->v[i];
		u->home_tree = syscall(SYS_open_tree, AT_FDCWD, u->home,
				       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (u->home_tree < 0)
			return log_errno(-errno, "--bind-user=%s: cannot bind its home %s", u->name, u->home);
	}
	return 0;
}

/* ---- the records (systemd's JSON user and group records, as nspawn writes them) ---- */

static void write_user(FILE *f, const struct bound_user *u, bool privileged)
{
	fputs("{\"userName\":", f);
	json_string(f, u->name);
	fprintf(f, ",\"uid\":%u,\"gid\":%u", u->id, u->id);
	json_member(f, "disposition", "regular");
	_cleanup_free_ char *home = xasprintf(HOME_DIR "/%s", u->name);
	json_member(f, "homeDirectory", home);
	json_member(f, "service", "io.systemd.NSpawn");
	if (privileged) {
		fputs(",\"privileged\":{\"hashedPassword\":[", f);
		json_string(f, u->hashed_password);
		fputs("]}", f);
	}
	fputs("}\n", f);
}

// clang-format off
static void write_user_public(FILE *f, const struct bound_user *u) { write_user(f, u, false); }
static void write_user_privileged(FILE *f, const struct bound_user *u) { write_user(f, u, true); }
// clang-format on

static void write_group(FILE *f, const struct bound_user *u)
{
	fputs("{\"groupName\":", f);
	json_string(f, u->group);
	fprintf(f, ",\"gid\":%u", u->id);
	json_member(f, "disposition", "regular");
	json_member(f, "service", "io.systemd.NSpawn");
	fputs("}\n", f);
}

// clang-format off
static bool always(const struct bound_user *u) { (void)u; return true; }
static bool has_password(const struct bound_user *u) { return u->hashed_password != NULL; }
// clang-format on

/* Each record is NAME.SUFFIX, and ID.SUFFIX a symlink to it: nss-systemd looks up both ways. */
static const struct record_kind {
	const char *suffix;
	mode_t mode;
	bool group; /* named after the group */
	bool (*wanted)(const struct bound_user *u);
	void (*write)(FILE *f, const struct bound_user *u);
	// clang-format off
} record_kinds[] = {
	{ "user", 0644, false, always, write_user_public },
	/* The password hash only for the container's root, as in nspawn. */
	{ "user-privileged", 0600, false, has_password, write_user_privileged },
	{ "group", 0644, true, always, write_group },
};
// clang-format on

static int write_record(int dirfd, const struct bound_user *u, const struct record_kind *k)
{
	_cleanup_free_ char *name = xasprintf("%s.%s", k->group ? u->group : u->name, k->suffix);
	_cleanup_free_ char *link = xasprintf("%u.%s", u->id, k->suffix);
	if (!name || !link)
		return -ENOMEM;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, k->mode);
	if (fd < 0)
		return -errno;
	_cleanup_fclose_ FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	k->write(f, u);
	int r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
	if (r < 0)
		return r;
	return symlinkat(name, dirfd, link) < 0 ? -errno : 0;
}

static int write_records(int nfd, const struct bound_users *b)
{
	_cleanup_close_ int target = mounts_make_target(nfd, USERDB_DIR, true);
	if (target < 0)
		return log_errno(target, "--bind-user=: cannot create " USERDB_DIR);
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", target);
	/* A tmpfs of its own: the records never land in the tree. */
	if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1M") < 0)
		return log_errno(-errno, "--bind-user=: cannot mount a tmpfs on " USERDB_DIR);
	_cleanup_close_ int dir = open_in_root(nfd, USERDB_DIR, O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return log_errno(dir, "--bind-user=: cannot open " USERDB_DIR);
	for (unsigned i = 0; i < b->n; i++)
		for (size_t k = 0; k < ELEMENTSOF(record_kinds); k++) {
			if (!record_kinds[k].wanted(&b->v[i]))
				continue;
			int r = write_record(dir, &b->v[i], &record_kinds[k]);
			if (r < 0)
				return log_errno(r, "--bind-user=%s: cannot write its %s record",
						 b->v[i].name, record_kinds[k].suffix);
		}
	return 0;
}

static int bind_home(int nfd, struct bound_user *u)
{
	_cleanup_free_ char *path = xasprintf(HOME_DIR "/%s", u->name);
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	_cleanup_close_ int target = mounts_make_target(nfd, path, true);
	if (target < 0)
		return log_errno(target, "--bind-user=%s: cannot create %s", u->name, path);
	if (syscall(SYS_move_mount, u->home_tree, "", target, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(-errno, "--bind-user=%s: cannot bind %s to %s", u->name, u->home, path);
	close(u->home_tree);
	u->home_tree = -1;
	return 0;
}

int binduser_setup(struct container *c, int nfd)
{
	struct bound_users *b = &c->bound_users;
	if (!b->n)
		return 0;
	for (unsigned i = 0; i < b->n; i++) {
		int r = bind_home(nfd, &b->v[i]);
		if (r < 0)
			return r;
	}
	return write_records(nfd, b);
}
