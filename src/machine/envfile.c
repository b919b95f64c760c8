#include "machine/envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

/* Unquotes value in place; returns false if a quote is left open. */
static bool unquote(char *v)
{
	char *out = v;
	char quote = 0;
	for (char *p = v; *p; p++) {
		if (quote == '"' && *p == '\\' && p[1])
			*out++ = *++p;
		else if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '"' || *p == '\''))
			quote = *p;
		else if (!quote && *p == '\\' && p[1])
			*out++ = *++p;
		else
			*out++ = *p;
	}
	*out = '\0';
	return quote == 0;
}

static bool key_valid(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

int envfile_parse(const char *text, int (*cb)(void *, const char *, const char *), void *userdata)
{
	_cleanup_free_ char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		char *eq = strchr(line, '=');
		if (*line == '#' || !eq)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strlen(v);
		while (n > 0 && isspace((unsigned char)v[n - 1]))
			v[--n] = '\0';
		if (!key_valid(line) || !unquote(v))
			continue;
		int r = cb(userdata, line, v);
		if (r < 0)
			return r;
	}
	return 0;
}

int envfile_append(char **buf, const char *key, const char *value)
{
	size_t old = *buf ? strlen(*buf) : 0, n = strlen(key) + 2 * strlen(value) + 5;
	char *b = realloc(*buf, old + n);
	if (!b)
		return -ENOMEM;
	*buf = b;
	char *o = b + old;
	o += sprintf(o, "%s=\"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\n')
			continue; /* one line per key */
		if (strchr("\"\\`$", *p))
			*o++ = '\\';
		*o++ = *p;
	}
	strcpy(o, "\"\n");
	return 0;
}
