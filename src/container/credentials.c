#include "container/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "base/words.h"
#include "container/container.h"
#include "container/mounts.h"

/* systemd 252's CREDENTIAL_NAME_MAX and CREDENTIALS_TOTAL_SIZE_MAX: what a guest's systemd
 * accepts at most; a bigger set is refused here rather than silently dropped there. */
#define CREDENTIAL_NAME_MAX 255
#define CREDENTIALS_TOTAL_MAX (1024u * 1024u)

bool credential_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > CREDENTIAL_NAME_MAX || streq(id, ".") || streq(id, ".."))
		return false;
	for (const char *p = id; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '/' || *p == ':')
			return false;
	return true;
}

static size_t total_size(const struct credentials *c)
{
	size_t t = 0;
	for (unsigned i = 0; i < c->n; i++)
		t += c->items[i].size;
	return t;
}

/* Splits ID:REST; *ret_id is allocated. */
static int split_id(const char *value, char **ret_id, const char **ret_rest, const char **why)
{
	const char *colon = strchr(value, ':');
	if (!colon) {
		*why = "expected ID:VALUE";
		return -EINVAL;
	}
	_cleanup_free_ char *id = strndup(value, (size_t)(colon - value));
	if (!id)
		return -ENOMEM;
	if (!credential_id_valid(id)) {
		*why = "not a valid credential ID (printable ASCII, no '/' or ':', at most 255 bytes)";
		return -EINVAL;
	}
	*ret_id = TAKE_PTR(id);
	*ret_rest = colon + 1;
	return 0;
}

/* Takes id and data; nspawn refuses a second credential of the same ID. */
static int add(struct credentials *c, char *id, char *data, size_t size, const char **why)
{
	_cleanup_free_ char *i = id, *d = data;
	for (unsigned k = 0; k < c->n; k++)
		if (streq(c->items[k].id, i)) {
			*why = "a credential of this ID is given already";
			return -EINVAL;
		}
	if (total_size(c) + size > CREDENTIALS_TOTAL_MAX) {
		*why = "the credentials are larger than 1 MiB together";
		return -E2BIG;
	}
	struct credential *a = realloc(c->items, (c->n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->items = a;
	a[c->n++] = (struct credential){ TAKE_PTR(i), TAKE_PTR(d), size };
	return 0;
}

int credential_set(void *target, const char *value, const char **why)
{
	_cleanup_free_ char *id = NULL, *data = NULL;
	const char *rest;
	size_t size;
	int r = split_id(value, &id, &rest, why);
	if (r < 0)
		return r;
	r = words_cunescape(rest, &data, &size, why);
	if (r < 0)
		return r;
	return add(target, TAKE_PTR(id), TAKE_PTR(data), size, why);
}

/* PATH, or a relative one in the directory of credentials hako itself was given (as nspawn
 * run as a service passes its own on). */
static int load_path(const char *path, char **ret, const char **why)
{
	if (path[0] == '/')
		return (*ret = strdup(path)) ? 0 : -ENOMEM;
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (!*path || !dir || !credential_id_valid(path)) {
		*why = "expected ID:PATH with an absolute PATH (a relative one names one of $CREDENTIALS_DIRECTORY)";
		return -EINVAL;
	}
	return (*ret = xasprintf("%s/%s", dir, path)) ? 0 : -ENOMEM;
}

int credential_load(void *target, const char *value, const char **why)
{
	static char bad[160];
	_cleanup_free_ char *id = NULL, *path = NULL, *data = NULL;
	const char *rest;
	size_t size;
	int r = split_id(value, &id, &rest, why);
	if (r < 0)
		return r;
	r = load_path(rest, &path, why);
	if (r < 0)
		return r;
	r = read_file_bounded(path, CREDENTIALS_TOTAL_MAX, &data, &size);
	if (r < 0) {
		snprintf(bad, sizeof(bad), "cannot read %.100s: %s", path, read_error_str(r));
		*why = bad;
		return r == -ENOMEM ? r : -EINVAL;
	}
	return add(target, TAKE_PTR(id), TAKE_PTR(data), size, why);
}

void credentials_done(struct credentials *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		free(c->items[i].id);
		/* Secrets: not left in freed memory. */
		if (c->items[i].data)
			explicit_bzero(c->items[i].data, c->items[i].size);
		free(c->items[i].data);
	}
	free(c->items);
	*c = (struct credentials){ 0 };
}

static int write_credential(int dir, const struct credential *cr)
{
	_cleanup_close_ int fd =
		openat(dir, cr->id, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		return -errno;
	return write_all(fd, cr->data, cr->size);
}

/* ramfs, never swapped out, as nspawn (and systemd for its services) uses for secrets; tmpfs
 * where the kernel has no ramfs. Mode 0700: only the guest's root reads them. */
static int new_credentials_fs(void)
{
	_cleanup_close_ int fs = fsopen("ramfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return mnt < 0 ? -errno : mnt;
}

/* The files are written into the still detached mount, which goes read-only before it is
 * attached: the guest never sees a writable or half-filled directory. */
static int fill_and_attach(const struct container *c, int mnt, int target)
{
	const struct credentials *cr = &c->cfg->credentials;
	for (unsigned i = 0; i < cr->n; i++) {
		int r = write_credential(mnt, &cr->items[i]);
		if (r < 0)
			return log_errno(r, "cannot write credential %s", cr->items[i].id);
	}
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return log_errno(-errno, "cannot make %s read-only", CREDENTIALS_DIR);
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(-errno, "cannot mount %s", CREDENTIALS_DIR);
	return 0;
}

int credentials_setup(const struct container *c, int nfd)
{
	if (c->cfg->credentials.n == 0)
		return 0;
	_cleanup_close_ int target = mounts_make_target(nfd, CREDENTIALS_DIR, true);
	if (target < 0)
		return log_errno(target, "cannot create %s in the container", CREDENTIALS_DIR);
	_cleanup_close_ int mnt = new_credentials_fs();
	if (mnt < 0)
		return log_errno(mnt, "cannot mount a file system for the credentials");
	return fill_and_attach(c, mnt, target);
}
