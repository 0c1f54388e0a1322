/* kpsimd.c — FAST-9 and Harris for keypoints.c: plain C, and SSE2 and AVX2 forms that
 * compute the same integers (kpsimd.h). */
#include "kpsimd.h"

#include <string.h>

#include "image.h"


#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KPS_X86 1
#else
#define KPS_X86 0
#endif

/* the 16-pixel Bresenham circle of radius 3, clockwise from the top */
static const int circle[16][2] = {
	{0, -3}, {1, -3}, {2, -2}, {3, -1}, {3, 0}, {3, 1}, {2, 2}, {1, 3},
	{0, 3}, {-1, 3}, {-2, 2}, {-3, 1}, {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3},
};

static void circle_offsets(int w, int off[16])
{
	for (int k = 0; k < 16; k++)
		off[k] = circle[k][1] * w + circle[k][0];
}

/* ---- plain C ---- */

/* FAST-9 at p: 1 when 9 contiguous circle pixels are all brighter or all darker. */
static int fast9(const unsigned char *p, const int off[16], int t)
{
	int c = p[0], hi = c + t, lo = c - t;
	unsigned bright = 0, dark = 0;
	int nb = 0, nd = 0;

	/* the four compass points: an arc of 9 covers at least two of them */
	for (int k = 0; k < 16; k += 4) {
		int v = p[off[k]];

		nb += v > hi;
		nd += v < lo;
	}
	if (nb < 2 && nd < 2)
		return 0;
	for (int k = 0; k < 16; k++) {
		int v = p[off[k]];

		bright |= (unsigned)(v > hi) << k;
		dark |= (unsigned)(v < lo) << k;
	}
	for (int pass = 0; pass < 2; pass++) {
		uint32_t m = pass ? dark : bright, r;

		m |= m << 16;  /* the circle wraps */
		r = m;
		for (int k = 1; k < 9; k++)
			r &= m >> k;
		if (r)
			return 1;
	}
	return 0;
}

static int fast_row_c(const unsigned char *im, int w, int y, int x0, int x1, int t, int *xs)
{
	const unsigned char *row = im + (size_t)y * (size_t)w;
	int off[16], n = 0;

	circle_offsets(w, off);
	for (int x = x0; x < x1; x++)
		if (fast9(row + x, off, t))
			xs[n++] = x;
	return n;
}

static int64_t harris_c(const unsigned char *im, int w, int x, int y)
{
	int64_t sxx = 0, syy = 0, sxy = 0;

	for (int dy = -3; dy <= 3; dy++) {
		const unsigned char *row = im + (size_t)(y + dy) * (size_t)w + x;

		for (int dx = -3; dx <= 3; dx++) {
			int gx = row[dx + 1] - row[dx - 1];
			int gy = row[dx + w] - row[dx - w];

			sxx += gx * gx;
			syy += gy * gy;
			sxy += gx * gy;
		}
	}
	return 25 * (sxx * syy - sxy * sxy) - (sxx + syy) * (sxx + syy);
}

static void integral_c(const unsigned char *im, int w, int h, uint32_t *ii)
{
	int iw = w + 1;

	memset(ii, 0, (size_t)iw * sizeof *ii);
	for (int y = 0; y < h; y++) {
		const unsigned char *src = im + (size_t)y * (size_t)w;
		const uint32_t *up = ii + (size_t)y * (size_t)iw;
		uint32_t *row = ii + (size_t)(y + 1) * (size_t)iw, rs = 0;

		row[0] = 0;
		for (int x = 0; x < w; x++) {
			rs += src[x];
			row[x + 1] = up[x + 1] + rs;
		}
	}
}

/* one row of kps_box5: the vertical sums of rows y .. y + 4 already in b[0 .. w), made
 * into the sums of five along the row in place (b[x] is read last by output x) */
