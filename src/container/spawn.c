/* Starting a container: validate everything, clone PID 1 into fresh namespaces, let the parent
 * run its hooks while the child waits on a socket, build the file system, drop privileges and
 * exec. Without -b, PID 1 is this process itself acting as a stub init (nspawn's --as-pid2), or
 * with --as-pid1 the command itself (nspawn's default). */
#include "container/container.h"
#include "container/credentials.h"
#include "container/template.h"
#include "container/isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/proctitle.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "container/caps.h"
#include "container/console.h"
#include "container/journal.h"
#include "container/mounts.h"
#include "container/rlimit.h"
#include "container/specs.h"
#include "container/user.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Where -b looks for an init, in nspawn's order. */
static const char *const init_paths[] = {
	"/usr/lib/systemd/systemd",
	"/lib/systemd/systemd",
	"/sbin/init",
};

/* ---- validation: everything the user can get wrong is checked before anything is created ---- */

static int open_root(struct container *c, const char *dir)
{
	if (!dir) {
		log_error("no root directory given (use -D DIR)");
		return -EINVAL;
	}
	/* Opened once: this fd is the tree from here on, and its name is only read back from it
	 * (for messages and the machine's name). Every later step works from the fd, or checks that
	 * the name still leads to it (container_reopen_root): a tree swapped for a symlink between a
	 * check and a use would give the container another directory (CVE-2018-15664, docker cp). */
	c->root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0) {
		if (errno == ENOTDIR) {
			log_error("%s is not a directory", dir);
			return -ENOTDIR;
		}
		return log_errno(-errno, "cannot open directory %s", dir);
	}
	int r = fd_get_path(c->root_fd, &c->root);
	if (r < 0)
		return log_errno(r, "cannot use directory %s", dir);
	if (streq(c->root, "/")) {
		log_error("refusing to use the host's root directory as a container (-D %s)", dir);
		return -EINVAL;
	}
	return 0;
}

/* --pivot-root=NEW[:OLD], as nspawn's: NEW must be a directory of the tree, OLD one of NEW's.
 * Both resolved inside (RESOLVE_IN_ROOT), never by name on the host: a symlink in an image cannot
 * point the container's root at the host's files. The child resolves them again in its own mount
 * namespace, from the mounted tree's fd (mounts.c). */
static int open_os_tree(struct container *c)
{
	const struct run_config *cfg = c->cfg;
	if (!cfg->pivot_root_new)
		return 0;
	c->os_fd = open_in_root(c->root_fd, cfg->pivot_root_new, O_RDONLY | O_DIRECTORY);
	if (c->os_fd == -ENOENT || c->os_fd == -ENOTDIR) {
		log_error("--pivot-root=%s: %s has no directory %s", cfg->pivot_root_new, c->root,
			  cfg->pivot_root_new);
		return c->os_fd;
	}
	if (c->os_fd < 0)
		return log_errno(c->os_fd, "--pivot-root=%s: cannot open it in %s", cfg->pivot_root_new,
				 c->root);
	c->os_path = xasprintf("%s%s", c->root, cfg->pivot_root_new);
	if (!c->os_path)
		return log_errno(-ENOMEM, "out of memory");
	if (!cfg->pivot_root_old)
		return 0;
	_cleanup_close_ int old = open_in_root(c->os_fd, cfg->pivot_root_old, O_PATH | O_DIRECTORY);
	if (old == -ENOENT || old == -ENOTDIR) {
		log_error("--pivot-root=%s:%s: %s has no directory %s for the old root", cfg->pivot_root_new,
			  cfg->pivot_root_old, c->os_path, cfg->pivot_root_old);
		return old;
	}
	if (old < 0)
		return log_errno(old, "--pivot-root=%s:%s: cannot open %s in %s", cfg->pivot_root_new,
				 cfg->pivot_root_old, cfg->pivot_root_old, c->os_path);
	return 0;
}

