/* Everything `hako run` (and `hako start`, and a .nspawn file) can ask of a container. Each area
 * owns its part: the core fields here (src/container), isolation (src/container/isolation.h) and
 * networking (src/net/netconfig.h) keep their own structs and their own option tables. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "container/credentials.h"
#include "container/isolation.h"
#include "net/netconfig.h"

enum console_mode {
	CONSOLE_AUTO,        /* autopipe: interactive when stdin and stdout are terminals, else pipe */
	CONSOLE_INTERACTIVE, /* a pty, stdin and stdout relayed */
	CONSOLE_READ_ONLY,   /* a pty, only its output relayed */
	CONSOLE_PASSIVE,     /* a pty, nothing relayed */
	CONSOLE_PIPE,        /* the container gets hako's stdin/stdout/stderr directly */
};

/* nspawn's --resolv-conf= modes: what to do (copy, replace, bind) with which source (the host's
 * /etc/resolv.conf or one of systemd-resolved's three files); the names and sources are a table
 * in src/container/options.c, the actions in src/container/mounts.c. */
enum resolv_conf_mode {
	RESOLV_CONF_AUTO, /* copy the host's in when the tree has an /etc; with a private network,
			   * only hako's network's DNS, else the tree's file stays (nspawn's rule) */
	RESOLV_CONF_OFF,
	RESOLV_CONF_DELETE,
	RESOLV_CONF_COPY_HOST,
	RESOLV_CONF_REPLACE_HOST,
	RESOLV_CONF_BIND_HOST,
	RESOLV_CONF_COPY_STATIC,
	RESOLV_CONF_REPLACE_STATIC,
	RESOLV_CONF_BIND_STATIC,
	RESOLV_CONF_COPY_UPLINK,
	RESOLV_CONF_REPLACE_UPLINK,
	RESOLV_CONF_BIND_UPLINK,
	RESOLV_CONF_COPY_STUB,
	RESOLV_CONF_REPLACE_STUB,
	RESOLV_CONF_BIND_STUB,
};

/* nspawn's --timezone= modes. */
enum timezone_mode {
	TIMEZONE_AUTO,
	TIMEZONE_OFF,
	TIMEZONE_COPY,
	TIMEZONE_BIND,
	TIMEZONE_SYMLINK,
	TIMEZONE_DELETE,
};

enum link_journal {
	LINK_JOURNAL_AUTO, /* bind the host's /var/log/journal/ID if it has one (nspawn's default) */
	LINK_JOURNAL_NO,
	LINK_JOURNAL_HOST,  /* the host's directory (made if need be), bound into the tree */
	LINK_JOURNAL_GUEST, /* the tree's directory, a symlink to it on the host */
};

/* What runs as PID 1 without -b: hako's stub init with the command as PID 2 (the default and
 * -a/--as-pid2), or the command itself (--as-pid1, ProcessTwo=no: nspawn's default). */
enum process_mode {
	PROCESS_DEFAULT, /* not asked for: the stub, as PROCESS_AS_PID2 */
	PROCESS_AS_PID2,
	PROCESS_AS_PID1,
};

enum settings_mode {
	SETTINGS_YES, /* NAME.nspawn applies, the command line wins (nspawn's default) */
	SETTINGS_NO,
	SETTINGS_TRUSTED,  /* as yes, and a file beside the image is trusted too (all its keys apply) */
	SETTINGS_OVERRIDE, /* as yes, but the file's keys win over the command line's options */
};

struct bind_spec {
	char *source; /* absolute path on the host (in the tree with in_tree) */
	char *dest;   /* absolute path in the container */
	bool read_only;
	bool recursive; /* rbind (default) or norbind */
	bool in_tree;   /* "+PATH": the source is resolved inside the tree */
	bool idmap;     /* ":idmap": the source's owners mapped into the container's user namespace */
	bool temporary; /* an empty SRC: a directory made below $TMPDIR or /var/tmp (source, once
			    * made) and removed when the container ends, as nspawn's */
};

struct tmpfs_spec {
	char *path;
	char *options; /* mount data, e.g. "mode=0755,size=10M"; NULL for default */
};

