#include "container/config.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/specs.h"

#define TEMP_BIND_PREFIX "hako-bind-"

int run_config_make_temp_binds(struct run_config *cfg)
{
	const char *dir = secure_getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		dir = "/var/tmp";
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		struct bind_spec *b = &cfg->binds[i];
		if (!b->temporary || b->source)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/" TEMP_BIND_PREFIX "XXXXXX", dir);
		if (!path)
			return log_errno(-ENOMEM, "out of memory");
		if (!mkdtemp(path))
			return log_errno(-errno, "cannot make a temporary directory in %s for --bind=:%s",
					 dir, b->dest);
		/* Searchable as a directory nspawn makes; -U gives it to the container's root. */
		if (chmod(path, 0755) < 0) {
			int r = -errno;
			(void)rmdir(path);
			return log_errno(r, "cannot set the mode of %s", path);
		}
		b->source = TAKE_PTR(path);
	}
	return 0;
}

void run_config_remove_temp_binds(struct run_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_binds; i++) {
		struct bind_spec *b = &cfg->binds[i];
		if (!b->temporary || !b->source)
			continue;
		int r = rm_rf(b->source);
		if (r < 0 && r != -ENOENT)
			log_errno(r, "cannot remove the temporary directory %s", b->source);
		free(b->source);
		b->source = NULL;
	}
}

bool temp_bind_path_valid(const char *path)
{
	const char *base = strrchr(path, '/');
	return path[0] == '/' && base && startswith(base + 1, TEMP_BIND_PREFIX) &&
	       strlen(base + 1) == strlen(TEMP_BIND_PREFIX) + 6;
}

void run_config_free(struct run_config *cfg)
{
	run_config_remove_temp_binds(cfg);
	free(cfg->directory);
	free(cfg->machine);
	free(cfg->hostname);
	strv_free(cfg->command);
	for (unsigned i = 0; i < cfg->n_binds; i++)
		bind_spec_done(&cfg->binds[i]);
	free(cfg->binds);
	for (unsigned i = 0; i < cfg->n_tmpfs; i++)
		tmpfs_spec_done(&cfg->tmpfs[i]);
	free(cfg->tmpfs);
	for (unsigned i = 0; i < cfg->n_overlays; i++)
		overlay_spec_done(&cfg->overlays[i]);
	free(cfg->overlays);
	strv_free(cfg->setenv);
	strv_free(cfg->inaccessible);
	strv_free(cfg->bind_users);
	credentials_done(&cfg->credentials);
	free(cfg->template_dir);
	free(cfg->pivot_root_new);
	free(cfg->pivot_root_old);
	free(cfg->user);
	free(cfg->chdir);
	free(cfg->uuid);
	strv_free(cfg->iso.syscall_filter);
	net_config_free(&cfg->net);
	*cfg = (struct run_config){ 0 };
}
