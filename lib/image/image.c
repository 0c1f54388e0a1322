/* image.c — pixel buffers: allocation, gray conversion, resampling, orientation. */
#include "image.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

/* RGB to luma, n pixels: a loop the compiler vectorises, built for AVX2 where the CPU
 * has it (integer arithmetic: the same bytes in every form). */
static inline __attribute__((always_inline)) void luma_body(const unsigned char *s,
    unsigned char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = img_luma(s[3 * i], s[3 * i + 1], s[3 * i + 2]);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"), optimize("tree-vectorize")))
static void luma_avx2(const unsigned char *s, unsigned char *d, size_t n)
{
	luma_body(s, d, n);
}
#endif

static void luma_rows(const unsigned char *s, unsigned char *d, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (img_simd_form() == IMG_SIMD_AVX2) {
		luma_avx2(s, d, n);
		return;
	}
#endif
	luma_body(s, d, n);
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
		luma_rows(s, g->px, n);
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
	/* zeros past each output's count: hrows_vec may add those taps (times 0) */
	t->w = calloc((size_t)dst * (size_t)t->maxn, sizeof *t->w);
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

/* RB rows, rowlen bytes apart, through the horizontal taps into t (w * ch floats a row).
 * The RB sums of one output column run side by side (each still added tap by tap, in
 * order: the same floats as hrow, but not one long chain of dependent additions). */
static void hrows(const struct taps *tx, const unsigned char *rows, size_t rowlen, int ch,
    int w, float *t)
{
	for (int x = 0; x < w; x++) {
		const float *wt = tx->w + (size_t)x * (size_t)tx->maxn;

		for (int c = 0; c < ch; c++) {
			const unsigned char *src = rows + (size_t)tx->start[x] * (size_t)ch + (size_t)c;
			float sum[RB] = {0};

			for (int k = 0; k < tx->count[x]; k++) {
				const unsigned char *v = src + (size_t)k * (size_t)ch;

				for (int r = 0; r < RB; r++)
					sum[r] += wt[k] * v[(size_t)r * rowlen];
			}
			for (int r = 0; r < RB; r++)
				t[((size_t)r * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c] = sum[r];
		}
	}
}

/* ---- the vector forms (image.h: img_simd) ----
 * hrows again, with the RB sums of one output column in one vector of RB floats: the
 * RB rows' bytes are first turned into floats column by column (cols[j] holds byte j
 * of each row), a chunk of columns at a time (at most colcap, which holds every tap of
 * one output), and each tap adds weight times a whole column.  Every lane is the same
 * chain of float multiplications and additions as in hrows, in the same order, so the
 * sums are the same floats.  GCC's vector extension: AVX2 where the CPU has it (a
 * function built for it, chosen at run time), else two SSE2 halves (or whatever the
 * target has). */
typedef float v8f __attribute__((vector_size(RB * sizeof(float))));

static atomic_int simd_forced = IMG_SIMD_AUTO;
static int simd_best = IMG_SIMD_NONE;
static pthread_once_t simd_once = PTHREAD_ONCE_INIT;

static void simd_choose(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	simd_best = __builtin_cpu_supports("avx2") ? IMG_SIMD_AVX2 : IMG_SIMD_SSE2;
#else
	simd_best = IMG_SIMD_NONE;
#endif
}

int img_simd_form(void)
{
	int f = atomic_load_explicit(&simd_forced, memory_order_relaxed);

	if (f != IMG_SIMD_AUTO)
		return f;
	pthread_once(&simd_once, simd_choose);
	return simd_best;
}

int img_simd(int form)
{
	if (form != IMG_SIMD_AUTO && form != IMG_SIMD_NONE) {
		pthread_once(&simd_once, simd_choose);
		if (form < IMG_SIMD_NONE || form > simd_best)
			return -1;
	}
	atomic_store(&simd_forced, form);
	return 0;
}

/* Columns of floats hrows_vec needs room for with these taps and channels. */
static size_t cols_needed(const struct taps *tx, int ch)
{
	size_t n = (size_t)(tx->maxn + 1) * (size_t)ch;

	return n > 1024 ? n : 1024;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 8 rows of 16 bytes to 8 vectors of two columns each (8 bytes of column 2i, then 8 of
 * column 2i + 1): three rounds of interleaving. */
static inline void transpose8x16(const unsigned char *p, size_t rowlen, __m128i c[8])
{
	__m128i r[8], a[8], b[8];

	for (int i = 0; i < 8; i++)
		r[i] = _mm_loadu_si128((const __m128i *)(p + (size_t)i * rowlen));
	for (int i = 0; i < 4; i++) {
		a[2 * i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
		a[2 * i + 1] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]);
	}
	for (int h = 0; h < 2; h++) {     /* rows 0-3, then 4-7 */
		b[4 * h] = _mm_unpacklo_epi16(a[4 * h], a[4 * h + 2]);
		b[4 * h + 1] = _mm_unpackhi_epi16(a[4 * h], a[4 * h + 2]);
		b[4 * h + 2] = _mm_unpacklo_epi16(a[4 * h + 1], a[4 * h + 3]);
		b[4 * h + 3] = _mm_unpackhi_epi16(a[4 * h + 1], a[4 * h + 3]);
	}
	for (int i = 0; i < 4; i++) {
		c[2 * i] = _mm_unpacklo_epi32(b[i], b[i + 4]);
		c[2 * i + 1] = _mm_unpackhi_epi32(b[i], b[i + 4]);
	}
}

__attribute__((target("avx2")))
static void cols_fill16_avx2(const unsigned char *p, size_t rowlen, v8f *d)
{
	__m128i c[8];

	transpose8x16(p, rowlen, c);
	for (int i = 0; i < 8; i++) {
		__m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(c[i]));
		__m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(c[i], 8)));

		memcpy(d + 2 * i, &lo, sizeof lo);
		memcpy(d + 2 * i + 1, &hi, sizeof hi);
	}
}

