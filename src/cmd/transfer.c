/* hako import-tar, import-fs, export-tar, pull-tar (also as hako image ...): machinectl's and
 * importctl's transfers, for directory images only. A new image is made in a hidden directory
 * beside the others and renamed into place once whole: a failure leaves nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/sha256.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "cmd/image.h"
#include "image/pull.h"
#include "image/sums.h"
#include "image/tar.h"

/* ---- options: a table per verb ---- */

struct topts {
	bool read_only, force;
	char *format, *verify;
	const char *op[2]; /* the operands, "-" being one (stdin or stdout) */
	int n_op;
};

static void topts_done(struct topts *o)
{
	free(o->format);
	free(o->verify);
}

// clang-format off
#define READ_ONLY_OPT                                                                                  \
	{ "read-only", 0, OPT_NONE, NULL, "Make the image read-only (the immutable flag on its directory)", \
	  opt_set_flag, offsetof(struct topts, read_only) }

#define FORCE_OPT                                                                                      \
	{ "force", 0, OPT_NONE, NULL, "Replace an existing image NAME (not one a machine runs on)",     \
	  opt_set_flag, offsetof(struct topts, force) }
// clang-format on

static const struct opt import_options[] = { READ_ONLY_OPT, FORCE_OPT };
// clang-format off
static const struct opt export_options[] = {
	{ "force", 0, OPT_NONE, NULL, "Overwrite an existing FILE", opt_set_flag, offsetof(struct topts, force) },
	{ "format", 0, OPT_REQUIRED, "FORMAT", "uncompressed, gzip, xz, zstd or bzip2 (default: FILE's suffix)",
	  opt_set_string, offsetof(struct topts, format) },
};
// clang-format on
static const struct opt pull_options[] = {
	{ "verify", 0, OPT_REQUIRED, "MODE", "no, or checksum against SHA256SUMS beside URL (the default)",
	  opt_set_string, offsetof(struct topts, verify) },
	READ_ONLY_OPT,
	FORCE_OPT,
};

struct verb {
	const struct opt *options;
	size_t n_options;
	int n_min;            /* operands; at most two */
	const char *operands; /* in the usage line */
	const char *about;
};

// clang-format off
static const struct verb import_tar = { import_options, ELEMENTSOF(import_options), 1, "FILE|- [NAME]",
	"Unpack a tar (plain, gzip, xz, zstd or bzip2) into a new image; NAME defaults to FILE's name." };
static const struct verb import_fs = { import_options, ELEMENTSOF(import_options), 1, "DIR [NAME]",
	"Copy a directory tree into a new image; NAME defaults to DIR's name." };
static const struct verb export_tar = { export_options, ELEMENTSOF(export_options), 1, "NAME [FILE|-]",
	"Write image NAME as a tar to FILE (over an existing one only with --force), or to stdout." };
static const struct verb pull_tar = { pull_options, ELEMENTSOF(pull_options), 1, "URL [NAME]",
	"Download a tar over http(s) into a new image, checked against the SHA256SUMS beside it, "
	"with the settings file URL.nspawn (URL without its suffix) beside the image if the server has one." };
// clang-format on

/* 0: go on; -ECANCELED: --help was shown; else a usage error, logged. */
static int parse(const struct verb *v, int argc, char **argv, struct topts *o)
{
	_cleanup_free_ char *usage =
		xasprintf("Usage: hako %s [OPTIONS] %s\n\n%s", argv[0], v->operands, v->about);
	if (!usage)
		return -ENOMEM;
	const struct opt_group g[] = { { NULL, v->options, v->n_options } };
	int i = opts_parse(g, 1, argc, argv, o, 0, usage, NULL);
	if (i < 0)
		return i;
	o->n_op = argc - i;
	if (o->n_op < v->n_min || o->n_op > 2) {
		log_error("usage: hako %s [OPTIONS] %s", argv[0], v->operands);
		return -EINVAL;
	}
	for (int k = 0; k < o->n_op; k++)
		o->op[k] = argv[i + k];
	return 0;
}

/* hako's exit status for a parse() that did not go on. */
static int parse_status(int r)
{
	return r == -ECANCELED ? 0 : EXIT_HAKO_USAGE;
}

/* NAME as given, or as machinectl derives it from the source's file name; with force an existing
 * image NAME will be replaced, unless a machine runs on it. */