static void box5_across_c(uint16_t *b, int x, int w)
{
	for (; x + 4 < w; x++)
		b[x] = (uint16_t)(b[x] + b[x + 1] + b[x + 2] + b[x + 3] + b[x + 4]);
	for (; x < w; x++)
		b[x] = 0;
}

static void box5_c(const unsigned char *im, int w, int h, uint16_t *box)
{
	for (int y = 0; y + 5 <= h; y++) {
		const unsigned char *s = im + (size_t)y * (size_t)w;
		uint16_t *b = box + (size_t)y * (size_t)w;

		for (int x = 0; x < w; x++)
			b[x] = (uint16_t)(s[x] + s[x + w] + s[x + 2 * (size_t)w] + s[x + 3 * (size_t)w] +
			    s[x + 4 * (size_t)w]);
		box5_across_c(b, 0, w);
	}
}

static void describe_box_c(const uint16_t *box, int w, int x, int y, const int32_t *offa,
    const int32_t *offb, uint8_t d[32])
{
	const uint16_t *at = box + (size_t)(y - 2) * (size_t)w + (x - 2);

	memset(d, 0, 32);
	for (int i = 0; i < 256; i++)
		if (at[offa[i]] < at[offb[i]])
			d[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void moments_c(const unsigned char *im, int w, int x, int y, const int *half, int r,
    int64_t *m10, int64_t *m01)
{
	*m10 = *m01 = 0;
	for (int dy = -r; dy <= r; dy++) {
		int h = half[dy < 0 ? -dy : dy];
		const unsigned char *row = im + (size_t)(y + dy) * (size_t)w + x;
		int64_t rs = 0;

		for (int dx = -h; dx <= h; dx++) {
			*m10 += (int64_t)dx * row[dx];
			rs += row[dx];
		}
		*m01 += (int64_t)dy * rs;
	}
}

#if KPS_X86
/* ---- SSE2 (every x86-64) ----
 * Per circle pixel k, a byte mask that is all ones where it is NOT brighter than the
 * centre plus t (nb) or NOT darker than the centre minus t (nd), with saturating byte
 * arithmetic: where c + t passes 255 no pixel is brighter, as in plain C.  A lane is a
 * corner when the circle, walked once and 9 pixels on (it wraps), has a run of 9
 * brighter or 9 darker.  Any arc of 9 holds two neighbouring compass points (0, 4, 8,
 * 12), so blocks where no lane has such a pair skip the full test. */

#define V __m128i
static int fast_row_sse2(const unsigned char *im, int w, int y, int x0, int x1, int t, int *xs)
{
	const unsigned char *row = im + (size_t)y * (size_t)w;
	const __m128i tv = _mm_set1_epi8((char)t), z = _mm_setzero_si128();
	const __m128i ones = _mm_set1_epi8(-1), eight = _mm_set1_epi8(8);
	int off[16], n = 0;

	circle_offsets(w, off);
	for (int x = x0; x < x1; x += 16) {
		const unsigned char *p = row + x;
		unsigned valid = x1 - x >= 16 ? 0xffffu : (1u << (x1 - x)) - 1, hit;
		__m128i c = _mm_loadu_si128((const __m128i *)p);
		__m128i hi = _mm_adds_epu8(c, tv), lo = _mm_subs_epu8(c, tv);
		__m128i nb[16], nd[16], pb, pd;

		for (int k = 0; k < 16; k += 4) {
			__m128i v = _mm_loadu_si128((const __m128i *)(p + off[k]));

			nb[k] = _mm_cmpeq_epi8(_mm_subs_epu8(v, hi), z);
			nd[k] = _mm_cmpeq_epi8(_mm_subs_epu8(lo, v), z);
		}
		pb = _mm_and_si128(_mm_and_si128(_mm_or_si128(nb[0], nb[4]), _mm_or_si128(nb[4], nb[8])),
		    _mm_and_si128(_mm_or_si128(nb[8], nb[12]), _mm_or_si128(nb[12], nb[0])));
		pd = _mm_and_si128(_mm_and_si128(_mm_or_si128(nd[0], nd[4]), _mm_or_si128(nd[4], nd[8])),
		    _mm_and_si128(_mm_or_si128(nd[8], nd[12]), _mm_or_si128(nd[12], nd[0])));
		if ((~(unsigned)_mm_movemask_epi8(_mm_and_si128(pb, pd)) & valid) == 0)
			continue;
		{
			__m128i cb = z, cd = z, mb = z, md = z;

			/* runs of brighter (darker) pixels along 0 .. 15, 0 .. 8: a byte
			 * counter per lane, reset where the run breaks, and its maximum */
			for (int k = 0; k < 25; k++) {
				__m128i v = _mm_loadu_si128((const __m128i *)(p + off[k & 15]));

				cb = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_subs_epu8(v, hi), z),
				    _mm_sub_epi8(cb, ones));
				cd = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_subs_epu8(lo, v), z),
				    _mm_sub_epi8(cd, ones));
				mb = _mm_max_epu8(mb, cb);
				md = _mm_max_epu8(md, cd);
			}
			mb = _mm_max_epu8(mb, md);
			hit = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(mb, eight),
			    eight)) & valid;
		}
		while (hit) {
			xs[n++] = x + __builtin_ctz(hit);
			hit &= hit - 1;
		}
	}
	return n;
}
#undef V

