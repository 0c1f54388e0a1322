/* test_decode.c — decoding JPEG, PNG, WebP, HEIC, AVIF and BMP made at test time, the
 * committed BMP fixtures against their PNGs, every error class, EXIF and HEIF
 * orientation, and hash agreement across formats and sizes; the streaming resizer
 * against img_resize, and the memory a large PNG takes to decode. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/resource.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <libheif/heif.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>

#include "bmff.h"
#include "decode.h"
#include "features.h"
#include "hash.h"
#include "image.h"
#include "unit.h"

static char dir[] = "/tmp/azd-dec.XXXXXX";

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = (b->n + n) * 2;
		unsigned char *p = realloc(b->p, cap);

		if (p == NULL)
			abort();
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

/* A natural-looking colour scene laid out relative to its size: gradients, a disc,
 * a bar, mild noise.  Different seeds are different pictures. */
static struct img *scene(int w, int h, unsigned seed)
{
	struct img *im = img_new(w, h, 3);
	unsigned r = seed * 2654435761u + 1;
	double cx = 0.25 + 0.5 * ((seed * 37) % 100) / 100.0, cy = 0.3 + 0.4 * ((seed * 53) % 100) / 100.0;
	double fx = 1.0 + seed % 4, fy = 0.5 + (seed / 4) % 3;
	int x, y, c;

	if (im == NULL)
		abort();
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double u = (double)x / w, v = (double)y / h, p[3];
			int n;

			p[0] = 110 + 60 * sin(fx * 3.1 * u + seed) * cos(fy * 2.3 * v) + 40 * (v - 0.5);
			p[1] = 90 + 70 * v + 30 * sin(5 * u);
			p[2] = 150 - 60 * u + 20 * cos(7 * v + seed);
			if ((u - cx) * (u - cx) + (v - cy) * (v - cy) < 0.04) {
				p[0] = 240 - 40 * v;
				p[1] = 220;
				p[2] = 40;
			}
			if (u > 0.1 + 0.05 * (seed % 5) && u < 0.3 + 0.05 * (seed % 5) && v > 0.6)
				p[0] = p[1] = p[2] = 25;
			r = r * 1103515245u + 12345u;
			n = (int)((r >> 16) % 13) - 6;
			for (c = 0; c < 3; c++) {
				double q = p[c] + n;

				im->px[(y * w + x) * 3 + c] = (unsigned char)(q < 0 ? 0 : q > 255 ? 255 : q);
			}
		}
	return im;
}

/* ---- encoders ---- */

static struct buf enc_jpeg(const struct img *im, int quality, int progressive, int gray,
    int orientation)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr je;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct buf b = {0};
	struct img *g = gray == 1 ? img_to_gray(im) : NULL;
	const struct img *src = gray == 1 ? g : im;
	unsigned char *cmyk = NULL;
	int y;

	c.err = jpeg_std_error(&je);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = (JDIMENSION)src->w;
	c.image_height = (JDIMENSION)src->h;
	c.input_components = gray == 2 ? 4 : src->ch;
	c.in_color_space = gray == 2 ? JCS_CMYK : src->ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	if (gray == 2) {
		/* Adobe-style inverted CMYK with no black: C, M, Y = R, G, B */
		jpeg_set_colorspace(&c, JCS_YCCK);
		cmyk = malloc((size_t)src->w * 4);
		if (cmyk == NULL)
			abort();
	}
	jpeg_set_quality(&c, quality, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	if (orientation) {
		/* Exif header, big-endian TIFF, IFD0 with one entry: 0x0112 SHORT 1 */
		unsigned char app1[6 + 8 + 2 + 12 + 4] = {
			'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
			0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0
		};

		app1[6 + 8 + 2 + 9] = (unsigned char)orientation;
		jpeg_write_marker(&c, JPEG_APP0 + 1, app1, sizeof app1);
	}
	for (y = 0; y < src->h; y++) {
		JSAMPROW row = src->px + (size_t)y * (size_t)src->w * (size_t)src->ch;

		if (cmyk != NULL) {
			int x;

			for (x = 0; x < src->w; x++) {
				memcpy(cmyk + x * 4, row + x * 3, 3);
				cmyk[x * 4 + 3] = 255;
			}
			row = cmyk;
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	free(cmyk);
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	buf_add(&b, out, outlen);
	free(out);
	img_free(g);
	return b;
}

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
	buf_add(png_get_io_ptr(png), data, n);
}

static void png_flush_mem(png_structp png)
{
	(void)png;
}

enum { P_RGB8, P_RGB16, P_PALETTE, P_RGBA, P_INTERLACED, P_GRAY };

/* RGBA variant: the left quarter fully transparent (decodes as white). */
static struct buf enc_png(const struct img *im, int kind)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop pi = png_create_info_struct(png);
	struct buf b = {0};
	int w = im->w, h = im->h, x, y, ctype, depth = 8, ch;
	unsigned char *row;
	png_color pal[216];

	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &b, png_write_mem, png_flush_mem);
	switch (kind) {
	case P_RGB16: ctype = PNG_COLOR_TYPE_RGB; depth = 16; ch = 6; break;
	case P_PALETTE: ctype = PNG_COLOR_TYPE_PALETTE; ch = 1; break;
	case P_RGBA: ctype = PNG_COLOR_TYPE_RGB_ALPHA; ch = 4; break;
	case P_GRAY: ctype = PNG_COLOR_TYPE_GRAY; ch = 1; break;
	default: ctype = PNG_COLOR_TYPE_RGB; ch = 3; break;
	}
	png_set_IHDR(png, pi, (png_uint_32)w, (png_uint_32)h, depth, ctype,
	    kind == P_INTERLACED ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (kind == P_PALETTE) {
		for (x = 0; x < 216; x++) {
			pal[x].red = (png_byte)(x / 36 * 51);
			pal[x].green = (png_byte)(x / 6 % 6 * 51);
			pal[x].blue = (png_byte)(x % 6 * 51);
		}
		png_set_PLTE(png, pi, pal, 216);
	}
	png_write_info(png, pi);
	if (kind == P_INTERLACED) {
		int pass, npass = png_set_interlace_handling(png);

		for (pass = 0; pass < npass; pass++)
			for (y = 0; y < h; y++)
				png_write_row(png, im->px + (size_t)y * (size_t)w * 3);
	} else {
		row = malloc((size_t)w * (size_t)ch);
		if (row == NULL)
			abort();
		for (y = 0; y < h; y++) {
			const unsigned char *s = im->px + (size_t)y * (size_t)w * 3;

			for (x = 0; x < w; x++, s += 3) {
				switch (kind) {
				case P_RGB16:
					for (int c = 0; c < 3; c++) {
						row[x * 6 + 2 * c] = s[c];
						row[x * 6 + 2 * c + 1] = (unsigned char)(s[c] ^ 0x5a);
					}
					break;
				case P_PALETTE:
					row[x] = (unsigned char)((s[0] + 25) / 51 * 36 + (s[1] + 25) / 51 * 6 +
					    (s[2] + 25) / 51);
					break;
				case P_RGBA:
					memcpy(row + x * 4, s, 3);
					row[x * 4 + 3] = x < w / 4 ? 0 : 255;
					break;
				case P_GRAY:
					row[x] = img_luma(s[0], s[1], s[2]);
					break;
				default:
					memcpy(row + x * 3, s, 3);
					break;
				}
			}
			png_write_row(png, row);
		}
		free(row);
	}
	png_write_end(png, pi);
	png_destroy_write_struct(&png, &pi);
	return b;
}

/* 24-bit BMP, bottom-up, 40-byte header: the format is simple enough to write here. */
static struct buf enc_bmp(const struct img *im)
{
	struct buf b = {0};
	size_t stride = ((size_t)im->w * 3 + 3) & ~(size_t)3;
	uint32_t off = 54, size = off + (uint32_t)(stride * (size_t)im->h);
	unsigned char h[54] = { 'B', 'M' };
	int x, y;

	for (x = 0; x < 4; x++) {
		h[2 + x] = (unsigned char)(size >> 8 * x);
		h[10 + x] = (unsigned char)(off >> 8 * x);
		h[18 + x] = (unsigned char)((uint32_t)im->w >> 8 * x);
		h[22 + x] = (unsigned char)((uint32_t)im->h >> 8 * x);
	}
	h[14] = 40;
	h[26] = 1;
	h[28] = 24;
	buf_add(&b, h, sizeof h);
	for (y = im->h - 1; y >= 0; y--) {
		unsigned char row[4096 * 3 + 3] = {0};
		const unsigned char *s = im->px + (size_t)y * (size_t)im->w * 3;

		for (x = 0; x < im->w; x++) {
			row[3 * x] = s[3 * x + 2];
			row[3 * x + 1] = s[3 * x + 1];
			row[3 * x + 2] = s[3 * x];
		}
		buf_add(&b, row, stride);
	}
	return b;
}

