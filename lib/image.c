/* image.c — pixel buffers: allocation, gray conversion, resampling, orientation. */
#include "image.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct img *img_new(int w, int h, int ch)
{
	struct img *im;
	size_t n;

	if (w < 1 || h < 1 || ch < 1 || ch > 4)
		return NULL;
	if ((size_t)w > SIZE_MAX / (size_t)h / (size_t)ch)
		return NULL;
	n = (size_t)w * (size_t)h * (size_t)ch;
	im = malloc(sizeof *im);
	if (im == NULL)
		return NULL;
	im->px = malloc(n);
	if (im->px == NULL) {
		free(im);
		return NULL;
	}
	im->w = w;
	im->h = h;
	im->ch = ch;
	return im;
}

void img_free(struct img *im)
{
	if (im == NULL)
		return;
	free(im->px);
	free(im);
}

struct img *img_to_gray(const struct img *im)
{
	struct img *g;
	size_t i, n;
	const unsigned char *s;

	if (im == NULL || im->px == NULL)
		return NULL;
	g = img_new(im->w, im->h, 1);
	if (g == NULL)
		return NULL;
	n = (size_t)im->w * (size_t)im->h;
	s = im->px;
	switch (im->ch) {
	case 1:
		memcpy(g->px, s, n);
		break;
	case 2:
		for (i = 0; i < n; i++, s += 2)
			g->px[i] = img_over_white(s[0], s[1]);
		break;
	case 3:
		for (i = 0; i < n; i++, s += 3)
			g->px[i] = img_luma(s[0], s[1], s[2]);
		break;
	default:
		for (i = 0; i < n; i++, s += 4)
			g->px[i] = img_luma(img_over_white(s[0], s[3]), img_over_white(s[1], s[3]),
			    img_over_white(s[2], s[3]));
		break;
	}
	return g;
}

/* The input pixels one output pixel draws from along one axis, with their weights. */
struct taps {
	int *start, *count;
	float *w;       /* count[i] weights for output i, at i * maxn */
	int maxn;
};

static void taps_free(struct taps *t)
{
	free(t->start);
	free(t->count);
	free(t->w);
}

static int taps_make(struct taps *t, int src, int dst)
{
	double scale = (double)src / dst;
	int i;

	t->maxn = dst < src ? (int)ceil(scale) + 1 : 2;
	t->start = malloc((size_t)dst * sizeof *t->start);
	t->count = malloc((size_t)dst * sizeof *t->count);
	t->w = malloc((size_t)dst * (size_t)t->maxn * sizeof *t->w);
	if (t->start == NULL || t->count == NULL || t->w == NULL) {
		taps_free(t);
		return -1;
	}
	for (i = 0; i < dst; i++) {
		float *w = t->w + (size_t)i * (size_t)t->maxn;

		if (dst == src) {
			t->start[i] = i;
			t->count[i] = 1;
			w[0] = 1.0f;
		} else if (dst < src) {
			/* box: the output pixel covers [x0, x1) of the input */
			double x0 = i * scale, x1 = i == dst - 1 ? src : (i + 1) * scale;
			int j0 = (int)floor(x0), j1 = (int)ceil(x1), j, n = 0;

			if (j1 > src)
				j1 = src;
			for (j = j0; j < j1 && n < t->maxn; j++) {
				double a = j > x0 ? j : x0, b = j + 1 < x1 ? j + 1 : x1;

				if (b > a)
					w[n++] = (float)((b - a) / scale);
				else if (n == 0)
					j0++;
			}
			t->start[i] = j0;
			t->count[i] = n;
		} else {
			/* bilinear between the two nearest input pixel centres */
			double c = (i + 0.5) * scale - 0.5;
			int j;

			if (c < 0)
				c = 0;
			j = (int)floor(c);
			if (j >= src - 1) {
				t->start[i] = src - 1;
				t->count[i] = 1;
				w[0] = 1.0f;
			} else {
				t->start[i] = j;
				t->count[i] = 2;
				w[0] = (float)(1.0 - (c - j));
				w[1] = (float)(c - j);
			}
		}
	}
	return 0;
}

#define RB 8

/* One row through the horizontal taps. */
static void hrow(const struct taps *tx, const unsigned char *row, int ch, int w, float *t)
{
	for (int x = 0; x < w; x++) {
		const float *wt = tx->w + (size_t)x * (size_t)tx->maxn;
		const unsigned char *s = row + (size_t)tx->start[x] * (size_t)ch;

		for (int c = 0; c < ch; c++) {
			float sum = 0;

			for (int k = 0; k < tx->count[x]; k++)
				sum += wt[k] * s[(size_t)k * (size_t)ch + (size_t)c];
			t[(size_t)x * (size_t)ch + (size_t)c] = sum;
		}
	}
}

