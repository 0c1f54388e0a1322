/* bmp.c — the BMP decoder (see bmp.h): headers, palettes, bit fields and RLE read
 * straight from the bytes in memory, every offset checked against the length. */
#include "bmp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"
#include "image.h"

enum {
	BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5,
	BI_ALPHABITFIELDS = 6, BI_CMYK = 11, BI_CMYKRLE8 = 12, BI_CMYKRLE4 = 13
};

#define FILE_HDR 14     /* "BM", file size, two reserved words, pixel data offset */

/* One channel of a bit-field pixel: where its bits are and how they become 0..255. */
struct field {
	uint32_t mask;
	int shift, bits;
	unsigned char lut[256];         /* bits <= 8: each value scaled to 0..255 */
};

struct bmp {
	const unsigned char *buf;
	size_t len, off;                /* off: where the pixel data starts */
	int w, h, topdown, bpp, want;
	uint32_t comp;
	unsigned char pal[256][3];      /* output values (gray in [0]); past the palette: black */
	struct field f[4];              /* R, G, B, A of 16- and 32-bit pixels */
	int alpha;
};

static int64_t s32(uint32_t v)
{
	return v >= 0x80000000u ? (int64_t)v - 0x100000000LL : (int64_t)v;
}

static int truncated(aderr *err)
{
	return aderr_set(err, AD_ETRUNC, "truncated: BMP data ends early");
}

/* -1 when the mask's bits are not one contiguous run. */
static int field_init(struct field *f, uint32_t mask)
{
	uint32_t m, max, v;

	memset(f, 0, sizeof *f);
	f->mask = mask;
	if (mask == 0)
		return 0;
	while (!(mask >> f->shift & 1))
		f->shift++;
	for (m = mask >> f->shift; m & 1; m >>= 1)
		f->bits++;
	if (m != 0)
		return -1;
	if (f->bits <= 8) {
		max = (1u << f->bits) - 1;
		for (v = 0; v <= max; v++)
			f->lut[v] = (unsigned char)((v * 255 + max / 2) / max);
	}
	return 0;
}

static unsigned field_get(const struct field *f, uint32_t px)
{
	uint32_t v = (px & f->mask) >> f->shift;

	return f->bits <= 8 ? f->lut[v] : v >> (f->bits - 8);
}

/* One pixel in the output's channels, alpha composited on white as dec_convert_row does. */
static void emit(unsigned char *d, int want, unsigned r, unsigned g, unsigned b, unsigned a)
{
	if (a < 255) {
		r = img_over_white(r, a);
		g = img_over_white(g, a);
		b = img_over_white(b, a);
	}
	if (want == 1) {
		d[0] = img_luma(r, g, b);
	} else {
		d[0] = (unsigned char)r;
		d[1] = (unsigned char)g;
		d[2] = (unsigned char)b;
	}
}

static unsigned char *out_row(const struct bmp *b, struct img *im, size_t y)
{
	size_t row = b->topdown ? y : (size_t)b->h - 1 - y;

	return im->px + row * (size_t)b->w * (size_t)b->want;
}

static uint32_t pixel_at(const unsigned char *s, int bpp, int x)
{
	return bpp == 16 ? dec_get16(s + 2 * (size_t)x, 0) : dec_get32(s + 4 * (size_t)x, 0);
}

/* Whether any 16- or 32-bit pixel has a non-zero alpha: files that carry an alpha mask
 * but leave every alpha at 0 mean an opaque picture, not an invisible one. */
static int any_alpha(const struct bmp *b, size_t stride)
{
	int x, y;

	for (y = 0; y < b->h; y++) {
		const unsigned char *s = b->buf + b->off + (size_t)y * stride;

		for (x = 0; x < b->w; x++)
			if (pixel_at(s, b->bpp, x) & b->f[3].mask)
				return 1;
	}
	return 0;
}