/* alpha: the left quarter fully transparent. */
static struct buf enc_webp(const struct img *im, int lossless, int alpha)
{
	struct buf b = {0};
	uint8_t *out = NULL;
	size_t n;

	if (alpha) {
		unsigned char *rgba = malloc((size_t)im->w * (size_t)im->h * 4);
		int i;

		if (rgba == NULL)
			abort();
		for (i = 0; i < im->w * im->h; i++) {
			memcpy(rgba + i * 4, im->px + i * 3, 3);
			rgba[i * 4 + 3] = i % im->w < im->w / 4 ? 0 : 255;
		}
		n = lossless ? WebPEncodeLosslessRGBA(rgba, im->w, im->h, im->w * 4, &out)
			     : WebPEncodeRGBA(rgba, im->w, im->h, im->w * 4, 85, &out);
		free(rgba);
	} else {
		n = lossless ? WebPEncodeLosslessRGB(im->px, im->w, im->h, im->w * 3, &out)
			     : WebPEncodeRGB(im->px, im->w, im->h, im->w * 3, 85, &out);
	}
	if (n == 0)
		abort();
	buf_add(&b, out, n);
	WebPFree(out);
	return b;
}

static struct heif_error heif_write_mem(struct heif_context *ctx, const void *data, size_t n,
    void *user)
{
	struct heif_error ok = { heif_error_Ok, heif_suberror_Unspecified, "" };

	(void)ctx;
	buf_add(user, data, n);
	return ok;
}

/* HEIC (HEVC) or AVIF (AV1) through libheif's own encoders; alpha: the left quarter
 * fully transparent; orientation: irot/imir boxes for that EXIF value.  An empty
 * buffer when this libheif has no such encoder. */
static struct buf enc_heif(const struct img *im, enum heif_compression_format fmt, int alpha,
    int orientation)
{
	struct buf b = {0};
	struct heif_context *ctx = heif_context_alloc();
	struct heif_encoder *enc = NULL;
	struct heif_encoding_options *eo = heif_encoding_options_alloc();
	struct heif_image *hi = NULL;
	struct heif_writer w = { 1, heif_write_mem };
	int ch = alpha ? 4 : 3, stride, x, y;
	uint8_t *px;

	if (heif_context_get_encoder_for_format(ctx, fmt, &enc).code != heif_error_Ok)
		goto out;
	if (heif_image_create(im->w, im->h, heif_colorspace_RGB, alpha ?
	    heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, &hi).code != heif_error_Ok ||
	    heif_image_add_plane(hi, heif_channel_interleaved, im->w, im->h, 8).code != heif_error_Ok)
		abort();
	px = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
	for (y = 0; y < im->h; y++)
		for (x = 0; x < im->w; x++) {
			uint8_t *d = px + (size_t)y * (size_t)stride + (size_t)x * (size_t)ch;

			memcpy(d, im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3, 3);
			if (alpha)
				d[3] = x < im->w / 4 ? 0 : 255;
		}
	heif_encoder_set_lossy_quality(enc, 85);
	if (orientation > 1 && eo->version >= 5)
		eo->image_orientation = (enum heif_orientation)orientation;
	if (heif_context_encode_image(ctx, hi, enc, eo, NULL).code != heif_error_Ok ||
	    heif_context_write(ctx, &w, &b).code != heif_error_Ok)
		abort();
out:
	heif_image_release(hi);
	heif_encoder_release(enc);
	heif_encoding_options_free(eo);
	heif_context_free(ctx);
	return b;
}

static void write_file(const char *name, const void *data, size_t n)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	fp = fopen(p, "wb");
	CHECK(fp != NULL);
	if (fp) {
		CHECK_EQ_INT(fwrite(data, 1, n, fp), n);
		fclose(fp);
	}
}

/* The BMP fixtures that tests/fuzz/seeds/bmp/make-bmp.py made. */
#define BMP_DIR "tests/fuzz/seeds/bmp/"

static struct buf read_file_in(const char *folder, const char *name)
{
	char p[512];
	struct buf b = {0};
	unsigned char chunk[4096];
	size_t n;
	FILE *fp;

