/* hako run: one container in the foreground, the way systemd-nspawn -D DIR [COMMAND] runs one. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "container/container.h"
#include "container/isolation.h"
#include "container/options.h"
#include "machine/machine.h"
#include "settings/apply.h"

static const char usage[] =
	"Usage: hako run [OPTIONS] [--] [COMMAND [ARGS...]]\n\n"
	"Run COMMAND (default: /bin/sh) in a container made from the directory tree -D DIR,\n"
	"or boot its init with -b. Option names and meanings follow systemd-nspawn.";

/* Signals hako handles itself while the container runs, through a signalfd. */
static int block_signals(void)
{
	static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGWINCH, 0 };
	return signalfd_blocking(handled);
}

/* NAME.nspawn, as systemd-nspawn reads it for -D DIR too: NAME is -M's, else DIR's name (NULL
 * when there is none to read; refused later, with the reason). */
static char *settings_name(const struct run_config *cfg)
{
	_cleanup_free_ char *dir = cfg->directory ? realpath(cfg->directory, NULL) : NULL;
	const char *name = cfg->machine ? cfg->machine : dir ? basename(dir) : NULL;
	return name && machine_name_valid(name) ? strdup(name) : NULL;
}

/* The options, then COMMAND ARGS; those in skip (NULL: none) are left out. (name: settings_parse_fn's,
 * unused: -M gives hako run's) */
static int parse_run(const char *name, const struct opt_group *groups, size_t n, int argc, char **argv,
		     struct run_config *cfg, struct opts_seen *seen, const struct opts_seen *skip)
{
	(void)name;
	int i = opts_parse_except(groups, n, argc, argv, cfg, OPTS_STOP_AT_ARG, usage, seen, skip);
	if (i < 0)
		return i;
	if (i < argc && !(cfg->command = strv_copy(argv + i)))
		return log_errno(-ENOMEM, "out of memory");
	return 0;
}

static int apply_settings(struct run_config *cfg, const struct opt_group *groups, size_t n, int argc,
			  char **argv, struct opts_seen *seen)
{
	_cleanup_free_ char *name = settings_name(cfg);
	if (!name)
		return 0;
	int r = settings_reparse_for_override(name, groups, n, argc, argv, parse_run, cfg, seen);
	if (r < 0)
		return r;
	return settings_apply(cfg, name, groups, n, seen);
}

/* What a machine of this container's name left when its supervisor was killed, as hako start
 * collects it: only that name's, so that run's start-up does not grow with the machines there are
 * (issue 21). Nothing else of a dead machine's is in run's way: a stale cgroup of the same name,
 * a dead member's port claim and its stale lease are each taken over where they are made
 * (cgroup.c, container_net.c, ipam.c). An --ephemeral name is new: nothing to collect. */
static void collect_own_stale(const struct run_config *cfg)
{
	_cleanup_free_ char *name = cfg->ephemeral ? NULL : settings_name(cfg);
	if (name)
		machine_collect(name);
}

int cmd_run(int argc, char **argv)
{
	const struct opt_group groups[] = {
		{ NULL, run_options, run_options_n },
		{ "Isolation:", run_options_isolation, run_options_isolation_n },
		{ "Networking:", run_net_options, run_net_options_n },
	};
	_cleanup_(run_config_free) struct run_config cfg = { 0 };
	struct opts_seen seen = { 0 };
	int r = parse_run(NULL, groups, ELEMENTSOF(groups), argc, argv, &cfg, &seen, NULL);
	if (r == -ECANCELED)
		return 0;
	if (r == -ENOMEM)
		return EXIT_HAKO_FAILED;
	if (r < 0)
		return EXIT_HAKO_USAGE;
	if (apply_settings(&cfg, groups, ELEMENTSOF(groups), argc, argv, &seen) < 0)
		return EXIT_HAKO_USAGE;
	/* Removed with cfg, however the container ends. */
	if (run_config_make_temp_binds(&cfg) < 0)
		return EXIT_HAKO_FAILED;
	log_set_quiet(cfg.quiet);
	collect_own_stale(&cfg);

	_cleanup_close_ int sigfd = block_signals();
	if (sigfd < 0) {
		log_errno(sigfd, "cannot set up signal handling");
		return EXIT_HAKO_FAILED;
	}
	struct container *c = NULL;
	int exit_status;
	if (container_start(&cfg, &c, &exit_status) < 0)
		return exit_status;
	exit_status = container_foreground(c, sigfd);
	container_free(c);
	/* An init that powers off or halts calls reboot(2), which in its PID namespace kills it
	 * with SIGINT: a clean shutdown, 0 as with nspawn. */
	if (cfg.boot && exit_status == 128 + SIGINT)
		return EXIT_SUCCESS;
	return exit_status;
}