static void cols_fill16_sse2(const unsigned char *p, size_t rowlen, v8f *d)
{
	const __m128i z = _mm_setzero_si128();
	__m128i c[8];

	transpose8x16(p, rowlen, c);
	for (int i = 0; i < 8; i++) {
		__m128i w0 = _mm_unpacklo_epi8(c[i], z), w1 = _mm_unpackhi_epi8(c[i], z);
		__m128 f[4] = {
			_mm_cvtepi32_ps(_mm_unpacklo_epi16(w0, z)),
			_mm_cvtepi32_ps(_mm_unpackhi_epi16(w0, z)),
			_mm_cvtepi32_ps(_mm_unpacklo_epi16(w1, z)),
			_mm_cvtepi32_ps(_mm_unpackhi_epi16(w1, z)),
		};

		memcpy(d + 2 * i, f, sizeof f);
	}
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
/* s[i][r] to d[r * stride + i]: an 8 x 8 transpose in AVX registers. */
__attribute__((target("avx2")))
static void store_block_avx2(const v8f *s, float *d, size_t stride)
{
	__m256 a[8], b[8];

	for (int i = 0; i < 8; i++)
		memcpy(&a[i], &s[i], sizeof a[i]);
	for (int i = 0; i < 8; i += 2) {
		b[i] = _mm256_unpacklo_ps(a[i], a[i + 1]);
		b[i + 1] = _mm256_unpackhi_ps(a[i], a[i + 1]);
	}
	for (int i = 0; i < 8; i += 4) {
		a[i] = _mm256_shuffle_ps(b[i], b[i + 2], 0x44);
		a[i + 1] = _mm256_shuffle_ps(b[i], b[i + 2], 0xee);
		a[i + 2] = _mm256_shuffle_ps(b[i + 1], b[i + 3], 0x44);
		a[i + 3] = _mm256_shuffle_ps(b[i + 1], b[i + 3], 0xee);
	}
	for (int i = 0; i < 4; i++) {
		_mm256_storeu_ps(d + (size_t)i * stride, _mm256_permute2f128_ps(a[i], a[i + 4], 0x20));
		_mm256_storeu_ps(d + (size_t)(i + 4) * stride,
		    _mm256_permute2f128_ps(a[i], a[i + 4], 0x31));
	}
}

/* The same with four 4 x 4 transposes in SSE registers. */
static void store_block_sse2(const v8f *s, float *d, size_t stride)
{
	for (int half = 0; half < 2; half++)          /* rows 0-3, 4-7 */
		for (int q = 0; q < 8; q += 4) {        /* outputs 0-3, 4-7 */
			__m128 m[4];

			for (int i = 0; i < 4; i++)
				memcpy(&m[i], (const float *)&s[q + i] + 4 * half, sizeof m[i]);
			_MM_TRANSPOSE4_PS(m[0], m[1], m[2], m[3]);
			for (int r = 0; r < 4; r++)
				_mm_storeu_ps(d + (size_t)(4 * half + r) * stride + q, m[r]);
		}
}
#endif

/* s[i][r] to d[r * stride + i] for RB outputs of RB rows. */
static inline __attribute__((always_inline)) void store_block(const v8f *s, float *d,
    size_t stride, int avx2)
{
	(void)avx2;
#if defined(__x86_64__) && defined(__GNUC__)
	if (avx2)
		store_block_avx2(s, d, stride);
	else
		store_block_sse2(s, d, stride);
#else
	for (int i = 0; i < RB; i++)
		for (int r = 0; r < RB; r++)
			d[(size_t)r * stride + (size_t)i] = s[i][r];
#endif
}

/* cols[j - lo] = byte j of each of the RB rows as floats, for lo <= j < hi (<= rowlen). */
static inline __attribute__((always_inline)) void cols_fill(const unsigned char *rows,
    size_t rowlen, size_t lo, size_t hi, v8f *cols, int avx2)
{
	size_t j = lo;

	(void)avx2;
#if defined(__x86_64__) && defined(__GNUC__)
	for (; j + 16 <= hi; j += 16) {
		if (avx2)
			cols_fill16_avx2(rows + j, rowlen, cols + (j - lo));
		else
			cols_fill16_sse2(rows + j, rowlen, cols + (j - lo));
	}
#endif
	for (; j < hi; j++) {
		const unsigned char *v = rows + j;
		v8f c = { v[0], v[rowlen], v[2 * rowlen], v[3 * rowlen], v[4 * rowlen],
		    v[5 * rowlen], v[6 * rowlen], v[7 * rowlen] };

		cols[j - lo] = c;
	}
}

static inline __attribute__((always_inline)) void hrows_vec_body(const struct taps *tx,
    const unsigned char *rows, size_t rowlen, int ch, int w, float *t, v8f *cols,
    size_t colcap, int avx2, int filled)
{
	size_t wch = (size_t)w * (size_t)ch, done = 0;
	v8f held[RB];
	int x = 0, nheld = 0;

	while (x < w) {
		size_t lo = (size_t)tx->start[x] * (size_t)ch;
		size_t hi = (size_t)(tx->start[x] + tx->count[x]) * (size_t)ch;
		int xb = x + 1;

		for (; xb < w; xb++) {
			size_t l = (size_t)tx->start[xb] * (size_t)ch;
			size_t h = (size_t)(tx->start[xb] + tx->count[xb]) * (size_t)ch;

			l = l < lo ? l : lo;
			h = h > hi ? h : hi;
			if (h - l > colcap)
				break;
			lo = l;
			hi = h;
		}
		/* filled: cols already holds every column of the rows (img_resize_multi) */
		const v8f *cc = filled ? cols + lo : cols;

		if (!filled)
			cols_fill(rows, rowlen, lo, hi, cols, avx2);
		while (x < xb) {
			v8f sum[RB];
			int nsum, kmax = 0;

			/* RB gray outputs at once, as RB chains of additions side by side (a
			 * chain alone waits on each addition); the ones with fewer taps than
			 * the most add weight 0 times a column in their range, which leaves a
			 * sum of products >= 0 as it was */
			if (ch == 1 && x + RB <= xb) {
				for (int i = 0; i < RB; i++)
					kmax = tx->count[x + i] > kmax ? tx->count[x + i] : kmax;
				for (int i = 0; i < RB && kmax > 0; i++)
					if ((size_t)(tx->start[x + i] + kmax) > hi)
						kmax = 0;
			}
			if (kmax > 0) {
				const float *wt = tx->w + (size_t)x * (size_t)tx->maxn;
				const v8f *c0 = cc + ((size_t)tx->start[x] - lo);
				size_t m = (size_t)tx->maxn, o[RB];
				v8f s0 = { 0, 0, 0, 0, 0, 0, 0, 0 }, s1 = s0, s2 = s0, s3 = s0, s4 = s0,
				    s5 = s0, s6 = s0, s7 = s0;

				for (int i = 0; i < RB; i++)
					o[i] = (size_t)(tx->start[x + i] - tx->start[x]);
				/* named sums, so that they stay in registers */
				for (int k = 0; k < kmax; k++) {
					const v8f *c = c0 + k;
					const float *q = wt + k;

					s0 += q[0] * c[o[0]];
					s1 += q[m] * c[o[1]];
					s2 += q[2 * m] * c[o[2]];
					s3 += q[3 * m] * c[o[3]];
					s4 += q[4 * m] * c[o[4]];
					s5 += q[5 * m] * c[o[5]];
					s6 += q[6 * m] * c[o[6]];
					s7 += q[7 * m] * c[o[7]];
				}
				sum[0] = s0;
				sum[1] = s1;
				sum[2] = s2;
				sum[3] = s3;
				sum[4] = s4;
				sum[5] = s5;
				sum[6] = s6;
				sum[7] = s7;
				nsum = RB;
				x += RB;
			} else {
				/* one output pixel: its channels side by side */
				const float *wt = tx->w + (size_t)x * (size_t)tx->maxn;
				const v8f *v = cc + ((size_t)tx->start[x] * (size_t)ch - lo);
				int n = tx->count[x];

				for (int c = 0; c < ch; c++)
					sum[c] = (v8f){ 0, 0, 0, 0, 0, 0, 0, 0 };
				for (int k = 0; k < n; k++, v += ch) {
					sum[0] += wt[k] * v[0];
					if (ch > 1)
						sum[1] += wt[k] * v[1];
					if (ch > 2)
						sum[2] += wt[k] * v[2];
					if (ch > 3)
						sum[3] += wt[k] * v[3];
				}
				nsum = ch;
				x++;
			}
			for (int i = 0; i < nsum; i++) {
				held[nheld++] = sum[i];
				if (nheld == RB) {
					/* RB outputs of RB rows: turned into RB runs along the rows */
					store_block(held, t + done, wch, avx2);
					done += RB;
					nheld = 0;
				}
			}
		}
	}
	for (int i = 0; i < nheld; i++)
		for (int r = 0; r < RB; r++)
			t[(size_t)r * wch + done + (size_t)i] = held[i][r];
}

/* acc[i] += wk * src[i], RB at a time (the same floats as one at a time). */
static inline __attribute__((always_inline)) void axpy_body(float *acc, const float *src,
    float wk, size_t n)
{
	size_t i = 0;

	for (; i + RB <= n; i += RB) {
		v8f a, b;

		memcpy(&a, acc + i, sizeof a);
		memcpy(&b, src + i, sizeof b);
		a += wk * b;
		memcpy(acc + i, &a, sizeof a);
	}
	for (; i < n; i++)
		acc[i] += wk * src[i];
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2")))
static void hrows_avx2(const struct taps *tx, const unsigned char *rows, size_t rowlen, int ch,
    int w, float *t, v8f *cols, size_t colcap)
{
	hrows_vec_body(tx, rows, rowlen, ch, w, t, cols, colcap, 1, 0);
}

__attribute__((target("avx2")))
static void hrows_filled_avx2(const struct taps *tx, size_t rowlen, int ch, int w, float *t,
    v8f *cols)
{
	hrows_vec_body(tx, NULL, rowlen, ch, w, t, cols, rowlen, 1, 1);
}

__attribute__((target("avx2")))
static void cols_fill_avx2(const unsigned char *rows, size_t rowlen, v8f *cols)
{
	cols_fill(rows, rowlen, 0, rowlen, cols, 1);
}

__attribute__((target("avx2")))
static void axpy_avx2(float *acc, const float *src, float wk, size_t n)
{
	axpy_body(acc, src, wk, n);
}
#endif

static void hrows_vec(const struct taps *tx, const unsigned char *rows, size_t rowlen, int ch,
    int w, float *t, v8f *cols, size_t colcap)
{
	hrows_vec_body(tx, rows, rowlen, ch, w, t, cols, colcap, 0, 0);
}

static void hrows_filled_vec(const struct taps *tx, size_t rowlen, int ch, int w, float *t,
    v8f *cols)
{
	hrows_vec_body(tx, NULL, rowlen, ch, w, t, cols, rowlen, 0, 1);
}

static void axpy_vec(float *acc, const float *src, float wk, size_t n)
{
	axpy_body(acc, src, wk, n);
}

/* RB rows through the horizontal taps in the form chosen (cols: colcap columns). */
static void hrows_any(const struct taps *tx, const unsigned char *rows, size_t rowlen, int ch,
    int w, float *t, v8f *cols, size_t colcap)
{
	switch (img_simd_form()) {
	case IMG_SIMD_NONE:
		hrows(tx, rows, rowlen, ch, w, t);
		break;
#if defined(__x86_64__) && defined(__GNUC__)
	case IMG_SIMD_AVX2:
		hrows_avx2(tx, rows, rowlen, ch, w, t, cols, colcap);
		break;
#endif
	default:
		hrows_vec(tx, rows, rowlen, ch, w, t, cols, colcap);
		break;
	}
}

static void axpy(float *acc, const float *src, float wk, size_t n)
{
	switch (img_simd_form()) {
	case IMG_SIMD_NONE:
		for (size_t i = 0; i < n; i++)
			acc[i] += wk * src[i];
		break;
#if defined(__x86_64__) && defined(__GNUC__)
	case IMG_SIMD_AVX2:
		axpy_avx2(acc, src, wk, n);
		break;
#endif
	default:
		axpy_vec(acc, src, wk, n);
		break;
	}
}

/* ---- a gray shrink by a small factor (the keypoints' pyramid), row by row ----
 * Eight outputs of one row at once, one per lane: the bytes they read at tap k are
 * picked out of two 16-byte loads (one for outputs 0-3, one for 4-7) by a byte
 * shuffle, made floats, times the eight weights of tap k, added to the eight sums.  A
 * block qualifies when each half's weighed taps lie within its 16 bytes, and those lie
 * inside the row; the other outputs go through hrow's loop.  Each lane adds weight times pixel
 * tap by tap from 0 as hrow does, the taps past an output's count with weight 0
 * (a sum >= 0 stays as it was): the same floats as hrow, with no transposes. */
struct gplan {
	int nb;                 /* blocks of 8 outputs, the last maybe short */
	unsigned char *ok;      /* per block: qualifies */
	int *base;              /* per block, per half: where its 16 bytes start */
	unsigned char *kmax;    /* per block: the most taps of its outputs */
	unsigned char (*mask)[32];      /* per block: the shuffle of tap 0 */
	float *wt;              /* per block, per tap k < maxn: the 8 outputs' weights */
};

static void gplan_free(struct gplan *g)
{
	free(g->ok);
	free(g->kmax);
	free(g->base);
	free(g->mask);
	free(g->wt);
	memset(g, 0, sizeof *g);
}

/* The plan for taps tx over rows of sw bytes: 1 when some block qualifies, 0 when none
 * does (nothing held), -1 when out of memory.  A half's 16 bytes start at its first
 * output's first tap, or end at the row's end when that is nearer; the last block may
 * be short (its missing outputs read nothing, weigh 0 and are not stored). */
static int gplan_make(struct gplan *g, const struct taps *tx, int sw, int w)
{
	int any = 0;

	memset(g, 0, sizeof *g);
	g->nb = (w + RB - 1) / RB;
	if (w < RB || sw < 16 || tx->maxn > 16)
		return 0;
	g->ok = calloc((size_t)g->nb, 1);
	g->kmax = calloc((size_t)g->nb, 1);
	g->base = malloc((size_t)g->nb * 2 * sizeof *g->base);
	g->mask = aligned_alloc(32, (size_t)g->nb * sizeof *g->mask);
	g->wt = calloc((size_t)g->nb * (size_t)tx->maxn * RB, sizeof *g->wt);
	if (g->ok == NULL || g->kmax == NULL || g->base == NULL || g->mask == NULL ||
	    g->wt == NULL) {
		gplan_free(g);
		return -1;
	}
	for (int b = 0; b < g->nb; b++) {
		int x = b * RB, n = w - x < RB ? w - x : RB, kmax = 0, ok = 1;

		for (int i = 0; i < n; i++)
			kmax = tx->count[x + i] > kmax ? tx->count[x + i] : kmax;
		for (int half = 0; half < 2; half++) {
			int first = x + 4 * half;

			g->base[2 * b + half] = first < w && tx->start[first] < sw - 16 ?
			    tx->start[first] : sw - 16;
		}
		for (int i = 0; i < RB; i++) {
			int d = i < n ? tx->start[x + i] - g->base[2 * b + i / 4] : 0;

			/* the taps it weighs must lie in the half's 16 bytes; those past its
			 * count (weight 0) may pick any of them */
			if (i < n && (d < 0 || d + tx->count[x + i] > 16))
				ok = 0;
			for (int q = 0; q < 4; q++)
				g->mask[b][4 * i + q] = q == 0 && i < n && ok ? (unsigned char)d : 0x80;
			for (int k = 0; i < n && k < tx->maxn; k++)
				g->wt[((size_t)b * (size_t)tx->maxn + (size_t)k) * RB + (size_t)i] =
				    tx->w[(size_t)(x + i) * (size_t)tx->maxn + (size_t)k];
		}
		g->ok[b] = (unsigned char)ok;
		g->kmax[b] = (unsigned char)kmax;
		any |= ok;
	}
	if (!any)
		gplan_free(g);
	return any;
}

/* Outputs x0 .. x1 - 1 of one gray row, as hrow makes them. */
static void hrow_part(const struct taps *tx, const unsigned char *row, int x0, int x1, float *t)
{
	for (int x = x0; x < x1; x++) {
		const float *wt = tx->w + (size_t)x * (size_t)tx->maxn;
		const unsigned char *s = row + tx->start[x];
		float sum = 0;

		for (int k = 0; k < tx->count[x]; k++)
			sum += wt[k] * s[k];
		t[x] = sum;
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Rows r0 and r1 (r1 may be r0) through the plan into t0 and t1: the two rows' sums are
 * independent chains, made side by side so that neither waits on its own additions. */
__attribute__((target("avx2")))
static void hrow_gather_avx2(const struct gplan *g, const struct taps *tx,
    const unsigned char *r0, const unsigned char *r1, int w, float *t0, float *t1)
{
	const __m256i one = _mm256_set1_epi8(1);
	size_t m = (size_t)tx->maxn;

	for (int b = 0; b < g->nb; b++) {
		int x = b * RB, n = w - x < RB ? w - x : RB, lo = g->base[2 * b], hi = g->base[2 * b + 1];
		const float *wk = g->wt + (size_t)b * m * RB;
		__m256i v0, v1, sh;
		__m256 s0, s1;

		if (!g->ok[b]) {
			hrow_part(tx, r0, x, x + n, t0);
			hrow_part(tx, r1, x, x + n, t1);
			continue;
		}
		v0 = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadu_si128((const __m128i *)(r0 + lo))),
		    _mm_loadu_si128((const __m128i *)(r0 + hi)), 1);
		v1 = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadu_si128((const __m128i *)(r1 + lo))),
		    _mm_loadu_si128((const __m128i *)(r1 + hi)), 1);
		sh = _mm256_load_si256((const __m256i *)g->mask[b]);
		s0 = _mm256_setzero_ps();
		s1 = s0;
		for (int k = 0; k < g->kmax[b]; k++) {
			__m256 wv = _mm256_load_ps(wk + (size_t)k * RB);

			s0 = _mm256_add_ps(s0, _mm256_mul_ps(wv,
			    _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v0, sh))));
			s1 = _mm256_add_ps(s1, _mm256_mul_ps(wv,
			    _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v1, sh))));
			sh = _mm256_add_epi8(sh, one);
		}
		if (n == RB) {
			_mm256_storeu_ps(t0 + x, s0);
			_mm256_storeu_ps(t1 + x, s1);
		} else {
			float part[2][RB];

			_mm256_storeu_ps(part[0], s0);
			_mm256_storeu_ps(part[1], s1);
			memcpy(t0 + x, part[0], (size_t)n * sizeof part[0][0]);
			memcpy(t1 + x, part[1], (size_t)n * sizeof part[1][0]);
		}
	}
}
#endif

