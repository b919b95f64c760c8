/* [Lab] Encrypt=wireguard: its keys in the file and on each host, and each host's WireGuard link. */
#include "lab/encrypt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/topology-internal.h"
#include "lab/vxlan.h"
#include "net/rtnl.h"

/* 172.31.255.0/24: the tunnel addresses live only in the lab's switch namespace, so one default
 * serves every lab; it must only stay clear of the lab's own networks (checked). */
#define ENCRYPT_SUBNET_DEFAULT ((172u << 24) | (31u << 16) | (255u << 8))
#define ENCRYPT_PREFIX_DEFAULT 24
#define KEY_FILE_MAX 128

/* ---- the file ---- */

int set_encrypt(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_topology *t = field;
	if (!streq(v, "wireguard") && !streq(v, "none")) {
		*why = "not wireguard or none";
		return -EINVAL;
	}
	t->encrypt = streq(v, "wireguard");
	t->encrypt_line = p->line;
	return 0;
}

int set_encrypt_subnet(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_topology *t = field;
	int r = set_subnet(p, &t->encrypt_subnet, v, why);
	if (r < 0)
		return r;
	t->encrypt_subnet_line = p->line;
	return 0;
}

int set_public_key(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_host *h = field;
	(void)p;
	int r = wg_key_parse(v, h->public_key);
	if (r == -ENOPKG) {
		*why = "Encrypt=wireguard needs libsodium (libsodium.so.23) for its keys";
		return r;
	}
	if (r < 0) {
		*why = "not a WireGuard key (44 characters of base64, as hako lab keys prints it)";
		return -EINVAL;
	}
	h->has_public_key = true;
	return 0;
}

static bool overlaps(const struct lab_cidr *a, const struct lab_cidr *b)
{
	uint8_t prefix = a->prefix < b->prefix ? a->prefix : b->prefix;
	return (a->addr & cidr_mask(prefix)) == (b->addr & cidr_mask(prefix));
}

int topology_check_encrypt(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	char a[16];
	if (!t->encrypt_subnet_line)
		t->encrypt_subnet = (struct lab_cidr){ ENCRYPT_SUBNET_DEFAULT, ENCRYPT_PREFIX_DEFAULT };
	if (!lab_encrypted(t))
		return 0;
	const struct lab_cidr *s = &t->encrypt_subnet;
	unsigned line = t->encrypt_subnet_line ? t->encrypt_subnet_line : t->encrypt_line;
	const char *dflt = t->encrypt_subnet_line ? "" : " (the default)";
	uint64_t room = (1ULL << (32 - s->prefix)) - 2;
	if (room < t->n_hosts)
		return topology_bad(p, line, "EncryptSubnet=%s/%u%s has room for %llu hosts, the lab has %zu",
				    ip_str(s->addr, a), s->prefix, dflt, (unsigned long long)room,
				    t->n_hosts);
	for (size_t i = 0; i < t->n_networks; i++)
		if (overlaps(s, &t->networks[i].subnet))
			return topology_bad(
				p, line, "EncryptSubnet=%s/%u%s overlaps network '%s' (line %u): set another",
				ip_str(s->addr, a), s->prefix, dflt, t->networks[i].name,
				t->networks[i].line);
	return 0;
}

uint32_t lab_tunnel_addr(const struct lab_topology *t, size_t host)
{
	return t->encrypt_subnet.addr + 1 + (uint32_t)host;
}

unsigned lab_encrypt_overhead(const struct lab_topology *t)
{
	if (!lab_encrypted(t))
		return 0;
	return t->hosts[0].addr.family == AF_INET ? WG_OVERHEAD_IPV4 : WG_OVERHEAD_IPV6;
}

/* ---- this host's private key ---- */

static void key_erase(uint8_t (*k)[WG_KEY_SIZE])
{
	explicit_bzero(*k, sizeof(*k));
}
#define _cleanup_key_ __attribute__((cleanup(key_erase)))

static char *key_path(const struct lab_topology *t)
{
	return hako_path(HAKO_DIR_STATE, "lab-keys/%s/%s.key", t->name, t->hosts[t->local_host].name);
}

