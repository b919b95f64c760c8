/* Parsers for the values of hako run's options: --bind, --tmpfs, --kill-signal, --setenv. */
#pragma once
#include "container/config.h"

/* "SRC[:DST[:OPTS]]" with OPTS a comma list of rbind|norbind|idmap|noidmap; "\:" is a literal
 * colon. SRC "+PATH" is PATH in the tree (spec->in_tree), a relative SRC is made absolute from the
 * working directory (and needs a DST); no "." or ".." components; DST defaults to SRC. On -EINVAL *why names the
 * problem. The caller owns spec->source and spec->dest. */
int bind_spec_parse(const char *s, bool read_only, struct bind_spec *spec, const char **why);
void bind_spec_done(struct bind_spec *spec);

/* "PATH[:OPTS]": an absolute path and tmpfs mount options (default "mode=0755"). */
int tmpfs_spec_parse(const char *s, struct tmpfs_spec *spec, const char **why);
void tmpfs_spec_done(struct tmpfs_spec *spec);

/* nspawn's --overlay= ("LOWER[:LOWER...]:UPPER[:DEST]", an empty UPPER for a tmpfs, DEST needed
 * then) and --overlay-ro= ("LOWER[:LOWER...]:TOP[:DEST]") with read_only; '+' before a path puts
 * it in the tree; "\:" is a literal colon. With two paths DEST is the second one. On -EINVAL
 * *why names the problem and spec is empty. */
int overlay_spec_parse(const char *s, bool read_only, struct overlay_spec *spec, const char **why);
void overlay_spec_done(struct overlay_spec *spec);

/* "SIGTERM", "TERM", "15", "RTMIN+3", "SIGRTMAX-1": the signal number, or -EINVAL. */
int signal_from_string(const char *s);

/* True if s is "NAME=VALUE" with NAME a valid environment variable name. */
bool env_assignment_valid(const char *s);

/* True if p is absolute and has no "." or ".." component. */
bool path_is_safe_absolute(const char *p);

/* --resolv-conf=: the mode of a name (-EINVAL if none), what the mode does, and its source file
 * (NULL for auto, off and delete). */
#define RESOLV_CONF_STATIC_PATH "/usr/lib/systemd/resolv.conf"
#define RESOLV_CONF_UPLINK_PATH "/run/systemd/resolve/resolv.conf"
#define RESOLV_CONF_STUB_PATH "/run/systemd/resolve/stub-resolv.conf"
enum resolv_conf_action {
	RESOLV_ACTION_NONE, /* auto and off: decided elsewhere */
	RESOLV_ACTION_DELETE,
	RESOLV_ACTION_COPY,    /* a private copy over the guest's file */
	RESOLV_ACTION_REPLACE, /* the same, replacing a symlink or a missing file in the tree */
	RESOLV_ACTION_BIND,    /* the source itself, bound read-only */
};
int resolv_conf_mode_from_string(const char *s);
enum resolv_conf_action resolv_conf_action(enum resolv_conf_mode m);
const char *resolv_conf_source(enum resolv_conf_mode m);

/* --timezone=: the mode of a name, or -EINVAL. */
int timezone_mode_from_string(const char *s);

/* The zone of a /etc/localtime symlink's target ("Europe/Berlin" from
 * "/usr/share/zoneinfo/Europe/Berlin" or "../usr/share/zoneinfo/Europe/Berlin"), pointing into
 * link; NULL if it points elsewhere or through "..". */
const char *timezone_from_path(const char *link);
/* An id128 as --uuid= and MachineID= take it (32 hex digits, or 8-4-4-4-12, either case) into
 * its UUID form in lowercase; -EINVAL for anything else, -EDOM for the all-zero id. */
int uuid_parse(const char *s, char out[37]);
