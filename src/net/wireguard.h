/* Kernel WireGuard without the wg tool: the device's keys and peers through the "wireguard"
 * generic netlink family (linux/wireguard.h) over libmnl; the link itself is made over rtnetlink
 * (rtnl_link_add, kind "wireguard"); requests and acks through net/nlreq.h as rtnetlink's. Keys are
 * Curve25519: a private key from getrandom(), its public key and base64 by libsodium (dlopen()ed:
 * only encrypted labs need it). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "net/cidr.h"

#define WG_KEY_SIZE 32
#define WG_KEY_B64_SIZE 45 /* 44 characters of base64 and a NUL, as wg(8) writes a key */
/* Outer IP + UDP + WireGuard's header and tag: what the MTU inside a WireGuard link loses. */
#define WG_OVERHEAD_IPV4 60
#define WG_OVERHEAD_IPV6 80

/* 0, or -EINVAL when s is not 44 characters of base64 for 32 bytes; -ENOPKG without libsodium
 * (as for wg_key_format). */
int wg_key_parse(const char *s, uint8_t key[static WG_KEY_SIZE]);
int wg_key_format(const uint8_t key[static WG_KEY_SIZE], char out[static WG_KEY_B64_SIZE]);
/* A new private key: 32 random bytes, clamped as Curve25519 wants them. */
int wg_key_generate(uint8_t key[static WG_KEY_SIZE]);
/* The public key of a private key. -ENOPKG without libsodium. */
int wg_key_public(const uint8_t private_key[static WG_KEY_SIZE], uint8_t public_key[static WG_KEY_SIZE]);

/* 0 if the kernel has WireGuard (its generic netlink family, loading the module if need be),
 * -EOPNOTSUPP if not. */
int wg_probe(void);

struct wg_peer {
	const uint8_t *public_key;
	const struct inet_addr *endpoint; /* its underlay address */
	uint16_t port;
	const struct inet_prefix *allowed; /* what it may send from and is sent to: its tunnel address */
};

struct wg_device {
	const char *ifname;
	const uint8_t *private_key;
	uint16_t listen_port;
	const struct wg_peer *peers;
	size_t n_peers;
};

/* Sets the key, port and peers (replacing any) of the WireGuard link d->ifname of netns_fd's
 * namespace (-1: the current one). */
int wg_set_device(int netns_fd, const struct wg_device *d);
