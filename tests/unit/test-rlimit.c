#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "container/config.h"
#include "container/rlimit.h"
#include "tap.h"

static void test_values(void)
{
	struct rlimit v;
	const char *why = NULL;
	CHECK(rlimit_parse_value(RLIMIT_NOFILE, "1024:4096", &v, &why) == 0);
	CHECK(v.rlim_cur == 1024 && v.rlim_max == 4096);
	CHECK(rlimit_parse_value(RLIMIT_NOFILE, "77", &v, &why) == 0);
	CHECK(v.rlim_cur == 77 && v.rlim_max == 77);
	CHECK(rlimit_parse_value(RLIMIT_NOFILE, "1:infinity", &v, &why) == 0);
	CHECK(v.rlim_cur == 1 && v.rlim_max == RLIM_INFINITY);
	CHECK(rlimit_parse_value(RLIMIT_AS, "1G", &v, &why) == 0);
	CHECK(v.rlim_cur == (1ULL << 30));
	CHECK(rlimit_parse_value(RLIMIT_CPU, "2min", &v, &why) == 0);
	CHECK(v.rlim_cur == 120);
	CHECK(rlimit_parse_value(RLIMIT_RTTIME, "500", &v, &why) == 0);
	CHECK(v.rlim_cur == 500);
	CHECK(rlimit_parse_value(RLIMIT_RTTIME, "2ms", &v, &why) == 0);
	CHECK(v.rlim_cur == 2000);
	CHECK(rlimit_parse_value(RLIMIT_NICE, "-5", &v, &why) == 0);
	CHECK(v.rlim_cur == 25);
	CHECK(rlimit_parse_value(RLIMIT_NICE, "40", &v, &why) == 0);
	CHECK(v.rlim_cur == 40);
}

static void test_errors(void)
{
	static const struct {
		int res;
		const char *value;
		// clang-format off
	} bad[] = {
		{ RLIMIT_NOFILE, "300:200" }, { RLIMIT_NOFILE, "" },    { RLIMIT_NOFILE, "1K" },
		{ RLIMIT_NOFILE, "a:1" },     { RLIMIT_NOFILE, "1:" },  { RLIMIT_NICE, "+20" },
		{ RLIMIT_NICE, "41" },        { RLIMIT_AS, "1Q" },      { RLIMIT_NOFILE, "infinity:5" },
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rlimit v;
		const char *why = NULL;
		CHECK(rlimit_parse_value(bad[i].res, bad[i].value, &v, &why) == -EINVAL);
		CHECK(why != NULL);
	}
}

static void test_assignment(void)
{
	struct rlimit_setting l[RLIMIT_NLIMITS];
	memset(l, 0, sizeof(l));
	const char *why = NULL;
	CHECK(rlimit_parse_assignment(l, "RLIMIT_NOFILE=5:6", &why) == 0);
	CHECK(l[RLIMIT_NOFILE].set && l[RLIMIT_NOFILE].from_command_line);
	CHECK(l[RLIMIT_NOFILE].soft == 5 && l[RLIMIT_NOFILE].hard == 6);
	CHECK(rlimit_parse_assignment(l, "CORE=0", &why) == 0);
	CHECK(rlimit_parse_assignment(l, "LimitSTACK=8M", &why) == 0);
	CHECK(l[RLIMIT_STACK].soft == (8ULL << 20));
	CHECK(rlimit_parse_assignment(l, "nofile=1", &why) == -EINVAL);
	CHECK(rlimit_parse_assignment(l, "NOFILE", &why) == -EINVAL);
	CHECK(rlimit_parse_assignment(l, "=1", &why) == -EINVAL);
}

/* The file's LimitNOFILE= loses to --rlimit=NOFILE=, but wins with --settings=override. */
static void test_file_keys(void)
{
	const struct opt *nofile = NULL;
	for (size_t i = 0; i < rlimit_settings_options_n; i++)
		if (strcmp(rlimit_settings_options[i].name, "LimitNOFILE") == 0)
			nofile = &rlimit_settings_options[i];
	CHECK(nofile != NULL);
	if (!nofile)
		return;
	struct run_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	const char *why = NULL;
	CHECK(rlimit_parse_assignment(cfg.rlimits, "NOFILE=5:6", &why) == 0);
	CHECK(nofile->set((char *)&cfg + nofile->offset, "7:8", &why) == 0);
	CHECK(cfg.rlimits[RLIMIT_NOFILE].soft == 5 && cfg.rlimits[RLIMIT_NOFILE].hard == 6);
	cfg.settings = SETTINGS_OVERRIDE;
	CHECK(nofile->set((char *)&cfg + nofile->offset, "7:8", &why) == 0);
	CHECK(cfg.rlimits[RLIMIT_NOFILE].soft == 7 && cfg.rlimits[RLIMIT_NOFILE].hard == 8);
	CHECK(!cfg.rlimits[RLIMIT_NOFILE].from_command_line);
	CHECK(nofile->set((char *)&cfg + nofile->offset, "9:8", &why) == -EINVAL);
}

static void test_defaults(void)
{
	struct rlimit_setting l[RLIMIT_NLIMITS];
	memset(l, 0, sizeof(l));
	struct rlimit eff[RLIMIT_NLIMITS];
	CHECK(rlimits_effective(l, eff) == 0);
	CHECK(eff[RLIMIT_NOFILE].rlim_cur == 1024);
	CHECK(eff[RLIMIT_NOFILE].rlim_max >= 4096 && eff[RLIMIT_NOFILE].rlim_max <= 512 * 1024);
	CHECK(eff[RLIMIT_CORE].rlim_cur == 0 && eff[RLIMIT_CORE].rlim_max == RLIM_INFINITY);
	CHECK(eff[RLIMIT_MEMLOCK].rlim_cur == (8ULL << 20));
	l[RLIMIT_NOFILE] = (struct rlimit_setting){ true, true, 7, 9 };
	CHECK(rlimits_effective(l, eff) == 0);
	CHECK(eff[RLIMIT_NOFILE].rlim_cur == 7 && eff[RLIMIT_NOFILE].rlim_max == 9);
	CHECK(strcmp(rlimit_name(RLIMIT_SIGPENDING), "SIGPENDING") == 0);
}

int main(void)
{
	RUN(test_values);
	RUN(test_errors);
	RUN(test_assignment);
	RUN(test_file_keys);
	RUN(test_defaults);
	TAP_END();
}
