#include "base/names.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

bool machine_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > MACHINE_NAME_MAX || name[0] == '-' || name[0] == '.')
		return false;
	if (strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

void ifname_from(char out[IFNAMSIZ], const char *prefix, const char *name)
{
	size_t p = strlen(prefix), n = strlen(name);
	if (p + n <= IFNAMSIZ - 1) {
		memcpy(out, prefix, p);
		memcpy(out + p, name, n + 1);
		return;
	}
	unsigned h = (unsigned)(hash64(name, n) & 0xffffffff);
	int keep = (int)(IFNAMSIZ - 1 - p - 8);
	snprintf(out, IFNAMSIZ, "%s%.*s%08x", prefix, keep > 0 ? keep : 0, name, h);
}

bool ifname_shortened(const char *prefix, const char *name)
{
	return strlen(prefix) + strlen(name) > IFNAMSIZ - 1;
}

bool ifname_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= IFNAMSIZ || streq(name, ".") || streq(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return false;
	return true;
}
