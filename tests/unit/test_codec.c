/* test_codec.c — lib/base's shared helpers: base64 and hex (codec), UTC times (timefmt),
 * FNV-1a (fnv.h). */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fnv.h"
#include "timefmt.h"
#include "unit.h"

static void test_base64(void)
{
	/* RFC 4648's vectors */
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char raw[16], all[256];
	char text[400];

	for (int i = 0; i < 7; i++) {
		size_t n = strlen(plain[i]);

		CHECK_EQ_INT(b64_len(n), strlen(coded[i]));
		b64_encode(plain[i], n, text);
		CHECK_STR(text, coded[i]);
		CHECK_EQ_INT(b64_decode(coded[i], strlen(coded[i]), raw), n);
		CHECK(memcmp(raw, plain[i], n) == 0);
	}
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	b64_encode(all, sizeof all, text);
	{
		unsigned char back[256];

		CHECK_EQ_INT(b64_decode(text, strlen(text), back), 256);
		CHECK(memcmp(back, all, sizeof all) == 0);
	}
	/* not base64: a length that is not a multiple of 4, a stranger in the alphabet */
	CHECK_EQ_INT(b64_decode("abc", 3, raw), -1);
	CHECK_EQ_INT(b64_decode("ab!d", 4, raw), -1);
	CHECK_EQ_INT(b64_decode("Zm9v\n", 5, raw), -1);
}

static void test_hex(void)
{
	unsigned char in[4] = { 0x00, 0x9f, 0xa0, 0xff }, out[4];
	char text[9];

	hex_encode(in, 4, text);
	CHECK_STR(text, "009fa0ff");
	CHECK_EQ_INT(hex_decode("009FA0ff", out, 4), 0);
	CHECK(memcmp(in, out, 4) == 0);
	CHECK_EQ_INT(hex_decode("009fa0f", out, 4), -1);      /* short */
	CHECK_EQ_INT(hex_decode("009fa0ff0", out, 4), -1);    /* long */
	CHECK_EQ_INT(hex_decode("009fa0fg", out, 4), -1);     /* not hex */
	CHECK_EQ_INT(hex_decode(NULL, out, 4), -1);
	CHECK_EQ_INT(hex_val('7'), 7);
	CHECK_EQ_INT(hex_val('B'), 11);
	CHECK_EQ_INT(hex_val('x'), -1);
}

static void test_times(void)
{
	long long t = 0;
	const char *end = NULL;
	char buf[40];

	CHECK_EQ_INT(time_parse_iso("2024-05-01T12:00:00Z", &t, &end), 0);
	CHECK_EQ_INT(t, 1714564800);
	CHECK_STR(end, "Z");
	CHECK_EQ_INT(time_parse_iso("1970-01-01T00:00:00.5+00:00", &t, &end), 0);
	CHECK_EQ_INT(t, 0);
	CHECK_STR(end, ".5+00:00");
	CHECK_EQ_INT(time_parse_iso("2024-05-01", &t, NULL), -1);
	CHECK_EQ_INT(time_parse_iso("garbage", &t, NULL), -1);
	CHECK_EQ_INT(time_parse_iso(NULL, &t, NULL), -1);
	CHECK_EQ_INT(time_parse_http("Wed, 01 May 2024 12:00:00 GMT", &t), 0);
	CHECK_EQ_INT(t, 1714564800);
	CHECK_EQ_INT(time_parse_http("Wed, 01 May 2024 12:00:00 GMT ", &t), -1);
	CHECK_EQ_INT(time_parse_http("2024-05-01T12:00:00Z", &t), -1);
	time_format_iso(1714564800, -1, buf, sizeof buf);
	CHECK_STR(buf, "2024-05-01T12:00:00Z");
	time_format_iso(1714564800, 5, buf, sizeof buf);
	CHECK_STR(buf, "2024-05-01T12:00:00.000000005Z");
	time_format_http(1714564800, buf, sizeof buf);
	CHECK_STR(buf, "Wed, 01 May 2024 12:00:00 GMT");
	/* what one writes the other reads */
	time_format_iso(951782400, -1, buf, sizeof buf);    /* 29 February 2000 */
	CHECK_EQ_INT(time_parse_iso(buf, &t, NULL), 0);
	CHECK_EQ_INT(t, 951782400);
}

static void test_fnv(void)
{
	/* the published FNV-1a 64 vector */
	CHECK(fnv1a(FNV1A_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull);
	/* the values azls's shards and the feature store's index have always had: a change
	 * here moves names to other shards and loses stored ones */
	CHECK(fnv1a(FNV1A_BASIS_AZD, "", 0) == 0x14650fb0739d0383ull);
	CHECK(fnv1a(FNV1A_BASIS_AZD, "photos/a.jpg", 12) == 0xd8f769ccf2678ce3ull);
	/* continued over pieces, as over the whole */
	CHECK(fnv1a(fnv1a(FNV1A_BASIS_AZD, "photos/", 7), "a.jpg", 5) ==
	    fnv1a(FNV1A_BASIS_AZD, "photos/a.jpg", 12));
}

int main(void)
{
	test_base64();
	test_hex();
	test_times();
	test_fnv();
	return unit_done();
}
