/* hash.c — phash, dhash and whash after ImageHash; see hash.h for the recipes. */
#include "hash.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "featprof.h"
#include "kth.h"

/* The 32nd and 33rd smallest of 64 values into *a and *b (s is reordered): what sorting
 * all 64 and taking the middle two gives, found by selection (kth.h: the 32nd, then the
 * least of those above it). */
static void middle64(double *s, double *a, double *b)
{
	*a = kth_double(s, 64, 31);
	*b = s[32];
	for (int k = 33; k < 64; k++)
		*b = s[k] < *b ? s[k] : *b;
}

/* the cosines of the 32-point DCT-II's 8 lowest frequencies, made once */
static double cosk[8][32];
static pthread_once_t cosk_once = PTHREAD_ONCE_INIT;

static void cosk_make(void)
{
	for (int u = 0; u < 8; u++)
		for (int n = 0; n < 32; n++)
			cosk[u][n] = 2.0 * cos(M_PI * u * (2 * n + 1) / 64.0);
}

/* The gray image resized to w x h, checking the argument. */
static int shrink(const struct img *gray, int w, int h, struct img **out)
{
	if (gray == NULL || gray->ch != 1 || gray->px == NULL)
		return AD_EINTERNAL;
	*out = img_resize(gray, w, h);
	return *out ? 0 : AD_ENOMEM;
}

/* Bits of the 8x8 coefficients against their median, first coefficient the top bit. */
static uint64_t dct_bits(const double d[64])
{
	double s[64], a, b, med;
	uint64_t h = 0;

	memcpy(s, d, sizeof s);
	middle64(s, &a, &b);
	med = (a + b) / 2;
	for (int i = 0; i < 64; i++)
		h = h << 1 | (d[i] > med);
	return h;
}

/* The 8x8 low-frequency block of the DCT-II of the 32x32 shrink sm, as hash.h describes. */
static void dct8_of(const struct img *sm, double d[64])
{
	/* scipy's unnormalised DCT-II: X[k] = 2 sum_n x[n] cos(pi k (2n + 1) / 2N) */
	double t[8][32];
	int u, v, n, i;

	pthread_once(&cosk_once, cosk_make);
	/* axis 0 (down the columns), only the 8 lowest frequencies are needed */
	for (u = 0; u < 8; u++)
		for (n = 0; n < 32; n++) {
			double acc = 0;

			for (i = 0; i < 32; i++)
				acc += cosk[u][i] * sm->px[i * 32 + n];
			t[u][n] = acc;
		}
	/* then axis 1 (along the rows) */
	for (u = 0; u < 8; u++)
		for (v = 0; v < 8; v++) {
			double acc = 0;

			for (n = 0; n < 32; n++)
				acc += cosk[v][n] * t[u][n];
			if (fabs(acc) < 1e-6)
				acc = 0;
			d[u * 8 + v] = acc;
		}
}

/* The same from the gray image. */
static int dct8(const struct img *gray, double d[64])
{
	struct img *sm;
	int rc;

	if ((rc = shrink(gray, 32, 32, &sm)) < 0)
		return rc;
	dct8_of(sm, d);
	img_free(sm);
	return 0;
}

int hash_phash(const struct img *gray, uint64_t *out)
{
	double d[64];
	int rc = dct8(gray, d);

	if (rc < 0)
		return rc;
	*out = dct_bits(d);
	return 0;
}

/* For EXIF orientation k (1..8): transpose or not, then mirror top-bottom (u, rows)
 * and/or left-right (v, columns). */
static const struct { int tr, fu, fv; } op[8] = {
	{ 0, 0, 0 },    /* 1 as it is */
	{ 0, 0, 1 },    /* 2 mirrored left-right */
	{ 0, 1, 1 },    /* 3 turned 180 degrees */
	{ 0, 1, 0 },    /* 4 mirrored top-bottom */
	{ 1, 0, 0 },    /* 5 transposed */
	{ 1, 0, 1 },    /* 6 turned 90 degrees clockwise */
	{ 1, 1, 1 },    /* 7 transverse */
	{ 1, 1, 0 },    /* 8 turned 90 degrees anticlockwise */
};

/* The eight orientations' phashes from the DCT block d. */
static void dihedral_of(const double d[64], uint64_t out[8])
{
	/* a mirror negates the odd frequencies along its axis; a transpose swaps the axes */
	double e[64];

	for (int k = 0; k < 8; k++) {
		for (int u = 0; u < 8; u++)
			for (int v = 0; v < 8; v++) {
				double c = op[k].tr ? d[v * 8 + u] : d[u * 8 + v];

				if ((op[k].fu && (u & 1)) != (op[k].fv && (v & 1)))
					c = -c;
				e[u * 8 + v] = c == 0 ? 0 : c;   /* no -0 */
			}
		out[k] = dct_bits(e);
	}
}

int hash_phash_dihedral(const struct img *gray, uint64_t out[8])
{
	double d[64];
	int rc = dct8(gray, d);

	if (rc < 0)
		return rc;
	dihedral_of(d, out);
	return 0;
}