/* ---- AVX2: the same, 32 pixels at a time ---- */
#define V __m256i
__attribute__((target("avx2")))
static int fast_row_avx2(const unsigned char *im, int w, int y, int x0, int x1, int t, int *xs)
{
	const unsigned char *row = im + (size_t)y * (size_t)w;
	const __m256i tv = _mm256_set1_epi8((char)t), z = _mm256_setzero_si256();
	const __m256i ones = _mm256_set1_epi8(-1), eight = _mm256_set1_epi8(8);
	int off[16], n = 0;

	circle_offsets(w, off);
	for (int x = x0; x < x1; x += 32) {
		const unsigned char *p = row + x;
		uint32_t valid = x1 - x >= 32 ? 0xffffffffu : (1u << (x1 - x)) - 1, hit;
		__m256i c = _mm256_loadu_si256((const __m256i *)p);
		__m256i hi = _mm256_adds_epu8(c, tv), lo = _mm256_subs_epu8(c, tv);
		__m256i nb[16], nd[16], pb, pd;

		for (int k = 0; k < 16; k += 4) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(p + off[k]));

			nb[k] = _mm256_cmpeq_epi8(_mm256_subs_epu8(v, hi), z);
			nd[k] = _mm256_cmpeq_epi8(_mm256_subs_epu8(lo, v), z);
		}
		pb = _mm256_and_si256(_mm256_and_si256(_mm256_or_si256(nb[0], nb[4]),
		    _mm256_or_si256(nb[4], nb[8])), _mm256_and_si256(_mm256_or_si256(nb[8], nb[12]),
		    _mm256_or_si256(nb[12], nb[0])));
		pd = _mm256_and_si256(_mm256_and_si256(_mm256_or_si256(nd[0], nd[4]),
		    _mm256_or_si256(nd[4], nd[8])), _mm256_and_si256(_mm256_or_si256(nd[8], nd[12]),
		    _mm256_or_si256(nd[12], nd[0])));
		if ((~(uint32_t)_mm256_movemask_epi8(_mm256_and_si256(pb, pd)) & valid) == 0)
			continue;
		{
			__m256i cb = z, cd = z, mb = z, md = z;

			for (int k = 0; k < 25; k++) {
				__m256i v = _mm256_loadu_si256((const __m256i *)(p + off[k & 15]));

				cb = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_subs_epu8(v, hi), z),
				    _mm256_sub_epi8(cb, ones));
				cd = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_subs_epu8(lo, v), z),
				    _mm256_sub_epi8(cd, ones));
				mb = _mm256_max_epu8(mb, cb);
				md = _mm256_max_epu8(md, cd);
			}
			mb = _mm256_max_epu8(mb, md);
			hit = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			    _mm256_max_epu8(mb, eight), eight)) & valid;
		}
		while (hit) {
			xs[n++] = x + __builtin_ctz(hit);
			hit &= hit - 1;
		}
	}
	return n;
}
#undef V

