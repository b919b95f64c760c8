#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/wireguard.h"
#include "tap.h"

static void hex(const char *s, uint8_t out[WG_KEY_SIZE])
{
	for (size_t i = 0; i < WG_KEY_SIZE; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* RFC 7748 6.1: Alice's key pair, and base64 as wg(8) prints it. */
static void test_keys(void)
{
	uint8_t priv[WG_KEY_SIZE], pub[WG_KEY_SIZE], want[WG_KEY_SIZE], back[WG_KEY_SIZE];
	char b64[WG_KEY_B64_SIZE];
	hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", priv);
	hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want);
	CHECK(wg_key_public(priv, pub) == 0);
	CHECK(memcmp(pub, want, WG_KEY_SIZE) == 0);
	CHECK(wg_key_format(pub, b64) == 0);
	CHECK_STREQ(b64, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	CHECK(wg_key_parse(b64, back) == 0 && memcmp(back, pub, WG_KEY_SIZE) == 0);
	const char *bad[] = { "",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo==",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm!=",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=x",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Spjqqb Tmo=",
			      "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=",
			      "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(wg_key_parse(bad[i], back) == -EINVAL);
	/* A new key is clamped, and two differ. */
	uint8_t k1[WG_KEY_SIZE], k2[WG_KEY_SIZE];
	CHECK(wg_key_generate(k1) == 0 && wg_key_generate(k2) == 0);
	CHECK((k1[0] & 7) == 0 && (k1[31] & 0xc0) == 0x40 && memcmp(k1, k2, WG_KEY_SIZE) != 0);
}

int main(void)
{
	RUN(test_keys);
	TAP_END();
}
