/* What the machine commands share: src/cmd/machine.c (start, stop..., shell, login),
 * machine_list.c (list, show, status, log) and machine_enable.c (enable, disable). */
#pragma once
#include <stddef.h>

#include "base/opts.h"
#include "machine/machine.h"

/* Parses options: -1 to go on (the operands start at *ret_index), else the exit status (0 after
 * --help). */
int machine_cmd_parse(const struct opt *table, size_t n, int argc, char **argv, void *target, unsigned flags,
		      const char *usage, int *ret_index);
/* Logs a bad machine name. */
static inline int machine_cmd_check_name(const char *name)
{
	return machine_check_name("machine", name);
}
int machine_cmd_one_name(void); /* logs that one name was expected; EXIT_HAKO_USAGE */
/* Reads a running machine's state; logs and returns hako's exit status when there is none. */
int machine_cmd_get_running(const char *name, struct machine_state *st);
/* hako start NAME with the options in argv[1..argc-1]; hako's exit status. */
int machine_cmd_start_one(const char *name, int argc, char **argv);
/* hako stop (which 0), poweroff, reboot, terminate or kill (4) with argv; hako's exit status. */
int machine_cmd_control(int argc, char **argv, size_t which);
int machine_cmd_start_enabled(void); /* hako start --all-enabled */
