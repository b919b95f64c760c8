/* Entry points of hako's commands, one file per command family in src/cmd/.
 * Each gets argv with argv[0] = the command's name and returns hako's exit status. */
#pragma once

/* Exit statuses of hako's own failures (a container's command passes its status through). */
enum {
	EXIT_HAKO_USAGE = 125,   /* bad option, name or file: nothing was started */
	EXIT_HAKO_FAILED = 126,  /* setting the container up failed */
	EXIT_HAKO_NOTFOUND = 127, /* the command to run was not found in the tree */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_run(int argc, char **argv); /* src/cmd/run.c */
int cmd_network(int argc, char **argv); /* src/cmd/network.c */

/* src/cmd/machine.c */
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
int cmd_lab(int argc, char **argv); /* src/cmd/lab.c */
int cmd_image(int argc, char **argv); /* src/cmd/image.c */
