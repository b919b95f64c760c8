#include "net/vxlan.h"

uint32_t vxlan_vni_of(const char *const *parts, size_t n)
{
	uint32_t h = 2166136261U;
	for (size_t i = 0; i < n; i++)
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619U;
	h = (h >> 24) ^ (h & 0xffffffU); /* xor-folded to 24 bits */
	return h ? h : 1;
}
