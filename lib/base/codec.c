/* codec.c — base64 through OpenSSL's block coder, hex by hand. */
#include "codec.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

size_t b64_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

void b64_encode(const void *in, size_t n, char *out)
{
	/* EVP_EncodeBlock takes an int: go in whole blocks of 3 so the pieces join */
	const unsigned char *p = in;
	const size_t step = (size_t)INT_MAX / 4 * 3;

	while (n > step) {
		EVP_EncodeBlock((unsigned char *)out, p, (int)step);
		out += b64_len(step);
		p += step;
		n -= step;
	}
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

long b64_decode(const char *in, size_t len, unsigned char *out)
{
	int n;

	if (len % 4 != 0 || len > (size_t)INT_MAX / 2)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	if (len >= 1 && in[len - 1] == '=')
		n -= 1 + (len >= 2 && in[len - 2] == '=');
	return n;
}

const unsigned char hex_digit1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

int hex_val(char c)
{
	return hex_digit1[(unsigned char)c] - 1;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_decode(const char *s, unsigned char *out, size_t n)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit1[(unsigned char)s[2 * i]], lo;

		/* not past a NUL: s may be shorter than 2n */
		if (hi == 0 || (lo = hex_digit1[(unsigned char)s[2 * i + 1]]) == 0)
			return -1;
		out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	return s[2 * n] == '\0' ? 0 : -1;
}
