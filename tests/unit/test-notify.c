#include "machine/notify.h"
#include "tap.h"

#define SAYS(text) notify_says_ready(text, sizeof(text) - 1)

static void test_ready(void)
{
	CHECK(SAYS("READY=1"));
	CHECK(SAYS("READY=1\n"));
	/* What systemd sends when it is up. */
	CHECK(SAYS("READY=1\nSTATUS=Startup finished in 1.234s.\nX_SYSTEMD_UNIT_ACTIVE=default.target"));
	CHECK(SAYS("STATUS=almost\nREADY=1"));
}

static void test_not_ready(void)
{
	CHECK(!SAYS(""));
	CHECK(!SAYS("\n\n"));
	CHECK(!SAYS("READY=0"));
	CHECK(!SAYS("READY=10"));
	CHECK(!SAYS("XREADY=1"));
	CHECK(!SAYS(" READY=1"));
	CHECK(!SAYS("STATUS=READY=1"));
	CHECK(!SAYS("READY=")); /* a prefix of it, at the very end */
	/* A NUL ends the message, as it ends sd_notify's string. */
	CHECK(!SAYS("STATUS=x\0\nREADY=1"));
}

int main(void)
{
	RUN(test_ready);
	RUN(test_not_ready);
	TAP_END();
}
