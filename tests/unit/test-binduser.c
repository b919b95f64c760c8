#include <errno.h>
#include <stdlib.h>

#include "container/binduser.h"
#include "tap.h"

/* Holes in the container's range: one line per bound id, the range around them kept whole. */
static void test_map_text(void)
{
	struct bound_user v[2] = {
		{ .host_uid = 4242, .host_gid = 4343, .id = 60514, .home_tree = -1 },
		{ .host_uid = 5000, .host_gid = 5001, .id = 60516, .home_tree = -1 },
	};
	struct bound_users b = { v, 1 };
	char *t = NULL;
	CHECK(binduser_map_text(&b, 1 << 20, 65536, 0, &t) == 0);
	CHECK_STREQ(t, "0 1048576 60514\n60514 4242 1\n60515 1109091 5021\n");
	free(t);
	t = NULL;
	b.n = 2;
	CHECK(binduser_map_text(&b, 1 << 20, 65536, 1, &t) == 0);
	CHECK_STREQ(t, "0 1048576 60514\n60514 4343 1\n60515 1109091 1\n60516 5001 1\n60517 1109093 5019\n");
	free(t);
	t = NULL;
	/* The host id inside the range (identity), or a range that ends below the bound ids. */
	CHECK(binduser_map_text(&b, 0, 65536, 0, &t) == -ERANGE && !t);
	CHECK(binduser_map_text(&b, 1 << 20, 60000, 0, &t) == -ERANGE && !t);
}

int main(void)
{
	RUN(test_map_text);
	TAP_END();
}
