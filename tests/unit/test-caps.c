#include <errno.h>
#include <linux/capability.h>

#include "container/caps.h"
#include "tap.h"

static void test_names(void)
{
	CHECK(cap_from_name("CAP_NET_ADMIN") == CAP_NET_ADMIN);
	CHECK(cap_from_name("net_admin") == CAP_NET_ADMIN);
	CHECK(cap_from_name("cap_sys_admin") == CAP_SYS_ADMIN);
	CHECK(cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
	CHECK(cap_from_name("CAP_NOPE") == -EINVAL);
	CHECK(cap_from_name("") == -EINVAL);
	CHECK(cap_from_name("CAP_") == -EINVAL);
	CHECK_STREQ(cap_to_name(CAP_MKNOD), "CAP_MKNOD");
	CHECK(cap_to_name(99) == NULL);
}

static void test_lists(void)
{
	uint64_t m = 0;
	bool all = false;
	char bad[64];
	CHECK(cap_parse_list("CAP_NET_ADMIN,sys_time", &m, &all, bad) == 0);
	CHECK(m == (CAP_MASK(CAP_NET_ADMIN) | CAP_MASK(CAP_SYS_TIME)) && !all);
	m = 0;
	CHECK(cap_parse_list("all", &m, &all, bad) == 0);
	CHECK(all && (m & CAP_MASK(CAP_SYS_ADMIN)) && (m & CAP_MASK(40)) && !(m & CAP_MASK(41)));
	m = 0;
	CHECK(cap_parse_list("CAP_CHOWN,CAP_BOGUS", &m, NULL, bad) == -EINVAL);
	CHECK_STREQ(bad, "CAP_BOGUS");
	CHECK(cap_parse_list("", &m, NULL, bad) == -EINVAL);
	CHECK(cap_parse_list("CAP_CHOWN,", &m, NULL, bad) == -EINVAL);
	CHECK(cap_parse_list(",CAP_CHOWN", &m, NULL, bad) == -EINVAL);
}

static void test_defaults(void)
{
	uint64_t cmd = caps_default(false, false), boot = caps_default(true, false);
	/* The command set must never contain these: each one is a way out of a container. */
	static const int never[] = { CAP_SYS_ADMIN,  CAP_NET_ADMIN, CAP_SYS_MODULE, CAP_SYS_RAWIO,
				     CAP_SYS_PTRACE, CAP_SYS_TIME,  CAP_MKNOD,      CAP_SYS_BOOT };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		CHECK(!(cmd & CAP_MASK(never[i])));
	CHECK(cmd & CAP_MASK(CAP_SETUID));
	CHECK(cmd & CAP_MASK(CAP_NET_BIND_SERVICE));
	CHECK(boot & CAP_MASK(CAP_SYS_ADMIN));
	CHECK(!(boot & CAP_MASK(CAP_SYS_MODULE)));
	CHECK(!(boot & CAP_MASK(CAP_NET_ADMIN)));
	CHECK(caps_default(true, true) & CAP_MASK(CAP_NET_ADMIN));
}

int main(void)
{
	RUN(test_names);
	RUN(test_lists);
	RUN(test_defaults);
	TAP_END();
}
