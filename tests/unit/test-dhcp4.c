/* The DHCPv4 messages hako sends to give a container's name to the DHCP host's dnsmasq, and the
 * replies it reads (src/net/dhcp4.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net/dhcp4.h"
#include "tap.h"

static const uint8_t mac[6] = { 0x02, 0x68, 0x61, 0x6b, 0x6f, 0x01 };

static struct dhcp4_client client(void)
{
	struct dhcp4_client c = { .xid = 0x01020304,
				  .hostname = "web-1",
				  .client_id = "hako:10.70.0.44",
				  .user_class = "hako-peer" };
	memcpy(c.mac, mac, sizeof(mac));
	inet_pton(AF_INET, "10.70.0.44", &c.addr);
	inet_pton(AF_INET, "10.70.0.1", &c.server);
	return c;
}

/* The option code's body in msg's options, or NULL; *len its length. */
static const uint8_t *option(const uint8_t *msg, int size, uint8_t code, int *len)
{
	for (int i = 240; i + 1 < size && msg[i] != 255; i += 2 + msg[i + 1])
		if (msg[i] == code) {
			*len = msg[i + 1];
			return msg + i + 2;
		}
	return NULL;
}

static bool has_option(const uint8_t *msg, int size, uint8_t code, const void *body, int body_len)
{
	int len;
	const uint8_t *v = option(msg, size, code, &len);
	return v && len == body_len && memcmp(v, body, (size_t)len) == 0;
}

static void test_request(void)
{
	struct dhcp4_client c = client();
	uint8_t msg[DHCP4_MAX];
	int n = dhcp4_build(msg, DHCP4_REQUEST, &c);
	CHECK(n == 300);
	CHECK(msg[0] == 1 && msg[1] == 1 && msg[2] == 6);
	CHECK(memcmp(msg + 4, "\x01\x02\x03\x04", 4) == 0);
	CHECK(memcmp(msg + 12, "\0\0\0\0", 4) == 0); /* INIT-REBOOT: ciaddr 0 */
	CHECK(memcmp(msg + 28, mac, 6) == 0);
	CHECK(memcmp(msg + 236, "\x63\x82\x53\x63", 4) == 0);
	CHECK(has_option(msg, n, 53, "\x03", 1));
	CHECK(has_option(msg, n, 50, "\x0a\x46\x00\x2c", 4));
	CHECK(has_option(msg, n, 12, "web-1", 5));
	CHECK(has_option(msg, n, 61, "\0hako:10.70.0.44", 16));
	CHECK(has_option(msg, n, 77, "\x09hako-peer", 10));
	int len;
	CHECK(option(msg, n, 54, &len) == NULL); /* no server id: not SELECTING */
}

static void test_release(void)
{
	struct dhcp4_client c = client();
	uint8_t msg[DHCP4_MAX];
	int n = dhcp4_build(msg, DHCP4_RELEASE, &c);
	CHECK(n == 300);
	CHECK(memcmp(msg + 12, "\x0a\x46\x00\x2c", 4) == 0);
	CHECK(has_option(msg, n, 53, "\x07", 1));
	CHECK(has_option(msg, n, 54, "\x0a\x46\x00\x01", 4));
	CHECK(has_option(msg, n, 61, "\0hako:10.70.0.44", 16));
	int len;
	CHECK(option(msg, n, 50, &len) == NULL && option(msg, n, 12, &len) == NULL);
}

static void test_too_long(void)
{
	struct dhcp4_client c = client();
	char name[300];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	c.hostname = name;
	uint8_t msg[DHCP4_MAX];
	CHECK(dhcp4_build(msg, DHCP4_REQUEST, &c) == -EINVAL);
}

/* A reply as dnsmasq sends one: the request's fixed part, op 2, then opts. */
static size_t reply(uint8_t *buf, const uint8_t *opts, size_t opts_len)
{
	struct dhcp4_client c = client();
	dhcp4_build(buf, DHCP4_REQUEST, &c);
	buf[0] = 2;
	memcpy(buf + 16, "\x0a\x46\x00\x2c", 4);
	memcpy(buf + 240, opts, opts_len);
	return 240 + opts_len;
}

static void test_parse(void)
{
	uint8_t buf[DHCP4_MAX];
	struct dhcp4_reply r;
	static const uint8_t ack[] = { 53, 1, 5, 0, 54, 4, 10, 70, 0, 1, 51, 4, 255, 255, 255, 255, 255 };
	CHECK(dhcp4_parse(buf, reply(buf, ack, sizeof(ack)), &r) == 0);
	CHECK(r.type == DHCP4_ACK && r.xid == 0x01020304 && memcmp(r.mac, mac, 6) == 0);
	CHECK(r.server.s_addr == htonl(0x0a460001) && r.yiaddr.s_addr == htonl(0x0a46002c));
	CHECK_STREQ(r.message, "");
	static const uint8_t nak[] = { 53,  1,   6,   56,  15,  'a', 'd', 'd', 'r',  'e', 's',
				       's', ' ', 'i', 'n', ' ', 'u', 's', 'e', '\n', 255 };
	CHECK(dhcp4_parse(buf, reply(buf, nak, sizeof(nak)), &r) == 0);
	CHECK(r.type == DHCP4_NAK && r.server.s_addr == 0);
	CHECK_STREQ(r.message, "address in use?");
}

static void test_malformed(void)
{
	uint8_t buf[DHCP4_MAX];
	struct dhcp4_reply r;
	static const uint8_t ack[] = { 53, 1, 5, 255 };
	size_t n = reply(buf, ack, sizeof(ack));
	CHECK(dhcp4_parse(buf, 239, &r) == -EBADMSG); /* short of the options */
	static const uint8_t past[] = { 53, 1, 5, 12, 9, 'x' };
	CHECK(dhcp4_parse(buf, reply(buf, past, sizeof(past)), &r) == -EBADMSG);
	static const uint8_t untyped[] = { 54, 4, 10, 70, 0, 1, 255 };
	CHECK(dhcp4_parse(buf, reply(buf, untyped, sizeof(untyped)), &r) == -EBADMSG);
	n = reply(buf, ack, sizeof(ack));
	buf[236] = 0; /* no cookie */
	CHECK(dhcp4_parse(buf, n, &r) == -EBADMSG);
	n = reply(buf, ack, sizeof(ack));
	buf[0] = 1; /* a request, not a reply */
	CHECK(dhcp4_parse(buf, n, &r) == -EBADMSG);
}

int main(void)
{
	RUN(test_request);
	RUN(test_release);
	RUN(test_too_long);
	RUN(test_parse);
	RUN(test_malformed);
	TAP_END();
}
