/* test_hash.c — hash recipes on hand-checkable images, hex form, Hamming distance,
 * and stability under rescaling. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "hash.h"
#include "image.h"
#include "unit.h"

/* A gray w x h image whose pixel is f(x, y). */
static struct img *gray_from(int w, int h, int (*f)(int x, int y, int w, int h))
{
	struct img *im = img_new(w, h, 1);
	int x, y;

	if (im != NULL)
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				im->px[y * w + x] = (unsigned char)f(x, y, w, h);
	return im;
}

static int step_lr(int x, int y, int w, int h)
{
	(void)y;
	(void)h;
	return x < w / 2 ? 50 : 200;
}

static int ramp_up(int x, int y, int w, int h)
{
	(void)y;
	(void)h;
	return 10 + 230 * x / (w - 1);
}

static int ramp_down(int x, int y, int w, int h)
{
	return 255 - ramp_up(x, y, w, h);
}

static int flat(int x, int y, int w, int h)
{
	(void)x;
	(void)y;
	(void)w;
	(void)h;
	return 128;
}

/* A natural-looking scene: smooth gradients, a disc, a bar and mild noise, laid out
 * relative to the size so that a rescaled copy shows the same picture. */
static struct img *scene(int w, int h, unsigned seed)
{
	struct img *im = img_new(w, h, 1);
	unsigned r = seed * 2654435761u + 1;
	double cx = 0.25 + 0.5 * ((seed * 37) % 100) / 100.0, cy = 0.3 + 0.4 * ((seed * 53) % 100) / 100.0;
	double fx = 1.0 + seed % 4, fy = 0.5 + (seed / 4) % 3;
	int x, y;

	if (im == NULL)
		return NULL;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double u = (double)x / w, v = (double)y / h, p;

			p = 110 + 60 * sin(fx * 3.1 * u + seed) * cos(fy * 2.3 * v) + 40 * (v - 0.5);
			if ((u - cx) * (u - cx) + (v - cy) * (v - cy) < 0.04)
				p = 235 - 40 * v;
			if (u > 0.1 + 0.05 * (seed % 5) && u < 0.3 + 0.05 * (seed % 5) && v > 0.6)
				p = 25;
			r = r * 1103515245u + 12345u;
			p += (int)((r >> 16) % 13) - 6;
			im->px[y * w + x] = (unsigned char)(p < 0 ? 0 : p > 255 ? 255 : p);
		}
	return im;
}

static void test_hex(void)
{
	char s[17];
	uint64_t v = 0;

	hash_to_hex(0x0123456789abcdefULL, s);
	CHECK_STR(s, "0123456789abcdef");
	CHECK_EQ_INT(hash_from_hex(s, &v), 0);
	CHECK(v == 0x0123456789abcdefULL);
	hash_to_hex(0, s);
	CHECK_STR(s, "0000000000000000");
	hash_to_hex(UINT64_MAX, s);
	CHECK_STR(s, "ffffffffffffffff");
	CHECK_EQ_INT(hash_from_hex("FEDCBA9876543210", &v), 0);
	CHECK(v == 0xfedcba9876543210ULL);
	v = 7;
	CHECK_EQ_INT(hash_from_hex("fedcba987654321", &v), -1);    /* 15 digits */
	CHECK_EQ_INT(hash_from_hex("fedcba98765432100", &v), -1);  /* 17 digits */
	CHECK_EQ_INT(hash_from_hex("fedcba98765432g0", &v), -1);
	CHECK_EQ_INT(hash_from_hex("", &v), -1);
	CHECK_EQ_INT(hash_from_hex(NULL, &v), -1);
	CHECK(v == 7);
}

static void test_hamming(void)
{
	CHECK_EQ_INT(hash_hamming(0, 0), 0);
	CHECK_EQ_INT(hash_hamming(0, UINT64_MAX), 64);
	CHECK_EQ_INT(hash_hamming(0xf0, 0x0f), 8);
	CHECK_EQ_INT(hash_hamming(1, 3), 1);
	CHECK_EQ_INT(hash_hamming(0x8000000000000001ULL, 1), 1);
	CHECK_EQ_INT(hash_hamming(0xd84c3333cccccc7cULL, 0xd84c3333cccccc7cULL), 0);
	/* every count, on bits spread over the word, against counting them one by one */
	for (int k = 0; k <= 64; k++) {
		uint64_t x = 0;
		int n = 0;

		for (int i = 0; i < 64 && n < k; i++)
			if ((i * 37 + k) % 64 >= 64 - k) {
				x |= 1ULL << i;
				n++;
			}
		CHECK_EQ_INT(hash_hamming(x, 0), n);
		CHECK_EQ_INT(hash_hamming(~x, UINT64_MAX), n);
	}
}