/* One uncompressed row of the file, s, into d in the output's channels. */
static void decode_row(const struct bmp *b, const unsigned char *s, unsigned char *d)
{
	int x;

	for (x = 0; x < b->w; x++, d += b->want) {
		unsigned idx;

		switch (b->bpp) {
		case 1: idx = s[x >> 3] >> (7 - (x & 7)) & 1; break;
		case 4: idx = s[x >> 1] >> (x & 1 ? 0 : 4) & 15; break;
		case 8: idx = s[x]; break;
		case 24:
			emit(d, b->want, s[3 * x + 2], s[3 * x + 1], s[3 * x], 255);
			continue;
		default: {
			uint32_t px = pixel_at(s, b->bpp, x);

			emit(d, b->want, field_get(&b->f[0], px), field_get(&b->f[1], px),
			    field_get(&b->f[2], px), b->alpha ? field_get(&b->f[3], px) : 255);
			continue;
		}
		}
		memcpy(d, b->pal[idx], (size_t)b->want);
	}
}

static void decode_rows(const struct bmp *b, struct img *im, size_t stride)
{
	int y;

	for (y = 0; y < b->h; y++)
		decode_row(b, b->buf + b->off + (size_t)y * stride, out_row(b, im, (size_t)y));
}

/* Uncompressed rows straight into a w x h result, top row first whichever way the file
 * stores them (the pixel data is all in memory): the full-size image never exists. */
static struct img *decode_rows_shrunk(const struct bmp *b, size_t stride, int w, int h)
{
	struct img_resizer *rs = img_resizer_new(b->w, b->h, b->want, w, h);
	unsigned char *row = malloc((size_t)b->w * (size_t)b->want);
	int y;

	if (rs == NULL || row == NULL) {
		img_resizer_free(rs);
		free(row);
		return NULL;
	}
	for (y = 0; y < b->h; y++) {
		size_t fy = b->topdown ? (size_t)y : (size_t)b->h - 1 - (size_t)y;

		decode_row(b, b->buf + b->off + fy * stride, row);
		img_resizer_push(rs, row);
	}
	free(row);
	return img_resizer_finish(rs);
}

static void plot(const struct bmp *b, struct img *im, size_t x, size_t y, unsigned idx)
{
	if (y < (size_t)b->h)
		memcpy(out_row(b, im, y) + x * (size_t)b->want, b->pal[idx], (size_t)b->want);
}

/* RLE8 and RLE4: runs of one index (two alternating ones in RLE4), literal runs padded
 * to 16 bits, and the escapes.  Pixels past the end of a row or the last row are
 * dropped; the data must end with the end-of-bitmap escape. */
static int decode_rle(const struct bmp *b, struct img *im, aderr *err)
{
	const unsigned char *p = b->buf + b->off, *end = b->buf + b->len;
	size_t x = 0, y = 0, w = (size_t)b->w;
	int rle4 = b->comp == BI_RLE4;

	memset(im->px, 255, (size_t)im->w * (size_t)im->h * (size_t)im->ch);
	for (;;) {
		unsigned n, c, k;
		size_t nb;

		if (end - p < 2)
			return truncated(err);
		n = p[0];
		c = p[1];
		p += 2;
		if (n > 0) {
			for (k = 0; k < n && x < w; k++, x++)
				plot(b, im, x, y, rle4 ? (k & 1 ? c & 15 : c >> 4) : c);
			continue;
		}
		switch (c) {
		case 0:                 /* end of line */
			x = 0;
			y++;
			break;
		case 1:                 /* end of bitmap */
			return 0;
		case 2:                 /* delta: right and on */
			if (end - p < 2)
				return truncated(err);
			x += p[0];
			y += p[1];
			if (x > w)
				x = w;
			p += 2;
			break;
		default:                /* c literal indexes */
			nb = rle4 ? (c + 1) / 2 : c;
			nb += nb & 1;
			if ((size_t)(end - p) < nb)
				return truncated(err);
			for (k = 0; k < c && x < w; k++, x++)
				plot(b, im, x, y, rle4 ? (k & 1 ? p[k / 2] & 15 : p[k / 2] >> 4) : p[k]);
			p += nb;
			break;
		}
	}
}

/* The bit-field masks: from the header or the words after a 40- or 52-byte one, or
 * the defaults of BI_RGB.  0 or an error code. */
