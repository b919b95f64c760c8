/* hako copy-to, copy-from, bind: files moved into and out of a running machine, as machinectl's
 * verbs of those names. The work is in src/machine/copy.c and bind.c. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/machine.h"
#include "machine/bind.h"
#include "machine/copy.h"
#include "machine/machine.h"

struct files_opts {
	bool force, mkdir, read_only;
};

// clang-format off
static const struct opt copy_options[] = {
	{ "force", 0, OPT_NONE, NULL, "Replace files that are there (a directory is merged into either way)", opt_set_flag, offsetof(struct files_opts, force), NULL },
	{ "mkdir", 0, OPT_NONE, NULL, "Make the destination's missing parent directories", opt_set_flag, offsetof(struct files_opts, mkdir), NULL },
};
// clang-format on

// clang-format off
static const struct opt bind_options[] = {
	{ "read-only", 0, OPT_NONE, NULL, "Mount it read-only", opt_set_flag, offsetof(struct files_opts, read_only), NULL },
	{ "mkdir", 0, OPT_NONE, NULL, "Make the mount point (and its parents) if missing", opt_set_flag, offsetof(struct files_opts, mkdir), NULL },
};
// clang-format on

/* The leader of the running machine name (0 after logging why there is none). */
static pid_t running_leader(const char *name)
{
	struct machine_state st = { 0 };
	int r = machine_cmd_get_running(name, &st);
	pid_t leader = st.leader;
	machine_state_done(&st);
	return r == 0 ? leader : 0;
}

static bool absolute(const char *what, const char *path)
{
	if (path[0] == '/')
		return true;
	log_error("%s %s is not an absolute path (a path inside the machine)", what, path);
	return false;
}

static const char *const copy_usage[2] = {
	"Usage: hako copy-from [OPTIONS] NAME PATH [HOST-PATH]\n\n"
	"Copy a file or directory (recursively) out of a running machine; PATH is resolved inside it.\n"
	"HOST-PATH defaults to PATH. Nothing is overwritten without --force.",
	"Usage: hako copy-to [OPTIONS] NAME HOST-PATH [PATH]\n\n"
	"Copy a file or directory (recursively) into a running machine; PATH is resolved inside it.\n"
	"PATH defaults to HOST-PATH. Nothing is overwritten without --force.",
};

static int copy_command(int argc, char **argv, bool to_machine)
{
	struct files_opts o = { 0 };
	int i, r = machine_cmd_parse(copy_options, ELEMENTSOF(copy_options), argc, argv, &o, 0,
				     copy_usage[to_machine], &i);
	if (r >= 0)
		return r;
	if (argc - i < 2 || argc - i > 3) {
		log_error("expected NAME, a source and an optional destination (hako %s --help)", argv[0]);
		return EXIT_HAKO_USAGE;
	}
	const char *src = argv[i + 1], *dst = argc - i == 3 ? argv[i + 2] : src;
	struct machine_copy c = { .to_machine = to_machine,
				  .replace = o.force,
				  .mkdir = o.mkdir,
				  .host_path = to_machine ? src : dst,
				  .machine_path = to_machine ? dst : src };
	if (!absolute(to_machine ? "destination" : "source", c.machine_path))
		return EXIT_HAKO_USAGE;
	c.leader = running_leader(argv[i]);
	if (c.leader == 0)
		return EXIT_HAKO_USAGE;
	r = machine_copy(&c);
	if (r >= 0)
		return 0;
	_cleanup_free_ char *from = to_machine ? strdup(src) : xasprintf("%s:%s", argv[i], src),
			    *to = to_machine ? xasprintf("%s:%s", argv[i], dst) : strdup(dst);
	if (r == -EEXIST)
		log_error("cannot copy %s to %s: it exists (--force replaces it)", from, to);
	else
		log_errno(r, "cannot copy %s to %s", from, to);
	return EXIT_HAKO_FAILED;
}

// clang-format off
int cmd_copy_to(int argc, char **argv) { return copy_command(argc, argv, true); }
int cmd_copy_from(int argc, char **argv) { return copy_command(argc, argv, false); }
// clang-format on

int cmd_bind(int argc, char **argv)
{
	struct files_opts o = { 0 };
	int i, r = machine_cmd_parse(
		       bind_options, ELEMENTSOF(bind_options), argc, argv, &o, 0,
		       "Usage: hako bind [OPTIONS] NAME HOST-PATH [PATH]\n\n"
		       "Mount a host directory or file into a running machine at PATH (default HOST-PATH),\n"
		       "resolved inside it. The host's own mounts do not change.",
		       &i);
	if (r >= 0)
		return r;
	if (argc - i < 2 || argc - i > 3) {
		log_error(
			"expected NAME, a host path and an optional path in the machine (hako bind --help)");
		return EXIT_HAKO_USAGE;
	}
	struct machine_bind b = { .host_path = argv[i + 1],
				  .machine_path = argv[argc - i == 3 ? i + 2 : i + 1],
				  .read_only = o.read_only,
				  .mkdir = o.mkdir };
	if (!absolute("mount point", b.machine_path))
		return EXIT_HAKO_USAGE;
	b.leader = running_leader(argv[i]);
	if (b.leader == 0)
		return EXIT_HAKO_USAGE;
	r = machine_bind(&b);
	if (r < 0) {
		log_errno(r, "cannot bind %s into %s:%s", b.host_path, argv[i], b.machine_path);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}
