#include "net/dhcp4.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

/* RFC 2131 figure 1: the fixed part, then the magic cookie and the options. */
enum {
	OFF_OP = 0,
	OFF_HTYPE = 1,
	OFF_HLEN = 2,
	OFF_XID = 4,
	OFF_CIADDR = 12,
	OFF_YIADDR = 16,
	OFF_CHADDR = 28,
	OFF_COOKIE = 236,
	OFF_OPTIONS = 240,
	MIN_MESSAGE = 300, /* RFC 1542 2.1 */
};

enum {
	BOOTREQUEST = 1,
	BOOTREPLY = 2,
	HTYPE_ETHER = 1,
};

enum {
	OPT_PAD = 0,
	OPT_HOSTNAME = 12,
	OPT_REQUESTED_IP = 50,
	OPT_MESSAGE_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_MESSAGE = 56,
	OPT_CLIENT_ID = 61,
	OPT_USER_CLASS = 77,
	OPT_END = 255,
};

static const uint8_t cookie[4] = { 99, 130, 83, 99 };

struct writer {
	uint8_t *buf;
	size_t at;
	int err;
};

/* One option; head (prefix bytes, such as a client id's type) then body. The room for the end
 * option is kept. */
static void put(struct writer *w, uint8_t code, const void *head, size_t head_len, const void *body,
		size_t body_len)
{
	size_t len = head_len + body_len;
	if (len > 255 || w->at + 2 + len + 1 > DHCP4_MAX) {
		w->err = -EINVAL;
		return;
	}
	w->buf[w->at++] = code;
	w->buf[w->at++] = (uint8_t)len;
	if (head_len) /* memcpy's source may not be NULL, even for 0 bytes */
		memcpy(w->buf + w->at, head, head_len);
	memcpy(w->buf + w->at + head_len, body, body_len);
	w->at += len;
}

static void put_string(struct writer *w, uint8_t code, const void *head, size_t head_len, const char *s)
{
	if (s)
		put(w, code, head, head_len, s, strlen(s));
}

int dhcp4_build(uint8_t buf[DHCP4_MAX], int type, const struct dhcp4_client *c)
{
	memset(buf, 0, DHCP4_MAX);
	buf[OFF_OP] = BOOTREQUEST;
	buf[OFF_HTYPE] = HTYPE_ETHER;
	buf[OFF_HLEN] = sizeof(c->mac);
	uint32_t xid = htonl(c->xid);
	memcpy(buf + OFF_XID, &xid, 4);
	memcpy(buf + OFF_CHADDR, c->mac, sizeof(c->mac));
	memcpy(buf + OFF_COOKIE, cookie, sizeof(cookie));
	struct writer w = { .buf = buf, .at = OFF_OPTIONS };
	const uint8_t message_type = (uint8_t)type, client_id_type = 0;
	put(&w, OPT_MESSAGE_TYPE, NULL, 0, &message_type, 1);
	put_string(&w, OPT_CLIENT_ID, &client_id_type, 1, c->client_id);
	if (type == DHCP4_RELEASE) {
		/* RFC 2131 4.4.6: the address given back in ciaddr, to the server that gave it. */
		memcpy(buf + OFF_CIADDR, &c->addr, 4);
		put(&w, OPT_SERVER_ID, NULL, 0, &c->server, 4);
	} else {
		/* INIT-REBOOT (RFC 2131 4.3.2): ciaddr 0, the address in option 50, no server id. */
		put(&w, OPT_REQUESTED_IP, NULL, 0, &c->addr, 4);
		put_string(&w, OPT_HOSTNAME, NULL, 0, c->hostname);
		if (c->user_class) {
			const uint8_t item_len = (uint8_t)strlen(c->user_class);
			put_string(&w, OPT_USER_CLASS, &item_len, 1, c->user_class);
		}
	}
	if (w.err < 0)
		return w.err;
	buf[w.at++] = OPT_END;
	return (int)(w.at < MIN_MESSAGE ? MIN_MESSAGE : w.at);
}

/* Printable, for a one-line message: a server's text is not trusted to be. */
static void copy_message(char dst[256], const uint8_t *v, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		dst[i] = isprint(v[i]) ? (char)v[i] : '?';
	dst[len] = 0;
}

/* The options of [p, end) into ret; -EBADMSG where one runs past the end. */
static int read_options(const uint8_t *p, const uint8_t *end, struct dhcp4_reply *ret)
{
	while (p < end && *p != OPT_END) {
		if (*p == OPT_PAD) {
			p++;
			continue;
		}
		if (end - p < 2 || end - p - 2 < p[1])
			return -EBADMSG;
		const uint8_t code = p[0], len = p[1], *v = p + 2;
		if (code == OPT_MESSAGE_TYPE && len == 1)
			ret->type = v[0];
		else if (code == OPT_SERVER_ID && len == 4)
			memcpy(&ret->server, v, 4);
		else if (code == OPT_MESSAGE)
			copy_message(ret->message, v, len);
		p += 2 + len;
	}
	return 0;
}

int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_reply *ret)
{
	*ret = (struct dhcp4_reply){ 0 };
	if (len < OFF_OPTIONS || buf[OFF_OP] != BOOTREPLY || memcmp(buf + OFF_COOKIE, cookie, 4) != 0)
		return -EBADMSG;
	uint32_t xid;
	memcpy(&xid, buf + OFF_XID, 4);
	ret->xid = ntohl(xid);
	memcpy(ret->mac, buf + OFF_CHADDR, sizeof(ret->mac));
	memcpy(&ret->yiaddr, buf + OFF_YIADDR, 4);
	int r = read_options(buf + OFF_OPTIONS, buf + len, ret);
	if (r < 0)
		return r;
	return ret->type ? 0 : -EBADMSG;
}
