/* The systemd-style INI dialect shared by .nspawn settings, network definitions and lab topology
 * files: "[Section]" or "[Section argument]", "Key=Value", '#'/';' comments, trailing '\' joins
 * lines. Every callback gets the file and line, so errors can say "FILE:LINE: ...". */
#pragma once
#include <stddef.h>

struct ini_pos {
	const char *file;
	unsigned line;
};

struct ini_handler {
	/* Called at each "[Section arg]" (arg NULL if absent). */
	int (*section)(void *userdata, const struct ini_pos *pos, const char *name, const char *arg);
	/* Called for each Key=Value inside the current section. */
	int (*entry)(void *userdata, const struct ini_pos *pos, const char *section, const char *section_arg,
		     const char *key, const char *value);
};

/* Parses text (named file in messages). Syntax errors are logged as "FILE:LINE: ..." and return
 * -EINVAL; a callback's negative return stops parsing and is passed on (the callback logs). */
int ini_parse_string(const char *text, const char *file, const struct ini_handler *h, void *userdata);
int ini_parse_file(const char *path, const struct ini_handler *h, void *userdata);
/* A configuration file's text, as ini_parse_file reads it: a regular file, at most READ_FILE_MAX
 * bytes, no NUL byte. Logs. */
int ini_read_file(const char *path, char **ret);
