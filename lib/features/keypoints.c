/* keypoints.c — FAST corners, Harris ranking, centroid angle, rotated binary descriptors
 * and their matching; keypoints.h has the recipe. */
#include "keypoints.h"
#include "ink.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "featprof.h"
#include "kpsimd.h"
#include "splitmix.h"

#define BORDER 16               /* patch radius 15 + 1: every test stays inside */
#define PATCH_R 15
#define PAIR_R 13               /* pattern points; a 5x5 box around them fits in 15 */
#define NBITS 256
#define NROT 32
#define CELL 32                 /* spreading cell, pixels of the level */

/* pattern[r][i] = {ax, ay, bx, by} turned by r / NROT of a turn */
static signed char pattern[NROT][NBITS][4];
static int disc_half[PATCH_R + 1];  /* half width of the disc at each |dy| */
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

/* A point near the centre: the sum of four uniform draws (an integer approximation of
 * a Gaussian with sigma about 5.2), redrawn until it lies in the disc of PAIR_R. */
static void draw_point(uint64_t *s, int *x, int *y)
{
	for (;;) {
		int a = 0, b = 0;

		for (int k = 0; k < 4; k++) {
			a += (int)(splitmix64(s) % 19) - 9;
			b += (int)(splitmix64(s) % 19) - 9;
		}
		if (a * a + b * b <= PAIR_R * PAIR_R) {
			*x = a;
			*y = b;
			return;
		}
	}
}

/* The pattern is closed under mirroring: bit 2k + 1 tests the points of bit 2k with y
 * negated.  Mirroring a picture left-right turns a keypoint's angle t into a half turn
 * minus t, and the pattern turned by that, read in the mirrored picture, is the pattern
 * turned by t with y negated, read in the original: each bit becomes its partner
 * (kp_mirror).  A pair on the axis, or one whose partner is itself reversed, would be
 * its own partner (or its complement): drawn again. */
static void make_pattern(void)
{
	uint64_t seed = 0x617a64656475ULL;  /* "azdedu" */
	int base[NBITS][4];

	for (int i = 0; i < NBITS; i += 2) {
		do {
			draw_point(&seed, &base[i][0], &base[i][1]);
			draw_point(&seed, &base[i][2], &base[i][3]);
		} while ((base[i][0] == base[i][2] && base[i][1] == base[i][3]) ||
		    (base[i][1] == 0 && base[i][3] == 0) ||
		    (base[i][0] == base[i][2] && base[i][1] == -base[i][3]));
		base[i + 1][0] = base[i][0];
		base[i + 1][1] = -base[i][1];
		base[i + 1][2] = base[i][2];
		base[i + 1][3] = -base[i][3];
	}
	for (int r = 0; r < NROT; r++) {
		double a = 2 * M_PI * r / NROT, c = cos(a), s = sin(a);

		for (int i = 0; i < NBITS; i++)
			for (int p = 0; p < 4; p += 2) {
				double x = base[i][p], y = base[i][p + 1];
				long rx = lround(c * x - s * y), ry = lround(s * x + c * y);

				/* rounding can push a point of radius 13 to 14: still inside */
				pattern[r][i][p] = (signed char)rx;
				pattern[r][i][p + 1] = (signed char)ry;
			}
	}
	/* the turn by 16 - r, x negated, is the turn by r of the partner bits, as exactly
	 * as the rounding allows: made so, not left to cos and sin of two angles */
	for (int r = 0; r < NROT; r++) {
		int m = (NROT / 2 - r) & (NROT - 1);

		if ((r > NROT / 4 && r < 3 * NROT / 4) || r == m)
			continue;  /* each other pair once, from its r in the half around 0 */
		for (int i = 0; i < NBITS; i++)
			for (int p = 0; p < 4; p += 2) {
				pattern[m][i][p] = (signed char)-pattern[r][i ^ 1][p];
				pattern[m][i][p + 1] = pattern[r][i ^ 1][p + 1];
			}
	}
	for (int dy = 0; dy <= PATCH_R; dy++) {
		int h = 0;

		while ((h + 1) * (h + 1) + dy * dy <= PATCH_R * PATCH_R)
			h++;
		disc_half[dy] = h;
	}
}

struct cand {
	int x, y;
	int64_t score;
};

/* Whether candidate a ranks before b: stronger first, then top to bottom, left to right
 * (a total order: the ranking does not depend on how it is made). */
static inline int before(const struct cand *a, const struct cand *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	if (a->y != b->y)
		return a->y < b->y;
	return a->x < b->x;
}

static void sift(struct cand *h, size_t n, size_t i)
{
	struct cand v = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &v))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/* The candidates in rank order, made as far as they are asked for: the spreading stops
 * once the quota is taken, usually long before the last of them, so a heap gives the
 * first ones without sorting the rest.  s[0 .. ns) are ranked; heap holds the others. */
struct ranking {
	struct cand *heap, *s;
	size_t nheap, ns;
};

static void ranking_start(struct ranking *r, struct cand *c, size_t n, struct cand *s)
{
	r->heap = c;
	r->nheap = n;
	r->s = s;
	r->ns = 0;
	for (size_t i = n / 2; i-- > 0;)
		sift(c, n, i);
}

/* 1 with s[i] ranked, or 0 when there are no more than i candidates. */
static int ranked(struct ranking *r, size_t i)
{
	while (r->ns <= i) {
		if (r->nheap == 0)
			return 0;
		r->s[r->ns++] = r->heap[0];
		r->heap[0] = r->heap[--r->nheap];
		if (r->nheap > 0)
			sift(r->heap, r->nheap, 0);
	}
	return 1;
}

/* 5x5 box sum around (x, y) from the integral image (stride w + 1). */
static inline uint32_t box5(const uint32_t *ii, int iw, int x, int y)
{
	const uint32_t *a = ii + (size_t)(y - 2) * iw + (x - 2);
	const uint32_t *b = ii + (size_t)(y + 3) * iw + (x - 2);

	return b[5] - b[0] - a[5] + a[0];
}

static uint8_t centroid_angle(const unsigned char *im, int w, int x, int y)
{
	int64_t m10, m01;
	double a;
	long q;

	kps_moments(im, w, x, y, disc_half, PATCH_R, &m10, &m01);
	if (m10 == 0 && m01 == 0)
		return 0;
	a = atan2((double)m01, (double)m10);
	q = lround(a * 256.0 / (2 * M_PI));
	return (uint8_t)(q & 255);
}

/* The turn of the pattern for an angle: the nearest of NROT, a tie to the even one, so
 * that angles t and a half turn minus t (a mirrored keypoint) get turns r and
 * NROT / 2 - r. */
static int angle_turn(uint8_t angle)
{
	int q = angle >> 3, rest = angle & 7;

	return (rest > 4 || (rest == 4 && (q & 1)) ? q + 1 : q) & (NROT - 1);
}

static void describe(const uint32_t *ii, int iw, int x, int y, uint8_t angle, uint8_t d[32])
{
	int r = angle_turn(angle);

	memset(d, 0, 32);
	for (int i = 0; i < NBITS; i++) {
		const signed char *p = pattern[r][i];

		if (box5(ii, iw, x + p[0], y + p[1]) < box5(ii, iw, x + p[2], y + p[3]))
			d[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
}

struct scratch;
static void describe_any(struct scratch *z, int iw, int x, int y, uint8_t angle,
    uint8_t d[32]);

/* What detect_level works in, made once per kp_detect for the largest level (level 0)
 * and reused by every level and both thresholds: the corners of a level row by row
 * (x and Harris response; row[y] .. row[y + 1] - 1 are row y's), the candidates that
 * survive the suppression, the spreading cells and the integral image. */
struct scratch {
	int *xs;
	int64_t *score;
	struct cand *c, *s;     /* the candidates; s: them in rank order (struct ranking) */
	unsigned char *used;
	size_t cap;             /* of xs, score, c and used */
	int *row;               /* h + 2 entries */
	int64_t *nms;           /* three rows of w responses, 0 where no corner (kept so
	                         * between uses) */
	int *cell;
	uint32_t *ii;           /* the plain forms' boxes: the integral image */
	uint16_t *box;          /* AVX2's: the box sums themselves (kps_box5) */
	int32_t (*off)[2][NBITS];  /* per turn of the pattern, its box offsets in box (the
	                         * vector descriptor), made as turns come up in a level */
	uint32_t offmade;       /* which turns off holds for this level */
};

static void scratch_free(struct scratch *z)
{
	free(z->xs);
	free(z->score);
	free(z->c);
	free(z->s);
	free(z->used);
	free(z->row);
	free(z->nms);
	free(z->cell);
	free(z->ii);
	free(z->box);
	free(z->off);
	memset(z, 0, sizeof *z);
}

static int scratch_make(struct scratch *z, int w, int h)
{
	size_t cells = (size_t)((w + CELL - 1) / CELL) * (size_t)((h + CELL - 1) / CELL);

	memset(z, 0, sizeof *z);
	z->cap = (size_t)w * (size_t)h / 16 + 1024;
	z->xs = malloc(z->cap * sizeof *z->xs);
	z->score = malloc(z->cap * sizeof *z->score);
	z->c = malloc(z->cap * sizeof *z->c);
	z->s = malloc(z->cap * sizeof *z->s);
	z->used = malloc(z->cap);
	z->row = malloc(((size_t)h + 2) * sizeof *z->row);
	z->nms = calloc(3 * (size_t)w, sizeof *z->nms);
	z->cell = malloc(cells * sizeof *z->cell);
	if (img_simd_form() == IMG_SIMD_AVX2)
		z->box = malloc(((size_t)w * (size_t)h + 1) * sizeof *z->box);
	else
		z->ii = malloc(((size_t)w + 1) * ((size_t)h + 1) * sizeof *z->ii);
	z->off = malloc(NROT * sizeof *z->off);
	if (z->xs == NULL || z->score == NULL || z->c == NULL || z->s == NULL || z->used == NULL ||
	    z->row == NULL || z->nms == NULL || z->cell == NULL ||
	    (z->ii == NULL && z->box == NULL) ||
	    z->off == NULL) {
		scratch_free(z);
		return AD_ENOMEM;
	}
	return 0;
}

/* Room for at least n corners, keeping the first ones.  0 or AD_ENOMEM. */
static int scratch_grow(struct scratch *z, size_t n)
{
	size_t cap = z->cap;
	void *p;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(z->xs, cap * sizeof *z->xs)) == NULL)
		return AD_ENOMEM;
	z->xs = p;
	if ((p = realloc(z->score, cap * sizeof *z->score)) == NULL)
		return AD_ENOMEM;
	z->score = p;
	if ((p = realloc(z->c, cap * sizeof *z->c)) == NULL)
		return AD_ENOMEM;
	z->c = p;
	if ((p = realloc(z->s, cap * sizeof *z->s)) == NULL)
		return AD_ENOMEM;
	z->s = p;
	if ((p = realloc(z->used, cap)) == NULL)
		return AD_ENOMEM;
	z->used = p;
	z->cap = cap;
	return 0;
}

/* describe: from this level's integral image in the plain forms, from its box sums
 * (kpsimd.h) with AVX2, the pattern turned by angle as offsets among them. */
static void describe_any(struct scratch *z, int iw, int x, int y, uint8_t angle,
    uint8_t d[32])
{
	int r = angle_turn(angle), w = iw - 1;

	if (z->box == NULL) {
		describe(z->ii, iw, x, y, angle, d);
		return;
	}
	if (!(z->offmade >> r & 1)) {
		for (int i = 0; i < NBITS; i++) {
			const signed char *p = pattern[r][i];

			z->off[r][0][i] = p[1] * w + p[0];
			z->off[r][1][i] = p[3] * w + p[2];
		}
		z->offmade |= 1u << r;
	}
	kps_describe_box(z->box, w, x, y, z->off[r][0], z->off[r][1], d);
}