static int pick_name(const char *given, const char *from, bool force, char **ret)
{
	_cleanup_free_ char *name = given ? strdup(given) : image_name_from_path(from);
	if (!name && !given) {
		log_error("cannot derive an image name from '%s': give NAME", from);
		return -EINVAL;
	}
	if (!name)
		return -ENOMEM;
	int r = image_check_name(name);
	if (r < 0)
		return r;
	r = force ? image_check_not_running(name) : image_check_exists(name, false);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(name);
	return 0;
}

/* ---- a new image, whole or not at all ---- */

/* machinectl's read-only for a directory image: the immutable flag on its top directory. */
static int set_immutable(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd_set_immutable(fd, true);
}

/* A hidden directory an import was filling when it was killed: no one holds its lock. */
static void collect_one(int images, const char *name)
{
	_cleanup_close_ int fd = openat(images, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) /* still being filled */
		return;
	_cleanup_free_ char *path = hako_path(HAKO_DIR_IMAGES, "%s", name);
	if (path && rm_rf(path) == 0)
		log_info("removed %s, left by an import that did not finish", path);
}

static void collect_unfinished(void)
{
	_cleanup_close_ int images = open(hako_dir(HAKO_DIR_IMAGES), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dup_fd = images >= 0 ? fcntl(images, F_DUPFD_CLOEXEC, 0) : -1;
	_cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR &&
		    (startswith(de->d_name, ".tar-") || startswith(de->d_name, ".fs-")))
			collect_one(images, de->d_name);
}

typedef int (*fill_fn)(const char *dir, void *userdata);

static int open_locked(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* mkdtemp's directory, locked while it is filled (collect_unfinished() leaves it alone). */
static int make_locked_temp(char *tmp)
{
	if (!mkdtemp(tmp))
		return -errno;
	int fd = open_locked(tmp);
	if (fd < 0)
		(void)rmdir(tmp);
	return fd;
}

/* tmp renamed to dst; with force an image there is swapped out at once (made writable first:
 * an immutable directory cannot be renamed), then removed. */
static int install_image(const char *tmp, const char *dst, bool force)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST || !force)
		return -errno;
	_cleanup_close_ int old = open(dst, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (old >= 0)
		(void)fd_set_immutable(old, false);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_EXCHANGE) < 0)
		return -errno;
	/* Unlocked now: if this fails, the next import collects it. */
	int r = rm_rf(tmp);
	if (r < 0)
		log_warning("the replaced image is left in %s: %s", tmp, strerror(-r));
	return 0;
}

static int fill_and_install(const char *tmp, const char *dst, bool force, fill_fn fill, void *userdata)
{
	/* mkdtemp's 0700 until the source says otherwise (a tar without a "./" entry does not). */
	if (chmod(tmp, 0755) < 0)
		return -errno;
	int r = fill(tmp, userdata);
	if (r < 0)
		return r;
	return install_image(tmp, dst, force);
}

/* Fills <images>/.KIND-NAME-XXXXXX, renames it to NAME (over an old one with --force), then marks
 * it read-only if asked. */
static int create_image(const char *name, const char *kind, const struct topts *a, fill_fn fill,
			void *userdata)
{
	int r = hako_mkdir(HAKO_DIR_IMAGES, ".");
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = hako_path(HAKO_DIR_IMAGES, ".%s-%s-XXXXXX", kind, name);
	_cleanup_free_ char *dst = image_path(name, NULL);
	if (!tmp || !dst)
		return -ENOMEM;
	collect_unfinished();
	_cleanup_close_ int lock = make_locked_temp(tmp);
	if (lock < 0)
		return lock;
	r = fill_and_install(tmp, dst, a->force, fill, userdata);
	if (r < 0) {
		(void)rm_rf(tmp);
		return r;
	}
	if (!a->read_only)
		return 0;
	r = set_immutable(dst);
	if (r < 0)
		(void)rm_rf(dst);
	return r;
}

/* ---- import-tar ---- */

struct unpack {
	int fd;
	char *why; /* libarchive's reason for a failure */
};

static int fill_from_tar(const char *dir, void *userdata)
{
	struct unpack *u = userdata;
	return tar_unpack(u->fd, dir, &u->why);
}

static int unpack_as(int fd, const char *source, const char *name, const struct topts *a)
{
	struct unpack u = { .fd = fd };
	int r = create_image(name, "tar", a, fill_from_tar, &u);
	_cleanup_free_ char *why = u.why;
	if (r == -ENOPKG)
		log_error("cannot import %s: libarchive (libarchive13) is not installed", source);
	else if (r < 0 && why)
		log_error("cannot import %s as image %s: %s", source, name, why);
	else if (r < 0)
		log_errno(r, "cannot import %s as image %s", source, name);
	return r;
}