	snprintf(p, sizeof p, "%s%s", folder, name);
	if ((fp = fopen(p, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open\n", p);
		return b;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	return b;
}

static struct buf read_fixture(const char *name)
{
	return read_file_in(BMP_DIR, name);
}

/* Decodes at the features' working size; returns the code, fills info. */
static int dec(const struct buf *b, size_t len, struct img **im, struct img_info *info)
{
	struct img_decode_opts o = { FEAT_WORK_SIDE, 100000000ULL, 0 };
	aderr err = {0};
	int rc = img_decode(b->p, len, &o, im, info, &err);

	if (rc < 0 && *im != NULL)
		rc = 1;  /* an error must leave no image behind */
	return rc;
}

/* featx's defaults without keypoints: these tests look at decoding and the hashes
 * (test_keypoints.c covers the keypoints), and nothing is left to free */
static void hash_opts(struct feat_opts *o)
{
	feat_opts_default(o);
	o->local = 0;
}

static int feat_of(const struct buf *b, struct feat *f, aderr *err)
{
	struct feat_opts o;

	hash_opts(&o);
	return feat_buffer(b->p, b->n, &o, f, err);
}

/* ---- tests ---- */

static void test_formats_agree(void)
{
	struct img *a = scene(640, 480, 3), *half = scene(320, 240, 3), *other = scene(640, 480, 11);
	struct buf bs[12];
	const char *what[12] = { "png8", "jpeg90", "jpeg-prog", "jpeg-gray", "png16", "palette",
		"rgba", "interlaced", "png-gray", "webp-lossy", "webp-lossless", "webp-alpha" };
	struct feat ref, f;
	aderr err = {0};
	int i;

	bs[0] = enc_png(a, P_RGB8);
	bs[1] = enc_jpeg(a, 90, 0, 0, 0);
	bs[2] = enc_jpeg(a, 75, 1, 0, 0);
	bs[3] = enc_jpeg(a, 90, 1, 1, 0);
	bs[4] = enc_png(a, P_RGB16);
	bs[5] = enc_png(a, P_PALETTE);
	bs[6] = enc_png(a, P_RGBA);
	bs[7] = enc_png(a, P_INTERLACED);
	bs[8] = enc_png(a, P_GRAY);
	bs[9] = enc_webp(a, 0, 0);
	bs[10] = enc_webp(a, 1, 0);
	bs[11] = enc_webp(a, 0, 1);
	CHECK_EQ_INT(feat_of(&bs[0], &ref, &err), 0);
	CHECK_STR(ref.format, "png");
	for (i = 0; i < 12; i++) {
		struct img *im = NULL;
		struct img_info info;
		int d;

		CHECK_EQ_INT(dec(&bs[i], bs[i].n, &im, &info), 0);
		CHECK_EQ_INT(info.width, 640);
		CHECK_EQ_INT(info.height, 480);
		if (im != NULL) {
			/* working size: short side 128..256, gray */
			CHECK(im->h >= FEAT_WORK_SIDE && im->h <= 2 * FEAT_WORK_SIDE);
			CHECK_EQ_INT(im->ch, 1);
			CHECK(abs(im->w * 3 - im->h * 4) <= 4);
			/* alpha composited on white: the transparent quarter is white */
			if (i == 6 || i == 11)
				CHECK(im->px[im->h / 2 * im->w + 3] >= 250);
		}
		img_free(im);
		CHECK_EQ_INT(feat_of(&bs[i], &f, &err), 0);
		CHECK_STR(f.format, i == 0 || (i >= 4 && i <= 8) ? "png" : i <= 3 ? "jpeg" : "webp");
		d = hash_hamming(ref.phash, f.phash);
		/* the transparent quarter turns white: a different picture, on purpose */
		if (i == 6 || i == 11)
			continue;
		if (d > 6 || getenv("AZD_VERBOSE"))
			fprintf(stderr, "%s: phash %d dhash %d whash %d\n", what[i], d,
			    hash_hamming(ref.dhash, f.dhash), hash_hamming(ref.whash, f.whash));
		CHECK(d <= (i == 5 ? 10 : 6));  /* the palette is a crude 216-colour one */
		/* 6-level posterisation moves dhash's neighbour comparisons; phash holds */
		if (i == 5)
			continue;
		d = hash_hamming(ref.dhash, f.dhash);
		if (d > 8)
			fprintf(stderr, "%s: dhash distance %d\n", what[i], d);
		CHECK(d <= 8);
		CHECK(hash_hamming(ref.whash, f.whash) <= 8);
	}
	/* alpha is composited on white: RGBA PNG and WebP see the same picture */
	{
		struct feat fa, fw;

		CHECK_EQ_INT(feat_of(&bs[6], &fa, &err), 0);
		CHECK_EQ_INT(feat_of(&bs[11], &fw, &err), 0);
		CHECK(hash_hamming(fa.phash, fw.phash) <= 6);
		CHECK(fa.phash != ref.phash);
	}
	/* CMYK (stored as YCCK with an Adobe marker) is converted, not refused */
	free(bs[0].p);
	bs[0] = enc_jpeg(a, 90, 0, 2, 0);
	CHECK_EQ_INT(feat_of(&bs[0], &f, &err), 0);
	CHECK(hash_hamming(ref.phash, f.phash) <= 6);
	CHECK_EQ_INT(f.width, 640);
	/* the same file twice: same bytes, same checksum and hashes */
	CHECK_EQ_INT(feat_of(&bs[1], &f, &err), 0);
	{
		struct feat g;

		CHECK_EQ_INT(feat_of(&bs[1], &g, &err), 0);
		CHECK(memcmp(f.sha256, g.sha256, 32) == 0 && f.phash == g.phash);
		CHECK(memcmp(f.sha256, ref.sha256, 32) != 0);
	}
	/* a 50% copy is near; another picture is far */
	for (i = 0; i < 12; i++)
		free(bs[i].p);
	bs[0] = enc_jpeg(half, 85, 0, 0, 0);
	bs[1] = enc_jpeg(other, 90, 0, 0, 0);
	CHECK_EQ_INT(feat_of(&bs[0], &f, &err), 0);
	CHECK_EQ_INT(f.width, 320);
	CHECK(hash_hamming(ref.phash, f.phash) <= 6);
	CHECK_EQ_INT(feat_of(&bs[1], &f, &err), 0);
	CHECK(hash_hamming(ref.phash, f.phash) >= 20);
	free(bs[0].p);
	free(bs[1].p);
	img_free(a);
	img_free(half);
	img_free(other);
}

static void test_orientation(void)
{
	struct img *a = img_new(300, 200, 3), *up;
	struct buf b;
	struct img *im = NULL;
	struct img_info info;
	struct feat f6, fr;
	aderr err = {0};
	int o, x, y;

	if (a == NULL)
		abort();
	/* dark left third, bright elsewhere, a dark dot near the top right */
	for (y = 0; y < 200; y++)
		for (x = 0; x < 300; x++)
			memset(a->px + (y * 300 + x) * 3,
			    x < 100 || (x > 250 && x < 270 && y > 20 && y < 40) ? 20 : 230, 3);
	for (o = 1; o <= 8; o++) {
		b = enc_jpeg(a, 90, 0, 0, o);
		im = NULL;
		CHECK_EQ_INT(dec(&b, b.n, &im, &info), 0);
		CHECK_EQ_INT(info.orientation, o);
		CHECK_EQ_INT(info.width, o >= 5 ? 200 : 300);
		CHECK_EQ_INT(info.height, o >= 5 ? 300 : 200);
		if (im != NULL && o == 6) {
			/* rotated 90 degrees clockwise: the dark left side is now on top */
			CHECK(im->px[5 * im->w + im->w / 2] < 60);
			CHECK(im->px[(im->h - 5) * im->w + im->w / 2] > 200);
		}
		if (im != NULL && o == 8) {
			CHECK(im->px[5 * im->w + im->w / 2] > 200);
			CHECK(im->px[(im->h - 5) * im->w + im->w / 2] < 60);
		}
		if (im != NULL && o == 3) {
			CHECK(im->px[im->h / 2 * im->w + 5] > 200);
			CHECK(im->px[im->h / 2 * im->w + im->w - 5] < 60);
		}
		img_free(im);
		free(b.p);
	}
	/* a JPEG tagged 6 hashes like the picture turned upright by hand */
	b = enc_jpeg(a, 90, 0, 0, 6);
	CHECK_EQ_INT(feat_of(&b, &f6, &err), 0);
	free(b.p);
	up = img_orient(a, 6);
	CHECK(up != NULL && up->w == 200 && up->h == 300);
	b = enc_png(up, P_RGB8);
	CHECK_EQ_INT(feat_of(&b, &fr, &err), 0);
	CHECK(hash_hamming(f6.phash, fr.phash) <= 4);
	CHECK(hash_hamming(f6.dhash, fr.dhash) <= 6);
	free(b.p);
	img_free(up);
	img_free(a);
}

static void test_exif_parse(void)
{
	static const unsigned char le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0,
		0x0f, 0x01, 2, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0,
		0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 };
	unsigned char bad[sizeof le];

	CHECK_EQ_INT(img_exif_orientation(le, sizeof le), 8);
	/* the entry cut off: no read past the end */
	CHECK_EQ_INT(img_exif_orientation(le, sizeof le - 8), 1);
	memcpy(bad, le, sizeof le);
	bad[4] = 0xf0;  /* IFD offset past the end */
	CHECK_EQ_INT(img_exif_orientation(bad, sizeof bad), 1);
	memcpy(bad, le, sizeof le);
	bad[30] = 9;    /* not an orientation */
	CHECK_EQ_INT(img_exif_orientation(bad, sizeof bad), 1);
	bad[8] = 0xff;  /* many entries claimed, few present */
	bad[9] = 0xff;
	CHECK_EQ_INT(img_exif_orientation(bad, sizeof bad), 1);
	CHECK_EQ_INT(img_exif_orientation((const unsigned char *)"MM", 2), 1);
	CHECK_EQ_INT(img_exif_orientation(NULL, 0), 1);
}

static size_t find_chunk(const struct buf *b, const char *type)
{
	size_t i;

	for (i = 8; i + 8 <= b->n; i++)
		if (memcmp(b->p + i + 4, type, 4) == 0)
			return i;
	return 0;
}

static void test_errors(void)
{
	struct img *a = scene(320, 240, 5), *im = NULL;
	struct img_info info;
	struct buf b;
	struct feat f;
	struct feat_opts fo;
	aderr err = {0};
	size_t at;
	int i;
	char p[512];

	/* truncated files: half of each */
	b = enc_jpeg(a, 90, 0, 0, 0);
	CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
	CHECK_EQ_INT(dec(&b, b.n - 2, &im, &info), AD_ETRUNC);   /* no EOI */
	CHECK_EQ_INT(dec(&b, 100, &im, &info), AD_ETRUNC);       /* inside the headers */
	/* a 12-bit JPEG (SOF precision byte patched) is understood but not supported */
	for (at = 2; at + 5 < b.n; at++)
		if (b.p[at] == 0xff && b.p[at + 1] == 0xc0)
			break;
	b.p[at + 4] = 12;
	CHECK_EQ_INT(dec(&b, b.n, &im, &info), AD_EUNSUP);
	free(b.p);
	b = enc_jpeg(a, 90, 1, 0, 0);
	CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
	CHECK_EQ_INT(feat_buffer(b.p, b.n / 3, (hash_opts(&fo), &fo), &f, &err), AD_ETRUNC);
	CHECK_STR(err.msg, "truncated: JPEG data ends early");
	free(b.p);

	b = enc_png(a, P_RGB8);
	CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
	CHECK_EQ_INT(dec(&b, 40, &im, &info), AD_ETRUNC);
	CHECK_EQ_INT(dec(&b, b.n - 6, &im, &info), AD_ETRUNC);   /* IEND cut */
	/* random bytes in the middle of the IDAT data: CRC error, corrupt */
	at = find_chunk(&b, "IDAT");
	CHECK(at > 0);
	srand(7);
	for (i = 0; i < 32; i++)
		b.p[at + 8 + 100 + (size_t)i] = (unsigned char)rand();
	CHECK_EQ_INT(dec(&b, b.n, &im, &info), AD_EFORMAT);
	CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), AD_EFORMAT);
	CHECK(strncmp(err.msg, "corrupt: PNG", 12) == 0);
	free(b.p);