/* Row y's corners (x and response) spread into nms row y % 3, or taken out again. */
static void nms_put(struct scratch *z, int w, int y, int clear)
{
	int64_t *d = z->nms + (size_t)(y % 3) * (size_t)w;

	for (int i = z->row[y]; i < z->row[y + 1]; i++)
		d[z->xs[i]] = clear ? 0 : z->score[i];
}

/* 3x3 non-maximum suppression, strongest first, deterministic ties: a corner is kept
 * when it is strictly above the corners scanned before it (row y - 1, and x - 1), at
 * least the later ones (x + 1, row y + 1); pixels that are no corner count as 0, below
 * every response.  Rows y - 1 .. y + 1 lie spread out in z->nms, so that each test is a
 * load and a comparison.  The candidates into z->c; how many. */
static size_t suppress(struct scratch *z, int w, int h)
{
	size_t nc = 0;

	nms_put(z, w, BORDER, 0);
	for (int y = BORDER; y < h - BORDER; y++) {
		const int64_t *up = z->nms + (size_t)((y - 1) % 3) * (size_t)w;
		const int64_t *mid = z->nms + (size_t)(y % 3) * (size_t)w;
		const int64_t *dn = z->nms + (size_t)((y + 1) % 3) * (size_t)w;

		nms_put(z, w, y + 1, 0);
		for (int i = z->row[y]; i < z->row[y + 1]; i++) {
			int x = z->xs[i];
			int64_t v = z->score[i];
			int keep = (v > up[x - 1]) & (v > up[x]) & (v > up[x + 1]) & (v > mid[x - 1]) &
			    (v >= mid[x + 1]) & (v >= dn[x - 1]) & (v >= dn[x]) & (v >= dn[x + 1]);

			/* written either way, kept by counting it (nc <= i: within z->c) */
			z->c[nc] = (struct cand){ x, y, v };
			nc += (size_t)keep;
		}
		nms_put(z, w, y - 1, 1);
	}
	nms_put(z, w, h - BORDER - 1, 1);
	nms_put(z, w, h - BORDER, 1);
	return nc;
}

/* The keypoints of one level, at most quota, appended to set (positions scaled by sx, sy
 * to level 0).  0 or AD_ENOMEM. */
static int detect_level(const struct img *lv, int level, int quota, int threshold, double sx,
    double sy, struct kp_set *set, struct scratch *z)
{
	int w = lv->w, h = lv->h, iw = w + 1;
	const unsigned char *im = lv->px;
	size_t n = 0, nc = 0;
	struct ranking rk;
	int cw, ch, cellcap, taken = 0, rc;

	if (quota <= 0 || w < 2 * BORDER + 1 || h < 2 * BORDER + 1)
		return 0;
	/* FAST over every pixel inside the border, row by row */
	for (int y = 0; y <= BORDER; y++)
		z->row[y] = 0;
	for (int y = BORDER; y < h - BORDER; y++) {
		if ((rc = scratch_grow(z, n + (size_t)w)) < 0)
			return rc;
		z->row[y] = (int)n;
		n += (size_t)kps_fast_row(im, w, y, BORDER, w - BORDER, threshold, z->xs + n);
	}
	for (int y = h - BORDER; y <= h + 1; y++)
		z->row[y] = (int)n;
	fprof_lap(FP_FAST);
	for (int y = BORDER; y < h - BORDER; y++) {
		kps_harris_row(im, w, y, z->xs + z->row[y], z->row[y + 1] - z->row[y],
		    z->score + z->row[y]);
		for (int i = z->row[y]; i < z->row[y + 1]; i++)
			z->score[i] = z->score[i] > 0 ? z->score[i] : 1;
	}
	fprof_lap(FP_HARRIS);
	nc = suppress(z, w, h);
	if (nc == 0) {
		fprof_lap(FP_NMS);
		return 0;
	}
	ranking_start(&rk, z->c, nc, z->s);

	/* spread: at most cellcap per CELL x CELL cell on a first pass, the rest after */
	cw = (w + CELL - 1) / CELL;
	ch = (h + CELL - 1) / CELL;
	cellcap = (3 * quota + cw * ch - 1) / (cw * ch);
	if (cellcap < 2)
		cellcap = 2;
	memset(z->cell, 0, (size_t)cw * (size_t)ch * sizeof *z->cell);
	memset(z->used, 0, nc);
	for (int pass = 0; pass < 2 && taken < quota; pass++)
		for (size_t i = 0; taken < quota && ranked(&rk, i); i++) {
			int *cc = &z->cell[(rk.s[i].y / CELL) * cw + rk.s[i].x / CELL];

			if (z->used[i] || (pass == 0 && *cc >= cellcap))
				continue;
			z->used[i] = 1;
			(*cc)++;
			taken++;
		}
	fprof_lap(FP_NMS);

	/* the descriptor boxes: an integral image, or the sums themselves */
	if (z->box != NULL)
		kps_box5(im, w, h, z->box);
	else
		kps_integral(im, w, h, z->ii);
	z->offmade = 0;
	fprof_lap(FP_INTEGRAL);
	{
		int first = set->n;

		const struct cand *c = rk.s;

		for (size_t i = 0; i < rk.ns; i++) {
			struct kp *k;

			if (!z->used[i])
				continue;
			k = &set->kp[set->n++];
			k->x = (float)((c[i].x + 0.5) * sx - 0.5);
			k->y = (float)((c[i].y + 0.5) * sy - 0.5);
			k->level = (uint8_t)level;
			k->response = (double)c[i].score;
			k->angle = centroid_angle(im, w, c[i].x, c[i].y);
		}
		fprof_lap(FP_ANGLE);
		for (size_t i = 0, j = (size_t)first; i < rk.ns; i++) {
			if (!z->used[i])
				continue;
			describe_any(z, iw, c[i].x, c[i].y, set->kp[j].angle, set->kp[j].d);
			j++;
		}
		fprof_lap(FP_DESCRIBE);
	}
	return 0;
}

static int cmp_kp(const void *pa, const void *pb)
{
	const struct kp *a = pa, *b = pb;

	if (a->response != b->response)
		return a->response > b->response ? -1 : 1;
	if (a->level != b->level)
		return a->level - b->level;
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	return (a->x > b->x) - (a->x < b->x);
}

int kp_detect(const struct img *gray, int max, struct kp_set *set)
{
	struct img *lv[KP_LEVELS] = {0};
	struct scratch z = {0};
	double area[KP_LEVELS], total = 0;
	int w0, h0, s, l, rc = AD_ENOMEM, given = 0;

	memset(set, 0, sizeof *set);
	if (gray == NULL || gray->ch != 1 || gray->px == NULL || max < 0)
		return AD_EINTERNAL;
	if (max > KP_MAX)
		max = KP_MAX;
	pthread_once(&pattern_once, make_pattern);
	w0 = gray->w;
	h0 = gray->h;
	s = w0 < h0 ? w0 : h0;
	if (s > KP_BASE_SIDE) {
		w0 = (int)(((long long)w0 * KP_BASE_SIDE + s / 2) / s);
		h0 = (int)(((long long)h0 * KP_BASE_SIDE + s / 2) / s);
	} else if (s < KP_MIN_SIDE && s >= KP_ENLARGE_FLOOR) {
		w0 = (int)(((long long)w0 * KP_MIN_SIDE + s / 2) / s);
		h0 = (int)(((long long)h0 * KP_MIN_SIDE + s / 2) / s);
	}
	if (w0 > 3 * KP_BASE_SIDE) {
		h0 = (int)((long long)h0 * 3 * KP_BASE_SIDE / w0);
		w0 = 3 * KP_BASE_SIDE;
	}
	if (h0 > 3 * KP_BASE_SIDE) {
		w0 = (int)((long long)w0 * 3 * KP_BASE_SIDE / h0);
		h0 = 3 * KP_BASE_SIDE;
	}
	if (w0 < 1)
		w0 = 1;
	if (h0 < 1)
		h0 = 1;
	set->w = w0;
	set->h = h0;
	if (max == 0)
		return 0;
	if ((set->kp = malloc((size_t)max * sizeof *set->kp)) == NULL)
		return AD_ENOMEM;
	fprof_lap(FP_OTHER);
	for (l = 0; l < KP_LEVELS; l++) {
		double f = pow(1.3, l);
		int lw = (int)lround(w0 / f), lh = (int)lround(h0 / f);

		if (lw < 2 * BORDER + 1 || lh < 2 * BORDER + 1)
			break;
		if (l == 0 && lw == gray->w && lh == gray->h)
			lv[l] = img_resize(gray, lw, lh);  /* a copy: same size resamples exactly */
		else
			lv[l] = img_resize(l == 0 ? gray : lv[0], lw, lh);
		if (lv[l] == NULL)
			goto out;
		area[l] = (double)(lw - 2 * BORDER) * (lh - 2 * BORDER);
		total += area[l];
	}
	if (l > 0 && (rc = scratch_make(&z, lv[0]->w, lv[0]->h)) < 0)
		goto out;
	rc = AD_ENOMEM;
	fprof_lap(FP_PYRAMID);
	/* a flat or soft picture gives few corners at the usual threshold: once more with
	 * a lower one rather than leave it almost without keypoints */
	for (int pass = 0; pass < 2; pass++) {
		int t = pass == 0 ? KP_FAST_THRESHOLD : KP_FAST_THRESHOLD_LOW;

		set->n = given = 0;
		for (int i = 0; i < l; i++) {
			int quota = i == l - 1 ? max - given : (int)(max * area[i] / total + 0.5);

			if (quota > max - given)
				quota = max - given;
			if ((rc = detect_level(lv[i], i, quota, t, (double)w0 / lv[i]->w,
			    (double)h0 / lv[i]->h, set, &z)) < 0)
				goto out;
			given = set->n;
		}
		if (set->n >= max / 2)
			break;
	}
	qsort(set->kp, (size_t)set->n, sizeof *set->kp, cmp_kp);
	fprof_lap(FP_KPSORT);
	rc = 0;
out:
	for (int i = 0; i < KP_LEVELS; i++)
		img_free(lv[i]);
	scratch_free(&z);
	if (rc < 0)
		kp_free(set);
	return rc;
}

void kp_free(struct kp_set *set)
{
	free(set->kp);
	set->kp = NULL;
	set->detail = set->alpha = set->chroma = set->fine = set->ink = NULL;
	set->inklen = 0;
	set->ink_mirror = 0;
	set->ink_cells = NULL;
	set->ink_w = set->ink_h = 0;
	set->n = 0;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 255);
	p[1] = (unsigned char)(v >> 8);
}

static unsigned get16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static unsigned fix16(float v)
{
	long q = lroundf(v * 16.0f);

	return q < 0 ? 0 : q > 65535 ? 65535 : (unsigned)q;
}

unsigned char *kp_pack(const struct kp_set *set, size_t *len)
{
	size_t n = KP_PACKED_HEAD + (size_t)set->n * KP_PACKED_SIZE;
	unsigned char *b = malloc(n), *p;

	if (b == NULL)
		return NULL;
	b[0] = 1;
	put16(b + 1, (unsigned)set->w);
	put16(b + 3, (unsigned)set->h);
	p = b + KP_PACKED_HEAD;
	for (int i = 0; i < set->n; i++, p += KP_PACKED_SIZE) {
		const struct kp *k = &set->kp[i];

		put16(p, fix16(k->x));
		put16(p + 2, fix16(k->y));
		p[4] = k->level;
		p[5] = k->angle;
		memcpy(p + 6, k->d, 32);
	}
	*len = n;
	return b;
}