/* Harris with SSE2: per window row, the 8 gradients of dx = -3 .. 4 as 16-bit lanes
 * (the last one zeroed), squared and multiplied in pairs into 32-bit sums (at most
 * 49 * 65025: no overflow); the same integers as plain C. */
static int64_t harris_sse2(const unsigned char *im, int w, int x, int y)
{
	const __m128i z = _mm_setzero_si128();
	const __m128i keep7 = _mm_set_epi16(0, -1, -1, -1, -1, -1, -1, -1);
	__m128i axx = z, ayy = z, axy = z;
	int32_t s[3][4];
	int64_t sxx, syy, sxy;

	for (int dy = -3; dy <= 3; dy++) {
		const unsigned char *r = im + (size_t)(y + dy) * (size_t)w + x;
		__m128i m = _mm_loadu_si128((const __m128i *)(r - 4));        /* x-4 .. x+11 */
		__m128i left = _mm_unpacklo_epi8(m, z);                        /* x-4 .. x+3 */
		__m128i right = _mm_unpacklo_epi8(_mm_srli_si128(m, 2), z);   /* x-2 .. x+5 */
		__m128i up = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(r - w - 3)), z);
		__m128i down = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(r + w - 3)), z);
		__m128i gx = _mm_and_si128(_mm_sub_epi16(right, left), keep7);
		__m128i gy = _mm_and_si128(_mm_sub_epi16(down, up), keep7);

		axx = _mm_add_epi32(axx, _mm_madd_epi16(gx, gx));
		ayy = _mm_add_epi32(ayy, _mm_madd_epi16(gy, gy));
		axy = _mm_add_epi32(axy, _mm_madd_epi16(gx, gy));
	}
	_mm_storeu_si128((__m128i *)s[0], axx);
	_mm_storeu_si128((__m128i *)s[1], ayy);
	_mm_storeu_si128((__m128i *)s[2], axy);
	sxx = (int64_t)s[0][0] + s[0][1] + s[0][2] + s[0][3];
	syy = (int64_t)s[1][0] + s[1][1] + s[1][2] + s[1][3];
	sxy = (int64_t)s[2][0] + s[2][1] + s[2][2] + s[2][3];
	return 25 * (sxx * syy - sxy * sxy) - (sxx + syy) * (sxx + syy);
}

/* Harris with AVX2: harris_sse2 on two window rows at once, one a 128-bit lane (the
 * eighth row, past the window, read but zeroed); the same integers. */
