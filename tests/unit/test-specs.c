#include <errno.h>
#include <signal.h>
#include <stdlib.h>

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

static void test_bind_errors(void)
{
	static const char *const bad[] = {
		"", "relative", "/a:relative", "/a:/b:bogus", "/a:/b:rbind:x", "/a/../etc",
		"/a:/b/./c", ":/b", "/a:/b:rbind,nope",
	};
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

static void test_uuid(void)
{
	char u[37];
	CHECK(uuid_parse("0123456789ABCDEF0123456789abcdef", u) == 0);
	CHECK_STREQ(u, "01234567-89ab-cdef-0123-456789abcdef");
	CHECK(uuid_parse("01234567-89AB-cdef-0123-456789abcdef", u) == 0);
	CHECK_STREQ(u, "01234567-89ab-cdef-0123-456789abcdef");
	CHECK(uuid_parse("00000000000000000000000000000000", u) == -EDOM);
	CHECK(uuid_parse("00000000-0000-0000-0000-000000000000", u) == -EDOM);
	static const char *const bad[] = {
		"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefa",
		"0123456789abcdef0123456789abcdeg", "01234567-89ab-cdef-0123_456789abcdef",
		"0123456-789ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123-456789abcde-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(uuid_parse(bad[i], u) == -EINVAL);
}

int main(void)
{
	RUN(test_bind_src_only);
	RUN(test_bind_src_dst_opts);
	RUN(test_bind_errors);
	RUN(test_tmpfs);
	RUN(test_signals);
	RUN(test_env);
	RUN(test_uuid);
	TAP_END();
}