struct img *img_resize(const struct img *im, int w, int h)
{
	struct taps tx = {0}, ty = {0};
	struct img *out = NULL;
	float *tmp = NULL, *acc = NULL;
	int ch, x, y, c, k;

	if (im == NULL || im->px == NULL || w < 1 || h < 1)
		return NULL;
	ch = im->ch;
	out = img_new(w, h, ch);
	if (out == NULL)
		return NULL;
	if (w == im->w && h == im->h) {
		memcpy(out->px, im->px, (size_t)w * (size_t)h * (size_t)ch);
		return out;
	}
	if ((size_t)im->h > SIZE_MAX / sizeof *tmp / (size_t)w / (size_t)ch)
		goto fail;
	tmp = malloc((size_t)im->h * (size_t)w * (size_t)ch * sizeof *tmp);
	acc = malloc((size_t)w * (size_t)ch * sizeof *acc);
	if (tmp == NULL || acc == NULL || taps_make(&tx, im->w, w) < 0 || taps_make(&ty, im->h, h) < 0)
		goto fail;
	/* horizontal pass into floats, then vertical pass with rounding: one rounding only.
	 * Rows go RB at a time, so the RB sums of one output column run side by side (each
	 * still added tap by tap, in order: the same floats as one row at a time, but not
	 * one long chain of dependent additions). */
	for (y = 0; y < im->h; y += RB) {
		size_t rowlen = (size_t)im->w * (size_t)ch;
		const unsigned char *rows = im->px + (size_t)y * rowlen;

		if (im->h - y < RB) {   /* the last few rows, one at a time */
			for (int r = 0; r < im->h - y; r++)
				hrow(&tx, rows + (size_t)r * rowlen, ch, w,
				    tmp + (size_t)(y + r) * (size_t)w * (size_t)ch);
			break;
		}
		for (x = 0; x < w; x++) {
			const float *wt = tx.w + (size_t)x * (size_t)tx.maxn;

			for (c = 0; c < ch; c++) {
				const unsigned char *src = rows + (size_t)tx.start[x] * (size_t)ch + (size_t)c;
				float sum[RB] = {0};

				for (k = 0; k < tx.count[x]; k++) {
					const unsigned char *v = src + (size_t)k * (size_t)ch;

					for (int r = 0; r < RB; r++)
						sum[r] += wt[k] * v[(size_t)r * rowlen];
				}
				for (int r = 0; r < RB; r++)
					tmp[((size_t)(y + r) * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c] =
					    sum[r];
			}
		}
	}
	/* row by row through the taps, so every pass reads a row in order (the sums are
	 * made in the same order as tap by tap for each pixel: the same floats) */
	for (y = 0; y < h; y++) {
		const float *wt = ty.w + (size_t)y * (size_t)ty.maxn;
		unsigned char *d = out->px + (size_t)y * (size_t)w * (size_t)ch;
		size_t i, n = (size_t)w * (size_t)ch;

		for (i = 0; i < n; i++)
			acc[i] = 0;
		for (k = 0; k < ty.count[y]; k++) {
			const float *src = tmp + ((size_t)ty.start[y] + (size_t)k) * n;
			float wk = wt[k];

			for (i = 0; i < n; i++)
				acc[i] += wk * src[i];
		}
		for (i = 0; i < n; i++) {
			float a = acc[i] + 0.5f;

			d[i] = a <= 0 ? 0 : a >= 255 ? 255 : (unsigned char)a;
		}
	}
	free(acc);
	free(tmp);
	taps_free(&tx);
	taps_free(&ty);
	return out;
fail:
	free(acc);
	free(tmp);
	taps_free(&tx);
	taps_free(&ty);
	img_free(out);
	return NULL;
}

struct img *img_orient(const struct img *im, int orientation)
{
	struct img *out;
	int W, H, ch, x, y;

	if (im == NULL || im->px == NULL)
		return NULL;
	W = im->w;
	H = im->h;
	ch = im->ch;
	if (orientation < 1 || orientation > 8)
		orientation = 1;
	out = orientation >= 5 ? img_new(H, W, ch) : img_new(W, H, ch);
	if (out == NULL)
		return NULL;
	for (y = 0; y < out->h; y++) {
		for (x = 0; x < out->w; x++) {
			int sx, sy;

			switch (orientation) {
			case 2: sx = W - 1 - x; sy = y; break;
			case 3: sx = W - 1 - x; sy = H - 1 - y; break;
			case 4: sx = x; sy = H - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = H - 1 - x; break;
			case 7: sx = W - 1 - y; sy = H - 1 - x; break;
			case 8: sx = W - 1 - y; sy = x; break;
			default: sx = x; sy = y; break;
			}
			memcpy(out->px + ((size_t)y * (size_t)out->w + (size_t)x) * (size_t)ch,
			    im->px + ((size_t)sy * (size_t)W + (size_t)sx) * (size_t)ch, (size_t)ch);
		}
	}
	return out;
}
