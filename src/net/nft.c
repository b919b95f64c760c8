#include "net/nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/dlib.h"
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

static const struct dl_symbol symbols[] = {
	DL_SYMBOL("nft_ctx_new", lib, ctx_new),
	DL_SYMBOL("nft_ctx_free", lib, ctx_free),
	DL_SYMBOL("nft_ctx_buffer_output", lib, buffer_output),
	DL_SYMBOL("nft_ctx_buffer_error", lib, buffer_error),
	DL_SYMBOL("nft_ctx_get_output_buffer", lib, get_output),
	DL_SYMBOL("nft_ctx_get_error_buffer", lib, get_error),
	DL_SYMBOL("nft_run_cmd_from_buffer", lib, run),
};

static int load(void)
{
	return lib.handle ? 0 : dl_load("libnftables.so.1", symbols, ELEMENTSOF(symbols), &lib, &lib.handle);
}

/* "Error: Could not process rule: ...": the first non-empty line of libnftables' report. */
static char *first_line(const char *s)
{
	if (!s)
		return strdup("unknown nftables error");
	s += strspn(s, "\n");
	return strndup(s, strcspn(s, "\n"));
}

/* Contexts kept by nft_hold(), freed by nft_release(). */
static struct {
	bool on;
	struct nft_ctx **ctx;
	size_t n;
} held;

/* At most this many held, then the held ones are released (one grace period per HOLD_MAX): a
 * context keeps its cache, about 0.7 MiB (all 500 of a 1000-node lab held 170 MiB), and each
 * is a socket, where libnftables' select() takes no fd past FD_SETSIZE. */
#define HOLD_MAX 32

static void release_held(void)
{
	for (size_t i = 0; i < held.n; i++)
		lib.ctx_free(held.ctx[i]);
	held.n = 0;
}

/* Frees ctx, or keeps it for nft_release() while held (freed at once if it cannot be kept). */
static void ctx_done(struct nft_ctx *ctx)
{
	if (held.n >= HOLD_MAX)
		release_held();
	struct nft_ctx **a = held.on ? realloc(held.ctx, (held.n + 1) * sizeof(*a)) : NULL;
	if (!a) {
		lib.ctx_free(ctx);
		return;
	}
	held.ctx = a;
	held.ctx[held.n++] = ctx;
}

void nft_hold(void)
{
	held.on = true;
}

void nft_release(void)
{
	release_held();
	free(held.ctx);
	held.ctx = NULL;
	held.on = false;
}

/* The cleanup of run()'s context: freed, or held (ctx_done). */
static void ctx_donep(struct nft_ctx **ctx)
{
	if (*ctx)
		ctx_done(*ctx);
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
	_cleanup_(ctx_donep) struct nft_ctx *ctx = lib.ctx_new(0);
	if (!ctx)
		return -ENOMEM;
	lib.buffer_output(ctx);
	lib.buffer_error(ctx);
	if (lib.run(ctx, text) != 0) {
		if (err)
			*err = first_line(lib.get_error(ctx));
		return -EINVAL;
	}
	if (!out)
		return 0;
	*out = strdup(lib.get_output(ctx) ?: "");
	return *out ? 0 : -ENOMEM;
}

int nft_run(const char *ruleset_text, char **err)
{
	return run(ruleset_text, NULL, err);
}

int nft_run_in(int netns_fd, const char *ruleset_text, char **err)
{
	int saved = -1;
	if (netns_fd >= 0) {
		int r = netns_enter(netns_fd, &saved);
		if (r < 0)
			return r;
	}
	int r = run(ruleset_text, NULL, err);
	if (saved >= 0)
		netns_leave(saved);
	return r;
}

int nft_query(const char *commands, char **out, char **err)
{
	return run(commands, out, err);
}
