#include "net/ipam.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/util.h"
#include "net/peers.h"

void ipam_pool_of(const struct network_def *d, struct ipam_pool *ret)
{
	ipam_peer_pool(d, (unsigned)d->local_peer, ret);
}

void ipam_peer_pool(const struct network_def *d, unsigned peer, struct ipam_pool *ret)
{
	uint64_t size = inet_prefix_size(&d->subnet);
	*ret = (struct ipam_pool){ .subnet = d->subnet,
				   .gateway = d->gateway,
				   .first = 2,
				   .last = d->dhcp ? size / 2 - 1 : size - 2 };
	peers_slice(d, peer, &ret->first, &ret->last);
}

void ipam_dynamic_range(const struct network_def *d, struct inet_addr *from, struct inet_addr *to)
{
	/* The upper half, whichever slice of the lower half is this host's. */
	uint64_t size = inet_prefix_size(&d->subnet);
	inet_prefix_nth(&d->subnet, size / 2, from);
	inet_prefix_nth(&d->subnet, size - (network_has_dns_addr(d) ? 3 : 2), to);
}

/* One "MACHINE ADDRESS" line; name and addr point into a copy the caller frees. */
static int parse_line(char *line, char **name, struct inet_addr *addr)
{
	char *sp = strchr(line, ' ');
	if (!sp)
		return -EINVAL;
	*sp = 0;
	*name = line;
	return inet_addr_parse(sp + 1, addr);
}

/* Bitmap of taken offsets in [first, last], walked once per lease. */
int ipam_pick(const struct ipam_pool *pool, const char *leases, const char *machine, struct inet_addr *ret,
	      bool *is_new)
{
	if (pool->last < pool->first)
		return -ENOSPC;
	uint64_t n = pool->last - pool->first + 1;
	_cleanup_free_ uint8_t *taken = calloc(n / 8 + 1, 1);
	_cleanup_free_ char *copy = strdup(leases ? leases : "");
	if (!taken || !copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name;
		struct inet_addr a;
		uint64_t off;
		if (parse_line(line, &name, &a) < 0)
			return -EINVAL;
		if (streq(name, machine) && inet_prefix_contains(&pool->subnet, &a)) {
			*ret = a;
			*is_new = false;
			return 0;
		}
		if (inet_prefix_offset(&pool->subnet, &a, &off) == 0 && off >= pool->first &&
		    off <= pool->last)
			taken[(off - pool->first) / 8] |= (uint8_t)(1u << ((off - pool->first) % 8));
	}
	uint64_t gw = 0;
	(void)inet_prefix_offset(&pool->subnet, &pool->gateway, &gw);
	for (uint64_t i = 0; i < n; i++)
		if (!(taken[i / 8] & (1u << (i % 8))) && pool->first + i != gw) {
			*is_new = true;
			return inet_prefix_nth(&pool->subnet, pool->first + i, ret);
		}
	return -ENOSPC;
}

static char *leases_path(const struct network_def *d)
{
	return hako_path(HAKO_DIR_STATE, "networks/%s/leases", d->name);
}

int ipam_read(const struct network_def *d, char **ret)
{
	_cleanup_free_ char *path = leases_path(d);
	if (!path)
		return -ENOMEM;
	int r = read_file(path, ret, NULL);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	return r;
}

int ipam_filter(const char *leases, bool (*drop)(const char *machine, void *userdata), void *userdata,
		char **ret, size_t *dropped)
{
	_cleanup_free_ char *copy = strdup(leases ? leases : "");
	_cleanup_free_ char *out = NULL;
	size_t size = 0;
	_cleanup_fclose_ FILE *f = copy ? open_memstream(&out, &size) : NULL;
	if (!f)
		return -ENOMEM;
	*dropped = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name;
		struct inet_addr a;
		_cleanup_free_ char *whole = strdup(line);
		if (!whole)
			return -ENOMEM;
		if (parse_line(line, &name, &a) < 0)
			return -EINVAL;
		if (drop(name, userdata))
			(*dropped)++;
		else
			fprintf(f, "%s\n", whole);
	}
	if (fclose(TAKE_PTR(f)) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}

