/* libFuzzer target: --set-credential=ID:VALUE (and its .nspawn key SetCredential=). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/util.h"
#include "container/credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	struct credentials c = { 0 };
	const char *why = NULL;
	if (credential_set(&c, s, &why) == 0) {
		/* Escapes only shrink the value; the ID is one a guest's systemd accepts. */
		if (c.n != 1 || c.items[0].size > size || !credential_id_valid(c.items[0].id))
			abort();
	} else if (!why)
		abort();
	credentials_done(&c);
	free(s);
	return 0;
}
