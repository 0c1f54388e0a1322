/* test_simd.c — the vector forms of the pixel loops (image.h img_simd: SSE2, AVX2) give
 * the same results as the plain C, each form forced in turn: FAST-9 corners and Harris
 * responses row by row on noise, edges and flat images of odd widths (the tails of the
 * 16- and 32-pixel blocks), img_resize and the row resizer on gray, RGB and RGBA
 * (shrinking, growing, mixed), luma, the descriptors' box sums and bits, and kp_detect's
 * whole keypoint sets on the example photos (the plain forms' descriptors from an integral
 * image, AVX2's from the box sums).  A form this CPU lacks shows as skipped. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "features.h"
#include "image.h"
#include "keypoints.h"
#include "kpsimd.h"
#include "splitmix.h"
#include "unit.h"

static const char *const form_name[] = { "plain C", "SSE2", "AVX2" };

/* w x h x ch of noise, smoothed by `soft` (0: raw), with a few flat and stepped bands so
 * that blocks both pass and fail the FAST pretest. */
static struct img *test_image(int w, int h, int ch, int soft, uint64_t seed)
{
	struct img *im = img_new(w, h, ch);

	if (im == NULL)
		return NULL;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w * ch; x++) {
			unsigned v = (unsigned)(splitmix64(&seed) & 255);

			if (soft)
				v = 96 + v / (unsigned)(soft + 1) + (unsigned)((x / 7 + y / 5) % 3) * 20;
			if (y % 50 < 6)
				v = 200;                        /* a flat band */
			else if (y % 50 < 9)
				v = x % 11 < 5 ? 10 : 250;      /* hard edges */
			im->px[(size_t)y * (size_t)w * (size_t)ch + (size_t)x] = (unsigned char)v;
		}
	return im;
}

static int same_img(const struct img *a, const struct img *b)
{
	return a != NULL && b != NULL && a->w == b->w && a->h == b->h && a->ch == b->ch &&
	    memcmp(a->px, b->px, (size_t)a->w * (size_t)a->h * (size_t)a->ch) == 0;
}

static int same_kps(const struct kp_set *a, const struct kp_set *b)
{
	if (a->n != b->n || a->w != b->w || a->h != b->h)
		return 0;
	for (int i = 0; i < a->n; i++) {
		const struct kp *p = &a->kp[i], *q = &b->kp[i];

		if (p->x != q->x || p->y != q->y || p->level != q->level || p->angle != q->angle ||
		    p->response != q->response || memcmp(p->d, q->d, 32) != 0)
			return 0;
	}
	return 1;
}

/* Corners and responses of every row of im in the form in use, into xs (room for all
 * pixels); the count, with sum a checksum of the responses. */
static int corners(const struct img *im, int t, int x0, int x1, int *xs, uint64_t *sum)
{
	int n = 0;

	*sum = 0;
	for (int y = 16; y < im->h - 16; y++) {
		int k = kps_fast_row(im->px, im->w, y, x0, x1, t, xs + n);
		int64_t r[512];

		/* one at a time and a row at once (the rows are at most 481 wide) */
		kps_harris_row(im->px, im->w, y, xs + n, k, r);
		for (int i = n; i < n + k; i++)
			*sum = *sum * 31 + (uint64_t)kps_harris(im->px, im->w, xs[i], y) +
			    (uint64_t)r[i - n] * 7 + (uint64_t)xs[i] + (uint64_t)y;
		n += k;
	}
	return n;
}

static void check_fast(int form)
{
	static const int widths[] = { 33, 47, 48, 63, 64, 65, 97, 200, 481 };

	for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
		for (int soft = 0; soft < 3; soft++) {
			int w = widths[wi], h = 70;
			struct img *im = test_image(w, h, 1, soft * 3, 77 + (uint64_t)wi * 3 + (uint64_t)soft);
			int *xa = malloc((size_t)w * h * sizeof *xa), *xb = malloc((size_t)w * h * sizeof *xb);

			CHECK(im != NULL && xa != NULL && xb != NULL);
			if (im == NULL || xa == NULL || xb == NULL) {
				img_free(im);
				free(xa);
				free(xb);
				return;
			}
			for (int t = 8; t <= 20; t += 12)
				for (int cut = 0; cut < 3; cut++) {
					int x0 = 16 + cut, x1 = w - 16 - cut * 5;
					uint64_t sa, sb;
					int na, nb;

					if (x1 <= x0)
						continue;
					img_simd(IMG_SIMD_NONE);
					na = corners(im, t, x0, x1, xa, &sa);
					img_simd(form);
					nb = corners(im, t, x0, x1, xb, &sb);
					CHECK_EQ_INT(nb, na);
					CHECK(na == nb && memcmp(xa, xb, (size_t)na * sizeof *xa) == 0);
					CHECK(sa == sb);
				}
			img_free(im);
			free(xa);
			free(xb);
		}
}

