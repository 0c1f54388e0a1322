/* test_membudget.c — the shared decode memory budget: sizes, refusals, threads that
 * grow and shrink their holds never taking more than the whole between them, and the
 * decoders' ways of doing with less (decode.h): a TIFF stored as one strip read a row at
 * a time gives the same bytes, an interlaced PNG from its first passes nearly the same,
 * an animated WebP's canvas and a GIF's screen composed a row at a time, a WebP frame too
 * big for the budget scaled while it decodes. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <png.h>
#include <tiffio.h>
#include <webp/encode.h>

#include "decode.h"
#include "hash.h"
#include "membudget.h"
#include "splitmix.h"
#include "unit.h"

static void test_parse(void)
{
	size_t v = 0;

	CHECK_EQ_INT(membudget_parse_size("512M", &v), 0);
	CHECK_EQ_INT(v, (size_t)512 << 20);
	CHECK_EQ_INT(membudget_parse_size("2g", &v), 0);
	CHECK_EQ_INT(v, (size_t)2 << 30);
	CHECK_EQ_INT(membudget_parse_size("64KiB", &v), 0);
	CHECK_EQ_INT(v, (size_t)64 << 10);
	CHECK_EQ_INT(membudget_parse_size("1MB", &v), 0);
	CHECK_EQ_INT(v, (size_t)1 << 20);
	CHECK_EQ_INT(membudget_parse_size("1048576", &v), 0);
	CHECK_EQ_INT(v, (size_t)1 << 20);
	CHECK_EQ_INT(membudget_parse_size("0", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("M", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("-1G", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("12Q", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("1.5G", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("99999999999999999999", &v), -1);
	CHECK_EQ_INT(membudget_parse_size("17179869184T", &v), -1);
}

static void test_refuse(void)
{
	struct membudget *b = membudget_new(1000);
	struct mb_hold h = { b, 0, 0 };
	aderr err = {0};

	CHECK(b != NULL);
	CHECK_EQ_INT(membudget_total(b), 1000);
	CHECK_EQ_INT(membudget_hold(&h, 400, &err), 0);
	CHECK_EQ_INT(h.held, 400);
	/* more than the whole: refused at once, what was held is kept */
	CHECK_EQ_INT(membudget_hold(&h, 1001, &err), AD_ETOOBIG);
	CHECK_EQ_INT(err.code, AD_ETOOBIG);
	CHECK(strstr(err.msg, "--max-memory") != NULL);
	CHECK_EQ_INT(h.held, 400);
	/* growing to exactly the whole, then shrinking */
	CHECK_EQ_INT(membudget_hold(&h, 1000, &err), 0);
	CHECK_EQ_INT(membudget_hold(&h, 10, &err), 0);
	CHECK_EQ_INT(h.held, 10);
	membudget_release(&h);
	CHECK_EQ_INT(h.held, 0);
	CHECK_EQ_INT(membudget_peak(b), 1000);
	membudget_free(b);
	/* no budget: everything is given */
	{
		struct mb_hold none = { NULL, 0, 0 };

		CHECK_EQ_INT(membudget_hold(&none, SIZE_MAX, &err), 0);
		membudget_release(&none);
	}
	CHECK(membudget_new(0) == NULL);
}

#define NT 8
#define ROUNDS 2000
#define TOTAL 1000

/* what the workers say they hold, summed apart from the budget's own count */
static size_t in_use;
static int over;

struct worker {
	struct membudget *b;
	uint64_t seed;
	int fails;
};

/* holds that grow in two steps, as a file's bytes and then its decode do: with every
 * thread holding its first step and wanting more, only letting go while waiting keeps
 * them from waiting on each other for ever */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct mb_hold h = { w->b, 0, 0 };
	aderr err;

	for (int i = 0; i < ROUNDS; i++) {
		size_t first = (size_t)(splitmix64(&w->seed) % 300) + 1;
		size_t more = (size_t)(splitmix64(&w->seed) % 700);

		if (membudget_hold(&h, first, &err) < 0 || membudget_hold(&h, first + more, &err) < 0)
			w->fails++;
		if (h.held != first + more)
			w->fails++;
		if (__atomic_add_fetch(&in_use, h.held, __ATOMIC_SEQ_CST) > TOTAL)
			__atomic_store_n(&over, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&in_use, h.held, __ATOMIC_SEQ_CST);
		membudget_release(&h);
	}
	return NULL;
}

