/* libFuzzer target: the DHCPv4 replies hako reads from the DHCP host's dnsmasq (src/net/dhcp4.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/dhcp4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp4_reply r;
	if (dhcp4_parse(data, size, &r) == 0) {
		/* A parsed reply has a type and a printable, terminated message. */
		if (!r.type || strlen(r.message) >= sizeof(r.message))
			abort();
		for (const char *p = r.message; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
	}
	return 0;
}
