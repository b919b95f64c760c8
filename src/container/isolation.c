/* Isolation hooks of the start-up sequence (src/container/container.h). Issue 2 needs none of
 * them yet: user namespaces, cgroups and seccomp arrive with the isolation work, which replaces
 * these bodies. Each is a real no-op, safe in any phase. */
#include "container/container.h"

unsigned long isolation_clone_flags(const struct run_config *cfg)
{
	(void)cfg;
	return 0;
}

int isolation_prepare(struct container *c)
{
	(void)c;
	return 0;
}

int isolation_setup_parent(struct container *c)
{
	(void)c;
	return 0;
}

int isolation_setup_child(struct container *c)
{
	(void)c;
	return 0;
}

void isolation_cleanup(struct container *c)
{
	(void)c;
}