static void test_threads(void)
{
	struct membudget *b = membudget_new(TOTAL);
	struct worker w[NT];
	pthread_t t[NT];
	int i, fails = 0;

	for (i = 0; i < NT; i++) {
		w[i].b = b;
		w[i].seed = (uint64_t)i * 7919 + 1;
		w[i].fails = 0;
		CHECK_EQ_INT(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	CHECK_EQ_INT(fails, 0);
	CHECK_EQ_INT(over, 0);
	CHECK(membudget_peak(b) <= TOTAL);
	CHECK(membudget_peak(b) > TOTAL / 2);
	membudget_free(b);
}

/* ---- decoding within a budget ---- */

struct buf {
	unsigned char *p;
	size_t n;
};

static void put(struct buf *b, const void *d, size_t n)
{
	unsigned char *q = realloc(b->p, b->n + n);

	if (q == NULL)
		abort();
	memcpy(q + b->n, d, n);
	b->p = q;
	b->n += n;
}

static void le(struct buf *b, uint32_t v, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(v >> (8 * i));

		put(b, &c, 1);
	}
}

/* A photo brought to w x h RGB: detail from a real picture, any size. */
static struct img *photo(int w, int h)
{
	struct img_decode_opts o = { 0, 0, 1 };
	struct img_info info;
	struct img *im = NULL, *big;
	unsigned char *data;
	FILE *fp = fopen("examples/photos/astronaut.jpg", "rb");
	long n;
	aderr err;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0)
		abort();
	rewind(fp);
	data = malloc((size_t)n);
	if (data == NULL || fread(data, 1, (size_t)n, fp) != (size_t)n)
		abort();
	fclose(fp);
	if (img_decode(data, (size_t)n, &o, &im, &info, &err) < 0)
		abort();
	free(data);
	big = img_resize(im, w, h);
	img_free(im);
	return big;
}

static void png_put(png_structp png, png_bytep d, size_t n)
{
	put(png_get_io_ptr(png), d, n);
}

static void png_nop(png_structp png)
{
	(void)png;
}

static struct buf png_adam7(const struct img *im)
{
	struct buf b = { NULL, 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop pi = png_create_info_struct(png);
	int passes;

	png_set_write_fn(png, &b, png_put, png_nop);
	png_set_IHDR(png, pi, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, pi);
	passes = png_set_interlace_handling(png);
	for (int p = 0; p < passes; p++)
		for (int y = 0; y < im->h; y++)
			png_write_row(png, im->px + (size_t)y * (size_t)im->w * 3);
	png_write_end(png, pi);
	png_destroy_write_struct(&png, &pi);
	return b;
}

/* img_decode_held on a budget of total bytes: the code, the image in *im */
static int held(const struct buf *b, size_t total, int min_side, struct img **im)
{
	struct img_decode_opts o = { min_side, 0, 1 };
	struct membudget *mb = membudget_new(total);
	struct mb_hold h = { mb, 0, 0 };
	struct img_info info;
	aderr err = {0};
	int rc;

	*im = NULL;
	rc = img_decode_held(b->p, b->n, &o, &h, im, &info, &err);
	CHECK_EQ_INT(h.held, 0);        /* given back */
	CHECK(membudget_peak(mb) <= total);
	membudget_free(mb);
	return rc;
}

static int same(const struct img *a, const struct img *b)
{
	return a != NULL && b != NULL && a->w == b->w && a->h == b->h && a->ch == b->ch &&
	    memcmp(a->px, b->px, (size_t)a->w * (size_t)a->h * (size_t)a->ch) == 0;
}

static int phash_bits(const struct img *a, const struct img *b)
{
	struct img *ga = img_to_gray(a), *gb = img_to_gray(b);
	uint64_t ha = 0, hb = 0;

	hash_phash(ga, &ha);
	hash_phash(gb, &hb);
	img_free(ga);
	img_free(gb);
	return __builtin_popcountll(ha ^ hb);
}

static void test_png_passes(void)
{
	struct img *src = photo(1536, 1152), *full = NULL, *part = NULL;
	struct buf b = png_adam7(src);
	double diff = 0;

	CHECK_EQ_INT(held(&b, (size_t)1 << 30, 320, &full), 0);
	/* 1536 x 1152 x 6 bytes do not fit in 8 MiB: every second pixel does */
	CHECK_EQ_INT(held(&b, (size_t)8 << 20, 320, &part), 0);
	if (full != NULL && part != NULL && full->w == part->w && full->h == part->h) {
		for (size_t i = 0; i < (size_t)full->w * full->h * 3; i++)
			diff += abs(full->px[i] - part->px[i]);
		diff /= (double)full->w * full->h * 3;
		printf("interlaced PNG from passes 1-5: mean difference %.2f, phash %d bits\n", diff,
		    phash_bits(full, part));
		CHECK(diff < 3);
		CHECK(phash_bits(full, part) <= 4);
		CHECK(!same(full, part));
	} else {
		CHECK(!"reduced decode has the full decode's size");
	}
	img_free(part);
	/* nor every eighth pixel with its working image in 1 MiB: refused */
	CHECK_EQ_INT(held(&b, (size_t)1 << 20, 320, &part), AD_ETOOBIG);
	CHECK(part == NULL);
	/* a budget it fits in: the same bytes as without one */
	CHECK_EQ_INT(held(&b, (size_t)64 << 20, 320, &part), 0);
	CHECK(same(full, part));
	img_free(part);
	img_free(full);
	img_free(src);
	free(b.p);
}

static void test_tiff_scanlines(void)
{
	struct img *src = photo(1500, 1100), *full = NULL, *part = NULL;
	char path[] = "/tmp/azd-mb.XXXXXX";
	int fd = mkstemp(path);
	TIFF *t = fd >= 0 ? TIFFFdOpen(fd, path, "w") : NULL;
	struct buf b = { NULL, 0 };
	FILE *fp;
	char chunk[65536];
	size_t n;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)src->w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)src->h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
	TIFFSetField(t, TIFFTAG_PREDICTOR, 2);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)src->h);       /* one strip */
	TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPRIGHT);     /* mirrored */
	for (int y = 0; y < src->h; y++)
		TIFFWriteScanline(t, src->px + (size_t)y * (size_t)src->w * 3, (uint32_t)y, 0);
	TIFFClose(t);
	fp = fopen(path, "rb");
	while (fp != NULL && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		put(&b, chunk, n);
	if (fp != NULL)
		fclose(fp);
	unlink(path);
	CHECK_EQ_INT(held(&b, (size_t)1 << 30, 320, &full), 0);
	/* the RGBA reader would unpack the strip whole (over 10 MB): a row at a time */
	CHECK_EQ_INT(held(&b, b.n + ((size_t)4 << 20), 320, &part), 0);
	CHECK(same(full, part));
	img_free(part);
	CHECK_EQ_INT(held(&b, (size_t)1 << 20, 320, &part), AD_ETOOBIG);
	img_free(full);
	img_free(src);
	free(b.p);
}

