/* Fuzzes the --property= and --cpu-affinity= parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct cgroup_limits l = {};
	const char *why;
	(void)cgroup_limits_parse_property(&l, s, &why);
	(void)cgroup_limits_parse_cpu_affinity(&l, s, &why);
	free(s);
	return 0;
}
