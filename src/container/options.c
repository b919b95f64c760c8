#include "container/options.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/caps.h"
#include "container/journal.h"
#include "container/rlimit.h"
#include "container/specs.h"

/* Setters whose row has offset 0 get the whole struct run_config. */

static int set_bind_common(struct run_config *cfg, const char *value, bool ro, const char **why)
{
	struct bind_spec spec;
	int r = bind_spec_parse(value, ro, &spec, why);
	if (r < 0)
		return r;
	struct bind_spec *b = realloc(cfg->binds, (cfg->n_binds + 1) * sizeof(*b));
	if (!b) {
		bind_spec_done(&spec);
		return -ENOMEM;
	}
	b[cfg->n_binds++] = spec;
	cfg->binds = b;
	return 0;
}

int run_config_add_bind(struct run_config *cfg, const char *spec, bool read_only, const char **why)
{
	return set_bind_common(cfg, spec, read_only, why);
}

static int set_bind(void *t, const char *v, const char **why) { return set_bind_common(t, v, false, why); }
static int set_bind_ro(void *t, const char *v, const char **why) { return set_bind_common(t, v, true, why); }

static int set_tmpfs(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	struct tmpfs_spec spec = { 0 };
	int r = tmpfs_spec_parse(value, &spec, why);
	if (r < 0)
		return r;
	struct tmpfs_spec *t = realloc(cfg->tmpfs, (cfg->n_tmpfs + 1) * sizeof(*t));
	if (!t) {
		tmpfs_spec_done(&spec);
		return -ENOMEM;
	}
	t[cfg->n_tmpfs++] = spec;
	cfg->tmpfs = t;
	return 0;
}

static int set_setenv(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	if (!strchr(value, '=')) {
		/* -E NAME passes the host's value, as nspawn does. */
		const char *host = getenv(value);
		if (!host) {
			*why = "not set on the host (use NAME=VALUE)";
			return -EINVAL;
		}
		_cleanup_free_ char *a = xasprintf("%s=%s", value, host);
		if (!a)
			return -ENOMEM;
		if (!env_assignment_valid(a)) {
			*why = "not a valid variable name";
			return -EINVAL;
		}
		return strv_push_take(&cfg->setenv, TAKE_PTR(a));
	}
	if (!env_assignment_valid(value)) {
		*why = "expected NAME=VALUE with NAME made of letters, digits and _";
		return -EINVAL;
	}
	return strv_push(&cfg->setenv, value);
}

static int set_caps(uint64_t *mask, bool *all, const char *value, const char **why)
{
	static char bad[96];
	char b[64];
	if (cap_parse_list(value, mask, all, b) < 0) {
		snprintf(bad, sizeof(bad), "unknown capability '%s'", b);
		*why = bad;
		return -EINVAL;
	}
	return 0;
}

static int set_cap_add(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	return set_caps(&cfg->caps_add, &cfg->caps_add_all, value, why);
}

static int set_cap_drop(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	return set_caps(&cfg->caps_drop, NULL, value, why);
}

static int set_cap_ambient(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	bool all = false;
	int r = set_caps(&cfg->caps_ambient, &all, value, why);
	if (r < 0)
		return r;
	if (all) {
		*why = "all is not offered for ambient capabilities (name them)";
		return -EINVAL;
	}
	return 0;
}

static int set_kill_signal(void *target, const char *value, const char **why)
{
	int sig = signal_from_string(value);
	if (sig < 0) {
		*why = "unknown signal (e.g. SIGTERM, SIGRTMIN+3, 15)";
		return sig;
	}
	*(int *)target = sig;
	return 0;
}

static int set_from_names(int *target, const char *value, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && streq(names[i], value)) {
			*target = (int)i;
			return 0;
		}
	return -EINVAL;
}

static int set_console(void *target, const char *value, const char **why)
{
	static const char *const names[] = {
		[CONSOLE_AUTO] = "autopipe", [CONSOLE_INTERACTIVE] = "interactive",
		[CONSOLE_READ_ONLY] = "read-only", [CONSOLE_PASSIVE] = "passive", [CONSOLE_PIPE] = "pipe",
	};
	int m;
	if (set_from_names(&m, value, names, ELEMENTSOF(names)) < 0) {
		*why = "expected interactive, read-only, passive, pipe or autopipe";
		return -EINVAL;
	}
	*(enum console_mode *)target = (enum console_mode)m;
	return 0;
}