	b = enc_webp(a, 0, 0);
	CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
	CHECK_EQ_INT(dec(&b, 20, &im, &info), AD_ETRUNC);
	free(b.p);
	b = enc_webp(a, 1, 0);
	CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
	free(b.p);

	/* empty, text, a bomb */
	b.p = (unsigned char *)"hello, this is text\n";
	b.n = strlen((const char *)b.p);
	CHECK_EQ_INT(dec(&b, 0, &im, &info), AD_EEMPTY);
	CHECK_EQ_INT(dec(&b, b.n, &im, &info), AD_ENOTIMG);
	CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), AD_ENOTIMG);
	CHECK_STR(err.msg, "not an image: unrecognised format");
	{
		/* signature + IHDR for 100000 x 100000 RGB, valid CRC, then nothing */
		unsigned char bomb[33] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
			0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0,
			8, 2, 0, 0, 0 };
		uLong crc = crc32(0, bomb + 12, 17);

		bomb[29] = (unsigned char)(crc >> 24);
		bomb[30] = (unsigned char)(crc >> 16);
		bomb[31] = (unsigned char)(crc >> 8);
		bomb[32] = (unsigned char)crc;
		CHECK_EQ_INT(feat_buffer(bomb, sizeof bomb, &fo, &f, &err), AD_ETOOBIG);
		CHECK_STR(err.msg, "too large: 100000x100000 pixels is over the 100000000 limit "
		    "(--max-pixels)");
	}
	/* the limits are options */
	b = enc_jpeg(a, 90, 0, 0, 0);
	fo.max_pixels = 320 * 240 - 1;
	CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), AD_ETOOBIG);
	fo.max_pixels = 320 * 240;
	CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), 0);
	write_file("a.jpg", b.p, b.n);
	write_file("empty.jpg", "", 0);
	snprintf(p, sizeof p, "%s/a.jpg", dir);
	fo.max_bytes = (long long)b.n - 1;
	CHECK_EQ_INT(feat_file(p, &fo, &f, &err), AD_ETOOBIG);
	CHECK(strstr(err.msg, "--max-bytes") != NULL);
	hash_opts(&fo);
	CHECK_EQ_INT(feat_file(p, &fo, &f, &err), 0);
	CHECK_EQ_INT(f.width, 320);
	snprintf(p, sizeof p, "%s/empty.jpg", dir);
	CHECK_EQ_INT(feat_file(p, &fo, &f, &err), AD_EEMPTY);
	CHECK_STR(err.msg, "empty file");
	snprintf(p, sizeof p, "%s/missing.jpg", dir);
	CHECK_EQ_INT(feat_file(p, &fo, &f, &err), AD_ENOENT);
	CHECK(feat_file(dir, &fo, &f, &err) < 0);
	free(b.p);
	img_free(a);
}

/* Cut and damaged files of every kind: each gives a result or a known error, never
 * a crash, a hang or a leak (the sanitizer build checks the last two). */
static void test_damage(void)
{
	struct img *a = scene(96, 64, 9), *im;
	struct buf bs[10];
	struct img_info info;
	unsigned r = 12345;
	int k, i, rc, bad = 0;

	bs[0] = enc_jpeg(a, 80, 0, 0, 3);
	bs[1] = enc_jpeg(a, 80, 1, 0, 0);
	bs[2] = enc_png(a, P_INTERLACED);
	bs[3] = enc_webp(a, 0, 1);
	bs[4] = enc_webp(a, 1, 0);
	bs[5] = enc_heif(a, heif_compression_HEVC, 0, 6);
	bs[6] = enc_heif(a, heif_compression_AV1, 1, 0);
	bs[7] = enc_bmp(a);
	bs[8] = read_fixture("rle4.bmp");
	bs[9] = read_fixture("rgba-v5.bmp");
	for (k = 0; k < 10; k++) {
		unsigned char *copy = malloc(bs[k].n);
		struct buf c = { copy, bs[k].n, bs[k].n };

		if (bs[k].n == 0) {
			/* no such encoder here (a missing fixture: test_bmp says) */
			free(copy);
			SKIP(k == 5 || k == 6 ? "mutations of a HEIF/AVIF file: no encoder here" :
			    "mutations of a missing fixture");
			continue;
		}
		if (copy == NULL)
			abort();
		for (i = 0; i < 300; i++) {
			size_t len = bs[k].n;

			memcpy(copy, bs[k].p, bs[k].n);
			r = r * 1103515245u + 12345u;
			if (i % 3 == 0) {
				len = (r >> 8) % bs[k].n;
			} else {
				int j, nflip = 1 + (int)((r >> 4) % 8);

				for (j = 0; j < nflip; j++) {
					r = r * 1103515245u + 12345u;
					copy[(r >> 8) % bs[k].n] ^= (unsigned char)(1u << (r % 8));
				}
			}
			im = NULL;
			rc = dec(&c, len, &im, &info);
			if (rc == 0 && (im == NULL || im->w < 1))
				bad++;
			if (rc > 0 || (rc < 0 && rc != AD_ETRUNC && rc != AD_EFORMAT && rc != AD_EUNSUP &&
			    rc != AD_ETOOBIG && rc != AD_ENOTIMG && rc != AD_EEMPTY))
				bad++;
			img_free(im);
		}
		free(copy);
		free(bs[k].p);
	}
	CHECK_EQ_INT(bad, 0);
	img_free(a);
}

/* The sample photos, when the examples are there: every one decodes. */
static void test_photos(void)
{
	DIR *d = opendir("examples/photos");
	struct dirent *e;
	struct feat_opts fo;
	int n = 0;

	CHECK(d != NULL);	/* the example photos are part of the repository */
	if (d == NULL)
		return;
	hash_opts(&fo);
	while ((e = readdir(d)) != NULL) {
		char p[1024];
		struct feat f;
		aderr err = {0};
		const char *ext = strrchr(e->d_name, '.');
		int rc;

		if (e->d_name[0] == '.' || ext == NULL || (strcasecmp(ext, ".jpg") != 0 &&
		    strcasecmp(ext, ".jpeg") != 0 && strcasecmp(ext, ".png") != 0 &&
		    strcasecmp(ext, ".webp") != 0))
			continue;
		snprintf(p, sizeof p, "examples/photos/%s", e->d_name);
		rc = feat_file(p, &fo, &f, &err);
		if (rc < 0)
			fprintf(stderr, "%s: %s\n", p, err.msg);
		CHECK_EQ_INT(rc, 0);
		CHECK(f.width > 0 && f.height > 0);
		n++;
	}
	closedir(d);
	CHECK(n > 0);
	printf("%d example photos decoded\n", n);
}

/* HEIC and AVIF: sniffed by brand, decoded to the same picture as the PNG (alpha on
 * white, HEIF orientation applied by libheif), cut and broken files, bombs. */
