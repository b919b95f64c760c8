/* Capabilities: the name table, the default sets a container keeps, and reducing a process's
 * sets before it runs anything from the tree. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define CAP_MASK(c) (UINT64_C(1) << (c))

/* Returns the capability number of "CAP_NET_ADMIN", "net_admin" (any case), or -EINVAL. */
int cap_from_name(const char *name);
const char *cap_to_name(int cap); /* "CAP_CHOWN"; NULL if unknown */

/* Parses a comma-separated list of capability names into *mask. "all" sets every capability and,
 * if all is non-NULL, *all. Returns 0 or -EINVAL (and *bad points at the offending name). */
int cap_parse_list(const char *list, uint64_t *mask, bool *all, char bad[64]);

/* The bounding set a container keeps: the OCI default for a command, nspawn's for -b; then
 * --capability= added and --drop-capability= removed. */
uint64_t caps_default(bool boot, bool private_network);

/* Drops every capability outside keep from the bounding set and clears the ambient and
 * inheritable sets. Needs CAP_SETPCAP; call before forking the command. */
int caps_reduce_bounding(uint64_t keep);
/* The ambient set of the command about to exec (nspawn's --ambient-capability=): inheritable and
 * ambient become ambient; for a user other than root (after setresuid with PR_SET_KEEPCAPS)
 * permitted too and effective nothing, so the command gets exactly these. */
int caps_set_ambient(uint64_t ambient, bool root);
/* Limits this process's own effective and permitted sets to keep. */
int caps_limit_self(uint64_t keep);
