/* Libraries that only some commands need, dlopen()ed on first use: linking them would cost every
 * exec of hako their relocations (libnftables and libnetfilter_conntrack ~0.5 ms, a third of the
 * container start-up budget; libsystemd on hosts without systemd). */
#pragma once
#include <stddef.h>

/* A function of the library and where its pointer goes in the caller's table. */
struct dl_symbol {
	const char *name;
	size_t offset;
};
// clang-format off
#define DL_SYMBOL(name, table, field) { name, offsetof(__typeof__(table), field) }
// clang-format on

/* Opens soname and stores each symbol's address at its offset in table, then the handle in
 * *ret_handle. -ENOPKG when the library or any symbol is missing (nothing is stored then). */
int dl_load(const char *soname, const struct dl_symbol *symbols, size_t n, void *table, void **ret_handle);
