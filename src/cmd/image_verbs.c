/* machinectl's image verbs beyond hako image list/clone/rename/remove: read-only, clean,
 * set-limit, image-status and show-image; and the top-level names machinectl gives the image
 * commands (list-images, clone, rename, remove), which run hako image's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "machine/machine.h"

/* The image directory NAME, opened (O_RDONLY: FS_IOC_GETFLAGS needs a real fd); logs why not. */
static int open_image(const char *name)
{
	if (machine_check_name("image", name) < 0)
		return -EINVAL;
	_cleanup_free_ char *path = hako_path(HAKO_DIR_IMAGES, "%s", name);
	if (!path)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		log_error("no image %s in %s (see hako image list)", name, hako_dir(HAKO_DIR_IMAGES));
	return fd < 0 ? -ENOENT : fd;
}

static bool image_running(const char *name)
{
	struct machine_state st = { 0 };
	bool running = machine_get(name, &st) > 0;
	machine_state_done(&st);
	return running;
}

/* ---- read-only ---- */

int image_read_only(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		log_error("usage: hako read-only NAME [BOOL]");
		return EXIT_HAKO_USAGE;
	}
	int on = argc == 3 ? parse_boolean(argv[2]) : 1;
	if (on < 0) {
		log_error("invalid read-only value %s: expected a boolean (yes, no...)", argv[2]);
		return EXIT_HAKO_USAGE;
	}
	_cleanup_close_ int fd = open_image(argv[1]);
	if (fd < 0)
		return EXIT_HAKO_USAGE;
	int r = fd_set_immutable(fd, on);
	if (r < 0) {
		log_errno(r, "cannot mark image %s %s", argv[1], on ? "read-only" : "writable");
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* ---- clean ---- */

/* The images clean removes: hidden ones (".NAME"), with all every one not running; never a
 * read-only one (as machinectl: it is kept on purpose). */
static bool to_clean(int dir, const char *name, bool all)
{
	if (streq(name, ".") || streq(name, ".."))
		return false;
	if (!all && name[0] != '.')
		return false;
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool ro = false;
	if (fd < 0)
		return false;
	if (fd_get_immutable(fd, &ro) == 0 && ro)
		return false;
	return name[0] == '.' || (machine_name_valid(name) && !image_running(name));
}

static int remove_image(const char *name)
{
	_cleanup_free_ char *path = hako_path(HAKO_DIR_IMAGES, "%s", name),
			    *settings = hako_path(HAKO_DIR_IMAGES, "%s.nspawn", name);
	if (!path || !settings)
		return -ENOMEM;
	int r = rm_rf(path);
	if (r < 0)
		return r;
	if (unlink(settings) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int image_clean(int argc, char **argv)
{
	bool all = argc == 2 && (streq(argv[1], "--all") || streq(argv[1], "-a"));
	if (argc > 2 || (argc == 2 && !all)) {
		log_error("usage: hako clean [--all]");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_closedir_ DIR *d = opendir(hako_dir(HAKO_DIR_IMAGES));
	if (!d)
		return errno == ENOENT ? 0
				       : (log_errno(-errno, "cannot read %s", hako_dir(HAKO_DIR_IMAGES)),
					  EXIT_HAKO_FAILED);
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && to_clean(dirfd(d), de->d_name, all) &&
		    strv_push(&names, de->d_name) < 0)
			return EXIT_HAKO_FAILED;
	strv_sort(names);
	for (char **n = names; n && *n; n++) {
		int r = remove_image(*n);
		if (r < 0) {
			log_errno(r, "cannot remove image %s", *n);
			return EXIT_HAKO_FAILED;
		}
		printf("Removed image '%s'.\n", *n);
	}
	return 0;
}

/* ---- set-limit ---- */

/* machined's limit is a btrfs quota group's: quotas on, then the subvolume's own group capped. */
static int btrfs_set_limit(int fd, uint64_t bytes)
{
	struct btrfs_ioctl_quota_ctl_args ctl = { .cmd = BTRFS_QUOTA_CTL_ENABLE };
	if (ioctl(fd, BTRFS_IOC_QUOTA_CTL, &ctl) < 0 && errno != EEXIST)
		return -errno;
	struct btrfs_ioctl_qgroup_limit_args args = {
		.lim = { .flags = BTRFS_QGROUP_LIMIT_MAX_RFER, .max_rfer = bytes },
	};
	return ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &args) < 0 ? -errno : 0;
}

int image_set_limit(int argc, char **argv)
{
	uint64_t bytes;
	if (argc != 3) {
		log_error("usage: hako set-limit NAME BYTES");
		return EXIT_HAKO_USAGE;
	}
	if (streq(argv[2], "-") || streq(argv[2], "infinity"))
		bytes = UINT64_MAX;
	else if (parse_size(argv[2], &bytes) < 0) {
		log_error("invalid size %s: expected bytes with an optional K, M, G or T, or infinity",
			  argv[2]);
		return EXIT_HAKO_USAGE;
	}
	_cleanup_close_ int fd = open_image(argv[1]);
	if (fd < 0)
		return EXIT_HAKO_USAGE;
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0)
		return log_errno(-errno, "cannot inspect the file system of image %s", argv[1]),
		       EXIT_HAKO_FAILED;
	if (fstat(fd, &st) < 0)
		return log_errno(-errno, "cannot inspect image %s", argv[1]), EXIT_HAKO_FAILED;
	/* A subvolume's root directory is inode 256 (BTRFS_FIRST_FREE_OBJECTID). */
	if (sfs.f_type != BTRFS_SUPER_MAGIC || st.st_ino != 256) {
		log_error("cannot limit image %s: limits are btrfs quotas, and it is not a btrfs subvolume",
			  argv[1]);
		return EXIT_HAKO_FAILED;
	}
	int r = btrfs_set_limit(fd, bytes);
	if (r < 0) {
		log_errno(r, "cannot set the quota of image %s", argv[1]);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* ---- image-status, show-image ---- */

struct image_info {
	char *path;
	bool read_only;
	char created[64], modified[64];
};

static void format_time(const struct timespec *t, char *buf, size_t size)
{
	struct tm tm;
	if (t->tv_sec == 0) {
		snprintf(buf, size, "n/a");
		return;
	}
	strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", localtime_r(&t->tv_sec, &tm));
}

static int image_info_load(const char *name, struct image_info *in)
{
	_cleanup_close_ int fd = open_image(name);
	if (fd < 0)
		return fd;
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &sx) < 0)
		return -errno;
	struct timespec born = { (sx.stx_mask & STATX_BTIME) ? sx.stx_btime.tv_sec : 0, 0 },
			mod = { sx.stx_mtime.tv_sec, 0 };
	format_time(&born, in->created, sizeof(in->created));
	format_time(&mod, in->modified, sizeof(in->modified));
	int r = fd_get_immutable(fd, &in->read_only);
	if (r < 0)
		return r;
	in->path = hako_path(HAKO_DIR_IMAGES, "%s", name);
	return in->path ? 0 : -ENOMEM;
}

static int image_describe(int argc, char **argv, bool status)
{
	if (argc < 2) {
		log_error("give one or more image names");
		return EXIT_HAKO_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		struct image_info in = { 0 };
		int r = image_info_load(argv[i], &in);
		if (r < 0) {
			if (r != -ENOENT && r != -EINVAL)
				log_errno(r, "cannot inspect image %s", argv[i]);
			free(in.path);
			return r == -ENOENT || r == -EINVAL ? EXIT_HAKO_USAGE : EXIT_HAKO_FAILED;
		}
		if (status)
			printf("%s%s\n%10s: directory\n%10s: %s\n%10s: %s\n%10s: %s\n%10s: %s\n",
			       i > 1 ? "\n" : "", argv[i], "Type", "Path", in.path, "RO",
			       in.read_only ? "read-only" : "writable", "Created", in.created, "Modified",
			       in.modified);
		else
			printf("%sName=%s\nPath=%s\nType=directory\nReadOnly=%s\nCreationTimestamp=%s\nModificationTimestamp=%s\n",
			       i > 1 ? "\n" : "", argv[i], in.path, in.read_only ? "yes" : "no", in.created,
			       in.modified);
		free(in.path);
	}
	return 0;
}

// clang-format off
int image_status(int argc, char **argv) { return image_describe(argc, argv, true); }
int image_show(int argc, char **argv) { return image_describe(argc, argv, false); }
// clang-format on

/* ---- machinectl's top-level names for image commands ---- */

/* hako VERB ARGS... runs hako image SUB ARGS... */
static const struct {
	const char *verb, *sub, *args, *summary;
	// clang-format off
} image_aliases[] = {
	{ "list-images", "list", "", "List the images (hako image list)" },
	{ "image-status", "status", "NAME...", "Show images' type, path, read-only flag and times" },
	{ "show-image", "show", "NAME...", "Show images' properties as NAME=VALUE lines" },
	{ "clone", "clone", "SRC DST", "Copy an image (hako image clone)" },
	{ "rename", "rename", "NAME NEW", "Rename an image and its .nspawn file (hako image rename)" },
	{ "remove", "remove", "NAME...", "Remove images and their .nspawn files (hako image remove)" },
	{ "read-only", "read-only", "NAME [BOOL]", "Mark an image read-only (immutable), or writable again with no" },
	{ "clean", "clean", "[--all]", "Remove the hidden images (.NAME); with --all every image not running" },
	{ "set-limit", "set-limit", "NAME BYTES", "Limit an image's size (a btrfs quota: other file systems have none)" },
};
// clang-format on

static int as_image(size_t k, int argc, char **argv)
{
	if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		printf("Usage: hako %s %s\n\n%s.\n", image_aliases[k].verb, image_aliases[k].args,
		       image_aliases[k].summary);
		return 0;
	}
	_cleanup_free_ char **args = calloc((size_t)argc + 2, sizeof(char *));
	if (!args)
		return EXIT_HAKO_FAILED;
	args[0] = (char *)"image";
	args[1] = (char *)image_aliases[k].sub;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	return cmd_image(argc + 1, args);
}

// clang-format off
int cmd_list_images(int argc, char **argv) { return as_image(0, argc, argv); }
int cmd_image_status(int argc, char **argv) { return as_image(1, argc, argv); }
int cmd_show_image(int argc, char **argv) { return as_image(2, argc, argv); }
int cmd_clone(int argc, char **argv) { return as_image(3, argc, argv); }
int cmd_rename(int argc, char **argv) { return as_image(4, argc, argv); }
int cmd_remove(int argc, char **argv) { return as_image(5, argc, argv); }
int cmd_read_only(int argc, char **argv) { return as_image(6, argc, argv); }
int cmd_clean(int argc, char **argv) { return as_image(7, argc, argv); }
int cmd_set_limit(int argc, char **argv) { return as_image(8, argc, argv); }
// clang-format on
