/* Exec= of a node that is a namespace, not a container (see programs.c). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "lab/topology.h"

struct lab_program {
	pid_t pid;
	const struct lab_node *node;
};

/* Starts node's Exec= in the namespace of netns_fd; records its pid in labs/LAB/pids/NODE. Logs. */
int lab_program_start(const char *lab, const struct lab_node *node, int netns_fd, pid_t *ret);
/* Waits a short grace for the programs to fail: one that exits with an error (or a signal) is
 * an error of the lab's file, at its node's line, with the last line it wrote. Logs. */
int lab_programs_check(const struct lab_topology *t, const struct lab_program *progs, size_t n);
/* Kills what the lab's programs run, each program's whole process group. */
void lab_programs_kill(const char *lab);
