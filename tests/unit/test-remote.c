#include <string.h>

#include "lab/remote.h"
#include "tap.h"

static const char *why(const char *err, int status, bool timed_out, unsigned deadline_s, char *buf,
		       size_t size)
{
	struct lab_remote r = { .pid = 1, .status = status, .timed_out = timed_out, .err = (char *)err };
	return lab_remote_why(&r, deadline_s, buf, size);
}

/* What ssh or the remote hako said, as one line of hako's. */
static void test_why(void)
{
	char buf[320];
	/* ssh ends its own messages with "\r\n": no '\r' in hako's line. */
	CHECK_STREQ(why("ssh: connect to host 192.0.2.3 port 22: Connection refused\r\n", 255, false, 0, buf,
			sizeof(buf)),
		    "unreachable: ssh: connect to host 192.0.2.3 port 22: Connection refused");
	CHECK_STREQ(why("Warning: x\r\nConnection timed out during banner exchange\r\n\r\n", 255, false, 0,
			buf, sizeof(buf)),
		    "unreachable: Connection timed out during banner exchange");
	CHECK_STREQ(why("", 255, false, 0, buf, sizeof(buf)), "unreachable: ssh failed");
	CHECK_STREQ(why("", -1, true, 4, buf, sizeof(buf)), "unreachable: no answer in 4 s");
	/* The remote hako's last line, without its prefix. */
	CHECK_STREQ(why("hako: one\nhako: no lab 'x' (see hako lab list)\n", 125, false, 0, buf, sizeof(buf)),
		    "no lab 'x' (see hako lab list)");
	CHECK_STREQ(why("", 1, false, 0, buf, sizeof(buf)), "failed");
	/* Cut to the buffer, never past it. */
	char small[8];
	CHECK_STREQ(why("hako: a long line\n", 1, false, 0, small, sizeof(small)), "a long ");
}

int main(void)
{
	RUN(test_why);
	TAP_END();
}