/* The version of a packing (1 .. 5: what grids it has) less its flags. */
static int packed_version(const unsigned char *b)
{
	return b[0] & ~(KP_PACKED_FINE | KP_PACKED_INK);
}

/* The fixed grids' bytes of a packing's header (its ink aside). */
static size_t packed_grids(const unsigned char *b)
{
	int v = packed_version(b);

	return (v >= 2 ? KP_DETAIL_BYTES : 0) + (v == 3 || v == 5 ? KP_DETAIL_BYTES : 0) +
	    (v >= 4 ? KP_CHROMA_BYTES : 0) + (b[0] & KP_PACKED_FINE ? KP_FINE_BYTES : 0);
}

size_t kp_packed_head(const unsigned char *b, size_t len)
{
	/* the detail from version 2, the shape in 3 and 5, the colours in 4 and 5, the
	 * fine detail with KP_PACKED_FINE, the ink with KP_PACKED_INK */
	size_t head, at;
	uint32_t n;

	if (len < KP_PACKED_HEAD)
		return 0;
	at = KP_PACKED_HEAD + packed_grids(b);
	if (!(b[0] & KP_PACKED_INK))
		return len >= at ? at : 0;
	if (len < at + 4)
		return 0;
	n = (uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 |
	    (uint32_t)b[at + 3] << 24;
	head = at + 4 + (size_t)n;
	return n > 0 && n <= INK_MAX_PACKED && len >= head ? head : 0;
}

long kp_packed_count(const unsigned char *b, size_t len)
{
	size_t head;
	int v;

	if (len < KP_PACKED_HEAD)
		return -1;
	v = packed_version(b);
	/* the fine detail and the ink come with the detail only */
	if (v < 1 || v > 5 || (v == 1 && b[0] != 1))
		return -1;
	if ((head = kp_packed_head(b, len)) == 0)
		return -1;
	if ((len - head) % KP_PACKED_SIZE || (len - head) / KP_PACKED_SIZE > KP_MAX)
		return -1;
	return (long)((len - head) / KP_PACKED_SIZE);
}

unsigned char *kp_pack_detail(const unsigned char *packed, size_t len,
    const uint8_t detail[KP_DETAIL_BYTES], const uint8_t *alpha, const uint8_t *chroma,
    const uint8_t *fine, const uint8_t *ink, size_t inklen, size_t *outlen)
{
	size_t extra = (alpha != NULL ? 2 : 1) * (size_t)KP_DETAIL_BYTES +
	    (chroma != NULL ? KP_CHROMA_BYTES : 0) + (fine != NULL ? KP_FINE_BYTES : 0) +
	    (ink != NULL ? 4 + inklen : 0);
	size_t at = KP_PACKED_HEAD;
	unsigned char *b;

	if (len < KP_PACKED_HEAD || (ink != NULL && (inklen == 0 || inklen > INK_MAX_PACKED)) ||
	    (b = malloc(len + extra)) == NULL)
		return NULL;
	memcpy(b, packed, KP_PACKED_HEAD);
	b[0] = (unsigned char)((alpha != NULL ? 3 : 2) + (chroma != NULL ? 2 : 0) +
	    (fine != NULL ? KP_PACKED_FINE : 0) + (ink != NULL ? KP_PACKED_INK : 0));
	memcpy(b + at, detail, KP_DETAIL_BYTES);
	at += KP_DETAIL_BYTES;
	if (alpha != NULL) {
		memcpy(b + at, alpha, KP_DETAIL_BYTES);
		at += KP_DETAIL_BYTES;
	}
	if (chroma != NULL) {
		memcpy(b + at, chroma, KP_CHROMA_BYTES);
		at += KP_CHROMA_BYTES;
	}
	if (fine != NULL) {
		memcpy(b + at, fine, KP_FINE_BYTES);
		at += KP_FINE_BYTES;
	}
	if (ink != NULL) {
		b[at] = (unsigned char)(inklen & 255);
		b[at + 1] = (unsigned char)(inklen >> 8 & 255);
		b[at + 2] = (unsigned char)(inklen >> 16 & 255);
		b[at + 3] = (unsigned char)(inklen >> 24 & 255);
		memcpy(b + at + 4, ink, inklen);
	}
	memcpy(b + KP_PACKED_HEAD + extra, packed + KP_PACKED_HEAD, len - KP_PACKED_HEAD);
	*outlen = len + extra;
	return b;
}

int kp_detail_of(const struct img *gray, int n, uint8_t *out)
{
	struct img *d = img_resize(gray, n, n);

	if (d == NULL)
		return AD_ENOMEM;
	memcpy(out, d->px, (size_t)n * (size_t)n);
	img_free(d);
	return 0;
}

int kp_chroma_of(const struct img *rgb, uint8_t out[KP_CHROMA_BYTES])
{
	struct img *d = img_resize(rgb, KP_CHROMA, KP_CHROMA);

	if (d == NULL)
		return AD_ENOMEM;
	for (int i = 0; i < KP_CHROMA * KP_CHROMA; i++) {
		const unsigned char *p = d->px + (size_t)i * (size_t)d->ch;

		/* (-255 .. 255) / 2 + 128: 1 .. 255 */
		out[2 * i] = (uint8_t)(d->ch >= 3 ? (p[0] - p[1]) / 2 + 128 : 128);
		out[2 * i + 1] = (uint8_t)(d->ch >= 3 ? (p[2] - p[1]) / 2 + 128 : 128);
	}
	img_free(d);
	return 0;
}

int kp_unpack(const unsigned char *b, size_t len, struct kp_set *set)
{
	const unsigned char *p;
	long cnt = kp_packed_count(b, len);
	size_t n, dbytes;

	memset(set, 0, sizeof *set);
	if (cnt < 0)
		return -1;
	n = (size_t)cnt;
	dbytes = kp_packed_head(b, len) - KP_PACKED_HEAD;
	set->w = (int)get16(b + 1);
	set->h = (int)get16(b + 3);
	if (n == 0 && dbytes == 0)
		return 0;
	/* the keypoints and the grids in one block, which kp_free frees */
	if ((set->kp = malloc(n * sizeof *set->kp + dbytes)) == NULL)
		return -1;
	if (dbytes) {
		int v = packed_version(b);
		const uint8_t *g = (const uint8_t *)(set->kp + n);

		memcpy((unsigned char *)(set->kp + n), b + KP_PACKED_HEAD, dbytes);
		set->detail = g;
		g += KP_DETAIL_BYTES;
		if (v == 3 || v == 5) {
			set->alpha = g;
			g += KP_DETAIL_BYTES;
		}
		if (v >= 4) {
			set->chroma = g;
			g += KP_CHROMA_BYTES;
		}
		if (b[0] & KP_PACKED_FINE) {
			set->fine = g;
			g += KP_FINE_BYTES;
		}
		if (b[0] & KP_PACKED_INK) {
			set->inklen = (size_t)g[0] | (size_t)g[1] << 8 | (size_t)g[2] << 16 |
			    (size_t)g[3] << 24;
			set->ink = g + 4;
		}
	}
	p = b + KP_PACKED_HEAD + dbytes;
	for (size_t i = 0; i < n; i++, p += KP_PACKED_SIZE) {
		struct kp *k = &set->kp[i];

		k->x = get16(p) / 16.0f;
		k->y = get16(p + 2) / 16.0f;
		k->level = p[4];
		k->angle = p[5];
		memcpy(k->d, p + 6, 32);
		k->response = 0;
	}
	set->n = (int)n;
	return 0;
}

/* A grid of side n and ch bytes a cell mirrored left-right. */
static void mirror_grid(const uint8_t *in, uint8_t *out, int n, int ch)
{
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++)
			memcpy(out + (y * n + x) * ch, in + (y * n + n - 1 - x) * ch, (size_t)ch);
}

int kp_mirror(const struct kp_set *in, struct kp_set *out)
{
	size_t grids;

	memset(out, 0, sizeof *out);
	out->w = in->w;
	out->h = in->h;
	if (in->n == 0)
		return 0;
	/* the keypoints, and the detail and the shape mirrored too, in one block as
	 * kp_unpack's */
	grids = in->detail == NULL ? 0 : (in->alpha == NULL ? 1 : 2) * (size_t)KP_DETAIL_BYTES +
	    (in->chroma != NULL ? KP_CHROMA_BYTES : 0) + (in->fine != NULL ? KP_FINE_BYTES : 0) +
	    (in->ink != NULL ? in->inklen : 0);
	if ((out->kp = malloc((size_t)in->n * sizeof *out->kp + grids)) == NULL)
		return AD_ENOMEM;
	if (in->detail != NULL) {
		uint8_t *d = (uint8_t *)(out->kp + in->n);

		mirror_grid(in->detail, d, KP_DETAIL, 1);
		out->detail = d;
		d += KP_DETAIL_BYTES;
		if (in->alpha != NULL) {
			mirror_grid(in->alpha, d, KP_DETAIL, 1);
			out->alpha = d;
			d += KP_DETAIL_BYTES;
		}
		/* a mirror moves the colours, and changes none */
		if (in->chroma != NULL) {
			mirror_grid(in->chroma, d, KP_CHROMA, 2);
			out->chroma = d;
			d += KP_CHROMA_BYTES;
		}
		if (in->fine != NULL) {
			mirror_grid(in->fine, d, KP_FINE, 1);
			out->fine = d;
			d += KP_FINE_BYTES;
		}
		/* the ink stays packed: its reader turns it (ink_mirror) */
		if (in->ink != NULL) {
			memcpy(d, in->ink, in->inklen);
			out->ink = d;
			out->inklen = in->inklen;
			out->ink_mirror = !in->ink_mirror;
		}
	}
	for (int i = 0; i < in->n; i++) {
		const struct kp *k = &in->kp[i];
		struct kp *m = &out->kp[i];

		*m = *k;
		/* pixel centres at 0 .. w - 1 */
		m->x = (float)(in->w - 1) - k->x;
		m->angle = (uint8_t)(128 - k->angle);
		for (int b = 0; b < 32; b++)
			m->d[b] = (uint8_t)((k->d[b] & 0x55) << 1 | (k->d[b] >> 1 & 0x55));
	}
	out->n = in->n;
	return 0;
}

/* Matching.  The plain passes and the AVX2 and AVX-512 ones must give the same doubles,
 * so no fused multiply-add where the C has a multiply and an add: GCC with -std=c11
 * keeps them apart, clang (which fuses by default where the target has FMA, as with
 * -march=native) is told so from here on. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

static inline __attribute__((always_inline)) int desc_distance(const uint8_t *a,
    const uint8_t *b)
{
	int d = 0;

	for (int i = 0; i < 32; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d += __builtin_popcountll(x ^ y);
	}
	return d;
}

int kp_distance(const uint8_t a[32], const uint8_t b[32])
{
	return desc_distance(a, b);
}

struct pair {
	int a, b, d;
};

/* The pairs in order of distance, then of a, then of b: a counting sort by distance
 * (at most KP_MATCH_MAX), stable, through tmp (room for np).  The passes below make
 * the pairs in order of a, one each, so a stable sort by distance gives that order. */
