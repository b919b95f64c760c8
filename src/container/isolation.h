/* Isolation beyond namespaces: user namespaces, cgroup limits, seccomp (issue: isolation in depth).
 * Owned by src/container/{userns,cgroup,seccomp}.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct isolation_config {
	bool no_new_privileges;
	char **syscall_filter; /* --system-call-filter= entries, "@group", "name", "~..." */
};
