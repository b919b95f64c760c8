#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "container/specs.h"
#include "tap.h"

static void test_bind_src_only(void)
{
	struct bind_spec b;
	const char *why = NULL;
	CHECK(bind_spec_parse("/srv/data", false, &b, &why) == 0);
	CHECK_STREQ(b.source, "/srv/data");
	CHECK_STREQ(b.dest, "/srv/data");
	CHECK(b.recursive && !b.read_only);
	bind_spec_done(&b);
}

/* nspawn's empty source: a temporary directory, made at start (no source until then). */
static void test_bind_temporary(void)
{
	struct bind_spec b;
	const char *why = NULL;
	CHECK(bind_spec_parse(":/scratch:norbind", false, &b, &why) == 0);
	CHECK(b.temporary && !b.source && !b.recursive);
	CHECK_STREQ(b.dest, "/scratch");
	bind_spec_done(&b);
	CHECK(bind_spec_parse(":", false, &b, &why) == -EINVAL);
	CHECK(bind_spec_parse("", false, &b, &why) == -EINVAL);
	CHECK(temp_bind_path_valid("/var/tmp/hako-bind-a1B2c3"));
	CHECK(!temp_bind_path_valid("/var/tmp/hako-bind-"));
	CHECK(!temp_bind_path_valid("/etc"));
	CHECK(!temp_bind_path_valid("hako-bind-a1B2c3"));
}

static void test_bind_src_dst_opts(void)
{
	struct bind_spec b;
	const char *why = NULL;
	CHECK(bind_spec_parse("/a:/b:norbind", true, &b, &why) == 0);
	CHECK_STREQ(b.source, "/a");
	CHECK_STREQ(b.dest, "/b");
	CHECK(!b.recursive && b.read_only);
	bind_spec_done(&b);
	CHECK(bind_spec_parse("/a::rbind", false, &b, &why) == 0);
	CHECK_STREQ(b.dest, "/a");
	CHECK(b.recursive);
	bind_spec_done(&b);
	CHECK(bind_spec_parse("/a\\:x:/b\\\\c", false, &b, &why) == 0);
	CHECK_STREQ(b.source, "/a:x");
	CHECK_STREQ(b.dest, "/b\\c");
	bind_spec_done(&b);
}

static void test_bind_nspawn_forms(void)
{
	struct bind_spec b;
	const char *why = NULL;
	CHECK(bind_spec_parse("+/srv/x", false, &b, &why) == 0);
	CHECK_STREQ(b.source, "/srv/x");
	CHECK_STREQ(b.dest, "/srv/x");
	CHECK(b.in_tree && !b.idmap);
	bind_spec_done(&b);
	CHECK(bind_spec_parse("/a:/b:idmap,norbind", false, &b, &why) == 0);
	CHECK(b.idmap && !b.recursive && !b.in_tree);
	bind_spec_done(&b);
	CHECK(bind_spec_parse("/a:/b:idmap,noidmap", false, &b, &why) == 0);
	CHECK(!b.idmap && b.recursive);
	bind_spec_done(&b);
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(bind_spec_parse("rel/dir:/mnt", true, &b, &why) == 0);
	char want[4200];
	snprintf(want, sizeof(want), "%s/rel/dir", strcmp(cwd, "/") ? cwd : "");
	CHECK_STREQ(b.source, want);
	CHECK_STREQ(b.dest, "/mnt");
	CHECK(!b.in_tree);
	bind_spec_done(&b);
}

static void test_bind_errors(void)
{
	// clang-format off
	static const char *const bad[] = {
		"", "relative", "/a:relative", "/a:/b:bogus", "/a:/b:rbind:x", "/a/../etc",
		"/a:/b/./c", ":", ":rel", "/a:/b:rbind,nope", "+", "+rel", "+/a/../b", "rel", "../x:/b",
		"/a:/b:idmapped", "+/a:rel",
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bind_spec b = { 0 };
		const char *why = NULL;
		int r = bind_spec_parse(bad[i], false, &b, &why);
		if (r != -EINVAL || !why)
			printf("# accepted bad spec '%s'\n", bad[i]);
		CHECK(r == -EINVAL && why);
		CHECK(!b.source && !b.dest);
	}
}

