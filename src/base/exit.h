/* Exit statuses of hako's own failures (a container's command passes its status through), as
 * systemd-nspawn and env(1) use them. Every layer may end a process with one. */
#pragma once

enum {
	EXIT_HAKO_USAGE = 125,    /* bad option, name or file: nothing was started */
	EXIT_HAKO_FAILED = 126,   /* setting the container up failed */
	EXIT_HAKO_NOTFOUND = 127, /* the command to run was not found in the tree */
};