__attribute__((target("avx2")))
static int64_t harris_avx2(const unsigned char *im, int w, int x, int y)
{
	const __m256i z = _mm256_setzero_si256();
	const __m256i keep7 = _mm256_set_epi16(0, -1, -1, -1, -1, -1, -1, -1,
	    0, -1, -1, -1, -1, -1, -1, -1);
	const __m256i keep7lo = _mm256_set_epi16(0, 0, 0, 0, 0, 0, 0, 0,
	    0, -1, -1, -1, -1, -1, -1, -1);
	__m256i axx = z, ayy = z, axy = z;
	int32_t s[3][8];
	int64_t sxx = 0, syy = 0, sxy = 0;

	for (int dy = -3; dy <= 3; dy += 2) {
		const unsigned char *r0 = im + (size_t)(y + dy) * (size_t)w + x, *r1 = r0 + w;
		__m256i m = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadu_si128((const __m128i *)(r0 - 4))),
		    _mm_loadu_si128((const __m128i *)(r1 - 4)), 1);
		__m256i u = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadl_epi64((const __m128i *)(r0 - w - 3))),
		    _mm_loadl_epi64((const __m128i *)(r1 - w - 3)), 1);
		__m256i d = _mm256_inserti128_si256(_mm256_castsi128_si256(
		    _mm_loadl_epi64((const __m128i *)(r0 + w - 3))),
		    _mm_loadl_epi64((const __m128i *)(r1 + w - 3)), 1);
		__m256i left = _mm256_unpacklo_epi8(m, z);
		__m256i right = _mm256_unpacklo_epi8(_mm256_srli_si256(m, 2), z);
		__m256i k = dy == 3 ? keep7lo : keep7;
		__m256i gx = _mm256_and_si256(_mm256_sub_epi16(right, left), k);
		__m256i gy = _mm256_and_si256(_mm256_sub_epi16(_mm256_unpacklo_epi8(d, z),
		    _mm256_unpacklo_epi8(u, z)), k);

		axx = _mm256_add_epi32(axx, _mm256_madd_epi16(gx, gx));
		ayy = _mm256_add_epi32(ayy, _mm256_madd_epi16(gy, gy));
		axy = _mm256_add_epi32(axy, _mm256_madd_epi16(gx, gy));
	}
	_mm256_storeu_si256((__m256i *)s[0], axx);
	_mm256_storeu_si256((__m256i *)s[1], ayy);
	_mm256_storeu_si256((__m256i *)s[2], axy);
	for (int i = 0; i < 8; i++) {
		sxx += s[0][i];
		syy += s[1][i];
		sxy += s[2][i];
	}
	return 25 * (sxx * syy - sxy * sxy) - (sxx + syy) * (sxx + syy);
}

/* The integral image with SSE2: a row's bytes 8 at a time, their running sums in 16-bit
 * lanes (at most 8 * 255) by three shifted additions, widened and added to the sum of
 * the row so far and to the row above: the same uint32 sums as plain C. */
static void integral_sse2(const unsigned char *im, int w, int h, uint32_t *ii)
{
	const __m128i z = _mm_setzero_si128();
	int iw = w + 1;

	memset(ii, 0, (size_t)iw * sizeof *ii);
	for (int y = 0; y < h; y++) {
		const unsigned char *src = im + (size_t)y * (size_t)w;
		const uint32_t *up = ii + (size_t)y * (size_t)iw;
		uint32_t *row = ii + (size_t)(y + 1) * (size_t)iw, rs;
		__m128i carry = z;
		int x = 0;

		row[0] = 0;
		for (; x + 8 <= w; x += 8) {
			__m128i v = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(src + x)), z);
			__m128i lo, hi;

			v = _mm_add_epi16(v, _mm_slli_si128(v, 2));
			v = _mm_add_epi16(v, _mm_slli_si128(v, 4));
			v = _mm_add_epi16(v, _mm_slli_si128(v, 8));
			lo = _mm_add_epi32(_mm_unpacklo_epi16(v, z), carry);
			hi = _mm_add_epi32(_mm_unpackhi_epi16(v, z), carry);
			carry = _mm_shuffle_epi32(hi, 0xff);
			_mm_storeu_si128((__m128i *)(row + x + 1),
			    _mm_add_epi32(lo, _mm_loadu_si128((const __m128i *)(up + x + 1))));
			_mm_storeu_si128((__m128i *)(row + x + 5),
			    _mm_add_epi32(hi, _mm_loadu_si128((const __m128i *)(up + x + 5))));
		}
		rs = (uint32_t)_mm_cvtsi128_si32(carry);
		for (; x < w; x++) {
			rs += src[x];
			row[x + 1] = up[x + 1] + rs;
		}
	}
}

/* The moments with SSE2: each row of the disc as 32 bytes (dx = -15 .. 16) masked to
 * |dx| <= its half width, the row sum by sums of absolute differences with 0 and the
 * dx-weighted sum by 16-bit multiply-adds into 32-bit lanes (at most 31 * 31 * 15 * 255
 * in all: no overflow); the same integers as plain C. */
