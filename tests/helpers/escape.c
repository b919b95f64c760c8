/* Container escape attempts for tests/integration/escape.bats (and the system call filter's
 * checks in isolation.bats), one subcommand each, for the system calls busybox cannot make.
 * Built static (it runs in busybox test trees).
 *
 *   escape ATTEMPT [ARG]
 *
 * Prints the errno name of the step that failed ("EPERM"), or what was reached when nothing
 * failed ("ESCAPED: ..."), and exits 0 when the attempt failed, 1 when it succeeded. Every attempt
 * is built so that success would do no harm: values are written back unchanged, block devices are
 * only read, reboot(2) asks for LINUX_REBOOT_CMD_CAD_OFF, signals are 0. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
	int err;
	// clang-format off
	const char *name;
} errnos[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },   { ESRCH, "ESRCH" },   { EBADF, "EBADF" },
	{ EACCES, "EACCES" }, { EBUSY, "EBUSY" },     { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
	{ EINVAL, "EINVAL" }, { ETXTBSY, "ETXTBSY" }, { EROFS, "EROFS" },   { ENOSYS, "ENOSYS" },
	{ ENXIO, "ENXIO" },   { ENOEXEC, "ENOEXEC" }, { ESTALE, "ESTALE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EAFNOSUPPORT, "EAFNOSUPPORT" },             { ENOTDIR, "ENOTDIR" },   { EAGAIN, "EAGAIN" }, { EHOSTUNREACH, "EHOSTUNREACH" },
	{ ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT" }, { EFAULT, "EFAULT" }, { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
};
// clang-format on

/* Prints the errno name and returns 0: the attempt failed. */
static int failed(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err) {
			puts(errnos[i].name);
			return 0;
		}
	printf("errno %d\n", err);
	return 0;
}

static int escaped(const char *what)
{
	printf("ESCAPED: %s\n", what);
	return 1;
}

/* Writes back exactly what path holds (a no-op if it is writable). */
static int rewrite_same(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return failed(errno);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	if (write(fd, buf, n) < 0) {
		int err = errno;
		close(fd);
		return failed(err);
	}
	close(fd);
	return escaped(path);
}

/* A fresh proc (or sysfs) at a scratch directory, then a host-wide file in it written back. */
static int fresh_mount(const char *type, const char *file)
{
	char dir[] = "/tmp/escape-XXXXXX";
	if (!mkdtemp(dir))
		return failed(errno);
	if (mount(type, dir, type, 0, NULL) < 0) {
		int err = errno;
		rmdir(dir);
		return failed(err);
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fputs("mounted: ", stdout);
	int r = rewrite_same(path);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return r;
}

/* Writes 'h' (print help to the kernel log: harmless) to the sysrq trigger. */
static int sysrq(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	if (write(fd, "h", 1) < 0) {
		int err = errno;
		close(fd);
		return failed(err);
	}
	close(fd);
	return escaped("/proc/sysrq-trigger");
}

static int load_module(void)
{
	/* An empty image: the kernel would refuse it as ENOEXEC after the permission check. */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	long r = syscall(SYS_finit_module, fd, "", 0);
	int err = errno;
	close(fd);
	/* Refused by the filter (EPERM, ENOSYS) or the capability check (EPERM); any other answer
	 * means the call got past them to the module loader. */
	if (r < 0 && (err == EPERM || err == ENOSYS))
		return failed(err);
	return escaped("finit_module reached the module loader");
}

/* mknod a block device of the host's first disk (from /sys/dev/block), then read 512 bytes. */
static int mknod_block(const char *dir, const char *devspec)
{
	unsigned maj = 254, min = 0;
	if (devspec && sscanf(devspec, "%u:%u", &maj, &min) != 2)
		return failed(EINVAL);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/escape-disk", dir ? dir : "/tmp");
	if (mknod(path, S_IFBLK | 0600, makedev(maj, min)) < 0)
		return failed(errno);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = errno;
	unlink(path);
	if (fd < 0)
		return failed(err);
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	err = errno;
	close(fd);
	return n < 0 ? failed(err) : escaped("read the host's disk");
}

/* "shocker": open_by_handle_at with the handle of the file system's root inode (ext4: 2),
 * which from a bind mount of a subtree would open the host's root directory. */
static int shocker(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[8];
	} h = { .fh = { .handle_bytes = 8, .handle_type = 1 } };
	unsigned int ino = 2, gen = 0;
	memcpy(h.fh.f_handle, &ino, 4);
	memcpy(h.fh.f_handle + 4, &gen, 4);
	int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return failed(errno);
	int fd = (int)syscall(SYS_open_by_handle_at, mfd, &h.fh, O_RDONLY | O_DIRECTORY);
	int err = errno;
	close(mfd);
	if (fd < 0)
		return failed(err);
	close(fd);
	return escaped("open_by_handle_at");
}