int hash_cell_orient(int k, int n, int r, int c)
{
	int rr, cc;

	if (k < 1 || k > 8)
		return r * n + c;
	rr = op[k - 1].fu ? n - 1 - r : r;
	cc = op[k - 1].fv ? n - 1 - c : c;
	return op[k - 1].tr ? cc * n + rr : rr * n + cc;
}

/* The grid (row r the byte 7 - r, column c its bit 7 - c) turned with a few shifts and
 * masks rather than bit by bit (dedupe turns every item's wavelet hash eight ways): a
 * transpose by three exchanges of bit blocks across the diagonal, a top-bottom mirror
 * by reversing the bytes, a left-right one by reversing the bits of each. */
uint64_t hash_grid_orient(uint64_t h, int k)
{
	uint64_t t;

	if (k < 1 || k > 8)
		return h;
	if (op[k - 1].tr) {
		t = (h ^ (h >> 7)) & 0x00aa00aa00aa00aaULL;
		h ^= t ^ (t << 7);
		t = (h ^ (h >> 14)) & 0x0000cccc0000ccccULL;
		h ^= t ^ (t << 14);
		t = (h ^ (h >> 28)) & 0x00000000f0f0f0f0ULL;
		h ^= t ^ (t << 28);
	}
	if (op[k - 1].fu)
		h = __builtin_bswap64(h);
	if (op[k - 1].fv) {
		h = (h >> 1 & 0x5555555555555555ULL) | (h & 0x5555555555555555ULL) << 1;
		h = (h >> 2 & 0x3333333333333333ULL) | (h & 0x3333333333333333ULL) << 2;
		h = (h >> 4 & 0x0f0f0f0f0f0f0f0fULL) | (h & 0x0f0f0f0f0f0f0f0fULL) << 4;
	}
	return h;
}

/* dhash from the 9x8 shrink sm. */
static uint64_t dhash_of(const struct img *sm)
{
	uint64_t h = 0;

	for (int r = 0; r < 8; r++)
		for (int c = 0; c < 8; c++)
			h = h << 1 | (sm->px[r * 9 + c + 1] > sm->px[r * 9 + c]);
	return h;
}

int hash_dhash(const struct img *gray, uint64_t *out)
{
	struct img *sm;
	int rc;

	if ((rc = shrink(gray, 9, 8, &sm)) < 0)
		return rc;
	*out = dhash_of(sm);
	img_free(sm);
	return 0;
}

/* whash from the 64x64 shrink sm. */
static uint64_t whash_of(const struct img *sm)
{
	/* Removing the mean shifts every LL coefficient alike and the level-3 Haar LL is
	 * block sum / 8, so "LL > median(LL)" is "2 * sum > sum31 + sum32" exactly (the
	 * sums, below 2^22, are exact as doubles too). */
	long sum[64];
	double s[64], a, b;
	uint64_t h = 0;

	for (int by = 0; by < 8; by++)
		for (int bx = 0; bx < 8; bx++) {
			long acc = 0;

			for (int y = 0; y < 8; y++)
				for (int x = 0; x < 8; x++)
					acc += sm->px[(by * 8 + y) * 64 + bx * 8 + x];
			sum[by * 8 + bx] = acc;
			s[by * 8 + bx] = (double)acc;
		}
	middle64(s, &a, &b);
	for (int i = 0; i < 64; i++)
		h = h << 1 | (2 * sum[i] > (long)a + (long)b);
	return h;
}

int hash_whash(const struct img *gray, uint64_t *out)
{
	struct img *sm;
	int rc;

	if ((rc = shrink(gray, 64, 64, &sm)) < 0)
		return rc;
	*out = whash_of(sm);
	img_free(sm);
	return 0;
}

int hash_all(const struct img *gray, uint64_t phash8[8], uint64_t *dhash, uint64_t *whash)
{
	static const int ws[3] = { 32, 9, 64 }, hs[3] = { 32, 8, 64 };
	struct img *sm[3];
	double d[64];

	if (gray == NULL || gray->ch != 1 || gray->px == NULL)
		return AD_EINTERNAL;
	if (img_resize_multi(gray, 3, ws, hs, sm) < 0)
		return AD_ENOMEM;
	dct8_of(sm[0], d);
	dihedral_of(d, phash8);
	fprof_lap(FP_PHASH);
	*dhash = dhash_of(sm[1]);
	fprof_lap(FP_DHASH);
	*whash = whash_of(sm[2]);
	fprof_lap(FP_WHASH);
	for (int i = 0; i < 3; i++)
		img_free(sm[i]);
	return 0;
}

void hash_to_hex(uint64_t h, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--, h >>= 4)
		out[i] = hex[h & 15];
	out[16] = '\0';
}

int hash_from_hex(const char *s, uint64_t *out)
{
	uint64_t h = 0;
	int i, d;

	if (s == NULL)
		return -1;
	for (i = 0; i < 16; i++) {
		if ((d = hex_digit1[(unsigned char)s[i]]) == 0)
			return -1;
		h = h << 4 | (uint64_t)(d - 1);
	}
	if (s[16] != '\0')
		return -1;
	*out = h;
	return 0;
}
