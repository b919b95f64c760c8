#include "image/sums.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

/* What importctl and machinectl strip (systemd's tar_strip_suffixes and raw_strip_suffixes). */
// clang-format off
static const char *const suffixes[] = {
	".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar", ".tgz", ".txz", ".tbz2", ".tzst",
	".raw.gz", ".raw.xz", ".raw.bz2", ".raw.zst", ".raw", ".qcow2", ".img",
	".gz", ".xz", ".bz2", ".zst",
};
// clang-format on

char *image_name_from_path(const char *path)
{
	size_t end = strcspn(path, "?#");
	while (end > 0 && path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	_cleanup_free_ char *name = strndup(path + start, end - start);
	if (!name)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
		if (endswith(name, suffixes[i])) {
			name[strlen(name) - strlen(suffixes[i])] = '\0';
			break;
		}
	return name[0] ? TAKE_PTR(name) : NULL;
}

/* Where a URL's path starts ("http://host/p": at "/p"), or NULL. */
static const char *url_path(const char *url)
{
	const char *s = strstr(url, "://");
	return s ? strchr(s + 3, '/') : NULL;
}

char *url_last_component(const char *url)
{
	const char *p = url_path(url);
	if (!p)
		return NULL;
	size_t end = strcspn(p, "?#");
	size_t start = end;
	while (start > 0 && p[start - 1] != '/')
		start--;
	return end > start ? strndup(p + start, end - start) : NULL;
}

char *url_sibling(const char *url, const char *file)
{
	const char *p = url_path(url);
	if (!p)
		return NULL;
	size_t end = (size_t)(p - url) + strcspn(p, "?#");
	while (url[end - 1] != '/')
		end--;
	return xasprintf("%.*s%s", (int)end, url, file);
}

/* line (up to its newline) names file: "HEX  file" or "HEX *file". */
static bool line_names(const char *line, size_t len, const char *file)
{
	const char *sp = memchr(line, ' ', len);
	if (!sp || (size_t)(sp - line) + 2 > len)
		return false;
	const char *name = sp + 2;
	if (sp[1] != ' ' && sp[1] != '*')
		return false;
	size_t n = len - (size_t)(name - line);
	return n == strlen(file) && memcmp(name, file, n) == 0;
}

int sha256sums_find(const char *sums, const char *file, char ret[65])
{
	for (const char *l = sums; *l;) {
		size_t len = strcspn(l, "\n");
		size_t use = len > 0 && l[len - 1] == '\r' ? len - 1 : len;
		if (line_names(l, use, file)) {
			if (strcspn(l, " ") != 64)
				return -EBADMSG;
			for (size_t i = 0; i < 64; i++) {
				if (!isxdigit((unsigned char)l[i]))
					return -EBADMSG;
				ret[i] = (char)tolower((unsigned char)l[i]);
			}
			ret[64] = '\0';
			return 0;
		}
		l += len + (l[len] == '\n');
	}
	return -ENOENT;
}