static int do_reboot(void)
{
	/* CAD_OFF: even on the host it only turns Ctrl-Alt-Del into a signal to init. */
	if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL) < 0)
		return failed(errno);
	return escaped("reboot(2)");
}

static int parse_pid(const char *s, pid_t *ret)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || *end || v <= 0)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

/* Sees, signals (signal 0) and ptraces the host's process pid. */
static int host_process(const char *how, const char *spid)
{
	pid_t pid;
	if (parse_pid(spid, &pid) < 0)
		return failed(EINVAL);
	if (strcmp(how, "see") == 0) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
		return stat(path, &st) < 0 ? failed(errno) : escaped(path);
	}
	if (strcmp(how, "signal") == 0)
		return kill(pid, 0) < 0 ? failed(errno) : escaped("kill");
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return failed(errno);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return escaped("ptrace");
}

/* Makes a device node c|b MAJ:MIN in /tmp and removes it again: prints "ok" or the errno. */
static int make_node(const char *type, const char *devspec)
{
	unsigned maj, min;
	if (!type || (strcmp(type, "c") && strcmp(type, "b")) || !devspec ||
	    sscanf(devspec, "%u:%u", &maj, &min) != 2)
		return failed(EINVAL);
	const char *path = "/tmp/escape-node";
	if (mknod(path, (type[0] == 'c' ? S_IFCHR : S_IFBLK) | 0600, makedev(maj, min)) < 0)
		return failed(errno);
	unlink(path);
	puts("ok");
	return 0;
}

/* Writes a line to the kernel log: through /dev/kmsg if the container has one, else through a
 * node of its own (char 1:11), which must not be makeable. */
static int kmsg(void)
{
	const char *path = "/dev/kmsg";
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fputs("mknod: ", stdout);
		path = "/tmp/escape-kmsg";
		if (mknod(path, S_IFCHR | 0600, makedev(1, 11)) < 0)
			return failed(errno);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		unlink(path);
	}
	if (fd < 0)
		return failed(errno);
	int r = write(fd, "hako escape test\n", 17) < 0 ? failed(errno) : escaped("/dev/kmsg");
	close(fd);
	return r;
}

/* A new user namespace gives every capability, over it alone: loading a module (a host-wide
 * power) must still fail. */
static int unshare_caps(void)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return failed(errno);
	fputs("unshared: ", stdout);
	return load_module();
}

/* setns: into any namespace a process here has that is not ours (the host's, if one leaks),
 * else into our own user namespace. */
static int do_setns(void)
{
	static const char *const kinds[] = { "user", "mnt", "pid", "net", "cgroup", "ipc", "uts" };
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			char theirs[PATH_MAX], ours[64];
			struct stat a, b;
			snprintf(theirs, sizeof(theirs), "/proc/%s/ns/%s", de->d_name, kinds[k]);
			snprintf(ours, sizeof(ours), "/proc/self/ns/%s", kinds[k]);
			if (stat(theirs, &a) < 0 || stat(ours, &b) < 0 || a.st_ino == b.st_ino)
				continue;
			/* A process in a namespace of its own (one this container made) is not news;
			 * one whose namespace is the parent's of ours would be: try to join it. */
			int fd = open(theirs, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			int r = setns(fd, 0);
			close(fd);
			if (r == 0) {
				printf("ESCAPED: joined %s\n", theirs);
				return 1;
			}
		}
	}
	if (d)
		closedir(d);
	int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	int r = setns(fd, CLONE_NEWUSER);
	int err = errno;
	close(fd);
	return r < 0 ? failed(err) : escaped("setns");
}

/* CVE-2019-5736: write through /proc/PID/exe (PID "self" or a number). */
static int exe(const char *pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/exe", pid ? pid : "self");
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return failed(errno);
	close(fd); /* opened for writing is the escape; nothing is written */
	return escaped(path);
}

/* CVE-2024-21626 family: no fd beyond stdio may be open. */
static int fds(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		char link[64], target[PATH_MAX] = "";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("ESCAPED: fd %d -> %s\n", fd, target);
		return 1;
	}
	return failed(EBADF);
}

