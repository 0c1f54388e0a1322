/* b64.c — base64 of bytes, through OpenSSL's encoder. */
#include "b64.h"

#include <openssl/evp.h>

void b64_encode(const void *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}
