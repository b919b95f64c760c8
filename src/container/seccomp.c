/* The system call filter (see seccomp.h). The groups below are the whole policy: review them here.
 * Names unknown to this architecture are skipped when the filter is built. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/seccomp.h"

/* Bump when the groups or the special rules change: it is part of the cache key. */
#define SECCOMP_POLICY_VERSION "hako-seccomp-12"

struct syscall_group {
	const char *name;
	const char *const *calls; /* NULL-terminated; "@group" includes another group */
};

// clang-format off
#define GROUP(n, ...) { n, (const char *const[]){ __VA_ARGS__, NULL } }
// clang-format on

// clang-format off
static const struct syscall_group groups[] = {
	GROUP("@default", "arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64",
	      "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
	      "execve", "exit", "exit_group", "futex", "futex_requeue", "futex_time64",
	      "futex_wait", "futex_waitv", "futex_wake", "get_robust_list", "get_thread_area",
	      "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
	      "getgroups32", "getpgid", "getpgrp", "getpid", "getppid", "getrandom", "getresgid",
	      "getresgid32", "getresuid", "getresuid32", "getrlimit", "getsid", "gettid",
	      "gettimeofday", "getuid", "getuid32", "map_shadow_stack", "membarrier", "mmap",
	      "mmap2", "mprotect", "munmap", "nanosleep", "pause", "prlimit64", "restart_syscall",
	      "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",
	      "set_thread_area", "set_tid_address", "set_tls", "sigreturn", "time", "ugetrlimit"),
	GROUP("@basic-io", "_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek",
	      "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readv",
	      "write", "writev"),
	/* mknod and mknodat are special rules (device nodes), see special_rules[]. */
	GROUP("@file-system", "access", "chdir", "chmod", "creat", "faccessat", "faccessat2",
	      "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fcntl64",
	      "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64",
	      "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
	      "getdents64", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
	      "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr", "listxattrat", "llistxattr",
	      "lremovexattr", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat", "newfstatat",
	      "oldfstat", "oldlstat", "oldstat", "open", "openat", "openat2", "readlink",
	      "readlinkat", "removexattr", "removexattrat", "rename", "renameat", "renameat2", "rmdir",
	      "setxattr", "setxattrat",
	      "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "truncate",
	      "truncate64", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes"),
	GROUP("@chown", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32"),
	GROUP("@io-event", "_newselect", "epoll_create", "epoll_create1", "epoll_ctl",
	      "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd", "eventfd2", "poll", "ppoll",
	      "ppoll_time64", "pselect6", "pselect6_time64", "select"),
	GROUP("@ipc", "ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open",
	      "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	      "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl",
	      "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt",
	      "shmget"),
	/* socket is a special rule (audit netlink, vsock), see special_rules[]. */
	GROUP("@network-io", "accept", "accept4", "bind", "connect", "getpeername", "getsockname",
	      "getsockopt", "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	      "send", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socketcall",
	      "socketpair"),
	/* clone is a special rule (namespace flags); clone3, unshare and setns need CAP_SYS_ADMIN. */
	GROUP("@process", "capget", "execveat", "fork", "getrusage", "kill", "pidfd_open",
	      "pidfd_send_signal", "prctl", "process_mrelease", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill",
	      "times", "tkill", "vfork", "wait4", "waitid", "waitpid"),
	GROUP("@signal", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend",
	      "rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal",
	      "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigsuspend"),
	GROUP("@timer", "alarm", "getitimer", "setitimer", "timer_create", "timer_delete",
	      "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	      "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	      "timerfd_settime", "timerfd_settime64"),
	GROUP("@sync", "fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
	      "syncfs"),
	GROUP("@setuid", "setgid", "setgid32", "setgroups", "setgroups32", "setregid",
	      "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
	      "setreuid32", "setuid", "setuid32", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
	      "capset"),
	GROUP("@resources", "ioprio_get", "ioprio_set", "get_mempolicy", "mbind", "set_mempolicy",
	      "set_mempolicy_home_node",
	      "migrate_pages", "move_pages", "nice", "getpriority", "setpriority", "setrlimit",
	      "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
	      "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	      "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler"),
	GROUP("@aio", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
	      "io_pgetevents_time64", "io_setup", "io_submit"),
	/* io_uring bypasses this filter for the operations it performs: only on request. Refused
	 * with EPERM, the answer the kernel itself gives when io_uring is disabled by sysctl
	 * (kernel.io_uring_disabled), so programs that use it already fall back on EPERM. */
	GROUP("@io-uring", "io_uring_enter", "io_uring_register", "io_uring_setup"),
	GROUP("@system-service", "@default", "@basic-io", "@file-system", "@chown", "@io-event",
	      "@ipc", "@network-io", "@process", "@signal", "@timer", "@sync", "@setuid",
	      "@resources", "@aio", "copy_file_range", "flock", "get_mempolicy", "getcpu",
	      "ioctl", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	      "madvise", "mincore", "mremap", "mseal", "name_to_handle_at", "oldolduname", "olduname",
	      "readahead", /* personality is a special rule (a few personas) */
	      "remap_file_pages", "sendfile", "sendfile64", "setpgid", "setsid", "splice",
	      /* A filter of the container's own (systemd's SystemCallFilter=, browser sandboxes)
	       * can only narrow this one; nspawn allows it too. */
	      "seccomp",
	      "sysinfo", "tee", "umask", "uname", "vmsplice", "memfd_secret", "process_madvise",
	      "pkey_alloc", "pkey_free", "pkey_mprotect", "fadvise64", "fadvise64_64",
	      "arm_fadvise64_64", "kcmp"),
	/* The groups below only come with the capability they need (cap_groups[]). */
	GROUP("@clock", "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime",
	      "clock_settime64", "settimeofday", "stime"),
	GROUP("@module", "delete_module", "finit_module", "init_module"),
	GROUP("@raw-io", "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
	      "s390_pci_mmio_read", "s390_pci_mmio_write"),
	GROUP("@memlock", "mlock", "mlock2", "mlockall", "munlock", "munlockall"),
	GROUP("@debug", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
	      "userfaultfd"),
	GROUP("@reboot", "reboot"),
	GROUP("@mount", "fsconfig", "fsmount", "fsopen", "fspick", "mount",
	      "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", "umount2"),
	GROUP("@namespaces", "clone3", "setns", "unshare"),
	GROUP("@hostname", "sethostname", "setdomainname"),
	/* Single calls behind one capability each (see cap_groups[]). */
	GROUP("@privileged-misc", "syslog", "acct", "vhangup", "chroot"),
	/* Never part of a default: host-wide kernel state, or known container escapes. */
	GROUP("@privileged-never", "kexec_load", "kexec_file_load", "swapon", "swapoff", "keyctl",
	      "add_key", "request_key", "bpf", "perf_event_open",
	      "open_by_handle_at", /* "shocker": opens host files by handle (CVE-2014-3519 family) */
	      "fanotify_init", "fanotify_mark", "quotactl", "quotactl_fd", "lookup_dcookie",
	      "modify_ldt"),
	GROUP("@obsolete", "_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
	      "get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "nfsservctl", "prof",
	      "profil", "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stty",
	      "sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vm86", "vm86old", "vserver"),
};
// clang-format on

/* Allowed when the capability is kept (the kernel would check it anyway; the filter also
 * removes the attack surface behind the check). */
static const struct {
	int cap;
	const char *group;
	// clang-format off
} cap_groups[] = {
	{ CAP_SYS_TIME, "@clock" },
	{ CAP_SYS_MODULE, "@module" },
	{ CAP_SYS_RAWIO, "@raw-io" },
	{ CAP_IPC_LOCK, "@memlock" },
	{ CAP_SYS_PTRACE, "@debug" },
	{ CAP_SYS_BOOT, "@reboot" },
	{ CAP_SYS_ADMIN, "@mount" },
	{ CAP_SYS_ADMIN, "@namespaces" },
	{ CAP_SYS_ADMIN, "@hostname" },
	{ CAP_SYSLOG, "syslog" },
	{ CAP_SYS_PACCT, "acct" },
	{ CAP_SYS_TTY_CONFIG, "vhangup" },
	{ CAP_SYS_CHROOT, "chroot" }, /* Docker's profile: chroot with its capability */
};
// clang-format on

/* Calls allowed only with conditions on their arguments, and handled by build_special_rules(). */
static const char *const special_calls[] = { "socket", "mknod", "mknodat", "clone", "personality", NULL };

static const struct syscall_group *find_group(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(groups); i++)
		if (streq(groups[i].name, name))
			return &groups[i];
	return NULL;
}

const char *const *seccomp_group_names(void)
{
	static const char *names[ELEMENTSOF(groups) + 1];
	for (size_t i = 0; i < ELEMENTSOF(groups); i++)
		names[i] = groups[i].name;
	return names;
}

static bool is_special(const char *name)
{
	for (size_t i = 0; special_calls[i]; i++)
		if (streq(special_calls[i], name))
			return true;
	return false;
}

int seccomp_check_entry(const char *entry)
{
	if (entry[0] == '@')
		return find_group(entry) ? 0 : -ENOENT;
	if (is_special(entry))
		return 0;
	return seccomp_syscall_resolve_name(entry) == __NR_SCMP_ERROR ? -ENOENT : 0;
}

int seccomp_request_add(struct seccomp_request *req, const char *value, const char **why)
{
	bool removing = false;
	if (value[0] == '~') {
		removing = true;
		value++;
	}
	_cleanup_free_ char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	int n = 0;
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (seccomp_check_entry(w) < 0) {
			*why = w[0] == '@' ? "unknown system call group" : "unknown system call";
			return -EINVAL;
		}
		int r = strv_push(removing ? &req->remove : &req->add, w);
		if (r < 0)
			return r;
		n++;
	}
	if (n == 0) {
		*why = "empty system call list";
		return -EINVAL;
	}
	return 0;
}

void seccomp_request_done(struct seccomp_request *req)
{
	strv_free(req->add);
	strv_free(req->remove);
	req->add = req->remove = NULL;
}

/* Adds entry (a name or a group, recursively) to *set. depth guards against include cycles. */
static int expand_entry(const char *entry, char ***set, int depth)
{
	if (depth > 8)
		return -ELOOP;
	if (entry[0] != '@')
		return strv_contains(*set, entry) ? 0 : strv_push(set, entry);
	const struct syscall_group *g = find_group(entry);
	if (!g)
		return -ENOENT;
	for (size_t i = 0; g->calls[i]; i++) {
		int r = expand_entry(g->calls[i], set, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @system-service, the special calls, the groups caps grant and the request's additions. */
static int collect_allowed(const struct seccomp_request *req, uint64_t caps, char ***allowed)
{
	int r = expand_entry("@system-service", allowed, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; special_calls[i]; i++) {
		r = strv_push(allowed, special_calls[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(cap_groups); i++) {
		if (!(caps & (UINT64_C(1) << cap_groups[i].cap)))
			continue;
		r = expand_entry(cap_groups[i].group, allowed, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; req && req->add && req->add[i]; i++) {
		r = expand_entry(req->add[i], allowed, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int seccomp_resolve_allowed(const struct seccomp_request *req, uint64_t caps, char ***ret)
{
	_cleanup_strv_free_ char **allowed = NULL, **removed = NULL;
	int r = collect_allowed(req, caps, &allowed);
	if (r < 0)
		return r;
	for (size_t i = 0; req && req->remove && req->remove[i]; i++) {
		r = expand_entry(req->remove[i], &removed, 0);
		if (r < 0)
			return r;
	}

	size_t n = 0;
	for (size_t i = 0; allowed && allowed[i]; i++) {
		if (strv_contains(removed, allowed[i]))
			free(allowed[i]);
		else
			allowed[n++] = allowed[i];
	}
	if (!allowed && !(allowed = calloc(1, sizeof(char *))))
		return -ENOMEM;
	allowed[n] = NULL;
	qsort(allowed, n, sizeof(char *), cmp_str);
	*ret = TAKE_PTR(allowed);
	return 0;
}

/* The argument-dependent rules. Each is added only when its call is allowed at all.
 *
 * The kernel reads socket's family and protocol as ints: every rule compares the low 32 bits
 * only, or 2^32 + AF_VSOCK would pass a 64-bit compare (the bypass of CVE-2019-10063). */
#define LOW32(arg, value) SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL, (scmp_datum_t)(value))

/* Netlink: every protocol but NETLINK_AUDIT. The audit subsystem is not namespaced: a container
 * must not log as the host (nspawn refuses it the same way). EAFNOSUPPORT makes tools like login
 * carry on without audit. */
static int add_netlink_rules(scmp_filter_ctx ctx, int nr)
{
	for (int protocol = 0; protocol < MAX_LINKS; protocol++) {
		int r = seccomp_rule_add(ctx,
					 protocol == NETLINK_AUDIT ? SCMP_ACT_ERRNO(EAFNOSUPPORT)
								   : SCMP_ACT_ALLOW,
					 nr, 2, LOW32(0, AF_NETLINK), LOW32(2, protocol));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every family the kernel knows but AF_VSOCK: vsock is machine-wide, not namespaced, so a
 * container could bind ports the host then cannot, and talk to the hypervisor (Docker's profile
 * refuses it too). */
static int add_socket_rules(scmp_filter_ctx ctx)
{
	int nr = SCMP_SYS(socket);
	int r = add_netlink_rules(ctx, nr);
	if (r < 0)
		return r;
	for (int family = 0; family < AF_MAX; family++) {
		if (family == AF_NETLINK)
			continue;
		r = seccomp_rule_add(ctx, family == AF_VSOCK ? SCMP_ACT_ERRNO(EAFNOSUPPORT) : SCMP_ACT_ALLOW,
				     nr, 1, LOW32(0, family));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Character devices a container may create even when it keeps CAP_MKNOD (boot mode does): the
 * harmless ones an init sets up. Any block device or other char device would reach host
 * hardware (e.g. a raw view of the host's disk, /dev/mem 1:1, /dev/kmsg 1:11). */
static const struct {
	unsigned major, minor;
	// clang-format off
} harmless_char_devices[] = {
	{ 0, 0 },                                         /* whiteout (overlayfs) */
	{ 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, /* null zero full random urandom */
	{ 5, 0 }, { 5, 1 }, { 5, 2 },                     /* tty console ptmx */
};
// clang-format on

/* The kernel's dev argument is new_encode_dev(): (major << 8) | minor for these. */
static uint32_t harmless_dev(size_t i)
{
	return (harmless_char_devices[i].major << 8) | harmless_char_devices[i].minor;
}

/* Refuses (EPERM) mknod of the char devices [lo, hi]. libseccomp has no "otherwise" on one
 * argument and no two comparisons of one argument in a rule, so the range is cut into aligned
 * blocks, each one masked compare (dev & ~(size - 1)) == lo, the way a CIDR range is. The mask
 * looks at the low 32 bits only: the kernel reads dev as an unsigned int. */
static int refuse_char_range(scmp_filter_ctx ctx, int nr, unsigned mode_arg, uint32_t lo, uint32_t hi)
{
	for (;;) {
		uint32_t size = lo ? lo & -lo : UINT32_C(1) << 31;
		while (size - 1 > hi - lo)
			size >>= 1;
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2,
					 SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR),
					 SCMP_CMP(mode_arg + 1, SCMP_CMP_MASKED_EQ, UINT32_MAX & ~(size - 1),
						  lo));
		if (r < 0 || hi - lo == size - 1)
			return r;
		lo += size;
	}
}

/* Every mknod(at) call gets an answer of its own, never the unknown-call default (ENOSYS): files,
 * fifos and sockets are allowed, so are the harmless char devices; any other char device, any
 * block device and any other file type is refused with EPERM. */
static int add_mknod_rules(scmp_filter_ctx ctx, int nr, unsigned mode_arg)
{
	static const unsigned plain_types[] = { 0, S_IFREG, S_IFIFO, S_IFSOCK };
	for (unsigned type = 0; type <= S_IFMT; type += S_IFMT & -S_IFMT) {
		bool plain = false;
		for (size_t i = 0; i < ELEMENTSOF(plain_types); i++)
			plain = plain || type == plain_types[i];
		if (type == S_IFCHR)
			continue;
		int r = seccomp_rule_add(ctx, plain ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), nr, 1,
					 SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, S_IFMT, type));
		if (r < 0)
			return r;
	}
	/* The harmless devices (the table is sorted) and the gaps between them. */
	uint32_t next = 0;
	for (size_t i = 0; i < ELEMENTSOF(harmless_char_devices); i++) {
		uint32_t dev = harmless_dev(i);
		int r = dev > next ? refuse_char_range(ctx, nr, mode_arg, next, dev - 1) : 0;
		if (r < 0)
			return r;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 2,
				     SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR),
				     SCMP_CMP(mode_arg + 1, SCMP_CMP_EQ, dev));
		if (r < 0)
			return r;
		next = dev + 1;
	}
	/* Past the last one, compared on all 64 bits (so also a dev with stray high bits). */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2,
				SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, S_IFMT, S_IFCHR),
				SCMP_CMP(mode_arg + 1, SCMP_CMP_GT, next - 1));
}

/* Namespace flags of clone(2): without CAP_SYS_ADMIN they would only create a user namespace,
 * which hands the caller a full capability set over new namespaces (the kernel attack surface
 * behind CVE-2022-0185 and many others). */
#define CLONE_NAMESPACE_FLAGS                                                                  \
	(0x00020000UL /* NEWNS */ | 0x02000000UL /* NEWCGROUP */ | 0x04000000UL /* NEWUTS */ | \
	 0x08000000UL /* NEWIPC */ | 0x10000000UL /* NEWUSER */ | 0x20000000UL /* NEWPID */ |  \
	 0x40000000UL /* NEWNET */ | 0x00000080UL /* NEWTIME */)

/* Any one namespace flag is refused with EPERM, the kernel's own answer without the capability
 * (one rule per flag: a rule's masked compare matches only when all its bits are set). */
static int add_clone_rules(scmp_filter_ctx ctx, bool allow_namespaces)
{
	if (allow_namespaces)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0);
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0));
	if (r < 0)
		return r;
	for (unsigned long flag = 1; flag <= CLONE_NAMESPACE_FLAGS; flag <<= 1) {
		if (!(CLONE_NAMESPACE_FLAGS & flag))
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
		if (r < 0)
			return r;
	}
	return 0;
}

/* personality(2): the personas Docker's profile allows (Linux, 32-bit uname, UNAME26 and the
 * query); others, such as READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE, weaken the container's own
 * exploit mitigations, and get the filter's default answer, ENOSYS. (EPERM would take a rule for
 * each aligned block of the values between them: about 100 more instructions per ABI, which
 * every start pays for in its load time.) */
static const uint32_t allowed_personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

static int add_personality_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < ELEMENTSOF(allowed_personas); i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
					 LOW32(0, allowed_personas[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* clone3 passes its flags in a struct the filter cannot read, so it cannot be filtered by namespace
 * flag the way clone is. Refusing it with ENOSYS (not EPERM) makes glibc >= 2.34 fall back to
 * clone(2) for threads and posix_spawn, as Docker and systemd do (moby#42680): with EPERM every
 * pthread_create in the container would fail. */
static uint32_t refusal_or_allow(char *const *allowed, const char *call)
{
	if (strv_contains(allowed, call))
		return SCMP_ACT_ALLOW;
	return streq(call, "clone3") ? SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ERRNO(EPERM);
}

/* The number to give libseccomp for a call of arch's ABI: its native (or pseudo) number, which
 * libseccomp translates for the filter's architecture; __NR_SCMP_ERROR if arch has no such call. */
static int call_of_arch(uint32_t arch, const char *name)
{
	if (seccomp_syscall_resolve_name_arch(arch, name) < 0)
		return __NR_SCMP_ERROR;
	return seccomp_syscall_resolve_name(name);
}

/* Sets every known call of arch to ALLOW or EPERM; the default (unknown calls) is ENOSYS. */
static int add_plain_rules(scmp_filter_ctx ctx, uint32_t arch, char *const *allowed)
{
	_cleanup_strv_free_ char **known = NULL;
	for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
		int r = expand_entry(groups[i].name, &known, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; known[i]; i++) {
		int nr = call_of_arch(arch, known[i]);
		if (is_special(known[i]) || nr == __NR_SCMP_ERROR)
			continue;
		uint32_t action = refusal_or_allow(allowed, known[i]);
		if (action == SCMP_ACT_ERRNO(ENOSYS))
			continue; /* the default: libseccomp refuses a rule that repeats it */
		int r = seccomp_rule_add(ctx, action, nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where socket(2) is also reached through the socketcall(2) multiplexer (i386), its arguments
 * are in memory the filter cannot read, and libseccomp refuses argument rules on either: there
 * socket is allowed whole, as nspawn and Docker allow it, and AF_VSOCK and audit netlink are
 * refused on the native ABI only. */
static bool arch_multiplexes_socket(uint32_t arch)
{
	return seccomp_syscall_resolve_name_arch(arch, "socketcall") >= 0;
}

static int add_special_rules(scmp_filter_ctx ctx, uint32_t arch, char *const *allowed)
{
	/* Special calls the user removed entirely are refused outright. */
	for (size_t i = 0; special_calls[i]; i++) {
		int nr = call_of_arch(arch, special_calls[i]);
		if (strv_contains(allowed, special_calls[i]) || nr == __NR_SCMP_ERROR)
			continue;
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}
	int r = 0;
	if (strv_contains(allowed, "socket"))
		r = arch_multiplexes_socket(arch) ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 0)
						  : add_socket_rules(ctx);
	if (r < 0)
		return r;
	if (strv_contains(allowed, "mknod") && call_of_arch(arch, "mknod") >= 0)
		r = add_mknod_rules(ctx, SCMP_SYS(mknod), 1);
	if (r < 0)
		return r;
	if (strv_contains(allowed, "mknodat"))
		r = add_mknod_rules(ctx, SCMP_SYS(mknodat), 2);
	if (r < 0)
		return r;
	if (strv_contains(allowed, "clone"))
		r = add_clone_rules(ctx, strv_contains(allowed, "unshare"));
	if (r < 0)
		return r;
	if (strv_contains(allowed, "personality"))
		r = add_personality_rules(ctx);
	return r;
}

/* The 32-bit ABI a 64-bit kernel also runs, by native architecture: i386 binaries on x86-64
 * (int 0x80), arm ones on arm64. nspawn and Docker filter and allow them too; without it every
 * call of such a binary got ENOSYS. x32 stays refused, as the kernels people run disable it. */
static const struct {
	uint32_t native, compat;
	// clang-format off
} compat_archs[] = {
	{ SCMP_ARCH_X86_64, SCMP_ARCH_X86 },
	{ SCMP_ARCH_AARCH64, SCMP_ARCH_ARM },
};
// clang-format on

static void filter_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int set_filter_attrs(scmp_filter_ctx ctx, uint32_t arch)
{
	/* Calls of an ABI not in the filter (e.g. x32) fail like unknown ones, never kill. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (r < 0)
		return r;
	/* hako sets no_new_privs itself when asked; the filter must not force it. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return r;
	/* A binary tree of syscall numbers rather than a chain: the kernel emulates the filter for
	 * every syscall number when it is loaded (its action cache), along the path each one takes:
	 * O(log n) steps instead of O(n) halves the load time, and every call runs fewer steps. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0 || arch == seccomp_arch_native())
		return r;
	r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	if (r < 0)
		return r;
	return seccomp_arch_add(ctx, arch);
}

/* An empty filter for arch alone, with hako's attributes. */
static scmp_filter_ctx new_filter(uint32_t arch)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	if (!ctx)
		return NULL;
	if (set_filter_attrs(ctx, arch) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int add_arch_rules(scmp_filter_ctx ctx, uint32_t arch, char *const *allowed)
{
	int r = add_plain_rules(ctx, arch, allowed);
	if (r < 0)
		return r;
	return add_special_rules(ctx, arch, allowed);
}

/* arch's part of the filter, merged into ctx (which it is, for the native one). */
static int add_arch(scmp_filter_ctx ctx, uint32_t arch, char *const *allowed)
{
	if (arch == seccomp_arch_native())
		return add_arch_rules(ctx, arch, allowed);
	_cleanup_(filter_releasep) scmp_filter_ctx own = new_filter(arch);
	if (!own)
		return -ENOMEM;
	int r = add_arch_rules(own, arch, allowed);
	if (r < 0)
		return r;
	r = seccomp_merge(ctx, own);
	if (r < 0)
		return r;
	own = NULL; /* part of ctx now */
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, char *const *allowed)
{
	uint32_t native = seccomp_arch_native();
	int r = add_arch(ctx, native, allowed);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(compat_archs); i++) {
		if (compat_archs[i].native != native)
			continue;
		r = add_arch(ctx, compat_archs[i].compat, allowed);
		if (r < 0)
			return r;
	}
	return 0;
}

void seccomp_program_done(struct seccomp_program *p)
{
	free(p->insns);
	p->insns = NULL;
	p->n = 0;
}

/* Exports ctx's BPF into memory (libseccomp 2.5 exports only to an fd). */
static int export_program(scmp_filter_ctx ctx, struct seccomp_program *ret)
{
	_cleanup_close_ int fd = memfd_create("hako-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) != 0)
		return -EBADMSG;
	_cleanup_free_ struct sock_filter *insns = malloc(size);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, size, 0) != size)
		return -EIO;
	ret->insns = TAKE_PTR(insns);
	ret->n = size / sizeof(struct sock_filter);
	return 0;
}

/* --- The terminal guard ---
 * TIOCSTI types into a terminal and TIOCLINUX can too: a container given the admin's terminal
 * (--console=pipe, or autopipe with stdout redirected) must do neither, whatever its capabilities
 * (bubblewrap's CVE-2017-5226, flatpak's CVE-2023-28100). The allow-list cannot refuse one ioctl
 * request, since libseccomp lets an unconditional allow of ioctl win over a conditional refusal;
 * so the guard is a filter of its own that allows everything else, run before the allow-list in
 * one program. The request is compared in its low 32 bits only, as the kernel reads it (flatpak's
 * CVE-2019-10063: a high bit set slipped past a 64-bit comparison). */
static const unsigned long tty_guard_requests[] = { TIOCSTI, TIOCLINUX };

/* A guard's filter: it allows what it does not name, on the native and the compat ABI. */
static int guard_attrs(scmp_filter_ctx ctx)
{
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r < 0)
		return r;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(compat_archs); i++) {
		if (compat_archs[i].native != seccomp_arch_native())
			continue;
		r = seccomp_arch_add(ctx, compat_archs[i].compat);
		if (r < 0)
			return r;
	}
	return 0;
}

static int tty_guard_rules(scmp_filter_ctx ctx)
{
	int r = guard_attrs(ctx);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(tty_guard_requests); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_guard_requests[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- The sync guard (--suppress-sync=yes) ---
 * nspawn's seccomp_suppress_sync(): the sync family returns 0 without reaching the kernel, which
 * makes package installs and builds in a throw-away container much faster (and a crash may then
 * lose what they wrote); open(2)/openat(2) with O_SYNC or O_DSYNC fail with EINVAL, in the hope
 * the program retries without, and openat2(2), whose flags a filter cannot read, with ENOSYS.
 * Like the terminal guard it needs conditional rules next to unconditional allows of the same
 * calls, so it is a filter of its own in front of the allow-list. */
static const char *const sync_calls[] = {
	"fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2", "syncfs",
};
static const int sync_open_flags[] = { O_SYNC, O_DSYNC }; /* O_SYNC includes O_DSYNC's bit */

static int sync_guard_open_rules(scmp_filter_ctx ctx, int flag)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(openat), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, (scmp_datum_t)flag, (scmp_datum_t)flag));
	if (r < 0)
		return r;
	if (seccomp_syscall_resolve_name("open") < 0)
		return 0; /* arm64 and others have openat only */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(open), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, (scmp_datum_t)flag, (scmp_datum_t)flag));
}

static int sync_guard_rules(scmp_filter_ctx ctx)
{
	int r = guard_attrs(ctx);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(sync_calls); i++) {
		int nr = seccomp_syscall_resolve_name(sync_calls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture (sync_file_range2) */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), nr, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(sync_open_flags); i++) {
		r = sync_guard_open_rules(ctx, sync_open_flags[i]);
		if (r < 0)
			return r;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
}

/* Puts the guard that rules() builds in front of prog: each of its "allow" returns becomes a
 * jump to prog's first instruction (classic BPF jumps forward only, which this is). */
static int prepend_guard(struct seccomp_program *prog, int (*rules)(scmp_filter_ctx))
{
	_cleanup_(filter_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	struct seccomp_program guard = {};
	int r = rules(ctx);
	if (r < 0)
		return r;
	r = export_program(ctx, &guard);
	if (r < 0)
		return r;
	_cleanup_(seccomp_program_done) struct seccomp_program own = guard;
	if (own.n + prog->n > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *all = realloc(own.insns, (own.n + prog->n) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	own.insns = all;
	for (size_t i = 0; i < own.n; i++)
		if (all[i].code == (BPF_RET | BPF_K) && all[i].k == SECCOMP_RET_ALLOW)
			all[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(own.n - i - 1), 0,
							      0);
	memcpy(all + own.n, prog->insns, prog->n * sizeof(*all));
	free(prog->insns);
	prog->insns = TAKE_PTR(own.insns);
	prog->n += own.n;
	return 0;
}

/* The guards that run before the allow list: the terminal's, and the sync one on request. */
static int prepend_guards(const struct seccomp_request *req, struct seccomp_program *prog)
{
	int r = prepend_guard(prog, tty_guard_rules);
	if (r < 0)
		return r;
	if (!req || !req->suppress_sync)
		return 0;
	return prepend_guard(prog, sync_guard_rules);
}

int seccomp_compile(const struct seccomp_request *req, uint64_t caps, struct seccomp_program *ret)
{
	_cleanup_strv_free_ char **allowed = NULL;
	int r = seccomp_resolve_allowed(req, caps, &allowed);
	if (r < 0)
		return r;
	_cleanup_(filter_releasep) scmp_filter_ctx ctx = new_filter(seccomp_arch_native());
	if (!ctx)
		return -ENOMEM;
	r = add_rules(ctx, allowed);
	if (r < 0)
		return r;
	r = export_program(ctx, ret);
	if (r < 0)
		return r;
	r = prepend_guards(req, ret);
	if (r < 0)
		seccomp_program_done(ret);
	return r;
}

/* --- The cache: <dir>/<hash>.bpf = header, key text, program, checksum --- */

struct cache_header {
	char magic[8];    /* "HAKOBPF1" */
	uint32_t key_len; /* bytes of key text following the header */
	uint32_t n_insns; /* sock_filter instructions after the key */
};

/* The cache key: everything the program depends on, as text. */
static char *cache_key(const struct seccomp_request *req, uint64_t caps)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "%s\narch=%u\ncaps=%llx\n", SECCOMP_POLICY_VERSION, seccomp_arch_native(),
		(unsigned long long)caps);
	for (size_t i = 0; req && req->add && req->add[i]; i++)
		fprintf(f, "+%s\n", req->add[i]);
	for (size_t i = 0; req && req->remove && req->remove[i]; i++)
		fprintf(f, "-%s\n", req->remove[i]);
	if (req && req->suppress_sync)
		fprintf(f, "suppress-sync\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int cache_read(const char *path, const char *key, struct seccomp_program *ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_file(path, &data, &len);
	if (r < 0)
		return r;
	struct cache_header h;
	size_t key_len = strlen(key);
	if (len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, "HAKOBPF1", 8) != 0 || h.key_len != key_len || h.n_insns == 0 ||
	    h.n_insns > BPF_MAXINSNS)
		return -EBADMSG;
	size_t prog_off = sizeof(h) + key_len, prog_len = (size_t)h.n_insns * sizeof(struct sock_filter);
	if (len != prog_off + prog_len + sizeof(uint64_t) || memcmp(data + sizeof(h), key, key_len) != 0)
		return -EBADMSG;
	uint64_t sum;
	memcpy(&sum, data + prog_off + prog_len, sizeof(sum));
	if (sum != hash64(data, prog_off + prog_len))
		return -EBADMSG;
	ret->insns = malloc(prog_len);
	if (!ret->insns)
		return -ENOMEM;
	memcpy(ret->insns, data + prog_off, prog_len);
	ret->n = h.n_insns;
	return 0;
}

/* Writes the entry to a temp file and renames it in place: readers see all or nothing. */
static int cache_write(const char *dir, const char *path, const char *key, const struct seccomp_program *p)
{
	struct cache_header h = { .key_len = strlen(key), .n_insns = p->n };
	memcpy(h.magic, "HAKOBPF1", 8);
	size_t prog_len = p->n * sizeof(struct sock_filter);
	size_t len = sizeof(h) + h.key_len + prog_len;
	_cleanup_free_ char *data = malloc(len + sizeof(uint64_t));
	if (!data)
		return -ENOMEM;
	memcpy(data, &h, sizeof(h));
	memcpy(data + sizeof(h), key, h.key_len);
	memcpy(data + sizeof(h) + h.key_len, p->insns, prog_len);
	uint64_t sum = hash64(data, len);
	memcpy(data + len, &sum, sizeof(sum));

	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	if (!tmp)
		return -ENOMEM;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len + sizeof(sum)) != (ssize_t)(len + sizeof(sum)) || rename(tmp, path) < 0) {
		r = errno ? -errno : -EIO;
		unlink(tmp);
		return r;
	}
	return 0;
}

int seccomp_get_program(const struct seccomp_request *req, uint64_t caps, const char *cache_dir,
			struct seccomp_program *ret)
{
	if (!cache_dir)
		return seccomp_compile(req, caps, ret);
	_cleanup_free_ char *key = cache_key(req, caps);
	if (!key)
		return -ENOMEM;
	_cleanup_free_ char *path =
		xasprintf("%s/%016llx.bpf", cache_dir, (unsigned long long)hash64(key, strlen(key)));
	if (!path)
		return -ENOMEM;
	if (cache_read(path, key, ret) == 0)
		return 0;
	int r = seccomp_compile(req, caps, ret);
	if (r < 0)
		return r;
	/* A cache that cannot be written (read-only state dir) only costs the next start time. */
	(void)cache_write(cache_dir, path, key, ret);
	return 0;
}

int seccomp_load_program(const struct seccomp_program *p)
{
	struct sock_fprog prog = { .len = (unsigned short)p->n, .filter = p->insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