static void sort_pairs(struct pair *pr, int np, struct pair *tmp)
{
	int at[KP_MATCH_MAX + 2] = { 0 };

	for (int k = 0; k < np; k++)
		at[pr[k].d + 1]++;
	for (int d = 1; d <= KP_MATCH_MAX + 1; d++)
		at[d] += at[d - 1];
	for (int k = 0; k < np; k++)
		tmp[at[pr[k].d]++] = pr[k];
	memcpy(pr, tmp, (size_t)np * sizeof *pr);
}

/* The nearest-neighbour pass, the most of kp_match's time: for each descriptor of a, the
 * closest of b, kept when it passes the ratio test.  Descriptors as 4 words each. */
static inline __attribute__((always_inline)) int nearest_body(const uint64_t *ad, int an,
    const uint64_t *bd, int bn, struct pair *pr)
{
	int np = 0;

	for (int i = 0; i < an; i++) {
		const uint64_t *x = ad + (size_t)i * 4;
		int d1 = 257, d2 = 257, j1 = -1;

		for (int j = 0; j < bn; j++) {
			const uint64_t *y = bd + (size_t)j * 4;
			int d = __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]) +
			    __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);

			if (d < d2) {
				if (d < d1) {
					d2 = d1;
					d1 = d;
					j1 = j;
				} else {
					d2 = d;
				}
			}
		}
		if (j1 >= 0 && d1 <= KP_MATCH_MAX && 5 * d1 < 4 * d2)
			pr[np++] = (struct pair){ i, j1, d1 };
	}
	return np;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* x86-64's baseline has no popcount instruction, and without one each count is a call
 * into libgcc: the same pass built for CPUs that have it, chosen at run time. */
__attribute__((target("popcnt")))
static int nearest_popcnt(const uint64_t *ad, int an, const uint64_t *bd, int bn,
    struct pair *pr)
{
	return nearest_body(ad, an, bd, bn, pr);
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define KP_X86 1
#include <immintrin.h>

/* The pass with AVX-512: b's descriptors laid out word by word, eight to a vector, and
 * four descriptors of a at a time against each eight of b.  Each lane keeps the least
 * and the second least distance of its share (as a multiset: a tie makes both the
 * same), the lanes are merged into the best D1 and the second best D2 of all, and only
 * for a keypoint that passes the ratio test is b scanned again for the first place at
 * D1: the same nearest, first among equals, and second best as one at a time.  -1 when
 * the layout cannot be had. */
#define NN_ROWS 4

__attribute__((target("popcnt,avx512f,avx512vpopcntdq"), always_inline))
static inline __m512i dist8(const uint64_t *x, const uint64_t *t, int bp, int j)
{
	return _mm512_add_epi64(
	    _mm512_add_epi64(
		_mm512_popcnt_epi64(_mm512_xor_si512(_mm512_set1_epi64((long long)x[0]),
		    _mm512_loadu_si512(t + j))),
		_mm512_popcnt_epi64(_mm512_xor_si512(_mm512_set1_epi64((long long)x[1]),
		    _mm512_loadu_si512(t + bp + j)))),
	    _mm512_add_epi64(
		_mm512_popcnt_epi64(_mm512_xor_si512(_mm512_set1_epi64((long long)x[2]),
		    _mm512_loadu_si512(t + 2 * bp + j))),
		_mm512_popcnt_epi64(_mm512_xor_si512(_mm512_set1_epi64((long long)x[3]),
		    _mm512_loadu_si512(t + 3 * bp + j)))));
}

/* The best and second best of the lanes' bests m1 and seconds m2; 1 when they pass
 * the ratio test (then *d1 is the best). */
__attribute__((target("popcnt,avx512f,avx512vpopcntdq"), always_inline))
static inline int merge8(__m512i m1, __m512i m2, int *d1)
{
	long long D1 = _mm512_reduce_min_epu64(m1), D2;
	__mmask8 at = _mm512_cmpeq_epi64_mask(m1, _mm512_set1_epi64(D1));

	/* every lane's second, and every lane's best but one copy of D1 */
	at &= (__mmask8)-at;
	D2 = _mm512_reduce_min_epu64(_mm512_min_epu64(m2,
	    _mm512_mask_mov_epi64(m1, at, _mm512_set1_epi64(257))));
	*d1 = (int)D1;
	return D1 <= KP_MATCH_MAX && 5 * D1 < 4 * D2;
}

__attribute__((target("popcnt,avx512f,avx512vpopcntdq"), noinline))
static int nearest512(const uint64_t *ad, int an, const uint64_t *bd, int bn, struct pair *pr)
{
	int bp = (bn + 7) & ~7, bf = bn & ~7, np = 0, i = 0;
	uint64_t *t = malloc((size_t)bp * 4 * sizeof *t);
	const __m512i none = _mm512_set1_epi64(257), pad = _mm512_set1_epi64(1000);
	const __mmask8 tail = (__mmask8)((1u << (bn - bf)) - 1);
	__m512i m1[NN_ROWS], m2[NN_ROWS];

	if (t == NULL)
		return -1;
	for (int j = 0; j < bp; j++)
		for (int w = 0; w < 4; w++)
			t[(size_t)w * (size_t)bp + (size_t)j] = j < bn ? bd[(size_t)j * 4 + (size_t)w] : 0;
	while (i < an) {
		int rows = an - i >= NN_ROWS ? NN_ROWS : 1;

		for (int r = 0; r < NN_ROWS; r++)
			m1[r] = m2[r] = none;
		if (rows == NN_ROWS) {
			/* the four rows' words held in registers, their bests in locals */
			const uint64_t *x = ad + (size_t)i * 4;
#define NN_B(k) _mm512_set1_epi64((long long)x[k])
			__m512i a00 = NN_B(0), a01 = NN_B(1), a02 = NN_B(2), a03 = NN_B(3);
			__m512i a10 = NN_B(4), a11 = NN_B(5), a12 = NN_B(6), a13 = NN_B(7);
			__m512i a20 = NN_B(8), a21 = NN_B(9), a22 = NN_B(10), a23 = NN_B(11);
			__m512i a30 = NN_B(12), a31 = NN_B(13), a32 = NN_B(14), a33 = NN_B(15);
#undef NN_B
			__m512i p0 = none, q0 = none, p1 = none, q1 = none, p2 = none, q2 = none;
			__m512i p3 = none, q3 = none;

			for (int j = 0; j < bf; j += 8) {
				__m512i w0 = _mm512_loadu_si512(t + j);
				__m512i w1 = _mm512_loadu_si512(t + bp + j);
				__m512i w2 = _mm512_loadu_si512(t + 2 * bp + j);
				__m512i w3 = _mm512_loadu_si512(t + 3 * bp + j), d;

#define NN_ROW(A0, A1, A2, A3, P, Q) \
	d = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(A0, w0)), \
	    _mm512_popcnt_epi64(_mm512_xor_si512(A1, w1))), \
	    _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(A2, w2)), \
	    _mm512_popcnt_epi64(_mm512_xor_si512(A3, w3)))); \
	Q = _mm512_min_epu64(Q, _mm512_max_epu64(P, d)); \
	P = _mm512_min_epu64(P, d)
				NN_ROW(a00, a01, a02, a03, p0, q0);
				NN_ROW(a10, a11, a12, a13, p1, q1);
				NN_ROW(a20, a21, a22, a23, p2, q2);
				NN_ROW(a30, a31, a32, a33, p3, q3);
#undef NN_ROW
			}
			m1[0] = p0, m2[0] = q0, m1[1] = p1, m2[1] = q1;
			m1[2] = p2, m2[2] = q2, m1[3] = p3, m2[3] = q3;
		} else {
			for (int j = 0; j < bf; j += 8) {
				__m512i d = dist8(ad + (size_t)i * 4, t, bp, j);

				m2[0] = _mm512_min_epu64(m2[0], _mm512_max_epu64(m1[0], d));
				m1[0] = _mm512_min_epu64(m1[0], d);
			}
		}
		for (int r = 0; r < rows; r++) {
			const uint64_t *x = ad + (size_t)(i + r) * 4;
			int d1;

			if (bf < bn) {  /* the lanes past the end never count */
				__m512i d = _mm512_mask_mov_epi64(pad, tail, dist8(x, t, bp, bf));

				m2[r] = _mm512_min_epu64(m2[r], _mm512_max_epu64(m1[r], d));
				m1[r] = _mm512_min_epu64(m1[r], d);
			}
			if (!merge8(m1[r], m2[r], &d1))
				continue;
			/* the first place at the best distance */
			for (int j = 0; j < bp; j += 8) {
				__mmask8 eq = _mm512_cmpeq_epi64_mask(dist8(x, t, bp, j),
				    _mm512_set1_epi64(d1));

				if (j + 8 > bn)
					eq &= tail;
				if (eq) {
					pr[np++] = (struct pair){ i + r, j + __builtin_ctz(eq),
					    d1 };
					break;
				}
			}
		}
		i += rows;
	}
	free(t);
	return np;
}

/* the distances of a's row (its nibbles, four words broadcast, in a0 .. a7) to the four
 * descriptors of b at v, as the low 16 bits of 64-bit lanes */
#define NN_COUNT4(v) _mm256_sad_epu8(_mm256_add_epi8(_mm256_add_epi8( \
	_mm256_add_epi8(NN_LOOK(v, 0, a0), NN_LOOK(v, 1, a1)), \
	_mm256_add_epi8(NN_LOOK(v, 2, a2), NN_LOOK(v, 3, a3))), _mm256_add_epi8( \
	_mm256_add_epi8(NN_LOOK(v, 4, a4), NN_LOOK(v, 5, a5)), \
	_mm256_add_epi8(NN_LOOK(v, 6, a6), NN_LOOK(v, 7, a7)))), zero)
#define NN_LOOK(v, h, a) _mm256_shuffle_epi8(table, _mm256_xor_si256(a, \
	_mm256_load_si256((v) + (size_t)(h) * stride)))

__attribute__((target("avx2"), always_inline))
static inline __m256i hmin8(__m256i v)
{
	v = _mm256_min_epi32(v, _mm256_permute2x128_si256(v, v, 1));
	v = _mm256_min_epi32(v, _mm256_shuffle_epi32(v, 0x4e));
	return _mm256_min_epi32(v, _mm256_shuffle_epi32(v, 0xb1));
}

/* word w of descriptor d */
static inline uint64_t word(const uint8_t *d, int w)
{
	uint64_t v;

	memcpy(&v, d + 8 * w, sizeof v);
	return v;
}

/* groups of eight laid out on the stack (16 KiB), past that on the heap */
#define NN_STACK 32

/* The pass with AVX2: b's descriptors laid out word by word, four to a vector, each word
 * split ahead of time into its low and its high nibbles (x ^ y's nibbles are x's nibbles
 * ^ y's), so a distance is eight table lookups (vpshufb) of the nibbles' bit counts,
 * summed by byte and then by descriptor (vpsadbw).  Two groups of four make eight
 * 32-bit lanes, each a key: the distance above, b's place below (16 bits), so that keys
 * order as (distance, place) and no two are equal.  Each lane keeps its least and
 * second least key; the least of all is D1 at the first place at it, and the second
 * least of all has D2 (D1 again when two places tie at D1): the same as one at a time.
 * b's descriptor j sits in lane j % 8 of the eight from j & ~7: the even ones in the
 * first group, the odd ones in the second.  -1 when the layout cannot be had. */
