/* hako: lightweight containers and virtual networks for one Linux host. This file is only the
 * command table; each family of commands lives in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/proctitle.h"
#include "cmd/cmd.h"

// clang-format off
static const struct command commands[] = {
	{ "run", cmd_run, "Run a command or boot an init in a container, in the foreground" },
	{ "network", cmd_network, "Managed networks: create, list, show, rm, up" },
	{ "start", cmd_start, "Boot machines in the background, each under a small supervisor" },
	{ "list", cmd_list, "List the running machines" },
	{ "show", cmd_show, "Show a machine's properties" },
	{ "status", cmd_status, "Show a machine's status" },
	{ "log", cmd_log, "Show a machine's log: its console and how it ended, kept after it stops" },
	{ "stop", cmd_stop, "Shut machines down (as poweroff) and wait until they are gone" },
	{ "poweroff", cmd_poweroff, "Shut machines down and wait until they are gone" },
	{ "reboot", cmd_reboot, "Reboot machines" },
	{ "terminate", cmd_terminate, "Kill machines at once" },
	{ "kill", cmd_kill, "Send a signal to machines' processes" },
	{ "shell", cmd_shell, "Run a shell or a command inside a running machine" },
	{ "login", cmd_login, "Attach to a machine's console" },
	{ "copy-to", cmd_copy_to, "Copy files into a running machine" },
	{ "copy-from", cmd_copy_from, "Copy files out of a running machine" },
	{ "bind", cmd_bind, "Mount a host directory or file into a running machine" },
	{ "enable", cmd_enable, "Start machines at boot" },
	{ "disable", cmd_disable, "No longer start machines at boot" },
	{ "lab", cmd_lab, "Build, inspect and remove multi-network labs with NAT gateways" },
	{ "image", cmd_image, "List, clone, rename, remove, bootstrap, import and export images" },
	{ "list-images", cmd_list_images, "List the images (hako image list)" },
	{ "image-status", cmd_image_status, "Show images' type, path and read-only flag (hako image status)" },
	{ "show-image", cmd_show_image, "Show images' properties (hako image show)" },
	{ "clone", cmd_clone, "Copy an image (hako image clone)" },
	{ "rename", cmd_rename, "Rename an image (hako image rename)" },
	{ "remove", cmd_remove, "Remove images (hako image remove)" },
	{ "read-only", cmd_read_only, "Mark an image read-only or writable (hako image read-only)" },
	{ "clean", cmd_clean, "Remove hidden images, or all not running (hako image clean)" },
	{ "set-limit", cmd_set_limit, "Limit an image's size on btrfs (hako image set-limit)" },
	{ "import-tar", cmd_import_tar, "Unpack a tar (any compression) into a new image" },
	{ "import-fs", cmd_import_fs, "Copy a directory tree into a new image" },
	{ "export-tar", cmd_export_tar, "Write an image as a tar, compressed by FILE's suffix" },
	{ "pull-tar", cmd_pull_tar, "Download a tar into a new image, checked against SHA256SUMS" },
	{ "import-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
	{ "export-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
	{ "pull-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
};
// clang-format on

static void usage(FILE *f)
{
	fprintf(f, "Usage: hako [--version] [--help] COMMAND [OPTIONS...]\n\n"
		   "Lightweight containers and virtual networks for one Linux host.\n\n");
	cmd_print_commands(f, commands, ELEMENTSOF(commands));
	fprintf(f, "\nSee 'hako COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	proc_title_init(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EXIT_HAKO_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("hako %s\n", HAKO_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].run(argc - 1, argv + 1);
	log_error("unknown command '%s' (see hako --help)", argv[1]);
	return EXIT_HAKO_USAGE;
}
