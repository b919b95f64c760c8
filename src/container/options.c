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

/* Appends the size bytes at elem to the array *arr (a pointer to its first element) of *n. */
static int append_spec(void *arr, unsigned *n, const void *elem, size_t size)
{
	void **a = arr;
	char *grown = realloc(*a, (*n + 1) * size);
	if (!grown)
		return -ENOMEM;
	memcpy(grown + *n * size, elem, size);
	(*n)++;
	*a = grown;
	return 0;
}

static int set_bind_common(struct run_config *cfg, const char *value, bool ro, const char **why)
{
	struct bind_spec spec;
	int r = bind_spec_parse(value, ro, &spec, why);
	if (r < 0)
		return r;
	r = append_spec(&cfg->binds, &cfg->n_binds, &spec, sizeof(spec));
	if (r < 0)
		bind_spec_done(&spec);
	return r;
}

int run_config_add_bind(struct run_config *cfg, const char *spec, bool read_only, const char **why)
{
	return set_bind_common(cfg, spec, read_only, why);
}

// clang-format off
static int set_bind(void *t, const char *v, const char **why) { return set_bind_common(t, v, false, why); }
static int set_bind_ro(void *t, const char *v, const char **why) { return set_bind_common(t, v, true, why); }
// clang-format on

static int set_tmpfs(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	struct tmpfs_spec spec = { 0 };
	int r = tmpfs_spec_parse(value, &spec, why);
	if (r < 0)
		return r;
	r = append_spec(&cfg->tmpfs, &cfg->n_tmpfs, &spec, sizeof(spec));
	if (r < 0)
		tmpfs_spec_done(&spec);
	return r;
}

static int set_overlay_common(struct run_config *cfg, const char *value, bool ro, const char **why)
{
	struct overlay_spec spec;
	int r = overlay_spec_parse(value, ro, &spec, why);
	if (r < 0)
		return r;
	r = append_spec(&cfg->overlays, &cfg->n_overlays, &spec, sizeof(spec));
	if (r < 0)
		overlay_spec_done(&spec);
	return r;
}

// clang-format off
static int set_overlay(void *t, const char *v, const char **why) { return set_overlay_common(t, v, false, why); }
static int set_overlay_ro(void *t, const char *v, const char **why) { return set_overlay_common(t, v, true, why); }
// clang-format on

struct named_mode {
	const char *name;
	int mode;
};

/* A boolean (NULL, a bare option, counts as yes) or one of the names: its mode, or -EINVAL. */
static int mode_from_string(const char *value, int yes_mode, int no_mode, const struct named_mode *modes,
			    size_t n)
{
	int b = value ? parse_boolean(value) : 1;
	if (b >= 0)
		return b ? yes_mode : no_mode;
	for (size_t i = 0; i < n; i++)
		if (streq(value, modes[i].name))
			return modes[i].mode;
	return -EINVAL;
}

