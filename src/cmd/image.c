/* hako image list|clone|rename|remove|bootstrap: the trees in $HAKO_IMAGE_DIR (/var/lib/machines),
 * as machinectl's image commands, with no machined. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/copy.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/image.h"
#include "machine/machine.h"

/* ---- helpers ---- */

char *image_path(const char *name, const char *suffix)
{
	return hako_path(HAKO_DIR_IMAGES, "%s%s", name, suffix ? suffix : "");
}

int image_check_name(const char *name)
{
	return machine_check_name("image", name);
}

/* An image in use by a running machine may not be renamed, removed or overwritten. */
int image_check_not_running(const char *name)
{
	struct machine_state st;
	int r = machine_get(name, &st);
	if (r > 0) {
		machine_state_done(&st);
		log_error("machine %s is running (hako stop %s first)", name, name);
		return -EBUSY;
	}
	return 0;
}

int image_check_exists(const char *name, bool want)
{
	_cleanup_free_ char *p = image_path(name, NULL);
	struct stat st;
	bool exists = p && lstat(p, &st) == 0;
	if (exists == want)
		return 0;
	if (want)
		log_error("no image %s in %s (see hako image list)", name, hako_dir(HAKO_DIR_IMAGES));
	else
		log_error("image %s already exists", name);
	return want ? -ENOENT : -EEXIST;
}

/* The two operands of clone and rename (argc 3, else usage is the error): two valid names, an
 * image argv[1] and no image argv[2]. Each failure logged. */
static int check_src_dst(int argc, char **argv, const char *usage)
{
	if (argc != 3) {
		log_error("%s", usage);
		return -EINVAL;
	}
	const char *src = argv[1], *dst = argv[2];
	int r = image_check_name(src);
	if (r < 0)
		return r;
	r = image_check_name(dst);
	if (r < 0)
		return r;
	r = image_check_exists(src, true);
	if (r < 0)
		return r;
	return image_check_exists(dst, false);
}

/* ---- list ---- */

static int image_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		log_error("hako image list takes no arguments");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_strv_free_ char **names = NULL;
	int r = machine_image_names(&names);
	if (r < 0) {
		log_errno(r, "cannot list the images in %s", hako_dir(HAKO_DIR_IMAGES));
		return EXIT_HAKO_FAILED;
	}
	if (!names) {
		printf("No images.\n");
		return 0;
	}
	int w = 4;
	for (char **n = names; *n; n++)
		if ((int)strlen(*n) > w)
			w = (int)strlen(*n);
	printf("%-*s TYPE      RO  MODIFIED\n", w, "NAME");
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *p = image_path(*n, NULL);
		struct stat st;
		char when[64] = "-";
		if (p && stat(p, &st) == 0) {
			struct tm tm;
			strftime(when, sizeof(when), "%a %Y-%m-%d %H:%M:%S %Z",
				 localtime_r(&st.st_mtime, &tm));
		}
		printf("%-*s directory %-3s %s\n", w, *n, p && access(p, W_OK) == 0 ? "no" : "yes", when);
	}
	printf("\n%zu images listed.\n", strv_length(names));
	return 0;
}

/* ---- clone: reflink (FICLONE) each file, else copy (src/base/copy.h), with a progress bar ---- */

int image_copy_into(int s, int d)
{
	return copy_tree_into(s, d, isatty(STDERR_FILENO));
}

/* A copy of the tree s in tmp, renamed to dst once whole. */
static int copy_to(int s, const char *tmp, const char *dst)
{
	if (mkdir(tmp, 0700) < 0)
		return -errno;
	_cleanup_close_ int d = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	int r = image_copy_into(s, d);
	if (r < 0)
		return r;
	return rename(tmp, dst) < 0 ? -errno : 0;
}

/* NAME.nspawn goes with its image, if it has one (a btrfs snapshot too: before, only a copy
 * took it along). */
static int copy_settings(const char *from, const char *to)
{
	_cleanup_free_ char *src = image_path(from, ".nspawn"), *dst = image_path(to, ".nspawn"),
			    *text = NULL;
	if (!src || !dst)
		return -ENOMEM;
	int r = read_file(src, &text, NULL);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : write_file(dst, text, O_WRONLY | O_CREAT | O_EXCL, 0644);
}