/* A buffer of n columns for hrows_vec, 32-byte aligned; NULL when out of memory. */
static v8f *cols_new(size_t n)
{
	return aligned_alloc(sizeof(v8f), n * sizeof(v8f));
}

/* The vertical sums, plus 0.5, clamped to bytes (SSE2 on x86-64: truncation of the
 * clamped sum is the same byte as the C conversion). */
static void put_row(const float *acc, size_t n, unsigned char *d)
{
	size_t i = 0;

#if defined(__x86_64__) && defined(__GNUC__)
	if (img_simd_form() != IMG_SIMD_NONE) {
		const __m128 half = _mm_set1_ps(0.5f), top = _mm_set1_ps(255.0f);

		for (; i + 16 <= n; i += 16) {
			__m128i q[4];

			for (int k = 0; k < 4; k++) {
				__m128 a = _mm_add_ps(_mm_loadu_ps(acc + i + 4 * k), half);

				/* at most 255, and 0 where a <= 0 */
				a = _mm_and_ps(_mm_min_ps(a, top), _mm_cmpgt_ps(a, _mm_setzero_ps()));
				q[k] = _mm_cvttps_epi32(a);
			}
			_mm_storeu_si128((__m128i *)(d + i), _mm_packus_epi16(
			    _mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3])));
		}
	}
