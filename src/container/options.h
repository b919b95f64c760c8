/* hako run's option tables (also the keys of .nspawn settings files, via each row's `settings`),
 * and the checks run before anything is created. */
#pragma once
#include <stddef.h>

#include "base/opts.h"
#include "container/config.h"

extern const struct opt run_options[];
extern const size_t run_options_n;
extern const struct opt run_net_options[];
extern const size_t run_net_options_n;

/* Adds a bind mount (SRC[:DST[:OPTS]], as --bind= takes it) to cfg. */
int run_config_add_bind(struct run_config *cfg, const char *spec, bool read_only, const char **why);
