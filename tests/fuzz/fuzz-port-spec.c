/* libFuzzer target: -p/--port= specs. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/netconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), buf[32];
	if (!s)
		return 0;
	struct port_spec p, q;
	const char *why = NULL;
	if (port_spec_parse(s, &p, &why) == 0) {
		/* Parsed specs print back to an equal spec; ports are never 0. */
		snprintf(buf, sizeof(buf), "%s:%u:%u", p.proto == IPPROTO_UDP ? "udp" : "tcp", p.host_port,
			 p.container_port);
		if (!p.host_port || !p.container_port || port_spec_parse(buf, &q, &why) != 0 ||
		    memcmp(&p, &q, sizeof(p)) != 0)
			abort();
	} else if (!why) {
		abort();
	}
	free(s);
	return 0;
}
