#include "container/specs.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int parse_bind_opts(const char *opts, struct bind_spec *spec, const char **why)
{
	for (const char *p = opts; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 5 && strncmp(p, "rbind", 5) == 0)
			spec->recursive = true;
		else if (n == 7 && strncmp(p, "norbind", 7) == 0)
			spec->recursive = false;
		else {
			*why = "unknown bind option (expected rbind or norbind)";
			return -EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
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
	if (!path_is_safe_absolute(src)) {
		*why = "source is not an absolute path without . or .. components";
		return -EINVAL;
	}
	if (dst && *dst && !path_is_safe_absolute(dst)) {
		*why = "destination is not an absolute path without . or .. components";
		return -EINVAL;
	}
	if (opts) {
		int r = parse_bind_opts(opts, spec, why);
		if (r < 0)
			return r;
	}
	spec->dest = dst && *dst ? TAKE_PTR(dst) : strdup(src);
	if (!spec->dest)
		return -ENOMEM;
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

static const struct {
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
