#include "base/opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

struct found {
	const struct opt *opt;
	int position;
};

static struct found find_long(const struct opt_group *g, size_t n, const char *name, size_t len)
{
	int pos = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < g[i].n; j++, pos++)
			if (strlen(g[i].opts[j].name) == len && strncmp(g[i].opts[j].name, name, len) == 0)
				return (struct found){ &g[i].opts[j], pos };
	return (struct found){ NULL, -1 };
}

static struct found find_short(const struct opt_group *g, size_t n, int c)
{
	int pos = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < g[i].n; j++, pos++)
			if (g[i].opts[j].short_name == c)
				return (struct found){ &g[i].opts[j], pos };
	return (struct found){ NULL, -1 };
}

struct parse {
	void *target;
	struct opts_seen *seen;
	const struct opts_seen *skip;
};

static int apply(struct found f, const char *value, const struct parse *ps)
{
	if (ps->skip && opts_was_seen(ps->skip, f.position))
		return 0;
	void *target = ps->target;
	struct opts_seen *seen = ps->seen;
	const char *why = NULL;
	int r = f.opt->set((char *)target + f.opt->offset, value, &why);
	if (r < 0) {
		if (value)
			log_error("invalid --%s=%s: %s", f.opt->name, value, why ? why : strerror(-r));
		else
			log_error("invalid --%s: %s", f.opt->name, why ? why : strerror(-r));
		return r;
	}
	if (seen)
		opts_mark_seen(seen, f.position);
	return 0;
}

static int parse_long(const struct opt_group *g, size_t n, int argc, char **argv, int *i,
		      const struct parse *ps)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	struct found f = find_long(g, n, name, len);
	if (!f.opt) {
		log_error("unknown option --%.*s (see --help)", (int)len, name);
		return -EINVAL;
	}
	const char *value = eq ? eq + 1 : NULL;
	if (f.opt->arg == OPT_NONE && value) {
		log_error("option --%s takes no value", f.opt->name);
		return -EINVAL;
	}
	if (f.opt->arg == OPT_REQUIRED && !value) {
		if (*i + 1 >= argc) {
			log_error("option --%s needs a value (--%s=%s)", f.opt->name, f.opt->name,
				  f.opt->metavar ? f.opt->metavar : "VALUE");
			return -EINVAL;
		}
		value = argv[++*i];
	}
	return apply(f, value, ps);
}

static int parse_short(const struct opt_group *g, size_t n, int argc, char **argv, int *i,
		       const struct parse *ps)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		struct found f = find_short(g, n, *p);
		if (!f.opt) {
			log_error("unknown option -%c (see --help)", *p);
			return -EINVAL;
		}
		if (f.opt->arg == OPT_NONE) {
			int r = apply(f, NULL, ps);
			if (r < 0)
				return r;
			continue;
		}
		const char *value = p[1] ? p + 1 : NULL;
		if (!value && f.opt->arg == OPT_REQUIRED) {
			if (*i + 1 >= argc) {
				log_error("option -%c needs a value", *p);
				return -EINVAL;
			}
			value = argv[++*i];
		}
		return apply(f, value, ps);
	}
	return 0;
}

/* Operands rotated out of the options land at the end in reverse order; this restores it. */
static void reverse(char **v, int n)
{
	for (int i = 0; i < n / 2; i++) {
		char *t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

int opts_parse(const struct opt_group *groups, size_t n_groups, int argc, char **argv, void *target,
	       unsigned flags, const char *usage, struct opts_seen *seen)
{
	return opts_parse_except(groups, n_groups, argc, argv, target, flags, usage, seen, NULL);
}

int opts_parse_except(const struct opt_group *groups, size_t n_groups, int argc, char **argv, void *target,
		      unsigned flags, const char *usage, struct opts_seen *seen, const struct opts_seen *skip)
{
	const struct parse ps = { target, seen, skip };
	int i, all = argc;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if (streq(a, "--")) {
			reverse(argv + argc, all - argc);
			return i + 1;
		}
		if (streq(a, "--help") || streq(a, "-h")) {
			opts_help(stdout, usage, groups, n_groups);
			return -ECANCELED;
		}
		if (a[0] != '-' || a[1] == 0) {
			if (flags & OPTS_STOP_AT_ARG)
				return i;
			/* Operands may come anywhere: rotate this one to the end of the options. */
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(char *));
			argv[argc - 1] = (char *)a;
			argc--;
			i--;
			continue;
		}
		r = a[1] == '-' ? parse_long(groups, n_groups, argc, argv, &i, &ps)
				: parse_short(groups, n_groups, argc, argv, &i, &ps);
		if (r < 0)
			return r;
	}
	reverse(argv + argc, all - argc);
	return i;
}

