/* libFuzzer target: os-release and state files must parse without crashing or leaking, and a
 * formatted state must parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "machine/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct machine_state s;
	if (text && machine_state_parse(text, &s) >= 0) {
		char *again = NULL;
		if (machine_state_format(&s, &again) >= 0) {
			struct machine_state t;
			if (machine_state_parse(again, &t) < 0 || strcmp(t.name, s.name) ||
			    strcmp(t.root, s.root))
				abort();
			machine_state_done(&t);
		}
		free(again);
		machine_state_done(&s);
	}
	free(text);
	return 0;
}
