/* words_split(): systemd's rules for Exec-style values (systemd.nspawn(5) Parameters=). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/words.h"
#include "tap.h"

/* The words of s joined as "[w1][w2]...", or "error: WHY". */
static const char *split(const char *s)
{
	static char buf[256];
	char **w = NULL;
	const char *why = NULL;
	if (words_split(s, &w, &why) < 0) {
		snprintf(buf, sizeof(buf), "error: %s", why ? why : "?");
		return buf;
	}
	buf[0] = 0;
	for (char **p = w; *p; p++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "[%s]", *p);
	strv_free(w);
	return buf;
}

static void test_quotes(void)
{
	/* The example: shell-like quoting, not a split at every blank. */
	CHECK_STREQ(split("/argv.sh 'a b' \"c d\" e"), "[/argv.sh][a b][c d][e]");
	CHECK_STREQ(split("  lead  and\ttrail  "), "[lead][and][trail]");
	CHECK_STREQ(split("a'b c'd \"x\"y"), "[ab cd][xy]");
	CHECK_STREQ(split("'' \"\""), "[][]");
	CHECK_STREQ(split("'no \\n escape'"), "[no \\n escape]");
	CHECK_STREQ(split(""), "");
}

static void test_escapes(void)
{
	CHECK_STREQ(split("a\\sb \\\"q\\\" \\x41\\101 \\s"), "[a b][\"q\"][AA][ ]");
	CHECK_STREQ(split("\"tab\\tin\""), "[tab\tin]");
	CHECK_STREQ(split("'open"), "error: a single quote is not closed");
	CHECK_STREQ(split("\"open"), "error: a double quote is not closed");
	CHECK_STREQ(split("end\\"), "error: a backslash ends the value");
	CHECK(strncmp(split("\\q"), "error: unknown escape", 21) == 0);
	CHECK(strncmp(split("\\x00"), "error: unknown escape", 21) == 0);
}

int main(void)
{
	RUN(test_quotes);
	RUN(test_escapes);
	TAP_END();
}
