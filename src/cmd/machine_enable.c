/* hako enable and disable: machines started at boot, by a record under state/enabled/ that
 * hako start --all-enabled reads and, where systemd is PID 1, a hako@.service link in
 * machines.target. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/machine.h"

/* ---- enable, disable ---- */

/* Where systemd runs, the template unit starts hako at boot; elsewhere (no systemd) the record
 * in $HAKO_STATE_DIR/enabled/ is what `hako start --all-enabled` (from an init script) reads.
 * The unit is written and enabled as `systemctl enable` would (a symlink in the [Install]
 * target's .wants/), then systemd is told to reload. HAKO_SYSTEMD_UNIT_DIR (/etc/systemd/system)
 * and HAKO_SYSTEMD_RUNTIME_DIR (/run/systemd/system: it exists iff systemd is PID 1, as
 * sd_booted() checks) are overridable for tests. */
static const char unit_template[] =
	"[Unit]\nDescription=hako machine %%i\nDocumentation=man:hako-machine(1)\n"
	"Wants=network.target\nAfter=network.target\nPartOf=machines.target\nBefore=machines.target\n\n"
	"[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=%s start %%i\nExecStop=%s stop %%i\n"
	"Delegate=yes\n\n"
	"[Install]\nWantedBy=machines.target\n";
#define UNIT_TARGET "machines.target"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static bool systemd_is_init(void)
{
	return access(env_or("HAKO_SYSTEMD_RUNTIME_DIR", "/run/systemd/system"), F_OK) == 0;
}

static int write_template_unit(const char *dir)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = '\0';
	_cleanup_free_ char *unit = xasprintf(unit_template, self, self),
			    *path = xasprintf("%s/hako@.service", dir);
	if (!unit || !path)
		return -ENOMEM;
	int r = mkdir_p(dir, 0755);
	return r < 0 ? r : write_file(path, unit, O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

static int systemd_unit(const char *name, bool enable)
{
	const char *dir = env_or("HAKO_SYSTEMD_UNIT_DIR", "/etc/systemd/system");
	_cleanup_free_ char *wants = xasprintf("%s/" UNIT_TARGET ".wants", dir),
			    *link = xasprintf("%s/" UNIT_TARGET ".wants/hako@%s.service", dir, name);
	if (!wants || !link)
		return -ENOMEM;
	if (enable) {
		int r = write_template_unit(dir);
		if (r < 0)
			return r;
		r = mkdir_p(wants, 0755);
		if (r < 0)
			return r;
	}
	if (unlink(link) < 0 && errno != ENOENT)
		return -errno;
	if (enable && symlink("../hako@.service", link) < 0)
		return -errno;
	char *reload[] = { "systemctl", "daemon-reload", NULL };
	if (machine_run_tool(reload) < 0)
		log_warning("systemd did not reload its units: run systemctl daemon-reload");
	return 0;
}

/* The record under state/enabled/ and, on a systemd host, the unit's link. */
static int set_one_enabled(const char *name, bool enable)
{
	_cleanup_free_ char *rec = hako_path(HAKO_DIR_STATE, "enabled/%s", name);
	if (!rec)
		return -ENOMEM;
	int r = hako_mkdir(HAKO_DIR_STATE, "enabled");
	if (r < 0)
		return r;
	if (enable)
		r = write_file(rec, "", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	else if (unlink(rec) < 0 && errno != ENOENT)
		r = -errno;
	if (r < 0)
		return r;
	if (!systemd_is_init())
		return 0;
	return systemd_unit(name, enable);
}

struct enable_opts {
	bool now;
};

// clang-format off
static const struct opt enable_options[] = {
	{ "now", 0, OPT_NONE, NULL, "Also start (enable) or stop (disable) the machines now", opt_set_flag, offsetof(struct enable_opts, now), NULL },
};
// clang-format on

/* --now: hako start NAME for each machine enabled, hako stop NAME... for those disabled. */
static int apply_now(int argc, char **argv, int i, bool enable)
{
	if (!enable) {
		argv[i - 1] = (char *)"stop";
		return machine_cmd_control(argc - i + 1, argv + i - 1, 0);
	}
	int status = 0;
	for (int k = i; k < argc; k++) {
		char *args[] = { (char *)"start", argv[k], NULL };
		int r = machine_cmd_start_one(argv[k], 1, args);
		if (r != 0)
			status = r;
	}
	return status;
}

static int set_enabled(int argc, char **argv, bool enable)
{
	struct enable_opts o = { 0 };
	int i, r = machine_cmd_parse(
		       enable_options, ELEMENTSOF(enable_options), argc, argv, &o, 0,
		       enable ? "Usage: hako enable [--now] NAME...\n\nStart the machines at boot."
			      : "Usage: hako disable [--now] NAME...\n\nNo longer start the machines at boot.",
		       &i);
	if (r >= 0)
		return r;
	if (i >= argc) {
		log_error("no machine name given");
		return EXIT_HAKO_USAGE;
	}
	for (int k = i; k < argc; k++)
		if (machine_cmd_check_name(argv[k]) < 0)
			return EXIT_HAKO_USAGE;
	for (int k = i; k < argc; k++) {
		r = set_one_enabled(argv[k], enable);
		if (r < 0) {
			log_errno(r, "cannot %s machine %s", enable ? "enable" : "disable", argv[k]);
			return EXIT_HAKO_FAILED;
		}
	}
	return o.now ? apply_now(argc, argv, i, enable) : 0;
}

// clang-format off
int cmd_enable(int argc, char **argv) { return set_enabled(argc, argv, true); }
int cmd_disable(int argc, char **argv) { return set_enabled(argc, argv, false); }
// clang-format on

int machine_cmd_start_enabled(void)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_STATE, "enabled");
	_cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return errno == ENOENT ? 0 : EXIT_HAKO_FAILED;
	machines_collect_stale();
	int status = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!machine_name_valid(de->d_name))
			continue;
		char *argv[] = { "start", de->d_name, NULL };
		int r = machine_cmd_start_one(de->d_name, 1, argv);
		if (r != 0 && r != EXIT_HAKO_USAGE)
			status = r;
	}
	return status;
}
