/* Parsers for the values of hako run's options: --bind, --tmpfs, --kill-signal, --setenv. */
#pragma once
#include "container/config.h"

/* "SRC[:DST[:OPTS]]" with OPTS a comma list of rbind|norbind; "\:" is a literal colon. Both
 * paths absolute, without ".." components; DST defaults to SRC. On -EINVAL *why names the
 * problem. The caller owns spec->source and spec->dest. */
int bind_spec_parse(const char *s, bool read_only, struct bind_spec *spec, const char **why);
void bind_spec_done(struct bind_spec *spec);

/* "PATH[:OPTS]": an absolute path and tmpfs mount options (default "mode=0755"). */
int tmpfs_spec_parse(const char *s, struct tmpfs_spec *spec, const char **why);
void tmpfs_spec_done(struct tmpfs_spec *spec);

/* "SIGTERM", "TERM", "15", "RTMIN+3", "SIGRTMAX-1": the signal number, or -EINVAL. */
int signal_from_string(const char *s);

/* True if s is "NAME=VALUE" with NAME a valid environment variable name. */
bool env_assignment_valid(const char *s);

/* True if p is absolute and has no "." or ".." component. */
bool path_is_safe_absolute(const char *p);

/* An id128 as --uuid= and MachineID= take it (32 hex digits, or 8-4-4-4-12, either case) into
 * its UUID form in lowercase; -EINVAL for anything else, -EDOM for the all-zero id. */
int uuid_parse(const char *s, char out[37]);