/* Each expected value is worked out by hand in the comment above it. */
static void test_known_hashes(void)
{
	struct img *im;
	uint64_t h = 0;

	/* dhash, 9 columns of a 90-wide step at x = 45: column 4 straddles the edge, so
	 * per row p4 > p3 and p5 > p4: bits 3 and 4 of each byte, 0x18 */
	im = gray_from(90, 80, step_lr);
	CHECK_EQ_INT(hash_dhash(im, &h), 0);
	CHECK(h == 0x1818181818181818ULL);
	/* whash: right half of the 8x8 block sums is above the median, 0x0f per row */
	CHECK_EQ_INT(hash_whash(im, &h), 0);
	CHECK(h == 0x0f0f0f0f0f0f0f0fULL);
	img_free(im);

	/* brightness rising to the right sets every dhash bit; falling sets none */
	im = gray_from(200, 100, ramp_up);
	CHECK_EQ_INT(hash_dhash(im, &h), 0);
	CHECK(h == UINT64_MAX);
	img_free(im);
	im = gray_from(200, 100, ramp_down);
	CHECK_EQ_INT(hash_dhash(im, &h), 0);
	CHECK(h == 0);
	img_free(im);

	/* phash of a flat image: only the DC term is above the median (0) -> first bit */
	im = gray_from(50, 70, flat);
	CHECK_EQ_INT(hash_phash(im, &h), 0);
	CHECK(h == 0x8000000000000000ULL);
	CHECK_EQ_INT(hash_dhash(im, &h), 0);
	CHECK(h == 0);
	img_free(im);

	/* phash of a 64-wide step (exactly 16 dark + 16 bright columns at 32x32): no
	 * vertical frequencies, so rows 1..7 are zero; in row 0 the DC is positive, even
	 * horizontal frequencies vanish, and odd ones follow 2 sum s[n] cos(pi v (2n+1)/64)
	 * of a dark-to-bright step: v = 1 and 5 negative, v = 3 and 7 positive.  Median
	 * 0, so row 0 reads 1 0 0 1 0 0 0 1 = 0x91 */
	im = gray_from(64, 64, step_lr);
	CHECK_EQ_INT(hash_phash(im, &h), 0);
	CHECK(h == 0x9100000000000000ULL);
	img_free(im);

	/* not gray: refused, not misread */
	im = img_new(8, 8, 3);
	CHECK(im != NULL);
	if (im != NULL)
		CHECK(hash_phash(im, &h) < 0);
	img_free(im);
}

static void test_stability(void)
{
	struct img *a = scene(640, 480, 3), *half, *other = scene(640, 480, 11);
	uint64_t pa = 0, ph = 0, po = 0, da = 0, dh = 0, wa = 0, wh = 0;

	CHECK(a != NULL && other != NULL);
	if (a == NULL || other == NULL)
		return;
	half = img_resize(a, 320, 240);
	CHECK(half != NULL);
	CHECK_EQ_INT(hash_phash(a, &pa), 0);
	CHECK_EQ_INT(hash_phash(half, &ph), 0);
	CHECK_EQ_INT(hash_phash(other, &po), 0);
	CHECK_EQ_INT(hash_dhash(a, &da), 0);
	CHECK_EQ_INT(hash_dhash(half, &dh), 0);
	CHECK_EQ_INT(hash_whash(a, &wa), 0);
	CHECK_EQ_INT(hash_whash(half, &wh), 0);
	CHECK(hash_hamming(pa, ph) <= 6);
	CHECK(hash_hamming(da, dh) <= 6);
	CHECK(hash_hamming(wa, wh) <= 6);
	CHECK(hash_hamming(pa, po) >= 20);
	/* deterministic: the same image hashes the same */
	CHECK_EQ_INT(hash_phash(a, &ph), 0);
	CHECK(ph == pa);
	img_free(a);
	img_free(half);
	img_free(other);
}

