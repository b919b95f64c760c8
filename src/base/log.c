#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool quiet;

void log_set_quiet(bool q)
{
	quiet = q;
}

bool log_debug_enabled(void)
{
	static int enabled = -1;
	if (enabled < 0) {
		const char *e = getenv("HAKO_DEBUG");
		enabled = e && *e && strcmp(e, "0") != 0;
	}
	return enabled;
}

/* Every message is one line: a control character from a name the user gave ("a\nb") or from a
 * tree is shown escaped, never acted on by the terminal or split into two lines. */
static void escape_controls(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < size; p++) {
		if (*p == '\n')
			o += (size_t)snprintf(out + o, size - o, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

static void emit(const char *level, const char *fmt, va_list ap, int err)
{
	char raw[1024], msg[1024];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_controls(raw, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "hako: %s%s: %s\n", level, msg, strerror(-err));
	else
		fprintf(stderr, "hako: %s%s\n", level, msg);
}

// clang-format off
#define LOG_BODY(level, err) do { va_list ap; va_start(ap, fmt); emit(level, fmt, ap, err); va_end(ap); } while (0)
// clang-format on

// clang-format off
void log_error(const char *fmt, ...) { LOG_BODY("", 0); }
void log_warning(const char *fmt, ...) { LOG_BODY("warning: ", 0); }
// clang-format on

void log_info(const char *fmt, ...)
{
	if (!quiet)
		LOG_BODY("", 0);
}

void log_debug(const char *fmt, ...)
{
	if (log_debug_enabled())
		LOG_BODY("debug: ", 0);
}

int log_errno(int err, const char *fmt, ...)
{
	int saved = errno;
	if (err > 0)
		err = -err;
	LOG_BODY("", err ? err : -EIO);
	errno = saved;
	return err ? err : -EIO;
}
