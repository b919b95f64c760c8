/* Messages for the user: one line each on stderr, prefixed "hako:". */
#pragma once
#include <stdbool.h>

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs "hako: <message>: <strerror(-err)>" and returns err (a negative errno). */
int log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Quiet mode (-q) silences log_info; HAKO_DEBUG=1 enables log_debug. */
void log_set_quiet(bool quiet);
bool log_debug_enabled(void);
