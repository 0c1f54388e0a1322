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

int hex_val(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
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
		int hi = hex_val(s[2 * i]), lo = hi < 0 ? -1 : hex_val(s[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return s[2 * n] == '\0' ? 0 : -1;
}
