/* hako copy-to and copy-from: files and directories copied into or out of a running machine, as
 * machinectl copies them. The machine's side is resolved inside the machine (mntns.h). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

struct machine_copy {
	pid_t leader;
	bool to_machine; /* copy-to: host_path is the source */
	const char *host_path;
	const char *machine_path; /* absolute, inside the machine */
	bool replace;             /* --force: replace what is there (a directory is merged into either way) */
	bool mkdir;               /* --mkdir: make the destination's missing parent directories */
};

/* Copies recursively. Owners are kept, but a machine with a user namespace gets what is copied in
 * as its root's and the host gets what is copied out as root's (machinectl's rule). The
 * destination is never overwritten without replace (-EEXIST). */
int machine_copy(const struct machine_copy *c);
