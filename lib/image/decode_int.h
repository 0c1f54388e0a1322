/* decode_int.h — what the format decoders of img_decode share; internal to lib/image
 * (callers use decode.h).
 *
 * decode.c owns all of it: the format sniffing and dispatch, the pixel limit and its
 * message, the tidying of a library's message, reading from bytes in memory, the
 * conversion of a row to the output's channels and the row sink that shrinks an image
 * as its rows come.  Each format has its file (jpeg.c, png.c, webp.c, gif.c, tiff.c,
 * heif.c, bmp.c), entered through the dec_FORMAT function below; the ISO-BMFF boxes
 * HEIF and AVIF are read from before libheif sees them are bmff.c's (bmff.h), the EXIF
 * orientation exif.c's (img_exif_orientation, decode.h). */
#ifndef AZD_DECODE_INT_H
#define AZD_DECODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* Unsigned 16- and 32-bit fields, big-endian when be, else little-endian. */
static inline unsigned dec_get16(const unsigned char *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static inline uint32_t dec_get32(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Whether w x h pixels are over max (0: no limit). */
static inline int dec_over_limit(unsigned long long w, unsigned long long h,
    unsigned long long max)
{
	return max != 0 && w * h > max;
}

/* AD_ETOOBIG: "too large: WxH pixels is over the MAX limit (--max-pixels)". */
int dec_too_big(aderr *err, unsigned long long w, unsigned long long h,
    unsigned long long max);

/* Lower-cases the first letter of a library message unless it starts an acronym, and
 * drops the newline, full stop or spaces at its end. */
void dec_tidy_msg(char *s);

/* Bytes in memory read like a file, for the libraries that read through callbacks. */
struct dec_memsrc {
	const unsigned char *p;
	size_t len, pos;
};

/* Up to n bytes (none when n < 0 or pos is at or past the end) into to; the count. */
size_t dec_memsrc_read(struct dec_memsrc *m, void *to, long long n);

/* What an img_resizer from sw x sh to w x h pixels of ch channels holds: its result,
 * eight source rows, the filter rows and taps (image.c). */
double dec_resizer_mem(int sw, int sh, int ch, int w, int h);

/* Converts one row of w pixels of ch channels to gray (want 1), RGB (want 3) or RGBA
 * with the colours as they are (want 4; opaque when the source has no alpha); alpha is
 * composited on white for gray and RGB. */
void dec_convert_row(const unsigned char *s, int ch, unsigned char *d, int want, int w);

/* Where a decoder that makes its rows top to bottom puts them: shrunk as they come to
 * the working size when img_decode would shrink the image (the same bytes as the full
 * image through the channel conversion and img_resize), else kept whole; in o->color's
 * channels (gray or RGB). */
struct dec_rowsink {
	struct img_resizer *rs;
	struct img *im;
	unsigned char *conv;
	int w, h, y, want;
};

/* What a sink for a w x h image holds. */
double dec_sink_mem(const struct img_decode_opts *o, int w, int h);
/* 0, or -1 when out of memory (then dec_sink_free it). */
int dec_sink_open(struct dec_rowsink *k, const struct img_decode_opts *o, int w, int h);
/* The next row, w pixels of ch channels; rows past the h-th are dropped. */
void dec_sink_push(struct dec_rowsink *k, const unsigned char *row, int ch);
/* The image once every row is in; NULL when out of memory.  Frees the sink. */
struct img *dec_sink_finish(struct dec_rowsink *k);
/* Frees the sink and what it holds; a zeroed sink is fine. */
void dec_sink_free(struct dec_rowsink *k);
/* The end of a decode into k that left rc: when rc < 0 the sink is freed and rc
 * returned, else the image goes to *out, or AD_ENOMEM "out of memory decoding FMT". */
int dec_sink_end(struct dec_rowsink *k, int rc, struct img **out, const char *fmt,
    aderr *err);

/* The decoders img_decode dispatches to, each as img_decode asks (decode.h): on success
 * *out is a new image of any channel count (1 to 4) that img_decode converts, shrinks
 * and turns; info->width, height (and orientation and animated where the format has
 * them) are filled in; info->format is already set.  Limits and the memory budget are
 * each decoder's to check. */
typedef int dec_decoder(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err);
dec_decoder dec_jpeg, dec_png, dec_webp, dec_gif, dec_tiff, dec_heif;

#endif
