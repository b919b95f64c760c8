/* Small shared helpers: strings, string vectors, numbers, files. Errors are negative errnos. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

// clang-format off
static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool streq_ptr(const char *a, const char *b) { return a && b ? streq(a, b) : a == b; }
// clang-format on
const char *startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* NULL-terminated vectors of malloc'd strings. */
size_t strv_length(char *const *strv);
int strv_push(char ***strv, const char *s); /* appends a copy */
int strv_push_take(char ***strv, char *s);  /* appends s itself */
bool strv_contains(char *const *strv, const char *s);
void strv_free(char **strv);
char **strv_copy(char *const *strv);
void strv_sort(char **strv); /* strcmp order; NULL is fine */

/* Returns 0 and sets *ret, or -EINVAL / -ERANGE. Whole string must be a number. */
int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);
int parse_int(const char *s, int *ret);
/* yes/no/true/false/on/off/1/0: returns 1 or 0, or -EINVAL. */
int parse_boolean(const char *s);
/* Sizes with K/M/G/T suffixes (base 1024), or "infinity" as UINT64_MAX. */
int parse_size(const char *s, uint64_t *ret);
/* Durations: plain seconds, or with ms/s/min/h suffix. Result in microseconds. */
int parse_duration_us(const char *s, uint64_t *ret);

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int read_file(const char *path, char **ret, size_t *ret_len); /* NUL-terminated */
/* Everything left on fd from its offset, NUL-terminated: a pipe, a memfd. */
int read_fd(int fd, char **ret, size_t *ret_len);
/* read_fd, but -EFBIG (having read little more than max) when fd holds more than max bytes: a
 * pipe has no size to check first. */
int read_fd_max(int fd, size_t max, char **ret, size_t *ret_len);
/* A file an admin or a tree controls (.nspawn, .network, a tree's /etc/passwd, os-release): opened
 * non-blocking so that a FIFO cannot hang hako, a regular file only (-EBADFD, -EISDIR), at most
 * max bytes (-EFBIG) so that a link to /dev/zero or a huge sparse file cannot exhaust memory. */
#define READ_FILE_MAX (4u << 20)
#define READ_FILE_MAX_TEXT "4 MiB"
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len);
int read_file_bounded_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* The reason for a read_file_bounded() error, for messages. */
const char *read_error_str(int r);
int read_line_file(const char *path, char **ret);                           /* first line, no newline */
int write_file(const char *path, const char *data, int flags, mode_t mode); /* flags: O_CREAT|O_TRUNC.. */
int write_file_at(int dirfd, const char *path, const char *data, int flags, mode_t mode);
/* When pid started (clock ticks since boot, /proc/PID/stat): with the pid, names one process
 * for good, a reused pid aside. */
int pid_start_time(pid_t pid, uint64_t *ret);
/* Writes path whole or not at all: a temporary file beside it, then renamed over it, or with
 * exclusive linked to it (-EEXIST if path exists). A full disk leaves no empty or partial file. */
int write_file_atomic(const char *path, const char *data, mode_t mode, bool exclusive);
/* Writes all len bytes to fd: retries short writes and EINTR, waits (poll) while a
 * non-blocking fd is full. */
int write_all(int fd, const void *data, size_t len);
int mkdir_p(const char *path, mode_t mode);
/* The path an open fd names now (the kernel's /proc/self/fd link): a name for messages, read back
 * from what was opened rather than resolved again. */
int fd_get_path(int fd, char **ret);
int rm_rf(const char *path);

/* Random bytes as lowercase hex (2*n chars + NUL into buf). */
int random_hex(char *buf, size_t n);
/* A stable 64-bit hash (FNV-1a) for deterministic names. */
uint64_t hash64(const void *data, size_t len);

uint64_t now_usec(void); /* CLOCK_MONOTONIC */

/* Whether pid is a live process: one that exists and is not a zombie waiting to be reaped (a
 * killed supervisor's parent may reap it late; its resources are free already). */
bool pid_alive(pid_t pid);
/* Closes every fd from 3 up but keep[0..n-1] (any order): a forked child that lives on must not
 * hold its parent's pipes, sockets or terminal, whose EOF someone waits for. */
void close_fds_except(const int *keep, unsigned n);

/* Blocks the signals of the 0-terminated list and returns a signalfd (O_NONBLOCK, O_CLOEXEC)
 * that reads them. */
int signalfd_blocking(const int *signals);
/* Takes the directory fd as this process's root and working directory (fchdir, chroot ".",
 * chdir "/"): every path, and every symlink on the way, then resolves inside it. */
int chroot_fd(int fd);

/* The immutable flag (chattr +i) of the file or directory open at fd: what machined and
 * machinectl make a read-only directory image with. */
int fd_get_immutable(int fd, bool *ret);
int fd_set_immutable(int fd, bool on);