static int pick_names(struct container *c)
{
	const struct run_config *cfg = c->cfg;
	_cleanup_free_ char *copy = strdup(c->root);
	if (!copy)
		return log_errno(-ENOMEM, "out of memory");
	const char *base = cfg->machine ? cfg->machine : basename(copy);
	if (!machine_name_valid(base)) {
		if (cfg->machine)
			log_error("invalid machine name '%s' (letters, digits, '-', '_', '.'; at most %d)",
				  base, MACHINE_NAME_MAX);
		else
			log_error(
				"the directory name '%s' is not a valid machine name; give one with -M NAME",
				base);
		return -EINVAL;
	}
	if (cfg->ephemeral) {
		/* Like nspawn: NAME-<16 hex>, the name cut so the whole stays a valid hostname. */
		char hex[17];
		int r = random_hex(hex, 8);
		if (r < 0)
			return log_errno(r, "cannot get random bytes");
		c->name = xasprintf("%.*s-%s", MACHINE_NAME_MAX - 17, base, hex);
	} else
		c->name = strdup(base);
	if (!c->name)
		return log_errno(-ENOMEM, "out of memory");
	if (cfg->hostname && !machine_name_valid(cfg->hostname)) {
		log_error("invalid hostname '%s'", cfg->hostname);
		return -EINVAL;
	}
	c->hostname = strdup(cfg->hostname ? cfg->hostname : c->name);
	return c->hostname ? 0 : log_errno(-ENOMEM, "out of memory");
}

static bool is_executable_in_tree(int rootfd, const char *path)
{
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH);
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static const char *env_path(const struct run_config *cfg)
{
	for (size_t i = 0; cfg->setenv && cfg->setenv[i]; i++)
		if (startswith(cfg->setenv[i], "PATH="))
			return cfg->setenv[i] + 5;
	return DEFAULT_PATH;
}

