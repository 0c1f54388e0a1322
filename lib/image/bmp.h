/* bmp.h — the BMP decoder behind img_decode's IMG_BMP case; internal to lib/, callers
 * use img_decode (decode.h).
 *
 * Written here because no Debian library decodes BMP on its own.  Read: the Windows
 * headers of 12 (OS/2 1.x BITMAPCOREHEADER), 40 (BITMAPINFOHEADER), 52 and 56 (V2, V3),
 * 108 (V4) and 124 (V5) bytes; bottom-up rows and top-down ones (negative height);
 * 1, 4 and 8 bits through a palette (a palette shorter than 2^bpp is allowed: an index
 * past its end is black); 16 bits (5-5-5 by default, any contiguous masks with
 * BI_BITFIELDS), 24 bits, 32 bits (BI_RGB: the fourth byte is not alpha; BI_BITFIELDS
 * masks); RLE8 and RLE4 (runs, literal runs, delta, end of line, end of bitmap: pixels
 * never written are background, white).  Alpha is taken from the alpha mask of a V3 or
 * later header, or of BI_ALPHABITFIELDS, unless every pixel's alpha is 0 (writers that
 * leave it unset): then the picture is opaque.  Alpha is composited on white, as the
 * other decoders do.
 *
 * Refused as AD_EUNSUP: embedded JPEG or PNG (BI_JPEG, BI_PNG), CMYK, other
 * compressions, 2 and 64 bits per pixel, OS/2 2.x headers (16 and 64 bytes).  Header
 * sizes, bit depths and masks that make no sense are AD_EFORMAT; data that ends early
 * (including RLE data without its end-of-bitmap escape) is AD_ETRUNC; more than
 * o->max_pixels pixels is AD_ETOOBIG, found from the header before any allocation, and
 * uncompressed pixel data shorter than the header says is AD_ETRUNC, also before.
 *
 * Ownership: on success *out is a new image with 1 channel (gray) or 3 (RGB) as
 * o->color asks: already at the working size (img_working_size) for an uncompressed
 * BMP that img_decode would shrink, else full size; info->width and info->height are
 * the full size either way. */
#ifndef AZD_BMP_H
#define AZD_BMP_H

#include <stddef.h>

#include "decode.h"

int bmp_decode(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err);

#endif
