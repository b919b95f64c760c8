/* The runtime directory of machines: locks, state, and collecting what a dead supervisor left. */
#include "net/network.h"
#include "machine/machine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "container/cgroup.h"
#include "container/config.h"

int machine_check_name(const char *what, const char *name)
{
	if (machine_name_valid(name))
		return 0;
	log_error("invalid %s name '%s' (letters, digits, '-', '_', '.'; at most %d bytes)", what, name,
		  MACHINE_NAME_MAX);
	return -EINVAL;
}

char *machine_path(const char *name, const char *file)
{
	return file ? hako_path(HAKO_DIR_RUNTIME, "machines/%s/%s", name, file)
		    : hako_path(HAKO_DIR_RUNTIME, "machines/%s", name);
}

/* Whether fd is still the file at path (a collector unlinks what it collected). */
static bool still_at_path(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* A collector holds a free lock only while it removes that machine's directory, which unlinks
 * the lock file: wait that long (COLLECTOR_WAIT_MS at most) before taking a held lock for a
 * supervisor's. -EBUSY if it stays held where it is; 1 when the file went (try again); 0 locked. */
#define COLLECTOR_WAIT_MS 200
static int outwait_collector(int fd, const char *path)
{
	for (int ms = 0; ms < COLLECTOR_WAIT_MS; ms++) {
		if (!still_at_path(fd, path))
			return 1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		usleep(1000);
	}
	return -EBUSY;
}

static int lock_machine(const char *name, bool wait_for_collectors)
{
	_cleanup_free_ char *dir = machine_path(name, NULL), *path = machine_path(name, "lock");
	if (!dir || !path)
		return -ENOMEM;
	/* A collector (another command's stale-state collection) may remove the directory
	 * between our mkdir and open, or open and flock: retry until the locked file is the one at
	 * the path. Parallel starts of different machines must never fail for it (issue 18). */
	for (int tries = 0; tries < 100; tries++) {
		int r = mkdir_p(dir, 0755);
		if (r < 0)
			return r;
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == ENOENT)
			continue; /* collected between mkdir and open: make it again */
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return -errno;
			r = wait_for_collectors ? outwait_collector(fd, path) : -EBUSY;
			if (r < 0)
				return r;
			if (r > 0)
				continue;
		}
		if (still_at_path(fd, path))
			return TAKE_FD(fd);
	}
	return -EAGAIN;
}

int machine_lock(const char *name)
{
	return lock_machine(name, false);
}

int machine_lock_to_start(const char *name)
{
	return lock_machine(name, true);
}

static int read_state(const char *name, struct machine_state *ret)
{
	_cleanup_free_ char *path = machine_path(name, "state"), *text = NULL;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, &text, NULL);
	return r < 0 ? r : machine_state_parse(text, ret);
}

/* The temporary bind sources the dead supervisor recorded; only names it makes are removed. */
static void remove_temp_binds(const struct machine_state *s)
{
	_cleanup_free_ char *copy = strdup(s->temp_binds ? s->temp_binds : "");
	char *save = NULL;
	for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save))
		if (temp_bind_path_valid(w))
			(void)rm_rf(w);
}

/* Undoes what a machine whose supervisor died left: its processes and cgroup (the PID namespace
 * normally died with its init, which has PDEATHSIG), its temporary bind sources, then the
 * runtime directory. Called with the machine's lock held. */
static void reclaim(const char *name)
{
	struct machine_state s;
	if (read_state(name, &s) >= 0) {
		_cleanup_strv_free_ char **dirs = NULL;
		if (machine_cgroup_dirs(&s, &dirs) >= 0)
			for (char **d = dirs; *d; d++)
				cgroup_remove_path(*d); /* every hierarchy: v2, v1 memory, pids, cpu */
		remove_temp_binds(&s);
		log_debug("collected stale machine %s (supervisor %d)", name, (int)s.supervisor);
		machine_state_done(&s);
	}
	_cleanup_free_ char *dir = machine_path(name, NULL);
	if (dir)
		(void)rm_rf(dir);
}

/* Takes name's lock if nobody holds it, and then collects what is there: no such machine, or a
 * stale one, whose network state goes too. Returns the lock's error: -EBUSY while it runs. */
static int collect_one(const char *name)
{
	_cleanup_free_ char *dir = machine_path(name, NULL);
	if (!dir)
		return -ENOMEM;
	bool existed = access(dir, F_OK) == 0; /* the lock makes it */
	int fd = machine_lock(name);
	if (fd < 0)
		return fd;
	reclaim(name);
	close(fd);
	if (existed)
		network_collect_stale();
	return 0;
}

void machine_collect(const char *name)
{
	_cleanup_free_ char *dir = machine_path(name, NULL);
	/* No directory, nothing stale: one access(), not a lock made and removed. */
	if (dir && access(dir, F_OK) == 0)
		(void)collect_one(name);
}

int machine_get(const char *name, struct machine_state *ret)
{
	if (!machine_name_valid(name))
		return -EINVAL;
	int r = collect_one(name);
	if (r == 0)
		return 0;
	if (r != -EBUSY)
		return r;
	r = read_state(name, ret);
	return r == -ENOENT ? 0 : r < 0 ? r : 1; /* no state yet: still starting */
}

/* The directories in dir whose names are machine names, sorted. */
static int dir_names(const char *dir, char ***ret)
{
	if (!dir)
		return -ENOMEM;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d && errno != ENOENT)
		return -errno;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && machine_name_valid(de->d_name)) {
			int r = strv_push(&names, de->d_name);
			if (r < 0)
				return r;
		}
	strv_sort(names);
	*ret = TAKE_PTR(names);
	return 0;
}

int machine_names(char ***ret)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "machines");
	return dir_names(dir, ret);
}

int machine_image_names(char ***ret)
{
	return dir_names(hako_dir(HAKO_DIR_IMAGES), ret);
}

/* Returns how many machines were collected. */
static int collect_machines(void)
{
	_cleanup_strv_free_ char **names = NULL;
	int n_collected = 0;
	if (machine_names(&names) < 0)
		return 0;
	for (char **n = names; n && *n; n++) {
		int fd = machine_lock(*n);
		if (fd < 0)
			continue; /* running (or starting) */
		reclaim(*n);
		close(fd);
		n_collected++;
	}
	return n_collected;
}

void machines_collect_stale(void)
{
	(void)collect_machines();
	cgroup_collect_orphans();
	network_collect_stale();
}

/* How to ask an init to power off or reboot, as machinectl does for systemd; busybox init
 * powers off on SIGUSR2 and reboots on SIGTERM. Anything else gets --kill-signal= (SIGTERM). */
static const struct {
	const char *suffix; /* of the executable's path */
	int poweroff;       /* a signal number, or -N for SIGRTMIN+N (not a constant) */
	int reboot;
	// clang-format off
} inits[] = {
	{ "/systemd", -4, SIGINT }, /* poweroff.target; ctrl-alt-del.target */
	{ "/busybox", SIGUSR2, SIGTERM },
};
// clang-format on

void machine_init_signals(const char *init, int kill_signal, int *poweroff, int *reboot)
{
	*poweroff = kill_signal ? kill_signal : SIGTERM;
	*reboot = 0;
	for (size_t i = 0; init && i < ELEMENTSOF(inits); i++)
		if (endswith(init, inits[i].suffix)) {
			*poweroff = inits[i].poweroff < 0 ? SIGRTMIN - inits[i].poweroff : inits[i].poweroff;
			*reboot = inits[i].reboot;
		}
}

int machine_run_tool(char *const *argv)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}
