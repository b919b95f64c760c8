#include "container/template.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/btrfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/copy.h"
#include "base/log.h"
#include "base/util.h"

int template_check(const struct run_config *cfg)
{
	if (!cfg->template_dir)
		return 0;
	/* As nspawn: an ephemeral container never writes a tree, so there is none to make. */
	if (cfg->ephemeral) {
		log_error("--ephemeral and --template= may not be combined");
		return -EINVAL;
	}
	if (!cfg->directory) {
		log_error("--template= needs -D DIR, the directory to make from it");
		return -EINVAL;
	}
	struct stat st;
	if (stat(cfg->template_dir, &st) < 0)
		return log_errno(-errno, "cannot use template %s", cfg->template_dir);
	if (!S_ISDIR(st.st_mode)) {
		log_error("template %s is not a directory", cfg->template_dir);
		return -ENOTDIR;
	}
	return 0;
}

/* BTRFS_IOC_SNAP_CREATE of the template as name in parent: works only where the template is a
 * subvolume on the parent's btrfs. */
static int snapshot(int template, int parent, const char *name)
{
	struct btrfs_ioctl_vol_args args = { .fd = template };
	if (strlen(name) >= sizeof(args.name))
		return -ENAMETOOLONG;
	strcpy(args.name, name);
	return ioctl(parent, BTRFS_IOC_SNAP_CREATE, &args) < 0 ? -errno : 0;
}

static int copy_and_rename(int template, int parent, const char *tmp, const char *name)
{
	_cleanup_close_ int d = openat(parent, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -errno;
	int r = copy_tree_into(template, d, false);
	if (r < 0)
		return r;
	if (renameat2(parent, tmp, parent, name, RENAME_NOREPLACE) < 0)
		return -errno;
	return 0;
}

/* A copy in a hidden sibling, renamed to name once whole. */
static int copy_in(int template, int parent, const char *parent_path, const char *name)
{
	_cleanup_free_ char *tmp = xasprintf(".#%s.template-%d", name, (int)getpid());
	_cleanup_free_ char *tmp_path = xasprintf("%s/%s", parent_path, tmp ? tmp : "");
	if (!tmp || !tmp_path)
		return -ENOMEM;
	if (mkdirat(parent, tmp, 0700) < 0)
		return -errno;
	int r = copy_and_rename(template, parent, tmp, name);
	if (r < 0)
		(void)rm_rf(tmp_path);
	return r;
}

int template_apply(const struct run_config *cfg)
{
	struct stat st;
	if (!cfg->template_dir || lstat(cfg->directory, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return log_errno(-errno, "cannot use directory %s", cfg->directory);
	_cleanup_free_ char *a = strdup(cfg->directory), *b = strdup(cfg->directory);
	if (!a || !b)
		return log_errno(-ENOMEM, "out of memory");
	const char *parent_path = dirname(a), *name = basename(b);
	_cleanup_close_ int parent = open(parent_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return log_errno(-errno, "cannot open %s to make %s in", parent_path, name);
	_cleanup_close_ int template = open(cfg->template_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (template <0)
		return log_errno(-errno, "cannot open template %s", cfg->template_dir);
	if (snapshot(template, parent, name) == 0)
		return 0;
	int r = copy_in(template, parent, parent_path, name);
	if (r < 0)
		return log_errno(r, "cannot copy template %s to %s", cfg->template_dir, cfg->directory);
	return 0;
}
