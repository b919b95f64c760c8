#include "image/pull.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"

/* The libcurl entry points hako uses: dlopen()ed, as linking libcurl (and TLS) would cost every
 * exec of hako its relocations. */
static struct {
	void *handle;
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
} lib;

// clang-format off
static const struct dl_symbol symbols[] = {
	DL_SYMBOL("curl_easy_init", lib, init),
	DL_SYMBOL("curl_easy_setopt", lib, setopt),
	DL_SYMBOL("curl_easy_perform", lib, perform),
	DL_SYMBOL("curl_easy_getinfo", lib, getinfo),
	DL_SYMBOL("curl_easy_cleanup", lib, cleanup),
};
// clang-format on

static int load(void)
{
	return lib.handle ? 0 : dl_load("libcurl.so.4", symbols, ELEMENTSOF(symbols), &lib, &lib.handle);
}

static void curl_cleanupp(CURL **c)
{
	if (*c)
		lib.cleanup(*c);
}

/* Where the body goes: an fd (hashed on the way) or a growing buffer. */
struct sink {
	int fd;
	struct sha256 *sha;
	char *buf;
	size_t len, max;
	int error; /* a negative errno the write callback met */
};

static size_t on_data(char *data, size_t size, size_t n, void *userdata)
{
	struct sink *s = userdata;
	size_t len = size * n;
	if (s->max && s->len + len > s->max) {
		s->error = -EFBIG;
		return 0;
	}
	if (s->sha)
		sha256_update(s->sha, data, len);
	if (s->fd >= 0) {
		int r = write_all(s->fd, data, len);
		if (r < 0) {
			s->error = r;
			return 0;
		}
	} else {
		char *b = realloc(s->buf, s->len + len + 1);
		if (!b) {
			s->error = -ENOMEM;
			return 0;
		}
		s->buf = b;
		memcpy(b + s->len, data, len);
		b[s->len + len] = '\0';
	}
	s->len += len;
	return len;
}

/* Only http and https, also after a redirect: a URL must not read the host's files (file://). */
static int get(const char *url, struct sink *s, char **ret_why)
{
	*ret_why = NULL;
	int r = load();
	if (r < 0)
		return r;
	_cleanup_(curl_cleanupp) CURL *c = lib.init();
	if (!c)
		return -ENOMEM;
	char err[CURL_ERROR_SIZE] = "";
	lib.setopt(c, CURLOPT_URL, url);
	lib.setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lib.setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	lib.setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	lib.setopt(c, CURLOPT_FAILONERROR, 1L);
	lib.setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* A server that stops sending fails the pull instead of hanging it (as importd's 60 s). */
	lib.setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	lib.setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lib.setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	lib.setopt(c, CURLOPT_ERRORBUFFER, err);
	lib.setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	lib.setopt(c, CURLOPT_WRITEDATA, s);
	CURLcode code = lib.perform(c);
	if (s->error < 0)
		return s->error;
	if (code == CURLE_OK)
		return 0;
	*ret_why = strdup(err[0] ? err : "download failed");
	long status = 0;
	if (code == CURLE_HTTP_RETURNED_ERROR)
		lib.getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status == 404 || status == 410 ? -ENOENT : -EIO;
}

int http_get_fd(const char *url, int fd, struct sha256 *sha, size_t max, char **ret_why)
{
	struct sink s = { .fd = fd, .sha = sha, .max = max };
	return get(url, &s, ret_why);
}

int http_get_text(const char *url, size_t max, char **ret, char **ret_why)
{
	struct sink s = { .fd = -1, .max = max };
	int r = get(url, &s, ret_why);
	if (r < 0) {
		free(s.buf);
		return r;
	}
	*ret = s.buf ? s.buf : strdup("");
	return *ret ? 0 : -ENOMEM;
}
