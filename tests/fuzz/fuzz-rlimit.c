/* libFuzzer target: --rlimit= assignments and --uuid= / MachineID= ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/config.h"
#include "container/rlimit.h"
#include "container/specs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct rlimit_setting l[RLIMIT_NLIMITS];
	memset(l, 0, sizeof(l));
	const char *why = NULL;
	if (rlimit_parse_assignment(l, s, &why) == 0) {
		for (int i = 0; i < RLIMIT_NLIMITS; i++)
			if (l[i].set && l[i].soft > l[i].hard)
				abort(); /* a soft limit above the hard one is refused */
	} else if (!why)
		abort(); /* every refusal says why */
	char u[37];
	if (uuid_parse(s, u) == 0 && (strlen(u) != 36 || u[8] != '-' || u[23] != '-'))
		abort();
	free(s);
	return 0;
}