__attribute__((target("avx2"), noinline))
static int nearest256(const struct kp *ak, int an, const struct kp *bk, int bn,
    struct pair *pr)
{
	/* t: for group g of eight (two vectors of four), word w, nibble half h, the vector
	 * at t[(2w + h) * stride + 2g + k], k = 0 for the even descriptors, 1 the odd */
	size_t ng = ((size_t)bn + 7) / 8, stride = 2 * ng;
	__m256i tbuf[NN_STACK * 16], *t;
	const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
	    0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i none = _mm256_set1_epi32(257 << 16), eight = _mm256_set1_epi32(8);
	const __m256i zero = _mm256_setzero_si256(), big = _mm256_set1_epi32(INT32_MAX);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	int np = 0, padv[8];
	__m256i pad;

	if (bn > 0xffff)  /* places past 16 bits: the other passes */
		return -1;
	if (ng == 0)
		return 0;
	if ((t = ng <= NN_STACK ? tbuf : aligned_alloc(32, ng * 16 * sizeof *t)) == NULL)
		return -1;
	/* lanes past the end of b: far more than any key */
	for (int l = 0; l < 8; l++)
		padv[l] = bn % 8 != 0 && l >= bn % 8 ? 1 << 30 : 0;
	pad = _mm256_loadu_si256((const __m256i *)padv);
	for (size_t g = 0; g < ng; g++) {
		static const uint8_t past[32];  /* past the end of b */
		const uint8_t *src[8];

		for (size_t l = 0; l < 8; l++)
			src[l] = g * 8 + l < (size_t)bn ? bk[g * 8 + l].d : past;
		for (size_t k = 0; k < 2; k++) {
			/* descriptors k, k + 2, k + 4 and k + 6, their words transposed */
			__m256i r0 = _mm256_loadu_si256((const __m256i *)src[k]);
			__m256i r1 = _mm256_loadu_si256((const __m256i *)src[k + 2]);
			__m256i r2 = _mm256_loadu_si256((const __m256i *)src[k + 4]);
			__m256i r3 = _mm256_loadu_si256((const __m256i *)src[k + 6]);
			__m256i u0 = _mm256_unpacklo_epi64(r0, r1), u1 = _mm256_unpackhi_epi64(r0, r1);
			__m256i u2 = _mm256_unpacklo_epi64(r2, r3), u3 = _mm256_unpackhi_epi64(r2, r3);
			__m256i w[4] = { _mm256_permute2x128_si256(u0, u2, 0x20),
				_mm256_permute2x128_si256(u1, u3, 0x20),
				_mm256_permute2x128_si256(u0, u2, 0x31),
				_mm256_permute2x128_si256(u1, u3, 0x31) };

			for (size_t h = 0; h < 4; h++) {
				t[2 * h * stride + 2 * g + k] = _mm256_and_si256(w[h], nib);
				t[(2 * h + 1) * stride + 2 * g + k] = _mm256_and_si256(
				    _mm256_srli_epi64(w[h], 4), nib);
			}
		}
	}
	for (int i = 0; i < an; i++) {
		const uint8_t *x = ak[i].d;
#define NN_LO(w) _mm256_set1_epi64x((long long)(word(x, w) & 0x0f0f0f0f0f0f0f0fULL))
#define NN_HI(w) _mm256_set1_epi64x((long long)(word(x, w) >> 4 & 0x0f0f0f0f0f0f0f0fULL))
		const __m256i a0 = NN_LO(0), a1 = NN_HI(0), a2 = NN_LO(1), a3 = NN_HI(1);
		const __m256i a4 = NN_LO(2), a5 = NN_HI(2), a6 = NN_LO(3), a7 = NN_HI(3);
#undef NN_LO
#undef NN_HI
		__m256i p = none, q = none, j = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
		__m256i d, k1v;
		int k1, d2;
		size_t g = 0;

		for (;;) {
			const __m256i *v = t + 2 * g;

			d = _mm256_or_si256(_mm256_or_si256(_mm256_slli_epi64(NN_COUNT4(v), 16),
			    _mm256_slli_epi64(NN_COUNT4(v + 1), 48)), j);
			if (++g == ng)
				break;
			q = _mm256_min_epi32(q, _mm256_max_epi32(p, d));
			p = _mm256_min_epi32(p, d);
			j = _mm256_add_epi32(j, eight);
		}
		d = _mm256_or_si256(d, pad);
		q = _mm256_min_epi32(q, _mm256_max_epi32(p, d));
		p = _mm256_min_epi32(p, d);
		/* the second least of all: the least of the lanes' seconds and of the other
		 * lanes' least */
		k1v = hmin8(p);
		k1 = _mm256_cvtsi256_si32(k1v);
		d2 = _mm256_cvtsi256_si32(hmin8(_mm256_min_epi32(q, _mm256_or_si256(p,
		    _mm256_and_si256(_mm256_cmpeq_epi32(p, k1v), big))))) >> 16;
		pr[np] = (struct pair){ i, k1 & 0xffff, k1 >> 16 };
		np += k1 >> 16 <= KP_MATCH_MAX && 5 * (k1 >> 16) < 4 * d2;
	}
	if (t != tbuf)
		free(t);
	return np;
}
#undef NN_COUNT4
#undef NN_LOOK

/* The matches' places for RANSAC's counts, reordered so that those the transform z (the
 * best so far) does not map within tol of their partners come first.  A hypothesis is
 * counted until the matches left cannot lift it above the best, that is until it has
 * missed as many as the best misses: one near the best (most hypotheses of a copy are,
 * drawn from two of its inliers) misses those first and stops there, where in the
 * matches' own order it read nearly all of them.  The count of a hypothesis read to the
 * end is the same in any order, and one stopped early cannot pass the best in any: the
 * best and its transform are the same. */
static void ransac_front(double *px, double *py, double *qx, double *qy, int np,
    const double z[4], double tol2)
{
	int lo = 0, hi = np - 1;

	while (lo <= hi) {
		double ex = z[0] * px[lo] - z[1] * py[lo] + z[2] - qx[lo];
		double ey = z[1] * px[lo] + z[0] * py[lo] + z[3] - qy[lo];
		double t;

		if (ex * ex + ey * ey > tol2) {
			lo++;
			continue;
		}
		/* an inlier: to the back */
		t = px[lo], px[lo] = px[hi], px[hi] = t;
		t = py[lo], py[lo] = py[hi], py[hi] = t;
		t = qx[lo], qx[lo] = qx[hi], qx[hi] = t;
		t = qy[lo], qy[lo] = qy[hi], qy[hi] = t;
		hi--;
	}
}

/* How many matches the transform maps within tol of their partners (AVX-512, eight at
 * a time, each in the order of inlier_count's sums, so the same doubles), stopping once
 * the count cannot pass best. */
__attribute__((target("avx512f"), always_inline))
static inline int inliers512(const double *px, const double *py, const double *qx, const double *qy,
    int np, const double z[4], double tol2, int best)
{
	__m512d zr = _mm512_set1_pd(z[0]), zi = _mm512_set1_pd(z[1]);
	__m512d tx = _mm512_set1_pd(z[2]), ty = _mm512_set1_pd(z[3]), t2 = _mm512_set1_pd(tol2);
	int in = 0;

	for (int k = 0; k < np && in + (np - k) > best; k += 8) {
		__mmask8 m = np - k >= 8 ? 0xff : (__mmask8)((1u << (np - k)) - 1);
		__m512d x = _mm512_maskz_loadu_pd(m, px + k), y = _mm512_maskz_loadu_pd(m, py + k);
		__m512d ex = _mm512_sub_pd(_mm512_add_pd(_mm512_sub_pd(_mm512_mul_pd(zr, x),
		    _mm512_mul_pd(zi, y)), tx), _mm512_maskz_loadu_pd(m, qx + k));
		__m512d ey = _mm512_sub_pd(_mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(zi, x),
		    _mm512_mul_pd(zr, y)), ty), _mm512_maskz_loadu_pd(m, qy + k));
		__m512d d = _mm512_add_pd(_mm512_mul_pd(ex, ex), _mm512_mul_pd(ey, ey));

		in += __builtin_popcount(_mm512_mask_cmp_pd_mask(m, d, t2, _CMP_LE_OQ));
	}
	return in;
}
/* RANSAC's hypotheses with AVX-512: for each strong match i, the transforms from it and
 * eight of the matches after it at a time, with the same operations in the same order as
 * kp_match's loop (the differences in float, then doubles), so the same doubles; then
 * each one kept, in the loop's order, counted against the best so far.  fx .. gy: the
 * places of the top matches as floats, room for top + 8; px .. qy: all the matches'
 * places as doubles, the hypotheses' own read there; cx .. cqy: the same places, np of
 * each, which the counts read and reorder (ransac_front).  The best count, its
 * transform in bz (untouched when none passes 0). */
__attribute__((target("avx512f"), noinline))
static int ransac512(const float *fx, const float *fy, const float *gx, const float *gy,
    const double *px, const double *py, const double *qx, const double *qy, int np, int top,
    double tol2, double bz[4], double *cx, double *cy, double *cqx, double *cqy)
{
	const __m512d hundred = _mm512_set1_pd(100), lo = _mm512_set1_pd(0.0625);
	const __m512d hi = _mm512_set1_pd(16);
	int best = 0;

	/* once every match is an inlier nothing can pass the best: stop */
	for (int i = 0; i < top && best < np; i++) {
		__m256 a1x = _mm256_set1_ps(fx[i]), a1y = _mm256_set1_ps(fy[i]);
		__m256 b1x = _mm256_set1_ps(gx[i]), b1y = _mm256_set1_ps(gy[i]);
		__m512d pxi = _mm512_set1_pd(px[i]), pyi = _mm512_set1_pd(py[i]);
		__m512d qxi = _mm512_set1_pd(qx[i]), qyi = _mm512_set1_pd(qy[i]);

		for (int j = i + 1; j < top && best < np; j += 8) {
			__m512d ax = _mm512_cvtps_pd(_mm256_sub_ps(_mm256_loadu_ps(fx + j), a1x));
			__m512d ay = _mm512_cvtps_pd(_mm256_sub_ps(_mm256_loadu_ps(fy + j), a1y));
			__m512d bx = _mm512_cvtps_pd(_mm256_sub_ps(_mm256_loadu_ps(gx + j), b1x));
			__m512d by = _mm512_cvtps_pd(_mm256_sub_ps(_mm256_loadu_ps(gy + j), b1y));
			__m512d n2 = _mm512_add_pd(_mm512_mul_pd(ax, ax), _mm512_mul_pd(ay, ay));
			__m512d zr = _mm512_div_pd(_mm512_add_pd(_mm512_mul_pd(bx, ax),
			    _mm512_mul_pd(by, ay)), n2);
			__m512d zi = _mm512_div_pd(_mm512_sub_pd(_mm512_mul_pd(by, ax),
			    _mm512_mul_pd(bx, ay)), n2);
			__m512d s2 = _mm512_add_pd(_mm512_mul_pd(zr, zr), _mm512_mul_pd(zi, zi));
			__m512d tx = _mm512_sub_pd(qxi, _mm512_sub_pd(_mm512_mul_pd(zr, pxi),
			    _mm512_mul_pd(zi, pyi)));
			__m512d ty = _mm512_sub_pd(qyi, _mm512_add_pd(_mm512_mul_pd(zi, pxi),
			    _mm512_mul_pd(zr, pyi)));
			/* as the loop's tests: not n2 < 100, not s2 < 0.0625, not s2 > 16 */
			unsigned keep = (unsigned)_mm512_cmp_pd_mask(n2, hundred, _CMP_NLT_UQ) &
			    (unsigned)_mm512_cmp_pd_mask(s2, lo, _CMP_NLT_UQ) &
			    (unsigned)_mm512_cmp_pd_mask(s2, hi, _CMP_NGT_UQ);
			double zrs[8], zis[8], txs[8], tys[8];

			if (top - j < 8)
				keep &= (1u << (top - j)) - 1;
			if (keep == 0)
				continue;
			_mm512_storeu_pd(zrs, zr);
			_mm512_storeu_pd(zis, zi);
			_mm512_storeu_pd(txs, tx);
			_mm512_storeu_pd(tys, ty);
			while (keep) {
				int l = __builtin_ctz(keep), in;
				double z[4] = { zrs[l], zis[l], txs[l], tys[l] };

				keep &= keep - 1;
				in = inliers512(cx, cy, cqx, cqy, np, z, tol2, best);
				if (in > best) {
					best = in;
					memcpy(bz, z, sizeof z);
					ransac_front(cx, cy, cqx, cqy, np, z, tol2);
				}
			}
		}
	}
	return best;
}
/* inside_share's count with AVX-512: a row of the grid as two vectors of eight places,
 * each place and its image under z by the same operations in the same order as the
 * plain loop, so the same doubles and the same count. */
