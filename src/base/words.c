#include "base/words.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

static const char blanks[] = " \t\n\r";

/* The one-letter C escapes systemd's cunescape() knows, and what each stands for. */
// clang-format off
static const struct {
	char letter, value;
} escapes[] = {
	{ 'a', '\a' }, { 'b', '\b' }, { 'f', '\f' }, { 'n', '\n' }, { 'r', '\r' }, { 't', '\t' },
	{ 'v', '\v' }, { '\\', '\\' }, { '"', '"' },  { '\'', '\'' }, { 's', ' ' },
};
// clang-format on

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The escape at *p (after the backslash) into *out; advances *p past it. */
static int unescape(const char **p, char *out)
{
	const char *s = *p;
	for (size_t i = 0; i < ELEMENTSOF(escapes); i++)
		if (*s == escapes[i].letter) {
			*out = escapes[i].value;
			*p = s + 1;
			return 0;
		}
	if (*s == 'x' && hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
		*out = (char)(hex_digit(s[1]) << 4 | hex_digit(s[2]));
		*p = s + 3;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7') {
		*out = (char)((s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0'));
		*p = s + 3;
		return 0;
	}
	return -EINVAL;
}

/* One word from *p into f; advances *p to what follows it. */
static int next_word(const char **p, FILE *f, const char **why)
{
	const char *s = *p;
	char quote = 0;
	while (*s && (quote || !strchr(blanks, *s))) {
		char c = *s++;
		if (quote == '\'' && c != '\'') {
			fputc(c, f);
		} else if (c == quote) {
			quote = 0;
		} else if (!quote && (c == '\'' || c == '"')) {
			quote = c;
		} else if (c == '\\') {
			if (!*s) {
				*why = "a backslash ends the value";
				return -EINVAL;
			}
			if (unescape(&s, &c) < 0 || c == '\0') {
				*why = "unknown escape or NUL (\\n, \\t, \\\\, \\\", \\', \\s, \\xHH or \\NNN)";
				return -EINVAL;
			}
			fputc(c, f);
		} else
			fputc(c, f);
	}
	if (quote) {
		*why = quote == '"' ? "a double quote is not closed" : "a single quote is not closed";
		return -EINVAL;
	}
	*p = s;
	return 0;
}

int words_split(const char *s, char ***ret, const char **why)
{
	_cleanup_strv_free_ char **words = NULL;
	for (s += strspn(s, blanks); *s; s += strspn(s, blanks)) {
		_cleanup_free_ char *word = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&word, &size);
		if (!f)
			return -ENOMEM;
		int r = next_word(&s, f, why);
		bool closed = fclose(f) == 0; /* the word is complete only once f is closed */
		if (r < 0)
			return r;
		if (!closed)
			return -ENOMEM;
		r = strv_push(&words, word);
		if (r < 0)
			return r;
	}
	if (!words && !(words = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = TAKE_PTR(words);
	return 0;
}

int words_cunescape(const char *s, char **ret, size_t *ret_len, const char **why)
{
	_cleanup_free_ char *out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	size_t n = 0;
	while (*s) {
		char c = *s++;
		if (c == '\\') {
			if (!*s) {
				*why = "a backslash ends the value";
				return -EINVAL;
			}
			if (unescape(&s, &c) < 0) {
				*why = "unknown escape (\\n, \\t, \\\\, \\\", \\', \\s, \\xHH or \\NNN)";
				return -EINVAL;
			}
		}
		out[n++] = c;
	}
	out[n] = 0;
	*ret_len = n;
	*ret = TAKE_PTR(out);
	return 0;
}