static void moments_sse2(const unsigned char *im, int w, int x, int y, const int *half, int r,
    int64_t *m10, int64_t *m01)
{
	const __m128i z = _mm_setzero_si128();
	const __m128i dx0 = _mm_setr_epi8(-15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4,
	    -3, -2, -1, 0);
	const __m128i dx1 = _mm_setr_epi8(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
	const __m128i w0 = _mm_setr_epi16(-15, -14, -13, -12, -11, -10, -9, -8);
	const __m128i w1 = _mm_setr_epi16(-7, -6, -5, -4, -3, -2, -1, 0);
	const __m128i w2 = _mm_setr_epi16(1, 2, 3, 4, 5, 6, 7, 8);
	const __m128i w3 = _mm_setr_epi16(9, 10, 11, 12, 13, 14, 15, 16);
	__m128i acc = z;
	int32_t a[4];
	int64_t s01 = 0;

	for (int dy = -r; dy <= r; dy++) {
		int h = half[dy < 0 ? -dy : dy];
		const unsigned char *row = im + (size_t)(y + dy) * (size_t)w + x;
		__m128i hi = _mm_set1_epi8((char)(h + 1)), lo = _mm_set1_epi8((char)(-h - 1));
		__m128i v0 = _mm_loadu_si128((const __m128i *)(row - 15));
		__m128i v1 = _mm_loadu_si128((const __m128i *)(row + 1));
		__m128i s;

		v0 = _mm_and_si128(v0, _mm_and_si128(_mm_cmplt_epi8(dx0, hi), _mm_cmpgt_epi8(dx0, lo)));
		v1 = _mm_and_si128(v1, _mm_and_si128(_mm_cmplt_epi8(dx1, hi), _mm_cmpgt_epi8(dx1, lo)));
		s = _mm_add_epi64(_mm_sad_epu8(v0, z), _mm_sad_epu8(v1, z));
		s01 += (int64_t)dy * (_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8)));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpacklo_epi8(v0, z), w0));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpackhi_epi8(v0, z), w1));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpacklo_epi8(v1, z), w2));
		acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_unpackhi_epi8(v1, z), w3));
	}
	_mm_storeu_si128((__m128i *)a, acc);
	*m10 = (int64_t)a[0] + a[1] + a[2] + a[3];
	*m01 = s01;
}

/* The box sums with AVX2: each row's vertical sums of five, 16 columns at a time as
 * 16-bit lanes (at most 5 * 255), then the sums of five along the row in place from
 * five unaligned loads (all made before the store over the first of them): the same
 * whole numbers as plain C. */
__attribute__((target("avx2")))
static void box5_avx2(const unsigned char *im, int w, int h, uint16_t *box)
{
	for (int y = 0; y + 5 <= h; y++) {
		const unsigned char *s = im + (size_t)y * (size_t)w;
		uint16_t *b = box + (size_t)y * (size_t)w;
		int x = 0;

		for (; x + 16 <= w; x += 16) {
			__m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + x)));

			for (int r = 1; r < 5; r++)
				v = _mm256_add_epi16(v, _mm256_cvtepu8_epi16(_mm_loadu_si128(
				    (const __m128i *)(s + (size_t)r * (size_t)w + x))));
			_mm256_storeu_si256((__m256i *)(b + x), v);
		}
		for (; x < w; x++)
			b[x] = (uint16_t)(s[x] + s[x + w] + s[x + 2 * (size_t)w] + s[x + 3 * (size_t)w] +
			    s[x + 4 * (size_t)w]);
		for (x = 0; x + 20 <= w; x += 16) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(b + x));

			for (int k = 1; k < 5; k++)
				v = _mm256_add_epi16(v, _mm256_loadu_si256((const __m256i *)(b + x + k)));
			_mm256_storeu_si256((__m256i *)(b + x), v);
		}
		box5_across_c(b, x, w);
	}
}

