#include "base/dlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

int dl_load(const char *soname, const struct dl_symbol *symbols, size_t n, void *table, void **ret_handle)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOPKG;
	void *addr[n ? n : 1];
	for (size_t i = 0; i < n; i++)
		if (!(addr[i] = dlsym(h, symbols[i].name))) {
			dlclose(h);
			return -ENOPKG;
		}
	for (size_t i = 0; i < n; i++)
		memcpy((char *)table + symbols[i].offset, &addr[i], sizeof(addr[i]));
	*ret_handle = h;
	return 0;
}
