#include "net/dnsmasq.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/util.h"
#include "net/dhcpname.h"
#include "net/ipam.h"
#include "net/peers.h"
#include "net/rules.h"

#define HOSTS_DIR "hosts.d"
#define DHCP_HOSTS_DIR "dhcp-hosts.d"
/* Dual-stack across hosts: the AAAA records of the other hosts' containers, a file per address,
 * written by the lease script dnsmasq runs (LEASE_SCRIPT, dnsmasq_lease_event). */
#define PEERS_HOSTS_DIR "peers.d"
#define LEASE_SCRIPT "lease-event"

/* The lease script's path: in the state directory, as the runtime one is under /run, which Debian
 * mounts noexec (initramfs-tools), and dnsmasq then cannot run it. */
static char *lease_script_path(const struct network_def *d)
{
	return hako_path(HAKO_DIR_STATE, "networks/%s/" LEASE_SCRIPT, d->name);
}

static char *rt_path(const struct network_def *d, const char *file)
{
	return hako_path(HAKO_DIR_RUNTIME, "networks/%s/%s", d->name, file);
}

/* dnsmasq lives in sbin, which a user's PATH may lack. */
static char *find_dnsmasq(void)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = strdup(path ? path : "/usr/sbin:/sbin:/usr/bin:/bin");
	if (!dirs)
		return NULL;
	char *save = NULL;
	for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/dnsmasq", dir);
		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* A dual-stack network across hosts: the other hosts' containers have their A records from their
 * leases (src/net/dhcpname.h), and hako adds their AAAA records (dnsmasq_lease_event). */
static bool has_peer_names6(const struct network_def *d)
{
	return d->n_peers && d->has_ipv6;
}

/* Across hosts, each other host's slice is a range only its hako's claims may take, forever
 * (src/net/dhcpname.h): the name of a container there, in a lease of the address that host gave
 * it. Ordinary clients, without the user class, never get one of those addresses. */
static void write_peer_ranges(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	if (d->n_peers)
		fprintf(f, "dhcp-userclass=set:%s,%s\n", DHCPNAME_USER_CLASS, DHCPNAME_USER_CLASS);
	for (unsigned i = 0; i < d->n_peers; i++) {
		struct ipam_pool p;
		char from[INET_PREFIX_STRLEN], to[INET_PREFIX_STRLEN];
		struct inet_addr a, b;
		ipam_peer_pool(d, i, &p);
		if ((int)i == d->local_peer || p.last < p.first)
			continue;
		inet_prefix_nth(&d->subnet, p.first, &a);
		inet_prefix_nth(&d->subnet, p.last, &b);
		fprintf(f, "dhcp-range=tag:%s,%s,%s,infinite\n", DHCPNAME_USER_CLASS, inet_addr_str(&a, from),
			inet_addr_str(&b, to));
	}
}

static char *config_text(const struct network_def *d)
{
	char from[INET_PREFIX_STRLEN], to[INET_PREFIX_STRLEN], gw[INET_PREFIX_STRLEN];
	struct inet_addr a, b;
	ipam_dynamic_range(d, &a, &b);
	_cleanup_free_ char *pid = rt_path(d, "dnsmasq.pid"), *hosts = rt_path(d, HOSTS_DIR);
	_cleanup_free_ char *dhcp_hosts = rt_path(d, DHCP_HOSTS_DIR);
	_cleanup_free_ char *leases = hako_path(HAKO_DIR_STATE, "networks/%s/dnsmasq.leases", d->name);
	/* IPv6: router advertisements with the prefix on-link but not for SLAAC (the M flag, a
	 * "static" DHCPv6 range: only the addresses hako assigned, from dhcp-hosts). A second, SLAAC
	 * address made a UDP service answer port forwards from an address the forward does not
	 * DNAT to, so its replies were never matched (issue 15.7). */
	_cleanup_free_ char *v6 =
		d->has_ipv6 ? xasprintf("enable-ra\ndhcp-range=::,static,constructor:%s,64,12h\n", d->bridge)
			    : strdup("");
	_cleanup_free_ char *mtu = d->mtu ? xasprintf("dhcp-option=option:mtu,%u\n", d->mtu) : strdup("");
	char dns[INET_PREFIX_STRLEN];
	struct inet_addr dns_addr;
	network_dns_addr(d, &dns_addr);
	inet_addr_str(&dns_addr, dns);
	/* Across hosts the gateway is every host's own: DNS has an address only this host has. */
	_cleanup_free_ char *dns_conf =
		network_has_dns_addr(d)
			? xasprintf("listen-address=%s\ndhcp-option=option:dns-server,%s\n", dns, dns)
			: strdup("");
	_cleanup_free_ char *peers = rules_text(write_peer_ranges, d);
	_cleanup_free_ char *script = lease_script_path(d), *peer_hosts = rt_path(d, PEERS_HOSTS_DIR);
	_cleanup_free_ char *v6_names =
		has_peer_names6(d) ? xasprintf("dhcp-script=%s\nhostsdir=%s\n", script, peer_hosts)
				   : strdup("");
	if (!pid || !hosts || !dhcp_hosts || !leases || !v6 || !mtu || !dns_conf || !peers || !v6_names)
		return NULL;
	return xasprintf("# written by hako for network %s\n"
			 "interface=%s\nbind-interfaces\nexcept-interface=lo\nlisten-address=%s\n"
			 "user=root\npid-file=%s\n"
			 "dhcp-range=%s,%s,12h\ndhcp-authoritative\ndhcp-leasefile=%s\ndhcp-hostsdir=%s\n"
			 "dhcp-option=option:router,%s\n%s%s%s%s%s"
			 "domain=hako\nlocal=/hako/\nexpand-hosts\nno-hosts\nhostsdir=%s\n",
			 d->name, d->bridge, inet_addr_str(&d->gateway, gw), pid, inet_addr_str(&a, from),
			 inet_addr_str(&b, to), leases, dhcp_hosts, gw, mtu, v6, dns_conf, peers, v6_names,
			 hosts);
}

