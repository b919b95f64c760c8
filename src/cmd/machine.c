/* hako start, stop/poweroff/reboot/terminate/kill, shell and login: machines managed by name, as
 * machinectl manages them, with no machined on the host. What the machine commands share is here
 * too (cmd/machine.h); list/show/status/log are in machine_list.c, enable/disable in
 * machine_enable.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/machine.h"
#include "container/options.h"
#include "container/specs.h"
#include "machine/control.h"
#include "machine/relay.h"
#include "machine/session.h"
#include "machine/shell.h"
#include "machine/supervisor.h"
#include "settings/apply.h"

#define STOP_GRACE_USEC (5 * 1000000ULL)

int machine_cmd_parse(const struct opt *table, size_t n, int argc, char **argv, void *target, unsigned flags,
		      const char *usage, int *ret_index)
{
	const struct opt_group g[] = { { NULL, table, n } };
	int i = opts_parse(g, 1, argc, argv, target, flags, usage, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0)
		return EXIT_HAKO_USAGE;
	*ret_index = i;
	return -1; /* go on */
}

int machine_cmd_one_name(void)
{
	log_error("give one machine name");
	return EXIT_HAKO_USAGE;
}

/* Reads a running machine's state; logs and returns hako's exit status when there is none. */
int machine_cmd_get_running(const char *name, struct machine_state *st)
{
	if (machine_cmd_check_name(name) < 0)
		return EXIT_HAKO_USAGE;
	int r = machine_get(name, st);
	if (r == 0)
		log_error("no machine %s is running (see hako list)", name);
	else if (r < 0)
		log_errno(r, "cannot read the state of machine %s", name);
	return r > 0 ? 0 : r == 0 ? EXIT_HAKO_USAGE : EXIT_HAKO_FAILED;
}

/* ---- start ---- */

static const char start_usage[] =
	"Usage: hako start [OPTIONS] NAME...\n\n"
	"Boot the machine NAME (the tree $HAKO_IMAGE_DIR/NAME, or -D DIR) in the background, with\n"
	"the settings of NAME.nspawn; returns once it runs. Options as for hako run.";

