/* hako bind: a host directory or file mounted into a running machine, as machinectl bind. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

struct machine_bind {
	pid_t leader;
	const char *host_path;
	const char *machine_path; /* absolute, inside the machine */
	bool read_only;
	bool mkdir; /* make the mount point (and its parents) if missing */
};

/* A recursive clone of the host's tree (open_tree), made read-only first if asked, moved onto
 * the mount point resolved inside the machine: the host's own mount table does not change. */
int machine_bind(const struct machine_bind *b);