__attribute__((target("avx512f"), noinline))
static int inside512(int aw, int ah, int bw, int bh, const double z[4])
{
	const __m512d z0 = _mm512_set1_pd(z[0]), z1 = _mm512_set1_pd(z[1]);
	const __m512d z2 = _mm512_set1_pd(z[2]), z3 = _mm512_set1_pd(z[3]);
	const __m512d zero = _mm512_setzero_pd(), w = _mm512_set1_pd(bw), h = _mm512_set1_pd(bh);
	const __m512d sixteen = _mm512_set1_pd(16), awv = _mm512_set1_pd(aw);
	__m512d px[2], z0px[2], z1px[2];
	int in = 0;

	px[0] = _mm512_div_pd(_mm512_mul_pd(_mm512_setr_pd(0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5,
	    7.5), awv), sixteen);
	px[1] = _mm512_div_pd(_mm512_mul_pd(_mm512_setr_pd(8.5, 9.5, 10.5, 11.5, 12.5, 13.5,
	    14.5, 15.5), awv), sixteen);
	for (int k = 0; k < 2; k++) {
		z0px[k] = _mm512_mul_pd(z0, px[k]);
		z1px[k] = _mm512_mul_pd(z1, px[k]);
	}
	for (int gy = 0; gy < 16; gy++) {
		double py = (gy + 0.5) * ah / 16;
		__m512d z1py = _mm512_set1_pd(z[1] * py), z0py = _mm512_set1_pd(z[0] * py);

		for (int k = 0; k < 2; k++) {
			__m512d x = _mm512_add_pd(_mm512_sub_pd(z0px[k], z1py), z2);
			__m512d y = _mm512_add_pd(_mm512_add_pd(z1px[k], z0py), z3);
			__mmask8 m = _mm512_cmp_pd_mask(x, zero, _CMP_GE_OQ) &
			    _mm512_cmp_pd_mask(y, zero, _CMP_GE_OQ) &
			    _mm512_cmp_pd_mask(x, w, _CMP_LE_OQ) &
			    _mm512_cmp_pd_mask(y, h, _CMP_LE_OQ);

			in += __builtin_popcount(m);
		}
	}
	return in;
}

/* inlier_count with AVX2, four at a time, as inliers512 (the same doubles, the same
 * early stop at every fourth match). */
__attribute__((target("avx2"), always_inline))
static inline int inliers256(const double *px, const double *py, const double *qx, const double *qy,
    int np, const double z[4], double tol2, int best)
{
	__m256d zr = _mm256_set1_pd(z[0]), zi = _mm256_set1_pd(z[1]);
	__m256d tx = _mm256_set1_pd(z[2]), ty = _mm256_set1_pd(z[3]), t2 = _mm256_set1_pd(tol2);
	int in = 0, k = 0;

	for (; k + 4 <= np && in + (np - k) > best; k += 4) {
		__m256d x = _mm256_loadu_pd(px + k), y = _mm256_loadu_pd(py + k);
		__m256d ex = _mm256_sub_pd(_mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(zr, x),
		    _mm256_mul_pd(zi, y)), tx), _mm256_loadu_pd(qx + k));
		__m256d ey = _mm256_sub_pd(_mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(zi, x),
		    _mm256_mul_pd(zr, y)), ty), _mm256_loadu_pd(qy + k));
		__m256d d = _mm256_add_pd(_mm256_mul_pd(ex, ex), _mm256_mul_pd(ey, ey));

		in += __builtin_popcount((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(d, t2,
		    _CMP_LE_OQ)));
	}
	/* the last few one at a time, by the same operations */
	for (; k < np && in + (np - k) > best; k++) {
		double ex = z[0] * px[k] - z[1] * py[k] + z[2] - qx[k];
		double ey = z[1] * px[k] + z[0] * py[k] + z[3] - qy[k];

		in += ex * ex + ey * ey <= tol2;
	}
	return in;
}

/* RANSAC's hypotheses with AVX2, four at a time, as ransac512 (fx .. gy with room for
 * top + 8). */
__attribute__((target("avx2"), noinline))
static int ransac256(const float *fx, const float *fy, const float *gx, const float *gy,
    const double *px, const double *py, const double *qx, const double *qy, int np, int top,
    double tol2, double bz[4], double *cx, double *cy, double *cqx, double *cqy)
{
	const __m256d hundred = _mm256_set1_pd(100), lo = _mm256_set1_pd(0.0625);
	const __m256d hi = _mm256_set1_pd(16);
	int best = 0;

	for (int i = 0; i < top && best < np; i++) {
		__m128 a1x = _mm_set1_ps(fx[i]), a1y = _mm_set1_ps(fy[i]);
		__m128 b1x = _mm_set1_ps(gx[i]), b1y = _mm_set1_ps(gy[i]);
		__m256d pxi = _mm256_set1_pd(px[i]), pyi = _mm256_set1_pd(py[i]);
		__m256d qxi = _mm256_set1_pd(qx[i]), qyi = _mm256_set1_pd(qy[i]);

		for (int j = i + 1; j < top && best < np; j += 4) {
			__m256d ax = _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(fx + j), a1x));
			__m256d ay = _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(fy + j), a1y));
			__m256d bx = _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(gx + j), b1x));
			__m256d by = _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(gy + j), b1y));
			__m256d n2 = _mm256_add_pd(_mm256_mul_pd(ax, ax), _mm256_mul_pd(ay, ay));
			__m256d zr = _mm256_div_pd(_mm256_add_pd(_mm256_mul_pd(bx, ax),
			    _mm256_mul_pd(by, ay)), n2);
			__m256d zi = _mm256_div_pd(_mm256_sub_pd(_mm256_mul_pd(by, ax),
			    _mm256_mul_pd(bx, ay)), n2);
			__m256d s2 = _mm256_add_pd(_mm256_mul_pd(zr, zr), _mm256_mul_pd(zi, zi));
			__m256d tx = _mm256_sub_pd(qxi, _mm256_sub_pd(_mm256_mul_pd(zr, pxi),
			    _mm256_mul_pd(zi, pyi)));
			__m256d ty = _mm256_sub_pd(qyi, _mm256_add_pd(_mm256_mul_pd(zi, pxi),
			    _mm256_mul_pd(zr, pyi)));
			/* as the loop's tests: not n2 < 100, not s2 < 0.0625, not s2 > 16 */
			unsigned keep = (unsigned)_mm256_movemask_pd(_mm256_and_pd(_mm256_and_pd(
			    _mm256_cmp_pd(n2, hundred, _CMP_NLT_UQ), _mm256_cmp_pd(s2, lo,
			    _CMP_NLT_UQ)), _mm256_cmp_pd(s2, hi, _CMP_NGT_UQ)));
			double zrs[4], zis[4], txs[4], tys[4];

			if (top - j < 4)
				keep &= (1u << (top - j)) - 1;
			if (keep == 0)
				continue;
			_mm256_storeu_pd(zrs, zr);
			_mm256_storeu_pd(zis, zi);
			_mm256_storeu_pd(txs, tx);
			_mm256_storeu_pd(tys, ty);
			while (keep) {
				int l = __builtin_ctz(keep), in;
				double z[4] = { zrs[l], zis[l], txs[l], tys[l] };

				keep &= keep - 1;
				in = inliers256(cx, cy, cqx, cqy, np, z, tol2, best);
				if (in > best) {
					best = in;
					memcpy(bz, z, sizeof z);
					ransac_front(cx, cy, cqx, cqy, np, z, tol2);
				}
			}
		}
	}
	return best;
}

/* inside_share's count with AVX2: a row of the grid as four vectors of four places, as
 * inside512. */
__attribute__((target("avx2"), noinline))
static int inside256(int aw, int ah, int bw, int bh, const double z[4])
{
	const __m256d z0 = _mm256_set1_pd(z[0]), z1 = _mm256_set1_pd(z[1]);
	const __m256d z2 = _mm256_set1_pd(z[2]), z3 = _mm256_set1_pd(z[3]);
	const __m256d zero = _mm256_setzero_pd(), w = _mm256_set1_pd(bw), h = _mm256_set1_pd(bh);
	const __m256d sixteen = _mm256_set1_pd(16), awv = _mm256_set1_pd(aw);
	__m256d z0px[4], z1px[4];
	int in = 0;

	for (int k = 0; k < 4; k++) {
		__m256d px = _mm256_div_pd(_mm256_mul_pd(_mm256_setr_pd(4 * k + 0.5, 4 * k + 1.5,
		    4 * k + 2.5, 4 * k + 3.5), awv), sixteen);

		z0px[k] = _mm256_mul_pd(z0, px);
		z1px[k] = _mm256_mul_pd(z1, px);
	}
	for (int gy = 0; gy < 16; gy++) {
		double py = (gy + 0.5) * ah / 16;
		__m256d z1py = _mm256_set1_pd(z[1] * py), z0py = _mm256_set1_pd(z[0] * py);

		for (int k = 0; k < 4; k++) {
			__m256d x = _mm256_add_pd(_mm256_sub_pd(z0px[k], z1py), z2);
			__m256d y = _mm256_add_pd(_mm256_add_pd(z1px[k], z0py), z3);
			__m256d m = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(x, zero, _CMP_GE_OQ),
			    _mm256_cmp_pd(y, zero, _CMP_GE_OQ)), _mm256_and_pd(_mm256_cmp_pd(x, w,
			    _CMP_LE_OQ), _mm256_cmp_pd(y, h, _CMP_LE_OQ)));

			in += __builtin_popcount((unsigned)_mm256_movemask_pd(m));
		}
	}
	return in;
}
#endif

enum { KP_PLAIN, KP_AVX2, KP_AVX512 };

/* The passes this CPU runs: the widest it has, or as AZD_KP_KERNEL asks (plain, avx2,
 * avx512; tests compare them), never wider than it has. */
static int kp_kernel(void)
{
#ifdef KP_X86
	const char *want = getenv("AZD_KP_KERNEL");
	int k = KP_PLAIN;

	if (__builtin_cpu_supports("avx2"))
		k = KP_AVX2;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
		k = KP_AVX512;
	if (want != NULL && strcmp(want, "plain") == 0)
		k = KP_PLAIN;
	else if (want != NULL && strcmp(want, "avx2") == 0 && k > KP_AVX2)
		k = KP_AVX2;
	return k;
#else
	return KP_PLAIN;
#endif
}

const char *kp_kernel_name(void)
{
	static const char *const names[] = { "plain", "avx2", "avx512" };

	return names[kp_kernel()];
}