/* img_resize: box averages when shrinking, exact copies at the same size. */
static void test_resize(void)
{
	struct img *im = img_new(4, 2, 1), *r;
	static const unsigned char px[8] = { 0, 100, 200, 40, 10, 110, 210, 60 };

	CHECK(im != NULL);
	if (im == NULL)
		return;
	memcpy(im->px, px, 8);
	r = img_resize(im, 2, 1);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_EQ_INT(r->px[0], 55);     /* (0 + 100 + 10 + 110) / 4 */
		CHECK_EQ_INT(r->px[1], 128);    /* (200 + 40 + 210 + 60) / 4 = 127.5 */
	}
	img_free(r);
	r = img_resize(im, 4, 2);
	CHECK(r != NULL && memcmp(r->px, px, 8) == 0);
	img_free(r);
	r = img_resize(im, 8, 4);       /* bilinear: corners stay, values stay in range */
	CHECK(r != NULL && r->px[0] == 0 && r->px[7] == 40);
	img_free(r);
	CHECK(img_resize(im, 0, 5) == NULL);
	img_free(im);
}

/* The eight orientation variants from one DCT equal the hash of the image actually
 * turned, on synthetic scenes and on the example photos (decoded as featx does). */
static void test_dihedral(void)
{
	static const char *const photos[] = {
		"examples/photos/astronaut.jpg", "examples/photos/camera.png",
		"examples/photos/coffee.webp", "examples/photos/rocket.jpg",
	};
	int exact = 0, total = 0, worst = 0, wd, wworst = 0;

	for (int s = 0; s < 6 + (int)(sizeof photos / sizeof photos[0]); s++) {
		struct img *im = NULL;
		uint64_t v[8], direct;

		if (s < 6) {
			im = scene(s % 2 ? 96 : 120, s % 3 ? 80 : 120, (unsigned)s + 1);
		} else {
			FILE *fp = fopen(photos[s - 6], "rb");
			static unsigned char buf[4 << 20];
			size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
			struct img_decode_opts o = { 64, 0, 0 };
			struct img_info info;
			aderr err = {0};

			if (fp)
				fclose(fp);
			CHECK(n > 0);
			if (n == 0 || img_decode(buf, n, &o, &im, &info, &err) < 0)
				im = NULL;
		}
		CHECK(im != NULL);
		if (im == NULL)
			continue;
		CHECK_EQ_INT(hash_phash_dihedral(im, v), 0);
		CHECK_EQ_INT(hash_phash(im, &direct), 0);
		CHECK(v[0] == direct);
		for (int k = 1; k <= 8; k++) {
			struct img *t = img_orient(im, k);
			uint64_t h = 0;
			int d;

			CHECK(t != NULL && hash_phash(t, &h) == 0);
			d = hash_hamming(h, v[k - 1]);
			{
				uint64_t w0 = 0, wt = 0;

				CHECK(hash_whash(im, &w0) == 0 && hash_whash(t, &wt) == 0);
				wd = hash_hamming(wt, hash_grid_orient(w0, k));
				wworst = wd > wworst ? wd : wworst;
			}
			exact += d == 0;
			worst = d > worst ? d : worst;
			total++;
			img_free(t);
		}
		/* turned copies are far apart from each other, or it proves nothing */
		CHECK(hash_hamming(v[0], v[1]) > 8 || hash_hamming(v[0], v[5]) > 8);
		img_free(im);
	}
	/* equal but for the rare coefficient on the median, where resampling sums in another
	 * order may tip a bit */
	CHECK(worst <= 2);
	CHECK(wworst <= 2);
	CHECK(exact * 10 >= total * 9);
	printf("dihedral: %d of %d variants exact, worst %d bits; whash turned: worst %d bits\n",
	    exact, total, worst, wworst);
}

/* hash_grid_orient moves every bit where hash_cell_orient says its cell goes (the grid
 * row-major, first bit on top), for every orientation, on random grids and single bits. */
