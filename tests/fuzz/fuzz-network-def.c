/* libFuzzer target: network definition files (NAME.network). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/network.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct network_def d = { .nat = true, .name = strdup("fz") };
	/* A definition that parses has an IPv4 subnet with its gateway inside. */
	if (d.name && network_parse(s, "fz.network", &d) == 0 &&
	    (d.subnet.addr.family != AF_INET || !inet_prefix_contains(&d.subnet, &d.gateway)))
		abort();
	network_def_done(&d);
	free(s);
	return 0;
}
