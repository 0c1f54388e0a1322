/* b64.h — base64 (RFC 4648, with padding) of bytes: the form of Content-MD5, block ids
 * and SharedKey signatures. */
#ifndef AZD_B64_H
#define AZD_B64_H

#include <stddef.h>

/* Room for the encoding of n bytes, with its terminating NUL. */
#define B64_LEN(n) (4 * (((n) + 2) / 3) + 1)

/* Encodes in[n] into out, which holds B64_LEN(n) bytes; NUL-terminated. */
void b64_encode(const void *in, size_t n, char *out);

#endif