static int image_clone(int argc, char **argv)
{
	if (check_src_dst(argc, argv, "usage: hako image clone SRC DST") < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_free_ char *src = image_path(argv[1], NULL), *tmp = image_path(argv[2], ".clone-tmp"),
			    *dst = image_path(argv[2], NULL);
	if (!src || !tmp || !dst)
		return EXIT_HAKO_FAILED;
	(void)rm_rf(tmp);
	_cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int images = open(hako_dir(HAKO_DIR_IMAGES), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct btrfs_snap {
		int64_t fd;
		char name[4088];
	} snap = { .fd = s };
	snprintf(snap.name, sizeof(snap.name), "%s", argv[2]);
	if (s < 0 || images < 0) {
		log_errno(-errno, "cannot open image %s", argv[1]);
		return EXIT_HAKO_FAILED;
	}
	/* BTRFS_IOC_SNAP_CREATE: an instant copy when the image is a btrfs subvolume. */
	int r = ioctl(images, _IOW(0x94, 1, struct btrfs_snap), &snap) == 0 ? 0 : copy_to(s, tmp, dst);
	if (r < 0) {
		(void)rm_rf(tmp);
		log_errno(r, "cannot clone image %s to %s", argv[1], argv[2]);
		return EXIT_HAKO_FAILED;
	}
	r = copy_settings(argv[1], argv[2]);
	if (r < 0) {
		log_errno(r, "image %s cloned to %s, but not its .nspawn file", argv[1], argv[2]);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* ---- rename, remove ---- */

/* Moves or removes NAME and its NAME.nspawn beside it. */
static int image_rename(int argc, char **argv)
{
	if (check_src_dst(argc, argv, "usage: hako image rename NAME NEW") < 0)
		return EXIT_HAKO_USAGE;
	if (image_check_not_running(argv[1]) < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_free_ char *from = image_path(argv[1], NULL), *to = image_path(argv[2], NULL),
			    *sfrom = image_path(argv[1], ".nspawn"), *sto = image_path(argv[2], ".nspawn");
	if (!from || !to || !sfrom || !sto)
		return EXIT_HAKO_FAILED;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
		log_errno(-errno, "cannot rename image %s", argv[1]);
		return EXIT_HAKO_FAILED;
	}
	if (renameat2(AT_FDCWD, sfrom, AT_FDCWD, sto, RENAME_NOREPLACE) < 0 && errno != ENOENT) {
		log_errno(-errno, "image %s renamed to %s, but not its settings %s", argv[1], argv[2], sfrom);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

static int image_remove(int argc, char **argv)
{
	if (argc < 2) {
		log_error("usage: hako image remove NAME...");
		return EXIT_HAKO_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (image_check_name(argv[i]) < 0)
			return EXIT_HAKO_USAGE;
		if (image_check_exists(argv[i], true) < 0)
			return EXIT_HAKO_USAGE;
		if (image_check_not_running(argv[i]) < 0)
			return EXIT_HAKO_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *p = image_path(argv[i], NULL), *s = image_path(argv[i], ".nspawn");
		int r = p ? rm_rf(p) : -ENOMEM;
		if (r < 0) {
			log_errno(r, "cannot remove image %s", argv[i]);
			return EXIT_HAKO_FAILED;
		}
		if (s)
			(void)unlink(s);
	}
	return 0;
}

/* ---- bootstrap: the distributions' own tools, as the seeds use them ---- */

static const struct {
	const char *distro, *tool, *release, *package;
	/* argv after the tool: %R release, %D directory */
	const char *args[8];
	// clang-format off
} bootstraps[] = {
	{ "debian", "debootstrap", "bookworm", "debootstrap",
	  { "--include=systemd,systemd-sysv,dbus", "%R", "%D", "http://deb.debian.org/debian" } },
	{ "ubuntu", "debootstrap", "noble", "debootstrap",
	  { "--include=systemd,systemd-sysv,dbus", "%R", "%D", "http://archive.ubuntu.com/ubuntu" } },
	{ "arch", "pacstrap", "", "arch-install-scripts", { "-c", "%D", "base" } },
	{ "fedora", "dnf", "40", "dnf",
	  { "-y", "--releasever=%R", "--installroot=%D", "install", "systemd", "passwd", "dnf", "fedora-release" } },
};
// clang-format on

static bool in_path(const char *tool)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = xasprintf("%s/%s", d, tool);
		if (p && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

static char *expand(const char *arg, const char *release, const char *dir)
{
	if (streq(arg, "%D"))
		return strdup(dir);
	const char *r = strstr(arg, "%R"), *d = strstr(arg, "%D");
	if (r)
		return xasprintf("%.*s%s%s", (int)(r - arg), arg, release, r + 2);
	if (d)
		return xasprintf("%.*s%s%s", (int)(d - arg), arg, dir, d + 2);
	return strdup(arg);
}

static int run_tool(size_t b, const char *release, const char *dir)
{
	_cleanup_strv_free_ char **argv = NULL;
	int r = strv_push(&argv, bootstraps[b].tool);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(bootstraps[b].args) && bootstraps[b].args[i]; i++) {
		r = strv_push_take(&argv, expand(bootstraps[b].args[i], release, dir));
		if (r < 0)
			return r;
	}
	return machine_run_tool(argv);
}

/* The tool run into tmp, which then becomes dst. */
static int bootstrap_into(size_t b, const char *release, const char *tmp, const char *dst)
{
	if (mkdir(tmp, 0755) < 0)
		return -errno;
	int r = run_tool(b, release, tmp);
	if (r < 0)
		return r;
	if (rename(tmp, dst) < 0)
		return -errno;
	return 0;
}

/* A release is passed to the tool as an argument of its own: never an option ("-..."). */
static bool release_valid(const char *r)
{
	size_t n = strlen(r);
	return n > 0 && n <= 64 && r[0] != '-' &&
	       strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int image_bootstrap(int argc, char **argv)
{
	const char *distro = NULL, *release = NULL, *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (startswith(argv[i], "--distro="))
			distro = argv[i] + 9;
		else if (startswith(argv[i], "--release="))
			release = argv[i] + 10;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else {
			log_error(
				"usage: hako image bootstrap NAME --distro=debian|ubuntu|arch|fedora [--release=R]");
			return EXIT_HAKO_USAGE;
		}
	}
	size_t b = ELEMENTSOF(bootstraps);
	for (size_t i = 0; distro && i < ELEMENTSOF(bootstraps); i++)
		if (streq(bootstraps[i].distro, distro))
			b = i;
	if (!name || b == ELEMENTSOF(bootstraps)) {
		log_error(
			"usage: hako image bootstrap NAME --distro=debian|ubuntu|arch|fedora [--release=R]");
		return EXIT_HAKO_USAGE;
	}
	if (release && !release_valid(release)) {
		log_error("invalid --release=%s (a release name such as bookworm or 40)", release);
		return EXIT_HAKO_USAGE;
	}
	if (image_check_name(name) < 0)
		return EXIT_HAKO_USAGE;
	if (image_check_exists(name, false) < 0)
		return EXIT_HAKO_USAGE;
	if (!in_path(bootstraps[b].tool)) {
		log_error("%s is needed to bootstrap %s and is not installed (package %s)",
			  bootstraps[b].tool, distro, bootstraps[b].package);
		return EXIT_HAKO_FAILED;
	}
	_cleanup_free_ char *tmp = image_path(name, ".bootstrap-tmp"), *dst = image_path(name, NULL);
	if (!tmp || !dst || hako_mkdir(HAKO_DIR_IMAGES, ".") < 0)
		return EXIT_HAKO_FAILED;
	(void)rm_rf(tmp);
	log_info("bootstrapping %s %s into %s with %s", distro, release ? release : bootstraps[b].release,
		 dst, bootstraps[b].tool);
	int r = bootstrap_into(b, release ? release : bootstraps[b].release, tmp, dst);
	if (r < 0) {
		(void)rm_rf(tmp);
		if (r == -EIO)
			log_error("%s failed for image %s (its messages are above)", bootstraps[b].tool,
				  name);
		else
			log_errno(r, "%s failed for image %s", bootstraps[b].tool, name);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

// clang-format off
static const struct command image_commands[] = {
	{ "list", image_list, "List the images" },
	{ "clone", image_clone, "Copy an image (btrfs snapshot, reflinks, or a copy)", "SRC DST" },
	{ "rename", image_rename, "Rename an image and its .nspawn file", "NAME NEW" },
	{ "remove", image_remove, "Remove images and their .nspawn files", "NAME..." },
	{ "bootstrap", image_bootstrap, "Make an image with debootstrap, pacstrap or dnf", "NAME --distro=D" },
	{ "status", image_status, "Show images' type, path, read-only flag and times", "NAME..." },
	{ "show", image_show, "Show images' properties as NAME=VALUE lines", "NAME..." },
	{ "read-only", image_read_only, "Mark an image read-only (immutable), or writable again with no", "NAME [BOOL]" },
	{ "clean", image_clean, "Remove the hidden images (.NAME); with --all every image not running", "[--all]" },
	{ "set-limit", image_set_limit, "Limit an image's size (a btrfs quota: other file systems have none)", "NAME BYTES" },
	{ "import-tar", cmd_import_tar, "Unpack a tar (any compression) into a new image", "FILE|- [NAME]" },
	{ "import-fs", cmd_import_fs, "Copy a directory tree into a new image", "DIR [NAME]" },
	{ "export-tar", cmd_export_tar, "Write an image as a tar, compressed by FILE's suffix", "NAME [FILE|-]" },
	{ "pull-tar", cmd_pull_tar, "Download a tar into a new image, checked against SHA256SUMS", "URL [NAME]" },
	{ "import-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
	{ "export-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
	{ "pull-raw", cmd_raw_refused, "Not offered: hako runs directory trees, not disk images" },
};
// clang-format on

static void image_dir_help(FILE *f)
{
	fprintf(f, "\nImages are the directories in %s.\n", hako_dir(HAKO_DIR_IMAGES));
}

int cmd_image(int argc, char **argv)
{
	static const struct command_family image = {
		.name = "image",
		.commands = image_commands,
		.n_commands = ELEMENTSOF(image_commands),
		.more_help = image_dir_help,
		/* Help and a usage error change nothing: the collection only before a command. */
		.before = machines_collect_stale,
	};
	return cmd_dispatch(&image, argc, argv);
}
