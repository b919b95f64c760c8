#include <stdlib.h>

#include "base/json.h"
#include "tap.h"

/* What json_string prints for s. */
static char *json_of(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	json_string(f, s);
	fclose(f);
	return text;
}

#define CHECK_JSON(in, want)              \
	do {                              \
		char *_out = json_of(in); \
		CHECK_STREQ(_out, want);  \
		free(_out);               \
	} while (0)

static void test_escaping(void)
{
	CHECK_JSON(NULL, "null");
	CHECK_JSON("", "\"\"");
	CHECK_JSON("plain name-1.2", "\"plain name-1.2\"");
	CHECK_JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
	CHECK_JSON("back\\slash", "\"back\\\\slash\"");
	CHECK_JSON("tab\tnl\nesc\x1b"
		   "del\x7f",
		   "\"tab\\u0009nl\\u000aesc\\u001bdel\\u007f\"");
}

static void test_utf8(void)
{
	/* Valid UTF-8 stays as it is: 2, 3 and 4 bytes. */
	CHECK_JSON("Debian GNU/Linux 12 (bookworm) \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7",
		   "\"Debian GNU/Linux 12 (bookworm) \xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7\"");
	/* What is not UTF-8 becomes U+FFFD, byte by byte: a lone continuation byte, Latin-1, a
	 * truncated sequence, an overlong '/', a surrogate, past U+10FFFF. */
	CHECK_JSON("a\x80z", "\"a\\ufffdz\"");
	CHECK_JSON("caf\xe9", "\"caf\\ufffd\"");
	CHECK_JSON("\xe2\x82", "\"\\ufffd\\ufffd\"");
	CHECK_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	CHECK_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_arrays_and_members(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char *v[] = { "10.0.0.2", "a\"b", NULL };
	json_strv(f, v);
	json_strv(f, NULL);
	json_member(f, "name", "x");
	fclose(f);
	CHECK_STREQ(text, "[\"10.0.0.2\",\"a\\\"b\"][],\"name\":\"x\"");
	free(text);
}

int main(void)
{
	RUN(test_escaping);
	RUN(test_utf8);
	RUN(test_arrays_and_members);
	TAP_END();
}
