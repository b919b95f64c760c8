/* Resource limits of the payload: --rlimit=NAME=SOFT[:HARD] and the .nspawn keys LimitCPU= ...
 * LimitRTTIME= (systemd-nspawn 252's meaning), and nspawn's defaults for those not given. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "base/opts.h"

struct rlimit_setting; /* container/config.h */

/* Parses "NAME=SOFT[:HARD]" (NAME as RLIMIT_NOFILE, NOFILE or LimitNOFILE) into limits. */
int rlimit_parse_assignment(struct rlimit_setting *limits, const char *value, const char **why);
/* Parses "SOFT[:HARD]" for resource (a RLIMIT_* number): sizes take K/M/G/T, CPU seconds (or
 * s/min/h), RTTIME microseconds (or ms/s/min), NICE -20..19 with a sign or 0..40, "infinity". */
int rlimit_parse_value(int resource, const char *value, struct rlimit *ret, const char **why);
/* The name nspawn prints ("NOFILE"), or NULL. */
const char *rlimit_name(int resource);

/* The limits the payload starts with: the given ones, else nspawn 252's defaults (the kernel's
 * for PID 1, NOFILE's hard limit raised, NPROC and SIGPENDING as the host's PID 1 has them). */
int rlimits_effective(const struct rlimit_setting *given, struct rlimit ret[RLIMIT_NLIMITS]);
/* Applies them to the calling process; one it may not raise is set as close as it may. */
int rlimits_apply(const struct rlimit ret[RLIMIT_NLIMITS], int *ret_failed);

/* The .nspawn keys Exec.LimitCPU= ... (file-only rows; --rlimit= is the command line's). */
extern const struct opt rlimit_settings_options[];
extern const size_t rlimit_settings_options_n;
