#include "base/dirs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/util.h"

static const struct {
	const char *env;
	const char *fallback;
} dirs[] = {
	[HAKO_DIR_RUNTIME] = { "HAKO_RUNTIME_DIR", "/run/hako" },
	[HAKO_DIR_CONFIG] = { "HAKO_CONFIG_DIR", "/etc/hako" },
	[HAKO_DIR_STATE] = { "HAKO_STATE_DIR", "/var/lib/hako" },
	[HAKO_DIR_IMAGES] = { "HAKO_IMAGE_DIR", "/var/lib/machines" },
};

const char *hako_dir(enum hako_dir dir)
{
	const char *e = getenv(dirs[dir].env);
	return e && *e == '/' ? e : dirs[dir].fallback;
}

char *hako_path(enum hako_dir dir, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *sub = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&sub, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	return xasprintf("%s/%s", hako_dir(dir), sub);
}

int hako_mkdir(enum hako_dir dir, const char *sub)
{
	_cleanup_free_ char *p = hako_path(dir, "%s", sub);
	return p ? mkdir_p(p, 0755) : -ENOMEM;
}
