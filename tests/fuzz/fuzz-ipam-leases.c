/* libFuzzer target: the lease file ($HAKO_STATE_DIR/networks/NET/leases) as ipam_pick reads it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct ipam_pool pool = { .first = 2, .last = 14 };
	inet_prefix_parse("10.0.0.0/28", true, &pool.subnet);
	inet_addr_parse("10.0.0.1", &pool.gateway);
	struct inet_addr a;
	bool is_new;
	uint64_t off;
	/* A new address is always in the pool, never the gateway. */
	if (ipam_pick(&pool, s, "m", &a, &is_new) == 0 && is_new &&
	    (inet_prefix_offset(&pool.subnet, &a, &off) < 0 || off < 2 || off > 14 ||
	     inet_addr_equal(&a, &pool.gateway)))
		abort();
	free(s);
	return 0;
}
