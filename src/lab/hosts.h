/* Labs across hosts: which host holds which member, and which host this is. Every host computes
 * the same plan from the same file, so nothing is negotiated between them (docs/multihost.md).
 * A lab with no [Host] section is a one-host lab: every member is local, t->local_host is -1. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "lab/lab.h"

/* The host (index into t->hosts) that holds member m; -1 in a one-host lab. */
int lab_member_host(const struct lab_topology *t, const struct lab_member *m);
/* The host that holds the NAT, router or node called name; -1 in a one-host lab or for no such. */
int lab_name_host(const struct lab_topology *t, const char *name);
/* Is node i (of t->nodes) one this host builds? */
bool lab_node_is_local(const struct lab_topology *t, size_t i);
/* Drops from m the members other hosts hold; *n becomes how many are left. */
void lab_members_keep_local(const struct lab_topology *t, struct lab_member *m, size_t *n);
/* Does this host put the nat-check responder's addresses on its bridges? The lab's first host. */
bool lab_holds_responder(const struct lab_topology *t);

/* Sets t->local_host: the host called forced (NULL: the one whose Address= is an address of the
 * current network namespace). Logs "FILE: ..." when there is none or more than one. */
int lab_host_pick(struct lab_topology *t, const char *forced);
/* lab_host_pick without the checks of this host's underlay (for lab keys). */
int lab_host_find(struct lab_topology *t, const char *forced);
/* lab_host_find for --all: no host here is no error (*here false). */
int lab_host_find_any(struct lab_topology *t, const char *forced, bool *here);
/* lab_host_pick for --all: no host here is no error (*here false, every part is remote). */
int lab_host_pick_any(struct lab_topology *t, const char *forced, bool *here);
/* Records t->local_host in the lab's directory, for status, exec and nat-check; reads it back
 * (a lab without the record is a one-host lab). Log. */
int lab_host_save(const struct lab_topology *t);
int lab_host_load(struct lab_topology *t);
/* For lab exec, conntrack and nat-check: 0 if name's namespace is on this host, else logs
 * "lab L: NAME is on host H: run this there" and returns -EREMOTE. */
int lab_check_local(const struct lab_topology *t, const char *name);
/* For nat-check: 0 if this host holds the responder, else logs which host does, -EREMOTE. */
int lab_check_responder(const struct lab_topology *t);
/* "host h1" or "remote, on host h2" for status: where member m is, "" in a one-host lab. */
const char *lab_member_where(const struct lab_topology *t, const struct lab_member *m, char *buf,
			     size_t size);