void opts_help(FILE *f, const char *usage, const struct opt_group *groups, size_t n_groups)
{
	if (usage)
		fprintf(f, "%s\n", usage);
	for (size_t i = 0; i < n_groups; i++) {
		fprintf(f, "\n%s\n", groups[i].title ? groups[i].title : "Options:");
		for (size_t j = 0; j < groups[i].n; j++) {
			const struct opt *o = &groups[i].opts[j];
			char left[64];
			const char *mv = o->metavar ? o->metavar : "VALUE";
			int k = snprintf(left, sizeof(left), "%c%c%s--%s", o->short_name ? '-' : ' ',
					 o->short_name ? o->short_name : ' ', o->short_name ? "," : " ",
					 o->name);
			if (o->arg == OPT_REQUIRED)
				snprintf(left + k, sizeof(left) - (size_t)k, "=%s", mv);
			else if (o->arg == OPT_OPTIONAL)
				snprintf(left + k, sizeof(left) - (size_t)k, "[=%s]", mv);
			fprintf(f, "  %-34s %s\n", left, o->help);
		}
	}
	fprintf(f, "\n  -h, --help                         Show this help\n");
}

int opts_find_setting(const struct opt_group *groups, size_t n_groups, const char *section, const char *key,
		      const struct opt **ret)
{
	size_t sl = strlen(section);
	int pos = 0;
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++, pos++) {
			const char *s = groups[i].opts[j].settings;
			if (s && strncmp(s, section, sl) == 0 && s[sl] == '.' && streq(s + sl + 1, key)) {
				*ret = &groups[i].opts[j];
				return pos;
			}
		}
	return -1;
}

/* Whether the option's settings key is in section, and not except_key. */
static bool key_in_section(const struct opt *o, const char *section, const char *except_key)
{
	size_t sl = strlen(section);
	const char *s = o->settings;
	return s && strncmp(s, section, sl) == 0 && s[sl] == '.' &&
	       !(except_key && streq(s + sl + 1, except_key));
}

bool opts_section_seen(const struct opt_group *groups, size_t n_groups, const struct opts_seen *seen,
		       const char *section, const char *except_key)
{
	int pos = 0;
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++, pos++)
			if (key_in_section(&groups[i].opts[j], section, except_key) &&
			    opts_was_seen(seen, pos))
				return true;
	return false;
}

bool opts_any_seen(const struct opt_group *groups, size_t n_groups, const struct opts_seen *seen,
		   const char *const *names)
{
	int pos = 0;
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++, pos++)
			if (strv_contains((char *const *)names, groups[i].opts[j].name) &&
			    opts_was_seen(seen, pos))
				return true;
	return false;
}

void opts_mark_seen(struct opts_seen *seen, int position)
{
	if (position >= 0 && position < OPTS_SEEN_MAX)
		seen->bits[position / 8] |= (unsigned char)(1u << (position % 8));
}

void opts_mark_section(const struct opt_group *groups, size_t n_groups, struct opts_seen *seen,
		       const char *section, const char *except_key)
{
	int pos = 0;
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++, pos++)
			if (key_in_section(&groups[i].opts[j], section, except_key))
				opts_mark_seen(seen, pos);
}

void opts_mark_names(const struct opt_group *groups, size_t n_groups, struct opts_seen *seen,
		     const char *const *names)
{
	int pos = 0;
	for (size_t i = 0; i < n_groups; i++)
		for (size_t j = 0; j < groups[i].n; j++, pos++)
			if (strv_contains((char *const *)names, groups[i].opts[j].name))
				opts_mark_seen(seen, pos);
}

bool opts_was_seen(const struct opts_seen *seen, int position)
{
	return position >= 0 && position < OPTS_SEEN_MAX &&
	       (seen->bits[position / 8] & (1u << (position % 8)));
}

int opt_set_flag(void *target, const char *value, const char **why)
{
	int b = value ? parse_boolean(value) : 1;
	if (b < 0) {
		*why = "expected a boolean (yes/no)";
		return -EINVAL;
	}
	*(bool *)target = b;
	return 0;
}

int opt_set_string(void *target, const char *value, const char **why)
{
	(void)why;
	char *s = strdup(value ? value : "");
	if (!s)
		return -ENOMEM;
	free(*(char **)target);
	*(char **)target = s;
	return 0;
}

int opt_append_string(void *target, const char *value, const char **why)
{
	(void)why;
	return strv_push((char ***)target, value ? value : "");
}