/* Reads the key at path: -ENOENT, -EPERM if others may read it, -EINVAL if it is no key. */
static int key_read(const char *path, uint8_t key[static WG_KEY_SIZE])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_mode & 0077)
		return -EPERM;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file_bounded_fd(fd, KEY_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = 0;
	r = wg_key_parse(text, key);
	explicit_bzero(text, len);
	return r;
}

static int key_read_logged(const struct lab_topology *t, const char *path, uint8_t key[static WG_KEY_SIZE])
{
	int r = key_read(path, key);
	/* The file came on stdin (lab up --all): its name is the caller's. */
	const char *file = streq(t->file, "-") ? "FILE" : t->file;
	if (r == -ENOENT)
		log_error(
			"lab %s: no private key for host %s here (%s): make it with hako lab keys %s --host=%s",
			t->name, t->hosts[t->local_host].name, path, file, t->hosts[t->local_host].name);
	else if (r == -EPERM)
		log_error("%s: others may read this private key: make it mode 0600", path);
	else if (r == -EINVAL)
		log_error("%s: not a WireGuard private key", path);
	else if (r < 0)
		log_errno(r, "cannot read %s", path);
	return r;
}

/* A new private key in path (0600, in a 0700 directory), never replacing one. */
static int key_create(const struct lab_topology *t, const char *path, uint8_t key[static WG_KEY_SIZE])
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_STATE, "lab-keys/%s", t->name);
	if (!dir)
		return log_errno(-ENOMEM, "out of memory");
	int r = hako_mkdir(HAKO_DIR_STATE, "lab-keys");
	if (r >= 0)
		r = mkdir_p(dir, 0700);
	if (r < 0)
		return log_errno(r, "cannot create %s", dir);
	if (chmod(dir, 0700) < 0)
		return log_errno(-errno, "cannot make %s private", dir);
	r = wg_key_generate(key);
	if (r < 0)
		return log_errno(r, "cannot make a private key");
	char text[WG_KEY_B64_SIZE + 1];
	r = wg_key_format(key, text);
	if (r < 0)
		return log_errno(r, "cannot write a private key");
	strcat(text, "\n");
	r = write_file_atomic(path, text, 0600, true);
	explicit_bzero(text, sizeof(text));
	if (r < 0)
		return log_errno(r, "cannot write %s", path);
	return 0;
}

static int public_key(const uint8_t priv[static WG_KEY_SIZE], uint8_t pub[static WG_KEY_SIZE])
{
	int r = wg_key_public(priv, pub);
	if (r == -ENOPKG)
		log_error("Encrypt=wireguard needs libsodium (libsodium.so.23) for its keys");
	else if (r < 0)
		log_errno(r, "cannot compute a public key");
	return r;
}

int lab_keys(const struct lab_topology *t, char out[static WG_KEY_B64_SIZE])
{
	_cleanup_free_ char *path = key_path(t);
	_cleanup_key_ uint8_t priv[WG_KEY_SIZE] = { 0 };
	uint8_t pub[WG_KEY_SIZE];
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	int r = key_read(path, priv);
	if (r == -ENOENT)
		r = key_create(t, path, priv);
	else if (r < 0)
		r = key_read_logged(t, path, priv);
	if (r < 0)
		return r;
	r = public_key(priv, pub);
	if (r < 0)
		return r;
	r = wg_key_format(pub, out);
	if (r < 0)
		return log_errno(r, "cannot write a public key");
	return 0;
}

/* ---- lab up ---- */

static int check_public_keys(const struct lab_topology *t)
{
	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct lab_host *h = &t->hosts[i];
		if (h->has_public_key)
			continue;
		log_error(
			"%s:%u: [Host %s] needs PublicKey= with Encrypt=wireguard: on that host, hako lab keys %s --host=%s prints it",
			t->file, h->line, h->name, t->file, h->name);
		return -EINVAL;
	}
	return 0;
}

static int check_own_key(const struct lab_topology *t)
{
	const struct lab_host *self = &t->hosts[t->local_host];
	_cleanup_free_ char *path = key_path(t);
	_cleanup_key_ uint8_t priv[WG_KEY_SIZE] = { 0 };
	uint8_t pub[WG_KEY_SIZE];
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	int r = key_read_logged(t, path, priv);
	if (r < 0)
		return r;
	r = public_key(priv, pub);
	if (r < 0)
		return r;
	if (memcmp(pub, self->public_key, WG_KEY_SIZE) == 0)
		return 0;
	log_error(
		"%s: this host's private key is not the one of [Host %s] PublicKey= (%s:%u): paste what hako lab keys prints here",
		path, self->name, t->file, self->line);
	return -EINVAL;
}