/* --volatile[=MODE]: bare, or a boolean, as in nspawn. */
static int set_volatile(void *target, const char *value, const char **why)
{
	static const struct named_mode modes[] = { { "state", VOLATILE_STATE },
						   { "overlay", VOLATILE_OVERLAY } };
	int m = mode_from_string(value, VOLATILE_YES, VOLATILE_NO, modes, ELEMENTSOF(modes));
	if (m < 0) {
		*why = "expected yes, no, state or overlay";
		return m;
	}
	*(enum volatile_mode *)target = (enum volatile_mode)m;
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
	// clang-format off
	static const char *const names[] = {
		[CONSOLE_AUTO] = "autopipe", [CONSOLE_INTERACTIVE] = "interactive",
		[CONSOLE_READ_ONLY] = "read-only", [CONSOLE_PASSIVE] = "passive", [CONSOLE_PIPE] = "pipe",
	};
	// clang-format on
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

/* An enum option from its parser's result m (a value, or -EINVAL). */
static int set_mode(void *target, int m, const char *expected, const char **why)
{
	if (m < 0) {
		*why = expected;
		return -EINVAL;
	}
	*(unsigned *)target = (unsigned)m; /* the enums below have no negative values */
	return 0;
}

static int set_resolv_conf(void *target, const char *value, const char **why)
{
	_Static_assert(sizeof(enum resolv_conf_mode) == sizeof(unsigned), "an enum is an unsigned");
	return set_mode(
		target, resolv_conf_mode_from_string(value),
		"expected auto, off, delete, or copy-, replace- or bind- with host, static, uplink or stub",
		why);
}

static int set_timezone(void *target, const char *value, const char **why)
{
	_Static_assert(sizeof(enum timezone_mode) == sizeof(unsigned), "an enum is an unsigned");
	return set_mode(target, timezone_mode_from_string(value),
			"expected auto, off, copy, bind, symlink or delete", why);
}

/* --inaccessible=PATH: an absolute path in the container; resolved inside the tree later. */
static int set_inaccessible(void *target, const char *value, const char **why)
{
	if (!path_is_safe_absolute(value) || streq(value, "/")) {
		*why = "not an absolute path below / without . or .. components";
		return -EINVAL;
	}
	return strv_push(target, value);
}

/* --bind-user=USER: a name, looked up on the host when the container starts. */
static int set_bind_user(void *target, const char *value, const char **why)
{
	if (!*value || strchr(value, '/') || strchr(value, ':') || streq(value, ".") || streq(value, "..")) {
		*why = "not a user name";
		return -EINVAL;
	}
	return strv_push(target, value);
}

static int set_settings(void *target, const char *value, const char **why)
{
	static const struct named_mode modes[] = { { "trusted", SETTINGS_TRUSTED },
						   { "override", SETTINGS_OVERRIDE } };
	int m = mode_from_string(value, SETTINGS_YES, SETTINGS_NO, modes, ELEMENTSOF(modes));
	if (m < 0) {
		*why = "expected yes, no, trusted or override";
		return m;
	}
	*(enum settings_mode *)target = (enum settings_mode)m;
	return 0;
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
		// clang-format off
	} names[] = {
#if defined(__x86_64__)
		{ "x86", PER_LINUX32 }, { "x86-64", PER_LINUX },
#elif defined(__aarch64__)
		{ "arm", PER_LINUX32 }, { "arm64", PER_LINUX },
#endif
	};
	// clang-format on
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

/* --pivot-root=NEW[:OLD], PivotRoot=: nspawn's syntax, two absolute paths resolved in the tree
 * (checked when the container starts); an empty value drops an earlier one. */
static int set_pivot_root(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	const char *colon = strchr(value, ':');
	_cleanup_free_ char *new = colon ? strndup(value, (size_t)(colon - value)) : strdup(value);
	_cleanup_free_ char *old = colon ? strdup(colon + 1) : NULL;
	if (!new || (colon && !old))
		return -ENOMEM;
	if (*value && (new[0] != '/' || (old && old[0] != '/'))) {
		*why = "expected absolute paths in the tree, as NEW[:OLD]";
		return -EINVAL;
	}
	free(cfg->pivot_root_new);
	free(cfg->pivot_root_old);
	cfg->pivot_root_new = *value ? TAKE_PTR(new) : NULL;
	cfg->pivot_root_old = TAKE_PTR(old);
	return 0;
}

/* -a (value NULL) and the key ProcessTwo= (a file's key is skipped when the command line chose
 * a start mode: src/settings/nspawn.c). */
static int set_as_pid2(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	int b = value ? parse_boolean(value) : 1;
	if (b < 0) {
		*why = "expected a boolean (yes/no)";
		return -EINVAL;
	}
	cfg->process_mode = b ? PROCESS_AS_PID2 : PROCESS_AS_PID1;
	/* The start mode is one setting: a file's ProcessTwo= replaces `hako start`'s booting, as
	 * nspawn's does Boot= (the command line's -b makes the key skipped). */
	if (value)
		cfg->boot = false;
	return 0;
}

static int set_as_pid1(void *target, const char *value, const char **why)
{
	(void)value;
	(void)why;
	*(enum process_mode *)target = PROCESS_AS_PID1;
	return 0;
}

#define CFG(field) offsetof(struct run_config, field)
#define WHOLE 0

// clang-format off
const struct opt run_options[] = {
	{ "directory", 'D', OPT_REQUIRED, "DIR", "Root directory of the container", opt_set_string, CFG(directory), NULL },
	{ "machine", 'M', OPT_REQUIRED, "NAME", "Machine name (default: the directory's name)", opt_set_string, CFG(machine), NULL },
	{ "hostname", 0, OPT_REQUIRED, "NAME", "Hostname inside the container (default: the machine name)", opt_set_string, CFG(hostname), "Exec.Hostname" },
	{ "boot", 'b', OPT_NONE, NULL, "Run the tree's init as PID 1, the arguments go to init", opt_set_flag, CFG(boot), "Exec.Boot" },
	{ "as-pid2", 'a', OPT_NONE, NULL, "Run the command as PID 2 under hako's stub init (the default)", set_as_pid2, WHOLE, "Exec.ProcessTwo" },
	{ "as-pid1", 0, OPT_NONE, NULL, "Run the command itself as PID 1, with no stub init (nspawn's default)", set_as_pid1, CFG(process_mode), NULL },
	{ "ephemeral", 'x', OPT_NONE, NULL, "Run on a throw-away overlay: the tree is never written", opt_set_flag, CFG(ephemeral), "Exec.Ephemeral" },
	{ "read-only", 0, OPT_NONE, NULL, "Mount the root directory read-only", opt_set_flag, CFG(read_only), "Files.ReadOnly" },
	{ "bind", 0, OPT_REQUIRED, "SRC[:DST[:OPTS]]", "Bind-mount a host path (OPTS: rbind, norbind)", set_bind, WHOLE, "Files.Bind" },
	{ "bind-ro", 0, OPT_REQUIRED, "SRC[:DST[:OPTS]]", "Bind-mount a host path read-only", set_bind_ro, WHOLE, "Files.BindReadOnly" },
	{ "tmpfs", 0, OPT_REQUIRED, "PATH[:OPTS]", "Mount a tmpfs at PATH", set_tmpfs, WHOLE, "Files.TemporaryFileSystem" },
	{ "volatile", 0, OPT_OPTIONAL, "MODE", "Never write the tree: yes (a tmpfs root with its /usr), state (a tmpfs /var), overlay or no", set_volatile, CFG(volatile_mode), "Exec.Volatile" },
	{ "overlay", 0, OPT_REQUIRED, "LOWER...:UPPER[:DEST]", "Mount an overlay at DEST (an empty UPPER: a tmpfs; +PATH: in the tree)", set_overlay, WHOLE, "Files.Overlay" },
	{ "overlay-ro", 0, OPT_REQUIRED, "LOWER...:TOP[:DEST]", "Mount a read-only overlay at DEST", set_overlay_ro, WHOLE, "Files.OverlayReadOnly" },
	{ "setenv", 'E', OPT_REQUIRED, "NAME[=VALUE]", "Set an environment variable for the command or init", set_setenv, WHOLE, "Exec.Environment" },
	{ "user", 'u', OPT_REQUIRED, "USER", "Run the command as USER (from the tree's /etc/passwd)", opt_set_string, CFG(user), "Exec.User" },
	{ "chdir", 0, OPT_REQUIRED, "DIR", "Working directory of the command", set_absolute_path, CFG(chdir), "Exec.WorkingDirectory" },
	{ "capability", 0, OPT_REQUIRED, "CAPS", "Keep these capabilities too (comma list, or all)", set_cap_add, WHOLE, "Exec.Capability" },
	{ "drop-capability", 0, OPT_REQUIRED, "CAPS", "Drop these capabilities", set_cap_drop, WHOLE, "Exec.DropCapability" },
	{ "ambient-capability", 0, OPT_REQUIRED, "CAPS", "Raise these in the command's ambient set (kept ones; not with -b)", set_cap_ambient, WHOLE, "Exec.AmbientCapability" },
	{ "kill-signal", 0, OPT_REQUIRED, "SIGNAL", "Signal sent to PID 1 when hako is asked to stop", set_kill_signal, CFG(kill_signal), "Exec.KillSignal" },
	{ "resolv-conf", 0, OPT_REQUIRED, "MODE", "auto, off, delete, {copy,replace,bind}-{host,static,uplink,stub}", set_resolv_conf, CFG(resolv_conf), "Exec.ResolvConf" },
	{ "timezone", 0, OPT_REQUIRED, "MODE", "auto, off, copy, bind, symlink or delete: the guest's /etc/localtime", set_timezone, CFG(timezone), "Exec.Timezone" },
	{ "inaccessible", 0, OPT_REQUIRED, "PATH", "Make PATH in the container inaccessible", set_inaccessible, CFG(inaccessible), "Files.Inaccessible" },
	{ "bind-user", 0, OPT_REQUIRED, "USER", "Bind the host user USER's home and ids into the container (needs -U)", set_bind_user, CFG(bind_users), "Files.BindUser" },
	{ "console", 0, OPT_REQUIRED, "MODE", "interactive, read-only, passive, pipe or autopipe", set_console, CFG(console), NULL },
	{ "pipe", 'P', OPT_NONE, NULL, "Same as --console=pipe", set_console_pipe, CFG(console), NULL },
	{ "settings", 0, OPT_REQUIRED, "MODE", "Apply NAME.nspawn: yes (default), no, trusted or override", set_settings, CFG(settings), NULL },
	{ "notify-ready", 0, OPT_OPTIONAL, "BOOL", "hako start -b: return once the init reports READY=1 ($NOTIFY_SOCKET)", opt_set_flag, CFG(notify_ready), "Exec.NotifyReady" },
	{ "rlimit", 0, OPT_REQUIRED, "NAME=SOFT[:HARD]", "Resource limit of the payload (NOFILE=1024:4096)", set_rlimit, CFG(rlimits), NULL },
	{ "suppress-sync", 0, OPT_REQUIRED, "BOOL", "sync(2), fsync(2) ... do nothing; O_SYNC opens fail (EINVAL)", opt_set_flag, CFG(suppress_sync), "Exec.SuppressSync" },
	{ "uuid", 0, OPT_REQUIRED, "UUID", "The machine's id (container_uuid=) when the tree has no /etc/machine-id", set_uuid, CFG(uuid), "Exec.MachineID" },
	{ "link-journal", 'j', OPT_OPTIONAL, "MODE", "no, auto, host, try-host, guest, try-guest (-j: try-guest)", link_journal_parse, WHOLE, "Exec.LinkJournal" },
	{ "oom-score-adjust", 0, OPT_REQUIRED, "N", "The payload's OOM score adjustment (-1000..1000)", set_oom_score_adjust, WHOLE, "Exec.OOMScoreAdjust" },
	{ "personality", 0, OPT_REQUIRED, "ARCH", "The architecture uname(2) reports (x86 on x86-64)", set_personality, WHOLE, "Exec.Personality" },
	{ "set-credential", 0, OPT_REQUIRED, "ID:VALUE", "Pass a credential to the guest (C escapes in VALUE)", credential_set, CFG(credentials), "Exec.SetCredential" },
	{ "load-credential", 0, OPT_REQUIRED, "ID:PATH", "Pass the file PATH to the guest as credential ID", credential_load, CFG(credentials), "Exec.LoadCredential" },
	{ "pivot-root", 0, OPT_REQUIRED, "NEW[:OLD]", "Make the tree's NEW the root, the tree's root at OLD in it (else out of reach)", set_pivot_root, WHOLE, "Exec.PivotRoot" },
	{ "template", 0, OPT_REQUIRED, "DIR", "Make the -D directory, if it does not exist, as a snapshot or copy of DIR", opt_set_string, CFG(template_dir), NULL },
	{ "quiet", 'q', OPT_NONE, NULL, "Print no informational messages", opt_set_flag, CFG(quiet), NULL },
};
// clang-format on
const size_t run_options_n = ELEMENTSOF(run_options);
