/* Fuzzes the --system-call-filter= parser and the group resolution. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "container/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct seccomp_request req = {};
	const char *why;
	if (seccomp_request_add(&req, s, &why) == 0) {
		char **allowed = NULL;
		if (seccomp_resolve_allowed(&req, 0, &allowed) == 0)
			for (size_t i = 0; allowed[i]; i++)
				free(allowed[i]);
		free(allowed);
	}
	seccomp_request_done(&req);
	free(s);
	return 0;
}
