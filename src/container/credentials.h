/* nspawn's --set-credential=ID:VALUE and --load-credential=ID:PATH (SetCredential=,
 * LoadCredential=): system credentials for the guest, as files of mode 0400 on a read-only
 * ramfs at /run/host/credentials, named by $CREDENTIALS_DIRECTORY. A booted systemd hands them
 * on to its services (LoadCredential=ID with no path reads the manager's own directory). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define CREDENTIALS_DIR "/run/host/credentials"

struct credential {
	char *id;
	char *data; /* may hold NUL bytes */
	size_t size;
};

struct credentials {
	struct credential *items;
	unsigned n;
};

struct container;

/* Option setters (target: struct credentials). ID:VALUE with nspawn's C escapes in VALUE;
 * ID:PATH read now, PATH absolute or relative to hako's own $CREDENTIALS_DIRECTORY. */
int credential_set(void *target, const char *value, const char **why);
int credential_load(void *target, const char *value, const char **why);
/* A valid credential ID, as systemd's credential_name_valid(): a file name (no '/', not . or ..,
 * at most 255 bytes) of printable ASCII without ':'. */
bool credential_id_valid(const char *id);
void credentials_done(struct credentials *c);
/* In the child, before pivot_root: the ramfs with the files, at CREDENTIALS_DIR in the tree
 * (nfd). Logs its own error. Nothing when there are none. */
int credentials_setup(const struct container *c, int nfd);