static int default_directory(struct run_config *cfg)
{
	if (cfg->directory)
		return 0;
	cfg->directory = hako_path(HAKO_DIR_IMAGES, "%s", cfg->machine);
	if (!cfg->directory)
		return -ENOMEM;
	struct stat st;
	if (stat(cfg->directory, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("no image %s in %s (see hako image list, or give -D DIR)", cfg->machine,
			  hako_dir(HAKO_DIR_IMAGES));
		return -ENOENT;
	}
	/* A read-only image (hako read-only) boots read-only, as nspawn boots one it finds by name. */
	_cleanup_close_ int fd = open(cfg->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool immutable = false;
	if (fd >= 0 && fd_get_immutable(fd, &immutable) == 0 && immutable)
		cfg->read_only = true;
	if (hako_dir_open_to_others(HAKO_DIR_IMAGES))
		log_warning(
			"%s is open to other users: setuid files written by -U machines can be run by them (chmod 0700 it)",
			hako_dir(HAKO_DIR_IMAGES));
	return 0;
}

/* hako start's command line for NAME, without the options in skip (NULL: none). */
static int parse_start(const char *name, const struct opt_group *groups, size_t n, int argc, char **argv,
		       struct run_config *cfg, struct opts_seen *seen, const struct opts_seen *skip)
{
	cfg->boot = true; /* hako start boots, unless told otherwise */
	int r = opts_parse_except(groups, n, argc, argv, cfg, 0, start_usage, seen, skip);
	if (r < 0)
		return r;
	/* As nspawn's one start mode: -a or --as-pid1 without -b runs Parameters= instead of booting. */
	const struct opt *boot_opt;
	int boot_pos = opts_find_setting(groups, n, "Exec", "Boot", &boot_opt);
	if (cfg->process_mode != PROCESS_DEFAULT && !opts_was_seen(seen, boot_pos))
		cfg->boot = false;
	if (cfg->machine && !streq(cfg->machine, name)) {
		log_error("-M %s contradicts the machine name %s", cfg->machine, name);
		return -EINVAL;
	}
	free(cfg->machine);
	cfg->machine = strdup(name);
	return cfg->machine ? 0 : log_errno(-ENOMEM, "out of memory");
}

int machine_cmd_start_one(const char *name, int argc, char **argv)
{
	const struct opt_group groups[] = {
		{ NULL, run_options, run_options_n },
		{ "Isolation:", run_options_isolation, run_options_isolation_n },
		{ "Networking:", run_net_options, run_net_options_n },
	};
	_cleanup_(run_config_free) struct run_config cfg = { .boot = true };
	struct opts_seen seen = { 0 };
	if (parse_start(name, groups, ELEMENTSOF(groups), argc, argv, &cfg, &seen, NULL) < 0)
		return EXIT_HAKO_USAGE;
	if (default_directory(&cfg) < 0)
		return EXIT_HAKO_USAGE;
	int r = settings_reparse_for_override(name, groups, ELEMENTSOF(groups), argc, argv, parse_start, &cfg,
					      &seen);
	if (r < 0)
		return EXIT_HAKO_USAGE;
	if (settings_apply(&cfg, name, groups, ELEMENTSOF(groups), &seen) < 0)
		return EXIT_HAKO_USAGE;
	log_set_quiet(cfg.quiet);
	machine_collect(name); /* what a supervisor of that name killed with SIGKILL left */
	int lock = machine_lock_to_start(name);
	if (lock == -EBUSY) {
		log_error("machine %s is already running (hako stop %s first)", name, name);
		return EXIT_HAKO_USAGE;
	}
	if (lock < 0) {
		log_errno(lock, "cannot lock machine %s", name);
		return EXIT_HAKO_FAILED;
	}
	int code = supervisor_start(&cfg, lock);
	close(lock);
	return code;
}

int cmd_start(int argc, char **argv)
{
	if (argc == 2 && streq(argv[1], "--all-enabled"))
		return machine_cmd_start_enabled();
	_cleanup_(run_config_free) struct run_config probe = { 0 };
	const struct opt_group groups[] = {
		{ NULL, run_options, run_options_n },
		{ "Isolation:", run_options_isolation, run_options_isolation_n },
		{ "Networking:", run_net_options, run_net_options_n },
	};
	int i = opts_parse(groups, ELEMENTSOF(groups), argc, argv, &probe, 0, start_usage, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0)
		return EXIT_HAKO_USAGE;
	if (i >= argc || (argc - i > 1 && (probe.directory || probe.machine))) {
		log_error(i >= argc ? "no machine name given (hako start NAME)"
				    : "-D and -M name one machine: give one NAME");
		return EXIT_HAKO_USAGE;
	}
	for (int k = i; k < argc; k++)
		if (machine_cmd_check_name(argv[k]) < 0)
			return EXIT_HAKO_USAGE;
	int status = 0;
	for (int k = i; k < argc; k++) {
		int r = machine_cmd_start_one(argv[k], i, argv);
		if (r != 0)
			status = r;
	}
	return status;
}

/* ---- stop, poweroff, reboot, terminate, kill ---- */

struct stop_opts {
	int timeout_s;
	int signal;
	char *whom;
};

static int set_seconds(void *target, const char *value, const char **why)
{
	uint64_t us;
	if (parse_duration_us(value, &us) < 0 || us / 1000000 > 3600) {
		*why = "expected a duration up to 1h (e.g. 10, 30s, 2min)";
		return -EINVAL;
	}
	*(int *)target = (int)(us / 1000000);
	return 0;
}

static int set_signal(void *target, const char *value, const char **why)
{
	int sig = signal_from_string(value);
	if (sig < 0) {
		*why = "unknown signal (e.g. SIGTERM, SIGRTMIN+3, 15)";
		return sig;
	}
	*(int *)target = sig;
	return 0;
}

static int set_whom(void *target, const char *value, const char **why)
{
	if (!streq(value, "all") && !streq(value, "leader")) {
		*why = "expected all or leader";
		return -EINVAL;
	}
	return opt_set_string(target, value, why);
}

// clang-format off
static const struct opt stop_options[] = {
	{ "timeout", 0, OPT_REQUIRED, "TIME", "Kill the machine if it has not stopped after TIME (10s)", set_seconds, offsetof(struct stop_opts, timeout_s), NULL },
	{ "signal", 's', OPT_REQUIRED, "SIGNAL", "The signal for hako kill (SIGTERM)", set_signal, offsetof(struct stop_opts, signal), NULL },
	{ "kill-whom", 0, OPT_REQUIRED, "WHOM", "hako kill: all (every process) or leader (PID 1)", set_whom, offsetof(struct stop_opts, whom), NULL },
};
// clang-format on

/* How each command asks and whether it waits for the machine to be gone. */
static const struct {
	const char *command;
	enum control_verb verb;
	bool wait;
	const char *summary;
	// clang-format off
} stop_verbs[] = {
	{ "stop", CTL_POWEROFF, true, "Shut the machines down in order (kill them after --timeout=), and wait" },
	{ "poweroff", CTL_POWEROFF, true, "Shut the machines down in order (kill them after --timeout=), and wait" },
	{ "reboot", CTL_REBOOT, false, "Reboot the machines" },
	{ "terminate", CTL_TERMINATE, true, "Kill the machines at once, and wait" },
	{ "kill", CTL_KILL_ALL, false, "Send a signal (--signal=) to the machines' processes" },
};
// clang-format on

static int ask_one(const char *name, const struct control_request *req, int *ret_conn, int *ret_fd)
{
	struct machine_state st;
	int r = machine_cmd_get_running(name, &st);
	if (r != 0)
		return r;
	machine_state_done(&st);
	_cleanup_close_ int fd = control_connect(name);
	if (fd < 0) {
		log_errno(fd, "cannot reach the supervisor of %s", name);
		return EXIT_HAKO_FAILED;
	}
	if (control_call(fd, name, req, ret_fd) < 0)
		return EXIT_HAKO_FAILED;
	*ret_conn = TAKE_FD(fd);
	return 0;
}

int machine_cmd_control(int argc, char **argv, size_t which)
{
	struct stop_opts o = { .timeout_s = 10, .signal = SIGTERM };
	char usage[256];
	snprintf(usage, sizeof(usage), "Usage: hako %s [OPTIONS] NAME...\n\n%s.", stop_verbs[which].command,
		 stop_verbs[which].summary);
	int i, r = machine_cmd_parse(stop_options, ELEMENTSOF(stop_options), argc, argv, &o, 0, usage, &i);
	_cleanup_free_ char *whom = o.whom;
	if (r >= 0)
		return r;
	if (i >= argc) {
		log_error("no machine name given (hako %s NAME...)", stop_verbs[which].command);
		return EXIT_HAKO_USAGE;
	}
	struct control_request req = { stop_verbs[which].verb, o.timeout_s };
	if (req.verb == CTL_KILL_ALL) {
		req.arg = o.signal;
		if (whom && streq(whom, "leader"))
			req.verb = CTL_KILL;
	}
	int status = 0, *conns = calloc((size_t)(argc - i), sizeof(int));
	if (!conns)
		return EXIT_HAKO_FAILED;
	/* Ask every machine first, then wait: they shut down in parallel. */
	for (int k = i; k < argc; k++) {
		conns[k - i] = -1;
		r = ask_one(argv[k], &req, &conns[k - i], NULL);
		if (r != 0)
			status = r;
	}
	for (int k = i; k < argc; k++) {
		int fd = conns[k - i];
		if (fd >= 0 && stop_verbs[which].wait &&
		    control_wait_closed(fd, (uint64_t)o.timeout_s * 1000000 + STOP_GRACE_USEC) < 0) {
			log_error("machine %s did not stop in time", argv[k]);
			status = EXIT_HAKO_FAILED;
		}
		if (fd >= 0)
			close(fd);
	}
	free(conns);
	return status;
}

// clang-format off
int cmd_stop(int argc, char **argv) { return machine_cmd_control(argc, argv, 0); }
int cmd_poweroff(int argc, char **argv) { return machine_cmd_control(argc, argv, 1); }
int cmd_reboot(int argc, char **argv) { return machine_cmd_control(argc, argv, 2); }
int cmd_terminate(int argc, char **argv) { return machine_cmd_control(argc, argv, 3); }
int cmd_kill(int argc, char **argv) { return machine_cmd_control(argc, argv, 4); }
// clang-format on

/* ---- shell, login ---- */

struct shell_opts {
	char *uid;
	char **setenv;
};

// clang-format off
static const struct opt shell_options[] = {
	{ "uid", 0, OPT_REQUIRED, "USER", "Run as USER (also USER@NAME)", opt_set_string, offsetof(struct shell_opts, uid), NULL },
	{ "setenv", 'E', OPT_REQUIRED, "NAME=VALUE", "Set an environment variable", opt_append_string, offsetof(struct shell_opts, setenv), NULL },
};
// clang-format on

int cmd_shell(int argc, char **argv)
{
	struct shell_opts o = { 0 };
	int i, r = machine_cmd_parse(shell_options, ELEMENTSOF(shell_options), argc, argv, &o,
				     OPTS_STOP_AT_ARG,
				     "Usage: hako shell [OPTIONS] [USER@]NAME [COMMAND [ARGS...]]\n\n"
				     "Run a login shell or COMMAND inside a running machine.",
				     &i);
	_cleanup_free_ char *uid = o.uid;
	_cleanup_strv_free_ char **setenv = o.setenv;
	if (r >= 0)
		return r;
	for (char **e = setenv; e && *e; e++)
		if (!strchr(*e, '=')) {
			log_error("invalid --setenv=%s: expected NAME=VALUE", *e);
			return EXIT_HAKO_USAGE;
		}
	if (i >= argc) {
		log_error("no machine name given (hako shell [USER@]NAME)");
		return EXIT_HAKO_USAGE;
	}
	char *at = strchr(argv[i], '@');
	const char *name = at ? at + 1 : argv[i];
	if (at)
		*at = '\0';
	struct machine_state st;
	r = machine_cmd_get_running(name, &st);
	if (r != 0)
		return r;
	struct shell_request req = { at ? argv[i] : uid, argv + i + 1, setenv };
	r = machine_shell(&st, &req);
	machine_state_done(&st);
	return r;
}

/* A getty of its own started by the guest's systemd, as machinectl login; -ENOMEDIUM: the guest
 * has no systemd, its console is attached instead. The supervisor's connection ends the relay
 * when the machine goes away. */
static int login_getty(const char *name)
{
	struct machine_state st;
	int r = machine_cmd_get_running(name, &st);
	if (r != 0)
		return r;
	_cleanup_close_ int conn = control_connect(name);
	if (conn < 0) {
		machine_state_done(&st);
		log_errno(conn, "cannot reach the supervisor of %s", name);
		return EXIT_HAKO_FAILED;
	}
	r = session_login(&st, conn);
	machine_state_done(&st);
	return r == -ENOMEDIUM ? r : r < 0 ? EXIT_HAKO_FAILED : 0;
}

int cmd_login(int argc, char **argv)
{
	int i, r = machine_cmd_parse(
		       NULL, 0, argc, argv, NULL, 0,
		       "Usage: hako login NAME\n\nLog in on a new getty of a running machine with systemd, or attach to its console; "
		       "^] three times within 1s detaches.",
		       &i);
	if (r >= 0)
		return r;
	if (argc - i != 1)
		return machine_cmd_one_name();
	r = login_getty(argv[i]);
	if (r != -ENOMEDIUM)
		return r;
	int conn = -1, master = -1;
	struct control_request req = { CTL_LOGIN, 0 };
	r = ask_one(argv[i], &req, &conn, &master);
	if (r != 0)
		return r;
	fprintf(stderr, "Connected to machine %s. Press ^] three times within 1s to exit session.\n",
		argv[i]);
	relay_terminal(master, conn, true);
	close(master);
	close(conn);
	fprintf(stderr, "\r\nConnection to machine %s terminated.\n", argv[i]);
	return 0;
}