/* -P, --pipe: nspawn's short form of --console=pipe. */
static int set_console_pipe(void *target, const char *value, const char **why)
{
	(void)value;
	(void)why;
	*(enum console_mode *)target = CONSOLE_PIPE;
	return 0;
}

static int set_resolv_conf(void *target, const char *value, const char **why)
{
	static const struct {
		const char *name;
		enum resolv_conf_mode mode;
	} modes[] = {
		{ "auto", RESOLV_CONF_AUTO },           { "off", RESOLV_CONF_OFF },
		{ "copy-host", RESOLV_CONF_COPY_HOST }, { "replace-host", RESOLV_CONF_COPY_HOST },
		{ "bind-host", RESOLV_CONF_BIND_HOST }, { "delete", RESOLV_CONF_DELETE },
	};
	for (size_t i = 0; i < ELEMENTSOF(modes); i++)
		if (streq(modes[i].name, value)) {
			*(enum resolv_conf_mode *)target = modes[i].mode;
			return 0;
		}
	*why = "expected auto, off, copy-host, replace-host, bind-host or delete";
	return -EINVAL;
}

static int set_settings(void *target, const char *value, const char **why)
{
	static const struct {
		const char *name;
		enum settings_mode mode;
	} modes[] = { { "trusted", SETTINGS_TRUSTED } };
	int b = parse_boolean(value);
	if (b >= 0) {
		*(enum settings_mode *)target = b ? SETTINGS_YES : SETTINGS_NO;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(modes); i++)
		if (streq(value, modes[i].name)) {
			*(enum settings_mode *)target = modes[i].mode;
			return 0;
		}
	*why = "expected yes, no or trusted (override is not offered)";
	return -EINVAL;
}

static int set_rlimit(void *target, const char *value, const char **why)
{
	return rlimit_parse_assignment(target, value, why);
}

static int set_uuid(void *target, const char *value, const char **why)
{
	char uuid[37];
	int r = uuid_parse(value, uuid);
	if (r < 0) {
		*why = r == -EDOM ? "the all-zero id is not a machine id"
				  : "expected 32 hex digits or a UUID (8-4-4-4-12)";
		return -EINVAL;
	}
	return opt_set_string(target, uuid, why);
}

static int set_oom_score_adjust(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	int n;
	if (parse_int(value, &n) < 0 || n < -1000 || n > 1000) {
		*why = "expected a number from -1000 to 1000";
		return -EINVAL;
	}
	cfg->oom_score_adjust = n;
	cfg->oom_score_adjust_set = true;
	return 0;
}

/* nspawn's names: the architectures this host's kernel runs natively or as its 32-bit ABI. */
static int set_personality(void *target, const char *value, const char **why)
{
	static const struct {
		const char *name;
		unsigned long persona;
	} names[] = {
#if defined(__x86_64__)
		{ "x86", PER_LINUX32 }, { "x86-64", PER_LINUX },
#elif defined(__aarch64__)
		{ "arm", PER_LINUX32 }, { "arm64", PER_LINUX },
#endif
	};
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(names[i].name, value)) {
			struct run_config *cfg = target;
			cfg->personality = names[i].persona;
			cfg->personality_set = true;
			return 0;
		}
	*why = "expected this host's architecture or its 32-bit one (x86, x86-64 on x86-64)";
	return -EINVAL;
}

static int set_absolute_path(void *target, const char *value, const char **why)
{
	if (value[0] != '/') {
		*why = "not an absolute path";
		return -EINVAL;
	}
	return opt_set_string(target, value, why);
}

#define CFG(field) offsetof(struct run_config, field)
#define WHOLE 0