static void check_resize(int form)
{
	static const int sizes[][4] = {
		{ 480, 320, 369, 246 }, { 480, 320, 32, 32 }, { 480, 320, 9, 8 },
		{ 480, 320, 64, 64 }, { 480, 320, 4, 4 }, { 721, 1283, 320, 569 },
		{ 97, 2001, 33, 680 }, { 65, 65, 130, 97 }, { 300, 7, 100, 3 }, { 13, 400, 40, 30 },
		{ 1283, 721, 1283, 500 },
		/* the keypoints' pyramid (gray shrinks by 1.3, 1.69, 2.2: image.c's row
		 * gather), a halving, and shrinks whose blocks only partly qualify */
		{ 480, 320, 284, 189 }, { 480, 320, 218, 146 }, { 500, 375, 250, 187 },
		{ 371, 53, 290, 17 }, { 1001, 40, 333, 20 }, { 37, 37, 35, 33 },
	};

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (int ch = 1; ch <= 4; ch++) {
			struct img *im = test_image(sizes[i][0], sizes[i][1], ch, (int)(i % 3),
			    1000 + i * 4 + (size_t)ch);
			struct img *a, *b, *c;
			struct img_resizer *rs;

			if (im == NULL) {
				CHECK(im != NULL);
				continue;
			}
			img_simd(IMG_SIMD_NONE);
			a = img_resize(im, sizes[i][2], sizes[i][3]);
			img_simd(form);
			b = img_resize(im, sizes[i][2], sizes[i][3]);
			rs = img_resizer_new(im->w, im->h, ch, sizes[i][2], sizes[i][3]);
			for (int y = 0; rs != NULL && y < im->h; y++)
				img_resizer_push(rs, im->px + (size_t)y * (size_t)im->w * (size_t)ch);
			c = img_resizer_finish(rs);
			CHECK(same_img(a, b));
			CHECK(same_img(a, c));
			if (ch == 3) {
				struct img *ga, *gb;

				img_simd(IMG_SIMD_NONE);
				ga = img_to_gray(im);
				img_simd(form);
				gb = img_to_gray(im);
				CHECK(same_img(ga, gb));
				img_free(ga);
				img_free(gb);
			}
			img_free(a);
			img_free(b);
			img_free(c);
			img_free(im);
		}
}

/* img_resize_multi in the form in use against img_resize in plain C, one size at a time:
 * the hashes' three shrinks, the colour grid's, and sources of odd heights and widths
 * (the last rows one at a time, chunks of columns), for 1 to 4 channels. */
static void check_resize_multi(int form)
{
	static const int src[][2] = { { 480, 320 }, { 333, 517 }, { 1283, 97 }, { 65, 66 },
		{ 200, 8 } };
	static const int ws[][3] = { { 32, 9, 64 }, { 4, 7, 3 } }, hs[][3] = { { 32, 8, 64 },
		{ 4, 5, 2 } };

	for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
		for (int ch = 1; ch <= 4; ch++)
			for (int set = 0; set < 2; set++) {
				struct img *im = test_image(src[i][0], src[i][1], ch, (int)(i % 3),
				    700 + i * 8 + (size_t)ch * 2 + (size_t)set);
				struct img *got[3], *want;

				if (im == NULL) {
					CHECK(im != NULL);
					continue;
				}
				img_simd(form);
				CHECK_EQ_INT(img_resize_multi(im, 3, ws[set], hs[set], got), 0);
				img_simd(IMG_SIMD_NONE);
				for (int k = 0; k < 3; k++) {
					want = img_resize(im, ws[set][k], hs[set][k]);
					CHECK(same_img(got[k], want));
					img_free(want);
					img_free(got[k]);
				}
				img_free(im);
			}
	img_simd(form);
}

/* kps_box5's sums in the form in use against the 25 pixels added one by one, on every
 * width around the 16-column blocks, and kps_describe_box's bits against the plain C
 * ones for random offsets that reach the patch's edge. */
