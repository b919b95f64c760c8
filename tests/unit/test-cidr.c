#include <arpa/inet.h>
#include <errno.h>

#include "net/cidr.h"
#include "tap.h"

static const char *roundtrip(const char *s, bool strict)
{
	static char buf[INET_PREFIX_STRLEN];
	struct inet_prefix p;
	if (inet_prefix_parse(s, strict, &p) < 0)
		return "error";
	return inet_prefix_str(&p, buf);
}

static void test_parse(void)
{
	CHECK_STREQ(roundtrip("10.0.0.0/24", true), "10.0.0.0/24");
	CHECK_STREQ(roundtrip("10.0.0.1", true), "10.0.0.1/32");
	CHECK_STREQ(roundtrip("10.0.0.1/24", false), "10.0.0.1/24");
	CHECK_STREQ(roundtrip("fd00:1::/64", true), "fd00:1::/64");
	CHECK_STREQ(roundtrip("0.0.0.0/0", true), "0.0.0.0/0");
	struct inet_prefix p;
	CHECK(inet_prefix_parse("10.0.0.1/24", true, &p) == -EADDRNOTAVAIL);
	CHECK(inet_prefix_parse("10.0.0.0/33", true, &p) == -ERANGE);
	CHECK(inet_prefix_parse("fd00::/129", true, &p) == -ERANGE);
	const char *bad[] = { "",
			      "/24",
			      "10.0.0.0/",
			      "10.0.0/24",
			      "10.0.0.0/+4",
			      "10.0.0.0/ 4",
			      "10.0.0.0/24/1",
			      "300.0.0.0/8",
			      "fd00::/-1",
			      "[fd00::]/64",
			      "x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(inet_prefix_parse(bad[i], false, &p) < 0);
	struct inet_addr a;
	CHECK(inet_addr_parse("1.2.3.4", &a) == 0 && a.family == AF_INET);
	CHECK(inet_addr_parse("::1", &a) == 0 && a.family == AF_INET6);
	CHECK(inet_addr_parse("1.2.3.4/8", &a) == -EINVAL);
}

static void test_contains_overlaps(void)
{
	struct inet_prefix a, b, c, v6;
	struct inet_addr x, y;
	inet_prefix_parse("10.88.0.0/16", true, &a);
	inet_prefix_parse("10.88.4.0/24", true, &b);
	inet_prefix_parse("10.89.0.0/16", true, &c);
	inet_prefix_parse("fd00::/8", true, &v6);
	inet_addr_parse("10.88.255.255", &x);
	inet_addr_parse("10.89.0.0", &y);
	CHECK(inet_prefix_contains(&a, &x));
	CHECK(!inet_prefix_contains(&a, &y));
	CHECK(inet_prefix_overlaps(&a, &b) && inet_prefix_overlaps(&b, &a));
	CHECK(!inet_prefix_overlaps(&a, &c));
	CHECK(!inet_prefix_overlaps(&a, &v6));
	inet_addr_parse("fdab::1", &x);
	CHECK(inet_prefix_contains(&v6, &x));
}

static void test_nth_offset(void)
{
	struct inet_prefix p;
	struct inet_addr a;
	char buf[INET_PREFIX_STRLEN];
	uint64_t off;
	inet_prefix_parse("10.0.0.0/23", true, &p);
	CHECK(inet_prefix_size(&p) == 512);
	CHECK(inet_prefix_nth(&p, 300, &a) == 0);
	CHECK_STREQ(inet_addr_str(&a, buf), "10.0.1.44");
	CHECK(inet_prefix_offset(&p, &a, &off) == 0 && off == 300);
	CHECK(inet_prefix_nth(&p, 512, &a) == -ERANGE);
	inet_prefix_parse("fd00:aa::/64", true, &p);
	CHECK(inet_prefix_size(&p) == UINT64_MAX);
	CHECK(inet_prefix_nth(&p, 0x1ff, &a) == 0);
	CHECK_STREQ(inet_addr_str(&a, buf), "fd00:aa::1ff");
	CHECK(inet_prefix_offset(&p, &a, &off) == 0 && off == 0x1ff);
	inet_prefix_parse("10.1.2.3/8", false, &p);
	inet_prefix_mask(&p);
	CHECK_STREQ(inet_prefix_str(&p, buf), "10.0.0.0/8");
}

int main(void)
{
	RUN(test_parse);
	RUN(test_contains_overlaps);
	RUN(test_nth_offset);
	TAP_END();
}