/* Finds cmd in the tree: a path as given (made absolute), or a name along PATH. */
static char *find_in_tree(int rootfd, const char *path, const char *cmd)
{
	if (strchr(cmd, '/')) {
		char *abs = cmd[0] == '/' ? strdup(cmd) : xasprintf("/%s", cmd);
		if (abs && !is_executable_in_tree(rootfd, abs)) {
			free(abs);
			return NULL;
		}
		return abs;
	}
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *cand = xasprintf("%.*s/%s", (int)n, p, cmd);
		if (cand && cand[0] == '/' && is_executable_in_tree(rootfd, cand))
			return TAKE_PTR(cand);
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

static int resolve_boot(struct container *c)
{
	for (size_t i = 0; i < ELEMENTSOF(init_paths); i++)
		if (is_executable_in_tree(container_os_fd(c), init_paths[i])) {
			c->exec_path = strdup(init_paths[i]);
			break;
		}
	if (!c->exec_path) {
		log_error(
			"%s has no init to boot (tried /usr/lib/systemd/systemd, /lib/systemd/systemd, /sbin/init)",
			container_os_path(c));
		return -ENOENT;
	}
	if (strv_push(&c->argv, c->exec_path) < 0)
		return -ENOMEM;
	for (size_t i = 0; c->cfg->command && c->cfg->command[i]; i++)
		if (strv_push(&c->argv, c->cfg->command[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int resolve_command(struct container *c, int *ret_exit)
{
	const struct run_config *cfg = c->cfg;
	if (cfg->boot)
		return resolve_boot(c);
	const char *cmd = cfg->command && cfg->command[0] ? cfg->command[0]
			  : c->have_user                  ? c->user.shell
							  : "/bin/sh";
	c->exec_path = find_in_tree(container_os_fd(c), env_path(cfg), cmd);
	if (!c->exec_path) {
		if (cfg->command && cfg->command[0]) {
			log_error("command '%s' not found in %s", cmd, container_os_path(c));
			*ret_exit = EXIT_HAKO_NOTFOUND;
		} else
			log_error("%s is not a root tree: it has no %s (give a COMMAND to run)",
				  container_os_path(c), cmd);
		return -ENOENT;
	}
	c->argv = cfg->command && cfg->command[0] ? strv_copy(cfg->command)
						  : strv_copy((char *[]){ (char *)cmd, NULL });
	return c->argv ? 0 : -ENOMEM;
}

/* A +PATH source is looked up in the tree later, in the container's mount namespace. idmap maps
 * the source's owners into the container's user namespace: without one, refused as by nspawn. */
static int check_binds(const struct container *c)
{
	const struct run_config *cfg = c->cfg;
	struct stat st;
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		const struct bind_spec *b = &cfg->binds[i];
		if (b->idmap && !(isolation_clone_flags(c) & CLONE_NEWUSER)) {
			log_error("bind %s: idmap needs a user namespace (-U, --private-users=)", b->source);
			return -EINVAL;
		}
		if (b->temporary && !b->source) {
			log_error("bind :%s: its temporary directory was not made", b->dest);
			return -EINVAL;
		}
		if (!b->in_tree && stat(b->source, &st) < 0)
			return log_errno(-errno, "bind source %s", b->source);
	}
	return 0;
}

/* nspawn gives a temporary bind source to the container's root (with -U, the shifted one). */
static int chown_temp_binds(const struct container *c)
{
	uid_t root = isolation_root_host_uid(c);
	for (unsigned i = 0; i < c->cfg->n_binds; i++) {
		const struct bind_spec *b = &c->cfg->binds[i];
		if (b->temporary && root != 0 && chown(b->source, root, root) < 0)
			return log_errno(-errno, "cannot give %s to the container's root", b->source);
	}
	return 0;
}

static int resolve_user(struct container *c)
{
	const struct run_config *cfg = c->cfg;
	if (!cfg->user)
		return 0;
	if (cfg->boot) {
		log_error("--user cannot be combined with --boot (init runs as root)");
		return -EINVAL;
	}
	/* A --bind-user= user first: its record is not in the tree's /etc/passwd. */
	int r = binduser_lookup(&c->bound_users, cfg->user, &c->user);
	if (r == -ENOENT)
		r = tree_user_lookup(container_os_fd(c), cfg->user, &c->user);
	if (r == -ENOENT) {
		log_error("user '%s' not found in %s/etc/passwd", cfg->user, container_os_path(c));
		return r;
	}
	if (r < 0) {
		log_error("cannot look up user '%s' in %s: /etc/passwd or /etc/group: %s", cfg->user,
			  container_os_path(c), read_error_str(r));
		return r;
	}
	c->have_user = true;
	return 0;
}

static void make_uuid(char out[37])
{
	uint8_t b[16] = { 0 };
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		b[0] ^= (uint8_t)getpid();      /* a weaker id is still an id */
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* The tree's /etc/machine-id as a UUID into out: 1, or 0 when it has none yet (no file, empty,
 * "uninitialized"), or -EINVAL (not an id) / -EDOM (all zeros). Read inside the tree only. */
static int tree_machine_id(int rootfd, char out[37])
{
	_cleanup_close_ int fd = open_in_root(rootfd, "etc/machine-id", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	_cleanup_free_ char *text = NULL;
	int r = read_file_bounded_fd(fd, 64, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	if (!*text || streq(text, "uninitialized"))
		return 0;
	r = uuid_parse(text, out);
	return r < 0 ? r : 1;
}

/* nspawn's rule: a tree with a machine-id of its own is that machine, whatever --uuid= says;
 * else --uuid= (or MachineID=), else a random one. The guest's systemd writes an empty
 * /etc/machine-id from container_uuid=, so the id and the tree stay in step. */
static int pick_uuid(struct container *c)
{
	int r = tree_machine_id(container_os_fd(c), c->uuid);
	if (r == -EDOM || r == -EINVAL) {
		log_error("%s/etc/machine-id is %s, refusing", container_os_path(c),
			  r == -EDOM ? "all zeros" : "not a machine id");
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read %s/etc/machine-id", container_os_path(c));
	if (r > 0)
		return 0;
	if (c->cfg->uuid)
		snprintf(c->uuid, sizeof(c->uuid), "%s", c->cfg->uuid);
	else
		make_uuid(c->uuid);
	return 0;
}

/* Sets NAME=VALUE in env, replacing an earlier NAME. */
static int env_put(char ***env, char *assignment)
{
	if (!assignment)
		return -ENOMEM;
	size_t n = strcspn(assignment, "=") + 1;
	for (size_t i = 0; (*env)[i]; i++)
		if (strncmp((*env)[i], assignment, n) == 0) {
			free((*env)[i]);
			(*env)[i] = assignment;
			return 0;
		}
	return strv_push_take(env, assignment);
}

static int build_env(struct container *c)
{
	const struct tree_user *u = c->have_user ? &c->user : NULL;
	const char *term = getenv("TERM");
	c->envp = calloc(1, sizeof(char *));
	if (!c->envp)
		return -ENOMEM;
	int r = 0;
	r = r ?: env_put(&c->envp, strdup("PATH=" DEFAULT_PATH));
	r = r ?: env_put(&c->envp, strdup("container=hako"));
	r = r ?: env_put(&c->envp, xasprintf("container_uuid=%s", c->uuid));
	if (!c->cfg->boot) {
		r = r ?: env_put(&c->envp, xasprintf("HOME=%s", u ? u->home : "/root"));
		r = r ?: env_put(&c->envp, xasprintf("USER=%s", u ? u->name : "root"));
		r = r ?: env_put(&c->envp, xasprintf("LOGNAME=%s", u ? u->name : "root"));
		r = r ?: env_put(&c->envp, xasprintf("SHELL=%s", u ? u->shell : "/bin/sh"));
	}
	if (c->pty_master >= 0)
		r = r ?: env_put(&c->envp, xasprintf("TERM=%s", term && *term ? term : "vt220"));
	/* nspawn names the credentials to the payload and to a booted systemd, which reads them
	 * from there for its services' LoadCredential=ID. */
	if (c->cfg->credentials.n > 0)
		r = r ?: env_put(&c->envp, strdup("CREDENTIALS_DIRECTORY=" CREDENTIALS_DIR));
	for (size_t i = 0; c->cfg->setenv && c->cfg->setenv[i]; i++)
		r = r ?: env_put(&c->envp, strdup(c->cfg->setenv[i]));
	return r;
}

static int lock_tree(struct container *c)
{
	/* Two writers on one tree corrupt it (nspawn refuses the same way); read-only containers
	 * only read it, so any number of them may share it. An ephemeral one takes no lock, as
	 * nspawn's --ephemeral takes none: it is the way to start a second container from a tree a
	 * machine is using (seed 003's workflow). It sees the tree as the overlay's lower layer, so
	 * what the writer changes meanwhile may or may not show in it. */
	if (c->cfg->ephemeral)
		return 0;
	bool shared = c->cfg->read_only || c->cfg->volatile_mode != VOLATILE_NO;
	if (flock(c->root_fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			log_error("Directory tree %s is currently busy.", c->root);
			return -EBUSY;
		}
		return log_errno(-errno, "cannot lock %s", c->root);
	}
	return 0;
}

/* As nspawn ("--boot and --as-pid2 may not be combined"): -b runs the tree's init as PID 1, which
 * leaves neither a stub to put in front of it nor a command to run as PID 1 instead. */
static int check_process_mode(const struct container *c)
{
	if (!c->cfg->boot || c->cfg->process_mode == PROCESS_DEFAULT)
		return 0;
	log_error("-b/--boot and %s exclude each other: -b runs the tree's init as PID 1",
		  c->cfg->process_mode == PROCESS_AS_PID2 ? "-a/--as-pid2 (ProcessTwo=yes)"
							  : "--as-pid1 (ProcessTwo=no)");
	return -EINVAL;
}

/* As nspawn: ambient capabilities are the command's, and only ones the container keeps. */
static int check_ambient(const struct container *c)
{
	uint64_t extra = c->cfg->caps_ambient & ~c->caps;
	if (c->cfg->caps_ambient && c->cfg->boot) {
		log_error(
			"--ambient-capability= is for a command, not for -b (the init starts its services' own)");
		return -EINVAL;
	}
	for (int cap = 0; cap < 64; cap++)
		if (extra & CAP_MASK(cap)) {
			log_error(
				"--ambient-capability=%s: not kept by the container (add it with --capability=)",
				cap_to_name(cap));
			return -EINVAL;
		}
	return 0;
}

static int validate(struct container *c, int *ret_exit)
{
	*ret_exit = EXIT_HAKO_USAGE;
	int r = isolation_check_caller(c->cfg);
	if (r < 0)
		return r;
	r = template_check(c->cfg);
	if (r < 0)
		return r;
	*ret_exit = EXIT_HAKO_FAILED;
	r = template_apply(c->cfg);
	if (r < 0)
		return r;
	*ret_exit = EXIT_HAKO_USAGE;
	r = open_root(c, c->cfg->directory);
	if (r < 0)
		return r;
	r = open_os_tree(c);
	if (r < 0)
		return r;
	r = pick_names(c);
	if (r < 0)
		return r;
	r = check_process_mode(c);
	if (r < 0)
		return r;
	r = binduser_prepare(c);
	if (r < 0)
		return r;
	r = resolve_user(c);
	if (r < 0)
		return r;
	r = resolve_command(c, ret_exit);
	if (r < 0)
		return r;
	r = check_binds(c);
	if (r < 0)
		return r;
	r = mounts_check(c);
	if (r < 0)
		return r;
	r = lock_tree(c);
	if (r < 0)
		return r;
	r = pick_uuid(c);
	if (r < 0)
		return r;
	r = rlimits_effective(c->cfg->rlimits, c->rlimits);
	if (r < 0)
		return log_errno(r, "cannot read the resource limits of PID 1");
	c->caps = (caps_default(c->cfg->boot, c->cfg->net.private_network) | c->cfg->caps_add) &
		  ~c->cfg->caps_drop;
	return check_ambient(c);
}

/* ---- the child: PID 1 of the new PID namespace ---- */

static _Noreturn void child_fail(int sync_fd, int exit_code)
{
	/* The parent turns this into hako's exit status; the child already logged why. */
	(void)!write(sync_fd, &exit_code, sizeof(exit_code));
	_exit(exit_code);
}

static void unblock_all_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The console becomes stdin and stdout, and stderr too with_stderr; else stderr stays hako's
 * until exec_payload. */
static int take_console(const struct container *c, bool make_ctty, bool with_stderr)
{
	if (c->pty_slave < 0)
		return 0;
	if (make_ctty && ioctl(c->pty_slave, TIOCSCTTY, 0) < 0)
		return log_errno(-errno, "cannot make /dev/console the controlling terminal");
	for (int fd = 0; fd < (with_stderr ? 3 : 2); fd++)
		if (dup2(c->pty_slave, fd) < 0)
			return log_errno(-errno, "cannot attach the console");
	return 0;
}

/* Keeps the permitted set across setresuid when ambient capabilities are to be raised. */
static int switch_user(const struct container *c)
{
	if (!c->have_user)
		return 0;
	if (c->cfg->caps_ambient && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return log_errno(-errno, "cannot keep capabilities for --ambient-capability=");
	const struct tree_user *u = &c->user;
	int r = 0;
	if (setgroups(u->n_groups, u->groups) < 0)
		r = -errno;
	else if (setresgid(u->gid, u->gid, u->gid) < 0)
		r = -errno;
	else if (setresuid(u->uid, u->uid, u->uid) < 0)
		r = -errno;
	if (r < 0)
		return log_errno(r, "cannot switch to user %s (uid %u)", u->name, (unsigned)u->uid);
	return 0;
}

/* Identity of a directory including its mount: the tree's root seen through the host's mount
 * is the same inode as the container's "/", on another mount. */
static int dir_id(int fd, struct statx *ret)
{
	return statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, ret) < 0 ? -errno : 0;
}

static bool same_dir(const struct statx *a, const struct statx *b)
{
	return a->stx_mnt_id == b->stx_mnt_id && a->stx_ino == b->stx_ino &&
	       a->stx_dev_major == b->stx_dev_major && a->stx_dev_minor == b->stx_dev_minor;
}

/* Whether going up ("..") from the working directory ends at this process's root. */
static bool cwd_leads_to_root(void)
{
	struct statx root, cur, up;
	_cleanup_close_ int rfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || fd < 0)
		return false;
	if (dir_id(rfd, &root) < 0)
		return false;
	if (dir_id(fd, &cur) < 0)
		return false;
	for (int depth = 0; depth < 4096; depth++) {
		if (same_dir(&cur, &root))
			return true;
		int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return false;
		close(fd);
		fd = parent;
		if (dir_id(fd, &up) < 0 || same_dir(&up, &cur))
			return false; /* a root, and not ours */
		cur = up;
	}
	return false;
}

static int enter_workdir(const struct container *c)
{
	const char *dir = c->cfg->chdir ? c->cfg->chdir : c->have_user ? c->user.home : "/";
	if (chdir(dir) < 0) {
		if (c->cfg->chdir)
			return log_errno(-errno, "cannot change to --chdir=%s", dir);
		if (chdir("/") < 0)
			return log_errno(-errno, "cannot change to /");
	}
	/* runc CVE-2024-21626: a working directory that still points outside the new root (a
	 * leaked fd such as --chdir=/proc/self/fd/N, a race) would hand the command the host's file
	 * system. getcwd() does not always tell (the tree's own directory on the host's mount reads
	 * as "/"): walk up and refuse to exec unless the walk ends at this root. */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/' || !cwd_leads_to_root()) {
		log_error("the working directory is outside the container");
		return -EPERM;
	}
	return 0;
}

static _Noreturn void exec_payload(const struct container *c, int sync_fd)
{
	/* Not one of hako's fds may reach the tree's code (they are all O_CLOEXEC; this catches
	 * anything inherited from whoever started hako). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		log_errno(-errno, "close_range failed");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	/* stderr is hako's (the caller's) until the exec: a payload that cannot be executed (a bad
	 * #! line, a file that is no program) says so to the user, not into a console that nobody
	 * reads under hako start, whose start would then fail with no word of why. */
	int caller_err = -1;
	if (c->pty_slave >= 0) {
		caller_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3); /* none: the message is lost */
		if (dup2(c->pty_slave, STDERR_FILENO) < 0) {
			log_errno(-errno, "cannot attach the console");
			child_fail(sync_fd, EXIT_HAKO_FAILED);
		}
	}
	unblock_all_signals();
	execve(c->exec_path, c->argv, c->envp);
	int err = errno;
	if (caller_err >= 0)
		(void)dup2(caller_err, STDERR_FILENO);
	log_errno(-err, "cannot execute %s", c->exec_path);
	child_fail(sync_fd, err == ENOENT ? EXIT_HAKO_NOTFOUND : EXIT_HAKO_FAILED);
}

/* as_pid1: this is PID 1 itself (--as-pid1), already the leader of its own session. */
static _Noreturn void command_main(const struct container *c, int sync_fd, bool as_pid1)
{
	/* A session of its own; the pty (if any) as its controlling terminal. Never the host's
	 * terminal as controlling tty: TIOCSTI on it would type commands into the host's shell
	 * (bubblewrap CVE-2017-5226). */
	if (!as_pid1 && setsid() < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	if (take_console(c, true, false) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	if (switch_user(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	int r = c->cfg->caps_ambient ? caps_set_ambient(c->cfg->caps_ambient, !c->have_user) : 0;
	if (r < 0) {
		log_errno(r, "cannot raise the ambient capabilities");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (enter_workdir(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	exec_payload(c, sync_fd);
}

/* PID 1 without -b: reaps every orphan, forwards SIGTERM/SIGINT/SIGHUP to the command and exits
 * with its status (128+N if it died of signal N); the kernel then kills whatever is left. */
static _Noreturn void stub_init(const struct container *c, pid_t cmd, const sigset_t *sigs)
{
	close_range(3, ~0U, 0);
	/* ps inside shows "hako-init", not the host's path and command line of hako. */
	proc_title_set("hako-init");
	(void)caps_limit_self(c->caps);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(sigs, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(cmd, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == cmd)
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

/* What the payload inherits: limits, OOM score, persona (nspawn's inner child sets the same). */
static int apply_process_settings(const struct container *c)
{
	int failed = 0;
	int r = rlimits_apply(c->rlimits, &failed);
	if (r < 0)
		return log_errno(r, "cannot set resource limit RLIMIT_%s", rlimit_name(failed));
	if (c->cfg->oom_score_adjust_set) {
		_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || dprintf(fd, "%d\n", c->cfg->oom_score_adjust) < 0)
			return log_errno(-errno, "cannot set the OOM score adjustment to %d",
					 c->cfg->oom_score_adjust);
	}
	if (c->cfg->personality_set && personality(c->cfg->personality) < 0)
		return log_errno(-errno, "cannot set the personality");
	return 0;
}

static _Noreturn void child_main(struct container *c, int sync_fd)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	/* If hako dies, so does the container. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		log_errno(-errno, "cannot set the parent-death signal of the container's PID 1");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (setsid() < 0) {
		log_errno(-errno, "cannot make the container's PID 1 a session leader");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (network_enter_child(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	/* With a user namespace the parent first writes the maps and may hand over the idmapped
	 * tree; then (always) its "go". */
	if (isolation_enter_child(c, sync_fd) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	char go;
	if (read(sync_fd, &go, 1) != 1) /* the parent's hooks failed, or it is gone */
		_exit(EXIT_HAKO_FAILED);
	/* Non-dumpable: /proc/1/exe (this is still the host's hako binary) must not be openable
	 * from inside (runc CVE-2019-5736). Only now: until the parent's hooks are done, a rootless
	 * parent must still open this process's /proc files (uid_map, ns/net), which non-dumpable
	 * hands to the host's root. Nothing of the container has run yet. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		log_errno(-errno, "cannot set up the container's PID 1");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (isolation_enter_cgroup(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	if (mounts_setup(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
		log_errno(-errno, "cannot set the hostname");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (apply_process_settings(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	/* The host's supplementary groups stay outside. A rootless single-id map denies
	 * setgroups(2) (EPERM): the caller's groups then stay, unmapped, as with `unshare -r`. */
	if (!c->have_user && setgroups(0, NULL) < 0 && !(errno == EPERM && isolation_setgroups_denied())) {
		log_errno(-errno, "cannot drop supplementary groups");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	int r = caps_reduce_bounding(c->caps);
	if (r < 0) {
		log_errno(r, "cannot reduce the capability bounding set");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (isolation_setup_child(c) < 0)
		child_fail(sync_fd, EXIT_HAKO_FAILED);

	if (c->cfg->boot) {
		if (take_console(c, true, false) < 0)
			child_fail(sync_fd, EXIT_HAKO_FAILED);
		if (enter_workdir(c) < 0)
			child_fail(sync_fd, EXIT_HAKO_FAILED);
		exec_payload(c, sync_fd);
	}
	/* --as-pid1: no stub. The command must reap orphans and handle SIGTERM itself (the kernel
	 * delivers to a namespace's PID 1 only the signals it has a handler for, and SIGKILL). */
	if (c->cfg->process_mode == PROCESS_AS_PID1)
		command_main(c, sync_fd, true);
	pid_t cmd = fork();
	if (cmd < 0) {
		log_errno(-errno, "cannot fork the command");
		child_fail(sync_fd, EXIT_HAKO_FAILED);
	}
	if (cmd == 0)
		command_main(c, sync_fd, false);
	if (take_console(c, false, true) < 0)
		_exit(EXIT_HAKO_FAILED);
	stub_init(c, cmd, &sigs);
}

/* ---- the parent ---- */

static void run_cleanup_hooks(struct container *c)
{
	network_cleanup(c);
	isolation_cleanup(c);
}

static int reap(struct container *c, int options)
{
	int st;
	pid_t p;
	do
		p = waitpid(c->pid, &st, options);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		return -errno;
	if (p == 0)
		return 0;
	c->reaped = true;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->term_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	run_cleanup_hooks(c);
	return 1;
}

/* Waits until PID 1 runs the payload: EOF on the socket once every copy of the child's end is
 * closed by exec; an int if the child failed (it logged why). */
static int await_exec(struct container *c, int *ret_exit)
{
	int code;
	ssize_t n;
	do
		n = read(c->sync_fd, &code, sizeof(code));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	*ret_exit = n == sizeof(code) ? code : EXIT_HAKO_FAILED;
	return -ECHILD;
}

static unsigned long clone_flags(const struct container *c)
{
	return CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
	       network_clone_flags(c->cfg) | isolation_clone_flags(c);
}

static int spawn(struct container *c, int *ret_exit)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return log_errno(-errno, "cannot create a socket pair");
	/* fork semantics (no new stack): the child gets a copy of everything set up so far. */
	pid_t pid = (pid_t)syscall(SYS_clone, clone_flags(c) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int err = -errno;
		close(sv[0]);
		close(sv[1]);
		return log_errno(err, "cannot create the container's namespaces");
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(c, sv[1]);
	}
	close(sv[1]);
	if (c->journal_tree >= 0) { /* the child's copy is the one it binds */
		close(c->journal_tree);
		c->journal_tree = -1;
	}
	c->pid = pid;
	c->sync_fd = sv[0];
	/* The links first: machined, asked for the scope, learns the host end of the veth. */
	if (network_setup(c) < 0)
		return -ECHILD;
	if (isolation_setup_parent(c) < 0)
		return -ECHILD;
	char go = 1;
	/* EPIPE: the child failed before its go (it logged why); await_exec reads its code. */
	if (write(c->sync_fd, &go, 1) != 1 && errno != EPIPE)
		return log_errno(-errno, "cannot start the container");
	return await_exec(c, ret_exit);
}

/* Bad input (EXIT_HAKO_USAGE) is found before anything is set up; then a failure is hako's. */
static int prepare_and_spawn(struct container *c, int *ret_exit)
{
	int r = validate(c, ret_exit);
	if (r < 0)
		return r;
	*ret_exit = EXIT_HAKO_USAGE;
	r = network_prepare(c);
	if (r < 0)
		return r;
	r = isolation_prepare(c);
	if (r < 0)
		return r;
	*ret_exit = EXIT_HAKO_FAILED;
	r = chown_temp_binds(c);
	if (r < 0)
		return r;
	r = journal_prepare(c);
	if (r < 0)
		return r;
	r = console_open(c);
	if (r < 0)
		return r;
	r = build_env(c);
	if (r < 0)
		return log_errno(r, "out of memory");
	return spawn(c, ret_exit);
}

int container_start(const struct run_config *cfg, struct container **ret, int *ret_exit)
{
	struct container *c = calloc(1, sizeof(*c));
	if (!c) {
		*ret_exit = EXIT_HAKO_FAILED;
		return log_errno(-ENOMEM, "out of memory");
	}
	c->cfg = cfg;
	c->root_fd = c->os_fd = c->sync_fd = c->pty_master = c->pty_slave = c->journal_tree = -1;
	int r = prepare_and_spawn(c, ret_exit);
	if (r < 0) {
		container_free(c);
		return r;
	}
	/* The parent keeps the console's slave open too, as long as the container runs: an init
	 * closes /dev/console at times (systemd does once journald starts, and again for each
	 * getty), and with no slave open the master reads EIO, which ended the relay: the console
	 * showed nothing after that, not even the login prompt, and, unread, could fill up. */
	*ret = c;
	return 0;
}

int container_wait(struct container *c, int *ret_status)
{
	if (!c->reaped) {
		int r = reap(c, 0);
		if (r < 0)
			return r;
	}
	*ret_status = c->status;
	return 0;
}

int container_try_reap(struct container *c)
{
	return c->reaped ? 1 : reap(c, WNOHANG);
}

int container_kill(struct container *c, int sig)
{
	if (c->reaped)
		return -ESRCH;
	return kill(c->pid, sig) < 0 ? -errno : 0;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	if (c->pid > 0 && !c->reaped) {
		kill(c->pid, SIGKILL);
		reap(c, 0);
	} else if (c->pid <= 0)
		run_cleanup_hooks(c); /* undo prepare hooks; they are safe after a skipped setup */
	console_close(c);
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->os_fd >= 0)
		close(c->os_fd);
	free(c->os_path);
	tree_user_done(&c->user);
	binduser_done(&c->bound_users);
	free(c->root);
	free(c->name);
	free(c->hostname);
	free(c->journal_dir);
	if (c->journal_tree >= 0)
		close(c->journal_tree);
	free(c->exec_path);
	strv_free(c->argv);
	strv_free(c->envp);
	free(c);
}
