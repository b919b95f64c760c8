/* The few DHCPv4 messages (RFC 2131) hako sends for a container of a managed network across
 * hosts, to give its name to the DHCP host's dnsmasq (src/net/peers.h), and the replies it reads.
 * Pure functions on buffers: no sockets, no allocation. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "net/cidr.h"

/* Message types (option 53). */
enum {
	DHCP4_REQUEST = 3,
	DHCP4_ACK = 5,
	DHCP4_NAK = 6,
	DHCP4_RELEASE = 7,
};

/* What a request or a release carries. */
struct dhcp4_client {
	uint32_t xid;
	uint8_t mac[6];         /* chaddr */
	struct in_addr addr;    /* requested (REQUEST, INIT-REBOOT) or given back (RELEASE, ciaddr) */
	struct in_addr server;  /* RELEASE: the server identifier from its ACK */
	const char *hostname;   /* REQUEST: option 12 */
	const char *client_id;  /* option 61 (type 0, then these bytes): who holds the lease */
	const char *user_class; /* REQUEST: option 77 (one RFC 3004 item) */
};

/* A BOOTP message is at least 300 bytes (RFC 1542 2.1); ours fit in 576. */
#define DHCP4_MAX 576

/* The message of type DHCP4_REQUEST or DHCP4_RELEASE in buf; its length, or -EINVAL if a string
 * does not fit in an option (255 bytes). */
int dhcp4_build(uint8_t buf[DHCP4_MAX], int type, const struct dhcp4_client *c);

struct dhcp4_reply {
	int type; /* DHCP4_ACK, DHCP4_NAK, or another option 53 value */
	uint32_t xid;
	uint8_t mac[6];
	struct in_addr yiaddr;
	struct in_addr server; /* option 54, 0 if absent */
	char message[256];     /* option 56 (a NAK's reason), "" if absent */
};

/* A BOOTREPLY of len bytes; -EBADMSG if it is not one (short, no cookie, an option running past
 * the end, no message type). Options in sname/file (overload) are not read: dnsmasq puts a NAK's
 * and an ACK's few options in the options field. */
int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_reply *ret);
