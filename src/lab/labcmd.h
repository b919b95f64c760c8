/* The subcommands of `hako lab` that live beside their code in src/lab/ (src/cmd/lab.c has the
 * table). Each gets argv with argv[0] = the subcommand and returns hako's exit status. */
#pragma once
#include "base/opts.h"
#include "lab/topology.h"

/* The opening of `hako lab VERB LAB NODE`: parses the options of group into cfg, then wants the
 * two operands. usage, one line that starts "Usage: ", heads the help and is the error's text.
 * Returns -1 to go on, with the index of LAB in *ret_index, or hako's exit status (0 after
 * --help). */
int lab_cmd_parse_node(const struct opt_group *group, int argc, char **argv, void *cfg, const char *usage,
		       int *ret_index);

int lab_cmd_status(int argc, char **argv);    /* status.c */
int lab_cmd_graph(int argc, char **argv);     /* graph.c */
int lab_cmd_conntrack(int argc, char **argv); /* conntrack.c */
int lab_cmd_nat_check(int argc, char **argv); /* natcheck.c */