static void test_tmpfs(void)
{
	struct tmpfs_spec t = { 0 };
	const char *why = NULL;
	CHECK(tmpfs_spec_parse("/run/x", &t, &why) == 0);
	CHECK_STREQ(t.path, "/run/x");
	CHECK_STREQ(t.options, "mode=0755");
	tmpfs_spec_done(&t);
	CHECK(tmpfs_spec_parse("/tmp:size=1M,mode=1777", &t, &why) == 0);
	CHECK_STREQ(t.options, "size=1M,mode=1777");
	tmpfs_spec_done(&t);
	CHECK(tmpfs_spec_parse("tmp", &t, &why) == -EINVAL);
	CHECK(tmpfs_spec_parse("/a/../b", &t, &why) == -EINVAL);
}

static void test_signals(void)
{
	CHECK(signal_from_string("SIGTERM") == SIGTERM);
	CHECK(signal_from_string("term") == SIGTERM);
	CHECK(signal_from_string("KILL") == SIGKILL);
	CHECK(signal_from_string("9") == 9);
	CHECK(signal_from_string("SIGRTMIN+3") == SIGRTMIN + 3);
	CHECK(signal_from_string("RTMIN") == SIGRTMIN);
	CHECK(signal_from_string("rtmax-1") == SIGRTMAX - 1);
	CHECK(signal_from_string("SIGUSR2") == SIGUSR2);
	CHECK(signal_from_string("0") == -EINVAL);
	CHECK(signal_from_string("65") == -EINVAL);
	CHECK(signal_from_string("RTMIN+99") == -EINVAL);
	CHECK(signal_from_string("RTMIN-1") == -EINVAL);
	CHECK(signal_from_string("SIGFOO") == -EINVAL);
	CHECK(signal_from_string("") == -EINVAL);
}

static void test_env(void)
{
	CHECK(env_assignment_valid("A=b"));
	CHECK(env_assignment_valid("_X1="));
	CHECK(!env_assignment_valid("=b"));
	CHECK(!env_assignment_valid("1A=b"));
	CHECK(!env_assignment_valid("A-B=c"));
	CHECK(!env_assignment_valid("NOEQ"));
}

static void test_resolv_conf_modes(void)
{
	CHECK(resolv_conf_mode_from_string("auto") == RESOLV_CONF_AUTO);
	CHECK(resolv_conf_mode_from_string("replace-host") == RESOLV_CONF_REPLACE_HOST);
	CHECK(resolv_conf_mode_from_string("bind-stub") == RESOLV_CONF_BIND_STUB);
	CHECK(resolv_conf_mode_from_string("copy-uplink") == RESOLV_CONF_COPY_UPLINK);
	CHECK(resolv_conf_mode_from_string("copy") == -EINVAL);
	CHECK(resolv_conf_mode_from_string("bind-") == -EINVAL);
	CHECK(resolv_conf_action(RESOLV_CONF_REPLACE_STATIC) == RESOLV_ACTION_REPLACE);
	CHECK(resolv_conf_action(RESOLV_CONF_OFF) == RESOLV_ACTION_NONE);
	CHECK(resolv_conf_action(RESOLV_CONF_DELETE) == RESOLV_ACTION_DELETE);
	CHECK_STREQ(resolv_conf_source(RESOLV_CONF_COPY_STATIC), "/usr/lib/systemd/resolv.conf");
	CHECK_STREQ(resolv_conf_source(RESOLV_CONF_BIND_UPLINK), "/run/systemd/resolve/resolv.conf");
	CHECK_STREQ(resolv_conf_source(RESOLV_CONF_REPLACE_STUB), "/run/systemd/resolve/stub-resolv.conf");
	CHECK_STREQ(resolv_conf_source(RESOLV_CONF_BIND_HOST), "/etc/resolv.conf");
	CHECK(!resolv_conf_source(RESOLV_CONF_AUTO));
}

static void test_timezone(void)
{
	CHECK(timezone_mode_from_string("auto") == TIMEZONE_AUTO);
	CHECK(timezone_mode_from_string("symlink") == TIMEZONE_SYMLINK);
	CHECK(timezone_mode_from_string("delete") == TIMEZONE_DELETE);
	CHECK(timezone_mode_from_string("yes") == -EINVAL);
	CHECK_STREQ(timezone_from_path("/usr/share/zoneinfo/Europe/Berlin"), "Europe/Berlin");
	CHECK_STREQ(timezone_from_path("../usr/share/zoneinfo/Etc/UTC"), "Etc/UTC");
	CHECK(!timezone_from_path("/usr/share/zoneinfo/"));
	CHECK(!timezone_from_path("/usr/share/zoneinfo/../../../etc/shadow"));
	CHECK(!timezone_from_path("/etc/zone"));
}

