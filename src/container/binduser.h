/* nspawn's --bind-user=USER: a host user's home at /run/host/home/USER in a container with its
 * own user namespace, the user and its primary group mapped to an id of the container's
 * 60514..60577 (nspawn's range for them), and JSON user records in /run/host/userdb/ for
 * nss-systemd and userdbd in the guest. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#define BINDUSER_ID_FIRST 60514U
#define BINDUSER_ID_LAST 60577U

struct container;
struct tree_user;

struct bound_user {
	char *name, *group, *home, *hashed_password; /* the host's; hashed_password may be NULL */
	uid_t host_uid;
	gid_t host_gid;
	uint32_t id;   /* the user's uid and its group's gid in the container */
	int home_tree; /* child: a clone of the home, made with the host's ids; else -1 */
};

struct bound_users {
	struct bound_user *v;
	unsigned n;
};

/* Looks the users up on the host and picks their ids (parent, before the clone): refuses without
 * a user namespace, an unknown or system user, a name the guest's passwd or group already has. */
int binduser_prepare(struct container *c);
/* The uid_map or gid_map text: the container's range at base with a hole per bound user, which
 * maps its id to the host's (-ERANGE: the range ends below the bound ids, or holds a host id). */
int binduser_map_text(const struct bound_users *b, uint32_t base, uint32_t count, int gid, char **ret);
/* Child, with the host's ids still: clones each home (it may sit below a 0700 directory). */
int binduser_clone_homes(struct container *c);
/* Child, in the new root (nfd): binds the homes and writes the records. */
int binduser_setup(struct container *c, int nfd);
/* The bound user named name (by name, or its id in the container) as --user= takes it, with
 * userdb's default shell; -ENOENT when no bound user is so named. */
int binduser_lookup(const struct bound_users *b, const char *name, struct tree_user *ret);
void binduser_done(struct bound_users *b);
