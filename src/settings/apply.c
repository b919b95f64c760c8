#include "settings/apply.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "base/words.h"
#include "container/rlimit.h"
#include "settings/nspawn.h"

/* Exec.Parameters= has no option: the arguments to init (or the command) come after them. */
static int set_parameters(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	if (cfg->command)
		return 0; /* given on the command line */
	return words_split(value, &cfg->command, why);
}

static const struct opt file_only_options[] = {
	{ "parameters", 0, OPT_REQUIRED, "ARGS", "", set_parameters, 0, "Exec.Parameters" },
};

#define MAX_GROUPS 8

int settings_apply(struct run_config *cfg, const char *name, const struct opt_group *groups,
		   size_t n_groups, const struct opts_seen *seen)
{
	if (cfg->settings == SETTINGS_NO || !cfg->directory)
		return 0;
	if (n_groups + 2 > MAX_GROUPS)
		return log_errno(-E2BIG, "too many option groups");
	struct opt_group all[MAX_GROUPS];
	memcpy(all, groups, n_groups * sizeof(*groups));
	all[n_groups] = (struct opt_group)OPT_GROUP(NULL, file_only_options);
	all[n_groups + 1] = (struct opt_group){ NULL, rlimit_settings_options, rlimit_settings_options_n };
	_cleanup_free_ char *dircopy = strdup(cfg->directory), *path = NULL;
	bool trusted;
	int r = dircopy ? nspawn_find(name, dirname(dircopy), &path, &trusted) : -ENOMEM;
	if (r < 0)
		return log_errno(r, "cannot look for %s.nspawn", name);
	if (r == 0)
		return 0;
	if (!trusted && cfg->settings == SETTINGS_TRUSTED) {
		log_debug("settings: %s ignored (--settings=trusted)", path);
		return 0;
	}
	log_debug("settings from %s%s", path, trusted ? "" : " (untrusted)");
	return nspawn_apply_file(path, trusted, all, n_groups + 2, cfg, seen);
}
