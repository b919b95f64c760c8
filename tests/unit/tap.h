/* A tiny TAP producer for unit tests: one "ok"/"not ok" line per test function, with the failed
 * checks as diagnostics. `meson test` and tests/run read the TAP. */
#pragma once
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed, tap_current_failed;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			tap_current_failed = 1;                                           \
		}                                                                         \
	} while (0)

#define CHECK_STREQ(a, b)                                                                             \
	do {                                                                                          \
		const char *_a = (a), *_b = (b);                                                      \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                              \
			printf("# %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)", \
			       _b ? _b : "(null)");                                                   \
			tap_current_failed = 1;                                                       \
		}                                                                                     \
	} while (0)

#define RUN(fn)                                                                               \
	do {                                                                                  \
		tap_current_failed = 0;                                                       \
		fn();                                                                         \
		tap_count++;                                                                  \
		tap_failed += tap_current_failed;                                             \
		printf("%s %d - %s\n", tap_current_failed ? "not ok" : "ok", tap_count, #fn); \
		fflush(stdout);                                                               \
	} while (0)

#define TAP_END()                             \
	do {                                  \
		printf("1..%d\n", tap_count); \
		return tap_failed ? 1 : 0;    \
	} while (0)
