/* libFuzzer target: a .nspawn file applied through every option table of `hako start` must never
 * crash or leak, whatever the keys and values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "container/config.h"
#include "container/isolation.h"
#include "container/options.h"
#include "settings/nspawn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct opt_group groups[] = {
		{ NULL, run_options, run_options_n },
		{ NULL, run_options_isolation, run_options_isolation_n },
		{ NULL, run_net_options, run_net_options_n },
	};
	log_set_quiet(true);
	char *text = fuzz_string(data, size);
	if (text) {
		struct run_config cfg = { 0 };
		(void)nspawn_apply_string(text, "fuzz.nspawn", size % 2, groups, ELEMENTSOF(groups), &cfg,
					  NULL);
		run_config_free(&cfg);
	}
	free(text);
	return 0;
}
