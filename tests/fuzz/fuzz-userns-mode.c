/* Fuzzes the --private-users= and --private-users-ownership= parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/userns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	if (!s)
		return 0;
	struct userns_config u = {};
	const char *why;
	(void)userns_parse_mode(&u, s, &why);
	(void)userns_parse_ownership(&u, s, &why);
	free(s);
	return 0;
}