/* nspawn's --volatile=: what of the tree the container may write (it never writes the tree). */
enum volatile_mode {
	VOLATILE_NO,
	VOLATILE_YES,     /* a tmpfs root with the tree's /usr read-only in it */
	VOLATILE_STATE,   /* the tree read-only, a tmpfs on /var */
	VOLATILE_OVERLAY, /* an overlay over the tree with a tmpfs upper layer */
};

/* --overlay=, --overlay-ro=: an overlayfs at dest. A path starting with '+' is inside the tree. */
struct overlay_spec {
	char **lower; /* bottom layer first; with read_only the last one is the top */
	char *upper;  /* NULL: a tmpfs (writes vanish); always NULL with read_only */
	char *dest;   /* absolute path in the container */
	bool read_only;
};

/* One resource limit: --rlimit= (from_command_line) wins over a file's Limit*= key, unless
 * --settings=override. */
struct rlimit_setting {
	bool set;
	bool from_command_line;
	uint64_t soft, hard; /* RLIM_INFINITY for "infinity" */
};

struct run_config {
	char *directory;
	char *machine;  /* name; defaults to basename(directory) */
	char *hostname; /* defaults to machine */
	char **command; /* argv to run (or init's arguments with boot) */
	bool boot;
	enum process_mode process_mode;
	bool ephemeral;
	bool read_only;
	struct bind_spec *binds;
	unsigned n_binds;
	struct tmpfs_spec *tmpfs;
	unsigned n_tmpfs;
	enum volatile_mode volatile_mode;
	struct overlay_spec *overlays;
	unsigned n_overlays;
	char **setenv; /* "VAR=VALUE" */
	char *user;
	char *chdir;
	uint64_t caps_add, caps_drop; /* bitmasks over CAP_* numbers */
	bool caps_add_all;            /* --capability=all */
	uint64_t caps_ambient;        /* --ambient-capability=, within the kept set */
	int kill_signal;              /* 0: default (SIGRTMIN+3 with boot, else SIGKILL) */
	enum resolv_conf_mode resolv_conf;
	enum timezone_mode timezone;
	char **inaccessible;            /* --inaccessible=: paths in the container */
	char **bind_users;              /* --bind-user=: host user names */
	struct credentials credentials; /* --set-credential=, --load-credential= */
	char *template_dir;             /* --template=: copied to the directory when it does not exist */
	char *pivot_root_new;           /* --pivot-root=NEW[:OLD]: NEW in the tree becomes the root */
	char *pivot_root_old;           /* where the tree's root goes in it; NULL: out of reach */
	enum console_mode console;
	bool quiet;
	bool notify_ready; /* hako start waits for READY=1 from the init (nspawn's --notify-ready=) */
	enum settings_mode settings;
	struct rlimit_setting rlimits[RLIMIT_NLIMITS]; /* by RLIMIT_* number */
	char *uuid;                                    /* --uuid=, MachineID=: 8-4-4-4-12, lowercase */
	bool suppress_sync; /* the sync family does nothing (nspawn's --suppress-sync=) */
	bool oom_score_adjust_set;
	int oom_score_adjust; /* -1000..1000, nspawn's --oom-score-adjust= */
	bool personality_set;
	unsigned long personality; /* personality(2) persona, nspawn's --personality= */
	enum link_journal link_journal;
	bool link_journal_try; /* try-host, try-guest: failing is no error */

	struct isolation_config iso;
	struct net_config net;
};

/* Frees cfg; removes the temporary bind sources run_config_make_temp_binds made. */
void run_config_free(struct run_config *cfg);
/* Makes a directory for each bind with an empty source (nspawn's temporary directory), below
 * $TMPDIR or else /var/tmp, named hako-bind-XXXXXX. Logs. */
int run_config_make_temp_binds(struct run_config *cfg);
/* Removes them (and forgets them); what is left is logged. */
void run_config_remove_temp_binds(struct run_config *cfg);
/* Whether path names a directory run_config_make_temp_binds makes (a collector removes only those). */
bool temp_bind_path_valid(const char *path);