static void check_box(int form)
{
	for (int w = 5; w <= 53; w++) {
		int h = 9 + w % 4;
		struct img *im = test_image(w, h, 1, w % 3, 500 + (uint64_t)w);
		uint16_t *box = malloc(((size_t)(h - 4) * (size_t)w + 1) * sizeof *box);
		int bad = 0;

		CHECK(im != NULL && box != NULL);
		if (im == NULL || box == NULL) {
			img_free(im);
			free(box);
			return;
		}
		img_simd(form);
		kps_box5(im->px, w, h, box);
		for (int y = 0; y + 5 <= h; y++)
			for (int x = 0; x < w; x++) {
				unsigned want = 0;

				for (int dy = 0; x + 4 < w && dy < 5; dy++)
					for (int dx = 0; dx < 5; dx++)
						want += im->px[(size_t)(y + dy) * (size_t)w + (size_t)(x + dx)];
				bad += box[(size_t)y * (size_t)w + (size_t)x] != want;
			}
		CHECK_EQ_INT(bad, 0);
		img_free(im);
		free(box);
	}
	{
		int w = 97, h = 61;
		struct img *im = test_image(w, h, 1, 0, 4242);
		uint16_t *box = malloc(((size_t)(h - 4) * (size_t)w + 1) * sizeof *box);
		int32_t off[2][256];
		uint64_t seed = 99;
		int same = 1;

		CHECK(im != NULL && box != NULL);
		if (im == NULL || box == NULL) {
			img_free(im);
			free(box);
			return;
		}
		img_simd(IMG_SIMD_NONE);
		kps_box5(im->px, w, h, box);
		for (int rep = 0; rep < 50; rep++) {
			uint8_t da[32], db[32];
			/* the keypoint's place keeps every box inside, as keypoints.c's border does */
			int x = 16 + (int)(splitmix64(&seed) % (uint64_t)(w - 32));
			int y = 16 + (int)(splitmix64(&seed) % (uint64_t)(h - 32));

			for (int i = 0; i < 256; i++)
				for (int k = 0; k < 2; k++)
					off[k][i] = ((int)(splitmix64(&seed) % 29) - 14) * w +
					    (int)(splitmix64(&seed) % 29) - 14;
			img_simd(IMG_SIMD_NONE);
			kps_describe_box(box, w, x, y, off[0], off[1], da);
			img_simd(form);
			kps_describe_box(box, w, x, y, off[0], off[1], db);
			same &= memcmp(da, db, 32) == 0;
		}
		CHECK(same);
		img_free(im);
		free(box);
	}
}

static void check_keypoints(int form)
{
	DIR *d = opendir("examples/photos");
	struct dirent *e;
	int seen = 0;

	CHECK(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[512];
		struct img *g = NULL;
		struct kp_set a, b;
		aderr err = {0};
		size_t n = strlen(e->d_name);

		if (n < 4 || strcmp(e->d_name + n - 3, ".md") == 0 || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "examples/photos/%s", e->d_name);
		img_simd(IMG_SIMD_NONE);
		if (feat_work_gray(path, &g, &err) < 0) {
			CHECK(!"decodes");
			continue;
		}
		CHECK(kp_detect(g, KP_DEFAULT, &a) == 0);
		img_simd(form);
		CHECK(kp_detect(g, KP_DEFAULT, &b) == 0);
		CHECK(a.n > 0);
		CHECK(same_kps(&a, &b));
		/* the flat-picture pass (threshold 8) and more keypoints than level 0 holds */
		kp_free(&a);
		kp_free(&b);
		img_simd(IMG_SIMD_NONE);
		CHECK(kp_detect(g, KP_MAX, &a) == 0);
		img_simd(form);
		CHECK(kp_detect(g, KP_MAX, &b) == 0);
		CHECK(same_kps(&a, &b));
		kp_free(&a);
		kp_free(&b);
		img_free(g);
		seen++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(seen >= 8);
	/* soft noise: few corners at 20, the second pass at 8 */
	{
		struct img *im = test_image(500, 333, 1, 9, 4242);
		struct kp_set a, b;

		img_simd(IMG_SIMD_NONE);
		CHECK(im != NULL && kp_detect(im, KP_DEFAULT, &a) == 0);
		img_simd(form);
		CHECK(im != NULL && kp_detect(im, KP_DEFAULT, &b) == 0);
		CHECK(same_kps(&a, &b));
		kp_free(&a);
		kp_free(&b);
		img_free(im);
	}
}

int main(void)
{
	CHECK(img_simd(IMG_SIMD_NONE) == 0);
	CHECK_EQ_INT(img_simd_form(), IMG_SIMD_NONE);
	CHECK(img_simd(IMG_SIMD_AUTO) == 0);
	CHECK(img_simd(7) == -1);
	for (int form = IMG_SIMD_SSE2; form <= IMG_SIMD_AVX2; form++) {
		char why[64];

		if (img_simd(form) < 0) {
			snprintf(why, sizeof why, "%s: not on this CPU or build", form_name[form]);
			SKIP(why);
			continue;
		}
		CHECK_EQ_INT(img_simd_form(), form);
		check_fast(form);
		check_resize(form);
		check_resize_multi(form);
		check_box(form);
		check_keypoints(form);
	}
	img_simd(IMG_SIMD_AUTO);
	return unit_done();
}
