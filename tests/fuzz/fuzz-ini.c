/* libFuzzer target: the INI parser must never crash or leak on any input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "settings/ini.h"

static int on_section(void *u, const struct ini_pos *p, const char *n, const char *a)
{
	(void)u;
	(void)p;
	(void)n;
	(void)a;
	return 0;
}

static int on_entry(void *u, const struct ini_pos *p, const char *s, const char *a, const char *k,
		    const char *v)
{
	(void)u;
	(void)p;
	(void)s;
	(void)a;
	return strlen(k) + strlen(v) > 1000000 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ini_handler h = { on_section, on_entry };
	char *text = fuzz_string(data, size);
	if (text)
		ini_parse_string(text, "fuzz", &h, NULL);
	free(text);
	return 0;
}