/* RIFF WEBP, VP8X (animation), ANIM, one ANMF with the frame at (fx, fy) */
static struct buf webp_anim(int cw, int ch, int fx, int fy, const unsigned char *rgba, int fw,
    int fh, int lossy)
{
	struct buf b = { NULL, 0 }, body = { NULL, 0 }, fr = { NULL, 0 };
	uint8_t *ll = NULL;
	size_t n = lossy ? WebPEncodeRGBA(rgba, fw, fh, fw * 4, 80, &ll) :
	    WebPEncodeLosslessRGBA(rgba, fw, fh, fw * 4, &ll);

	/* the encoder's own RIFF: keep its VP8L or VP8 chunk */
	CHECK(n > 20 && (memcmp(ll + 12, "VP8L", 4) == 0 || memcmp(ll + 12, "VP8 ", 4) == 0));
	put(&fr, ll + 12, n - 12);
	WebPFree(ll);
	put(&body, "VP8X", 4);
	le(&body, 10, 4);
	le(&body, 0x12, 4);
	le(&body, (uint32_t)cw - 1, 3);
	le(&body, (uint32_t)ch - 1, 3);
	put(&body, "ANIM", 4);
	le(&body, 6, 4);
	le(&body, 0xffffffff, 4);
	le(&body, 0, 2);
	put(&body, "ANMF", 4);
	le(&body, (uint32_t)(16 + fr.n), 4);
	le(&body, (uint32_t)fx / 2, 3);
	le(&body, (uint32_t)fy / 2, 3);
	le(&body, (uint32_t)fw - 1, 3);
	le(&body, (uint32_t)fh - 1, 3);
	le(&body, 100, 3);
	le(&body, 0, 1);
	put(&body, fr.p, fr.n);
	if (fr.n & 1)
		le(&body, 0, 1);
	put(&b, "RIFF", 4);
	le(&b, (uint32_t)(4 + body.n), 4);
	put(&b, "WEBP", 4);
	put(&b, body.p, body.n);
	free(body.p);
	free(fr.p);
	return b;
}

static const unsigned char *px(const struct img *im, int x, int y)
{
	return im->px + ((size_t)y * (size_t)im->w + (size_t)x) * (size_t)im->ch;
}