int cmd_import_tar(int argc, char **argv)
{
	_cleanup_(topts_done) struct topts a = { 0 };
	int r = parse(&import_tar, argc, argv, &a);
	if (r < 0)
		return parse_status(r);
	bool std_in = streq(a.op[0], "-");
	if (std_in && a.n_op < 2) {
		log_error("hako %s -: give NAME (no file name to derive one from)", argv[0]);
		return EXIT_HAKO_USAGE;
	}
	_cleanup_free_ char *name = NULL;
	if (pick_name(a.op[1], a.op[0], a.force, &name) < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_close_ int fd =
		std_in ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) : open(a.op[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno(-errno, "cannot open %s", a.op[0]);
		return EXIT_HAKO_FAILED;
	}
	r = unpack_as(fd, a.op[0], name, &a);
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

/* ---- import-fs ---- */

static int fill_from_dir(const char *dir, void *userdata)
{
	_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	return image_copy_into(*(int *)userdata, d);
}

int cmd_import_fs(int argc, char **argv)
{
	_cleanup_(topts_done) struct topts a = { 0 };
	int r = parse(&import_fs, argc, argv, &a);
	if (r < 0)
		return parse_status(r);
	_cleanup_free_ char *name = NULL;
	if (pick_name(a.op[1], a.op[0], a.force, &name) < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_close_ int s = open(a.op[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0) {
		log_errno(-errno, "cannot open directory %s", a.op[0]);
		return EXIT_HAKO_USAGE;
	}
	r = create_image(name, "fs", &a, fill_from_dir, &s);
	if (r < 0) {
		log_errno(r, "cannot import %s as image %s", a.op[0], name);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* ---- export-tar ---- */

/* FILE made whole or not at all: an unnamed file in its directory, linked in at the end (never
 * over an existing file). */
static int open_output(const char *file, int *ret_fd)
{
	_cleanup_free_ char *copy = strdup(file);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* With force over an existing FILE: linked beside it, then renamed over it in one step (a reader
 * sees the old tar or the new one, never part of one). */
static int link_output(int fd, const char *file, bool force)
{
	if (linkat(fd, "", AT_FDCWD, file, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != EEXIST || !force)
		return -errno;
	char rnd[17];
	int r = random_hex(rnd, 8);
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = xasprintf("%s.%s.tmp", file, rnd);
	if (!tmp)
		return -ENOMEM;
	if (linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH) < 0)
		return -errno;
	if (rename(tmp, file) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

static int export_format(const struct topts *a, const char *file)
{
	if (!a->format)
		return file ? (int)tar_compression_from_file(file) : TAR_UNCOMPRESSED;
	int c = tar_compression_from_name(a->format);
	if (c < 0)
		log_error("unknown --format=%s (uncompressed, gzip, xz, zstd or bzip2)", a->format);
	return c;
}

static int export_to(const char *name, int fd, int c, const char *what)
{
	_cleanup_free_ char *dir = image_path(name, NULL), *why = NULL;
	int r = dir ? tar_pack(dir, fd, (enum tar_compression)c, &why) : -ENOMEM;
	if (r == -ENOPKG)
		log_error("cannot export image %s: libarchive (libarchive13) is not installed", name);
	else if (r < 0 && why)
		log_error("cannot export image %s to %s: %s", name, what, why);
	else if (r < 0)
		log_errno(r, "cannot export image %s to %s", name, what);
	return r;
}

int cmd_export_tar(int argc, char **argv)
{
	_cleanup_(topts_done) struct topts a = { 0 };
	int r = parse(&export_tar, argc, argv, &a);
	if (r < 0)
		return parse_status(r);
	const char *file = a.n_op == 2 && !streq(a.op[1], "-") ? a.op[1] : NULL;
	int c = export_format(&a, file);
	if (c < 0)
		return EXIT_HAKO_USAGE;
	if (image_check_name(a.op[0]) < 0)
		return EXIT_HAKO_USAGE;
	if (image_check_exists(a.op[0], true) < 0)
		return EXIT_HAKO_USAGE;
	if (!file && isatty(STDOUT_FILENO)) {
		log_error("refusing to write a tar to a terminal: give FILE or redirect stdout");
		return EXIT_HAKO_USAGE;
	}
	if (file && !a.force && access(file, F_OK) == 0) {
		log_error("%s already exists (--force overwrites it)", file);
		return EXIT_HAKO_USAGE;
	}
	_cleanup_close_ int fd = -1;
	r = file ? open_output(file, &fd) : 0;
	if (r < 0) {
		log_errno(r, "cannot create %s", file);
		return EXIT_HAKO_FAILED;
	}
	r = export_to(a.op[0], file ? fd : STDOUT_FILENO, c, file ? file : "stdout");
	if (r < 0)
		return EXIT_HAKO_FAILED;
	r = file ? link_output(fd, file, a.force) : 0;
	if (r < 0) {
		log_errno(r, "cannot create %s", file);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* ---- pull-tar ---- */

enum verify { VERIFY_NO, VERIFY_CHECKSUM };

/* importctl's default is checksum; signature needs a gpg keyring of trusted image signers, which
 * hako does not keep: refused rather than quietly weakened to a checksum. */
static int parse_verify(const char *v)
{
	if (!v || streq(v, "checksum"))
		return VERIFY_CHECKSUM;
	if (streq(v, "no"))
		return VERIFY_NO;
	if (streq(v, "signature"))
		log_error("--verify=signature is not supported: hako keeps no gpg keyring to check "
			  "SHA256SUMS.gpg against (use --verify=checksum)");
	else
		log_error("unknown --verify=%s (no or checksum)", v);
	return -EINVAL;
}

/* The SHA256SUMS beside url, logged when it cannot be had. */
static int fetch_sums(const char *url, char **ret_url, char **ret_sums)
{
	_cleanup_free_ char *sums_url = url_sibling(url, "SHA256SUMS"), *why = NULL;
	if (!sums_url)
		return log_errno(-ENOMEM, "cannot pull %s", url);
	int r = http_get_text(sums_url, 1 << 20, ret_sums, &why);
	if (r < 0 && why)
		log_error("cannot download %s: %s", sums_url, why);
	else if (r < 0)
		log_errno(r, "cannot download %s", sums_url);
	if (r < 0)
		return r;
	*ret_url = TAKE_PTR(sums_url);
	return 0;
}

/* sums (from sums_url) names file, downloaded from url, with the digest got. */
static int check_sum(const char *sums_url, const char *sums, const char *url, const char *file,
		     const char *got)
{
	char want[65];
	int r = sha256sums_find(sums, file, want);
	if (r == -ENOENT)
		log_error("%s has no line for %s", sums_url, file);
	else if (r < 0)
		log_error("%s: the line for %s is not a SHA-256 digest", sums_url, file);
	else if (!streq(want, got))
		log_error("checksum of %s does not match %s (got %s, expected %s)", url, sums_url, got, want);
	return r < 0 ? r : streq(want, got) ? 0 : -EBADMSG;
}

/* What a pull fetched: the tar, then the settings file if the server has one. */
struct pulled {
	const char *url;
	char *file; /* url's last component, as SHA256SUMS names it */
	int fd;
	char sum[65];
	char *settings, *settings_url, *settings_file;
};

static void pulled_done(struct pulled *p)
{
	free(p->file);
	if (p->fd >= 0)
		close(p->fd);
	free(p->settings);
	free(p->settings_url);
	free(p->settings_file);
}

/* importctl's --verify=checksum covers the settings file too: one the list does not name is
 * refused, as it could be anyone's. */
static int verify_checksums(const struct pulled *p)
{
	_cleanup_free_ char *sums_url = NULL, *sums = NULL;
	int r = fetch_sums(p->url, &sums_url, &sums);
	if (r < 0)
		return r;
	r = check_sum(sums_url, sums, p->url, p->file, p->sum);
	if (r < 0 || !p->settings)
		return r;
	struct sha256 sha;
	char got[65];
	sha256_init(&sha);
	sha256_update(&sha, p->settings, strlen(p->settings));
	sha256_hex(&sha, got);
	return check_sum(sums_url, sums, p->settings_url, p->settings_file, got);
}

/* The download, into an unnamed file in the images directory (it may be large). */
static int download(const char *url, struct sha256 *sha, int *ret_fd)
{
	int r = hako_mkdir(HAKO_DIR_IMAGES, ".");
	if (r < 0)
		return log_errno(r, "cannot create %s", hako_dir(HAKO_DIR_IMAGES));
	_cleanup_close_ int fd = open(hako_dir(HAKO_DIR_IMAGES), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_errno(-errno, "cannot create a file in %s", hako_dir(HAKO_DIR_IMAGES));
	_cleanup_free_ char *why = NULL;
	r = http_get_fd(url, fd, sha, 0, &why);
	if (r == -ENOPKG)
		log_error("cannot download %s: libcurl (libcurl4) is not installed", url);
	else if (r < 0 && why)
		log_error("cannot download %s: %s", url, why);
	else if (r < 0)
		log_errno(r, "cannot download %s", url);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return log_errno(-errno, "cannot read back %s", url);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* machined's importer fetches URL.nspawn too (URL without its tar suffix): a 404 means the
 * image comes without one; any other failure fails the pull rather than drop the settings. */
static int fetch_settings(struct pulled *p)
{
	_cleanup_free_ char *base = image_name_from_path(p->file), *why = NULL;
	p->settings_file = base ? xasprintf("%s.nspawn", base) : NULL;
	p->settings_url = p->settings_file ? url_sibling(p->url, p->settings_file) : NULL;
	if (!p->settings_url)
		return log_errno(-ENOMEM, "cannot pull %s", p->url);
	int r = http_get_text(p->settings_url, 1 << 20, &p->settings, &why);
	if (r == -ENOENT) {
		log_debug("%s: none on the server (%s)", p->settings_url, why);
		return 0;
	}
	if (r < 0 && why)
		log_error("cannot download %s: %s", p->settings_url, why);
	else if (r < 0)
		log_errno(r, "cannot download %s", p->settings_url);
	return r;
}

/* NAME.nspawn beside the image, where nspawn and hako read it as untrusted: the keys that grant
 * more than the tree (Capability=, Bind=, [Network]...) count only from /etc/systemd/nspawn. */
static int check_settings_free(const struct pulled *p, const char *name, bool force)
{
	_cleanup_free_ char *path = image_path(name, ".nspawn");
	if (!path)
		return log_errno(-ENOMEM, "cannot pull %s", p->url);
	if (!p->settings || force || access(path, F_OK) < 0)
		return 0;
	log_error("%s already exists (--force replaces it)", path);
	return -EEXIST;
}

static int install_settings(const struct pulled *p, const char *name, bool force)
{
	_cleanup_free_ char *path = image_path(name, ".nspawn");
	if (!p->settings)
		return 0;
	int r = path ? write_file_atomic(path, p->settings, 0644, !force) : -ENOMEM;
	if (r < 0)
		log_errno(r, "image %s pulled, but not its settings file %s", name, p->settings_url);
	return r;
}

static int pull(struct pulled *p, const char *name, const struct topts *a, int verify)
{
	struct sha256 sha;
	sha256_init(&sha);
	int r = download(p->url, &sha, &p->fd);
	if (r < 0)
		return r;
	sha256_hex(&sha, p->sum);
	r = fetch_settings(p);
	if (r < 0)
		return r;
	r = verify == VERIFY_CHECKSUM ? verify_checksums(p) : 0;
	if (r < 0)
		return r;
	r = check_settings_free(p, name, a->force);
	if (r < 0)
		return r;
	r = unpack_as(p->fd, p->url, name, a);
	if (r < 0)
		return r;
	return install_settings(p, name, a->force);
}

int cmd_pull_tar(int argc, char **argv)
{
	_cleanup_(topts_done) struct topts a = { 0 };
	int r = parse(&pull_tar, argc, argv, &a);
	if (r < 0)
		return parse_status(r);
	int verify = parse_verify(a.verify);
	if (verify < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_(pulled_done) struct pulled p = { .url = a.op[0],
						   .file = url_last_component(a.op[0]),
						   .fd = -1 };
	_cleanup_free_ char *name = NULL;
	if (!(startswith(p.url, "http://") || startswith(p.url, "https://")) || !p.file) {
		log_error("invalid URL %s (http:// or https://, naming a file)", p.url);
		return EXIT_HAKO_USAGE;
	}
	if (pick_name(a.op[1], p.file, a.force, &name) < 0)
		return EXIT_HAKO_USAGE;
	r = pull(&p, name, &a, verify);
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

/* ---- raw images: not offered ---- */

int cmd_raw_refused(int argc, char **argv)
{
	_cleanup_free_ char *usage =
		xasprintf("Usage: hako %s\n\nNot offered: raw disk images are not supported, "
			  "as hako runs directory trees.",
			  argv[0]);
	if (!usage)
		return EXIT_HAKO_FAILED;
	/* Any other option is machinectl's for raw images: the one line below answers them all. */
	for (int i = 1; i < argc; i++)
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			opts_help(stdout, usage, NULL, 0);
			return 0;
		}
	log_error("%s: raw disk images are not supported: hako runs directory trees (use %.*s-tar, or "
		  "import-fs on a mounted image)",
		  argv[0], (int)strcspn(argv[0], "-"), argv[0]);
	return EXIT_HAKO_USAGE;
}