static void test_heif(void)
{
	static const enum heif_compression_format fmts[2] = { heif_compression_HEVC,
		heif_compression_AV1 };
	static const char *const names[2] = { "heif", "avif" };
	struct img *a = scene(640, 480, 3), *small = scene(300, 200, 4), *im = NULL, *up;
	struct buf png = enc_png(a, P_RGB8), b;
	struct img_decode_opts o = { FEAT_WORK_SIDE, 100000000ULL, 1 };
	struct img_info info;
	struct feat ref, f, fr;
	struct feat_opts fo;
	aderr err = {0};
	int k;

	CHECK_EQ_INT(feat_of(&png, &ref, &err), 0);
	for (k = 0; k < 2; k++) {
		b = enc_heif(a, fmts[k], 0, 0);
		if (b.n == 0) {
			SKIP(k == 0 ? "no heif encoder in this libheif" : "no avif encoder in this libheif");
			continue;
		}
		CHECK_EQ_INT(img_sniff(b.p, b.n), k == 0 ? IMG_HEIF : IMG_AVIF);
		CHECK_EQ_INT(dec(&b, b.n, &im, &info), 0);
		CHECK_STR(img_format_name(info.format), names[k]);
		CHECK_EQ_INT(info.width, 640);
		CHECK_EQ_INT(info.height, 480);
		if (im != NULL) {
			CHECK_EQ_INT(im->ch, 1);
			CHECK(im->h >= FEAT_WORK_SIDE && im->h <= 2 * FEAT_WORK_SIDE);
		}
		img_free(im);
		im = NULL;
		CHECK_EQ_INT(img_decode(b.p, b.n, &o, &im, &info, &err), 0);
		CHECK(im != NULL && im->ch == 3);
		img_free(im);
		im = NULL;
		CHECK_EQ_INT(feat_of(&b, &f, &err), 0);
		CHECK_STR(f.format, names[k]);
		CHECK(hash_hamming(ref.phash, f.phash) <= 6);
		CHECK(hash_hamming(ref.dhash, f.dhash) <= 8);

		/* cut: in the image data, in the boxes; garbage after the ftyp */
		CHECK_EQ_INT(dec(&b, b.n / 2, &im, &info), AD_ETRUNC);
		CHECK_EQ_INT(dec(&b, 60, &im, &info), AD_ETRUNC);
		CHECK_EQ_INT(feat_buffer(b.p, b.n - 10, (hash_opts(&fo), &fo), &f, &err),
		    AD_ETRUNC);
		CHECK_STR(err.msg, k == 0 ? "truncated: HEIF data ends early" :
		    "truncated: AVIF data ends early");
		{
			/* everything after the ftyp box replaced */
			size_t head = (size_t)b.p[0] << 24 | (size_t)b.p[1] << 16 | (size_t)b.p[2] << 8 |
			    b.p[3], i;

			CHECK(head < b.n);
			for (i = head; i < b.n; i++)
				b.p[i] = (unsigned char)(i * 7 + 3);
			CHECK(dec(&b, b.n, &im, &info) < 0);
		}
		/* the pixel limit, from the header, with the usual message */
		fo.max_pixels = 640 * 480 - 1;
		free(b.p);
		b = enc_heif(a, fmts[k], 0, 0);
		CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), AD_ETOOBIG);
		CHECK_STR(err.msg, "too large: 640x480 pixels is over the 307199 limit (--max-pixels)");
		fo.max_pixels = 600;    /* under libheif's per-side limit too */
		CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), AD_ETOOBIG);
		fo.max_pixels = 640 * 480;
		CHECK_EQ_INT(feat_buffer(b.p, b.n, &fo, &f, &err), 0);
		free(b.p);

		/* alpha on white, as the RGBA PNG and WebP */
		b = enc_heif(a, fmts[k], 1, 0);
		CHECK_EQ_INT(dec(&b, b.n, &im, &info), 0);
		if (im != NULL)
			CHECK(im->px[im->h / 2 * im->w + 3] >= 245);
		img_free(im);
		im = NULL;
		free(b.p);

		/* irot/imir: the upright size and picture, orientation left at 1 */
		b = enc_heif(small, fmts[k], 0, 6);
		CHECK_EQ_INT(dec(&b, b.n, &im, &info), 0);
		CHECK_EQ_INT(info.width, 200);
		CHECK_EQ_INT(info.height, 300);
		CHECK_EQ_INT(info.orientation, 1);
		img_free(im);
		im = NULL;
		up = img_orient(small, 6);
		if (up == NULL)
			abort();
		CHECK_EQ_INT(feat_of(&b, &f, &err), 0);
		{
			struct buf ub = enc_png(up, P_RGB8);

			CHECK_EQ_INT(feat_of(&ub, &fr, &err), 0);
			CHECK(hash_hamming(f.phash, fr.phash) <= 6);
			free(ub.p);
		}
		img_free(up);
		free(b.p);
	}
	/* sniffing: the major brand, then the compatible ones; never a plain MP4 */
	{
		unsigned char ft[32] = { 0, 0, 0, 32, 'f', 't', 'y', 'p', 'm', 'i', 'f', '1', 0, 0, 0, 0,
			'm', 'i', 'f', '1', 'm', 'i', 'a', 'f', 'i', 's', 'o', 'm', 'a', 'v', 'i', 'f' };

		CHECK_EQ_INT(img_sniff(ft, sizeof ft), IMG_AVIF);
		memcpy(ft + 28, "heix", 4);
		CHECK_EQ_INT(img_sniff(ft, sizeof ft), IMG_HEIF);
		memcpy(ft + 28, "mp42", 4);
		CHECK_EQ_INT(img_sniff(ft, sizeof ft), IMG_HEIF);       /* mif1 */
		memcpy(ft + 8, "isom", 4);
		memcpy(ft + 16, "mp41", 4);
		CHECK_EQ_INT(img_sniff(ft, sizeof ft), IMG_UNKNOWN);
		memcpy(ft + 8, "heic", 4);
		CHECK_EQ_INT(img_sniff(ft, 12), IMG_HEIF);
		CHECK_EQ_INT(img_sniff(ft, 11), IMG_UNKNOWN);
		CHECK_EQ_INT(dec(&(struct buf){ ft, sizeof ft, sizeof ft }, sizeof ft, &im, &info) < 0, 1);
	}
	/* the fuzzer's finds: a grid that is its own tile sent libheif 1.15 into endless
	 * recursion (a stack overflow); refused before libheif sees it */
	for (k = 0; k < 2; k++) {
		struct buf l = read_file_in("tests/fuzz/seeds/heif/", k ? "loop2.heic" : "loop.heic");

		CHECK(l.n > 0);
		CHECK_EQ_INT(dec(&l, l.n, &im, &info), AD_EFORMAT);
		free(l.p);
	}
	/* and a grid whose descriptor claims 24949x30828 pixels behind a 78x43 handle:
	 * libheif would allocate 2.3 GB for it; refused from the descriptor; and a damaged
	 * AV1 item that dav1d refuses (libheif's plugin leaks dav1d's buffer for it:
	 * tests/lsan.supp): an error, nothing more */
	for (k = 0; k < 2; k++) {
		struct buf g = read_file_in("tests/fuzz/seeds/heif/", k ? "dav1d-leak.avif" :
		    "grid-bomb.heic");
		struct img_decode_opts go = { 64, 100000000ULL, 0 };
		aderr e = {0};
		int rc;

		CHECK(g.n > 0);
		im = NULL;
		rc = img_decode(g.p, g.n, &go, &im, &info, &e);
		if (k == 0) {
			CHECK_EQ_INT(rc, AD_ETOOBIG);
			CHECK(strstr(e.msg, "24949x30828") != NULL);
		} else {
			CHECK(rc < 0 && e.msg[0] != '\0');
		}
		CHECK(im == NULL);
		free(g.p);
	}
	/* and an item whose extent claims 16 MB from 3 GB past the end of a 1193-byte file:
	 * libheif 1.15 allocated 2.3 GB for it (the fuzzer's find); refused from the iloc box
	 * first, as a file cut short; the other seeds' extents all lie inside them */
	{
		struct buf g = read_file_in("tests/fuzz/seeds/heif/", "extent-bomb.heic");
		struct img_decode_opts go = { 64, 100000000ULL, 0 };
		static const char *const whole[] = { "grid-bomb.heic", "loop.heic", "loop2.heic",
			"dav1d-leak.avif" };
		aderr e = {0};

		CHECK(g.n > 0);
		CHECK_EQ_INT(bmff_extents_ok(g.p, g.n), -1);
		im = NULL;
		CHECK_EQ_INT(img_decode(g.p, g.n, &go, &im, &info, &e), AD_ETRUNC);
		CHECK(im == NULL);
		free(g.p);
		for (k = 0; k < 4; k++) {
			struct buf w = read_file_in("tests/fuzz/seeds/heif/", whole[k]);

			CHECK(w.n > 0 && bmff_extents_ok(w.p, w.n) == 0);
			free(w.p);
		}
	}
	/* the same files with their meta box's size written in 64 bits (a largesize box:
	 * size 1, then the size in the 8 bytes after the type), which libheif reads as
	 * well: the checks found no references and no grid in them, reading the box's
	 * contents 8 bytes early, and let the loops and the bomb through */
	for (k = 0; k < 3; k++) {
		struct buf g = read_file_in("tests/fuzz/seeds/heif/", k == 0 ? "grid-bomb.heic" :
		    k == 1 ? "loop.heic" : "loop2.heic");
		struct buf w = {0};
		struct img_decode_opts go = { 64, 100000000ULL, 0 };
		size_t pos = 0;
		aderr e = {0};
		int rc, widened = 0;

		CHECK(g.n > 0);
		while (g.n - pos >= 8) {
			size_t sz = (size_t)g.p[pos] << 24 | (size_t)g.p[pos + 1] << 16 |
			    (size_t)g.p[pos + 2] << 8 | g.p[pos + 3];

			if (sz < 8 || sz > g.n - pos)
				break;
			if (memcmp(g.p + pos + 4, "meta", 4) == 0) {
				unsigned char h[16] = { 0, 0, 0, 1, 'm', 'e', 't', 'a' };

				for (int i = 0; i < 8; i++)
					h[8 + i] = (unsigned char)((uint64_t)(sz + 8) >> (56 - 8 * i));
				buf_add(&w, g.p, pos);
				buf_add(&w, h, sizeof h);
				buf_add(&w, g.p + pos + 8, g.n - pos - 8);
				widened = 1;
				break;
			}
			pos += sz;
		}
		CHECK(widened);
		if (widened) {
			im = NULL;
			rc = img_decode(w.p, w.n, &go, &im, &info, &e);
			CHECK_EQ_INT(rc, k == 0 ? AD_ETOOBIG : AD_EFORMAT);
			if (k == 0)
				CHECK(strstr(e.msg, "24949x30828") != NULL);
			CHECK(im == NULL);
			img_free(im);
		}
		free(w.p);
		free(g.p);
	}
	free(png.p);
	img_free(a);
	img_free(small);
}