int lab_encrypt_check(const struct lab_topology *t, bool here)
{
	if (!lab_encrypted(t))
		return 0;
	int r = check_public_keys(t);
	if (r < 0 || !here)
		return r;
	r = check_own_key(t);
	if (r < 0)
		return r;
	r = wg_probe();
	if (r == -EOPNOTSUPP)
		log_error("lab %s: Encrypt=wireguard: this kernel has no WireGuard (CONFIG_WIREGUARD)",
			  t->name);
	else if (r < 0)
		log_errno(r, "lab %s: cannot ask the kernel for WireGuard", t->name);
	return r;
}

static int wg_failed(struct rtnl *r, int err, const struct lab_topology *t, const char *what)
{
	const char *msg = r ? rtnl_error_message(r) : "";
	if (err == -EADDRINUSE)
		log_error("lab %s: its WireGuard link: EncryptPort=%u is taken on this host: set another",
			  t->name, t->encrypt_port);
	else
		log_error("lab %s: %s: %s%s%s", t->name, what, strerror(-err), *msg ? ": " : "", msg);
	return err;
}

/* Every other host as a peer: its key, its underlay address, its tunnel address. */
static int set_peers(const struct lab_topology *t, int switch_fd, const uint8_t *priv)
{
	size_t n = 0;
	struct wg_peer peers[t->n_hosts];
	struct inet_prefix allowed[t->n_hosts];
	for (size_t i = 0; i < t->n_hosts; i++) {
		if ((int)i == t->local_host)
			continue;
		allowed[n] = (struct inet_prefix){ .addr.family = AF_INET, .len = 32 };
		allowed[n].addr.v4.s_addr = htonl(lab_tunnel_addr(t, i));
		peers[n] = (struct wg_peer){ .public_key = t->hosts[i].public_key,
					     .endpoint = &t->hosts[i].addr,
					     .port = t->encrypt_port,
					     .allowed = &allowed[n] };
		n++;
	}
	struct wg_device d = { LAB_WG_LINK, priv, t->encrypt_port, peers, n };
	return wg_set_device(switch_fd, &d);
}

int lab_encrypt_up(const struct lab_topology *t, struct rtnl *under, struct rtnl *sw, int switch_fd)
{
	_cleanup_free_ char *path = key_path(t);
	_cleanup_key_ uint8_t priv[WG_KEY_SIZE] = { 0 };
	if (!path)
		return log_errno(-ENOMEM, "out of memory");
	int r = key_read_logged(t, path, priv);
	if (r < 0)
		return r;
	unsigned mtu = (t->underlay_mtu ? t->underlay_mtu : LAB_MTU_DEFAULT) - lab_encrypt_overhead(t);
	r = rtnl_link_add(under, &(struct rtnl_link){ .name = LAB_WG_LINK,
						      .kind = "wireguard",
						      .netns_fd = &switch_fd,
						      .mtu = mtu });
	if (r < 0)
		return wg_failed(under, r, t, "cannot create its WireGuard link");
	r = set_peers(t, switch_fd, priv);
	if (r < 0)
		return wg_failed(NULL, r, t, "cannot set the keys and peers of its WireGuard link");
	int ifindex = rtnl_ifindex(sw, LAB_WG_LINK);
	if (ifindex < 0)
		return wg_failed(sw, ifindex, t, "its WireGuard link is gone");
	struct inet_prefix p = { .addr.family = AF_INET, .len = t->encrypt_subnet.prefix };
	p.addr.v4.s_addr = htonl(lab_tunnel_addr(t, (size_t)t->local_host));
	rtnl_begin(sw);
	rtnl_addr_add(sw, ifindex, &p);
	rtnl_link_change(sw, &(struct rtnl_link){ .name = LAB_WG_LINK, .up = true });
	r = rtnl_commit(sw);
	if (r < 0)
		return wg_failed(sw, r, t, "cannot bring its WireGuard link up");
	return 0;
}
