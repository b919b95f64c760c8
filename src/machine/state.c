/* The state file of a running machine: what `hako list/show/status/shell` need, written by the
 * supervisor once the machine runs. A data table maps keys to fields. */
#include "machine/machine.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "machine/envfile.h"

enum field_kind { F_STRING, F_PID, F_U64, F_INT };

// clang-format off
static const struct {
	const char *key;
	enum field_kind kind;
	size_t offset;
} fields[] = {
#define S(f) offsetof(struct machine_state, f)
	{ "NAME", F_STRING, S(name) },         { "UUID", F_STRING, S(uuid) },
	{ "ROOT", F_STRING, S(root) },         { "CGROUP", F_STRING, S(cgroup) },
	{ "CGROUPS", F_STRING, S(cgroups) },
	{ "NETNS", F_STRING, S(netns) },       { "INIT", F_STRING, S(init) },
	{ "LEADER", F_PID, S(leader) },        { "SUPERVISOR", F_PID, S(supervisor) },
	{ "SINCE", F_U64, S(since_usec) },     { "POWEROFF_SIGNAL", F_INT, S(poweroff_signal) },
	{ "REBOOT_SIGNAL", F_INT, S(reboot_signal) }, { "CAPS", F_U64, S(caps) },
	{ "NO_NEW_PRIVS", F_INT, S(no_new_privs) }, { "SECCOMP_ADD", F_STRING, S(seccomp_add) },
	{ "SECCOMP_REMOVE", F_STRING, S(seccomp_remove) }, { "TEMP_BINDS", F_STRING, S(temp_binds) },
#undef S
};
// clang-format on

void machine_state_done(struct machine_state *s)
{
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		if (fields[i].kind == F_STRING)
			free(*(char **)((char *)s + fields[i].offset));
	*s = (struct machine_state){ 0 };
}

static int set_field(void *userdata, const char *key, const char *value)
{
	char *base = userdata;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		if (!streq(fields[i].key, key))
			continue;
		void *f = base + fields[i].offset;
		int n;
		switch (fields[i].kind) {
		case F_STRING: {
			char *d = strdup(value);
			if (!d)
				return -ENOMEM;
			free(*(char **)f);
			*(char **)f = d;
			return 0;
		}
		case F_PID:
			return parse_int(value, &n) < 0 || n <= 0 ? -EINVAL : (*(pid_t *)f = n, 0);
		case F_INT:
			return parse_int(value, (int *)f) < 0 ? -EINVAL : 0;
		case F_U64:
			return parse_u64(value, (uint64_t *)f) < 0 ? -EINVAL : 0;
		}
	}
	return 0; /* a key from a newer hako */
}

int machine_state_parse(const char *text, struct machine_state *s)
{
	*s = (struct machine_state){ 0 };
	int r = envfile_parse(text, set_field, s);
	if (r < 0) {
		machine_state_done(s);
		return r;
	}
	if (!s->name || !s->root || s->leader <= 0 || s->supervisor <= 0) {
		machine_state_done(s);
		return -EBADMSG;
	}
	return r;
}

int machine_state_format(const struct machine_state *s, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	const char *base = (const char *)s;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		const void *f = base + fields[i].offset;
		char num[32];
		const char *v = num;
		switch (fields[i].kind) {
		case F_STRING:
			v = *(char *const *)f ? *(char *const *)f : "";
			break;
		case F_PID:
			snprintf(num, sizeof(num), "%d", (int)*(const pid_t *)f);
			break;
		case F_INT:
			snprintf(num, sizeof(num), "%d", *(const int *)f);
			break;
		case F_U64:
			snprintf(num, sizeof(num), "%llu", (unsigned long long)*(const uint64_t *)f);
			break;
		}
		int r = envfile_append(&buf, fields[i].key, v);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

int machine_cgroup_dirs(const struct machine_state *s, char ***ret)
{
	/* A state from before CGROUPS= was recorded names the one directory. */
	_cleanup_free_ char *copy = strdup(s->cgroups && *s->cgroups ? s->cgroups
					   : s->cgroup               ? s->cgroup
								     : "");
	_cleanup_strv_free_ char **dirs = NULL;
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		int r = strv_push(&dirs, w);
		if (r < 0)
			return r;
	}
	if (!dirs && !(dirs = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = TAKE_PTR(dirs);
	return 0;
}
