/* A lab's topology as a Graphviz graph. */
#pragma once
#include <stdio.h>

#include "lab/topology.h"

/* Writes the DOT text of t to f. */
int lab_graph_dot(FILE *f, const struct lab_topology *t);
