/* libFuzzer target: --capability= / --drop-capability= lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), bad[64];
	if (!s)
		return 0;
	uint64_t m = 0;
	bool all = false;
	if (cap_parse_list(s, &m, &all, bad) == 0 && m == 0)
		abort(); /* a successful parse names at least one capability */
	int c = cap_from_name(s);
	if (c >= 0 && !cap_to_name(c))
		abort();
	free(s);
	return 0;
}
