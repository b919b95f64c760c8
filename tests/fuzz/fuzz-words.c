/* libFuzzer target: Exec-style values split into words (Parameters=). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/util.h"
#include "base/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	if (!s)
		return 0;
	char **w = NULL;
	const char *why = NULL;
	if (words_split(s, &w, &why) == 0) {
		/* Every word is shorter than the input: escapes and quotes only shrink it. */
		for (char **p = w; *p; p++)
			if (strlen(*p) > size)
				abort();
		strv_free(w);
	} else if (!why)
		abort();
	free(s);
	return 0;
}
