#include "machine/notify.h"

#include <string.h>

bool notify_says_ready(const char *msg, size_t len)
{
	static const char ready[] = "READY=1";
	const size_t n = sizeof(ready) - 1;
	const char *nul = memchr(msg, '\0', len);
	const char *end = nul ? nul : msg + len;
	for (const char *line = msg; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t line_len = (size_t)((eol ? eol : end) - line);
		if (line_len == n && memcmp(line, ready, n) == 0)
			return true;
		line += line_len + 1;
	}
	return false;
}
