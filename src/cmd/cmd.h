/* Entry points of hako's commands, one file per command family in src/cmd/.
 * Each gets argv with argv[0] = the command's name and returns hako's exit status. */
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "base/exit.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: a command other programs run (dnsmasq), left out of help */
	const char *args;    /* in help, after the name ("NAME", "FILE"); NULL: none shown */
};

/* A command with subcommands (hako network, lab, image): one table, one help style. */
struct command_family {
	const char *name;
	const char *about; /* a paragraph after the usage line, or NULL */
	const struct command *commands;
	size_t n_commands;
	void (*more_help)(FILE *f); /* after the commands: options, files; or NULL */
	void (*before)(void);       /* run before a command (never for help), or NULL */
};

/* The "Commands:" list of a table. */
void cmd_print_commands(FILE *f, const struct command *commands, size_t n);
/* argv[1] names a command of the family: runs it with argv[0] = its name. No name: the help on
 * stderr and EXIT_HAKO_USAGE; --help or -h: the help on stdout. An unknown name is an error. */
int cmd_dispatch(const struct command_family *family, int argc, char **argv);

int cmd_run(int argc, char **argv);     /* src/cmd/run.c */
int cmd_network(int argc, char **argv); /* src/cmd/network.c */

/* src/cmd/machine.c, machine_list.c (list, show, status, log), machine_enable.c (enable, disable) */
int cmd_start(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_terminate(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);
/* src/cmd/files.c */
int cmd_copy_to(int argc, char **argv);
int cmd_copy_from(int argc, char **argv);
int cmd_bind(int argc, char **argv);
int cmd_lab(int argc, char **argv);   /* src/cmd/lab.c */
int cmd_image(int argc, char **argv); /* src/cmd/image.c */
/* src/cmd/image_verbs.c: hako image status, show, read-only, clean, set-limit (rows of image.c's
 * table), and machinectl's top-level names for the image commands. */
int image_status(int argc, char **argv);
int image_show(int argc, char **argv);
int image_read_only(int argc, char **argv);
int image_clean(int argc, char **argv);
int image_set_limit(int argc, char **argv);
int cmd_list_images(int argc, char **argv);
int cmd_image_status(int argc, char **argv);
int cmd_show_image(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_read_only(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_set_limit(int argc, char **argv);

/* src/cmd/transfer.c: also hako image VERB */
int cmd_import_tar(int argc, char **argv);
int cmd_import_fs(int argc, char **argv);
int cmd_export_tar(int argc, char **argv);
int cmd_pull_tar(int argc, char **argv);
int cmd_raw_refused(int argc, char **argv); /* import-raw, export-raw, pull-raw */