/* A file per machine in two directories dnsmasq watches (inotify): a container joining writes
 * its own two files, and dnsmasq reads just those, with no signal. Rewriting one hosts file of
 * every machine and a SIGHUP per container (dnsmasq then re-read every file) made the cost of
 * a join grow with the containers on the network (issue 21). */
static int write_machine_file(const struct network_def *d, const char *dir, const char *name,
			      const char *text)
{
	_cleanup_free_ char *p = hako_path(HAKO_DIR_RUNTIME, "networks/%s/%s/%s", d->name, dir, name);
	if (!p || !text)
		return -ENOMEM;
	/* Written in place: dnsmasq reads a file once it is closed after writing. */
	return write_file(p, text, O_CREAT | O_TRUNC, 0644);
}

/* hosts.d/NAME: "ADDR NAME NAME.hako" (and the IPv6 address); dhcp-hosts.d/NAME:
 * "MAC,ADDR,[ADDR6],NAME". The DHCP reservation first: a name resolves once both are there. */
static int machine_files(const struct network_def *d, const char *name, const struct inet_addr *v4)
{
	char a4[INET_PREFIX_STRLEN], a6[INET_PREFIX_STRLEN] = "", mac[18];
	uint8_t m[6];
	inet_addr_str(v4, a4);
	if (d->has_ipv6) {
		struct inet_addr v6;
		ipam_ipv6_of(d, v4, &v6);
		inet_addr_str(&v6, a6);
	}
	mac_from_name(name, m);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	_cleanup_free_ char *dhcp = d->has_ipv6 ? xasprintf("%s,%s,[%s],%s\n", mac, a4, a6, name)
						: xasprintf("%s,%s,%s\n", mac, a4, name);
	_cleanup_free_ char *hosts =
		d->has_ipv6 ? xasprintf("%s %s %s.hako\n%s %s %s.hako\n", a4, name, name, a6, name, name)
			    : xasprintf("%s %s %s.hako\n", a4, name, name);
	int r = write_machine_file(d, DHCP_HOSTS_DIR, name, dhcp);
	if (r < 0)
		return r;
	return write_machine_file(d, HOSTS_DIR, name, hosts);
}

/* Both directories emptied and filled from the network's leases: what dnsmasq reads as it
 * starts. */
