/* The pure parts of import and pull: image names from file names and URLs, and SHA256SUMS. */
#pragma once
#include <stdbool.h>

/* The image name machinectl derives from a file name or URL: its last path component (a URL's
 * query and fragment dropped) without a tar or raw suffix (".tar.gz", ".txz", ...). NULL when
 * nothing is left or on OOM. The result is not checked as a name. */
char *image_name_from_path(const char *path);

/* The last path component of an http(s) URL (what SHA256SUMS names it by); NULL when the URL
 * has none, or on OOM. */
char *url_last_component(const char *url);

/* The URL with its last component replaced by file (SHA256SUMS beside the image); NULL on OOM or
 * when url has no path. */
char *url_sibling(const char *url, const char *file);

/* Finds file's line in a SHA256SUMS text ("HEX  file" or "HEX *file", as sha256sum writes them)
 * and copies its lowercase digest to ret. -ENOENT when no line names it, -EBADMSG when the line
 * is not 64 hex digits. */
int sha256sums_find(const char *sums, const char *file, char ret[65]);
