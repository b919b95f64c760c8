#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/seccomp.h"
#include "tap.h"

#define CAP(c) (UINT64_C(1) << (c))

static void test_request_parse(void)
{
	struct seccomp_request req = {};
	const char *why = NULL;
	CHECK(seccomp_request_add(&req, "@clock keyctl", &why) == 0);
	CHECK(seccomp_request_add(&req, "~@sync mkdir", &why) == 0);
	CHECK(strv_length(req.add) == 2 && strv_length(req.remove) == 2);
	CHECK_STREQ(req.remove[0], "@sync");
	CHECK(seccomp_request_add(&req, "@nonsense", &why) == -EINVAL);
	CHECK_STREQ(why, "unknown system call group");
	CHECK(seccomp_request_add(&req, "not_a_syscall", &why) == -EINVAL);
	CHECK_STREQ(why, "unknown system call");
	CHECK(seccomp_request_add(&req, "~", &why) == -EINVAL);
	CHECK(seccomp_request_add(&req, "", &why) == -EINVAL);
	seccomp_request_done(&req);
}

static void test_resolve(void)
{
	char **a = NULL;
	CHECK(seccomp_resolve_allowed(NULL, 0, &a) == 0);
	CHECK(strv_contains(a, "read") && strv_contains(a, "execve") && strv_contains(a, "socket"));
	CHECK(!strv_contains(a, "mount") && !strv_contains(a, "keyctl") &&
	      !strv_contains(a, "open_by_handle_at") && !strv_contains(a, "bpf") &&
	      !strv_contains(a, "kexec_load") && !strv_contains(a, "finit_module") &&
	      !strv_contains(a, "reboot") && !strv_contains(a, "ptrace") && !strv_contains(a, "unshare") &&
	      !strv_contains(a, "clock_settime"));
	strv_free(a);

	CHECK(seccomp_resolve_allowed(NULL, CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_TIME) | CAP(CAP_SYS_BOOT), &a) ==
	      0);
	CHECK(strv_contains(a, "mount") && strv_contains(a, "unshare") && strv_contains(a, "clock_settime") &&
	      strv_contains(a, "reboot"));
	CHECK(!strv_contains(a, "finit_module") && !strv_contains(a, "swapon"));
	strv_free(a);

	struct seccomp_request req = {};
	const char *why;
	CHECK(seccomp_request_add(&req, "keyctl", &why) == 0);
	CHECK(seccomp_request_add(&req, "~@sync", &why) == 0);
	CHECK(seccomp_resolve_allowed(&req, 0, &a) == 0);
	CHECK(strv_contains(a, "keyctl") && !strv_contains(a, "fsync") && strv_contains(a, "read"));
	for (size_t i = 1; a[i]; i++) /* sorted and unique */
		CHECK(strcmp(a[i - 1], a[i]) < 0);
	strv_free(a);
	seccomp_request_done(&req);
}

/* Loads p in a child and runs the checks there; the exit code says which failed. */
static int run_filtered(const struct seccomp_program *p)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_load_program(p) < 0)
			_exit(10);
		if (getpid() <= 0)
			_exit(11);
		if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
			_exit(12);
		if (syscall(999) != -1 || errno != ENOSYS)
			_exit(13);
		if (socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT) != -1 || errno != EAFNOSUPPORT)
			_exit(14);
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0)
			_exit(15);
		close(fd);
		char path[] = "/tmp/hako-test-seccomp-XXXXXX";
		if (!mkdtemp(path))
			_exit(16);
		char node[64];
		snprintf(node, sizeof(node), "%s/n", path);
		int bad = mknod(node, S_IFBLK | 0600, makedev(8, 0)) != -1 || errno != EPERM;
		bad |= (mknod(node, S_IFCHR | 0600, makedev(10, 200)) != -1 || errno != EPERM) << 1;
		bad |= (mknod(node, S_IFIFO | 0600, 0) != 0) << 2;
		unlink(node);
		/* A device the filter refuses is refused as known (EPERM), never the unknown
		 * call's ENOSYS: below, between and past the harmless ones, and with stray high
		 * bits in dev (the kernel reads an unsigned int). */
		static const unsigned long refused[] = {
			0x001, 0x101, 0x104, 0x10b, 0x4ff, 0x503, (1UL << 32) | 0x103
		};
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			bad |= (syscall(SYS_mknodat, AT_FDCWD, node, S_IFCHR | 0600, refused[i]) != -1 ||
				errno != EPERM)
			       << 3;
		bad |= (mknod(node, S_IFDIR | 0700, 0) != -1 || errno != EPERM) << 4;
		bad |= (mknod(node, S_IFCHR | 0600, makedev(1, 3)) != 0) << 5;
		unlink(node);
		rmdir(path);
		if (bad)
			_exit(40 + bad);
		if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
			_exit(30);
		if (syscall(SYS_open_by_handle_at, -1, NULL, 0) != -1 || errno != EPERM)
			_exit(31);
		/* clone3's flags are out of the filter's reach: ENOSYS, so glibc falls back to
		 * clone (the kernel alone would say EINVAL to these arguments). */
		if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
			_exit(32);
		/* A filter of the container's own may be stacked (seccomp(2) reaches the kernel). */
		uint32_t action = SECCOMP_RET_ALLOW;
		if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0)
			_exit(33);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_compile_and_load(void)
{
	struct seccomp_program p = {};
	CHECK(seccomp_compile(NULL, 0, &p) == 0);
	CHECK(p.n > 10);
	int r = run_filtered(&p);
	if (r != 0)
		printf("# filtered child failed check %d\n", r);
	CHECK(r == 0);
	seccomp_program_done(&p);
}

