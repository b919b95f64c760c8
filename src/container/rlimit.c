/* Resource limits (see rlimit.h). The names, units and defaults below are the whole policy. */
#include "container/rlimit.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/config.h"

enum rlimit_unit {
	UNIT_COUNT,   /* a plain number */
	UNIT_BYTES,   /* K, M, G, T (base 1024) */
	UNIT_SECONDS, /* CPU time: seconds, or s/min/h */
	UNIT_USEC,    /* RTTIME: microseconds, or ms/s/min */
	UNIT_NICE,    /* a nice value with a sign (-20..19), or the raw 0..40 */
};

#define MEMLOCK_DEFAULT (8ULL << 20) /* systemd 252's DEFAULT_RLIMIT_MEMLOCK */
#define NOFILE_HIGH (512ULL * 1024)  /* systemd's HIGH_RLIMIT_NOFILE */
#define INF RLIM_INFINITY

/* Each resource nspawn knows, its unit, and what the payload gets when it is not given: the
 * kernel's values for PID 1 (nspawn 252's table, as of kernel 5.16), so a container starts as a
 * freshly booted host would, whatever limits the caller of hako had. */
static const struct rlimit_row {
	const char *name;
	int resource;
	enum rlimit_unit unit;
	rlim_t soft, hard;
	// clang-format off
} rows[] = {
	{ "CPU", RLIMIT_CPU, UNIT_SECONDS, INF, INF },
	{ "FSIZE", RLIMIT_FSIZE, UNIT_BYTES, INF, INF },
	{ "DATA", RLIMIT_DATA, UNIT_BYTES, INF, INF },
	{ "STACK", RLIMIT_STACK, UNIT_BYTES, 8388608, INF },
	{ "CORE", RLIMIT_CORE, UNIT_BYTES, 0, INF },
	{ "RSS", RLIMIT_RSS, UNIT_BYTES, INF, INF },
	{ "NPROC", RLIMIT_NPROC, UNIT_COUNT, 0, 0 },         /* the host's PID 1's */
	{ "NOFILE", RLIMIT_NOFILE, UNIT_COUNT, 1024, 0 },    /* hard: see nofile_hard() */
	{ "MEMLOCK", RLIMIT_MEMLOCK, UNIT_BYTES, MEMLOCK_DEFAULT, MEMLOCK_DEFAULT },
	{ "AS", RLIMIT_AS, UNIT_BYTES, INF, INF },
	{ "LOCKS", RLIMIT_LOCKS, UNIT_COUNT, INF, INF },
	{ "SIGPENDING", RLIMIT_SIGPENDING, UNIT_COUNT, 0, 0 }, /* the host's PID 1's */
	{ "MSGQUEUE", RLIMIT_MSGQUEUE, UNIT_BYTES, 819200, 819200 },
	{ "NICE", RLIMIT_NICE, UNIT_NICE, 0, 0 },
	{ "RTPRIO", RLIMIT_RTPRIO, UNIT_COUNT, 0, 0 },
	{ "RTTIME", RLIMIT_RTTIME, UNIT_USEC, INF, INF },
};
// clang-format on

static const struct rlimit_row *row_of(int resource)
{
	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		if (rows[i].resource == resource)
			return &rows[i];
	return NULL;
}

const char *rlimit_name(int resource)
{
	const struct rlimit_row *r = row_of(resource);
	return r ? r->name : NULL;
}

/* NAME, RLIMIT_NAME or LimitNAME, case as nspawn spells them. */
static const struct rlimit_row *row_by_name(const char *name)
{
	const char *bare = startswith(name, "RLIMIT_");
	if (!bare)
		bare = startswith(name, "Limit");
	if (!bare)
		bare = name;
	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		if (streq(rows[i].name, bare))
			return &rows[i];
	return NULL;
}

static int parse_nice(const char *s, uint64_t *ret)
{
	int n;
	int r = parse_int(s, &n);
	if (r < 0)
		return r;
	if (s[0] == '+' || s[0] == '-') {
		/* A nice value: the limit is 20 - nice (setrlimit(2)). */
		if (n < -20 || n > 19)
			return -ERANGE;
		*ret = (uint64_t)(20 - n);
		return 0;
	}
	if (n < 0 || n > 40)
		return -ERANGE;
	*ret = (uint64_t)n;
	return 0;
}

