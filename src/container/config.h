/* Everything `hako run` (and `hako start`, and a .nspawn file) can ask of a container. Each area
 * owns its part: the core fields here (src/container), isolation (src/container/isolation.h) and
 * networking (src/net/netconfig.h) keep their own structs and their own option tables. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "container/isolation.h"
#include "net/netconfig.h"

enum console_mode {
	CONSOLE_AUTO,        /* autopipe: interactive when stdin and stdout are terminals, else pipe */
	CONSOLE_INTERACTIVE, /* a pty, stdin and stdout relayed */
	CONSOLE_READ_ONLY,   /* a pty, only its output relayed */
	CONSOLE_PASSIVE,     /* a pty, nothing relayed */
	CONSOLE_PIPE,        /* the container gets hako's stdin/stdout/stderr directly */
};

enum resolv_conf_mode {
	RESOLV_CONF_AUTO, /* copy the host's in when the tree has an /etc; with a private network,
			   * only hako's network's DNS, else the tree's file stays (nspawn's rule) */
	RESOLV_CONF_OFF,
	RESOLV_CONF_COPY_HOST,
	RESOLV_CONF_BIND_HOST,
	RESOLV_CONF_DELETE,
};

enum link_journal {
	LINK_JOURNAL_AUTO,  /* bind the host's /var/log/journal/ID if it has one (nspawn's default) */
	LINK_JOURNAL_NO,
	LINK_JOURNAL_HOST,  /* the host's directory (made if need be), bound into the tree */
	LINK_JOURNAL_GUEST, /* the tree's directory, a symlink to it on the host */
};

enum settings_mode {
	SETTINGS_YES,     /* NAME.nspawn applies, the command line wins (nspawn's default) */
	SETTINGS_NO,
	SETTINGS_TRUSTED, /* only from the administrator's directories, never beside the image */
};

struct bind_spec {
	char *source;      /* absolute path on the host */
	char *dest;        /* absolute path in the container */
	bool read_only;
	bool recursive;    /* rbind (default) or norbind */
};

struct tmpfs_spec {
	char *path;
	char *options;     /* mount data, e.g. "mode=0755,size=10M"; NULL for default */
};

/* One resource limit: --rlimit= (from_command_line) wins over a file's Limit*= key. */
struct rlimit_setting {
	bool set;
	bool from_command_line;
	uint64_t soft, hard; /* RLIM_INFINITY for "infinity" */
};

struct run_config {
	char *directory;
	char *machine;     /* name; defaults to basename(directory) */
	char *hostname;    /* defaults to machine */
	char **command;    /* argv to run (or init's arguments with boot) */
	bool boot;
	bool ephemeral;
	bool read_only;
	struct bind_spec *binds;
	unsigned n_binds;
	struct tmpfs_spec *tmpfs;
	unsigned n_tmpfs;
	char **setenv;     /* "VAR=VALUE" */
	char *user;
	char *chdir;
	uint64_t caps_add, caps_drop; /* bitmasks over CAP_* numbers */
	bool caps_add_all;            /* --capability=all */
	uint64_t caps_ambient;        /* --ambient-capability=, within the kept set */
	int kill_signal;              /* 0: default (SIGRTMIN+3 with boot, else SIGKILL) */
	enum resolv_conf_mode resolv_conf;
	enum console_mode console;
	bool quiet;
	bool notify_ready; /* hako start waits for READY=1 from the init (nspawn's --notify-ready=) */
	enum settings_mode settings;
	struct rlimit_setting rlimits[RLIMIT_NLIMITS]; /* by RLIMIT_* number */
	char *uuid;         /* --uuid=, MachineID=: 8-4-4-4-12, lowercase */
	bool suppress_sync;
	bool oom_score_adjust_set;
	int oom_score_adjust;  /* -1000..1000, nspawn's --oom-score-adjust= */
	bool personality_set;
	unsigned long personality; /* personality(2) persona, nspawn's --personality= */
	enum link_journal link_journal;
	bool link_journal_try; /* try-host, try-guest: failing is no error */ /* the sync family does nothing (nspawn's --suppress-sync=) */

	struct isolation_config iso;
	struct net_config net;
};

void run_config_free(struct run_config *cfg);