const struct opt run_options[] = {
	{ "directory", 'D', OPT_REQUIRED, "DIR", "Root directory of the container", opt_set_string, CFG(directory), NULL },
	{ "machine", 'M', OPT_REQUIRED, "NAME", "Machine name (default: the directory's name)", opt_set_string, CFG(machine), NULL },
	{ "hostname", 0, OPT_REQUIRED, "NAME", "Hostname inside the container (default: the machine name)", opt_set_string, CFG(hostname), "Exec.Hostname" },
	{ "boot", 'b', OPT_NONE, NULL, "Run the tree's init as PID 1, the arguments go to init", opt_set_flag, CFG(boot), "Exec.Boot" },
	{ "ephemeral", 'x', OPT_NONE, NULL, "Run on a throw-away overlay: the tree is never written", opt_set_flag, CFG(ephemeral), "Exec.Ephemeral" },
	{ "read-only", 0, OPT_NONE, NULL, "Mount the root directory read-only", opt_set_flag, CFG(read_only), "Files.ReadOnly" },
	{ "bind", 0, OPT_REQUIRED, "SRC[:DST[:OPTS]]", "Bind-mount a host path (OPTS: rbind, norbind)", set_bind, WHOLE, "Files.Bind" },
	{ "bind-ro", 0, OPT_REQUIRED, "SRC[:DST[:OPTS]]", "Bind-mount a host path read-only", set_bind_ro, WHOLE, "Files.BindReadOnly" },
	{ "tmpfs", 0, OPT_REQUIRED, "PATH[:OPTS]", "Mount a tmpfs at PATH", set_tmpfs, WHOLE, "Files.TemporaryFileSystem" },
	{ "setenv", 'E', OPT_REQUIRED, "NAME[=VALUE]", "Set an environment variable for the command or init", set_setenv, WHOLE, "Exec.Environment" },
	{ "user", 'u', OPT_REQUIRED, "USER", "Run the command as USER (from the tree's /etc/passwd)", opt_set_string, CFG(user), "Exec.User" },
	{ "chdir", 0, OPT_REQUIRED, "DIR", "Working directory of the command", set_absolute_path, CFG(chdir), "Exec.WorkingDirectory" },
	{ "capability", 0, OPT_REQUIRED, "CAPS", "Keep these capabilities too (comma list, or all)", set_cap_add, WHOLE, "Exec.Capability" },
	{ "drop-capability", 0, OPT_REQUIRED, "CAPS", "Drop these capabilities", set_cap_drop, WHOLE, "Exec.DropCapability" },
	{ "ambient-capability", 0, OPT_REQUIRED, "CAPS", "Raise these in the command's ambient set (kept ones; not with -b)", set_cap_ambient, WHOLE, "Exec.AmbientCapability" },
	{ "kill-signal", 0, OPT_REQUIRED, "SIGNAL", "Signal sent to PID 1 when hako is asked to stop", set_kill_signal, CFG(kill_signal), "Exec.KillSignal" },
	{ "resolv-conf", 0, OPT_REQUIRED, "MODE", "auto, off, copy-host, replace-host, bind-host, delete", set_resolv_conf, CFG(resolv_conf), "Exec.ResolvConf" },
	{ "console", 0, OPT_REQUIRED, "MODE", "interactive, read-only, passive, pipe or autopipe", set_console, CFG(console), NULL },
	{ "pipe", 'P', OPT_NONE, NULL, "Same as --console=pipe", set_console_pipe, CFG(console), NULL },
	{ "settings", 0, OPT_REQUIRED, "MODE", "Apply NAME.nspawn: yes (default), no or trusted", set_settings, CFG(settings), NULL },
	{ "notify-ready", 0, OPT_OPTIONAL, "BOOL", "hako start -b: return once the init reports READY=1 ($NOTIFY_SOCKET)", opt_set_flag, CFG(notify_ready), "Exec.NotifyReady" },
	{ "rlimit", 0, OPT_REQUIRED, "NAME=SOFT[:HARD]", "Resource limit of the payload (NOFILE=1024:4096)", set_rlimit, CFG(rlimits), NULL },
	{ "suppress-sync", 0, OPT_REQUIRED, "BOOL", "sync(2), fsync(2) ... do nothing; O_SYNC opens fail (EINVAL)", opt_set_flag, CFG(suppress_sync), "Exec.SuppressSync" },
	{ "uuid", 0, OPT_REQUIRED, "UUID", "The machine's id (container_uuid=) when the tree has no /etc/machine-id", set_uuid, CFG(uuid), "Exec.MachineID" },
	{ "link-journal", 'j', OPT_OPTIONAL, "MODE", "no, auto, host, try-host, guest, try-guest (-j: try-guest)", link_journal_parse, WHOLE, "Exec.LinkJournal" },
	{ "oom-score-adjust", 0, OPT_REQUIRED, "N", "The payload's OOM score adjustment (-1000..1000)", set_oom_score_adjust, WHOLE, "Exec.OOMScoreAdjust" },
	{ "personality", 0, OPT_REQUIRED, "ARCH", "The architecture uname(2) reports (x86 on x86-64)", set_personality, WHOLE, "Exec.Personality" },
	{ "quiet", 'q', OPT_NONE, NULL, "Print no informational messages", opt_set_flag, CFG(quiet), NULL },
};
const size_t run_options_n = ELEMENTSOF(run_options);
