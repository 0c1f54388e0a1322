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
 * 2 * min_side is box-filtered down to min_side.  PNG (not interlaced), BMP (not
 * run-length coded), GIF's logical screen, an animated WebP's canvas and TIFF (a strip
 * or a row of tiles at a time) are filtered row by row as they come (img_resizer), so
 * their full-size image never exists; interlaced PNG, RLE BMP and HEIF decode at full
 * size first.  EXIF orientation (JPEG APP1, PNG eXIf) is applied.  Alpha is composited
 * on white.
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
#include "membudget.h"

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

/* img_decode within a memory budget: hold is the caller's part of it (membudget.h), or
 * NULL for none (img_decode itself).  Each decoder estimates from the headers what it will hold at
 * its peak (its library's buffers, the pixels it keeps, the result and the copies the
 * common tail makes) and raises the hold by that much before allocating any of it: it
 * may wait there while other threads hold the budget, and an estimate over the whole
 * budget (less what the hold had when the call began, hold->base: the caller's file
 * bytes) is AD_ETOOBIG.  Where a format can be decoded with less, a decode that
 * would not fit takes the smaller way: an interlaced PNG is read from its first Adam7
 * passes only (every second, fourth or eighth pixel: the finest grid that fits and
 * still has min_side pixels on its short side), and an animated WebP's first frame is
 * scaled while it decodes, as a still one is: both change the features a little;
 * every other way of saving memory gives the same pixels as the full decode (animated
 * WebP and GIF compose the first frame's screen a row at a time, TIFF is read a strip,
 * a row of tiles or, stored as one big strip, a scanline at a time).  When the call returns, the hold is back where it was.
 * For the decoders in lib/, on the thread of the call: img_decode_reserve raises the
 * hold to base + n bytes (0 or AD_ETOOBIG), img_decode_room is the most one decode may
 * take (total - base, or a huge number without a budget). */
int img_decode_held(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct mb_hold *hold, struct img **out, struct img_info *info, aderr *err);
int img_decode_reserve(const struct img_decode_opts *o, double n, aderr *err);
double img_decode_room(const struct img_decode_opts *o);
/* What the common tail of img_decode holds at most after a decoder returns a w x h
 * image of ch channels: the o->color copy, the working-size copy, a turned copy. */
double img_decode_tail(const struct img_decode_opts *o, int w, int h, int ch);

/* The orientation (1..8) in an EXIF block starting with the TIFF header ("II" or
 * "MM"); 1 when absent or malformed.  Exposed for tests. */
int img_exif_orientation(const unsigned char *tiff, size_t len);

#endif
