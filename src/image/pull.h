/* HTTP(S) downloads through libcurl (dlopen()ed on first use). */
#pragma once
#include <stddef.h>

#include "base/sha256.h"

/* Writes url's body to fd, hashing it into sha when sha is not NULL; at most max bytes (0: no
 * limit). A failure (an HTTP error status too) returns -EIO with curl's words in *ret_why; a
 * 404 or 410 (no such file on the server) returns -ENOENT with them. */
int http_get_fd(const char *url, int fd, struct sha256 *sha, size_t max, char **ret_why);

/* url's body as a NUL-terminated string of at most max bytes. */
int http_get_text(const char *url, size_t max, char **ret, char **ret_why);