static void test_grid_orient(void)
{
	uint64_t x = 0x243f6a8885a308d3ULL;

	for (int i = 0; i < 200; i++) {
		uint64_t h = i < 64 ? 1ULL << i : (x = x * 6364136223846793005ULL + 1442695040888963407ULL);

		for (int k = 0; k <= 9; k++) {
			uint64_t want = 0;

			for (int r = 0; r < 8; r++)
				for (int c = 0; c < 8; c++)
					want = want << 1 | (h >> (63 - hash_cell_orient(k, 8, r, c)) & 1);
			CHECK(hash_grid_orient(h, k) == want);
		}
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Bits of v against the mean of the middle two of it sorted (the recipes' median). */
static uint64_t bits_by_sort(const double v[64])
{
	double s[64], med;
	uint64_t h = 0;

	memcpy(s, v, sizeof s);
	qsort(s, 64, sizeof s[0], cmp_dbl);
	med = (s[31] + s[32]) / 2;
	for (int i = 0; i < 64; i++)
		h = h << 1 | (v[i] > med);
	return h;
}

/* phash and whash, whose medians hash.c finds by selection, against the same recipes
 * with a full sort, on noise of few levels (many equal coefficients and block sums) and
 * of many. */
static void test_median_by_sort(void)
{
	uint64_t seed = 12345;
	int bad = 0;

	for (int rep = 0; rep < 300; rep++) {
		int w = 40 + rep % 37, h = 33 + rep % 29, levels = rep % 3 == 0 ? 2 : rep % 3 == 1 ? 5 : 256;
		struct img *im = img_new(w, h, 1), *sm32, *sm64;
		double d[64], t[8][32], sums[64];
		uint64_t ph, wh;

		if (im == NULL)
			break;
		for (int i = 0; i < w * h; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			im->px[i] = (unsigned char)((seed >> 33) % (uint64_t)levels * (255 / (levels - 1)));
		}
		sm32 = img_resize(im, 32, 32);
		sm64 = img_resize(im, 64, 64);
		CHECK(sm32 != NULL && sm64 != NULL && hash_phash(im, &ph) == 0 &&
		    hash_whash(im, &wh) == 0);
		if (sm32 == NULL || sm64 == NULL) {
			img_free(sm32);
			img_free(sm64);
			img_free(im);
			break;
		}
		/* hash.h's DCT, as hash.c computes it */
		for (int u = 0; u < 8; u++)
			for (int n = 0; n < 32; n++) {
				double acc = 0;

				for (int i = 0; i < 32; i++)
					acc += 2.0 * cos(M_PI * u * (2 * i + 1) / 64.0) * sm32->px[i * 32 + n];
				t[u][n] = acc;
			}
		for (int u = 0; u < 8; u++)
			for (int v = 0; v < 8; v++) {
				double acc = 0;

				for (int n = 0; n < 32; n++)
					acc += 2.0 * cos(M_PI * v * (2 * n + 1) / 64.0) * t[u][n];
				d[u * 8 + v] = fabs(acc) < 1e-6 ? 0 : acc;
			}
		for (int b = 0; b < 64; b++) {
			long acc = 0;

			for (int y = 0; y < 8; y++)
				for (int x = 0; x < 8; x++)
					acc += sm64->px[((b / 8) * 8 + y) * 64 + (b % 8) * 8 + x];
			sums[b] = (double)acc;
		}
		bad += ph != bits_by_sort(d);
		bad += wh != bits_by_sort(sums);
		img_free(sm32);
		img_free(sm64);
		img_free(im);
	}
	CHECK_EQ_INT(bad, 0);
}

/* hash_all (the three shrinks made together) against the three hashes one by one, on
 * noise of several sizes, some too small for the shared pass. */
static void test_all_at_once(void)
{
	static const int sz[][2] = { { 480, 320 }, { 320, 480 }, { 97, 65 }, { 64, 200 },
		{ 40, 30 }, { 501, 77 } };
	uint64_t seed = 777;

	for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
		struct img *im = img_new(sz[i][0], sz[i][1], 1);
		uint64_t p8[8], q8[8], d1, d2, w1, w2;

		if (im == NULL)
			break;
		for (int k = 0; k < im->w * im->h; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			im->px[k] = (unsigned char)((seed >> 40) & 255);
		}
		CHECK_EQ_INT(hash_all(im, p8, &d1, &w1), 0);
		CHECK_EQ_INT(hash_phash_dihedral(im, q8), 0);
		CHECK_EQ_INT(hash_dhash(im, &d2), 0);
		CHECK_EQ_INT(hash_whash(im, &w2), 0);
		CHECK(memcmp(p8, q8, sizeof p8) == 0);
		CHECK(d1 == d2);
		CHECK(w1 == w2);
		img_free(im);
	}
}

int main(void)
{
	test_median_by_sort();
	test_all_at_once();
	test_grid_orient();
	test_hex();
	test_hamming();
	test_known_hashes();
	test_stability();
	test_resize();
	test_dihedral();
	return unit_done();
}