static int hosts_dirs(const struct network_def *d)
{
	/* peers.d starts empty too: dnsmasq runs its lease script ("old") for every lease in its
	 * file as it starts. */
	static const char *const dirs[] = { HOSTS_DIR, DHCP_HOSTS_DIR, PEERS_HOSTS_DIR };
	const size_t n = has_peer_names6(d) ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = rt_path(d, dirs[i]);
		if (!p)
			return -ENOMEM;
		int r = rm_rf(p);
		if (r < 0 && r != -ENOENT)
			return r;
		r = mkdir_p(p, 0755);
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *leases = NULL;
	int r = ipam_read(d, &leases);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *line = leases ? strtok_r(leases, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		struct inet_addr v4;
		if (!sp)
			continue;
		*sp = 0;
		if (inet_addr_parse(sp + 1, &v4) < 0)
			continue;
		r = machine_files(d, line, &v4);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether pid runs dnsmasq with our config file: a pid file outlives its dnsmasq, and pids get
 * reused (also by the dnsmasq of another network). */
static bool is_our_dnsmasq(pid_t pid, const char *conf_arg)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pid), *cmdline = NULL;
	size_t len = 0;
	if (!path || read_file(path, &cmdline, &len) < 0)
		return false;
	const char *argv0 = strrchr(cmdline, '/');
	if (!streq(argv0 ? argv0 + 1 : cmdline, "dnsmasq"))
		return false;
	for (size_t off = strlen(cmdline) + 1; off < len; off += strlen(cmdline + off) + 1)
		if (streq(cmdline + off, conf_arg))
			return true;
	return false;
}

static char *conf_arg(const struct network_def *d)
{
	_cleanup_free_ char *conf = rt_path(d, "dnsmasq.conf");
	return conf ? xasprintf("--conf-file=%s", conf) : NULL;
}

/* The pid in the pid file, if that process is still the network's dnsmasq. */
static pid_t running_pid(const struct network_def *d)
{
	_cleanup_free_ char *path = rt_path(d, "dnsmasq.pid"), *line = NULL, *arg = conf_arg(d);
	int pid;
	if (!path || !arg)
		return 0;
	if (read_line_file(path, &line) < 0)
		return 0;
	if (parse_int(line, &pid) < 0 || pid <= 0)
		return 0;
	return is_our_dnsmasq(pid, arg) ? pid : 0;
}

/* dnsmasq forks into the background itself; the process hako starts exits once the daemon
 * reports it is serving (or why it is not), so its exit status is the start-up result. */
static int spawn_dnsmasq(const char *bin, const char *arg)
{
	if (!arg)
		return -ENOMEM;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* A hako run restarting a dead dnsmasq blocks the signals it reads from a signalfd;
		 * the mask survives exec, and dnsmasq must get SIGHUP (reload) and SIGTERM (stop). */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execl(bin, "dnsmasq", arg, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* 'S' for sh, whatever S holds. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f); /* close, an escaped quote, open again */
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void write_lease_script(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	static const struct {
		const char *env;
		enum hako_dir dir;
	} dirs[] = {
		{ "HAKO_RUNTIME_DIR", HAKO_DIR_RUNTIME },
		{ "HAKO_CONFIG_DIR", HAKO_DIR_CONFIG },
		{ "HAKO_STATE_DIR", HAKO_DIR_STATE },
	};
	char self[PATH_MAX] = "hako"; /* this very binary; else the one in PATH */
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0)
		self[n] = 0;
	fprintf(f, "#!/bin/sh\n# written by hako: dnsmasq's dhcp-script of network %s\n", d->name);
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		fprintf(f, "%s=", dirs[i].env);
		put_quoted(f, hako_dir(dirs[i].dir));
		fputc(' ', f);
	}
	fputs("exec ", f);
	put_quoted(f, self);
	fputs(" network lease-event ", f);
	put_quoted(f, d->name);
	fputs(" \"$@\"\n", f);
}

