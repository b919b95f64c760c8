/* The subcommands of `hako lab` that live beside their code in src/lab/ (src/cmd/lab.c has the
 * table). Each gets argv with argv[0] = the subcommand and returns hako's exit status. */
#pragma once
#include "lab/topology.h"

int lab_cmd_status(int argc, char **argv);    /* status.c */
int lab_cmd_graph(int argc, char **argv);     /* graph.c */
int lab_cmd_conntrack(int argc, char **argv); /* conntrack.c */
int lab_cmd_nat_check(int argc, char **argv); /* natcheck.c */