#endif
	for (; i < n; i++) {
		float a = acc[i] + 0.5f;

		d[i] = a <= 0 ? 0 : a >= 255 ? 255 : (unsigned char)a;
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* One output row of img_resize's vertical pass with AVX2: the sum over the taps of
 * weight times row k, from 0 in tap order, plus 0.5, clamped and truncated to bytes;
 * the same floats as axpy tap by tap into zeros and the same bytes as put_row, in one
 * pass with the sums in registers. */
__attribute__((target("avx2")))
static void vrow_avx2(const float *src, size_t n, const float *wt, int count, unsigned char *d)
{
	const __m256 half = _mm256_set1_ps(0.5f), top = _mm256_set1_ps(255.0f);
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m256 a = _mm256_setzero_ps(), b = a;
		__m128i q;

		for (int k = 0; k < count; k++) {
			const float *r = src + (size_t)k * n + i;
			__m256 wk = _mm256_set1_ps(wt[k]);

			a = _mm256_add_ps(a, _mm256_mul_ps(wk, _mm256_loadu_ps(r)));
			b = _mm256_add_ps(b, _mm256_mul_ps(wk, _mm256_loadu_ps(r + 8)));
		}
		a = _mm256_add_ps(a, half);
		b = _mm256_add_ps(b, half);
		a = _mm256_and_ps(_mm256_min_ps(a, top), _mm256_cmp_ps(a, _mm256_setzero_ps(),
		    _CMP_GT_OQ));
		b = _mm256_and_ps(_mm256_min_ps(b, top), _mm256_cmp_ps(b, _mm256_setzero_ps(),
		    _CMP_GT_OQ));
		{
			__m256i pa = _mm256_packs_epi32(_mm256_cvttps_epi32(a), _mm256_cvttps_epi32(b));

			/* lanes: a0-3 b0-3 | a4-7 b4-7, as 16-bit; to bytes in order */
			pa = _mm256_permute4x64_epi64(pa, 0xd8);
			q = _mm_packus_epi16(_mm256_castsi256_si128(pa),
			    _mm256_extracti128_si256(pa, 1));
		}
		_mm_storeu_si128((__m128i *)(d + i), q);
	}
	for (; i < n; i++) {
		float a = 0;

		for (int k = 0; k < count; k++)
			a += wt[k] * src[(size_t)k * n + i];
		a += 0.5f;
		d[i] = a <= 0 ? 0 : a >= 255 ? 255 : (unsigned char)a;
	}
}
#endif

