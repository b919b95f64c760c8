/* Tar archives of directory images through libarchive (dlopen()ed on first use). */
#pragma once

enum tar_compression { TAR_UNCOMPRESSED, TAR_GZIP, TAR_XZ, TAR_ZSTD, TAR_BZIP2, _TAR_COMPRESSION_MAX };

/* machinectl's --format= names ("uncompressed", "gzip", "xz", "zstd", "bzip2"); -EINVAL otherwise. */
int tar_compression_from_name(const char *name);
/* From a file name's suffix (".tar.gz", ".tgz", ".zst", ...): uncompressed when none matches. */
enum tar_compression tar_compression_from_file(const char *file);

/* Unpacks the tar read from fd (any compression libarchive detects) into the empty directory dir,
 * with owners (numeric), modes, times, xattrs (file capabilities) and ACLs. An entry with "..",
 * an absolute path or a path through a symlink fails it. On error *ret_why says why (libarchive's
 * words) when it can: the caller removes dir. */
int tar_unpack(int fd, const char *dir, char **ret_why);

/* Writes the tree dir as a pax tar with numeric owners, xattrs and ACLs to fd, staying on dir's
 * file system. */
int tar_pack(const char *dir, int fd, enum tar_compression c, char **ret_why);
