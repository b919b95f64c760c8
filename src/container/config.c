#include "container/config.h"

#include <stdlib.h>

#include "base/util.h"
#include "container/specs.h"

void run_config_free(struct run_config *cfg)
{
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
	free(cfg->user);
	free(cfg->chdir);
	free(cfg->uuid);
	strv_free(cfg->iso.syscall_filter);
	net_config_free(&cfg->net);
	*cfg = (struct run_config){ 0 };
}
