#include "base/dirs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

/* The images are 0700, as systemd's tmpfiles.d makes /var/lib/machines: the root of a -U
 * machine writes real setuid-root files into its tree, which no other user may reach. */
static const struct {
	const char *env;
	const char *fallback;
	mode_t mode;
	// clang-format off
} dirs[] = {
	[HAKO_DIR_RUNTIME] = { "HAKO_RUNTIME_DIR", "/run/hako", 0755 },
	[HAKO_DIR_CONFIG] = { "HAKO_CONFIG_DIR", "/etc/hako", 0755 },
	[HAKO_DIR_STATE] = { "HAKO_STATE_DIR", "/var/lib/hako", 0755 },
	[HAKO_DIR_IMAGES] = { "HAKO_IMAGE_DIR", "/var/lib/machines", 0700 },
};
// clang-format on

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
	_cleanup_free_ char *top = strdup(hako_dir(dir)), *p = hako_path(dir, "%s", sub);
	if (!top || !p)
		return -ENOMEM;
	int r = access(top, F_OK) == 0 ? 0 : mkdir_p(top, dirs[dir].mode);
	return r < 0 ? r : mkdir_p(p, 0755);
}

bool hako_dir_open_to_others(enum hako_dir dir)
{
	struct stat st;
	return stat(hako_dir(dir), &st) == 0 && (st.st_mode & 0077 & ~dirs[dir].mode);
}

bool hako_dir_is_default(enum hako_dir dir)
{
	return streq(hako_dir(dir), dirs[dir].fallback);
}
