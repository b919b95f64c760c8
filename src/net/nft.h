/* nftables through libnftables, dlopen()ed on first use (linking it costs every exec of hako
 * ~0.5 ms; see meson.build). A ruleset text is applied as one atomic transaction: all of it or
 * nothing. */
#pragma once

/* Applies ruleset_text in the current network namespace. On failure returns a negative errno
 * (-ENOPKG if libnftables cannot be loaded) and, if err is non-NULL, sets *err to libnftables'
 * message on one line (malloc'd; the caller logs it). */
int nft_run(const char *ruleset_text, char **err);
/* The same in netns_fd's namespace (-1: the current one). */
int nft_run_in(int netns_fd, const char *ruleset_text, char **err);
/* Runs commands that print ("list table inet hako") and returns their output in *out. */
int nft_query(const char *commands, char **out, char **err);
/* Until nft_release(), the calls above keep their contexts (and netlink sockets) open. Closing
 * a libnftables socket right after a transaction waits until the kernel has destroyed the
 * transaction (nf_tables flushes its destroy work, an RCU grace period: 10-20 ms here); closed
 * together at the end, only the first close waits, not one per call (issue 21). */
void nft_hold(void);
void nft_release(void);
