#include "image/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"

/* The libarchive entry points hako uses: dlopen()ed, as linking it costs every exec of hako. */
static struct {
	void *handle;
	struct archive *(*read_new)(void);
	int (*read_support_filter_all)(struct archive *);
	int (*read_support_format_tar)(struct archive *);
	int (*read_open_fd)(struct archive *, int, size_t);
	int (*read_next_header)(struct archive *, struct archive_entry **);
	int (*read_next_header2)(struct archive *, struct archive_entry *);
	int (*read_data_block)(struct archive *, const void **, size_t *, la_int64_t *);
	la_ssize_t (*read_data)(struct archive *, void *, size_t);
	int (*read_free)(struct archive *);
	struct archive *(*read_disk_new)(void);
	int (*read_disk_set_behavior)(struct archive *, int);
	int (*read_disk_set_symlink_physical)(struct archive *);
	int (*read_disk_open)(struct archive *, const char *);
	int (*read_disk_descend)(struct archive *);
	struct archive *(*write_new)(void);
	int (*write_set_format_pax_restricted)(struct archive *);
	int (*write_add_filter)(struct archive *, int);
	int (*write_open_fd)(struct archive *, int);
	int (*write_header)(struct archive *, struct archive_entry *);
	la_ssize_t (*write_data)(struct archive *, const void *, size_t);
	int (*write_close)(struct archive *);
	int (*write_free)(struct archive *);
	struct archive *(*write_disk_new)(void);
	int (*write_disk_set_options)(struct archive *, int);
	la_ssize_t (*write_data_block)(struct archive *, const void *, size_t, la_int64_t);
	int (*write_finish_entry)(struct archive *);
	const char *(*error_string)(struct archive *);
	struct archive_entry *(*entry_new)(void);
	void (*entry_free)(struct archive_entry *);
	struct archive_entry *(*entry_clear)(struct archive_entry *);
	int (*entry_filetype)(struct archive_entry *);
	const char *(*entry_hardlink)(struct archive_entry *);
	struct archive_entry_linkresolver *(*entry_linkresolver_new)(void);
	void (*entry_linkresolver_set_strategy)(struct archive_entry_linkresolver *, int);
	void (*entry_linkresolver_free)(struct archive_entry_linkresolver *);
	void (*entry_linkify)(struct archive_entry_linkresolver *, struct archive_entry **,
			      struct archive_entry **);
	int (*format)(struct archive *);
} la;

#define SYM(n) DL_SYMBOL("archive_" #n, la, n)
// clang-format off
static const struct dl_symbol symbols[] = {
	SYM(read_new), SYM(read_support_filter_all), SYM(read_support_format_tar), SYM(read_open_fd),
	SYM(read_next_header), SYM(read_next_header2), SYM(read_data_block), SYM(read_data), SYM(read_free),
	SYM(read_disk_new), SYM(read_disk_set_behavior), SYM(read_disk_set_symlink_physical),
	SYM(read_disk_open), SYM(read_disk_descend), SYM(write_new), SYM(write_set_format_pax_restricted),
	SYM(write_add_filter), SYM(write_open_fd), SYM(write_header), SYM(write_data), SYM(write_close),
	SYM(write_free), SYM(write_disk_new), SYM(write_disk_set_options), SYM(write_data_block),
	SYM(write_finish_entry), SYM(error_string),
	SYM(entry_new), SYM(entry_free), SYM(entry_clear), SYM(entry_filetype), SYM(entry_hardlink),
	SYM(entry_linkresolver_new), SYM(entry_linkresolver_set_strategy), SYM(entry_linkresolver_free),
	SYM(entry_linkify), SYM(format),
};
// clang-format on
#undef SYM

static int load(void)
{
	return la.handle ? 0 : dl_load("libarchive.so.13", symbols, ELEMENTSOF(symbols), &la, &la.handle);
}

static void read_freep(struct archive **a)
{
	if (*a)
		la.read_free(*a);
}
static void write_freep(struct archive **a)
{
	if (*a)
		la.write_free(*a);
}
static void entry_freep(struct archive_entry **e)
{
	if (*e)
		la.entry_free(*e);
}
static void resolver_freep(struct archive_entry_linkresolver **r)
{
	if (*r)
		la.entry_linkresolver_free(*r);
}

/* Back to the directory we were in, after working inside the image. */
static void fchdirp(const int *fd)
{
	if (*fd >= 0) {
		(void)!fchdir(*fd);
		close(*fd);
	}
}

static const struct {
	const char *name;
	int filter;
	const char *suffixes[3];
	// clang-format off
} compressions[] = {
	[TAR_UNCOMPRESSED] = { "uncompressed", ARCHIVE_FILTER_NONE, { ".tar" } },
	[TAR_GZIP] = { "gzip", ARCHIVE_FILTER_GZIP, { ".gz", ".tgz" } },
	[TAR_XZ] = { "xz", ARCHIVE_FILTER_XZ, { ".xz", ".txz" } },
	[TAR_ZSTD] = { "zstd", ARCHIVE_FILTER_ZSTD, { ".zst", ".tzst" } },
	[TAR_BZIP2] = { "bzip2", ARCHIVE_FILTER_BZIP2, { ".bz2", ".tbz2" } },
};
// clang-format on

int tar_compression_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(compressions); i++)
		if (streq(compressions[i].name, name))
			return (int)i;
	return -EINVAL;
}

