/* libFuzzer target: addresses and prefixes (--subnet=, --gateway=, --ipv6=). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), buf[INET_PREFIX_STRLEN];
	if (!s)
		return 0;
	struct inet_prefix p, q;
	if (inet_prefix_parse(s, false, &p) == 0) {
		/* What is printed parses back to the same prefix. */
		if (inet_prefix_parse(inet_prefix_str(&p, buf), false, &q) != 0 ||
		    !inet_addr_equal(&p.addr, &q.addr) || p.len != q.len)
			abort();
		if (!inet_prefix_contains(&p, &p.addr) || !inet_prefix_overlaps(&p, &q))
			abort();
		struct inet_addr a;
		uint64_t off;
		if (inet_prefix_nth(&p, 1, &a) == 0 && (inet_prefix_offset(&p, &a, &off) != 0 || off != 1))
			abort();
	}
	free(s);
	return 0;
}
