#include <string.h>

#include "base/names.h"
#include "tap.h"

static void test_machine_names(void)
{
	CHECK(machine_name_valid("m7"));
	CHECK(machine_name_valid("deb-12.test_a"));
	CHECK(!machine_name_valid(""));
	CHECK(!machine_name_valid("a/b"));
	CHECK(!machine_name_valid(".."));
	CHECK(!machine_name_valid("a..b"));
	CHECK(!machine_name_valid("-x"));
	CHECK(!machine_name_valid("with space"));
	char long_name[70];
	memset(long_name, 'a', 65);
	long_name[65] = 0;
	CHECK(!machine_name_valid(long_name));
	long_name[64] = 0;
	CHECK(machine_name_valid(long_name));
}

static void test_ifname_shortening(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];
	ifname_from(a, "ve-", "short");
	CHECK_STREQ(a, "ve-short");
	ifname_from(a, "ve-", "a-very-long-machine-name");
	ifname_from(b, "ve-", "a-very-long-machine-name");
	ifname_from(c, "ve-", "a-very-long-machine-nama");
	CHECK(strlen(a) == IFNAMSIZ - 1);
	CHECK_STREQ(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(strncmp(a, "ve-a-very-l", 11) == 0);
	CHECK(ifname_valid(a));
	CHECK(!ifname_valid("has/slash"));
	CHECK(!ifname_valid("0123456789abcdef"));
}

int main(void)
{
	RUN(test_machine_names);
	RUN(test_ifname_shortening);
	TAP_END();
}
