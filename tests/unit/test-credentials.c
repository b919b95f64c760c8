/* --set-credential=/--load-credential= parsing: nspawn's IDs, escapes, duplicates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "container/credentials.h"
#include "tap.h"

static void test_set(void)
{
	struct credentials c = { 0 };
	const char *why = NULL;
	CHECK(credential_set(&c, "a:one\\ntwo\\x00three", &why) == 0);
	CHECK(c.n == 1);
	CHECK_STREQ(c.items[0].id, "a");
	CHECK(c.items[0].size == 13 && memcmp(c.items[0].data, "one\ntwo\0three", 13) == 0);
	CHECK(credential_set(&c, "b:with:colons", &why) == 0);
	CHECK(c.n == 2 && streq(c.items[1].data, "with:colons"));
	CHECK(credential_set(&c, "empty:", &why) == 0 && c.items[2].size == 0);
	CHECK(credential_set(&c, "a:again", &why) == -EINVAL);
	CHECK_STREQ(why, "a credential of this ID is given already");
	CHECK(credential_set(&c, "bad:\\q", &why) == -EINVAL);
	CHECK(c.n == 3);
	credentials_done(&c);
	CHECK(c.n == 0 && !c.items);
}

static void test_ids(void)
{
	char long_id[258];
	memset(long_id, 'a', 256);
	long_id[256] = 0;
	CHECK(credential_id_valid("passwd.plaintext-password.root"));
	CHECK(!credential_id_valid(""));
	CHECK(!credential_id_valid("."));
	CHECK(!credential_id_valid(".."));
	CHECK(!credential_id_valid("a/b"));
	CHECK(!credential_id_valid("a\tb"));
	CHECK(!credential_id_valid(long_id));
	long_id[255] = 0;
	CHECK(credential_id_valid(long_id));
	struct credentials c = { 0 };
	const char *why = NULL;
	CHECK(credential_set(&c, "nocolon", &why) == -EINVAL);
	CHECK(credential_set(&c, ":x", &why) == -EINVAL);
	CHECK(credential_load(&c, "k:relative", &why) == -EINVAL);
	CHECK(credential_load(&c, "k:/nonexistent/file", &why) == -EINVAL);
	CHECK(c.n == 0);
}

int main(void)
{
	unsetenv("CREDENTIALS_DIRECTORY");
	RUN(test_set);
	RUN(test_ids);
	TAP_END();
}
