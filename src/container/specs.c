#include "container/specs.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

bool path_is_safe_absolute(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return true;
}

/* Copies the next ':'-separated field of *p, unescaping "\:" and "\\"; advances *p past it. */
static char *next_field(const char **p)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s && *s != ':'; s++) {
		if (*s == '\\' && (s[1] == ':' || s[1] == '\\'))
			s++;
		*o++ = *s;
	}
	*o = 0;
	*p = *s == ':' ? s + 1 : NULL;
	return out;
}

/* OPTS: rbind|norbind (recursive or not) and idmap|noidmap, nspawn's names. */
static int parse_bind_opts(const char *opts, struct bind_spec *spec, const char **why)
{
	static const struct {
		const char *name;
		size_t field; /* offsetof the bool in struct bind_spec */
		bool value;
		// clang-format off
	} names[] = {
		{ "rbind", offsetof(struct bind_spec, recursive), true },
		{ "norbind", offsetof(struct bind_spec, recursive), false },
		{ "idmap", offsetof(struct bind_spec, idmap), true },
		{ "noidmap", offsetof(struct bind_spec, idmap), false },
	};
	// clang-format on
	for (const char *p = opts; *p;) {
		size_t n = strcspn(p, ","), i;
		for (i = 0; i < ELEMENTSOF(names); i++)
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
				break;
		if (i == ELEMENTSOF(names)) {
			*why = "unknown bind option (expected rbind, norbind, idmap or noidmap)";
			return -EINVAL;
		}
		*(bool *)((char *)spec + names[i].field) = names[i].value;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The source as nspawn reads it: "+PATH" is PATH inside the tree, a relative path is relative to
 * the working directory. Replaces *src by the absolute path. */
static int bind_source(char **src, struct bind_spec *spec, const char **why)
{
	if ((*src)[0] == '+') {
		spec->in_tree = true;
		memmove(*src, *src + 1, strlen(*src));
	} else if ((*src)[0] && (*src)[0] != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		char *abs = xasprintf("%s/%s", streq(cwd, "/") ? "" : cwd, *src);
		if (!abs)
			return -ENOMEM;
		free(*src);
		*src = abs;
	}
	if (!path_is_safe_absolute(*src)) {
		*why = "source is not an absolute path (or +PATH in the tree, or relative) without . or .. components";
		return -EINVAL;
	}
	return 0;
}

int bind_spec_parse(const char *s, bool read_only, struct bind_spec *spec, const char **why)
{
	const char *p = s;
	*spec = (struct bind_spec){ .read_only = read_only, .recursive = true };
	_cleanup_free_ char *src = next_field(&p), *dst = NULL, *opts = NULL;
	if (!src)
		return -ENOMEM;
	if (p && !(dst = next_field(&p)))
		return -ENOMEM;
	if (p && !(opts = next_field(&p)))
		return -ENOMEM;
	if (p) {
		*why = "too many ':' (SRC[:DST[:OPTS]])";
		return -EINVAL;
	}
	if (!(dst && *dst) && src[0] != '/' && src[0] != '+') {
		*why = src[0] ? "a relative source needs a destination (SRC:DST)"
			      : "an empty source (a temporary directory) needs a destination (:DST)";
		return -EINVAL;
	}
	/* nspawn's empty source: a temporary directory, made when the container starts. */
	spec->temporary = !src[0];
	int r = spec->temporary ? 0 : bind_source(&src, spec, why);
	if (r < 0)
		return r;
	if (dst && *dst && !path_is_safe_absolute(dst)) {
		*why = "destination is not an absolute path without . or .. components";
		return -EINVAL;
	}
	if (opts) {
		r = parse_bind_opts(opts, spec, why);
		if (r < 0)
			return r;
	}
	spec->dest = dst && *dst ? TAKE_PTR(dst) : strdup(src);
	if (!spec->dest)
		return -ENOMEM;
	if (!spec->temporary)
		spec->source = TAKE_PTR(src);
	return 0;
}

void bind_spec_done(struct bind_spec *spec)
{
	free(spec->source);
	free(spec->dest);
	spec->source = spec->dest = NULL;
}

/* tmpfs's size options: a number with an optional k, m, g, t, p or e suffix (size also "N%"). A
 * typo is bad input, not a failed mount. */
static bool tmpfs_size_valid(const char *key, const char *v)
{
	char *end;
	errno = 0;
	(void)strtoull(v, &end, 10);
	if (end == v || errno || *v == '-')
		return false;
	if (*end && strchr("kKmMgGtTpPeE", *end))
		end++;
	else if (*end == '%' && streq(key, "size"))
		end++;
	return *end == '\0';
}

static int tmpfs_options_check(const char *options, const char **why)
{
	static const char *const sized[] = { "size", "nr_blocks", "nr_inodes" };
	_cleanup_free_ char *copy = strdup(options);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (!eq)
			continue;
		*eq = '\0';
		for (size_t i = 0; i < ELEMENTSOF(sized); i++)
			if (streq(o, sized[i]) && !tmpfs_size_valid(o, eq + 1)) {
				*why = "a size is a number with an optional k, m or g suffix (size= also N%)";
				return -EINVAL;
			}
	}
	return 0;
}

int tmpfs_spec_parse(const char *s, struct tmpfs_spec *spec, const char **why)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	_cleanup_free_ char *path = strndup(s, n);
	if (!path)
		return -ENOMEM;
	if (!path_is_safe_absolute(path)) {
		*why = "not an absolute path without . or .. components";
		return -EINVAL;
	}
	spec->options = strdup(colon && colon[1] ? colon + 1 : "mode=0755");
	if (!spec->options)
		return -ENOMEM;
	int r = tmpfs_options_check(spec->options, why);
	if (r < 0) {
		free(spec->options);
		spec->options = NULL;
		return r;
	}
	spec->path = TAKE_PTR(path);
	return 0;
}

