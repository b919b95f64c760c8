/* Splitting a value into words as systemd does for Exec-style settings (systemd.nspawn(5)'s
 * Parameters=, extract_first_word() with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): blanks separate
 * words; '...' keeps everything literally; "..." and bare text take C escapes (\n, \t, \\, \",
 * \', \s for a space, \xHH, \NNN octal); a quote may start or end anywhere in a word. */
#pragma once
#include <stddef.h>

/* The words of s into *ret (a NULL-terminated strv). -EINVAL with *why on an unterminated
 * quote, a trailing backslash or an unknown escape. */
int words_split(const char *s, char ***ret, const char **why);

/* s with its C escapes (as above) decoded, as systemd's cunescape() with UNESCAPE_ACCEPT_NUL:
 * the result may hold NUL bytes, *ret_len says how many. -EINVAL with *why on a trailing
 * backslash or an unknown escape. */
int words_cunescape(const char *s, char **ret, size_t *ret_len, const char **why);
