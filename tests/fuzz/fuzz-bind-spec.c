/* libFuzzer target: --bind / --bind-ro / --tmpfs / --overlay / --overlay-ro values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/specs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct bind_spec b;
	const char *why = NULL;
	if (bind_spec_parse(s, size & 1, &b, &why) == 0) {
		/* An empty source is nspawn's temporary directory: no source until the container starts. */
		bool source_ok = b.temporary ? !b.source : b.source && b.source[0] == '/';
		if (!source_ok || !b.dest || b.dest[0] != '/')
			abort();
		bind_spec_done(&b);
	}
	struct tmpfs_spec t = { 0 };
	if (tmpfs_spec_parse(s, &t, &why) == 0)
		tmpfs_spec_done(&t);
	struct overlay_spec o;
	if (overlay_spec_parse(s, size & 2, &o, &why) == 0) {
		if (!o.lower || !o.lower[0] || !o.dest || o.dest[0] != '/' || (o.read_only && o.upper))
			abort();
		overlay_spec_done(&o);
	}
	(void)signal_from_string(s);
	free(s);
	return 0;
}