/* The sync family in a child under p: 0 when it did what suppress says, else which check failed. */
static int run_sync_checks(const struct seccomp_program *p, bool suppress)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_load_program(p) < 0)
			_exit(10);
		/* fsync of a bad fd fails EBADF in the kernel: 0 means it never got there. */
		int r = fsync(-1);
		if (suppress ? r != 0 : (r != -1 || errno != EBADF))
			_exit(11);
		r = fdatasync(-1);
		if (suppress ? r != 0 : (r != -1 || errno != EBADF))
			_exit(12);
		r = syncfs(-1);
		if (suppress ? r != 0 : (r != -1 || errno != EBADF))
			_exit(13);
		int fd = open("/dev/null", O_WRONLY | O_SYNC | O_CLOEXEC);
		if (suppress ? (fd != -1 || errno != EINVAL) : fd < 0)
			_exit(14);
		fd = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_DSYNC | O_CLOEXEC);
		if (suppress ? (fd != -1 || errno != EINVAL) : fd < 0)
			_exit(15);
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(16);
		/* The allow-list still applies behind the guard. */
		if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
			_exit(17);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_suppress_sync(void)
{
	for (int suppress = 0; suppress <= 1; suppress++) {
		struct seccomp_request req = { .suppress_sync = suppress };
		struct seccomp_program p = {};
		CHECK(seccomp_compile(&req, 0, &p) == 0);
		int r = run_sync_checks(&p, suppress);
		if (r != 0)
			printf("# suppress-sync=%d: filtered child failed check %d\n", suppress, r);
		CHECK(r == 0);
		seccomp_program_done(&p);
	}
}

static void test_cache(void)
{
	char dir[] = "/tmp/hako-test-bpfcache-XXXXXX";
	CHECK(mkdtemp(dir));
	struct seccomp_program a = {}, b = {}, c = {};
	CHECK(seccomp_get_program(NULL, 0, dir, &a) == 0); /* miss: compiles and stores */
	uint64_t t0 = now_usec();
	CHECK(seccomp_get_program(NULL, 0, dir, &b) == 0); /* hit */
	uint64_t hit_us = now_usec() - t0;
	printf("# cache hit: %llu us\n", (unsigned long long)hit_us);
	CHECK(a.n == b.n && memcmp(a.insns, b.insns, a.n * sizeof(*a.insns)) == 0);

	/* Corrupt the entry: it must be detected and rebuilt, never loaded. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "for f in %s/*.bpf; do printf X | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null; done",
		 dir);
	CHECK(system(cmd) == 0);
	CHECK(seccomp_get_program(NULL, 0, dir, &c) == 0);
	CHECK(a.n == c.n && memcmp(a.insns, c.insns, a.n * sizeof(*a.insns)) == 0);
	seccomp_program_done(&a);
	seccomp_program_done(&b);
	seccomp_program_done(&c);
	CHECK(rm_rf(dir) == 0);
}

/* A classic-BPF interpreter for seccomp programs, enough for what libseccomp emits: the filter's
 * answer for a call of any ABI, whether or not this kernel runs that ABI (this test machine's
 * int 0x80 faults; Debian's kernels run it). */
static uint32_t bpf_run(const struct seccomp_program *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (size_t pc = 0; pc < p->n; pc++) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && f->k + 4 <= sizeof(*d))
				memcpy(&a, (const char *)d + f->k, 4);
			else if (BPF_MODE(f->code) == BPF_MEM)
				a = mem[f->k % BPF_MEMWORDS];
			else if (BPF_MODE(f->code) == BPF_IMM)
				a = f->k;
			else
				return UINT32_MAX;
			break;
		case BPF_LDX:
			x = BPF_MODE(f->code) == BPF_MEM ? mem[f->k % BPF_MEMWORDS] : f->k;
			break;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU:
			// clang-format off
			switch (BPF_OP(f->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_LSH: a <<= src; break;
			default: return UINT32_MAX;
			}
			// clang-format on
			break;
		case BPF_JMP: {
			bool t;
			// clang-format off
			switch (BPF_OP(f->code)) {
			case BPF_JA: pc += f->k; continue;
			case BPF_JEQ: t = a == src; break;
			case BPF_JGT: t = a > src; break;
			case BPF_JGE: t = a >= src; break;
			case BPF_JSET: t = a & src; break;
			default: return UINT32_MAX;
			}
			// clang-format on
			pc += t ? f->jt : f->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return UINT32_MAX;
}

// clang-format off
#define ARCH_I386 0x40000003u    /* AUDIT_ARCH_I386 */
#define ARCH_X86_64 0xc000003eu  /* AUDIT_ARCH_X86_64 */
#define ALLOW SECCOMP_RET_ALLOW
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))
// clang-format on

