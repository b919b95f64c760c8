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

/* Exec.Parameters= has no option: the arguments to init (or the command) come after them. With
 * --settings=override the file's replace the command line's, as in nspawn. */
static int set_parameters(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	if (cfg->command && cfg->settings != SETTINGS_OVERRIDE)
		return 0; /* given on the command line */
	strv_free(cfg->command);
	cfg->command = NULL;
	return words_split(value, &cfg->command, why);
}

// clang-format off
static const struct opt file_only_options[] = {
	{ "parameters", 0, OPT_REQUIRED, "ARGS", "", set_parameters, 0, "Exec.Parameters" },
};
// clang-format on

#define MAX_GROUPS 8

/* NAME.nspawn as it applies: its path, whether it is trusted, and the option groups its keys are
 * looked up in (the caller's and the file's own). */
struct settings_file {
	char *path; /* NULL: no file applies */
	bool trusted;
	struct opt_group all[MAX_GROUPS];
	size_t n_all;
};

static void settings_file_done(struct settings_file *f)
{
	free(f->path);
}

/* 1 and *f filled in when a file applies, 0 when none does. */
static int find_file(const struct run_config *cfg, const char *name, const struct opt_group *groups,
		     size_t n_groups, struct settings_file *f)
{
	if (cfg->settings == SETTINGS_NO || !cfg->directory)
		return 0;
	if (n_groups + 2 > MAX_GROUPS)
		return log_errno(-E2BIG, "too many option groups");
	memcpy(f->all, groups, n_groups * sizeof(*groups));
	f->all[n_groups] = (struct opt_group)OPT_GROUP(NULL, file_only_options);
	f->all[n_groups + 1] = (struct opt_group){ NULL, rlimit_settings_options, rlimit_settings_options_n };
	f->n_all = n_groups + 2;
	_cleanup_free_ char *dircopy = strdup(cfg->directory), *path = NULL;
	int r = dircopy ? nspawn_find(name, dirname(dircopy), &path, &f->trusted) : -ENOMEM;
	if (r < 0)
		return log_errno(r, "cannot look for %s.nspawn", name);
	if (r == 0)
		return 0;
	/* systemd-nspawn(1): with trusted, "regardless of being found in /etc/systemd/nspawn/,
	 * /run/systemd/nspawn/ or next to the image file or container root directory, all settings
	 * will take effect": the caller vouches for the file beside the image. */
	if (cfg->settings == SETTINGS_TRUSTED)
		f->trusted = true;
	f->path = TAKE_PTR(path);
	return 1;
}

int settings_apply(struct run_config *cfg, const char *name, const struct opt_group *groups, size_t n_groups,
		   const struct opts_seen *seen)
{
	_cleanup_(settings_file_done) struct settings_file f = { 0 };
	int r = find_file(cfg, name, groups, n_groups, &f);
	if (r <= 0)
		return r;
	log_debug("settings from %s%s", f.path, f.trusted ? "" : " (untrusted)");
	return nspawn_apply_file(f.path, f.trusted, f.all, f.n_all, cfg, seen);
}

int settings_override_keys(const struct run_config *cfg, const char *name, const struct opt_group *groups,
			   size_t n_groups, struct opts_seen *ret)
{
	*ret = (struct opts_seen){ 0 };
	if (cfg->settings != SETTINGS_OVERRIDE)
		return 0;
	_cleanup_(settings_file_done) struct settings_file f = { 0 };
	int r = find_file(cfg, name, groups, n_groups, &f);
	if (r <= 0)
		return r;
	_cleanup_(run_config_free) struct run_config scratch = { .settings = SETTINGS_OVERRIDE };
	return nspawn_file_keys(f.path, f.trusted, f.all, f.n_all, &scratch, ret);
}

int settings_reparse_for_override(const char *name, const struct opt_group *groups, size_t n_groups, int argc,
				  char **argv, settings_parse_fn parse, struct run_config *cfg,
				  struct opts_seen *seen)
{
	struct opts_seen skip;
	int r = settings_override_keys(cfg, name, groups, n_groups, &skip);
	if (r < 0 || cfg->settings != SETTINGS_OVERRIDE)
		return r;
	_cleanup_(run_config_free) struct run_config again = { 0 };
	*seen = (struct opts_seen){ 0 };
	r = parse(name, groups, n_groups, argc, argv, &again, seen, &skip);
	if (r < 0)
		return r;
	if (!again.directory) {
		again.directory = TAKE_PTR(cfg->directory);
		again.read_only |= cfg->read_only;
	}
	run_config_free(cfg);
	*cfg = again;
	again = (struct run_config){ 0 };
	return 0;
}