static int read_masks(struct bmp *b, uint32_t hs, aderr *err)
{
	const unsigned char *m = b->buf + FILE_HDR + 40;
	uint32_t mask[4] = { 0, 0, 0, 0 }, limit = b->bpp == 16 ? 0xffffu : 0xffffffffu;
	static const char *const name[4] = { "red", "green", "blue", "alpha" };
	int i;

	if (b->comp == BI_BITFIELDS || b->comp == BI_ALPHABITFIELDS) {
		for (i = 0; i < 3; i++)
			mask[i] = dec_get32(m + 4 * i, 0);
	} else if (b->bpp == 16) {
		mask[0] = 0x7c00;
		mask[1] = 0x03e0;
		mask[2] = 0x001f;
	} else {
		mask[0] = 0xff0000;
		mask[1] = 0xff00;
		mask[2] = 0xff;
	}
	if (b->comp == BI_ALPHABITFIELDS || hs >= 56)
		mask[3] = dec_get32(m + 12, 0);
	/* BI_RGB has no masks: a header's alpha mask is taken only when it makes sense */
	if (b->comp == BI_RGB && ((mask[3] & ~limit) != 0 ||
	    (mask[3] & (mask[0] | mask[1] | mask[2])) != 0 || field_init(&b->f[3], mask[3]) < 0))
		mask[3] = 0;
	for (i = 0; i < 4; i++) {
		if ((mask[i] & ~limit) != 0)
			return aderr_set(err, AD_EFORMAT, "corrupt: BMP %s mask %#x is wider than "
			    "a %d-bit pixel", name[i], (unsigned)mask[i], b->bpp);
		if (field_init(&b->f[i], mask[i]) < 0)
			return aderr_set(err, AD_EFORMAT, "corrupt: BMP %s mask %#x is not one run "
			    "of bits", name[i], (unsigned)mask[i]);
	}
	b->alpha = mask[3] != 0;
	return 0;
}