/* The i386 ABI is filtered like the native one (issue 14.10): i386 programs run, and what is
 * refused natively is refused there too, personas outside Docker's list included. */
static void test_compat_abi(void)
{
#ifdef __x86_64__
	struct seccomp_program p = {};
	CHECK(seccomp_compile(NULL, 0, &p) == 0);
	static const struct {
		uint32_t arch;
		int nr;
		uint64_t arg0;
		uint32_t want;
		uint64_t arg1;
		// clang-format off
	} cases[] = {
		{ ARCH_I386, 20, 0, ALLOW },                        /* getpid */
		{ ARCH_I386, 192, 0, ALLOW },                       /* mmap2 */
		{ ARCH_I386, 102, 1, ALLOW },                       /* socketcall(SYS_SOCKET) */
		{ ARCH_I386, 359, AF_INET, ALLOW },                 /* socket */
		{ ARCH_I386, 288, 0, ERRNO(EPERM) },                /* keyctl */
		{ ARCH_I386, 120, 0x10000000, ERRNO(EPERM) },       /* clone(CLONE_NEWUSER) */
		{ ARCH_I386, 120, 0x01200011, ALLOW },              /* clone as fork() does */
		{ ARCH_I386, 136, 0x0040000, ERRNO(ENOSYS) },       /* personality(ADDR_NO_RANDOMIZE) */
		{ ARCH_I386, 136, 0xffffffff, ALLOW },              /* personality query */
		{ ARCH_I386, 451, 0, ERRNO(ENOSYS) },               /* cachestat: unknown */
		{ ARCH_X86_64, 39, 0, ALLOW },                      /* getpid */
		{ ARCH_X86_64, 41, 40, ERRNO(EAFNOSUPPORT) },       /* socket(AF_VSOCK) */
		{ ARCH_X86_64, 135, 0x0040000, ERRNO(ENOSYS) },     /* personality(ADDR_NO_RANDOMIZE) */
		{ ARCH_X86_64, 135, 0x0400000, ERRNO(ENOSYS) },     /* personality(READ_IMPLIES_EXEC) */
		{ ARCH_X86_64, 135, 8, ALLOW },                     /* personality(PER_LINUX32) */
		{ ARCH_X86_64, 135, 0x20008, ALLOW },
		{ ARCH_X86_64, 39 | 0x40000000, 0, ERRNO(ENOSYS) }, /* x32: refused as a whole */
		/* The terminal guard: TIOCSTI and TIOCLINUX on any ABI, bit 32 or not (seccomp.c). */
		{ ARCH_X86_64, 16, 0, ERRNO(EPERM), TIOCSTI },
		{ ARCH_X86_64, 16, 0, ERRNO(EPERM), TIOCSTI | (1ULL << 32) },
		{ ARCH_X86_64, 16, 0, ERRNO(EPERM), TIOCLINUX },
		{ ARCH_X86_64, 16, 0, ALLOW, FIONREAD },
		{ ARCH_X86_64, 16, 0, ALLOW, TIOCGWINSZ | (1ULL << 32) },
		{ ARCH_I386, 54, 0, ERRNO(EPERM), TIOCSTI },
		{ ARCH_I386, 54, 0, ERRNO(EPERM), TIOCLINUX },
		{ ARCH_I386, 54, 0, ALLOW, FIONREAD },
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct seccomp_data d = { .nr = cases[i].nr, .arch = cases[i].arch };
		d.args[0] = cases[i].arg0;
		d.args[1] = cases[i].arg1;
		uint32_t got = bpf_run(&p, &d);
		if (got != cases[i].want)
			printf("# arch %#x call %d arg %#llx: %#x, not %#x\n", cases[i].arch, cases[i].nr,
			       (unsigned long long)cases[i].arg0, got, cases[i].want);
		CHECK(got == cases[i].want);
	}
	seccomp_program_done(&p);
#endif
}

int main(void)
{
	RUN(test_request_parse);
	RUN(test_resolve);
	RUN(test_compile_and_load);
	RUN(test_compat_abi);
	RUN(test_cache);
	RUN(test_suppress_sync);
	TAP_END();
}
