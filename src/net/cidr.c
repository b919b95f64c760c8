#include "net/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

int inet_addr_parse(const char *s, struct inet_addr *ret)
{
	struct inet_addr a = { 0 };
	if (inet_pton(AF_INET, s, &a.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a.v6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret = a;
	return 0;
}

int inet_prefix_parse(const char *s, bool strict, struct inet_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	struct inet_prefix p = { 0 };
	if (inet_addr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	p.len = inet_addr_bits(p.addr.family);
	if (slash) {
		uint32_t len;
		/* parse_u32 accepts what strtoul does; a prefix length is plain digits only. */
		if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
		    parse_u32(slash + 1, &len) < 0)
			return -EINVAL;
		if (len > p.len)
			return -ERANGE;
		p.len = len;
	}
	struct inet_prefix masked = p;
	inet_prefix_mask(&masked);
	if (strict && !inet_addr_equal(&masked.addr, &p.addr))
		return -EADDRNOTAVAIL;
	*ret = p;
	return 0;
}

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, inet_addr_size(a->family)) == 0;
}

/* Whether the first len bits of x and y agree. */
static bool bits_equal(const uint8_t *x, const uint8_t *y, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (x[full] & m) == (y[full] & m);
}

bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a)
{
	return p->addr.family == a->family && bits_equal(p->addr.bytes, a->bytes, p->len);
}

bool inet_prefix_overlaps(const struct inet_prefix *a, const struct inet_prefix *b)
{
	return a->addr.family == b->addr.family &&
	       bits_equal(a->addr.bytes, b->addr.bytes, a->len < b->len ? a->len : b->len);
}

void inet_prefix_mask(struct inet_prefix *p)
{
	size_t size = inet_addr_size(p->addr.family);
	for (size_t i = 0; i < size; i++) {
		unsigned bit = (unsigned)i * 8;
		if (bit >= p->len)
			p->addr.bytes[i] = 0;
		else if (bit + 8 > p->len)
			p->addr.bytes[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
	}
}

uint64_t inet_prefix_size(const struct inet_prefix *p)
{
	unsigned host = inet_addr_bits(p->addr.family) - p->len;
	return host >= 64 ? UINT64_MAX : (uint64_t)1 << host;
}

/* The host part is at most the low 64 bits for the sizes IPAM deals with: add n to the last
 * eight bytes, big-endian. */
int inet_prefix_nth(const struct inet_prefix *p, uint64_t n, struct inet_addr *ret)
{
	if (n >= inet_prefix_size(p) && inet_prefix_size(p) != UINT64_MAX)
		return -ERANGE;
	struct inet_prefix base = *p;
	inet_prefix_mask(&base);
	size_t size = inet_addr_size(p->addr.family);
	uint8_t *b = base.addr.bytes;
	for (size_t i = size; i-- > 0 && n;) {
		unsigned sum = b[i] + (unsigned)(n & 0xff);
		b[i] = (uint8_t)sum;
		n = (n >> 8) + (sum >> 8);
	}
	*ret = base.addr;
	return 0;
}

int inet_prefix_offset(const struct inet_prefix *p, const struct inet_addr *a, uint64_t *ret)
{
	if (!inet_prefix_contains(p, a))
		return -ERANGE;
	size_t size = inet_addr_size(a->family);
	unsigned host = inet_addr_bits(a->family) - p->len;
	uint64_t v = 0;
	for (size_t i = size >= 8 ? size - 8 : 0; i < size; i++)
		v = v << 8 | a->bytes[i];
	if (host < 64)
		v &= ((uint64_t)1 << host) - 1;
	*ret = v;
	return 0;
}

const char *inet_addr_str(const struct inet_addr *a, char *buf)
{
	if (!inet_ntop(a->family, a->bytes, buf, INET_PREFIX_STRLEN))
		strcpy(buf, "?");
	return buf;
}

const char *inet_prefix_str(const struct inet_prefix *p, char *buf)
{
	inet_addr_str(&p->addr, buf);
	size_t n = strlen(buf);
	snprintf(buf + n, INET_PREFIX_STRLEN - n, "/%u", p->len);
	return buf;
}
