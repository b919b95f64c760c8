/* IPv4/IPv6 addresses and prefixes as users write them ("10.0.0.1", "10.0.0.0/24", "fd00::/64"),
 * and the arithmetic IPAM and rule generation need. Pure functions, no allocation. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inet_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	};
};

struct inet_prefix {
	struct inet_addr addr;
	unsigned len; /* prefix length: 0..32 or 0..128 */
};

/* Longest text form of a prefix, "ffff:...:ffff/128" plus NUL. */
#define INET_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

static inline unsigned inet_addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}
static inline size_t inet_addr_size(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* "10.0.0.1" or "fd00::1"; -EINVAL on anything else (no brackets, no zone index). */
int inet_addr_parse(const char *s, struct inet_addr *ret);
/* "ADDR/LEN"; with strict, host bits must be zero (a subnet); without "/LEN" the full length.
 * -EINVAL on bad syntax, -ERANGE on a length out of range, -EADDRNOTAVAIL on host bits set. */
int inet_prefix_parse(const char *s, bool strict, struct inet_prefix *ret);

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b);
/* Whether a lies in p. */
bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a);
/* Whether the two prefixes share any address. */
bool inet_prefix_overlaps(const struct inet_prefix *a, const struct inet_prefix *b);
/* p's address with the host bits cleared. */
void inet_prefix_mask(struct inet_prefix *p);
/* The n-th address of p (n = 0 is the network address); -ERANGE if n is outside p. */
int inet_prefix_nth(const struct inet_prefix *p, uint64_t n, struct inet_addr *ret);
/* Number of addresses in p, saturating at UINT64_MAX. */
uint64_t inet_prefix_size(const struct inet_prefix *p);
/* a's offset inside p (inverse of inet_prefix_nth); -ERANGE if outside. */
int inet_prefix_offset(const struct inet_prefix *p, const struct inet_addr *a, uint64_t *ret);

/* Text forms into buf (INET_PREFIX_STRLEN bytes); return buf. */
const char *inet_addr_str(const struct inet_addr *a, char *buf);
const char *inet_prefix_str(const struct inet_prefix *p, char *buf);
