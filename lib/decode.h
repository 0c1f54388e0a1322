/* decode.h — JPEG, PNG, WebP, GIF, TIFF, HEIF and AVIF bytes to a reduced-scale, upright
 * 8-bit image.
 *
 * The format is told from the bytes, never from a name: JPEG starts FF D8 FF, PNG with
 * its 8-byte signature, WebP with "RIFF" <size> "WEBP", GIF with "GIF87a"/"GIF89a" (giflib;
 * the first frame, on the logical screen, transparency on white), TIFF with "II*\0" or
 * "MM\0*" (libtiff's RGBA reader: every photometric and compression it knows, the
 * first directory, its orientation tag applied), HEIF and AVIF with an ISO-BMFF "ftyp"
 * box at offset 4 whose major or compatible brands name heic/heix/hevc/hevx/heim/heis/
 * mif1/msf1 ("heif") or avif/avis ("avif"; libheif: HEVC through libde265, AV1 through
 * libaom's decoder where there is one, as dav1d prints; the primary image with its
 * irot/imir/clap applied by libheif, so width and height are the upright size; item
 * references that loop, which libheif 1.15 follows until the stack overflows, are
 * refused first).  BMP through our own reader (bmp.h: no Debian library decodes it on
 * its own).  Decoding works at the scale features need, not at full size:
 * libjpeg-turbo's DCT scaling picks the smallest n/8 whose short side is still >=
 * min_side, libwebp scales while decoding, and any result whose short side is over
 * 2 * min_side is box-filtered down to min_side.  PNG (not interlaced) and BMP (not
 * run-length coded) are filtered row by row as they decode (img_resizer), so their
 * full-size image never exists; interlaced PNG, RLE BMP, GIF, TIFF and HEIF decode at
 * full size first.  EXIF orientation (JPEG
 * APP1, PNG eXIf) is applied.  Alpha is composited on white.
 *
 * Limits are checked from the headers before any pixel memory is allocated: more than
 * max_pixels pixels is AD_ETOOBIG (for HEIF the handle's size and the coded ispe size,
 * and libheif's own per-side limit lowered to max_pixels when that is smaller).  Errors:
 * AD_EEMPTY (no bytes), AD_ENOTIMG (not a format we know), AD_ETRUNC (data ends early,
 * including "Premature end of JPEG file" and HEIF boxes that run past the end),
 * AD_EFORMAT (corrupt data: CRC, zlib, Huffman errors, a codec refusing its stream),
 * AD_EUNSUP (12-bit or lossless JPEG, a HEIF codec libheif lacks, ...), AD_ETOOBIG,
 * AD_ENOMEM; err->msg is a one-line reason such as "truncated: JPEG data ends early".
 * libjpeg, libpng and libheif never print or exit here.
 *
 * Ownership: on success *out is a new image the caller frees with img_free. */
#ifndef AZD_DECODE_H
#define AZD_DECODE_H

#include <stddef.h>

#include "err.h"
#include "image.h"

enum img_format {
	IMG_UNKNOWN = 0, IMG_JPEG, IMG_PNG, IMG_WEBP, IMG_GIF, IMG_TIFF, IMG_BMP, IMG_HEIF, IMG_AVIF
};

struct img_decode_opts {
	int min_side;                   /* wanted short side; 0 decodes at full size */
	unsigned long long max_pixels;  /* 0: no limit */
	int color;                      /* 0: gray output (ch 1); 1: RGB (ch 3), alpha
	                                 * composited on white; 2: RGBA (ch 4) when the
	                                 * decoder gives alpha (PNG, WebP and others that
	                                 * keep it), else RGB */
};

struct img_info {
	enum img_format format;
	int width, height;      /* the full-size image, after orientation */
	int orientation;        /* EXIF orientation found, 1..8 (1 when none) */
	int animated;           /* an animated WebP or GIF: the first frame was decoded */
};

enum img_format img_sniff(const unsigned char *buf, size_t len);
/* "jpeg", "png", "webp", "gif", "tiff", "bmp", "heif", "avif" or "unknown". */
const char *img_format_name(enum img_format f);

int img_decode(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err);

/* The orientation (1..8) in an EXIF block starting with the TIFF header ("II" or
 * "MM"); 1 when absent or malformed.  Exposed for tests. */
int img_exif_orientation(const unsigned char *tiff, size_t len);

#endif