/* img_resize's vertical pass: output row y of h (n bytes) from the horizontal sums tmp
 * (n floats a source row) through the taps ty, with acc room for n floats: row by row
 * through the taps, so every pass reads a row in order (the sums are made in the same
 * order as tap by tap for each pixel: the same floats). */
static void vpass(const struct taps *ty, const float *tmp, size_t n, int h, float *acc,
    unsigned char *out)
{
	for (int y = 0; y < h; y++) {
		const float *wt = ty->w + (size_t)y * (size_t)ty->maxn;

#if defined(__x86_64__) && defined(__GNUC__)
		if (img_simd_form() == IMG_SIMD_AVX2) {
			vrow_avx2(tmp + (size_t)ty->start[y] * n, n, wt, ty->count[y], out + (size_t)y * n);
			continue;
		}
#endif
		for (size_t i = 0; i < n; i++)
			acc[i] = 0;
		for (int k = 0; k < ty->count[y]; k++)
			axpy(acc, tmp + ((size_t)ty->start[y] + (size_t)k) * n, wt[k], n);
		put_row(acc, n, out + (size_t)y * n);
	}
}

struct img *img_resize(const struct img *im, int w, int h)
{
	struct taps tx = {0}, ty = {0};
	struct img *out = NULL;
	float *tmp = NULL, *acc = NULL;
	v8f *cols = NULL;
	size_t colcap = 0;
	int ch, y;

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
#if defined(__x86_64__) && defined(__GNUC__)
	if (ch == 1 && img_simd_form() == IMG_SIMD_AVX2) {
		struct gplan g;
		int rc = gplan_make(&g, &tx, im->w, w);

		if (rc < 0)
			goto fail;
		for (y = 0; rc > 0 && y < im->h; y += 2) {
			int y1 = y + 1 < im->h ? y + 1 : y;

			hrow_gather_avx2(&g, &tx, im->px + (size_t)y * (size_t)im->w,
			    im->px + (size_t)y1 * (size_t)im->w, w, tmp + (size_t)y * (size_t)w,
			    tmp + (size_t)y1 * (size_t)w);
		}
		gplan_free(&g);
		if (rc > 0)
			goto vertical;
	}
#endif
	colcap = cols_needed(&tx, ch);
	if (im->h >= RB && (cols = cols_new(colcap)) == NULL)
		goto fail;
	/* horizontal pass into floats, then vertical pass with rounding: one rounding only */
	for (y = 0; y < im->h; y += RB) {
		size_t rowlen = (size_t)im->w * (size_t)ch;
		const unsigned char *rows = im->px + (size_t)y * rowlen;
		float *t = tmp + (size_t)y * (size_t)w * (size_t)ch;

		if (im->h - y < RB) {   /* the last few rows, one at a time */
			for (int r = 0; r < im->h - y; r++)
				hrow(&tx, rows + (size_t)r * rowlen, ch, w,
				    t + (size_t)r * (size_t)w * (size_t)ch);
			break;
		}
		hrows_any(&tx, rows, rowlen, ch, w, t, cols, colcap);
	}
vertical:
	vpass(&ty, tmp, (size_t)w * (size_t)ch, h, acc, out->px);
	free(cols);
	free(acc);
	free(tmp);
	taps_free(&tx);
	taps_free(&ty);
	return out;
fail:
	free(cols);
	free(acc);
	free(tmp);
	taps_free(&tx);
	taps_free(&ty);
	img_free(out);
	return NULL;
}