int bmp_decode(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct bmp b;
	struct img *im;
	uint32_t hs, ncol = 0, nmask = 0, i;
	int64_t sw, sh;
	int ww, wh, shrink;
	uint64_t stride = 0, rowbytes, bits;
	size_t palstart, es;
	int ok, rc;

	memset(&b, 0, sizeof b);
	b.buf = buf;
	b.len = len;
	b.want = o->color ? 3 : 1;
	if (len < FILE_HDR + 4)
		return truncated(err);
	hs = dec_get32(buf + FILE_HDR, 0);
	switch (hs) {
	case 12: case 40: case 52: case 56: case 108: case 124:
		break;
	case 16: case 64:
		return aderr_set(err, AD_EUNSUP, "unsupported: OS/2 2.x BMP (%u-byte header)",
		    (unsigned)hs);
	default:
		return aderr_set(err, AD_EFORMAT, "corrupt: BMP header size %u", (unsigned)hs);
	}
	if (len - FILE_HDR < hs)
		return truncated(err);
	if (hs == 12) {
		sw = dec_get16(buf + 18, 0);
		sh = dec_get16(buf + 20, 0);
		b.bpp = (int)dec_get16(buf + 24, 0);
		b.comp = BI_RGB;
	} else {
		sw = s32(dec_get32(buf + 18, 0));
		sh = s32(dec_get32(buf + 22, 0));
		b.bpp = (int)dec_get16(buf + 28, 0);
		b.comp = dec_get32(buf + 30, 0);
		ncol = dec_get32(buf + 46, 0);
	}

	switch (b.comp) {
	case BI_RGB: case BI_RLE8: case BI_RLE4: case BI_BITFIELDS: case BI_ALPHABITFIELDS:
		break;
	case BI_JPEG:
		return aderr_set(err, AD_EUNSUP, "unsupported: BMP with embedded JPEG data");
	case BI_PNG:
		return aderr_set(err, AD_EUNSUP, "unsupported: BMP with embedded PNG data");
	case BI_CMYK: case BI_CMYKRLE8: case BI_CMYKRLE4:
		return aderr_set(err, AD_EUNSUP, "unsupported: CMYK BMP");
	default:
		return aderr_set(err, AD_EUNSUP, "unsupported: BMP compression %u", (unsigned)b.comp);
	}
	if (b.bpp == 2 || b.bpp == 64)
		return aderr_set(err, AD_EUNSUP, "unsupported: %d-bit BMP", b.bpp);
	switch (b.comp) {
	case BI_RGB:
		ok = b.bpp == 1 || b.bpp == 4 || b.bpp == 8 || b.bpp == 24 ||
		    (hs > 12 && (b.bpp == 16 || b.bpp == 32));
		break;
	case BI_RLE8: ok = b.bpp == 8; break;
	case BI_RLE4: ok = b.bpp == 4; break;
	default:
		ok = b.bpp == 16 || b.bpp == 32;
		nmask = b.comp == BI_ALPHABITFIELDS ? 4 : 3;
		break;
	}
	if (!ok)
		return aderr_set(err, AD_EFORMAT, "corrupt: BMP with %d bits per pixel and "
		    "compression %u", b.bpp, (unsigned)b.comp);
	if (sw < 1 || sh == 0 || sh < -(int64_t)INT32_MAX)
		return aderr_set(err, AD_EFORMAT, "corrupt: BMP size %lldx%lld", (long long)sw,
		    (long long)sh);
	b.topdown = sh < 0;
	b.w = (int)sw;
	b.h = (int)(sh < 0 ? -sh : sh);
	if (dec_over_limit((unsigned)b.w, (unsigned)b.h, o->max_pixels))
		return dec_too_big(err, (unsigned)b.w, (unsigned)b.h, o->max_pixels);

	/* masks that a 40- or 52-byte header lacks come right after it, then the palette */
	palstart = FILE_HDR + hs;
	if (hs >= 40 && nmask > (hs - 40) / 4)
		palstart += 4 * (nmask - (hs - 40) / 4);
	b.off = dec_get32(buf + 10, 0);
	if (b.off < palstart)
		return aderr_set(err, AD_EFORMAT, "corrupt: BMP pixel data at %zu, inside the "
		    "headers", b.off);
	if (b.off > len)
		return truncated(err);
	if (b.bpp == 16 || b.bpp == 32) {
		if ((rc = read_masks(&b, hs, err)) < 0)
			return rc;
	} else if (b.bpp <= 8) {
		/* a palette may be shorter than 2^bpp, never longer; nor run into the pixels */
		es = hs == 12 ? 3 : 4;
		if (ncol == 0 || ncol > 1u << b.bpp)
			ncol = 1u << b.bpp;
		if (ncol > (b.off - palstart) / es)
			ncol = (uint32_t)((b.off - palstart) / es);
		for (i = 0; i < ncol; i++) {
			const unsigned char *c = buf + palstart + i * es;

			emit(b.pal[i], b.want, c[2], c[1], c[0], 255);
		}
	}

	bits = (uint64_t)b.w * (uint64_t)b.bpp;
	rowbytes = (bits + 7) / 8;
	if (b.comp != BI_RLE8 && b.comp != BI_RLE4) {
		/* the whole of the pixel data is there (the last row's padding may not be) */
		stride = (bits + 31) / 32 * 4;
		if (len - b.off < rowbytes || (len - b.off - rowbytes) / stride < (uint64_t)b.h - 1)
			return truncated(err);
		if (b.alpha && !any_alpha(&b, (size_t)stride))
			b.alpha = 0;
	}
	info->width = b.w;
	info->height = b.h;
	shrink = b.comp != BI_RLE8 && b.comp != BI_RLE4 &&
	    img_working_size(b.w, b.h, o->min_side, &ww, &wh);
	if ((rc = img_decode_reserve(o, shrink ? (double)ww * wh * b.want * 2 + 12.0 * b.w *
	    b.want + 65536 + img_decode_tail(o, ww, wh, b.want) : (double)b.w * b.h * b.want +
	    img_decode_tail(o, b.w, b.h, b.want), err)) < 0)
		return rc;
	if (shrink) {
		/* RLE may jump about (delta escapes): it keeps the full decode */
		if ((im = decode_rows_shrunk(&b, (size_t)stride, ww, wh)) == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory decoding BMP");
		*out = im;
		return 0;
	}
	im = img_new(b.w, b.h, b.want);
	if (im == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding BMP");
	if (b.comp == BI_RLE8 || b.comp == BI_RLE4) {
		if ((rc = decode_rle(&b, im, err)) < 0) {
			img_free(im);
			return rc;
		}
	} else {
		decode_rows(&b, im, (size_t)stride);
	}
	*out = im;
	return 0;
}
