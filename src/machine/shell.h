#pragma once
#include "machine/machine.h"

struct shell_request {
	const char *user; /* NULL: root */
	char **command;   /* NULL: the user's login shell */
	char **setenv;    /* "NAME=VALUE" added to PID 1's environment */
};

/* Runs the request inside the running machine st; returns the command's exit status (128+N for
 * signal N) or hako's own (126 joining failed, 127 not found). */
int machine_shell(const struct machine_state *st, const struct shell_request *req);
