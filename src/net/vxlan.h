/* What managed networks (src/net/peers.c) and labs (src/lab/vxlan.c) share about VXLAN: the
 * encapsulation's cost and the VNI a name derives. Links and FDB entries: src/net/rtnl.h. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Outer Ethernet + IP + UDP + VXLAN headers: what the MTU inside the segment loses. */
#define VXLAN_OVERHEAD_IPV4 50
#define VXLAN_OVERHEAD_IPV6 70
#define VXLAN_PORT_DEFAULT 4789 /* IANA's */
#define VXLAN_VNI_MAX 0xffffffU
/* The MTU a segment's ends assume of their underlay unless told: Ethernet's. */
#define VXLAN_UNDERLAY_MTU 1500

/* 24 bits of an FNV-1a hash of the parts' concatenation, never 0: every host that reads the same
 * names derives the same VNI, with nothing negotiated. */
uint32_t vxlan_vni_of(const char *const *parts, size_t n);