/* The working directory must lead to the container's root going up. */
static int cwd(void)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)))
		return failed(errno);
	if (buf[0] != '/')
		return escaped(buf);
	struct stat root, st;
	if (stat("/", &root) < 0)
		return failed(errno);
	char up[3 * 64 + 1] = "";
	for (int i = 0; i < 64; i++)
		strcat(up, "../");
	if (stat(up, &st) < 0)
		return failed(errno);
	if (st.st_dev != root.st_dev || st.st_ino != root.st_ino)
		return escaped("the working directory leads out of the root");
	puts("contained");
	return 0;
}

/* System calls the filter refuses, called with zero arguments or the first one given (harmless
 * whatever they answer: chroot(NULL) is EFAULT, clone's namespace flags are refused, personality
 * only reads or sets a flag): the errno tells the filter's answer (EPERM, ENOSYS) from the
 * kernel's. */
static const struct {
	// clang-format off
	const char *name;
	long nr;
} calls[] = {
	{ "kexec_load", SYS_kexec_load }, { "bpf", SYS_bpf },         { "keyctl", SYS_keyctl },
	{ "add_key", SYS_add_key },       { "swapon", SYS_swapon },   { "perf_event_open", SYS_perf_event_open },
	{ "fanotify_init", SYS_fanotify_init }, { "quotactl", SYS_quotactl }, { "sync", SYS_sync },
	{ "getpid", SYS_getpid }, { "chroot", SYS_chroot }, { "clone", SYS_clone },
	{ "personality", SYS_personality },
	/* cachestat (Linux 6.5) is in none of the filter's groups: unknown to it. */
	{ "cachestat", 451 },
};
// clang-format on

static int call(const char *name, const char *sarg)
{
	unsigned long arg = sarg ? strtoul(sarg, NULL, 0) : 0;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(calls[i].name, name) == 0) {
			if (syscall(calls[i].nr, arg, 0, 0, 0, 0) < 0)
				return failed(errno);
			puts("ok");
			return 0;
		}
	return failed(EINVAL);
}

/* The i386 ABI (int 0x80) from this 64-bit binary: the filter governs it as it does the native
 * one (issue 14.10). Each call prints "NAME: ok" or its errno: getpid and a socket through the
 * socketcall multiplexer work (i386 programs run); a namespace flag of clone, a persona outside
 * Docker's list, keyctl and mknod of /dev/mem are refused. Pointers must fit in 32 bits: MAP_32BIT. */
/* "NAME: ok" or "NAME: ERRNO" for a call's raw result (a negative errno when it failed). */
static void report(const char *name, long ret)
{
	printf("%s: ", name);
	if (ret < 0)
		failed((int)-ret);
	else
		puts("ok");
}

#ifdef __x86_64__
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static int abi32(void)
{
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return failed(errno);
	long pid = int80(20, 0, 0, 0); /* getpid */
	report("getpid", pid == getpid() ? 0 : pid < 0 ? pid : -EINVAL);
	unsigned *args = (unsigned *)low;
	args[0] = AF_INET, args[1] = SOCK_DGRAM, args[2] = 0;
	long fd = int80(102, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0);
	report("socketcall socket", fd);
	if (fd >= 0)
		close((int)fd);
	long child = int80(120, CLONE_NEWUSER, 0, 0); /* clone: a fork in a new user namespace */
	if (child == 0)
		_exit(0);
	report("clone CLONE_NEWUSER", child);
	report("personality ADDR_NO_RANDOMIZE", int80(136, 0x0040000, 0, 0));
	report("keyctl", int80(288, 0, 0, 0));
	strcpy(low + 64, "/tmp/mem");
	report("mknod /dev/mem", int80(14, (long)(uintptr_t)(low + 64), S_IFCHR | 0600, 0x101));
	return 0;
}
#else
static int abi32(void)
{
	puts("no i386 ABI on this architecture");
	return 0;
}
#endif

/* TIOCSTI on stdin (the admin's terminal under --console=pipe) types into it; TIOCLINUX can
 * too. Each way the request can be made: plainly, with bit 32 set (the kernel reads 32 bits), and
 * through the i386 ABI ("tiocsti i386": a kernel without it faults). What gets typed, if anything does, is a '#': a comment to any shell. */