static void test_canvas(void)
{
	/* a 2 x 2 frame, one pixel half transparent, at (20, 10) on a 64 x 48 canvas */
	unsigned char rgba[16] = { 200, 30, 30, 255, 30, 200, 30, 255, 30, 30, 200, 255,
		0, 0, 0, 128 };
	struct buf w = webp_anim(64, 48, 20, 10, rgba, 2, 2, 0);
	/* a GIF: a 64 x 48 screen, a 1 x 1 frame at (5, 7) of colour 0 */
	static const unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 64, 0, 48, 0, 0x80,
		0, 0, 200, 30, 30, 0, 0, 0, ',', 5, 0, 7, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0,
		';' };
	struct buf g = { NULL, 0 };
	struct img *im = NULL, *big = NULL;
	int white = 0;

	CHECK_EQ_INT(held(&w, (size_t)1 << 20, 0, &im), 0);
	if (im != NULL) {
		CHECK_EQ_INT(im->w, 64);
		CHECK_EQ_INT(im->h, 48);
		CHECK(memcmp(px(im, 20, 10), "\xc8\x1e\x1e", 3) == 0);
		CHECK(memcmp(px(im, 21, 10), "\x1e\xc8\x1e", 3) == 0);
		CHECK(memcmp(px(im, 20, 11), "\x1e\x1e\xc8", 3) == 0);
		CHECK(px(im, 21, 11)[0] == 127);        /* black at alpha 128 over white */
		for (int y = 0; y < 48; y++)
			for (int x = 0; x < 64; x++)
				white += (x < 20 || x > 21 || y < 10 || y > 11) &&
				    memcmp(px(im, x, y), "\xff\xff\xff", 3) == 0;
		CHECK_EQ_INT(white, 64 * 48 - 4);
	}
	img_free(im);
	put(&g, gif, sizeof gif);
	CHECK_EQ_INT(held(&g, (size_t)1 << 20, 0, &im), 0);
	if (im != NULL) {
		white = 0;
		CHECK(memcmp(px(im, 5, 7), "\xc8\x1e\x1e", 3) == 0);
		for (int y = 0; y < 48; y++)
			for (int x = 0; x < 64; x++)
				white += memcmp(px(im, x, y), "\xff\xff\xff", 3) == 0;
		CHECK_EQ_INT(white, 64 * 48 - 1);
	}
	img_free(im);
	/* the same screen 4000 x 3000: shrunk as it is composed, in 2 MiB (36 MB whole) */
	g.p[6] = 4000 & 255;
	g.p[7] = 4000 >> 8;
	g.p[8] = 3000 & 255;
	g.p[9] = 3000 >> 8;
	CHECK_EQ_INT(held(&g, (size_t)2 << 20, 320, &big), 0);
	CHECK(big != NULL && big->w == 427 && big->h == 320);
	img_free(big);
	free(g.p);
	free(w.p);
}

/* an animated WebP whose lossy first frame fills a canvas too big for the budget: scaled
 * while it decodes, close to the full decode */
static void test_webp_scaled(void)
{
	struct img *src = photo(1600, 1200), *full = NULL, *part = NULL;
	unsigned char *rgba = malloc((size_t)1600 * 1200 * 4);
	struct buf w;
	double diff = 0;

	if (rgba == NULL)
		abort();
	for (size_t i = 0; i < (size_t)1600 * 1200; i++) {
		memcpy(rgba + 4 * i, src->px + 3 * i, 3);
		rgba[4 * i + 3] = 255;
	}
	w = webp_anim(1600, 1200, 0, 0, rgba, 1600, 1200, 1);
	CHECK_EQ_INT(held(&w, (size_t)1 << 30, 320, &full), 0);
	CHECK_EQ_INT(held(&w, (size_t)4 << 20, 320, &part), 0);
	if (full != NULL && part != NULL && full->w == part->w && full->h == part->h) {
		for (size_t i = 0; i < (size_t)full->w * full->h * 3; i++)
			diff += abs(full->px[i] - part->px[i]);
		diff /= (double)full->w * full->h * 3;
		printf("animated WebP frame scaled while decoding: mean difference %.2f, phash %d "
		    "bits\n", diff, phash_bits(full, part));
		CHECK(diff < 4);
		CHECK(phash_bits(full, part) <= 4);
	} else {
		CHECK(!"scaled frame has the full decode's working size");
	}
	img_free(part);
	CHECK_EQ_INT(held(&w, (size_t)1 << 20, 320, &part), AD_ETOOBIG);
	img_free(full);
	img_free(src);
	free(rgba);
	free(w.p);
}

int main(void)
{
	test_parse();
	test_refuse();
	test_threads();
	test_png_passes();
	test_tiff_scanlines();
	test_canvas();
	test_webp_scaled();
	return unit_done();
}