static int nearest(const uint64_t *ad, int an, const uint64_t *bd, int bn, struct pair *pr,
    int kern)
{
#ifdef KP_X86
	int np;

	if (kern == KP_AVX512 && (np = nearest512(ad, an, bd, bn, pr)) >= 0)
		return np;
	if (__builtin_cpu_supports("popcnt"))
		return nearest_popcnt(ad, an, bd, bn, pr);
#endif
	(void)kern;
	return nearest_body(ad, an, bd, bn, pr);
}

/* How many matches the transform z (zr, zi, tx, ty) maps within tol (tol2 = tol * tol)
 * of their partners, or a count no more than best once it cannot pass it (plain C;
 * ransac512 and ransac256 have the AVX-512 and AVX2 forms). */
static int inlier_count(const double *px, const double *py, const double *qx,
    const double *qy, int np, const double z[4], double tol2, int best)
{
	int in = 0;

	/* stops once the matches left cannot lift the count above the best: only a larger
	 * count replaces it, so the outcome is the same */
	for (int k = 0; k < np && in + (np - k) > best; k++) {
		double ex = z[0] * px[k] - z[1] * py[k] + z[2] - qx[k];
		double ey = z[1] * px[k] + z[0] * py[k] + z[3] - qy[k];

		in += ex * ex + ey * ey <= tol2;
	}
	return in;
}

/* RANSAC's hypotheses come from pairs of the strongest RANSAC_TOP matches (by descriptor
 * distance), each counted over all of them: 496 hypotheses a pair at 32.  At 48 (1,128)
 * make eval found 1,875 of its 2,136 pairs of copies and 43 false pairs, at 40 1,871
 * and 40, at 32 1,874 and 40 (a copy's strongest matches are nearly all inliers; where
 * they are not, the weaker ones rarely mend it), and dedupe's local stage took 1.02,
 * 0.99 and 0.95 ms an image (tests/bench/localscale.sh). */
#define RANSAC_TOP 32
/* the sides' ratios of two pictures that may lie one on the other: within a hundredth
 * (a half-size copy rounds a side by a pixel) */
#define KP_ALIGN_ASPECT 0.01

/* b's keypoints by square cells of side c (at least the tolerance; at most about
 * KP_CELLS_MAX cells): cell (cx, cy) holds those with cx * c <= x < (cx + 1) * c and the
 * same down (the cells along the edges also those beyond), idx[start[k] .. start[k + 1])
 * in b's order, k = cy * nx + cx, and their places beside them (px, py: b's, as floats,
 * so the same doubles), so that the cells of a row lie one after the other.  A search
 * near a place reads the few cells around it, not all of b nor a band across it (a page's
 * keypoints crowd along its lines of text: a band of rows a few tolerances high holds a
 * line's worth of them, the cells around one place a word's). */
#define KP_CELLS_MAX 1024
struct kp_cells {
	int nx, ny;
	double c, inv;          /* the side, and 1 / c */
	int *start, *idx;       /* nx * ny + 1 and b->n */
	float *px, *py;         /* b->n each; all four one block, start's */
};

/* the cell along a side of a place v (inv: 1 / c): monotone in v, which is all the
 * search needs of it (a place past another never lies in an earlier cell) */
static inline int cell_of(double v, double inv, int n)
{
	double k = v * inv;

	return k < 0 ? 0 : k >= n ? n - 1 : (int)k;
}

/* 0, or -1 when out of memory (then the caller reads all of b) */
static int cells_make(const struct kp_set *b, double tol, struct kp_cells *cl)
{
	double w = b->w > 1 ? b->w : 1, h = b->h > 1 ? b->h : 1, side = sqrt(w * h / KP_CELLS_MAX);
	int nc;

	cl->c = tol > side ? tol : side;
	cl->inv = 1 / cl->c;
	cl->nx = (int)(w / cl->c) + 1;
	cl->ny = (int)(h / cl->c) + 1;
	nc = cl->nx * cl->ny;
	/* ints and floats are both four bytes (the places follow the indices) */
	_Static_assert(sizeof(int) == sizeof(float), "one block of ints and floats");
	if ((cl->start = calloc((size_t)nc + 1 + 3 * (size_t)b->n, sizeof *cl->start)) == NULL)
		return -1;
	cl->idx = cl->start + nc + 1;
	cl->px = (float *)(cl->idx + b->n);
	cl->py = cl->px + b->n;
	for (int j = 0; j < b->n; j++)
		cl->start[cell_of(b->kp[j].y, cl->inv, cl->ny) * cl->nx +
		    cell_of(b->kp[j].x, cl->inv, cl->nx) + 1]++;
	for (int k = 0; k < nc; k++)
		cl->start[k + 1] += cl->start[k];
	/* start[k] is where cell k's next entry goes until the last is placed; then each
	 * start is moved back by its cell's count */
	for (int j = 0; j < b->n; j++) {
		int q = cl->start[cell_of(b->kp[j].y, cl->inv, cl->ny) * cl->nx +
		    cell_of(b->kp[j].x, cl->inv, cl->nx)]++;

		cl->idx[q] = j;
		cl->px[q] = b->kp[j].x;
		cl->py[q] = b->kp[j].y;
	}
	for (int k = nc; k > 0; k--)
		cl->start[k] = cl->start[k - 1];
	cl->start[0] = 0;
	return 0;
}

/* Whether one of b's keypoints within tol of (x, y) (tol2 = tol * tol) has a descriptor
 * within KP_MATCH_MAX of d: 1 where one of b's first nb0 (its strongest) does, 2 where
 * only others do, 0 where none does; with top 0, 1 where any does (the first found).
 * With cells (cl not NULL), only the cells that hold places within tol and a millionth
 * of it (and of a pixel) either way along each side: the test below, in doubles, takes
 * no point farther than that (its roundings are some 1e-16 of the place); the same
 * answer as the whole of b, as the test is the same and only its order changes. */
static inline __attribute__((always_inline)) int near_like(const struct kp_set *b,
    const struct kp_cells *cl, double x, double y, double tol, double tol2, const uint8_t *d,
    int top, int nb0)
{
	/* the rows of cells read (all of b, as one, without them) */
	double pad = tol * 1e-6 + 1e-6;
	int x0 = 0, x1 = 0, y0 = 0, y1 = 0, found = 0;

	if (cl != NULL) {
		x0 = cell_of(x - tol - pad, cl->inv, cl->nx);
		x1 = cell_of(x + tol + pad, cl->inv, cl->nx);
		y0 = cell_of(y - tol - pad, cl->inv, cl->ny);
		y1 = cell_of(y + tol + pad, cl->inv, cl->ny);
	}
	for (int cy = y0; cy <= y1; cy++) {
		int q0 = cl != NULL ? cl->start[cy * cl->nx + x0] : 0;
		int q1 = cl != NULL ? cl->start[cy * cl->nx + x1 + 1] : b->n;

		for (int q = q0; q < q1; q++) {
			int j = cl != NULL ? cl->idx[q] : q;
			double dx = (cl != NULL ? cl->px[q] : b->kp[j].x) - x;
			double dy = (cl != NULL ? cl->py[q] : b->kp[j].y) - y;

			if (dx * dx + dy * dy <= tol2 && desc_distance(d, b->kp[j].d) <= KP_MATCH_MAX) {
				if (!top || j < nb0)
					return 1;
				found = 2;
			}
		}
	}
	return found;
}

/* The counts one side's keypoints give (shared_body): of all keypoints, and of the
 * strongest n0 of each side against each other */
struct shared_counts {
	int in, rep;            /* mapped inside the other picture; repeated there */
	int in0, rep0;          /* the same, a's strongest n0 against b's */
};

/* How many of a's keypoints z maps inside b's picture (BORDER from its edges, where b
 * could have found a corner), and how many of those land within tol of one of b's
 * keypoints whose descriptor is within KP_MATCH_MAX of theirs (c->in, c->rep); the same
 * of a's strongest n0 against b's strongest n0 (c->in0, c->rep0: a view of each, read
 * in the same pass).  And of the four middle cells of a 4 x 4 grid over a's picture,
 * those that hold KP_CELL_MIN of the first (added to *mid) and of them those that hold
 * none of the second (to *mid_dead). */
static inline __attribute__((always_inline)) void shared_body(const struct kp_set *a,
    const struct kp_set *b, const double z[4], double tol, int n0, struct shared_counts *c,
    int *mid, int *mid_dead)
{
	double lo = BORDER, hx = b->w - 1 - BORDER, hy = b->h - 1 - BORDER, tol2 = tol * tol;
	int has[4] = { 0 }, got[4] = { 0 };
	int na0 = a->n < n0 ? a->n : n0, nb0 = b->n < n0 ? b->n : n0;
	struct kp_cells cl;
	int celled = cells_make(b, tol, &cl) == 0;

	memset(c, 0, sizeof *c);
	for (int i = 0; i < a->n; i++) {
		double x = z[0] * a->kp[i].x - z[1] * a->kp[i].y + z[2];
		double y = z[1] * a->kp[i].x + z[0] * a->kp[i].y + z[3];
		/* the middle cells: the second and third quarter across and down */
		int cx = a->w > 0 ? (int)(a->kp[i].x * 4 / a->w) - 1 : -1;
		int cy = a->h > 0 ? (int)(a->kp[i].y * 4 / a->h) - 1 : -1;
		int cell = cx >= 0 && cx < 2 && cy >= 0 && cy < 2 ? 2 * cy + cx : -1;
		int near, top = i < na0 && nb0 < b->n;

		if (x < lo || y < lo || x > hx || y > hy)
			continue;
		c->in++;
		c->in0 += i < na0;
		if (cell >= 0)
			has[cell]++;
		if ((near = near_like(b, celled ? &cl : NULL, x, y, tol, tol2, a->kp[i].d, top,
		    nb0)) != 0) {
			c->rep++;
			if (cell >= 0)
				got[cell]++;
		}
		/* of b's strongest: 1 (or any, where b has no more than those) */
		c->rep0 += i < na0 && near == 1;
	}
	if (celled)
		free(cl.start);
	for (int k = 0; k < 4; k++) {
		*mid += has[k] >= KP_CELL_MIN;
		*mid_dead += has[k] >= KP_CELL_MIN && got[k] == 0;
	}
}

static void shared_plain(const struct kp_set *a, const struct kp_set *b, const double z[4],
    double tol, int n0, struct shared_counts *c, int *mid, int *mid_dead)
{
	shared_body(a, b, z, tol, n0, c, mid, mid_dead);
}

#ifdef KP_X86
/* the same with the popcount instruction (the descriptors' distances; a libgcc call a
 * word otherwise) */
__attribute__((target("popcnt"))) static void shared_popcnt(const struct kp_set *a,
    const struct kp_set *b, const double z[4], double tol, int n0, struct shared_counts *c,
    int *mid, int *mid_dead)
{
	shared_body(a, b, z, tol, n0, c, mid, mid_dead);
}
#endif

static void shared_one(const struct kp_set *a, const struct kp_set *b, const double z[4],
    double tol, int n0, struct shared_counts *c, int *mid, int *mid_dead)
{
#ifdef KP_X86
	if (kp_kernel() != KP_PLAIN) {
		shared_popcnt(a, b, z, tol, n0, c, mid, mid_dead);
		return;
	}
#endif
	shared_plain(a, b, z, tol, n0, c, mid, mid_dead);
}