static int parse_one(enum rlimit_unit unit, const char *s, uint64_t *ret)
{
	uint64_t us;
	if (streq(s, "infinity")) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	switch (unit) {
	case UNIT_BYTES:
		return parse_size(s, ret);
	case UNIT_SECONDS: {
		int r = parse_duration_us(s, &us);
		if (r < 0)
			return r;
		*ret = (us + 999999) / 1000000; /* rounded up, as nspawn does */
		return 0;
	}
	case UNIT_USEC: {
		uint64_t v;
		if (parse_u64(s, &v) == 0) { /* a plain number is microseconds here */
			*ret = v;
			return 0;
		}
		return parse_duration_us(s, ret);
	}
	case UNIT_NICE:
		return parse_nice(s, ret);
	case UNIT_COUNT:
		break;
	}
	return parse_u64(s, ret);
}

static const char *const unit_help[] = {
	[UNIT_COUNT] = "expected a number or infinity, as SOFT[:HARD]",
	[UNIT_BYTES] = "expected a size (K, M, G, T) or infinity, as SOFT[:HARD]",
	[UNIT_SECONDS] = "expected seconds (or s, min, h) or infinity, as SOFT[:HARD]",
	[UNIT_USEC] = "expected microseconds (or ms, s, min) or infinity, as SOFT[:HARD]",
	[UNIT_NICE] = "expected a nice value -20..19 with its sign, or 0..40, as SOFT[:HARD]",
};

int rlimit_parse_value(int resource, const char *value, struct rlimit *ret, const char **why)
{
	const struct rlimit_row *row = row_of(resource);
	if (!row)
		return -EINVAL;
	_cleanup_free_ char *soft = strdup(value);
	if (!soft)
		return -ENOMEM;
	char *hard = strchr(soft, ':');
	if (hard)
		*hard++ = '\0';
	uint64_t s, h;
	if (parse_one(row->unit, soft, &s) < 0 || (hard && parse_one(row->unit, hard, &h) < 0)) {
		*why = unit_help[row->unit];
		return -EINVAL;
	}
	if (!hard)
		h = s; /* one value sets both, as in nspawn */
	if (s > h) {
		*why = "the soft limit is above the hard limit";
		return -EINVAL;
	}
	*ret = (struct rlimit){ .rlim_cur = s, .rlim_max = h };
	return 0;
}

static int set_limit(struct rlimit_setting *l, int resource, const char *value, bool cmdline,
		     const char **why)
{
	struct rlimit v;
	int r = rlimit_parse_value(resource, value, &v, why);
	if (r < 0)
		return r;
	l[resource] = (struct rlimit_setting){ true, cmdline, v.rlim_cur, v.rlim_max };
	return 0;
}

int rlimit_parse_assignment(struct rlimit_setting *limits, const char *value, const char **why)
{
	const char *eq = strchr(value, '=');
	if (!eq) {
		*why = "expected NAME=SOFT[:HARD] (e.g. NOFILE=1024:4096)";
		return -EINVAL;
	}
	_cleanup_free_ char *name = strndup(value, (size_t)(eq - value));
	if (!name)
		return -ENOMEM;
	const struct rlimit_row *row = row_by_name(name);
	if (!row) {
		*why = "unknown resource (CPU, FSIZE, DATA, STACK, CORE, RSS, NPROC, NOFILE, MEMLOCK, AS, "
		       "LOCKS, SIGPENDING, MSGQUEUE, NICE, RTPRIO, RTTIME)";
		return -EINVAL;
	}
	return set_limit(limits, row->resource, eq + 1, true, why);
}

static rlim_t nofile_hard(void)
{
	/* systemd raises NOFILE's hard limit for all of userspace; nspawn gives the payload the
	 * same, since containers often run without systemd as their PID 1 (soft stays 1024:
	 * select(2) breaks above it). */
	_cleanup_free_ char *text = NULL;
	uint64_t nr_open;
	if (read_file("/proc/sys/fs/nr_open", &text, NULL) < 0)
		return NOFILE_HIGH;
	text[strcspn(text, "\n")] = '\0';
	if (parse_u64(text, &nr_open) < 0 || nr_open > NOFILE_HIGH)
		return NOFILE_HIGH;
	return nr_open;
}

static int default_limit(const struct rlimit_row *row, struct rlimit *ret)
{
	*ret = (struct rlimit){ row->soft, row->hard };
	if (row->resource == RLIMIT_NOFILE)
		ret->rlim_max = nofile_hard();
	/* The kernel scales these two with the memory; PID 1 keeps what it was given. */
	if (row->resource != RLIMIT_NPROC && row->resource != RLIMIT_SIGPENDING)
		return 0;
	if (prlimit(1, row->resource, NULL, ret) == 0)
		return 0;
	/* Rootless, PID 1's limits are not ours to read; nor could we raise ours to them. */
	if (errno != EPERM)
		return -errno;
	return getrlimit(row->resource, ret) < 0 ? -errno : 0;
}

