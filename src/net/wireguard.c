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
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "base/util.h"
#include "net/nlreq.h"

/* ---- keys ---- */

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
	__typeof__(&sodium_bin2base64) bin2base64;
	__typeof__(&sodium_base642bin) base642bin;
	void *handle;
} na;

// clang-format off
static const struct dl_symbol na_symbols[] = {
	DL_SYMBOL("sodium_init", na, init),
	DL_SYMBOL("crypto_scalarmult_curve25519_base", na, base),
	DL_SYMBOL("sodium_bin2base64", na, bin2base64),
	DL_SYMBOL("sodium_base642bin", na, base642bin),
};
// clang-format on

static int sodium_load(void)
{
	if (na.handle)
		return 0;
	int r = dl_load("libsodium.so.23", na_symbols, ELEMENTSOF(na_symbols), &na, &na.handle);
	if (r < 0)
		return r;
	if (na.init() < 0)
		return -EIO;
	return 0;
}

int wg_key_format(const uint8_t key[static WG_KEY_SIZE], char out[static WG_KEY_B64_SIZE])
{
	int r = sodium_load();
	if (r < 0)
		return r;
	na.bin2base64(out, WG_KEY_B64_SIZE, key, WG_KEY_SIZE, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* libsodium refuses bad characters, bad padding and bits left over past the last byte (a key
 * has one canonical form); the length is checked here, as wg(8) wants exactly 32 bytes. */
int wg_key_parse(const char *s, uint8_t key[static WG_KEY_SIZE])
{
	uint8_t k[WG_KEY_SIZE];
	size_t len;
	const char *end;
	int r = sodium_load();
	if (r < 0)
		return r;
	if (strlen(s) != WG_KEY_B64_SIZE - 1)
		return -EINVAL;
	r = na.base642bin(k, sizeof(k), s, WG_KEY_B64_SIZE - 1, NULL, &len, &end,
			  sodium_base64_VARIANT_ORIGINAL);
	if (r != 0 || len != WG_KEY_SIZE || *end)
		return -EINVAL;
	memcpy(key, k, WG_KEY_SIZE);
	return 0;
}

int wg_key_public(const uint8_t private_key[static WG_KEY_SIZE], uint8_t public_key[static WG_KEY_SIZE])
{
	int r = sodium_load();
	if (r < 0)
		return r;
	if (na.base(public_key, private_key) != 0)
		return -EINVAL;
	return 0;
}

/* ---- generic netlink ---- */

struct genl {
	int fd;
	unsigned portid;
};

static void genl_close(struct genl *g)
{
	if (g->fd >= 0)
		close(g->fd);
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

/* Sends nlh and hands the answers to cb until the ack; the kernel's error if it fails. */
static int genl_talk(const struct genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[8192];
	struct nl_ack ack = { 0 };
	int r = nl_send(g->fd, nlh, nlh->nlmsg_len);
	if (r < 0)
		return r;
	r = nl_collect(g->fd, g->portid, buf, sizeof(buf), 1, cb, data, &ack);
	if (r < 0)
		return r;
	return ack.err;
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
static int genl_family(const struct genl *g, const char *name, uint16_t *ret)
{
	char buf[256];
	struct nlmsghdr *nlh = genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	*ret = 0;
	int r = genl_talk(g, nlh, family_cb, ret);
	if (r == -ENOENT || (r == 0 && !*ret))
		return -EOPNOTSUPP;
	return r;
}

int wg_probe(void)
{
	_cleanup_(genl_close) struct genl g = { -1, 0 };
	uint16_t id;
	g.fd = nl_open(-1, NETLINK_GENERIC, &g.portid);
	if (g.fd < 0)
		return g.fd;
	return genl_family(&g, WG_GENL_NAME, &id);
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
	_cleanup_(genl_close) struct genl g = { -1, 0 };
	uint16_t id;
	g.fd = nl_open(netns_fd, NETLINK_GENERIC, &g.portid);
	if (g.fd < 0)
		return g.fd;
	int r = genl_family(&g, WG_GENL_NAME, &id);
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
	r = genl_talk(&g, nlh, NULL, NULL);
	/* The message holds the private key: not left in freed memory (as lab keys' files are). */
	explicit_bzero(buf, size);
	return r;
}