/* Replaces the lease file as a whole: a reader (dnsmasq's hosts, another hako) never sees half. */
static int write_leases(const struct network_def *d, const char *text)
{
	_cleanup_free_ char *path = leases_path(d);
	_cleanup_free_ char *tmp = path ? xasprintf("%s.tmp", path) : NULL;
	if (!tmp)
		return -ENOMEM;
	int r = write_file(tmp, text, O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return r;
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
	}
	return r;
}

static int drop_leases(const struct network_def *d, bool (*drop)(const char *, void *), void *userdata,
		       size_t *dropped)
{
	_cleanup_free_ char *text = NULL, *kept = NULL;
	int r = ipam_read(d, &text);
	if (r < 0)
		return r;
	r = ipam_filter(text, drop, userdata, &kept, dropped);
	if (r < 0)
		return r;
	return *dropped ? write_leases(d, kept) : 0;
}

bool ipam_defined(const char *machine)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_IMAGES, "%s", machine);
	_cleanup_free_ char *raw = hako_path(HAKO_DIR_IMAGES, "%s.raw", machine);
	return (dir && access(dir, F_OK) == 0) || (raw && access(raw, F_OK) == 0);
}

static bool is_machine(const char *name, void *machine)
{
	return streq(name, machine);
}

int ipam_release(const struct network_def *d, const char *machine)
{
	size_t dropped;
	return drop_leases(d, is_machine, (void *)machine, &dropped);
}

/* A lease whose container ended without giving it back (killed) and that no image keeps. */
static bool is_stale(const char *name, void *members_dir)
{
	return !members_alive(members_dir, name) && !ipam_defined(name);
}

int ipam_collect(const struct network_def *d, size_t *dropped)
{
	_cleanup_free_ char *members = hako_path(HAKO_DIR_RUNTIME, "networks/%s/members", d->name);
	if (!members)
		return -ENOMEM;
	return drop_leases(d, is_stale, members, dropped);
}

int ipam_acquire(const struct network_def *d, const char *machine, struct inet_addr *ret)
{
	_cleanup_free_ char *text = NULL, *path = leases_path(d);
	_cleanup_free_ char *sub = xasprintf("networks/%s", d->name);
	struct ipam_pool pool;
	bool is_new;
	int r;
	if (!path || !sub)
		return -ENOMEM;
	r = ipam_read(d, &text);
	if (r < 0)
		return r;
	ipam_pool_of(d, &pool);
	r = ipam_pick(&pool, text, machine, ret, &is_new);
	if (r == -ENOSPC) {
		/* Full: the leases of containers that ended go, then once more. */
		size_t dropped = 0;
		r = ipam_collect(d, &dropped);
		if (r < 0)
			return r;
		if (!dropped)
			return -ENOSPC;
		free(text);
		text = NULL;
		r = ipam_read(d, &text);
		if (r < 0)
			return r;
		r = ipam_pick(&pool, text, machine, ret, &is_new);
	}
	if (r < 0 || !is_new)
		return r;
	char a[INET_PREFIX_STRLEN];
	_cleanup_free_ char *line = xasprintf("%s %s\n", machine, inet_addr_str(ret, a));
	if (!line)
		return -ENOMEM;
	/* The network's state directory is made with its first lease. */
	r = write_file(path, line, O_CREAT | O_APPEND, 0644);
	if (r != -ENOENT)
		return r;
	r = hako_mkdir(HAKO_DIR_STATE, sub);
	if (r < 0)
		return r;
	return write_file(path, line, O_CREAT | O_APPEND, 0644);
}

void ipam_ipv6_of(const struct network_def *d, const struct inet_addr *v4, struct inet_addr *ret)
{
	uint64_t off = 0;
	(void)inet_prefix_offset(&d->subnet, v4, &off);
	inet_prefix_nth(&d->ipv6, off, ret);
}

void mac_from_name(const char *name, uint8_t mac[6])
{
	uint64_t h = hash64(name, strlen(name));
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}