/* ---- BMP: the files tests/fuzz/seeds/bmp/make-bmp.py made (PIL's writer, and by
 * hand what PIL cannot write), each against the PNG of its picture ---- */

/* The largest difference of any sample, or -1 when the sizes differ. */
static int img_diff(const struct img *a, const struct img *b)
{
	size_t i, n;
	int d = 0;

	if (a == NULL || b == NULL || a->w != b->w || a->h != b->h || a->ch != b->ch)
		return -1;
	n = (size_t)a->w * (size_t)a->h * (size_t)a->ch;
	for (i = 0; i < n; i++)
		if (abs(a->px[i] - b->px[i]) > d)
			d = abs(a->px[i] - b->px[i]);
	return d;
}

/* A BMP made of a 14-byte file header and a 40-byte BITMAPINFOHEADER, nothing else. */
static void bmp_header(unsigned char h[54], int32_t w, int32_t ht, int bpp, uint32_t comp)
{
	uint32_t v[4] = { 54, (uint32_t)w, (uint32_t)ht, comp };
	static const int at[4] = { 10, 18, 22, 30 };

	memset(h, 0, 54);
	h[0] = 'B';
	h[1] = 'M';
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 4; i++)
			h[at[k] + i] = (unsigned char)(v[k] >> 8 * i);
	h[14] = 40;
	h[26] = 1;
	h[28] = (unsigned char)bpp;
}

static int bmp_dec(const unsigned char *p, size_t n, unsigned long long max, aderr *e)
{
	struct img_decode_opts o = { 0, max, 1 };
	struct img_info info;
	struct img *im = NULL;
	int rc = img_decode(p, n, &o, &im, &info, e);

	if (rc < 0 && im != NULL)
		rc = 1;
	img_free(im);
	return rc;
}

static void test_bmp(void)
{
	static const struct { const char *bmp, *png; int tol; } pairs[] = {
		{ "rgb24.bmp", "ref.png", 0 },                  /* PIL */
		{ "rgb24-topdown.bmp", "ref.png", 0 },          /* V4 header */
		{ "rgb32.bmp", "ref.png", 0 },                  /* fourth byte not alpha */
		{ "rgb32-zero-alpha.bmp", "ref.png", 0 },       /* V3, alpha all 0 */
		{ "rgba-v5.bmp", "rgba.png", 0 },
		{ "rgba-alphabitfields.bmp", "rgba.png", 0 },
		{ "rgb565.bmp", "ref.png", 8 },                 /* 5 bits of 8: truncated */
		{ "rgb555.bmp", "ref.png", 8 },
		{ "gray8.bmp", "gray.png", 0 },                 /* PIL */
		{ "bw1.bmp", "bw.png", 0 },                     /* PIL */
		{ "pal8.bmp", "pal16.png", 0 },                 /* PIL */
		{ "pal4.bmp", "pal16.png", 0 },
		{ "rle8.bmp", "pal16.png", 0 },
		{ "rle4.bmp", "pal16.png", 0 },
		{ "core4.bmp", "pal16.png", 0 },                /* OS/2 12-byte header */
		{ "rle8-escapes.bmp", "rle8-escapes.png", 0 },
		{ "pal8-short.bmp", "pal8-short.png", 0 },
	};
	struct img_decode_opts o = { 0, 100000000ULL, 1 };
	struct img_info info, pinfo;
	struct img *im = NULL, *ref = NULL, *td = NULL;
	struct feat fb, fp;
	struct feat_opts fo;
	unsigned char h[54 + 64];
	aderr err = {0};
	size_t k, cut;
	int color, rc, bad = 0;

	for (k = 0; k < sizeof pairs / sizeof *pairs; k++) {
		struct buf b = read_fixture(pairs[k].bmp), p = read_fixture(pairs[k].png);

		CHECK(b.n > 0 && p.n > 0);
		for (color = 0; color < 2 && b.n > 0 && p.n > 0; color++) {
			int d;

			o.color = color;
			rc = img_decode(b.p, b.n, &o, &im, &info, &err);
			if (rc < 0)
				fprintf(stderr, "%s: %s\n", pairs[k].bmp, err.msg);
			CHECK_EQ_INT(rc, 0);
			CHECK_EQ_INT(img_decode(p.p, p.n, &o, &ref, &pinfo, &err), 0);
			CHECK_EQ_INT(info.format, IMG_BMP);
			CHECK_EQ_INT(info.width, pinfo.width);
			CHECK_EQ_INT(info.height, pinfo.height);
			d = img_diff(im, ref);
			if (d < 0 || d > pairs[k].tol)
				fprintf(stderr, "%s (%s): differs from %s by %d\n", pairs[k].bmp,
				    color ? "rgb" : "gray", pairs[k].png, d);
			CHECK(d >= 0 && d <= pairs[k].tol);
			img_free(ref);
			ref = NULL;
			img_free(im);
			im = NULL;
		}
		/* every cut of the file is an error (but the last row's padding) */
		for (cut = 0; cut + 4 <= b.n; cut++) {
			rc = bmp_dec(b.p, cut, 100000000ULL, &err);
			if (rc != (cut == 0 ? AD_EEMPTY : cut < 14 ? AD_ENOTIMG : AD_ETRUNC)) {
				if (bad++ < 5)
					fprintf(stderr, "%s cut to %zu bytes: %d (%s)\n", pairs[k].bmp, cut,
					    rc, err.msg);
			}
		}
		free(b.p);
		free(p.p);
	}
	CHECK_EQ_INT(bad, 0);

	/* top-down rows are the bottom-up picture */
	{
		struct buf a = read_fixture("rgb24.bmp"), b = read_fixture("rgb24-topdown.bmp");

		o.color = 1;
		CHECK_EQ_INT(img_decode(a.p, a.n, &o, &im, &info, &err), 0);
		CHECK_EQ_INT(img_decode(b.p, b.n, &o, &td, &info, &err), 0);
		CHECK_EQ_INT(img_diff(im, td), 0);
		CHECK_EQ_INT(info.width, 37);
		CHECK_EQ_INT(info.height, 23);
		img_free(im);
		img_free(td);
		im = td = NULL;
		/* featx sees the PNG's picture: the same hashes */
		{
			struct buf p = read_fixture("ref.png");

			CHECK_EQ_INT(feat_of(&a, &fb, &err), 0);
			CHECK_EQ_INT(feat_of(&p, &fp, &err), 0);
			CHECK_STR(fb.format, "bmp");
			CHECK_EQ_INT(fb.width, 37);
			CHECK(fb.phash == fp.phash && fb.dhash == fp.dhash && fb.whash == fp.whash);
			free(p.p);
		}
		free(a.p);
		free(b.p);
	}
	/* and a photo-sized one, written here */
	{
		struct img *a = scene(640, 480, 3);
		struct buf b = enc_bmp(a), p = enc_png(a, P_RGB8);

		CHECK_EQ_INT(feat_of(&b, &fb, &err), 0);
		CHECK_EQ_INT(feat_of(&p, &fp, &err), 0);
		CHECK_EQ_INT(fb.width, 640);
		CHECK_EQ_INT(fb.height, 480);
		CHECK(fb.phash == fp.phash && fb.dhash == fp.dhash && fb.whash == fp.whash);
		free(b.p);
		free(p.p);
		img_free(a);
	}

	/* a header claiming 100000x100000: refused by the limit, before any allocation */
	hash_opts(&fo);
	bmp_header(h, 100000, 100000, 24, 0);
	CHECK_EQ_INT(feat_buffer(h, 54, &fo, &fb, &err), AD_ETOOBIG);
	CHECK_STR(err.msg, "too large: 100000x100000 pixels is over the 100000000 limit "
	    "(--max-pixels)");
	bmp_header(h, 100000, -100000, 8, 1);   /* RLE8, top-down */
	CHECK_EQ_INT(bmp_dec(h, 54, 100000000ULL, &err), AD_ETOOBIG);
	/* with no limit the missing pixel data is found before allocating 30 GB */
	bmp_header(h, 100000, 100000, 24, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_ETRUNC);
	bmp_header(h, 0x7fffffff, -0x7fffffff, 32, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_ETRUNC);

	/* refused as unsupported, naming what */
	bmp_header(h, 16, 16, 0, 4);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EUNSUP);
	CHECK_STR(err.msg, "unsupported: BMP with embedded JPEG data");
	bmp_header(h, 16, 16, 0, 5);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EUNSUP);
	CHECK_STR(err.msg, "unsupported: BMP with embedded PNG data");
	bmp_header(h, 16, 16, 32, 11);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EUNSUP);
	bmp_header(h, 16, 16, 2, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EUNSUP);
	CHECK_STR(err.msg, "unsupported: 2-bit BMP");
	bmp_header(h, 16, 16, 24, 0);
	h[14] = 64;
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EUNSUP);

	/* nonsense is corrupt */
	bmp_header(h, 16, 16, 24, 0);
	h[14] = 41;
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, 16, 16, 4, 1);            /* RLE8 at 4 bits */
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, 16, 16, 24, 3);           /* bit fields at 24 bits */
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, 0, 16, 24, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, -16, 16, 24, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, 16, 0, 24, 0);
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	bmp_header(h, 16, 16, 24, 0);
	h[10] = 20;                             /* pixels inside the header */
	CHECK_EQ_INT(bmp_dec(h, 54, 0, &err), AD_EFORMAT);
	/* 1x1 16-bit with a red mask that is not one run of bits, then a good one */
	bmp_header(h, 1, 1, 16, 3);
	h[10] = 54 + 12;
	memcpy(h + 54, "\x0f\xf0\0\0" "\xe0\x07\0\0" "\x1f\0\0\0" "\xff\xff", 14);
	CHECK_EQ_INT(bmp_dec(h, 68, 0, &err), AD_EFORMAT);
	h[54] = 0;
	h[55] = 0xf8;
	CHECK_EQ_INT(bmp_dec(h, 68, 0, &err), 0);
	/* RLE data without its end of bitmap is cut short */
	bmp_header(h, 4, 1, 8, 1);
	h[10] = 54 + 8;                         /* a 2-colour palette */
	memset(h + 54, 0, 8);
	memcpy(h + 62, "\x04\x01\x00\x00", 4);  /* four of 1, end of line */
	CHECK_EQ_INT(bmp_dec(h, 66, 0, &err), AD_ETRUNC);
	CHECK_STR(err.msg, "truncated: BMP data ends early");
	memcpy(h + 66, "\x00\x01", 2);
	CHECK_EQ_INT(bmp_dec(h, 68, 0, &err), 0);
}

