#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

size_t strv_length(char *const *strv)
{
	size_t n = 0;
	while (strv && strv[n])
		n++;
	return n;
}

int strv_push_take(char ***strv, char *s)
{
	if (!s)
		return -ENOMEM;
	size_t n = strv_length(*strv);
	char **v = realloc(*strv, (n + 2) * sizeof(char *));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	v[n] = s;
	v[n + 1] = NULL;
	*strv = v;
	return 0;
}

int strv_push(char ***strv, const char *s)
{
	return strv_push_take(strv, strdup(s));
}

bool strv_contains(char *const *strv, const char *s)
{
	for (size_t i = 0; strv && strv[i]; i++)
		if (streq(strv[i], s))
			return true;
	return false;
}

void strv_free(char **strv)
{
	for (size_t i = 0; strv && strv[i]; i++)
		free(strv[i]);
	free(strv);
}

void strv_freep(char ***strv)
{
	strv_free(*strv);
}

char **strv_copy(char *const *strv)
{
	char **copy = calloc(1, sizeof(char *));
	for (size_t i = 0; copy && strv && strv[i]; i++)
		if (strv_push(&copy, strv[i]) < 0) {
			strv_free(copy);
			return NULL;
		}
	return copy;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **strv)
{
	if (strv)
		qsort(strv, strv_length(strv), sizeof(char *), cmp_strp);
}

int parse_u64(const char *s, uint64_t *ret)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int parse_int(const char *s, int *ret)
{
	bool neg = s && *s == '-';
	uint64_t v;
	int r = parse_u64(neg ? s + 1 : s, &v);
	if (r < 0)
		return r;
	if (v > (uint64_t)INT_MAX + neg)
		return -ERANGE;
	*ret = neg ? (int)-(int64_t)v : (int)v;
	return 0;
}

int parse_boolean(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/* Splits "123abc" into the number and its suffix. */
static int parse_number_suffix(const char *s, uint64_t *num, const char **suffix)
{
	char digits[32];
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(digits))
		return n ? -ERANGE : -EINVAL;
	memcpy(digits, s, n);
	digits[n] = 0;
	*suffix = s + n;
	return parse_u64(digits, num);
}

struct unit_factor {
	const char *suffix;
	uint64_t factor;
};

/* "123abc": the number times the factor of its suffix's row in units (fold_case: the suffix in
 * any case); -EINVAL for a suffix with no row, -ERANGE when the product overflows. */
static int parse_scaled(const char *s, const struct unit_factor *units, size_t n_units, bool fold_case,
			uint64_t *ret)
{
	uint64_t v;
	const char *suffix;
	int r = parse_number_suffix(s, &v, &suffix);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_units; i++) {
		bool match =
			fold_case ? strcasecmp(suffix, units[i].suffix) == 0 : streq(suffix, units[i].suffix);
		if (!match)
			continue;
		if (v > UINT64_MAX / units[i].factor)
			return -ERANGE;
		*ret = v * units[i].factor;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *ret)
{
	// clang-format off
	static const struct unit_factor units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 }, { "T", 1ULL << 40 },
	};
	// clang-format on
	if (streq(s, "infinity")) {
		*ret = UINT64_MAX;
		return 0;
	}
	return parse_scaled(s, units, ELEMENTSOF(units), true, ret);
}

int parse_duration_us(const char *s, uint64_t *ret)
{
	// clang-format off
	static const struct unit_factor units[] = {
		{ "", 1000000 }, { "s", 1000000 }, { "sec", 1000000 }, { "ms", 1000 },
		{ "us", 1 }, { "min", 60000000 }, { "m", 60000000 }, { "h", 3600000000ULL },
	};
	// clang-format on
	return parse_scaled(s, units, ELEMENTSOF(units), false, ret);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

int read_fd_max(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len > max)
			return -EFBIG;
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int read_fd(int fd, char **ret, size_t *ret_len)
{
	return read_fd_max(fd, SIZE_MAX, ret, ret_len);
}

int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_fd(fd, ret, ret_len);
}