static int tiocsti(const char *abi)
{
	char c = '#';
	long r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c);
	report("TIOCSTI", r < 0 ? -errno : r);
	r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1UL << 32), &c);
	report("TIOCSTI with bit 32", r < 0 ? -errno : r);
	char sel = 2; /* TIOCL_SETSEL's subcode byte; on a pty it only fails */
	r = syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &sel);
	report("TIOCLINUX", r < 0 ? -errno : r);
#if defined(__x86_64__)
	if (!abi || strcmp(abi, "i386") != 0)
		return 0;
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return failed(errno);
	low[0] = '#';
	report("i386 TIOCSTI", int80(54, 0, TIOCSTI, (long)(uintptr_t)low));
#else
	(void)abi;
#endif
	return 0;
}

/* A fork bomb bounded by max rounds: forks children that wait, until fork fails; prints how
 * many it made and the errno that stopped it, then kills them. */
static int forkbomb(const char *smax)
{
	int max = smax ? atoi(smax) : 0;
	if (max <= 0 || max > 4096)
		return failed(EINVAL);
	pid_t *kids = calloc(max, sizeof(pid_t));
	int n = 0, err = 0;
	while (kids && n < max) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[n++] = p;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	free(kids);
	printf("forked %d: ", n);
	if (!err)
		return escaped("no limit");
	return failed(err);
}

/* The audit subsystem is not namespaced: its netlink socket is refused. */
static int audit(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0)
		return failed(errno);
	close(fd);
	return escaped("audit netlink socket");
}

/* The CVE-2020-8558 family: hako sets route_localnet on its bridges (port forwards from
 * 127.0.0.1), so a frame sent to the gateway's MAC with destination 127.0.0.1 is routed to the
 * host's loopback-only services unless hako drops it. Learns the gateway's MAC (a datagram to
 * GATEWAY:MARKER resolves it), sends through a raw socket on host0 a UDP datagram from the
 * container's address to 127.0.0.1:PORT via that MAC, then "marker" to GATEWAY:MARKER, which the
 * test waits for before it checks that nothing reached 127.0.0.1:PORT. Prints "sent"; harmless:
 * the datagram carries only a word. */
static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint16_t *w = data;
	uint32_t sum = 0;
	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int send_raw_localnet(const char *mac, unsigned port)
{
	struct {
		struct ether_header eth;
		struct iphdr ip;
		struct udphdr udp;
		char data[8];
	} __attribute__((packed)) f = { .data = "ESCAPED" };
	struct ifreq ifr = { .ifr_name = "host0" };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(f.eth.ether_shost, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0)
		return -errno;
	f.ip.saddr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	if (sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &f.eth.ether_dhost[0], &f.eth.ether_dhost[1],
		   &f.eth.ether_dhost[2], &f.eth.ether_dhost[3], &f.eth.ether_dhost[4],
		   &f.eth.ether_dhost[5]) != 6)
		return -EINVAL;
	f.eth.ether_type = htons(ETH_P_IP);
	f.ip = (struct iphdr){ .version = 4,
			       .ihl = 5,
			       .ttl = 64,
			       .protocol = IPPROTO_UDP,
			       .tot_len = htons(sizeof(f) - sizeof(f.eth)),
			       .saddr = f.ip.saddr,
			       .daddr = htonl(INADDR_LOOPBACK) };
	f.ip.check = ip_checksum(&f.ip, sizeof(f.ip));
	f.udp = (struct udphdr){ .source = htons(40000),
				 .dest = htons(port),
				 .len = htons(sizeof(f.udp) + sizeof(f.data)) }; /* no UDP checksum: 0 */
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = ifr.ifr_ifindex,
				  .sll_halen = ETH_ALEN };
	memcpy(to.sll_addr, f.eth.ether_dhost, ETH_ALEN);
	int r = sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int send_udp(const struct sockaddr_in *to, const char *msg)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)to, sizeof(*to)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* The gateway's MAC from the neighbour table, once a datagram to it has resolved it (2 s at most). */
static int gateway_mac(const char *gateway, char mac[18])
{
	for (int i = 0; i < 200; i++, usleep(10000)) {
		FILE *f = fopen("/proc/net/arp", "re");
		char line[256], ip[64], hw[18];
		unsigned flags;
		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%63s %*s %x %17s", ip, &flags, hw) == 3 &&
			    strcmp(ip, gateway) == 0 && (flags & 0x2)) {
				fclose(f);
				memcpy(mac, hw, sizeof(hw));
				return 0;
			}
		fclose(f);
	}
	return -EHOSTUNREACH;
}

