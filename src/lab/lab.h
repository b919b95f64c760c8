/* A lab on this host: every NAT, router and node is a network namespace, bind-mounted at
 * $HAKO_RUNTIME_DIR/labs/LAB/ns/NAME; every network is a bridge in the lab's switch namespace
 * (ns/.switch), each member attached by a veth whose inside end is named after the network.
 * The topology file's text is kept as labs/LAB/topology so status, exec and down need only the
 * lab's name. A namespace's file is created before the namespace, so `lab down` finds everything
 * a crashed `lab up` made. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/topology.h"

#define LAB_SWITCH ".switch" /* the switch namespace's file: no member name starts with '.' */

enum member_kind { MEMBER_NAT, MEMBER_ROUTER, MEMBER_NODE };

struct member_iface {
	int network;
	uint32_t addr;
};

/* A namespace of the lab, with its interfaces and its default route. */
struct lab_member {
	const char *name;
	enum member_kind kind;
	size_t index; /* into the topology's nats/routers/nodes */
	struct member_iface *ifaces;
	size_t n_ifaces;
	uint32_t gateway;                /* 0: none */
	const struct lab_routes *routes; /* Route= of a router or NAT, or NULL */
};

/* The MAC of member m's interface on network: derived from the lab's, the member's and the
 * network's names, so that every host of a lab split across hosts knows every member's MAC from
 * the file alone (per-MAC FDB entries, lab/vxlan.c), and a lab brought up again has the same. */
void lab_member_mac(const struct lab_topology *t, const char *member, int network, uint8_t mac[6]);

/* Every member: NATs, then routers, then nodes, in file order. */
int lab_members(const struct lab_topology *t, struct lab_member **ret, size_t *ret_n);
void lab_members_free(struct lab_member *m, size_t n);
const char *member_kind_name(enum member_kind k);

/* labs/LAB/<fmt> below the runtime dir (malloc'd). */
char *lab_path(const char *lab, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Is the lab fully up (its "up" marker written)? */
bool lab_is_up(const char *lab);
/* The topology a lab was brought up with. Logs. -ENOENT (quietly) if there is no such lab. */
int lab_load(const char *lab, struct lab_topology **ret);
/* lab_load, saying "no lab 'X'" when there is none. */
int lab_load_or_fail(const char *name, struct lab_topology **ret);
/* LAB or FILE -> the lab's name (and the parsed file, if it was one and ret_t is non-NULL): a
 * path has a '/' or names an existing regular file. Logs. */
int lab_resolve(const char *arg, char **ret_name, struct lab_topology **ret_t);
/* Opens a member's (or LAB_SWITCH's) namespace. Logs. */
int lab_ns_open(const char *lab, const char *member);

/* Builds the lab t (its file's text is text). Already up with the same text: does nothing and
 * returns 0; up with another: -EEXIST. On failure removes what it made. Logs. */
int lab_up(const struct lab_topology *t, const char *text);
/* Waits for and takes the lock that lets one command at a time build or remove labs (two
 * `lab up` of one lab at once both failed, or one reported a broken lab as up: issue 18.5).
 * Returns the fd to close. Logs. */
int lab_lock(void);
/* Removes everything of the lab, whatever state it is in. -ENOENT if it does not exist. Logs. */
int lab_down(const char *lab);
/* Names of the labs that exist (up or half made), sorted. Logs. */
int lab_list(char ***ret);

/* Container nodes (containers.c). The machine of a node: "LAB.NODE" (malloc'd). */
char *lab_machine_name(const char *lab, const char *node);
/* Every container node's tree exists (hako lab up checks it before lab_up). Logs. */
int lab_check_trees(const struct lab_topology *t);
/* Starts the machine of every container node in its node's namespace. Logs. */
int lab_start_containers(const struct lab_topology *t);
/* Stops the machines recorded for the lab and waits for them to be gone. Logs. */
int lab_stop_containers(const char *lab);
/* Runs argv in the running container of node; returns hako's exit status (the command's). */
int lab_container_exec(const char *lab, const char *node, char **argv);
