#include "net/nft.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "net/netns.h"

/* The libnftables entry points hako uses, resolved by name from the dlopen()ed library. */
static struct {
	void *handle;
	struct nft_ctx *(*ctx_new)(uint32_t);
	void (*ctx_free)(struct nft_ctx *);
	int (*buffer_output)(struct nft_ctx *);
	int (*buffer_error)(struct nft_ctx *);
	const char *(*get_output)(struct nft_ctx *);
	const char *(*get_error)(struct nft_ctx *);
	int (*run)(struct nft_ctx *, const char *);
} lib;

static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	{ "nft_ctx_new", offsetof(__typeof__(lib), ctx_new) },
	{ "nft_ctx_free", offsetof(__typeof__(lib), ctx_free) },
	{ "nft_ctx_buffer_output", offsetof(__typeof__(lib), buffer_output) },
	{ "nft_ctx_buffer_error", offsetof(__typeof__(lib), buffer_error) },
	{ "nft_ctx_get_output_buffer", offsetof(__typeof__(lib), get_output) },
	{ "nft_ctx_get_error_buffer", offsetof(__typeof__(lib), get_error) },
	{ "nft_run_cmd_from_buffer", offsetof(__typeof__(lib), run) },
};

static int load(void)
{
	if (lib.handle)
		return 0;
	void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOPKG;
	for (size_t i = 0; i < ELEMENTSOF(symbols); i++) {
		void *f = dlsym(h, symbols[i].name);
		if (!f) {
			dlclose(h);
			return -ENOPKG;
		}
		memcpy((char *)&lib + symbols[i].offset, &f, sizeof(f));
	}
	lib.handle = h;
	return 0;
}

/* "Error: Could not process rule: ...": the first non-empty line of libnftables' report. */
static char *first_line(const char *s)
{
	if (!s)
		return strdup("unknown nftables error");
	s += strspn(s, "\n");
	return strndup(s, strcspn(s, "\n"));
}

/* A context per call: it holds a netlink socket of the namespace it was made in, and the cache
 * of one transaction. */
static int run(const char *text, char **out, char **err)
{
	int r = load();
	if (r < 0) {
		if (err)
			*err = strdup("cannot load libnftables.so.1 (install libnftables1)");
		return r;
	}
	struct nft_ctx *ctx = lib.ctx_new(0);
	if (!ctx)
		return -ENOMEM;
	lib.buffer_output(ctx);
	lib.buffer_error(ctx);
	r = lib.run(ctx, text) == 0 ? 0 : -EINVAL;
	if (r < 0 && err)
		*err = first_line(lib.get_error(ctx));
	if (r >= 0 && out && !(*out = strdup(lib.get_output(ctx) ?: "")))
		r = -ENOMEM;
	lib.ctx_free(ctx);
	return r;
}

int nft_run(const char *ruleset_text, char **err)
{
	return run(ruleset_text, NULL, err);
}

int nft_run_in(int netns_fd, const char *ruleset_text, char **err)
{
	int saved = -1, r;
	if (netns_fd >= 0 && (r = netns_enter(netns_fd, &saved)) < 0)
		return r;
	r = run(ruleset_text, NULL, err);
	if (saved >= 0)
		netns_leave(saved);
	return r;
}

int nft_query(const char *commands, char **out, char **err)
{
	return run(commands, out, err);
}
