#include "settings/nspawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/util.h"
#include "settings/ini.h"

#define SYSTEMD_NSPAWN_DIRS "/etc/systemd/nspawn:/run/systemd/nspawn"

static const char *const known_sections[] = { "Exec", "Files", "Network" };

/* Keys that grant the container more than its tree: a file beside the image may come with the
 * image (downloaded, copied from elsewhere), so as with nspawn they count only from a directory
 * the administrator owns: an allow-list filter could re-enable keyctl or io_uring, chown re-owns
 * the tree on disk, CPUAffinity= pins onto the admin's reserved CPUs. A trailing '.' names a
 * whole section, a trailing '*' every key that starts so. */
// clang-format off
static const char *const privileged_keys[] = {
	"Exec.Capability", "Exec.AmbientCapability", "Exec.PrivateUsers",
	"Exec.SystemCallFilter", "Exec.CPUAffinity", "Files.PrivateUsersOwnership",
	"Files.Bind", "Files.BindReadOnly", "Files.BindUser", "Files.TemporaryFileSystem",
	"Files.Inaccessible", "Files.Overlay", "Files.OverlayReadOnly",
	"Network.",
	"Exec.MachineID",   /* another machine's id: its journal, its registration */
	"Exec.LinkJournal", /* host mode writes on the host */
	"Exec.OOMScoreAdjust", /* -1000 makes the container the last the kernel kills */
	"Exec.Limit*", /* a file beside the image must not lift the admin's limits */
	"Exec.SetCredential", "Exec.LoadCredential", /* secrets the admin chose; a path reads the host */
};
// clang-format on

static bool is_privileged(const char *section, const char *key)
{
	char full[128];
	snprintf(full, sizeof(full), "%s.%s", section, key);
	for (size_t i = 0; i < ELEMENTSOF(privileged_keys); i++) {
		const char *p = privileged_keys[i];
		size_t n = strlen(p);
		bool prefix = p[n - 1] == '.' || p[n - 1] == '*'; /* a section, or Key* */
		if (prefix ? strncmp(full, p, n - (p[n - 1] == '*')) == 0 : streq(full, p))
			return true;
	}
	return false;
}

static int try_dir(const char *dir, const char *name, char **ret_path)
{
	_cleanup_free_ char *p = xasprintf("%s/%s.nspawn", dir, name);
	if (!p)
		return -ENOMEM;
	if (access(p, F_OK) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	*ret_path = TAKE_PTR(p);
	return 1;
}

int nspawn_find(const char *name, const char *image_parent, char **ret_path, bool *ret_trusted)
{
	const char *env = getenv("HAKO_NSPAWN_DIRS");
	_cleanup_free_ char *dirs =
		xasprintf("%s:%s", hako_dir(HAKO_DIR_CONFIG), env ? env : SYSTEMD_NSPAWN_DIRS);
	if (!dirs)
		return -ENOMEM;
	*ret_trusted = true;
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		int r = try_dir(d, name, ret_path);
		if (r != 0)
			return r;
	}
	*ret_trusted = false;
	return image_parent ? try_dir(image_parent, name, ret_path) : 0;
}

struct apply {
	bool trusted;
	const struct opt_group *groups;
	size_t n_groups;
	void *target;
	const struct opts_seen *seen;
	struct opts_seen *applied; /* the keys' options that took effect, or NULL */
	bool quiet;                /* no warnings: a second look at a file already warned about */
};

/* nspawn's start mode (boot an init, a command as PID 2 under a stub, or as PID 1) is one
 * setting served by three options and two keys: a mode on the command line replaces the file's
 * whole, so `-b` wins over a file's ProcessTwo= and `-a` over its Boot=, as in nspawn. */
static const char *const start_mode_options[] = { "boot", "as-pid2", "as-pid1", NULL };
static const char *const start_mode_keys[] = { "Boot", "ProcessTwo", NULL };

/* nspawn's credentials are one setting too: one given on the command line drops the file's. */
static const char *const credential_options[] = { "set-credential", "load-credential", NULL };
static const char *const credential_keys[] = { "SetCredential", "LoadCredential", NULL };