/* The descriptor from box sums with AVX2 gathers: 8 pairs at a time, each sum read as
 * the 32 bits at its place and cut to its 16 (box's entry past the last keeps the last
 * read inside), compared as int32. */
__attribute__((target("avx2")))
static void describe_box_avx2(const uint16_t *box, int w, int x, int y, const int32_t *offa,
    const int32_t *offb, uint8_t d[32])
{
	const int *at = (const int *)(const void *)(box + (size_t)(y - 2) * (size_t)w + (x - 2));
	const __m256i lo = _mm256_set1_epi32(0xffff);

	for (int i = 0; i < 256; i += 8) {
		__m256i a = _mm256_and_si256(_mm256_i32gather_epi32(at,
		    _mm256_loadu_si256((const __m256i *)(offa + i)), 2), lo);
		__m256i b = _mm256_and_si256(_mm256_i32gather_epi32(at,
		    _mm256_loadu_si256((const __m256i *)(offb + i)), 2), lo);

		d[i >> 3] = (uint8_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(b, a)));
	}
}

#endif

void kps_integral(const unsigned char *im, int w, int h, uint32_t *ii)
{
#if KPS_X86
	if (img_simd_form() != IMG_SIMD_NONE) {
		integral_sse2(im, w, h, ii);
		return;
	}
#endif
	integral_c(im, w, h, ii);
}

void kps_box5(const unsigned char *im, int w, int h, uint16_t *box)
{
#if KPS_X86
	if (img_simd_form() == IMG_SIMD_AVX2) {
		box5_avx2(im, w, h, box);
		return;
	}
#endif
	box5_c(im, w, h, box);
}

void kps_describe_box(const uint16_t *box, int w, int x, int y, const int32_t *offa,
    const int32_t *offb, uint8_t d[32])
{
#if KPS_X86
	if (img_simd_form() == IMG_SIMD_AVX2) {
		describe_box_avx2(box, w, x, y, offa, offb, d);
		return;
	}
#endif
	describe_box_c(box, w, x, y, offa, offb, d);
}

void kps_moments(const unsigned char *im, int w, int x, int y, const int *half, int r,
    int64_t *m10, int64_t *m01)
{
#if KPS_X86
	if (img_simd_form() != IMG_SIMD_NONE) {
		moments_sse2(im, w, x, y, half, r, m10, m01);
		return;
	}
#endif
	moments_c(im, w, x, y, half, r, m10, m01);
}

int kps_fast_row(const unsigned char *im, int w, int y, int x0, int x1, int t, int *xs)
{
	if (x1 <= x0)
		return 0;
#if KPS_X86
	switch (img_simd_form()) {
	case IMG_SIMD_AVX2: return fast_row_avx2(im, w, y, x0, x1, t, xs);
	case IMG_SIMD_SSE2: return fast_row_sse2(im, w, y, x0, x1, t, xs);
	default: break;
	}
#endif
	return fast_row_c(im, w, y, x0, x1, t, xs);
}

int64_t kps_harris(const unsigned char *im, int w, int x, int y)
{
#if KPS_X86
	switch (img_simd_form()) {
	case IMG_SIMD_AVX2: return harris_avx2(im, w, x, y);
	case IMG_SIMD_SSE2: return harris_sse2(im, w, x, y);
	default: break;
	}
#endif
	return harris_c(im, w, x, y);
}

void kps_harris_row(const unsigned char *im, int w, int y, const int *xs, int n, int64_t *r)
{
#if KPS_X86
	switch (img_simd_form()) {
	case IMG_SIMD_AVX2:
		for (int i = 0; i < n; i++)
			r[i] = harris_avx2(im, w, xs[i], y);
		return;
	case IMG_SIMD_SSE2:
		for (int i = 0; i < n; i++)
			r[i] = harris_sse2(im, w, xs[i], y);
		return;
	default:
		break;
	}
#endif
	for (int i = 0; i < n; i++)
		r[i] = harris_c(im, w, xs[i], y);
}
