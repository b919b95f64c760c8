/* libFuzzer target: sd_notify datagrams as an init in a machine sends them (any bytes: the
 * guest is not trusted). Whatever it says, READY=1 is found only as one of its lines. */
#include "fuzz.h"
#include "machine/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	bool ready = notify_says_ready(msg, size);
	const char *nul = memchr(msg, '\0', size);
	size_t len = nul ? (size_t)(nul - msg) : size;
	/* The same answer from a plain scan: "READY=1" at the start or after a newline, then a
	 * newline or the end. */
	bool expect = false;
	for (size_t i = 0; i + 7 <= len && !expect; i++)
		expect = (i == 0 || msg[i - 1] == '\n') && memcmp(msg + i, "READY=1", 7) == 0 &&
			 (i + 7 == len || msg[i + 7] == '\n');
	if (ready != expect)
		abort();
	return 0;
}