void tmpfs_spec_done(struct tmpfs_spec *spec)
{
	free(spec->path);
	free(spec->options);
	spec->path = spec->options = NULL;
}

/* An overlay's layer: an absolute host path, or '+' and a path inside the tree; no . or .. */
static bool overlay_path_valid(const char *p)
{
	return path_is_safe_absolute(p[0] == '+' ? p + 1 : p);
}

/* Splits s at unescaped ':' into *ret (every field, empty ones too). */
static int split_fields(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	for (const char *p = s; p;) {
		char *f = next_field(&p);
		if (!f)
			return -ENOMEM;
		int r = strv_push_take(&v, f);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

/* nspawn's reading: with two paths LOWER:UPPER and DEST is UPPER (without '+'); with more, the
 * last is DEST, the one before UPPER (empty: a tmpfs), the rest the lower layers. */
static int overlay_pick_fields(char **v, size_t n, bool read_only, struct overlay_spec *spec,
			       const char **why)
{
	size_t n_lower = n == 2 ? 1 : n - 2;
	char *upper = v[n_lower], *dest = n == 2 ? upper + (upper[0] == '+') : v[n - 1];
	for (size_t i = 0; i < n_lower; i++)
		if (!overlay_path_valid(v[i])) {
			*why = "a lower layer is not an absolute path (or +PATH in the tree) without . or ..";
			return -EINVAL;
		}
	if (*upper ? !overlay_path_valid(upper) : n == 2 || read_only) {
		*why = read_only ? "a layer is not an absolute path (or +PATH in the tree) without . or .."
				 : "UPPER is not an absolute path (or +PATH in the tree) without . or ..";
		return -EINVAL;
	}
	if (!path_is_safe_absolute(dest)) {
		*why = "DEST is not an absolute path without . or ..";
		return -EINVAL;
	}
	spec->dest = strdup(dest);
	if (!spec->dest)
		return -ENOMEM;
	if (!read_only && *upper && !(spec->upper = strdup(upper)))
		return -ENOMEM;
	return 0;
}

int overlay_spec_parse(const char *s, bool read_only, struct overlay_spec *spec, const char **why)
{
	*spec = (struct overlay_spec){ .read_only = read_only };
	_cleanup_strv_free_ char **v = NULL;
	int r = split_fields(s, &v);
	if (r < 0)
		return r;
	size_t n = strv_length(v);
	if (n < 2) {
		*why = read_only
			       ? "expected at least two paths (LOWER...:TOP[:DEST])"
			       : "expected at least two paths (LOWER...:UPPER[:DEST], an empty UPPER for a tmpfs)";
		return -EINVAL;
	}
	r = overlay_pick_fields(v, n, read_only, spec, why);
	if (r < 0) {
		overlay_spec_done(spec);
		return r;
	}
	/* The lower layers; with --overlay-ro the one before DEST is the top layer, not an upper. */
	size_t n_lower = (n == 2 ? 1 : n - 2) + read_only;
	for (size_t i = n_lower; i < n; i++) {
		free(v[i]);
		v[i] = NULL;
	}
	spec->lower = TAKE_PTR(v);
	return 0;
}

void overlay_spec_done(struct overlay_spec *spec)
{
	strv_free(spec->lower);
	free(spec->upper);
	free(spec->dest);
	*spec = (struct overlay_spec){ 0 };
}

static const struct {
	// clang-format off
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "BUS", SIGBUS },   { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM },   { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },   { "URG", SIGURG },   { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO },     { "PWR", SIGPWR },     { "SYS", SIGSYS },
};
// clang-format on

/* "RTMIN+N" / "RTMAX-N" / "RTMIN" / "RTMAX". */
static int parse_realtime(const char *s)
{
	const char *rest;
	int base, sign;
	if (strncasecmp(s, "RTMIN", 5) == 0)
		base = SIGRTMIN, sign = 1;
	else if (strncasecmp(s, "RTMAX", 5) == 0)
		base = SIGRTMAX, sign = -1;
	else
		return -EINVAL;
	rest = s + 5;
	int off = 0;
	if (*rest) {
		if (*rest != (sign > 0 ? '+' : '-') || parse_int(rest + 1, &off) < 0 || off < 0)
			return -EINVAL;
	}
	int sig = base + sign * off;
	return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -EINVAL;
}

int signal_from_string(const char *s)
{
	int n;
	if (parse_int(s, &n) == 0)
		return n >= 1 && n < _NSIG ? n : -EINVAL;
	const char *bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < ELEMENTSOF(signal_names); i++)
		if (strcasecmp(signal_names[i].name, bare) == 0)
			return signal_names[i].sig;
	return parse_realtime(bare);
}

