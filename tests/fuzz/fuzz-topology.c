/* libFuzzer target: topology parsing, validation and address allocation must never crash or
 * leak, whatever the file says. Run with -close_fd_mask=2 to hide the error lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lab/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct lab_topology *t = NULL;
	if (text && topology_parse_string(text, "fuzz.lab", &t) >= 0)
		topology_free(t);
	free(text);
	return 0;
}
