#include <stdio.h>
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
	CHECK(strncmp(a, "ve-a-ve", 7) == 0);
	CHECK(ifname_valid(a));
	CHECK(ifname_shortened("ve-", "a-very-long-machine-name"));
	CHECK(!ifname_shortened("ve-", "twelve-chars"));
	/* Issue 18.9: names that share a head differ in the hash. Before (16 bits), webserver-498
	 * and webserver-784 (and three more pairs of these) both were vb-webserveda0e. */
	char names[400][IFNAMSIZ];
	for (int i = 0; i < 400; i++) {
		char machine[32];
		snprintf(machine, sizeof(machine), "webserver-%d", i + 400);
		ifname_from(names[i], "vb-", machine);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(names[i], names[j]) != 0);
	}
	CHECK(!ifname_valid("has/slash"));
	CHECK(!ifname_valid("0123456789abcdef"));
}

int main(void)
{
	RUN(test_machine_names);
	RUN(test_ifname_shortening);
	TAP_END();
}
