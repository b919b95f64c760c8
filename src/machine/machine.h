/* Machines: containers run in the background by a small supervisor (src/machine/supervisor.c)
 * and managed by name. Everything about a running machine lives in
 * $HAKO_RUNTIME_DIR/machines/NAME/: "lock" (flock()ed by its supervisor for as long as it
 * lives: a lock anyone can take means the supervisor is gone), "state" and "control" (the
 * supervisor's socket). Its log outlives it, in $HAKO_STATE_DIR/logs (machine/console_log.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct machine_state {
	char *name;
	char *uuid;
	char *root;    /* the tree, as the host sees it */
	char *cgroup;  /* the machine's cgroup directory, "" if it has none */
	char *cgroups; /* its directories in every hierarchy (cgroup first), space separated */
	char *netns;   /* a named network namespace it joined, "" if none */
	char *init;    /* what PID 1 runs */
	pid_t leader;  /* PID 1, as the host sees it */
	pid_t supervisor;
	uint64_t since_usec; /* CLOCK_REALTIME of the start */
	int poweroff_signal; /* asks PID 1 for an orderly shutdown */
	int reboot_signal;   /* 0: the supervisor restarts the machine itself */
	/* How its processes are confined, so `hako shell` confines its command the same way. */
	uint64_t caps; /* the bounding set the container started with */
	int no_new_privs;
	char *seccomp_add;    /* the system call filter's request (seccomp.h): names and @groups, */
	char *seccomp_remove; /* space separated */
	char *temp_binds;     /* --bind=:DST's temporary directories, space separated */
};

void machine_state_done(struct machine_state *s);
int machine_state_parse(const char *text, struct machine_state *s);
int machine_state_format(const struct machine_state *s, char **ret);
/* The machine's cgroup directories, one a hierarchy, cgroup first (none: an empty vector). */
int machine_cgroup_dirs(const struct machine_state *s, char ***ret);

/* Hostname rules (base/names.h); logs one line naming the what ("machine", "image") if not. */
int machine_check_name(const char *what, const char *name);
/* malloc'd $HAKO_RUNTIME_DIR/machines/NAME[/file]. */
char *machine_path(const char *name, const char *file);
/* Takes the machine's lock (made with its directory if need be): returns the locked fd, or
 * -EBUSY when its supervisor holds it (the machine is running). */
int machine_lock(const char *name);
/* The same for hako start, which must not take another command's brief hold while it collects
 * a stale machine of that name for a running one: waits for that to end (200 ms at most). */
int machine_lock_to_start(const char *name);
/* Reads the state of a running machine: 1 and *ret filled, 0 when no such machine runs (a stale
 * one is collected on the way, as machine_collect does), or a negative errno. */
int machine_get(const char *name, struct machine_state *ret);
/* The names of the machines with a runtime directory, sorted. */
int machine_names(char ***ret);
/* The images (directories) in $HAKO_IMAGE_DIR, sorted. */
int machine_image_names(char ***ret);
/* Collects the machine name if its supervisor is gone: kills what is left in its cgroup, removes
 * the cgroup, its temporary binds and its runtime directory, and then the network's stale state.
 * What a command on one machine (start, stop, shell, status, run...) runs: its cost does not grow with
 * the number of machines running, as a sweep of them all would (issue 21). */
void machine_collect(const char *name);
/* The same for every machine whose supervisor is gone; and every empty cgroup of hako's whose
 * maker is gone (cgroup_collect_orphans). What the commands that look at every machine (hako
 * list) run: a machine killed with its supervisor leaves nothing behind after the next one. */
void machines_collect_stale(void);
/* The signals that ask an init to power off and to reboot (0 for "none"): by what it is. */
void machine_init_signals(const char *init, int kill_signal, int *poweroff, int *reboot);
/* Runs an outside tool (debootstrap, systemctl) found in $PATH with hako's stdio and waits:
 * 0 when it exits 0, -ENOENT when it cannot be executed, -EIO when it fails. */
int machine_run_tool(char *const *argv);
