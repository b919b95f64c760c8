/* libFuzzer target: the supervisor parses whatever a client sends on its control socket. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "machine/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req, again;
	char buf[CONTROL_MSG_MAX];
	if (control_parse((const char *)data, size, &req) == 0) {
		if (control_format(&req, buf) < 0 || control_parse(buf, strlen(buf), &again) < 0 ||
		    again.verb != req.verb || again.arg != req.arg)
			abort();
	}
	return 0;
}
