/* WireGuard links' keys and peers over generic netlink (libmnl), and Curve25519 keys. */
#include "net/wireguard.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"
#include "net/netns.h"

/* ---- keys ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 32 bytes: ten groups of 3 bytes and one of 2, the last as 3 characters and '='. */
void wg_key_format(const uint8_t key[static WG_KEY_SIZE], char out[static WG_KEY_B64_SIZE])
{
	size_t o = 0;
	for (size_t i = 0; i < WG_KEY_SIZE; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8;
		if (i + 2 < WG_KEY_SIZE)
			v |= key[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = i + 2 < WG_KEY_SIZE ? b64[v & 63] : '=';
	}
	out[o] = 0;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int wg_key_parse(const char *s, uint8_t key[static WG_KEY_SIZE])
{
	uint8_t k[WG_KEY_SIZE];
	if (strlen(s) != WG_KEY_B64_SIZE - 1 || s[WG_KEY_B64_SIZE - 2] != '=')
		return -EINVAL;
	for (size_t i = 0, o = 0; i < WG_KEY_B64_SIZE - 1; i += 4) {
		int v[4];
		for (size_t j = 0; j < 4; j++)
			v[j] = i + j == WG_KEY_B64_SIZE - 2 ? 0 : b64_value(s[i + j]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -EINVAL;
		uint32_t w =
			(uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		k[o++] = (uint8_t)(w >> 16);
		k[o++] = (uint8_t)(w >> 8);
		if (o < WG_KEY_SIZE)
			k[o++] = (uint8_t)w;
		else if (w & 0xff)
			return -EINVAL; /* bits past the 32 bytes: not the canonical form */
	}
	memcpy(key, k, WG_KEY_SIZE);
	return 0;
}

int wg_key_generate(uint8_t key[static WG_KEY_SIZE])
{
	if (getrandom(key, WG_KEY_SIZE, 0) != WG_KEY_SIZE)
		return -errno;
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
	return 0;
}

static struct {
	__typeof__(&sodium_init) init;
	__typeof__(&crypto_scalarmult_curve25519_base) base;
	void *handle;
} na;

static const struct dl_symbol na_symbols[] = {
	DL_SYMBOL("sodium_init", na, init),
	DL_SYMBOL("crypto_scalarmult_curve25519_base", na, base),
};

int wg_key_public(const uint8_t private_key[static WG_KEY_SIZE], uint8_t public_key[static WG_KEY_SIZE])
{
	if (!na.handle) {
		int r = dl_load("libsodium.so.23", na_symbols, ELEMENTSOF(na_symbols), &na, &na.handle);
		if (r < 0)
			return r;
		if (na.init() < 0)
			return -EIO;
	}
	if (na.base(public_key, private_key) != 0)
		return -EINVAL;
	return 0;
}

/* ---- generic netlink ---- */

static void mnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}

static int genl_open(int netns_fd, struct mnl_socket **ret)
{
	int saved = -1;
	if (netns_fd >= 0) {
		int r = netns_enter(netns_fd, &saved);
		if (r < 0)
			return r;
	}
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	int err = nl ? 0 : -errno;
	if (saved >= 0)
		netns_leave(saved);
	if (err < 0)
		return err;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	*ret = nl;
	return 0;
}

static struct nlmsghdr *genl_header(void *buf, uint16_t type, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Sends nlh and reads the answers into cb until the ack; the kernel's error if it fails. */
static int genl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[8192];
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		int r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	uint16_t *id = data;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*id = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

/* The family's id; -EOPNOTSUPP when the kernel has no such family (asking loads its module). */
static int genl_family(struct mnl_socket *nl, const char *name, uint16_t *ret)
{
	char buf[256];
	struct nlmsghdr *nlh = genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	*ret = 0;
	int r = genl_talk(nl, nlh, family_cb, ret);
	if (r == -ENOENT || (r == 0 && !*ret))
		return -EOPNOTSUPP;
	return r;
}

int wg_probe(void)
{
	_cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
	uint16_t id;
	int r = genl_open(-1, &nl);
	if (r < 0)
		return r;
	return genl_family(nl, WG_GENL_NAME, &id);
}

static void put_endpoint(struct nlmsghdr *nlh, const struct wg_peer *p)
{
	if (p->endpoint->family == AF_INET) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(p->port),
					  .sin_addr = p->endpoint->v4 };
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
		return;
	}
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(p->port),
				   .sin6_addr = p->endpoint->v6 };
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
}

static void put_peer(struct nlmsghdr *nlh, const struct wg_peer *p)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_SIZE, p->public_key);
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS);
	put_endpoint(nlh, p);
	struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	struct nlattr *ip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, (uint16_t)p->allowed->addr.family);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, inet_addr_size(p->allowed->addr.family),
		     p->allowed->addr.bytes);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, (uint8_t)p->allowed->len);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
}

/* Room for the device's attributes and each peer's (about 130 bytes). */
#define WG_DEVICE_BYTES 256
#define WG_PEER_BYTES 256

int wg_set_device(int netns_fd, const struct wg_device *d)
{
	_cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
	uint16_t id;
	int r = genl_open(netns_fd, &nl);
	if (r < 0)
		return r;
	r = genl_family(nl, WG_GENL_NAME, &id);
	if (r < 0)
		return r;
	size_t size = WG_DEVICE_BYTES + d->n_peers * WG_PEER_BYTES;
	_cleanup_free_ char *buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	struct nlmsghdr *nlh = genl_header(buf, id, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, d->ifname);
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_SIZE, d->private_key);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, d->listen_port);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	for (size_t i = 0; i < d->n_peers; i++)
		put_peer(nlh, &d->peers[i]);
	mnl_attr_nest_end(nlh, peers);
	r = genl_talk(nl, nlh, NULL, NULL);
	/* The message holds the private key: not left in freed memory (as lab keys' files are). */
	explicit_bzero(buf, size);
	return r;
}