int read_file_bounded_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	return read_fd(fd, ret, ret_len);
}

int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_file_bounded_fd(fd, max, ret, ret_len);
}

const char *read_error_str(int r)
{
	switch (r) {
	case -EBADFD:
		return "not a regular file";
	case -EFBIG:
		return "larger than hako reads (" READ_FILE_MAX_TEXT ")";
	default:
		return strerror(-r);
	}
}

int read_line_file(const char *path, char **ret)
{
	char *buf;
	int r = read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = 0;
	*ret = buf;
	return 0;
}

int fd_get_path(int fd, char **ret)
{
	char link[32], buf[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(buf) - 1)
		return -ENAMETOOLONG;
	buf[n] = 0;
	if (buf[0] != '/') /* not a file reachable by path from here */
		return -EBADF;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

int write_file_at(int dirfd, const char *path, const char *data, int flags, mode_t mode)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, mode);
	if (fd < 0)
		return -errno;
	return write_all(fd, data, strlen(data));
}

int pid_start_time(pid_t pid, uint64_t *ret)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *text = NULL;
	int r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	/* The command name may hold spaces and parentheses: fields count from the last ')'. */
	const char *p = strrchr(text, ')');
	unsigned long long start;
	/* After it: state (field 3) ... itrealvalue (21), then starttime (22). */
	if (!p ||
	    sscanf(p + 1, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &start) != 1)
		return -EBADMSG;
	*ret = start;
	return 0;
}

int write_file_atomic(const char *path, const char *data, mode_t mode, bool exclusive)
{
	_cleanup_free_ char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	if (!tmp)
		return -ENOMEM;
	int r = write_file(tmp, data, O_CREAT | O_EXCL, mode);
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	if (exclusive) { /* link() refuses an existing path, rename() would replace it */
		r = link(tmp, path) < 0 ? -errno : r;
		(void)unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
	}
	return r;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *data, int flags, mode_t mode)
{
	return write_file_at(AT_FDCWD, path, data, flags, mode);
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_rf_at(int parent, const char *name)
{
	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int k = rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

int random_hex(char *buf, size_t n)
{
	uint8_t bytes[64];
	if (n > sizeof(bytes))
		return -EINVAL;
	if (getrandom(bytes, n, 0) != (ssize_t)n)
		return -errno;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

uint64_t hash64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

bool pid_alive(pid_t pid)
{
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	char path[32], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true; /* exists, state unknown */
	buf[n] = 0;
	const char *paren = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	return !(paren && paren[1] == ' ' && paren[2] == 'Z');
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void close_fds_except(const int *keep, unsigned n)
{
	int sorted[n ? n : 1];
	memcpy(sorted, keep, n * sizeof(*keep));
	qsort(sorted, n, sizeof(*sorted), cmp_int);
	int from = 3;
	for (unsigned i = 0; i < n; i++) {
		if (sorted[i] < from) /* stdio, a duplicate, or no fd (-1) */
			continue;
		if (sorted[i] > from)
			close_range((unsigned)from, (unsigned)sorted[i] - 1, 0);
		from = sorted[i] + 1;
	}
	close_range((unsigned)from, ~0U, 0);
}

int signalfd_blocking(const int *signals)
{
	sigset_t set;
	sigemptyset(&set);
	for (const int *sig = signals; *sig; sig++)
		sigaddset(&set, *sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int chroot_fd(int fd)
{
	if (fchdir(fd) < 0)
		return -errno;
	if (chroot(".") < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

int fd_get_immutable(int fd, bool *ret)
{
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return -errno;
	*ret = flags & FS_IMMUTABLE_FL;
	return 0;
}

int fd_set_immutable(int fd, bool on)
{
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return -errno;
	flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}
