#include "base/json.h"

#include <stdint.h>

/* The length of the UTF-8 sequence at p (1-4), or 0 if it is not one: overlong forms,
 * surrogates and code points past U+10FFFF are not (RFC 3629). */
static int utf8_length(const unsigned char *p)
{
	// clang-format off
	static const struct { unsigned char lead_mask, lead, min2, max2; int n; } forms[] = {
		{ 0xe0, 0xc0, 0x80, 0xbf, 2 }, /* C2..DF */
		{ 0xf0, 0xe0, 0x80, 0xbf, 3 },
		{ 0xf8, 0xf0, 0x80, 0xbf, 4 },
	};
	// clang-format on
	if (p[0] < 0x80)
		return 1;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if ((p[0] & forms[i].lead_mask) != forms[i].lead)
			continue;
		unsigned char lo = 0x80, hi = 0xbf;
		if (p[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f; /* surrogates */
		else if (p[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
		if (p[0] < 0xc2 || p[0] > 0xf4 || p[1] < lo || p[1] > hi)
			return 0;
		for (int k = 2; k < forms[i].n; k++)
			if ((p[k] & 0xc0) != 0x80)
				return 0;
		return forms[i].n;
	}
	return 0;
}

void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = utf8_length(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		}
	}
	fputc('"', f);
}

void json_strv(FILE *f, char *const *v)
{
	fputc('[', f);
	for (char *const *p = v; p && *p; p++) {
		if (p != v)
			fputc(',', f);
		json_string(f, *p);
	}
	fputc(']', f);
}

void json_member(FILE *f, const char *key, const char *value)
{
	fputc(',', f);
	json_string(f, key);
	fputc(':', f);
	json_string(f, value);
}
