#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

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
	      !strv_contains(a, "reboot") && !strv_contains(a, "ptrace") &&
	      !strv_contains(a, "unshare") && !strv_contains(a, "clock_settime"));
	strv_free(a);

	CHECK(seccomp_resolve_allowed(NULL, CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_TIME) |
						    CAP(CAP_SYS_BOOT), &a) == 0);
	CHECK(strv_contains(a, "mount") && strv_contains(a, "unshare") &&
	      strv_contains(a, "clock_settime") && strv_contains(a, "reboot"));
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
		if (socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT) != -1 ||
		    errno != EAFNOSUPPORT)
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
		static const unsigned long refused[] = { 0x001, 0x101, 0x104, 0x10b, 0x4ff, 0x503,
							 (1UL << 32) | 0x103 };
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			bad |= (syscall(SYS_mknodat, AT_FDCWD, node, S_IFCHR | 0600, refused[i]) != -1 ||
				errno != EPERM) << 3;
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
	snprintf(cmd, sizeof(cmd), "for f in %s/*.bpf; do printf X | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null; done", dir);
	CHECK(system(cmd) == 0);
	CHECK(seccomp_get_program(NULL, 0, dir, &c) == 0);
	CHECK(a.n == c.n && memcmp(a.insns, c.insns, a.n * sizeof(*a.insns)) == 0);
	seccomp_program_done(&a);
	seccomp_program_done(&b);
	seccomp_program_done(&c);
	CHECK(rm_rf(dir) == 0);
}

int main(void)
{
	RUN(test_request_parse);
	RUN(test_resolve);
	RUN(test_compile_and_load);
	RUN(test_cache);
	TAP_END();
}
