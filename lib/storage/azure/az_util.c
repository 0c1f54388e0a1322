/* az_util.c — the small helpers the Azure modules share: ETags without their quotes,
 * %-decoding, the RFC 3339 times of the "mtime" metadata, and MD5s of file ranges. */
#include "az_int.h"
#include "azure.h"
#include "codec.h"
#include "timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int az_md5_range(int fd, off_t off, off_t end, char out[32], aderr *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_md5(), NULL)) {
		EVP_MD_CTX_free(c);
		return aderr_set(err, AD_EINTERNAL, "MD5 is not available");
	}
	while (off < end) {
		ssize_t got = pread(fd, buf, (size_t)(end - off < (off_t)sizeof buf ? end - off :
		    (off_t)sizeof buf), off);

		if (got <= 0) {
			int e = got < 0 ? errno : EIO;

			EVP_MD_CTX_free(c);
			return aderr_errno(err, AD_EIO, e, "reading for the checksum");
		}
		EVP_DigestUpdate(c, buf, (size_t)got);
		off += got;
	}
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	b64_encode(md, mdlen, out);
	return 0;
}

int az_md5_file(int fd, off_t size, char out[32], aderr *err)
{
	return az_md5_range(fd, 0, size, out, err);
}

void az_set_etag(char *dst, size_t n, const char *v)
{
	size_t len;

	if (v == NULL) {
		dst[0] = '\0';
		return;
	}
	if (*v == '"')
		v++;
	len = strlen(v);
	if (len > 0 && v[len - 1] == '"')
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

long long az_parse_rfc3339(const char *s, long *nsec)
{
	const char *p;
	long ns = 0, scale = 100000000;
	long long t;

	if (time_parse_iso(s, &t, &p) < 0)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			ns += (*p - '0') * scale;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	if (nsec != NULL)
		*nsec = ns;
	return t;
}

int az_pct_decode(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi, lo;

			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return -1;
			hi = isdigit((unsigned char)p[1]) ? p[1] - '0' : (tolower((unsigned char)p[1]) - 'a' + 10);
			lo = isdigit((unsigned char)p[2]) ? p[2] - '0' : (tolower((unsigned char)p[2]) - 'a' + 10);
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return 0;
}

