/* codec.h — bytes as text and back: base64 (RFC 4648, with padding, no line breaks) and
 * hexadecimal, the two ways records and requests carry binary values. */
#ifndef AZD_CODEC_H
#define AZD_CODEC_H

#include <stddef.h>

/* Room for the base64 of n bytes with its NUL, as a constant expression (array sizes). */
#define B64_LEN(n) (4 * (((n) + 2) / 3) + 1)
/* The length of n bytes in base64, without the NUL. */
size_t b64_len(size_t n);
/* Writes b64_len(n) characters and a NUL to out. */
void b64_encode(const void *in, size_t n, char *out);
/* Decodes len characters of base64 into out (room for len / 4 * 3 bytes): the number of
 * bytes, or -1 when the text is not base64 (a length that is not a multiple of 4 or a
 * character outside the alphabet). */
long b64_decode(const char *in, size_t len, unsigned char *out);

/* A hex digit's value (either case), or -1. */
int hex_val(char c);
/* The same as a table, indexed by the byte as unsigned char: the value + 1, or 0. */
extern const unsigned char hex_digit1[256];
/* 2n lowercase hex digits of in[0..n) and a NUL to out. */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Exactly 2n hex digits (either case) and nothing after them into out[0..n): 0, or -1
 * (out may then be written in part). */
int hex_decode(const char *s, unsigned char *out, size_t n);

#endif
