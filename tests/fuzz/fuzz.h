/* What every libFuzzer target here shares: the entry point's prototype and the input as a C
 * string, the form the parsers under test get. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, NUL-terminated (malloc'd; NULL when out of memory). A NUL byte in it ends the
 * string early, as it would end any C string a parser is given. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