int img_resize_multi(const struct img *im, int n, const int *ws, const int *hs,
    struct img **out)
{
	struct taps tx[IMG_MULTI_MAX], ty[IMG_MULTI_MAX];
	float *tmp[IMG_MULTI_MAX], *acc = NULL;
	v8f *cols = NULL;
	size_t rowlen, maxw = 1;
	int form = img_simd_form(), ch, i, ok = 1;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (im == NULL || im->px == NULL || n < 1 || n > IMG_MULTI_MAX)
		return -1;
	ch = im->ch;
	rowlen = (size_t)im->w * (size_t)ch;
	for (i = 0; i < n; i++)
		ok &= ws[i] >= 1 && hs[i] >= 1 && ws[i] < im->w && hs[i] < im->h &&
		    (size_t)im->h <= SIZE_MAX / sizeof(float) / (size_t)ws[i] / (size_t)ch;
	if (form == IMG_SIMD_NONE || !ok || im->h < RB || rowlen > 4096) {
		/* the plain form, or a case the shared pass is not for: one at a time */
		for (i = 0; i < n; i++)
			if ((out[i] = img_resize(im, ws[i], hs[i])) == NULL) {
				while (i-- > 0) {
					img_free(out[i]);
					out[i] = NULL;
				}
				return -1;
			}
		return 0;
	}
	memset(tx, 0, sizeof tx);
	memset(ty, 0, sizeof ty);
	memset(tmp, 0, sizeof tmp);
	for (i = 0; i < n; i++) {
		out[i] = img_new(ws[i], hs[i], ch);
		tmp[i] = malloc((size_t)im->h * (size_t)ws[i] * (size_t)ch * sizeof **tmp);
		if (out[i] == NULL || tmp[i] == NULL || taps_make(&tx[i], im->w, ws[i]) < 0 ||
		    taps_make(&ty[i], im->h, hs[i]) < 0)
			goto fail;
		maxw = (size_t)ws[i] > maxw ? (size_t)ws[i] : maxw;
	}
	acc = malloc(maxw * (size_t)ch * sizeof *acc);
	if (acc == NULL || (cols = cols_new(rowlen)) == NULL)
		goto fail;
	for (int y = 0; y < im->h; y += RB) {
		const unsigned char *rows = im->px + (size_t)y * rowlen;

		if (im->h - y < RB) {   /* the last few rows, one at a time */
			for (i = 0; i < n; i++)
				for (int r = 0; r < im->h - y; r++)
					hrow(&tx[i], rows + (size_t)r * rowlen, ch, ws[i],
					    tmp[i] + (size_t)(y + r) * (size_t)ws[i] * (size_t)ch);
			break;
		}
#if defined(__x86_64__) && defined(__GNUC__)
		if (form == IMG_SIMD_AVX2) {
			cols_fill_avx2(rows, rowlen, cols);
			for (i = 0; i < n; i++)
				hrows_filled_avx2(&tx[i], rowlen, ch, ws[i],
				    tmp[i] + (size_t)y * (size_t)ws[i] * (size_t)ch, cols);
			continue;
		}
#endif
		cols_fill(rows, rowlen, 0, rowlen, cols, 0);
		for (i = 0; i < n; i++)
			hrows_filled_vec(&tx[i], rowlen, ch, ws[i],
			    tmp[i] + (size_t)y * (size_t)ws[i] * (size_t)ch, cols);
	}
	for (i = 0; i < n; i++)
		vpass(&ty[i], tmp[i], (size_t)ws[i] * (size_t)ch, hs[i], acc, out[i]->px);
	free(cols);
	free(acc);
	for (i = 0; i < n; i++) {
		free(tmp[i]);
		taps_free(&tx[i]);
		taps_free(&ty[i]);
	}
	return 0;
fail:
	free(cols);
	free(acc);
	for (i = 0; i < n; i++) {
		free(tmp[i]);
		taps_free(&tx[i]);
		taps_free(&ty[i]);
		img_free(out[i]);
		out[i] = NULL;
	}
	return -1;
}