bool env_assignment_valid(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (const char *c = s; c < eq; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

/* nspawn 252's --resolv-conf= modes. The sources are systemd-resolved's: its static file (names
 * 127.0.0.53, the stub), the uplink servers it learnt, and the stub file with search domains. */
static const struct {
	const char *name;
	enum resolv_conf_action action;
	const char *source;
	// clang-format off
} resolv_conf_modes[] = {
	[RESOLV_CONF_AUTO] = { "auto", RESOLV_ACTION_NONE, NULL },
	[RESOLV_CONF_OFF] = { "off", RESOLV_ACTION_NONE, NULL },
	[RESOLV_CONF_DELETE] = { "delete", RESOLV_ACTION_DELETE, NULL },
	[RESOLV_CONF_COPY_HOST] = { "copy-host", RESOLV_ACTION_COPY, "/etc/resolv.conf" },
	[RESOLV_CONF_REPLACE_HOST] = { "replace-host", RESOLV_ACTION_REPLACE, "/etc/resolv.conf" },
	[RESOLV_CONF_BIND_HOST] = { "bind-host", RESOLV_ACTION_BIND, "/etc/resolv.conf" },
	[RESOLV_CONF_COPY_STATIC] = { "copy-static", RESOLV_ACTION_COPY, RESOLV_CONF_STATIC_PATH },
	[RESOLV_CONF_REPLACE_STATIC] = { "replace-static", RESOLV_ACTION_REPLACE, RESOLV_CONF_STATIC_PATH },
	[RESOLV_CONF_BIND_STATIC] = { "bind-static", RESOLV_ACTION_BIND, RESOLV_CONF_STATIC_PATH },
	[RESOLV_CONF_COPY_UPLINK] = { "copy-uplink", RESOLV_ACTION_COPY, RESOLV_CONF_UPLINK_PATH },
	[RESOLV_CONF_REPLACE_UPLINK] = { "replace-uplink", RESOLV_ACTION_REPLACE, RESOLV_CONF_UPLINK_PATH },
	[RESOLV_CONF_BIND_UPLINK] = { "bind-uplink", RESOLV_ACTION_BIND, RESOLV_CONF_UPLINK_PATH },
	[RESOLV_CONF_COPY_STUB] = { "copy-stub", RESOLV_ACTION_COPY, RESOLV_CONF_STUB_PATH },
	[RESOLV_CONF_REPLACE_STUB] = { "replace-stub", RESOLV_ACTION_REPLACE, RESOLV_CONF_STUB_PATH },
	[RESOLV_CONF_BIND_STUB] = { "bind-stub", RESOLV_ACTION_BIND, RESOLV_CONF_STUB_PATH },
};
// clang-format on

int resolv_conf_mode_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(resolv_conf_modes); i++)
		if (streq(resolv_conf_modes[i].name, s))
			return (int)i;
	return -EINVAL;
}

enum resolv_conf_action resolv_conf_action(enum resolv_conf_mode m)
{
	return resolv_conf_modes[m].action;
}

const char *resolv_conf_source(enum resolv_conf_mode m)
{
	return resolv_conf_modes[m].source;
}

int timezone_mode_from_string(const char *s)
{
	// clang-format off
	static const char *const names[] = {
		[TIMEZONE_AUTO] = "auto", [TIMEZONE_OFF] = "off", [TIMEZONE_COPY] = "copy",
		[TIMEZONE_BIND] = "bind", [TIMEZONE_SYMLINK] = "symlink", [TIMEZONE_DELETE] = "delete",
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (streq(names[i], s))
			return (int)i;
	return -EINVAL;
}

const char *timezone_from_path(const char *link)
{
	static const char *const prefixes[] = { "/usr/share/zoneinfo/", "../usr/share/zoneinfo/" };
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		const char *z = startswith(link, prefixes[i]);
		if (z && *z && path_is_safe_absolute(z - 1))
			return z;
	}
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int uuid_parse(const char *s, char out[37])
{
	static const char dash_at[] = { 8, 13, 18, 23 }; /* in the UUID form */
	bool dashed = strlen(s) == 36;
	if (!dashed && strlen(s) != 32)
		return -EINVAL;
	bool zero = true;
	size_t k = 0, d = 0;
	for (const char *p = s; *p; p++) {
		if (d < sizeof(dash_at) && k == (size_t)dash_at[d]) {
			out[k++] = '-';
			d++;
			if (dashed && *p++ != '-')
				return -EINVAL;
		}
		int v = hex_digit(*p);
		if (v < 0)
			return -EINVAL;
		zero &= v == 0;
		out[k++] = "0123456789abcdef"[v];
	}
	out[k] = '\0';
	return zero ? -EDOM : 0;
}
