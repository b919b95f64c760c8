/* User namespaces: root inside maps to an unprivileged range of host ids (nspawn's
 * --private-users=), the tree keeps its on-disk owners through an idmapped mount, and rootless
 * runs map the calling user (or its /etc/subuid ranges through newuidmap/newgidmap). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define USERNS_RANGE_SIZE 65536U
/* nspawn's container range: 0x00080000 .. 0x6FFF0000, in 64K steps. */
#define USERNS_PICK_FIRST 0x00080000U
#define USERNS_PICK_LAST 0x6FFF0000U

enum userns_mode {
	USERNS_NO,       /* no user namespace (the default for commands, as in nspawn) */
	USERNS_FIXED,    /* UID[:COUNT], or yes: the tree root's owner, 65536 ids */
	USERNS_PICK,     /* a free range, stable for the machine name */
	USERNS_IDENTITY, /* 0..65535 map to themselves: only the namespace boundary */
};

enum userns_ownership {
	USERNS_OWNERSHIP_AUTO,  /* map when the filesystem can idmap, else off */
	USERNS_OWNERSHIP_MAP,   /* idmapped mount of the tree */
	USERNS_OWNERSHIP_CHOWN, /* shift the tree's owners on disk once, recorded */
	USERNS_OWNERSHIP_OFF,   /* leave the tree as it is */
};

struct userns_config {
	enum userns_mode mode;
	bool mode_set;        /* given explicitly (boot mode defaults to pick otherwise) */
	bool from_tree_owner; /* "yes": base from the owner of the tree's root directory */
	uint32_t base, count; /* USERNS_FIXED */
	enum userns_ownership ownership;
};

/* --private-users=VALUE: no|yes|pick|identity|UID[:COUNT] (also 0/1/false/true). */
int userns_parse_mode(struct userns_config *u, const char *value, const char **why);
/* --private-users-ownership=auto|map|chown|off. */
int userns_parse_ownership(struct userns_config *u, const char *value, const char **why);

/* Picks a free range for machine under state_dir/userns: the one recorded for this machine if
 * free, else one derived from a hash of the name, else the next free one. Returns the base and
 * an fd holding a lock on the range for as long as the container runs (close it to release). */
int userns_pick(const char *state_dir, const char *machine, uint32_t *ret_base, int *ret_lock_fd);

/* Whether a line of text in passwd or group format ("name:x:ID:...") has an ID in
 * [base, base + 65536): such a range belongs to the host. */
bool userns_text_has_id_in(const char *text, uint32_t base);
/* Whether a "name:start:count" line of /etc/subuid or /etc/subgid text overlaps the range at
 * base: such a range is never picked. */
bool userns_subids_overlap(const char *text, uint32_t base);

/* Writes uid_map/gid_map of pid: "0 base count" (as root), or for rootless (getuid() != 0) the
 * calling user's ranges through newuidmap/newgidmap when /etc/subuid has them, else "0 uid 1". */
int userns_write_maps(pid_t pid, uint32_t base, uint32_t count);
/* Writes uid_map and gid_map of pid as given, each in one write (as root). */
int userns_write_map_text(pid_t pid, const char *uid_map, const char *gid_map);

/* A detached, recursive clone of the mount tree at dirfd (a directory opened once, never again
 * by name) idmapped through userns_fd: the container sees the on-disk owners shifted into its
 * namespace, the disk is never changed. */
int userns_idmapped_tree(int dirfd, int userns_fd);

/* Whether the file system of the open file fd supports idmapped mounts (a table of file system
 * types). */
bool userns_fd_can_idmap(int fd);

/* Shifts the owners of every file under the directory dirfd by delta (chown ownership mode). */
int userns_chown_tree(int dirfd, int64_t delta);
