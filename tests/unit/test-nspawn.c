#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/opts.h"
#include "base/util.h"
#include "settings/nspawn.h"
#include "tap.h"

struct cfg {
	bool boot;
	char *hostname;
	char **binds;
	char **env;
};

// clang-format off
static const struct opt table[] = {
	{ "boot", 'b', OPT_NONE, NULL, "boot", opt_set_flag, offsetof(struct cfg, boot), "Exec.Boot" },
	{ "hostname", 0, OPT_REQUIRED, "NAME", "h", opt_set_string, offsetof(struct cfg, hostname), "Exec.Hostname" },
	{ "bind", 0, OPT_REQUIRED, "SPEC", "bind", opt_append_string, offsetof(struct cfg, binds), "Files.Bind" },
	{ "setenv", 'E', OPT_REQUIRED, "V", "env", opt_append_string, offsetof(struct cfg, env), "Exec.Environment" },
};
// clang-format on
static const struct opt_group groups[] = { OPT_GROUP(NULL, table) };

static void cfg_free(struct cfg *c)
{
	free(c->hostname);
	strv_free(c->binds);
	strv_free(c->env);
	*c = (struct cfg){ 0 };
}

static int apply(struct cfg *c, const char *text, bool trusted, const struct opts_seen *seen)
{
	return nspawn_apply_string(text, "t.nspawn", trusted, groups, 1, c, seen);
}

static void test_keys_apply(void)
{
	struct cfg c = { 0 };
	CHECK(apply(&c,
		    "[Exec]\nBoot=yes\nHostname=web\nEnvironment=A=1\nEnvironment=B=2\n"
		    "[Files]\nBind=/srv\n",
		    true, NULL) == 0);
	CHECK(c.boot);
	CHECK_STREQ(c.hostname, "web");
	CHECK(strv_length(c.env) == 2 && streq(c.env[1], "B=2"));
	CHECK(strv_length(c.binds) == 1 && streq(c.binds[0], "/srv"));
	cfg_free(&c);
}

static void test_unknown_is_a_warning(void)
{
	struct cfg c = { 0 };
	CHECK(apply(&c, "[Exec]\nFrobnicate=1\nBoot=no\n[Weird]\nX=1\n", true, NULL) == 0);
	CHECK(!c.boot);
	cfg_free(&c);
}

static void test_bad_value_is_an_error(void)
{
	struct cfg c = { 0 };
	CHECK(apply(&c, "[Exec]\nHostname=a\nBoot=perhaps\n", true, NULL) == -EINVAL);
	cfg_free(&c);
	CHECK(apply(&c, "[Exec\nBoot=1\n", true, NULL) == -EINVAL);
	cfg_free(&c);
}

static void test_command_line_wins(void)
{
	struct cfg c = { 0 };
	struct opts_seen seen = { 0 };
	char *argv[] = { "x", "--hostname=cli", NULL };
	CHECK(opts_parse(groups, 1, 2, argv, &c, 0, "u", &seen) == 2);
	CHECK(apply(&c, "[Exec]\nHostname=file\nBoot=1\n", true, &seen) == 0);
	CHECK_STREQ(c.hostname, "cli");
	CHECK(c.boot);
	cfg_free(&c);
}

static void test_untrusted_ignores_privileged(void)
{
	struct cfg c = { 0 };
	CHECK(apply(&c, "[Files]\nBind=/etc\n[Exec]\nHostname=h\n[Network]\nPort=80\n", false, NULL) == 0);
	CHECK(c.binds == NULL);
	CHECK_STREQ(c.hostname, "h");
	cfg_free(&c);
}

static char *tmp_file(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	write_file(p, "[Exec]\n", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	return p;
}

static void test_find_precedence(void)
{
	char base[] = "/tmp/test-nspawn.XXXXXX";
	CHECK(mkdtemp(base) != NULL);
	_cleanup_free_ char *etc = xasprintf("%s/etc", base), *sys = xasprintf("%s/sys", base),
			    *img = xasprintf("%s/img", base);
	mkdir(etc, 0755);
	mkdir(sys, 0755);
	mkdir(img, 0755);
	setenv("HAKO_CONFIG_DIR", etc, 1);
	setenv("HAKO_NSPAWN_DIRS", sys, 1);
	char *path = NULL;
	bool trusted = true;
	CHECK(nspawn_find("m", img, &path, &trusted) == 0);
	_cleanup_free_ char *f1 = tmp_file(img, "m.nspawn");
	CHECK(nspawn_find("m", img, &path, &trusted) == 1 && !trusted && streq(path, f1));
	free(path);
	_cleanup_free_ char *f2 = tmp_file(sys, "m.nspawn");
	CHECK(nspawn_find("m", img, &path, &trusted) == 1 && trusted && streq(path, f2));
	free(path);
	_cleanup_free_ char *f3 = tmp_file(etc, "m.nspawn");
	CHECK(nspawn_find("m", img, &path, &trusted) == 1 && trusted && streq(path, f3));
	free(path);
	CHECK(nspawn_find("other", img, &path, &trusted) == 0);
	rm_rf(base);
}

int main(void)
{
	RUN(test_keys_apply);
	RUN(test_unknown_is_a_warning);
	RUN(test_bad_value_is_an_error);
	RUN(test_command_line_wins);
	RUN(test_untrusted_ignores_privileged);
	RUN(test_find_precedence);
	TAP_END();
}
