/* exif.c — the orientation tag of an EXIF block (img_exif_orientation, decode.h): the
 * TIFF header and the first directory, read from the bytes, every offset checked
 * against the length; JPEG's APP1 and PNG's eXIf hand their blocks here. */
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "decode_int.h"

int img_exif_orientation(const unsigned char *t, size_t len)
{
	uint32_t off;
	unsigned n, i, v;
	int be;

	if (t == NULL || len < 8)
		return 1;
	if (t[0] == 'M' && t[1] == 'M')
		be = 1;
	else if (t[0] == 'I' && t[1] == 'I')
		be = 0;
	else
		return 1;
	if (dec_get16(t + 2, be) != 42)
		return 1;
	off = dec_get32(t + 4, be);
	if (off < 8 || off > len - 2)
		return 1;
	n = dec_get16(t + off, be);
	for (i = 0; i < n; i++) {
		size_t e = (size_t)off + 2 + (size_t)i * 12;

		if (e + 12 > len)
			break;
		if (dec_get16(t + e, be) != 0x0112)
			continue;
		/* SHORT, count 1: the value sits in the first two bytes of the value field */
		if (dec_get16(t + e + 2, be) != 3 || dec_get32(t + e + 4, be) < 1)
			return 1;
		v = dec_get16(t + e + 8, be);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}
