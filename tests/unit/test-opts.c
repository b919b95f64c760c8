#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "base/opts.h"
#include "base/util.h"
#include "tap.h"

struct cfg {
	bool boot;
	char *dir;
	char **binds;
};

// clang-format off
static const struct opt table[] = {
	{ "boot", 'b', OPT_NONE, NULL, "boot", opt_set_flag, offsetof(struct cfg, boot), "Exec.Boot" },
	{ "directory", 'D', OPT_REQUIRED, "DIR", "dir", opt_set_string, offsetof(struct cfg, dir), NULL },
	{ "bind", 0, OPT_REQUIRED, "SPEC", "bind", opt_append_string, offsetof(struct cfg, binds), "Files.Bind" },
};
// clang-format on
static const struct opt_group groups[] = { OPT_GROUP(NULL, table) };

static int parse(struct cfg *c, int argc, char **argv, struct opts_seen *seen)
{
	return opts_parse(groups, 1, argc, argv, c, OPTS_STOP_AT_ARG, "usage", seen);
}

static void cfg_free(struct cfg *c)
{
	free(c->dir);
	strv_free(c->binds);
}

static void test_long_short_and_stop(void)
{
	struct cfg c = { 0 };
	struct opts_seen seen = { 0 };
	char *argv[] = { "run", "-bD/tmp/x", "--bind=/a:/b", "--bind", "/c", "/bin/sh", "-c", "x", NULL };
	int i = parse(&c, 8, argv, &seen);
	CHECK(i == 5);
	CHECK(c.boot);
	CHECK_STREQ(c.dir, "/tmp/x");
	CHECK(strv_length(c.binds) == 2);
	CHECK(opts_was_seen(&seen, 0) && opts_was_seen(&seen, 2));
	cfg_free(&c);
}

/* Operands anywhere among the options keep their order. */
static void test_operands_keep_order(void)
{
	struct cfg c = { 0 };
	char *argv[] = { "status", "lab1", "-b", "node1", "node2", "--directory=/d", NULL };
	int i = opts_parse(groups, 1, 6, argv, &c, 0, "usage", NULL);
	CHECK(i == 3);
	CHECK(c.boot && c.dir);
	CHECK_STREQ(argv[3], "lab1");
	CHECK_STREQ(argv[4], "node1");
	CHECK_STREQ(argv[5], "node2");
	cfg_free(&c);
}

static void test_errors(void)
{
	struct cfg c = { 0 };
	char *unknown[] = { "run", "--nope", NULL };
	CHECK(parse(&c, 2, unknown, NULL) == -EINVAL);
	char *missing[] = { "run", "-D", NULL };
	CHECK(parse(&c, 2, missing, NULL) == -EINVAL);
	char *novalue[] = { "run", "--boot=maybe", NULL };
	CHECK(parse(&c, 2, novalue, NULL) == -EINVAL);
	char *dashdash[] = { "run", "--", "-b", NULL };
	CHECK(parse(&c, 3, dashdash, NULL) == 2 && !c.boot);
	cfg_free(&c);
}

static void test_settings_lookup(void)
{
	const struct opt *o = NULL;
	CHECK(opts_find_setting(groups, 1, "Files", "Bind", &o) == 2 && o == &table[2]);
	CHECK(opts_find_setting(groups, 1, "Exec", "Nope", &o) == -1);
}

/* --settings=override's second parse: the options the file sets are left out, unseen. */
static void test_parse_except(void)
{
	struct cfg c = { 0 };
	struct opts_seen seen = { 0 }, skip = { 0 };
	opts_mark_section(groups, 1, &skip, "Files", NULL);
	CHECK(opts_was_seen(&skip, 2) && !opts_was_seen(&skip, 0));
	char *argv[] = { "run", "-b", "--bind=/a", "-D/d", "--bind", "/c", NULL };
	CHECK(opts_parse_except(groups, 1, 6, argv, &c, 0, "usage", &seen, &skip) == 6);
	CHECK(c.boot && c.binds == NULL);
	CHECK_STREQ(c.dir, "/d");
	CHECK(opts_was_seen(&seen, 0) && !opts_was_seen(&seen, 2));
	struct opts_seen names = { 0 };
	opts_mark_names(groups, 1, &names, (const char *const[]){ "directory", NULL });
	CHECK(opts_was_seen(&names, 1) && !opts_was_seen(&names, 0));
	cfg_free(&c);
}

int main(void)
{
	RUN(test_long_short_and_stop);
	RUN(test_operands_keep_order);
	RUN(test_errors);
	RUN(test_settings_lookup);
	RUN(test_parse_except);
	TAP_END();
}
