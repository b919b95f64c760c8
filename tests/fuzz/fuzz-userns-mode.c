/* Fuzzes the --private-users= and --private-users-ownership= parsers, and the reading of the
 * host's passwd/group text when a range is picked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/userns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct userns_config u = {};
	const char *why;
	(void)userns_parse_mode(&u, s, &why);
	(void)userns_parse_ownership(&u, s, &why);
	(void)userns_text_has_id_in(s, USERNS_PICK_FIRST);
	(void)userns_text_has_id_in(s, 0);
	free(s);
	return 0;
}