static void test_overlay(void)
{
	struct overlay_spec o;
	const char *why = NULL;
	CHECK(overlay_spec_parse("/l1:/l2:/up:/dst", false, &o, &why) == 0);
	CHECK(strv_length(o.lower) == 2);
	CHECK_STREQ(o.lower[0], "/l1");
	CHECK_STREQ(o.lower[1], "/l2");
	CHECK_STREQ(o.upper, "/up");
	CHECK_STREQ(o.dest, "/dst");
	CHECK(!o.read_only);
	overlay_spec_done(&o);
	/* Two paths: LOWER:UPPER, DEST is UPPER without its '+'. */
	CHECK(overlay_spec_parse("/low:+/srv/up", false, &o, &why) == 0);
	CHECK(strv_length(o.lower) == 1);
	CHECK_STREQ(o.upper, "+/srv/up");
	CHECK_STREQ(o.dest, "/srv/up");
	overlay_spec_done(&o);
	/* An empty UPPER: a tmpfs. */
	CHECK(overlay_spec_parse("+/a::/b", false, &o, &why) == 0);
	CHECK(!o.upper);
	CHECK_STREQ(o.lower[0], "+/a");
	CHECK_STREQ(o.dest, "/b");
	overlay_spec_done(&o);
	/* Read-only: every path but DEST is a layer, the last one on top. */
	CHECK(overlay_spec_parse("/a:/b:/c", true, &o, &why) == 0);
	CHECK(strv_length(o.lower) == 2 && !o.upper && o.read_only);
	CHECK_STREQ(o.lower[1], "/b");
	CHECK_STREQ(o.dest, "/c");
	overlay_spec_done(&o);
	CHECK(overlay_spec_parse("/a:/b", true, &o, &why) == 0);
	CHECK(strv_length(o.lower) == 2);
	CHECK_STREQ(o.dest, "/b");
	overlay_spec_done(&o);
	/* "\\:" is a colon in a path (the layers are named by fd, never by this path). */
	CHECK(overlay_spec_parse("/a\\:x:/b", false, &o, &why) == 0);
	CHECK_STREQ(o.lower[0], "/a:x");
	CHECK_STREQ(o.dest, "/b");
	overlay_spec_done(&o);
}

static void test_overlay_errors(void)
{
	static const struct {
		const char *s;
		bool ro;
		// clang-format off
	} bad[] = {
		{ "", false },        { "/a", false },      { "relative:/b", false }, { "/a:relative", false },
		{ "/a::", false },    { "/a:", false },     { ":/b", false },         { "/a:/b:rel", false },
		{ "/a/../b:/c:/d", false }, { "/a:/b/./c", false }, { "/a::/c", true }, { "/a", true },
		{ "+rel:/b", false }, { "/a:/b:+/c", false },
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct overlay_spec o = { 0 };
		const char *why = NULL;
		int r = overlay_spec_parse(bad[i].s, bad[i].ro, &o, &why);
		if (r != -EINVAL || !why)
			printf("# accepted bad overlay '%s'\n", bad[i].s);
		CHECK(r == -EINVAL && why);
		CHECK(!o.lower && !o.upper && !o.dest);
	}
}

static void test_uuid(void)
{
	char u[37];
	CHECK(uuid_parse("0123456789ABCDEF0123456789abcdef", u) == 0);
	CHECK_STREQ(u, "01234567-89ab-cdef-0123-456789abcdef");
	CHECK(uuid_parse("01234567-89AB-cdef-0123-456789abcdef", u) == 0);
	CHECK_STREQ(u, "01234567-89ab-cdef-0123-456789abcdef");
	CHECK(uuid_parse("00000000000000000000000000000000", u) == -EDOM);
	CHECK(uuid_parse("00000000-0000-0000-0000-000000000000", u) == -EDOM);
	// clang-format off
	static const char *const bad[] = {
		"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefa",
		"0123456789abcdef0123456789abcdeg", "01234567-89ab-cdef-0123_456789abcdef",
		"0123456-789ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123-456789abcde-",
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(uuid_parse(bad[i], u) == -EINVAL);
}

int main(void)
{
	RUN(test_resolv_conf_modes);
	RUN(test_timezone);
	RUN(test_bind_src_only);
	RUN(test_bind_temporary);
	RUN(test_bind_src_dst_opts);
	RUN(test_bind_nspawn_forms);
	RUN(test_bind_errors);
	RUN(test_tmpfs);
	RUN(test_overlay);
	RUN(test_overlay_errors);
	RUN(test_signals);
	RUN(test_env);
	RUN(test_uuid);
	TAP_END();
}
