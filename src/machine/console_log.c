#include "machine/console_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/util.h"

static char *log_path(const char *name, bool previous)
{
	return hako_path(HAKO_DIR_STATE, "logs/%s.log%s", name, previous ? ".1" : "");
}

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int console_log_open(const char *name, bool to_stderr, struct console_log *ret)
{
	*ret = (struct console_log){ .fd = -1, .is_stderr = to_stderr };
	int r = hako_mkdir(HAKO_DIR_STATE, "logs");
	if (r < 0)
		return r;
	ret->path = log_path(name, false);
	if (!ret->path)
		return -ENOMEM;
	ret->fd = open_append(ret->path);
	if (ret->fd < 0)
		return ret->fd;
	if (to_stderr && dup2(ret->fd, STDERR_FILENO) < 0)
		return -errno;
	return 0;
}

void console_log_close(struct console_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	*l = (struct console_log){ .fd = -1 };
}

/* NAME.log becomes NAME.log.1 and a new NAME.log is opened (and made stderr). */
static int rotate(struct console_log *l)
{
	_cleanup_free_ char *previous = xasprintf("%s.1", l->path);
	if (!previous)
		return -ENOMEM;
	if (rename(l->path, previous) < 0)
		return -errno;
	int fd = open_append(l->path);
	if (fd < 0)
		return fd;
	close(l->fd);
	l->fd = fd;
	if (l->is_stderr && dup2(fd, STDERR_FILENO) < 0)
		return -errno;
	return 0;
}

int console_log_append(struct console_log *l, const void *data, size_t n)
{
	struct stat st;
	if (fstat(l->fd, &st) < 0)
		return -errno;
	/* The size from the file: the supervisor's own lines reach it through stderr. */
	if (st.st_size > 0 && (size_t)st.st_size + n > CONSOLE_LOG_MAX) {
		int r = rotate(l);
		if (r < 0)
			return r;
	}
	return write_all(l->fd, data, n);
}

/* Appends the file at path to *buf (bounded: a log is never larger than CONSOLE_LOG_MAX plus one
 * write); a missing file adds nothing. */
static int read_part(const char *path, char **buf, size_t *len)
{
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	int r = read_file_bounded(path, 4 * CONSOLE_LOG_MAX, &data, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	char *more = realloc(*buf, *len + n + 1);
	if (!more)
		return -ENOMEM;
	memcpy(more + *len, data, n);
	*len += n;
	more[*len] = '\0';
	*buf = more;
	return 1;
}

/* Where the last `lines` lines of text (len bytes) start. */
static size_t tail_start(const char *text, size_t len, unsigned lines)
{
	size_t i = len;
	if (i > 0 && text[i - 1] == '\n')
		i--;
	while (lines > 0 && i > 0)
		if (text[--i] == '\n' && --lines == 0)
			return i + 1;
	return 0;
}

/* The length of the SGR sequence (colours: ESC [ digits and ; m) at p, or 0. */
static size_t sgr_length(const char *p, size_t n)
{
	if (n < 3 || p[0] != '\x1b' || p[1] != '[')
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] == 'm')
			return i + 1;
		if (!strchr("0123456789;", p[i]))
			return 0;
	}
	return 0;
}

/* Whether the carriage returns at p end a line (a terminal's "\r\n", or more of them). */
static bool ends_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '\r')
		i++;
	return i < n && p[i] == '\n';
}

/* Colours are dropped and line ends made plain; every other control character is escaped. */
static void write_escaped(const char *p, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		size_t sgr = sgr_length(p + i, n - i);
		if (sgr) {
			i += sgr - 1;
			continue;
		}
		if (ch == '\r' && ends_line(p + i, n - i))
			continue;
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
}

int console_log_show(const char *name, unsigned lines, FILE *out)
{
	_cleanup_free_ char *older = log_path(name, true), *newer = log_path(name, false);
	if (!older || !newer)
		return -ENOMEM;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int a = read_part(older, &text, &len);
	if (a < 0)
		return a;
	int b = read_part(newer, &text, &len);
	if (b < 0)
		return b;
	if (a == 0 && b == 0)
		return -ENOENT;
	size_t from = lines ? tail_start(text, len, lines) : 0;
	write_escaped(text + from, len - from, out);
	if (len > from && text[len - 1] != '\n')
		fputc('\n', out);
	return 0;
}