/* The streaming form of img_resize.  Source rows are buffered RB at a time and go
 * through the same horizontal pass; each output row still being summed has a float
 * accumulator, kept in a ring of nacc (the most output rows ever open at once: one or
 * two for a shrink), and gets each source row's floats times that row's weight, in
 * source-row order, as img_resize's vertical pass adds them: the same floats, the same
 * bytes. */
struct img_resizer {
	int sw, sh, ch, w, h;
	struct taps tx, ty;
	struct img *out;
	unsigned char *src;     /* up to RB source rows waiting for the horizontal pass */
	float *t;               /* their horizontal sums, w * ch floats a row */
	float *acc;             /* nacc accumulators, w * ch floats each */
	v8f *cols;              /* colcap columns for hrows_vec */
	size_t colcap;
	int nacc;
	int got, pending;       /* source rows pushed; of those, how many wait in src */
	int lo;                 /* the first output row not yet written */
};

void img_resizer_free(struct img_resizer *rs)
{
	if (rs == NULL)
		return;
	taps_free(&rs->tx);
	taps_free(&rs->ty);
	img_free(rs->out);
	free(rs->src);
	free(rs->t);
	free(rs->acc);
	free(rs->cols);
	free(rs);
}

struct img_resizer *img_resizer_new(int sw, int sh, int ch, int w, int h)
{
	struct img_resizer *rs;
	size_t n;
	int r, lo = 0, hi = -1;

