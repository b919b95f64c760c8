/* libFuzzer target: SHA256SUMS files and the names derived from file names and URLs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/sums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	char hex[65];
	if (sha256sums_find(s, "bb.tar", hex) == 0 && strlen(hex) != 64)
		abort();
	free(image_name_from_path(s));
	free(url_last_component(s));
	free(url_sibling(s, "SHA256SUMS"));
	free(s);
	return 0;
}
