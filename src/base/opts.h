/* Table-driven command-line options. One table row per option: its names, its argument, its help
 * line, the setter that parses the value into the command's config, and (optionally) the .nspawn
 * settings key the same setter serves, so files and command lines share one parser. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum opt_arg {
	OPT_NONE,     /* --flag            (setter gets NULL) */
	OPT_REQUIRED, /* --name=V / --name V / -nV / -n V */
	OPT_OPTIONAL, /* --name[=V]        (setter gets NULL without =V) */
};

/* Parses value into target. On a bad value returns a negative errno and may point *why at a
 * static reason ("not an absolute path"); the caller prints one line naming the option. */
typedef int (*opt_setter)(void *target, const char *value, const char **why);

struct opt {
	const char *name; /* long name, without "--" */
	int short_name;   /* 0 if none */
	enum opt_arg arg;
	const char *metavar; /* "DIR" in --directory=DIR */
	const char *help;
	opt_setter set;
	size_t offset;        /* the setter gets (char *)target + offset: offsetof(config, field) */
	const char *settings; /* "Exec.Boot": the settings-file key this option also serves, or NULL */
};

/* Several tables parsed as one (a command's own options plus shared groups). */
struct opt_group {
	const char *title; /* help heading, NULL for none */
	const struct opt *opts;
	size_t n;
};
// clang-format off
#define OPT_GROUP(title, table) { title, table, sizeof(table) / sizeof((table)[0]) }
// clang-format on

#define OPTS_SEEN_MAX 256
struct opts_seen {
	unsigned char bits[OPTS_SEEN_MAX / 8]; /* options given, by position across the groups */
};

enum opts_flags {
	OPTS_STOP_AT_ARG = 1 << 0, /* the first non-option ends options (COMMAND ARGS follow) */
};

/* Parses argv[1..]. Returns the index of the first operand (argc if none), or a negative errno
 * after printing one error line. "--help" returns -ECANCELED after printing help to stdout. */
int opts_parse(const struct opt_group *groups, size_t n_groups, int argc, char **argv, void *target,
	       unsigned flags, const char *usage, struct opts_seen *seen);

/* As opts_parse, but options whose position is in skip are parsed and left out: not applied,
 * not marked seen (--settings=override: the settings file's keys win over them). */
int opts_parse_except(const struct opt_group *groups, size_t n_groups, int argc, char **argv, void *target,
		      unsigned flags, const char *usage, struct opts_seen *seen,
		      const struct opts_seen *skip);

/* usage (unless NULL), then each group's options, then -h/--help. */
void opts_help(FILE *f, const char *usage, const struct opt_group *groups, size_t n_groups);

/* Finds the option serving settings key "Section.Key"; returns its global position or -1. */
int opts_find_setting(const struct opt_group *groups, size_t n_groups, const char *section, const char *key,
		      const struct opt **ret);
bool opts_was_seen(const struct opts_seen *seen, int position);
void opts_mark_seen(struct opts_seen *seen, int position);
/* Marks every option whose settings key is in section (but except_key), or named in names. */
void opts_mark_section(const struct opt_group *groups, size_t n_groups, struct opts_seen *seen,
		       const char *section, const char *except_key);
void opts_mark_names(const struct opt_group *groups, size_t n_groups, struct opts_seen *seen,
		     const char *const *names);
/* Whether the command line gave any of the options named in names (long names, NULL-ended). */
bool opts_any_seen(const struct opt_group *groups, size_t n_groups, const struct opts_seen *seen,
		   const char *const *names);
/* Whether the command line gave any option whose settings key is in section (but except_key). */
bool opts_section_seen(const struct opt_group *groups, size_t n_groups, const struct opts_seen *seen,
		       const char *section, const char *except_key);

/* Setters shared by many tables; they expect offset to name a field of the given type. */
int opt_set_flag(void *target_bool, const char *value, const char **why);      /* bool */
int opt_set_string(void *target_charp, const char *value, const char **why);   /* char* (dup) */
int opt_append_string(void *target_strv, const char *value, const char **why); /* char** */