/* The share of a's picture that z maps inside b's, on a 16 x 16 grid of a's places. */
static double inside_share(const struct kp_set *a, const struct kp_set *b, const double z[4],
    int kern)
{
	int in = 0;

#ifdef KP_X86
	if (kern == KP_AVX512)
		return inside512(a->w, a->h, b->w, b->h, z) / 256.0;
	if (kern == KP_AVX2)
		return inside256(a->w, a->h, b->w, b->h, z) / 256.0;
#endif
	(void)kern;
	for (int gy = 0; gy < 16; gy++)
		for (int gx = 0; gx < 16; gx++) {
			double px = (gx + 0.5) * a->w / 16, py = (gy + 0.5) * a->h / 16;
			double x = z[0] * px - z[1] * py + z[2], y = z[1] * px + z[0] * py + z[3];

			in += x >= 0 && y >= 0 && x <= b->w && y <= b->h;
		}
	return in / 256.0;
}

/* The inverse of the transform z. */
static void invert(const double z[4], double w[4])
{
	double s2 = z[0] * z[0] + z[1] * z[1];

	/* p = conj(z) (q - t) / |z|^2 */
	w[0] = z[0] / s2;
	w[1] = -z[1] / s2;
	w[2] = -(w[0] * z[2] - w[1] * z[3]);
	w[3] = -(w[1] * z[2] + w[0] * z[3]);
}

/* The share of b's picture that the inverse of z (a to b) maps inside a's. */
static double inside_share_back(const struct kp_set *a, const struct kp_set *b, const double z[4],
    int kern)
{
	double w[4];

	invert(z, w);
	return inside_share(b, a, w, kern);
}

void kp_shared_top(const struct kp_set *a, const struct kp_set *b, int n0,
    struct kp_match *m)
{
	double w[4];
	struct shared_counts ca, cb;

	m->shared = m->agree = m->shared0 = m->agree0 = m->mid = m->mid_dead = 0;
	if (m->inliers <= 0)
		return;
	invert(m->z, w);
	shared_one(a, b, m->z, m->tol, n0, &ca, &m->mid, &m->mid_dead);
	shared_one(b, a, w, m->tol / sqrt(m->z[0] * m->z[0] + m->z[1] * m->z[1]), n0, &cb,
	    &m->mid, &m->mid_dead);
	/* the side with fewer in the part both show */
	m->shared = ca.in <= cb.in ? ca.in : cb.in;
	m->agree = ca.in <= cb.in ? ca.rep : cb.rep;
	m->shared0 = ca.in0 <= cb.in0 ? ca.in0 : cb.in0;
	m->agree0 = ca.in0 <= cb.in0 ? ca.rep0 : cb.rep0;
}

void kp_shared(const struct kp_set *a, const struct kp_set *b, struct kp_match *m)
{
	kp_shared_top(a, b, INT_MAX, m);
}

void kp_scaling_z(double s, double tx, double ty, double z[4])
{
	/* x + 0.5 -> s (x + 0.5) + tx on the edges, so x -> s x + tx + (s - 1) / 2 */
	z[0] = s;
	z[1] = 0;
	z[2] = tx + 0.5 * (s - 1);
	z[3] = ty + 0.5 * (s - 1);
}

int kp_match(const struct kp_set *a, const struct kp_set *b, struct kp_match *m)
{
	struct pair *pr;
	uint64_t *ad, *bd;
	double *px, *py, *qx, *qy;
	int np = 0, best = 0, top, kern = kp_kernel();
	double tol, bestz_re = 1, bestz_im = 0, best_tx = 0, best_ty = 0;

	memset(m, 0, sizeof *m);
	if (a->n < 2 || b->n < 2)
		return 0;
	if ((pr = malloc((size_t)a->n * 2 * sizeof *pr)) == NULL)
		return AD_ENOMEM;
	np = -1;
#ifdef KP_X86
	/* the AVX2 pass reads the descriptors where they lie */
	if (kern == KP_AVX2)
		np = nearest256(a->kp, a->n, b->kp, b->n, pr);
#endif
	if (np < 0) {
		if ((ad = malloc((size_t)(a->n + b->n) * 4 * sizeof *ad)) == NULL) {
			free(pr);
			return AD_ENOMEM;
		}
		bd = ad + (size_t)a->n * 4;
		for (int i = 0; i < a->n; i++)
			memcpy(ad + (size_t)i * 4, a->kp[i].d, 32);
		for (int j = 0; j < b->n; j++)
			memcpy(bd + (size_t)j * 4, b->kp[j].d, 32);
		np = nearest(ad, a->n, bd, b->n, pr, kern);
		free(ad);
	}
	m->matches = np;
	m->plain_in = -1;
	if (np < 2) {
		free(pr);
		return 0;
	}
	sort_pairs(pr, np, pr + a->n);
	/* the matched places side by side, for the inlier counts */
	if ((px = malloc((size_t)np * 4 * sizeof *px)) == NULL) {
		free(pr);
		return AD_ENOMEM;
	}
	py = px + np;
	qx = py + np;
	qy = qx + np;
	for (int k = 0; k < np; k++) {
		px[k] = a->kp[pr[k].a].x;
		py[k] = a->kp[pr[k].a].y;
		qx[k] = b->kp[pr[k].b].x;
		qy[k] = b->kp[pr[k].b].y;
	}
	top = np < RANSAC_TOP ? np : RANSAC_TOP;
	tol = 4.0 * (b->w > b->h ? b->h : b->w) / KP_BASE_SIDE;
	if (tol < 2)
		tol = 2;
#ifdef KP_X86
	if (kern != KP_PLAIN) {
		float *f = calloc((size_t)(top + 8) * 4, sizeof *f);
		double bz[4] = { 1, 0, 0, 0 };
		/* the places again, for the counts to reorder */
		double *c = malloc((size_t)np * 4 * sizeof *c);

		if (f == NULL || c == NULL) {
			free(f);
			free(c);
			free(px);
			free(pr);
			return AD_ENOMEM;
		}
		memcpy(c, px, (size_t)np * 4 * sizeof *c);
		for (int k = 0; k < top; k++) {
			f[k] = a->kp[pr[k].a].x;
			f[top + 8 + k] = a->kp[pr[k].a].y;
			f[2 * (top + 8) + k] = b->kp[pr[k].b].x;
			f[3 * (top + 8) + k] = b->kp[pr[k].b].y;
		}
		best = (kern == KP_AVX512 ? ransac512 : ransac256)(f, f + top + 8,
		    f + 2 * (top + 8), f + 3 * (top + 8), px, py, qx, qy, np, top, tol * tol, bz,
		    c, c + np, c + 2 * np, c + 3 * np);
		free(f);
		free(c);
		bestz_re = bz[0];
		bestz_im = bz[1];
		best_tx = bz[2];
		best_ty = bz[3];
	}
#endif
	/* only a count above the best replaces it, and none is above np: once every match
	 * is an inlier the rest cannot change the outcome */
	for (int i = 0; i < top && kern == KP_PLAIN && best < np; i++)
		for (int j = i + 1; j < top && best < np; j++) {
			const struct kp *a1 = &a->kp[pr[i].a], *a2 = &a->kp[pr[j].a];
			const struct kp *b1 = &b->kp[pr[i].b], *b2 = &b->kp[pr[j].b];
			double ax = a2->x - a1->x, ay = a2->y - a1->y;
			double bx = b2->x - b1->x, by = b2->y - b1->y;
			double n2 = ax * ax + ay * ay, zr, zi, tx, ty, s2, z[4];
			int in;

			if (n2 < 100)
				continue;  /* too close together to fix a scale and angle */
			/* z = (b2 - b1) / (a2 - a1) as complex numbers */
			zr = (bx * ax + by * ay) / n2;
			zi = (by * ax - bx * ay) / n2;
			s2 = zr * zr + zi * zi;
			if (s2 < 0.0625 || s2 > 16)
				continue;  /* more than 4x apart in scale */
			tx = b1->x - (zr * a1->x - zi * a1->y);
			ty = b1->y - (zi * a1->x + zr * a1->y);
			z[0] = zr;
			z[1] = zi;
			z[2] = tx;
			z[3] = ty;
			in = inlier_count(px, py, qx, qy, np, z, tol * tol, best);
			if (in > best) {
				best = in;
				bestz_re = zr;
				bestz_im = zi;
				best_tx = tx;
				best_ty = ty;
			}
		}
	/* two pictures that lie one on the other (a re-encoded, re-toned, blurred or
	 * half-size copy; two icons of one theme drawn on one canvas): the plain scaling
	 * from one picture's size to the other's, when it explains as many matches as the
	 * best hypothesis drawn, is their transform (a hypothesis from two matched places
	 * carries their rounding: a hundredth of scale, a degree) */
	if (a->w > 0 && a->h > 0 && b->w > 0 && b->h > 0 &&
	    fabs((double)b->w / a->w - (double)b->h / a->h) <= KP_ALIGN_ASPECT * b->w / a->w) {
		double z0[4] = { (double)b->w / a->w, 0, 0, 0 };
		int in0 = inlier_count(px, py, qx, qy, np, z0, tol * tol, best - 1);

		/* and on the pixel centres, whatever it explains, for the details to be read
		 * through as well (dedupe's detail pass) */
		kp_scaling_z(z0[0], 0, 0, m->plain);
		m->plain_in = inlier_count(px, py, qx, qy, np, m->plain, tol * tol, -1);

		if (in0 >= best && in0 > 0) {
			best = in0;
			bestz_re = z0[0];
			bestz_im = best_tx = best_ty = 0;
		}
	}
	m->inliers = best;
	if (best > 0) {
		/* how much of each image the inliers span: a copy, a crop or a framed copy
		 * spans most of the smaller picture; two shots that only overlap do not */
		double ax0 = 1e9, ay0 = 1e9, ax1 = -1e9, ay1 = -1e9;
		double bx0 = 1e9, by0 = 1e9, bx1 = -1e9, by1 = -1e9, ca, cb;

		for (int k = 0; k < np; k++) {
			const struct kp *p = &a->kp[pr[k].a], *q = &b->kp[pr[k].b];
			double ex = bestz_re * p->x - bestz_im * p->y + best_tx - q->x;
			double ey = bestz_im * p->x + bestz_re * p->y + best_ty - q->y;

			if (ex * ex + ey * ey > tol * tol)
				continue;
			/* (places, never NaN: fmin's and fmax's answers without their calls) */
			ax0 = p->x < ax0 ? p->x : ax0, ax1 = p->x > ax1 ? p->x : ax1;
			ay0 = p->y < ay0 ? p->y : ay0, ay1 = p->y > ay1 ? p->y : ay1;
			bx0 = q->x < bx0 ? q->x : bx0, bx1 = q->x > bx1 ? q->x : bx1;
			by0 = q->y < by0 ? q->y : by0, by1 = q->y > by1 ? q->y : by1;
		}
		ca = (ax1 - ax0) * (ay1 - ay0) / ((double)a->w * a->h);
		cb = (bx1 - bx0) * (by1 - by0) / ((double)b->w * b->h);
		m->cover = ca > cb ? ca : cb;
		m->scale = sqrt(bestz_re * bestz_re + bestz_im * bestz_im);
		m->angle_deg = atan2(bestz_im, bestz_re) * 180.0 / M_PI;
		m->z[0] = bestz_re;
		m->z[1] = bestz_im;
		m->z[2] = best_tx;
		m->z[3] = best_ty;
		m->tol = tol;
		double in_b = inside_share(a, b, m->z, kern);
		double in_a = inside_share_back(a, b, m->z, kern);

		m->contain = fmax(in_b, in_a);
		m->overlap = fmin(in_b, in_a);
		m->a_in = in_b;
		m->b_in = in_a;
	}
	free(px);
	free(pr);
	return 0;
}
