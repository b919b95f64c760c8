#include "container/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Indexed by capability number (include/uapi/linux/capability.h). */
// clang-format off
static const char *const cap_names[] = {
	[0] = "CAP_CHOWN",            [1] = "CAP_DAC_OVERRIDE",    [2] = "CAP_DAC_READ_SEARCH",
	[3] = "CAP_FOWNER",           [4] = "CAP_FSETID",          [5] = "CAP_KILL",
	[6] = "CAP_SETGID",           [7] = "CAP_SETUID",          [8] = "CAP_SETPCAP",
	[9] = "CAP_LINUX_IMMUTABLE",  [10] = "CAP_NET_BIND_SERVICE", [11] = "CAP_NET_BROADCAST",
	[12] = "CAP_NET_ADMIN",       [13] = "CAP_NET_RAW",        [14] = "CAP_IPC_LOCK",
	[15] = "CAP_IPC_OWNER",       [16] = "CAP_SYS_MODULE",     [17] = "CAP_SYS_RAWIO",
	[18] = "CAP_SYS_CHROOT",      [19] = "CAP_SYS_PTRACE",     [20] = "CAP_SYS_PACCT",
	[21] = "CAP_SYS_ADMIN",       [22] = "CAP_SYS_BOOT",       [23] = "CAP_SYS_NICE",
	[24] = "CAP_SYS_RESOURCE",    [25] = "CAP_SYS_TIME",       [26] = "CAP_SYS_TTY_CONFIG",
	[27] = "CAP_MKNOD",           [28] = "CAP_LEASE",          [29] = "CAP_AUDIT_WRITE",
	[30] = "CAP_AUDIT_CONTROL",   [31] = "CAP_SETFCAP",        [32] = "CAP_MAC_OVERRIDE",
	[33] = "CAP_MAC_ADMIN",       [34] = "CAP_SYSLOG",         [35] = "CAP_WAKE_ALARM",
	[36] = "CAP_BLOCK_SUSPEND",   [37] = "CAP_AUDIT_READ",     [38] = "CAP_PERFMON",
	[39] = "CAP_BPF",             [40] = "CAP_CHECKPOINT_RESTORE",
};
// clang-format on

/* A command gets the OCI/Docker default set, minus CAP_MKNOD: hako has no device cgroup yet, so
 * with CAP_MKNOD a container could mknod the host's disk (b 8 0) and read or write it raw. */
// clang-format off
static const int caps_command[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};
// clang-format on

/* An init (-b) gets systemd-nspawn's default set, which a full init needs (mounts, reboot,
 * nice, tty config). Without a user namespace this is not a security boundary (CAP_SYS_ADMIN can
 * mount devtmpfs), exactly as with nspawn; --private-users (isolation) makes it one. */
// clang-format off
static const int caps_boot[] = {
	CAP_AUDIT_CONTROL, CAP_AUDIT_WRITE, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
	CAP_FOWNER, CAP_FSETID, CAP_IPC_OWNER, CAP_KILL, CAP_LEASE, CAP_LINUX_IMMUTABLE, CAP_MKNOD,
	CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_RAW, CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP,
	CAP_SETUID, CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_CHROOT, CAP_SYS_NICE, CAP_SYS_PTRACE,
	CAP_SYS_RESOURCE, CAP_SYS_TTY_CONFIG,
};
// clang-format on

int cap_from_name(const char *name)
{
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
		if (cap_names[i] && strcasecmp(cap_names[i] + 4, bare) == 0)
			return (int)i;
	return -EINVAL;
}

const char *cap_to_name(int cap)
{
	return cap >= 0 && (size_t)cap < ELEMENTSOF(cap_names) ? cap_names[cap] : NULL;
}

int cap_parse_list(const char *list, uint64_t *mask, bool *all, char bad[64])
{
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		char name[64];
		if (n == 0 || n >= sizeof(name)) {
			snprintf(bad, 64, "%.*s", (int)(n < 63 ? n : 63), p);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = 0;
		if (strcasecmp(name, "all") == 0) {
			*mask |= CAP_MASK(ELEMENTSOF(cap_names)) - 1;
			if (all)
				*all = true;
		} else {
			int c = cap_from_name(name);
			if (c < 0) {
				snprintf(bad, 64, "%s", name);
				return -EINVAL;
			}
			*mask |= CAP_MASK(c);
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static uint64_t mask_of(const int *caps, size_t n)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= CAP_MASK(caps[i]);
	return m;
}

uint64_t caps_default(bool boot, bool private_network)
{
	if (!boot)
		return mask_of(caps_command, ELEMENTSOF(caps_command));
	uint64_t m = mask_of(caps_boot, ELEMENTSOF(caps_boot));
	/* Like nspawn: an init may configure its own, private network. */
	if (private_network)
		m |= CAP_MASK(CAP_NET_ADMIN);
	return m;
}

int caps_reduce_bounding(uint64_t keep)
{
	for (int c = 0; c < 64; c++) {
		if (keep & CAP_MASK(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int caps_set_ambient(uint64_t ambient, bool root)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t a = (uint32_t)(ambient >> (32 * i));
		d[i].inheritable = a;
		if (!root) {
			d[i].permitted &= a;
			d[i].effective = 0;
		}
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	for (int c = 0; c < 64; c++)
		if ((ambient & CAP_MASK(c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return -errno;
	return 0;
}

int caps_limit_self(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}
