/* A machine's cgroup as a tree of cgroups and processes (hako status). */
#pragma once
#include <stdio.h>

/* Prints the cgroup directory dir's processes and child cgroups, each line after indent. */
void cgroup_tree_print(FILE *f, const char *dir, const char *indent);
