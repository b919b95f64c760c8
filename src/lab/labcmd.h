/* The subcommands of `hako lab` that live beside their code in src/lab/ (src/cmd/lab.c has the
 * table). Each gets argv with argv[0] = the subcommand and returns hako's exit status. */
#pragma once
#include "lab/topology.h"

int lab_cmd_status(int argc, char **argv);    /* status.c */
int lab_cmd_graph(int argc, char **argv);     /* graph.c */
int lab_cmd_conntrack(int argc, char **argv); /* conntrack.c */
int lab_cmd_nat_check(int argc, char **argv); /* natcheck.c */

/* LAB or FILE -> the lab's name (and the parsed file, if it was one and ret_t is non-NULL). Logs. */
int lab_resolve(const char *arg, char **ret_name, struct lab_topology **ret_t);
/* lab_load, saying "no lab 'X'" when there is none. */
int lab_load_or_fail(const char *name, struct lab_topology **ret);