	if (sw < 1 || sh < 1 || w < 1 || h < 1 || ch < 1 || ch > 4)
		return NULL;
	if ((size_t)sw > SIZE_MAX / RB / (size_t)ch ||
	    (size_t)w > SIZE_MAX / RB / sizeof(float) / (size_t)ch)
		return NULL;
	rs = calloc(1, sizeof *rs);
	if (rs == NULL)
		return NULL;
	rs->sw = sw;
	rs->sh = sh;
	rs->ch = ch;
	rs->w = w;
	rs->h = h;
	if ((rs->out = img_new(w, h, ch)) == NULL)
		goto fail;
	if (sw == w && sh == h)
		return rs;      /* rows are copied as they come */
	if (taps_make(&rs->tx, sw, w) < 0 || taps_make(&rs->ty, sh, h) < 0)
		goto fail;
	/* the output rows open while source row r arrives are lo..hi: those that start at
	 * or before r and end after it (both bounds only grow: checked here, relied on in
	 * img_resizer_push) */
	for (r = 1; r < h; r++) {
		const int *st = rs->ty.start, *cn = rs->ty.count;

		if (st[r] < st[r - 1] || st[r] + cn[r] < st[r - 1] + cn[r - 1])
			goto fail;
	}
	for (r = 0; r < sh; r++) {
		while (lo < h && rs->ty.start[lo] + rs->ty.count[lo] <= r)
			lo++;
		while (hi + 1 < h && rs->ty.start[hi + 1] <= r)
			hi++;
		if (hi - lo + 1 > rs->nacc)
			rs->nacc = hi - lo + 1;
	}
	n = (size_t)w * (size_t)ch;
	rs->src = malloc((size_t)RB * (size_t)sw * (size_t)ch);
	rs->t = malloc((size_t)RB * n * sizeof *rs->t);
	rs->acc = malloc((size_t)rs->nacc * n * sizeof *rs->acc);
	rs->colcap = cols_needed(&rs->tx, ch);
	rs->cols = cols_new(rs->colcap);
	if (rs->src == NULL || rs->t == NULL || rs->acc == NULL || rs->cols == NULL)
		goto fail;
	return rs;
fail:
	img_resizer_free(rs);
	return NULL;
}

/* Source row r's horizontal sums t into every output row that draws on it. */
static void vrow(struct img_resizer *rs, int r, const float *t)
{
	const struct taps *ty = &rs->ty;
	size_t i, n = (size_t)rs->w * (size_t)rs->ch;

	for (int y = rs->lo; y < rs->h && ty->start[y] <= r; y++) {
		int k = r - ty->start[y];
		float *acc = rs->acc + (size_t)(y % rs->nacc) * n;
		float wk;

		if (k >= ty->count[y])
			continue;
		if (k == 0)
			for (i = 0; i < n; i++)
				acc[i] = 0;
		wk = ty->w[(size_t)y * (size_t)ty->maxn + (size_t)k];
		axpy(acc, t, wk, n);
		if (k == ty->count[y] - 1)
			put_row(acc, n, rs->out->px + (size_t)y * n);
	}
	while (rs->lo < rs->h && ty->start[rs->lo] + ty->count[rs->lo] <= r + 1)
		rs->lo++;
}

/* The rows waiting in src: RB at once through hrows, fewer one at a time. */
static void flush(struct img_resizer *rs)
{
	size_t rowlen = (size_t)rs->sw * (size_t)rs->ch, n = (size_t)rs->w * (size_t)rs->ch;
	int first = rs->got - rs->pending;

	if (rs->pending == RB)
		hrows_any(&rs->tx, rs->src, rowlen, rs->ch, rs->w, rs->t, rs->cols, rs->colcap);
	else
		for (int r = 0; r < rs->pending; r++)
			hrow(&rs->tx, rs->src + (size_t)r * rowlen, rs->ch, rs->w,
			    rs->t + (size_t)r * n);
	for (int r = 0; r < rs->pending; r++)
		vrow(rs, first + r, rs->t + (size_t)r * n);
	rs->pending = 0;
}

int img_resizer_push(struct img_resizer *rs, const unsigned char *row)
{
	size_t rowlen = (size_t)rs->sw * (size_t)rs->ch;

	if (rs->got >= rs->sh)
		return -1;
	if (rs->sw == rs->w && rs->sh == rs->h) {
		memcpy(rs->out->px + (size_t)rs->got++ * rowlen, row, rowlen);
		return 0;
	}
	memcpy(rs->src + (size_t)rs->pending++ * rowlen, row, rowlen);
	rs->got++;
	if (rs->pending == RB)
		flush(rs);
	return 0;
}

struct img *img_resizer_finish(struct img_resizer *rs)
{
	struct img *out = NULL;

	if (rs == NULL)
		return NULL;
	if (rs->got == rs->sh) {
		if (rs->pending > 0)
			flush(rs);
		out = rs->out;
		rs->out = NULL;
	}
	img_resizer_free(rs);
	return out;
}

void img_scaled_size(int w, int h, int min_side, int *sw, int *sh)
{
	int s = w < h ? w : h;

	*sw = w;
	*sh = h;
	if (min_side <= 0 || s <= min_side)
		return;
	*sw = (int)(((long long)w * min_side + s / 2) / s);
	*sh = (int)(((long long)h * min_side + s / 2) / s);
	if (*sw < 1)
		*sw = 1;
	if (*sh < 1)
		*sh = 1;
}

int img_working_size(int w, int h, int min_side, int *sw, int *sh)
{
	if (min_side <= 0 || w <= 2 * min_side || h <= 2 * min_side) {
		*sw = w;
		*sh = h;
		return 0;
	}
	img_scaled_size(w, h, min_side, sw, sh);
	return 1;
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