static bool section_known(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
		if (streq(known_sections[i], name))
			return true;
	return false;
}

static int on_section(void *userdata, const struct ini_pos *pos, const char *name, const char *arg)
{
	if ((!section_known(name) || arg) && !((struct apply *)userdata)->quiet)
		log_warning("%s:%u: unknown section [%s%s%s], ignored", pos->file, pos->line, name,
			    arg ? " " : "", arg ? arg : "");
	return 0;
}

static int on_entry(void *userdata, const struct ini_pos *pos, const char *section, const char *section_arg,
		    const char *key, const char *value)
{
	struct apply *a = userdata;
	if (!section || section_arg || !section_known(section))
		return 0; /* warned once at the section header */
	const struct opt *o;
	int position = opts_find_setting(a->groups, a->n_groups, section, key, &o);
	if (position < 0) {
		if (a->quiet)
			return 0;
		log_warning("%s:%u: unknown setting %s= in [%s], ignored", pos->file, pos->line, key,
			    section);
		return 0;
	}
	if (a->seen && opts_was_seen(a->seen, position))
		return 0; /* the command line wins */
	/* As in nspawn, a network given on the command line replaces the file's [Network] as a
	 * whole (Port= aside): -n with a file's Bridge= is a veth, not both, nor an error. */
	if (a->seen && streq(section, "Network") && !streq(key, "Port") &&
	    opts_section_seen(a->groups, a->n_groups, a->seen, "Network", "Port"))
		return 0;
	if (a->seen && streq(section, "Exec") && strv_contains((char *const *)start_mode_keys, key) &&
	    opts_any_seen(a->groups, a->n_groups, a->seen, start_mode_options))
		return 0;
	if (a->seen && streq(section, "Exec") && strv_contains((char *const *)credential_keys, key) &&
	    opts_any_seen(a->groups, a->n_groups, a->seen, credential_options))
		return 0;
	if (!a->trusted && is_privileged(section, key)) {
		if (a->quiet)
			return 0;
		log_warning("%s:%u: %s= ignored: the file is not in a trusted directory (%s, %s)", pos->file,
			    pos->line, key, hako_dir(HAKO_DIR_CONFIG), SYSTEMD_NSPAWN_DIRS);
		return 0;
	}
	const char *why = NULL;
	int r = o->set((char *)a->target + o->offset, value, &why);
	if (r < 0) {
		log_error("%s:%u: invalid %s=%s: %s", pos->file, pos->line, key, value,
			  why ? why : strerror(-r));
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (a->applied)
		opts_mark_seen(a->applied, position);
	return 0;
}

static const struct ini_handler handler = { on_section, on_entry };

int nspawn_apply_string(const char *text, const char *file, bool trusted, const struct opt_group *groups,
			size_t n_groups, void *target, const struct opts_seen *seen)
{
	struct apply a = { trusted, groups, n_groups, target, seen, NULL, false };
	return ini_parse_string(text, file, &handler, &a);
}

int nspawn_apply_file(const char *path, bool trusted, const struct opt_group *groups, size_t n_groups,
		      void *target, const struct opts_seen *seen)
{
	struct apply a = { trusted, groups, n_groups, target, seen, NULL, false };
	return ini_parse_file(path, &handler, &a);
}

int nspawn_file_keys(const char *path, bool trusted, const struct opt_group *groups, size_t n_groups,
		     void *scratch, struct opts_seen *ret)
{
	struct apply a = { trusted, groups, n_groups, scratch, NULL, ret, true };
	int r = ini_parse_file(path, &handler, &a);
	if (r < 0)
		return r;
	/* The two settings served by several options go whole, as the command line's do. */
	if (opts_section_seen(groups, n_groups, ret, "Network", "Port"))
		opts_mark_section(groups, n_groups, ret, "Network", "Port");
	if (opts_any_seen(groups, n_groups, ret, start_mode_options))
		opts_mark_names(groups, n_groups, ret, start_mode_options);
	return 0;
}
