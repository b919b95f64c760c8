#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "image/sums.h"
#include "tap.h"

static void check_sha(const char *in, size_t len, const char *want)
{
	struct sha256 s;
	char hex[65];
	sha256_init(&s);
	/* In two pieces, so a block split across updates is hashed too. */
	sha256_update(&s, in, len / 3);
	sha256_update(&s, in + len / 3, len - len / 3);
	sha256_hex(&s, hex);
	CHECK_STREQ(hex, want);
}

static void test_sha256(void)
{
	/* FIPS 180-4's examples, and lengths around the padding boundary (55, 56, 64 bytes). */
	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char a[1000];
	memset(a, 'a', sizeof(a));
	check_sha(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_sha(a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check_sha(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	check_sha(a, 1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void check_name(const char *path, const char *want)
{
	char *n = image_name_from_path(path);
	if (want)
		CHECK_STREQ(n ? n : "(null)", want);
	else
		CHECK(!n);
	free(n);
}

static void test_names(void)
{
	check_name("debian.tar.xz", "debian");
	check_name("/srv/img/fedora-40.tgz", "fedora-40");
	check_name("a.tar", "a");
	check_name("plain", "plain");
	check_name("http://h/x/busybox.tar.zst?x=1#f", "busybox");
	check_name("http://h/x/", "x");
	check_name(".tar", NULL);
	check_name("", NULL);
	char *c = url_last_component("http://127.0.0.1:8000/d/bb.tar.gz?q");
	CHECK_STREQ(c ? c : "(null)", "bb.tar.gz");
	free(c);
	CHECK(!url_last_component("http://127.0.0.1:8000"));
	CHECK(!url_last_component("http://h/dir/"));
	char *s = url_sibling("https://h/d/bb.tar?x", "SHA256SUMS");
	CHECK_STREQ(s ? s : "(null)", "https://h/d/SHA256SUMS");
	free(s);
}

static void test_sums(void)
{
	const char *sums = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  other.tar\n"
			   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA *bb.tar\r\n"
			   "xyz  bad.tar\n";
	char hex[65];
	CHECK(sha256sums_find(sums, "bb.tar", hex) == 0);
	CHECK_STREQ(hex, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	CHECK(sha256sums_find(sums, "other.tar", hex) == 0);
	CHECK(sha256sums_find(sums, "bb", hex) == -ENOENT);
	CHECK(sha256sums_find(sums, "missing.tar", hex) == -ENOENT);
	CHECK(sha256sums_find(sums, "bad.tar", hex) == -EBADMSG);
	CHECK(sha256sums_find("", "x", hex) == -ENOENT);
}

int main(void)
{
	RUN(test_sha256);
	RUN(test_names);
	RUN(test_sums);
	TAP_END();
}