/* Its state directory (leases), its config file, the lease script, the hosts files. */
static int write_files(const struct network_def *d, const char *sub, const char *conf, const char *text)
{
	int r = hako_mkdir(HAKO_DIR_STATE, sub);
	if (r < 0)
		return r;
	r = write_file(conf, text, O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return r;
	if (has_peer_names6(d)) {
		_cleanup_free_ char *path = lease_script_path(d), *script = rules_text(write_lease_script, d);
		r = path && script ? write_file(path, script, O_CREAT | O_TRUNC, 0755) : -ENOMEM;
		if (r < 0)
			return r;
	}
	return hosts_dirs(d);
}

int dnsmasq_start(const struct network_def *d)
{
	_cleanup_free_ char *bin = find_dnsmasq(), *conf = rt_path(d, "dnsmasq.conf");
	_cleanup_free_ char *text = config_text(d), *arg = conf_arg(d);
	_cleanup_free_ char *sub = xasprintf("networks/%s", d->name);
	if (!bin) {
		log_error("network %s needs dnsmasq for --dhcp: install the package dnsmasq-base", d->name);
		return -ENOENT;
	}
	if (!conf || !text || !sub || !arg)
		return log_errno(-ENOMEM, "out of memory");
	int r = write_files(d, sub, conf, text);
	if (r < 0)
		return log_errno(r, "cannot write dnsmasq's files for network %s", d->name);
	r = spawn_dnsmasq(bin, arg);
	if (r < 0) {
		log_error("dnsmasq for network %s failed to start (see its message above)", d->name);
		return r;
	}
	return 0;
}

void dnsmasq_stop(const struct network_def *d)
{
	pid_t pid = running_pid(d);
	if (pid <= 0)
		return;
	/* Through a pidfd, checked to be still our dnsmasq once open: the pid is not reused under
	 * it. It is readable once dnsmasq exited, even as a zombie its parent (PID 1) has yet to
	 * reap, which kill(pid, 0) counted as running for up to 2 s (issue 18.13). */
	_cleanup_close_ int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return;
	if (running_pid(d) != pid)
		return;
	if (pidfd_send_signal(fd, SIGTERM, NULL, 0) < 0)
		return;
	/* Wait (up to 2 s) so the bridge and the network's addresses are free when we return. */
	struct pollfd exited = { .fd = fd, .events = POLLIN };
	while (poll(&exited, 1, 2000) < 0 && errno == EINTR)
		;
}

int dnsmasq_add(const struct network_def *d, const char *name, const struct inet_addr *addr)
{
	pid_t pid;
	int r = dnsmasq_check(d, &pid);
	if (r != 0) /* restarted: it read the files of every lease as it started; or it cannot run */
		return r < 0 ? r : 0;
	return machine_files(d, name, addr);
}

int dnsmasq_remove(const struct network_def *d, const char *name)
{
	pid_t pid;
	int r = dnsmasq_check(d, &pid);
	if (r != 0)
		return r < 0 ? r : 0;
	static const char *const dirs[] = { HOSTS_DIR, DHCP_HOSTS_DIR };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p =
			hako_path(HAKO_DIR_RUNTIME, "networks/%s/%s/%s", d->name, dirs[i], name);
		if (!p)
			return -ENOMEM;
		if (unlink(p) < 0 && errno != ENOENT)
			return -errno;
	}
	/* dnsmasq forgets the names of a removed hosts file at once, but keeps a removed file's
	 * DHCP reservation until SIGHUP (dnsmasq(8), --dhcp-hostsdir): the address may go to
	 * another machine next. */
	return pid > 0 && kill(pid, SIGHUP) < 0 ? -errno : 0;
}

int dnsmasq_check(const struct network_def *d, pid_t *ret_pid)
{
	*ret_pid = d->dhcp ? running_pid(d) : 0;
	if (!d->dhcp || *ret_pid > 0)
		return 0;
	/* Same config, same lease file: clients keep their addresses. */
	log_warning("dnsmasq of network %s is not running, restarting it", d->name);
	int r = dnsmasq_start(d);
	if (r < 0)
		return r;
	*ret_pid = running_pid(d);
	return 1;
}

/* In another host's slice: a lease only that host's hako can have asked for. */
static bool in_other_slice(const struct network_def *d, const struct inet_addr *a)
{
	uint64_t off;
	if (inet_prefix_offset(&d->subnet, a, &off) < 0)
		return false;
	for (unsigned i = 0; i < d->n_peers; i++) {
		struct ipam_pool p;
		ipam_peer_pool(d, i, &p);
		if ((int)i != d->local_peer && off >= p.first && off <= p.last)
			return true;
	}
	return false;
}

/* A DNS label (RFC 1123) of a host name, which is all dnsmasq passes on: the name becomes a line
 * of a hosts file. */
static bool is_host_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

int dnsmasq_lease_event(const struct network_def *d, const char *action, const char *addr,
			const char *hostname)
{
	struct inet_addr a, a6;
	if (!has_peer_names6(d) || inet_addr_parse(addr, &a) < 0 || a.family != AF_INET ||
	    !in_other_slice(d, &a))
		return 0;
	char name[INET_PREFIX_STRLEN], text6[INET_PREFIX_STRLEN];
	inet_addr_str(&a, name);
	_cleanup_free_ char *p =
		hako_path(HAKO_DIR_RUNTIME, "networks/%s/%s/%s", d->name, PEERS_HOSTS_DIR, name);
	if (!p)
		return -ENOMEM;
	if (streq(action, "del") || !hostname || !is_host_label(hostname))
		return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
	ipam_ipv6_of(d, &a, &a6);
	_cleanup_free_ char *line =
		xasprintf("%s %s %s.hako\n", inet_addr_str(&a6, text6), hostname, hostname);
	return write_machine_file(d, PEERS_HOSTS_DIR, name, line);
}