/* ---- streaming shrink: img_resizer against img_resize, PNG and BMP decoded row by row
 * against the full decode shrunk afterwards (the old way), and the memory it saves ---- */

static struct img *noise(int w, int h, int ch, unsigned seed)
{
	struct img *im = img_new(w, h, ch);
	size_t i, n = (size_t)w * (size_t)h * (size_t)ch;
	unsigned r = seed * 2654435761u + 7;

	if (im == NULL)
		abort();
	for (i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		im->px[i] = (unsigned char)(r >> 16);
	}
	return im;
}

static int same_img(const struct img *a, const struct img *b)
{
	return a != NULL && b != NULL && a->w == b->w && a->h == b->h && a->ch == b->ch &&
	    memcmp(a->px, b->px, (size_t)a->w * (size_t)a->h * (size_t)a->ch) == 0;
}

/* src pushed row by row gives img_resize's bytes; one push too many is refused. */
static int stream_same(const struct img *src, int w, int h)
{
	struct img *ref = img_resize(src, w, h), *got;
	struct img_resizer *rs = img_resizer_new(src->w, src->h, src->ch, w, h);
	size_t rowlen = (size_t)src->w * (size_t)src->ch;
	int y, ok = ref != NULL && rs != NULL;

	for (y = 0; ok && y < src->h; y++)
		ok = img_resizer_push(rs, src->px + (size_t)y * rowlen) == 0;
	ok = ok && img_resizer_push(rs, src->px) == -1;
	got = img_resizer_finish(rs);
	ok = ok && same_img(ref, got);
	if (!ok)
		fprintf(stderr, "stream %dx%dx%d -> %dx%d differs from img_resize\n", src->w,
		    src->h, src->ch, w, h);
	img_free(ref);
	img_free(got);
	return ok;
}

static void test_resizer(void)
{
	static const int size[][2] = { { 640, 480 }, { 1000, 3000 }, { 4097, 2049 },
		{ 333, 777 }, { 1001, 999 }, { 641, 641 }, { 9, 5 }, { 1, 700 }, { 700, 1 } };
	struct img_resizer *rs;
	struct img *src;
	int i, ch, sw, sh;

	for (i = 0; i < (int)(sizeof size / sizeof size[0]); i++) {
		int w = size[i][0], h = size[i][1], small = (long)w * h < 1000000;

		for (ch = 1; ch <= 4; ch++) {
			if (!small && ch != 1 && ch != 3)
				continue;
			src = noise(w, h, ch, (unsigned)(i * 4 + ch));
			if (img_working_size(w, h, FEAT_WORK_SIDE, &sw, &sh))
				CHECK(stream_same(src, sw, sh));
			CHECK(stream_same(src, w / 3 + 1, h / 7 + 1));
			CHECK(stream_same(src, w > 1 ? w - 1 : 1, h > 1 ? h - 1 : 1));
			CHECK(stream_same(src, w, (h + 1) / 2));        /* one axis only */
			CHECK(stream_same(src, w, h));
			if (small) {
				CHECK(stream_same(src, 2 * w + 1, h * 3 / 2 + 1));      /* grows */
				CHECK(stream_same(src, w / 2 + 1, 3 * h));
			}
			img_free(src);
		}
	}
	CHECK_EQ_INT(img_working_size(640, 480, 320, &sw, &sh), 0);
	CHECK_EQ_INT(img_working_size(1281, 641, 320, &sw, &sh), 1);
	CHECK(sw == 640 && sh == 320);
	/* rows missing: no image */
	rs = img_resizer_new(100, 50, 1, 10, 5);
	src = noise(100, 50, 1, 1);
	CHECK(rs != NULL);
	for (i = 0; rs != NULL && i < 49; i++)
		CHECK_EQ_INT(img_resizer_push(rs, src->px + (size_t)i * 100), 0);
	CHECK(img_resizer_finish(rs) == NULL);
	img_free(src);
	CHECK(img_resizer_new(0, 5, 1, 1, 1) == NULL);
	CHECK(img_resizer_new(5, 5, 5, 1, 1) == NULL);
}

/* A PNG with an eXIf chunk (big-endian TIFF, orientation o) after its IHDR. */
static struct buf png_with_exif(const struct buf *png, int o)
{
	unsigned char c[12 + 26] = { 0, 0, 0, 26, 'e', 'X', 'I', 'f', 'M', 'M', 0, 42, 0, 0, 0, 8,
		0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = {0};
	uLong crc;

	c[8 + 8 + 2 + 9] = (unsigned char)o;
	crc = crc32(0L, c + 4, 4 + 26);
	for (int i = 0; i < 4; i++)
		c[8 + 26 + i] = (unsigned char)(crc >> (24 - 8 * i));
	buf_add(&b, png->p, 8 + 25);
	buf_add(&b, c, sizeof c);
	buf_add(&b, png->p + 8 + 25, png->n - 8 - 25);
	return b;
}

/* Decoded at FEAT_WORK_SIDE: exactly the full decode shrunk by img_resize (then turned
 * by its orientation), with the full picture's size in info. */
static void check_shrunk(const struct buf *b, int color, int orientation, const char *what)
{
	struct img_decode_opts full_o = { 0, 0, color }, o = { FEAT_WORK_SIDE, 0, color };
	struct img_info fi, info;
	struct img *full = NULL, *im = NULL, *ref = NULL, *t;
	aderr err = {0};
	int sw, sh, ok;

	CHECK_EQ_INT(img_decode(b->p, b->n, &full_o, &full, &fi, &err), 0);
	CHECK_EQ_INT(img_decode(b->p, b->n, &o, &im, &info, &err), 0);
	if (full == NULL || im == NULL) {
		img_free(full);
		img_free(im);
		return;
	}
	/* the full decode is already turned: undo that to shrink the stored picture */
	t = orientation == 6 ? img_orient(full, 8) : orientation == 8 ? img_orient(full, 6) :
	    img_orient(full, orientation);
	if (img_working_size(t->w, t->h, FEAT_WORK_SIDE, &sw, &sh)) {
		ref = img_resize(t, sw, sh);
		img_free(t);
		t = ref;
	}
	ref = img_orient(t, orientation);
	img_free(t);
	ok = same_img(ref, im);
	if (!ok)
		fprintf(stderr, "%s (color %d): streamed decode differs\n", what, color);
	CHECK(ok);
	CHECK_EQ_INT(info.orientation, orientation);
	CHECK_EQ_INT(info.width, fi.width);
	CHECK_EQ_INT(info.height, fi.height);
	CHECK_EQ_INT(im->ch, color ? 3 : 1);
	img_free(ref);
	img_free(full);
	img_free(im);
}

/* A 24-bit BMP stored top down: enc_bmp's rows in reverse, height negative. */
static struct buf bmp_topdown(const struct buf *bu, int h)
{
	struct buf b = {0};
	size_t stride = (bu->n - 54) / (size_t)h;
	uint32_t nh = (uint32_t)-h;
	int y;