static int localnet(char **argv)
{
	unsigned port, marker;
	char mac[18];
	struct sockaddr_in gw = { .sin_family = AF_INET };
	if (!argv[0] || !argv[1] || !argv[2] || sscanf(argv[1], "%u", &port) != 1 ||
	    sscanf(argv[2], "%u", &marker) != 1 || inet_pton(AF_INET, argv[0], &gw.sin_addr) != 1) {
		fprintf(stderr, "usage: escape localnet GATEWAY PORT MARKER_PORT\n");
		return 2;
	}
	gw.sin_port = htons(marker);
	int r = send_udp(&gw, "hello");
	if (r >= 0)
		r = gateway_mac(argv[0], mac);
	if (r >= 0)
		r = send_raw_localnet(mac, port);
	if (r >= 0)
		r = send_udp(&gw, "marker");
	if (r < 0)
		return failed(-r);
	puts("sent");
	return 0;
}

/* socket(FAMILY, a stream, datagram or raw type, PROTOCOL), through syscall(2) so that "high" can set bit 32 of the
 * family: the kernel reads an int, so a filter comparing 64 bits would let 2^32 + AF_VSOCK
 * through (the bypass of CVE-2019-10063). AF_VSOCK is machine-wide, not namespaced. */
static int open_socket(char **argv)
{
	long family, protocol = 0;
	if (!argv[0] || sscanf(argv[0], "%ld", &family) != 1 ||
	    (argv[1] && sscanf(argv[1], "%ld", &protocol) != 1)) {
		fprintf(stderr, "usage: escape socket FAMILY [PROTOCOL [high]]\n");
		return 2;
	}
	if (argv[1] && argv[2] && strcmp(argv[2], "high") == 0) {
		family |= 1L << 32;
		protocol |= 1L << 32;
	}
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW };
	long fd = -1;
	for (size_t i = 0; fd < 0 && i < sizeof(types) / sizeof(types[0]); i++)
		fd = syscall(SYS_socket, family, (long)(types[i] | SOCK_CLOEXEC), protocol);
	if (fd < 0)
		return failed(errno);
	close((int)fd);
	return escaped("socket");
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(a, "mount-proc") == 0)
		return fresh_mount("proc", "sys/kernel/core_pattern");
	if (strcmp(a, "mount-sysfs") == 0)
		return fresh_mount("sysfs", "kernel/uevent_helper");
	if (strcmp(a, "sysrq") == 0)
		return sysrq();
	if (strcmp(a, "proc-sys") == 0)
		return rewrite_same("/proc/sys/kernel/core_pattern");
	if (strcmp(a, "module") == 0)
		return load_module();
	if (strcmp(a, "mknod") == 0)
		return make_node(arg, argc > 3 ? argv[3] : NULL);
	if (strcmp(a, "mknod-block") == 0)
		return mknod_block(argc > 3 ? argv[3] : NULL, arg);
	if (strcmp(a, "shocker") == 0)
		return shocker();
	if (strcmp(a, "reboot") == 0)
		return do_reboot();
	if (strcmp(a, "tiocsti") == 0)
		return tiocsti(arg);
	if (strcmp(a, "see") == 0 || strcmp(a, "signal") == 0 || strcmp(a, "ptrace") == 0)
		return host_process(a, arg);
	if (strcmp(a, "kmsg") == 0)
		return kmsg();
	if (strcmp(a, "unshare") == 0)
		return unshare_caps();
	if (strcmp(a, "setns") == 0)
		return do_setns();
	if (strcmp(a, "exe") == 0)
		return exe(arg);
	if (strcmp(a, "fds") == 0)
		return fds();
	if (strcmp(a, "cwd") == 0)
		return cwd();
	if (strcmp(a, "syscall") == 0 && arg)
		return call(arg, argc > 3 ? argv[3] : NULL);
	if (strcmp(a, "audit") == 0)
		return audit();
	if (strcmp(a, "abi32") == 0)
		return abi32();
	if (strcmp(a, "socket") == 0)
		return open_socket(argv + 2);
	if (strcmp(a, "localnet") == 0)
		return localnet(argv + 2);
	if (strcmp(a, "forkbomb") == 0)
		return forkbomb(arg);
	fprintf(stderr, "escape: unknown attempt '%s'\n", a);
	return 2;
}