int rlimits_effective(const struct rlimit_setting *given, struct rlimit ret[RLIMIT_NLIMITS])
{
	for (int i = 0; i < RLIMIT_NLIMITS; i++)
		ret[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		int res = rows[i].resource;
		if (given[res].set) {
			ret[res] = (struct rlimit){ given[res].soft, given[res].hard };
			continue;
		}
		int r = default_limit(&rows[i], &ret[res]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A hard limit above ours needs CAP_SYS_RESOURCE in the initial user namespace (a container with
 * -U has it only in its own): then both limits are cut to our hard limit, as nspawn does. */
static int set_closest(int resource, const struct rlimit *want)
{
	if (setrlimit(resource, want) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	struct rlimit have;
	if (getrlimit(resource, &have) < 0)
		return -errno;
	if (have.rlim_max == RLIM_INFINITY)
		return -EPERM;
	struct rlimit fixed = {
		.rlim_cur = want->rlim_cur < have.rlim_max ? want->rlim_cur : have.rlim_max,
		.rlim_max = want->rlim_max < have.rlim_max ? want->rlim_max : have.rlim_max,
	};
	return setrlimit(resource, &fixed) < 0 ? -errno : 0;
}

int rlimits_apply(const struct rlimit ret[RLIMIT_NLIMITS], int *ret_failed)
{
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		int r = set_closest(rows[i].resource, &ret[rows[i].resource]);
		if (r < 0) {
			*ret_failed = rows[i].resource;
			return r;
		}
	}
	return 0;
}

/* ---- the .nspawn keys: one row per resource, all served by one setter each ---- */

/* --rlimit=NAME= wins over the file's LimitNAME=, but with --settings=override the file wins,
 * for that resource alone (systemd.nspawn(5): its settings take precedence then). */
static int set_file_limit(struct run_config *cfg, int resource, const char *value, const char **why)
{
	if (cfg->rlimits[resource].from_command_line && cfg->settings != SETTINGS_OVERRIDE)
		return 0;
	return set_limit(cfg->rlimits, resource, value, false, why);
}

#define LIMIT_SETTER(NAME)                                                    \
	static int set_limit_##NAME(void *t, const char *v, const char **why) \
	{                                                                     \
		return set_file_limit(t, RLIMIT_##NAME, v, why);              \
	}
LIMIT_SETTER(CPU)
LIMIT_SETTER(FSIZE)
LIMIT_SETTER(DATA)
LIMIT_SETTER(STACK)
LIMIT_SETTER(CORE)
LIMIT_SETTER(RSS)
LIMIT_SETTER(NPROC)
LIMIT_SETTER(NOFILE)
LIMIT_SETTER(MEMLOCK)
LIMIT_SETTER(AS)
LIMIT_SETTER(LOCKS)
LIMIT_SETTER(SIGPENDING)
LIMIT_SETTER(MSGQUEUE)
LIMIT_SETTER(NICE)
LIMIT_SETTER(RTPRIO)
LIMIT_SETTER(RTTIME)

#define LIMIT_ROW(NAME)                                                                                    \
	{                                                                                                  \
		"Limit" #NAME, 0, OPT_REQUIRED, "SOFT[:HARD]", "", set_limit_##NAME, 0, "Exec.Limit" #NAME \
	}

// clang-format off
const struct opt rlimit_settings_options[] = {
	LIMIT_ROW(CPU),   LIMIT_ROW(FSIZE),   LIMIT_ROW(DATA),       LIMIT_ROW(STACK),
	LIMIT_ROW(CORE),  LIMIT_ROW(RSS),     LIMIT_ROW(NPROC),      LIMIT_ROW(NOFILE),
	LIMIT_ROW(MEMLOCK), LIMIT_ROW(AS),    LIMIT_ROW(LOCKS),      LIMIT_ROW(SIGPENDING),
	LIMIT_ROW(MSGQUEUE), LIMIT_ROW(NICE), LIMIT_ROW(RTPRIO),     LIMIT_ROW(RTTIME),
};
// clang-format on
const size_t rlimit_settings_options_n = ELEMENTSOF(rlimit_settings_options);