enum tar_compression tar_compression_from_file(const char *file)
{
	for (size_t i = 0; i < ELEMENTSOF(compressions); i++)
		for (size_t j = 0; j < ELEMENTSOF(compressions[i].suffixes) && compressions[i].suffixes[j];
		     j++)
			if (endswith(file, compressions[i].suffixes[j]))
				return (enum tar_compression)i;
	return TAR_UNCOMPRESSED;
}

/* libarchive's reason, or NULL; -EIO for the caller to return. */
static int failed(struct archive *a, char **ret_why)
{
	const char *s = la.error_string(a);
	*ret_why = s ? strdup(s) : NULL;
	return -EIO;
}

/* Owners by number (an image's users are not the host's), modes, times, xattrs (security.capability:
 * ping's file capabilities), ACLs; never through "..", an absolute path or a symlink the archive
 * made (CVE-2001-1267 and its kin: a tar that writes outside the directory it is unpacked in). */
static const int unpack_flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
				ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
				ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
				ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_SPARSE;

static int unpack_data(struct archive *in, struct archive *out, char **ret_why)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = la.read_data_block(in, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return failed(in, ret_why);
		if (la.write_data_block(out, buf, len, off) < ARCHIVE_WARN)
			return failed(out, ret_why);
	}
}

/* Not archive_read_extract2(): it turns a refused header (an unsafe path) into a mere warning. */
static int unpack_entries(struct archive *in, struct archive *out, char **ret_why)
{
	for (;;) {
		struct archive_entry *e;
		int r = la.read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return failed(in, ret_why);
		if (la.write_header(out, e) < ARCHIVE_WARN)
			return failed(out, ret_why);
		r = unpack_data(in, out, ret_why);
		if (r < 0)
			return r;
		if (la.write_finish_entry(out) < ARCHIVE_WARN)
			return failed(out, ret_why);
	}
}

int tar_unpack(int fd, const char *dir, char **ret_why)
{
	*ret_why = NULL;
	int r = load();
	if (r < 0)
		return r;
	_cleanup_(read_freep) struct archive *in = la.read_new();
	_cleanup_(write_freep) struct archive *out = la.write_disk_new();
	if (!in || !out)
		return -ENOMEM;
	la.read_support_filter_all(in);
	la.read_support_format_tar(in);
	la.write_disk_set_options(out, unpack_flags);
	if (la.read_open_fd(in, fd, 64 * 1024) != ARCHIVE_OK)
		return failed(in, ret_why);
	/* Entries name paths relative to the image: work inside it (hako is single-threaded). */
	_cleanup_(fchdirp) int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (back < 0)
		return -errno;
	if (chdir(dir) < 0)
		return -errno;
	r = unpack_entries(in, out, ret_why);
	if (r < 0)
		return r;
	if (la.write_close(out) != ARCHIVE_OK)
		return failed(out, ret_why);
	return 0;
}

static int copy_data(struct archive *disk, struct archive *out, char **ret_why)
{
	char buf[64 * 1024];
	for (;;) {
		la_ssize_t n = la.read_data(disk, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return failed(disk, ret_why);
		if (la.write_data(out, buf, (size_t)n) != n)
			return failed(out, ret_why);
	}
}

/* A file's second and later names go in as tar hard-link entries naming its first, with no data
 * (archive_entry_linkify(), as tar and importctl write them): unpacked, they are one inode again. */
static int pack_entries(struct archive *disk, struct archive *out, char **ret_why)
{
	_cleanup_(entry_freep) struct archive_entry *e = la.entry_new();
	_cleanup_(resolver_freep) struct archive_entry_linkresolver *links = la.entry_linkresolver_new();
	if (!e || !links)
		return -ENOMEM;
	la.entry_linkresolver_set_strategy(links, la.format(out));
	for (;;) {
		int r = la.read_next_header2(disk, la.entry_clear(e));
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return failed(disk, ret_why);
		la.read_disk_descend(disk);
		/* With tar's strategy linkify rewrites e in place and never holds an entry back. */
		struct archive_entry *same = e, *spare = NULL;
		la.entry_linkify(links, &same, &spare);
		if (la.write_header(out, e) < ARCHIVE_WARN)
			return failed(out, ret_why);
		if (la.entry_filetype(e) != AE_IFREG || la.entry_hardlink(e))
			continue;
		r = copy_data(disk, out, ret_why);
		if (r < 0)
			return r;
	}
}

int tar_pack(const char *dir, int fd, enum tar_compression c, char **ret_why)
{
	*ret_why = NULL;
	int r = load();
	if (r < 0)
		return r;
	_cleanup_(read_freep) struct archive *disk = la.read_disk_new();
	_cleanup_(write_freep) struct archive *out = la.write_new();
	if (!disk || !out)
		return -ENOMEM;
	/* Numeric owners only: no name lookup is set up, as tar --numeric-owner. */
	la.read_disk_set_symlink_physical(disk);
	la.read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	la.write_set_format_pax_restricted(out);
	if (la.write_add_filter(out, compressions[c].filter) != ARCHIVE_OK)
		return failed(out, ret_why);
	if (la.write_open_fd(out, fd) != ARCHIVE_OK)
		return failed(out, ret_why);
	_cleanup_(fchdirp) int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (back < 0)
		return -errno;
	if (chdir(dir) < 0)
		return -errno;
	if (la.read_disk_open(disk, ".") != ARCHIVE_OK)
		return failed(disk, ret_why);
	r = pack_entries(disk, out, ret_why);
	if (r < 0)
		return r;
	if (la.write_close(out) != ARCHIVE_OK)
		return failed(out, ret_why);
	return 0;
}