	buf_add(&b, bu->p, 54);
	for (y = 0; y < 4; y++)
		b.p[22 + y] = (unsigned char)(nh >> 8 * y);
	for (y = h - 1; y >= 0; y--)
		buf_add(&b, bu->p + 54 + (size_t)y * stride, stride);
	return b;
}

static void test_stream_decode(void)
{
	static const int kinds[] = { P_RGB8, P_GRAY, P_RGBA, P_PALETTE, P_RGB16, P_INTERLACED };
	static const char *const what[] = { "png8", "png-gray", "rgba", "palette", "png16",
		"interlaced" };
	static const int size[][2] = { { 1203, 901 }, { 700, 1401 }, { 641, 1000 } };
	struct img *a;
	struct buf b, e, t;
	int i, k, color, o;

	for (i = 0; i < 3; i++) {
		a = scene(size[i][0], size[i][1], (unsigned)i + 3);
		for (k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++) {
			b = enc_png(a, kinds[k]);
			for (color = 0; color <= 1; color++)
				check_shrunk(&b, color, 1, what[k]);
			free(b.p);
		}
		b = enc_png(a, P_RGB8);
		for (o = 2; o <= 8; o += 2) {   /* 2 mirror, 4 flip, 6 and 8 turn */
			e = png_with_exif(&b, o);
			check_shrunk(&e, 1, o, "png8+exif");
			free(e.p);
		}
		free(b.p);
		b = enc_bmp(a);
		t = bmp_topdown(&b, a->h);
		for (color = 0; color <= 1; color++) {
			check_shrunk(&b, color, 1, "bmp bottom-up");
			check_shrunk(&t, color, 1, "bmp top-down");
		}
		free(b.p);
		free(t.p);
		img_free(a);
	}
}

static long max_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* A 6000x4000 gray PNG decoded for features (RGB at the working size) must never hold
 * the full image: that alone would be 72 MB at three channels.  Runs first, while the
 * process's peak is still small, so that the peak's growth is the decode's. */
static void test_png_memory(void)
{
	enum { W = 6000, H = 4000 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop pi = png_create_info_struct(png);
	struct img_decode_opts o = { FEAT_WORK_SIDE, 0, 1 };
	struct img_info info;
	struct img *im = NULL;
	struct buf b = {0};
	unsigned char *row = malloc(W);
	aderr err = {0};
	long before, after;
	int x, y;

	if (row == NULL || setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &b, png_write_mem, png_flush_mem);
	png_set_IHDR(png, pi, W, H, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, pi);
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++)
			row[x] = (unsigned char)((x / 40 ^ y / 40) * 16 + (x + y) / 100);
		png_write_row(png, row);
	}
	png_write_end(png, pi);
	png_destroy_write_struct(&png, &pi);
	free(row);
	before = max_rss_kb();
	CHECK_EQ_INT(img_decode(b.p, b.n, &o, &im, &info, &err), 0);
	after = max_rss_kb();
	CHECK(before > 0 && after - before < 20 * 1024);
	if (after - before >= 20 * 1024)
		fprintf(stderr, "decoding a %dx%d PNG grew the peak by %ld KB\n", W, H,
		    after - before);
	CHECK(im != NULL && im->w == 480 && im->h == 320 && im->ch == 3);
	CHECK_EQ_INT(info.width, W);
	CHECK_EQ_INT(info.height, H);
	img_free(im);
	free(b.p);
}

static int gif_write_mem(GifFileType *g, const GifByteType *data, int n)
{
	buf_add(g->UserData, data, (size_t)n);
	return n;
}

/* GIF frames that leave the logical screen.  A frame's own size counts against the pixel
 * limit (a 111-byte file that libFuzzer found names a 64507 x 64507 interlaced frame on
 * a 1999 x 1999 screen; the decoder asked for 4 GB to hold its rows), and an interlaced
 * frame that runs past the screen's bottom keeps only the rows that land on it. */
static void test_gif_frames(void)
{
	static const unsigned char bytes[] = {
		0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0xcf, 0x07, 0xcf, 0x07, 0x80, 0x00,
		0x00, 0xc8, 0x1e, 0x1e, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfe, 0x03, 0x04, 0x04, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb, 0xfb,
		0xfb, 0xfb, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44,
		0x01, 0x00, 0x3b,
	};
	struct img_decode_opts o = { 64, 0, 1 };
	struct img_info info;
	struct img *im = NULL;
	aderr err = {0};

	CHECK_EQ_INT((int)sizeof bytes, 111);
	o.max_pixels = 4000000;
	CHECK_EQ_INT(img_decode(bytes, sizeof bytes, &o, &im, &info, &err), AD_ETOOBIG);
	CHECK(im == NULL);
	CHECK(strstr(err.msg, "64507x64507") != NULL);

	/* a 16 x 16 screen, an interlaced 16 x 40 frame from row 8: its rows 0-7 show */
	{
		struct buf b = {0};
		GifColorType cols[2] = { { 0, 0, 0 }, { 255, 255, 255 } };
		ColorMapObject *cm = GifMakeMapObject(2, cols);
		int e = 0;
		GifFileType *g = EGifOpen(&b, gif_write_mem, &e);
		GifByteType line[16];

		if (g == NULL || cm == NULL)
			abort();
		EGifSetGifVersion(g, true);
		CHECK_EQ_INT(EGifPutScreenDesc(g, 16, 16, 1, 1, cm), GIF_OK);
		CHECK_EQ_INT(EGifPutImageDesc(g, 0, 8, 16, 40, true, NULL), GIF_OK);
		/* interlaced: lines go in pass order; every frame row is black */
		memset(line, 0, sizeof line);
		for (int p = 0; p < 4; p++)
			for (int y = (int[]){ 0, 4, 2, 1 }[p]; y < 40; y += (int[]){ 8, 8, 4, 2 }[p])
				CHECK_EQ_INT(EGifPutLine(g, line, 16), GIF_OK);
		CHECK_EQ_INT(EGifCloseFile(g, &e), GIF_OK);
		GifFreeMapObject(cm);
		o.max_pixels = 0;
		o.min_side = 0;
		CHECK_EQ_INT(img_decode(b.p, b.n, &o, &im, &info, &err), 0);
		CHECK(im != NULL && im->w == 16 && im->h == 16);
		if (im != NULL && im->w == 16 && im->h == 16) {
			/* rows 0-7 the white background (index 1), rows 8-15 the black frame */
			CHECK_EQ_INT(im->px[(size_t)(0 * 16 + 3) * (size_t)im->ch], 255);
			CHECK_EQ_INT(im->px[(size_t)(7 * 16 + 3) * (size_t)im->ch], 255);
			CHECK_EQ_INT(im->px[(size_t)(8 * 16 + 3) * (size_t)im->ch], 0);
			CHECK_EQ_INT(im->px[(size_t)(15 * 16 + 3) * (size_t)im->ch], 0);
		}
		img_free(im);
		im = NULL;
		free(b.p);
	}
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_png_memory();      /* first: it reads the process's peak memory */
	test_resizer();
	test_stream_decode();
	test_formats_agree();
	test_orientation();
	test_exif_parse();
	test_errors();
	test_heif();
	test_bmp();
	test_gif_frames();
	test_damage();
	test_photos();
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_done();
}
