/* hako's system call filter: an allow-list in the spirit of systemd-nspawn's, built from the
 * groups in seccomp.c through libseccomp, compiled once per effective configuration and cached as
 * raw BPF under the state directory, so a container start only reads and loads the program.
 *
 *   unknown system call          -> ENOSYS (programs fall back, e.g. clone3 -> clone)
 *   known, not allowed           -> EPERM
 *   audit netlink socket         -> EAFNOSUPPORT
 *   never a kill: programs can cope with an error. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* The effective filter: the syscall names allowed beyond what the kept capabilities give. */
struct seccomp_request {
	char **add;         /* names and @groups added by --system-call-filter= */
	char **remove;      /* names and @groups removed by --system-call-filter=~... */
	bool suppress_sync; /* --suppress-sync=yes: the sync family succeeds without doing anything */
};

/* Parses one --system-call-filter= value (nspawn syntax: a space separated list of names and
 * @groups; a leading "~" turns the whole list into removals) into req. Options accumulate. */
int seccomp_request_add(struct seccomp_request *req, const char *value, const char **why);
void seccomp_request_done(struct seccomp_request *req);

/* Whether name is a known group ("@basic-io") or system call on this architecture. */
int seccomp_check_entry(const char *entry);

/* Resolves the names allowed for caps (a bitmask of kept CAP_*), req applied: returns a sorted,
 * de-duplicated NULL-terminated vector of syscall names (groups expanded). */
int seccomp_resolve_allowed(const struct seccomp_request *req, uint64_t caps, char ***ret);

/* A compiled program. */
struct seccomp_program {
	struct sock_filter *insns;
	size_t n;
};
void seccomp_program_done(struct seccomp_program *p);

/* Compiles (libseccomp) without any cache. */
int seccomp_compile(const struct seccomp_request *req, uint64_t caps, struct seccomp_program *ret);
/* Returns the program from the cache in cache_dir (NULL: no cache), compiling and storing it
 * atomically on a miss or an invalid entry. */
int seccomp_get_program(const struct seccomp_request *req, uint64_t caps, const char *cache_dir,
			struct seccomp_program *ret);
/* Loads the program into the calling thread (seccomp(2) SECCOMP_SET_MODE_FILTER). Needs
 * no_new_privs or CAP_SYS_ADMIN. */
int seccomp_load_program(const struct seccomp_program *p);

/* The group names, for --help and docs. */
const char *const *seccomp_group_names(void);
