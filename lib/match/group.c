/* group.c — exact and near duplicate groups, star around a keeper. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "decisions.h"
#include "hash.h"
#include "ink.h"
#include "kth.h"
#include "mih.h"
#include "splitmix.h"

static const struct {
	const char *word;
	int key;
} keep_words[] = {
	{ "resolution", KEEP_RESOLUTION },
	{ "size", KEEP_SIZE },
	{ "date", KEEP_DATE },
	{ "name", KEEP_NAME },
	{ "format", KEEP_FORMAT },
	{ "center", KEEP_CENTER },
};

void grp_opts_default(struct grp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->phash_max = 12;
	o->dhash_max = 16;
	o->whash_max = 16;
	o->local = 1;
	o->local_min = 16;
	o->rotations = 1;
	o->keys[0] = KEEP_RESOLUTION;
	o->keys[1] = KEEP_DATE;
	o->keys[2] = KEEP_CENTER;
	o->keys[3] = KEEP_SIZE;
	o->keys[4] = KEEP_NAME;
	o->nkeys = 5;
}

int grp_parse_keep(struct grp_opts *o, const char *spec, aderr *err)
{
	const char *p = spec;
	int n = 0;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		int key = 0;

		for (size_t i = 0; i < sizeof(keep_words) / sizeof(keep_words[0]); i++)
			if (strlen(keep_words[i].word) == len && strncmp(p, keep_words[i].word, len) == 0)
				key = keep_words[i].key;
		if (key == 0)
			return aderr_set(err, AD_EUSAGE,
			    "--keep: unknown key '%.*s' (use resolution, date, center, size, format, name)",
			    (int)len, p);
		for (int i = 0; i < n; i++)
			if (o->keys[i] == key)
				return aderr_set(err, AD_EUSAGE, "--keep: '%.*s' given twice", (int)len, p);
		if (n == GRP_MAX_KEYS)
			return aderr_set(err, AD_EUSAGE, "--keep: too many keys");
		o->keys[n++] = key;
		p += len;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return aderr_set(err, AD_EUSAGE, "--keep: empty key at the end of '%s'", spec);
		}
	}
	if (n == 0)
		return aderr_set(err, AD_EUSAGE, "--keep: no keys given");
	o->nkeys = n;
	return 0;
}

void grp_keep_string(const struct grp_opts *o, char *buf, size_t len)
{
	size_t at = 0;
	int has_name = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->nkeys; i++) {
		for (size_t k = 0; k < sizeof(keep_words) / sizeof(keep_words[0]); k++) {
			if (keep_words[k].key != o->keys[i])
				continue;
			if (o->keys[i] == KEEP_NAME)
				has_name = 1;
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s",
			    i ? "," : "", keep_words[k].word);
		}
	}
	if (!has_name)
		snprintf(buf + at, at < len ? len - at : 0, "%sname", o->nkeys ? "," : "");
}

struct rank_ctx {
	const struct grp_item *items;
	const struct grp_opts *o;
};

static int cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

/* 1 when a and b are one canvas, both framed, their frames' bands within GRP_KEEP_BAND
 * pixels or GRP_KEEP_BAND_SHARE of the side of each other (no transitive order: for a
 * scan, never a sort) */
static int same_canvas(const struct grp_item *a, const struct grp_item *b)
{
	if (!a->framed || !b->framed || a->wh[0] <= 0 || a->wh[1] <= 0 ||
	    a->wh[0] != b->wh[0] || a->wh[1] != b->wh[1])
		return 0;
	for (int i = 0; i < 4; i++) {
		/* top and bottom along the height, left and right along the width */
		double room = GRP_KEEP_BAND_SHARE * a->wh[i < 2 ? 1 : 0];
		long d = (long)a->band[i] - (long)b->band[i];

		if (a->band[i] == UINT16_MAX || b->band[i] == UINT16_MAX ||
		    (d < 0 ? -d : d) > (room > GRP_KEEP_BAND ? room : GRP_KEEP_BAND))
			return 0;
	}
	return 1;
}

/* <0 when item a is the better keeper; *key the KEEP_* key that decided (KEEP_PREFER
 * for --prefer, KEEP_NAME for the last tie-break).  within: a comparison of two
 * members of one group (same_canvas), never one for a sort. */
static int keep_cmp_in(const struct grp_item *a, const struct grp_item *b,
    const struct grp_opts *o, int within, int *key)
{
	int r;

	*key = KEEP_PREFER;
	if (a->prefer != b->prefer)
		return a->prefer < b->prefer ? -1 : 1;
	for (int i = 0; i < o->nkeys; i++) {
		switch (o->keys[i]) {
		case KEEP_RESOLUTION:
			/* the picture's own pixels; at a tie, the copy without an added frame,
			 * then the one without a caption or watermark its copies lack */
			if (within && same_canvas(a, b)) {
				r = 0;
			} else {
				r = cmp_ll(b->pixels, a->pixels);
				r = r ? r : (a->framed > b->framed) - (a->framed < b->framed);
			}
			r = r ? r : (a->overlaid > b->overlaid) - (a->overlaid < b->overlaid);
			break;
		case KEEP_SIZE: r = cmp_ll(b->size, a->size); break;
		case KEEP_DATE: r = cmp_ll(a->mtime, b->mtime); break;
		case KEEP_NAME: r = strcmp(a->name, b->name); break;
		case KEEP_FORMAT: r = (a->format_rank > b->format_rank) - (a->format_rank < b->format_rank); break;
		case KEEP_CENTER: r = (a->center > b->center) - (a->center < b->center); break;
		default: r = 0; break;
		}
		*key = o->keys[i];
		if (r != 0)
			return r;
	}
	*key = KEEP_NAME;
	return strcmp(a->name, b->name);
}

static int keep_cmp(const struct grp_item *a, const struct grp_item *b, const struct grp_opts *o,
    int *key)
{
	return keep_cmp_in(a, b, o, 0, key);
}

/* <0 when item ia is the better keeper (within: of one group, keep_cmp_in) */
static int rank_in(const struct rank_ctx *c, size_t ia, size_t ib, int within)
{
	int key, r;

	/* a reviewer's keepers first, the latest decision first */
	if (c->items[ia].keep_first != c->items[ib].keep_first)
		return c->items[ia].keep_first > c->items[ib].keep_first ? -1 : 1;
	r = keep_cmp_in(&c->items[ia], &c->items[ib], c->o, within, &key);

	return r != 0 ? r : (ia > ib) - (ia < ib);
}

/* <0 when item a is the better keeper (for qsort_r: a transitive order) */
static int rank_cmp(const void *pa, const void *pb, void *ud)
{
	return rank_in(ud, *(const size_t *)pa, *(const size_t *)pb, 0);
}

static int same_bytes(const struct grp_item *a, const struct grp_item *b)
{
	if (a->has_sha256 && b->has_sha256)
		return memcmp(a->sha256, b->sha256, sizeof(a->sha256)) == 0;
	return a->content_md5[0] != '\0' && strcmp(a->content_md5, b->content_md5) == 0 &&
	    a->size == b->size;
}

static const int inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };

/* How many keypoints an item has for matching. */
static int item_nkp(const struct grp_item *it)
{
	return it->kp != NULL ? it->kp->n : it->has_kp ? it->nkp : 0;
}

/* The strict test's inliers for a pair, grown by grow (GRP_STRICT_GROW, GRP_AMBIG_GROW):
 * more where both pictures bring more than GRP_KP_BASE keypoints. */
static int grown_inliers(const struct grp_item *a, const struct grp_item *b, double grow)
{
	/* (an enlarged picture's keypoints counted as its own pixels would bring them:
	 * GRP_BLIND_ENLARGE) */
	double ea = item_nkp(a) / (a->kp_enlarge > 1 ? a->kp_enlarge : 1);
	double eb = item_nkp(b) / (b->kp_enlarge > 1 ? b->kp_enlarge : 1);
	double t = ((ea < eb ? ea : eb) - GRP_KP_BASE) / GRP_KP_BASE;

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return (int)lround(GRP_STRICT_INLIERS * (1 + grow * t));
}

static int strict_inliers(const struct grp_item *a, const struct grp_item *b)
{
	return grown_inliers(a, b, GRP_STRICT_GROW);
}

/* s itself, or its strongest n keypoints as a view in *v (the keypoints are strongest
 * first). */
static const struct kp_set *kp_strongest(const struct kp_set *s, int n, struct kp_set *v)
{
	if (s->n <= n)
		return s;
	*v = *s;
	v->n = n;
	return v;
}

/* An item's set from the item, or from the cache where `cached` says the cache holds
 * one (give it back with cache_put and the same flag).  0, or a negative AD_E* code with
 * the reason in err. */
static int cache_get(const struct grp_opts *o, const struct grp_item *it, int cached,
    const struct kp_set **ks, aderr *err)
{
	if (it->kp != NULL || !cached || o->kps == NULL) {
		*ks = it->kp;
		return 0;
	}
	return kpcache_get(o->kps, it->kp_id, ks, err);
}

static void cache_put(const struct grp_opts *o, const struct grp_item *it, int cached)
{
	if (it->kp == NULL && cached && o->kps != NULL)
		kpcache_put(o->kps, it->kp_id);
}

/* An item's keypoints (give them back with kp_put). */
static int kp_get(const struct grp_opts *o, const struct grp_item *it, const struct kp_set **ks,
    aderr *err)
{
	return cache_get(o, it, it->has_kp, ks, err);
}

static void kp_put(const struct grp_opts *o, const struct grp_item *it)
{
	cache_put(o, it, it->has_kp);
}

/* An item's details: its keypoint set however few keypoints it holds (a small icon's
 * has none), NULL when it has none (give them back with details_put). */
static int details_get(const struct grp_opts *o, const struct grp_item *it,
    const struct kp_set **ks, aderr *err)
{
	return cache_get(o, it, it->kp_cached, ks, err);
}

static void details_put(const struct grp_opts *o, const struct grp_item *it)
{
	cache_put(o, it, it->kp_cached);
}

/* Which of two items is matched first (negative: k): the one with an added frame, then
 * the one with more pixels, then by their checksums, then by name: what the pictures
 * are, not what they are called.  A pair is matched in the same direction whichever of
 * the two is the keeper, and however the files are named: matched the other way round,
 * the keypoints' matches, the transform and the details read through it come out a
 * little different, and at a limit the decision with them (a star field's caption copy
 * and its gamma copy, details 15 or 78 apart as their names ran); a collection renamed,
 * or copied under other names, has the same pairs taken and told apart.  (A letterbox
 * copy read onto its picture agrees to 5, the picture onto it to 28: the framed side
 * first.) */
static int match_order(const struct grp_item *k, const struct grp_item *j)
{
	int c;

	if (!k->framed != !j->framed)
		return k->framed ? -1 : 1;
	if (k->pixels != j->pixels)
		return k->pixels > j->pixels ? -1 : 1;
	c = k->has_sha256 && j->has_sha256 ? memcmp(k->sha256, j->sha256, sizeof k->sha256) : 0;
	return c != 0 ? c : strcmp(k->name, j->name);
}

/* Channel ch of an n x n grid of chs bytes a cell read at (x, y) (cell centres at whole
 * numbers, 0 .. n - 1), straight between the four cells around it. */
static inline __attribute__((always_inline)) double grid_read(const uint8_t *g, int n,
    int chs, int ch, double x, double y)
{
	int x0 = (int)x, y0 = (int)y, x1 = x0 < n - 1 ? x0 + 1 : x0, y1 = y0 < n - 1 ? y0 + 1 : y0;
	double fx = x - x0, fy = y - y0;

	return (1 - fy) * ((1 - fx) * g[(y0 * n + x0) * chs + ch] + fx * g[(y0 * n + x1) * chs + ch]) +
	    fy * ((1 - fx) * g[(y1 * n + x0) * chs + ch] + fx * g[(y1 * n + x1) * chs + ch]);
}

/* b's colour grid (4 x 4 cell means, row-major RGB) at the level-0 place (x, y) of a
 * picture w x h, read between the cell centres; channel ch. */
static double grid_at(const uint8_t *c, int w, int h, double x, double y, int ch)
{
	double gx = x * 4 / w - 0.5, gy = y * 4 / h - 0.5;

	gx = gx < 0 ? 0 : gx > 3 ? 3 : gx;
	gy = gy < 0 ? 0 : gy > 3 ? 3 : gy;
	return grid_read(c, 4, 3, ch, gx, gy);
}

/* 1 when the whole of cell (cx, cy) of a w x h picture's 4x4 grid lies inside the other
 * picture (ow x oh) on the transform z, give or take 3% of its sides. */
static int cell_inside(int w, int h, int cx, int cy, const double z[4], int ow, int oh)
{
	for (int k = 0; k < 4; k++) {
		double px = (double)(cx + (k & 1)) * w / 4, py = (double)(cy + (k >> 1)) * h / 4;
		double x = z[0] * px - z[1] * py + z[2], y = z[1] * px + z[0] * py + z[3];

		if (x < -0.03 * ow || y < -0.03 * oh || x > 1.03 * ow || y > 1.03 * oh)
			return 0;
	}
	return 1;
}

/* lround(v) for a v of 0 .. 2^31 (a level, a difference of levels), without its call: the
 * whole part by truncation, the fraction left exact, a half rounded up. */
static inline int round_level(double v)
{
	int t = (int)v;

	return t + (v - t >= 0.5);
}

/* The colour grids of a and b compared through the keypoints' transform z (a's level-0
 * places to b's; zb the other way): each cell of a that lies inside b against b's grid
 * read at its centre, between b's cell centres, where the cells read also lie inside a
 * (a border's or a letterbox's bands are not compared with the picture).  The largest
 * difference of a channel; *n counts the cells compared. */
static int warp_color(const uint8_t *ca, int aw, int ah, const uint8_t *cb, int bw, int bh,
    const double z[4], const double zb[4], int *n)
{
	int worst = -1;
	uint8_t inb[16];

	*n = 0;
	for (int c = 0; c < 16; c++)
		inb[c] = (uint8_t)cell_inside(bw, bh, c % 4, c / 4, zb, aw, ah);
	for (int cy = 0; cy < 4; cy++)
		for (int cx = 0; cx < 4; cx++) {
			double px = (cx + 0.5) * aw / 4, py = (cy + 0.5) * ah / 4;
			double x = z[0] * px - z[1] * py + z[2], y = z[1] * px + z[0] * py + z[3];
			double gx = x * 4 / bw - 0.5, gy = y * 4 / bh - 0.5;
			int x0, y0, x1, y1;

			if (!cell_inside(aw, ah, cx, cy, z, bw, bh))
				continue;
			gx = gx < 0 ? 0 : gx > 3 ? 3 : gx;
			gy = gy < 0 ? 0 : gy > 3 ? 3 : gy;
			x0 = (int)gx;
			y0 = (int)gy;
			x1 = x0 < 3 && gx > x0 ? x0 + 1 : x0;
			y1 = y0 < 3 && gy > y0 ? y0 + 1 : y0;
			if (!inb[y0 * 4 + x0] || !inb[y0 * 4 + x1] || !inb[y1 * 4 + x0] || !inb[y1 * 4 + x1])
				continue;
			for (int ch = 0; ch < 3; ch++) {
				int e = round_level(fabs(ca[(cy * 4 + cx) * 3 + ch] -
				    grid_at(cb, bw, bh, x, y, ch)));

				worst = e > worst ? e : worst;
			}
			(*n)++;
		}
	return worst;
}

#define DETAIL_BANDS 16

/* detail_diff's grids: the detail, the shape, the fine detail (keypoints.h) */
enum { DG_DETAIL, DG_SHAPE, DG_FINE };

/* The tone curve from a's levels to b's: for each of DETAIL_BANDS bands of a's levels,
 * the median of b's over the cells of it that in marks, made non-decreasing, or, for a
 * band with under 3 cells, what its neighbours say (straight between them; the nearest
 * at the ends); within GRP_TONE_REACH of the band's own level. */
static void tone_curve(const double *av, const double *bv, const uint8_t *in, int NN, double *v,
    double *c)
{
	static const int w = 256 / DETAIL_BANDS;
	int have[DETAIL_BANDS], cnt[DETAIL_BANDS] = {0}, at[DETAIL_BANDS + 1];

	/* b's levels grouped by a's band, in one pass (a counting sort) */
	for (int i = 0; i < NN; i++)
		if (in[i])
			cnt[(int)av[i] / w]++;
	at[0] = 0;
	for (int k = 0; k < DETAIL_BANDS; k++)
		at[k + 1] = at[k] + cnt[k];
	for (int i = 0; i < NN; i++)
		if (in[i])
			v[at[(int)av[i] / w + 1] - cnt[(int)av[i] / w]--] = bv[i];
	for (int k = 0; k < DETAIL_BANDS; k++) {
		int m = at[k + 1] - at[k];

		have[k] = m >= 3;
		if (have[k])
			c[k] = kth_double(v + at[k], m, m / 2);
	}
	{
		/* a change of tone keeps the order of levels (a gamma, a contrast, a gray
		 * copy): the bands' medians made non-decreasing, adjacent ones that fall
		 * pooled into their mean weighted by their cells (pool adjacent violators).
		 * Else the band of a caption's white letters over a dark sky takes the sky's
		 * level, and the stars of that band on both sides miss: make eval, four
		 * caption copies more found (a galaxy's 37 -> 4), no look-alike taken */
		double pv[DETAIL_BANDS], pw[DETAIL_BANDS];
		int pk[DETAIL_BANDS], np = 0;

		for (int k = 0; k < DETAIL_BANDS; k++) {
			if (!have[k])
				continue;
			pv[np] = c[k];
			pw[np] = at[k + 1] - at[k];
			pk[np++] = k;
			while (np > 1 && pv[np - 2] > pv[np - 1]) {
				pv[np - 2] = (pv[np - 2] * pw[np - 2] + pv[np - 1] * pw[np - 1]) /
				    (pw[np - 2] + pw[np - 1]);
				pw[np - 2] += pw[np - 1];
				np--;
			}
		}
		for (int q = 0, k = 0; q < np; q++) {
			int end = q + 1 < np ? pk[q + 1] : DETAIL_BANDS;

			for (; k < end; k++)
				if (have[k])
					c[k] = pv[q];
		}
	}
	for (int k = 0; k < DETAIL_BANDS; k++) {
		int lo = k, hi = k;

		if (have[k])
			continue;
		while (lo >= 0 && !have[lo])
			lo--;
		while (hi < DETAIL_BANDS && !have[hi])
			hi++;
		if (lo < 0 && hi >= DETAIL_BANDS)
			c[k] = (k + 0.5) * w;
		else if (lo < 0)
			c[k] = c[hi];
		else if (hi >= DETAIL_BANDS)
			c[k] = c[lo];
		else
			c[k] = c[lo] + (c[hi] - c[lo]) * (k - lo) / (hi - lo);
	}
	/* and no change of tone moves a level further than GRP_TONE_REACH: a band of a's
	 * levels that only a drawing of its own has (a red ribbon laid over a gray page)
	 * takes the median of what lies under it on b (the page's white), and a curve that
	 * followed it would explain the drawing away */
	for (int k = 0; k < DETAIL_BANDS; k++) {
		double m = (k + 0.5) * w;

		c[k] = fmin(fmax(c[k], m - GRP_TONE_REACH), m + GRP_TONE_REACH);
	}
}

/* The tone curve at level x. */
static double curve_at(const double *c, double x)
{
	static const double w = 256.0 / DETAIL_BANDS;
	double t = x / w - 0.5;
	int k = (int)floor(t);

	if (k < 0)
		return c[0];
	if (k >= DETAIL_BANDS - 1)
		return c[DETAIL_BANDS - 1];
	return c[k] + (c[k + 1] - c[k]) * (t - k);
}

/* The keypoints of a inside cells x0 .. x1, y0 .. y1 of its n x n grid (added to *na),
 * and those of b inside the box the transform z makes of them (to *nb). */
static void line_corners(const struct kp_set *ka, const struct kp_set *kb, const double z[4],
    int n, int x0, int x1, int y0, int y1, int *na, int *nb)
{
	double ax0 = (double)x0 * ka->w / n, ax1 = (double)(x1 + 1) * ka->w / n;
	double ay0 = (double)y0 * ka->h / n, ay1 = (double)(y1 + 1) * ka->h / n;
	double bx0 = INFINITY, bx1 = -INFINITY, by0 = INFINITY, by1 = -INFINITY;

	for (int c = 0; c < 4; c++) {
		double px = c & 1 ? ax1 : ax0, py = c & 2 ? ay1 : ay0;
		double x = z[0] * px - z[1] * py + z[2], y = z[1] * px + z[0] * py + z[3];

		bx0 = fmin(bx0, x), bx1 = fmax(bx1, x);
		by0 = fmin(by0, y), by1 = fmax(by1, y);
	}
	for (int i = 0; i < ka->n; i++)
		*na += ka->kp[i].x >= ax0 && ka->kp[i].x < ax1 && ka->kp[i].y >= ay0 &&
		    ka->kp[i].y < ay1;
	for (int i = 0; i < kb->n; i++)
		*nb += kb->kp[i].x >= bx0 && kb->kp[i].x < bx1 && kb->kp[i].y >= by0 &&
		    kb->kp[i].y < by1;
}

/* 1 when cell (cx, cy) of a's n x n grid lies in a's frame bands (ba, in 256ths of its
 * sides), or the place (gx, gy) it reads on b's grid in b's (bb), with a cell to spare:
 * a tan border's cells are not compared with a letterbox's black ones. */
static inline __attribute__((always_inline)) int in_bands(int cx, int cy, double gx,
    double gy, const uint8_t ba[4], const uint8_t bb[4], int n)
{
	return cy < ba[0] * n / 256 + 1 || cy >= n - 1 - ba[1] * n / 256 ||
	    cx < ba[2] * n / 256 + 1 || cx >= n - 1 - ba[3] * n / 256 ||
	    gy < bb[0] * n / 256.0 + 0.5 || gy > n - 1.5 - bb[1] * n / 256.0 ||
	    gx < bb[2] * n / 256.0 + 0.5 || gx > n - 1.5 - bb[3] * n / 256.0;
}

/* A grid g (n x n levels) averaged over boxes foot cells wide (1 to 2: a cell and
 * the share of its neighbours that a larger cell of another grid covers), into out;
 * tmp: n * n doubles. */
static void grid_soften(const uint8_t *g, int n, double foot, double *tmp, uint8_t *out)
{
	double e = (foot - 1) / 2;

	e = e < 0 ? 0 : e > 0.5 ? 0.5 : e;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int l = x > 0 ? x - 1 : x, r = x < n - 1 ? x + 1 : x;

			tmp[y * n + x] = (g[y * n + x] + e * (g[y * n + l] + g[y * n + r])) / (1 + 2 * e);
		}
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int u = y > 0 ? y - 1 : y, d = y < n - 1 ? y + 1 : y;

			out[y * n + x] = (uint8_t)round_level((tmp[y * n + x] + e * (tmp[u * n + x] +
			    tmp[d * n + x])) / (1 + 2 * e));
		}
}

/* The lesser and the greater of two ints. */
static inline int imin(int a, int b)
{
	return a < b ? a : b;
}

static inline int imax(int a, int b)
{
	return a > b ? a : b;
}

/* The root of x's set in a union-find forest (up[x] == x at a root), halving the path. */
static size_t uf_find(size_t *up, size_t x)
{
	while (up[x] != x) {
		up[x] = up[up[x]];
		x = up[x];
	}
	return x;
}

/* 1 when the 3 x 3 block around cell (cx, cy) of two n x n grids rises and falls
 * together on both sides (both vary, by 16 levels a cell in the mean, and correlate
 * over GRP_DETAIL_SHAPE): one shape at two amplitudes. */
static int together(const double *av, const double *bv, int n, int cx, int cy)
{
	double ma = 0, mb = 0, sa = 0, sb = 0, sab = 0;

	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			int k = (cy + dy) * n + cx + dx;

			ma += av[k];
			mb += bv[k];
		}
	ma /= 9;
	mb /= 9;
	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			int k = (cy + dy) * n + cx + dx;

			sa += (av[k] - ma) * (av[k] - ma);
			sb += (bv[k] - mb) * (bv[k] - mb);
			sab += (av[k] - ma) * (bv[k] - mb);
		}
	return sa > 16 * 9 && sb > 16 * 9 && sab > GRP_DETAIL_SHAPE * sqrt(sa * sb);
}

/* The share of a grid's cells compared (in) whose level lies within GRP_FINE_PAGE_TOL of
 * the commonest level: a page's paper, a plain ground. */
static double plain_share(const double *v, const uint8_t *in, int n)
{
	int hist[256] = { 0 }, mode = 0, m = 0, near = 0;

	for (int i = 0; i < n; i++)
		if (in[i]) {
			hist[round_level(!(v[i] > 0) ? 0 : v[i] > 255 ? 255 : v[i])]++;
			m++;
		}
	for (int l = 1; l < 256; l++)
		mode = hist[l] > hist[mode] ? l : mode;
	for (int l = imax(mode - GRP_FINE_PAGE_TOL, 0); l <= imin(mode + GRP_FINE_PAGE_TOL, 255); l++)
		near += hist[l];
	return m > 0 ? (double)near / m : 0;
}

/* 1 when the fine grids, away from their top and bottom eighths (where a caption's
 * letters are), hold fields filled otherwise (GRP_FINE_CELLS, GRP_FINE_PAGE_*): the
 * cells that miss by over GRP_FINE_CELL_MISS (res: each cell's excess, as detail_diff
 * reads it) where the 3 x 3 block around the cell lies inside both pictures, shows
 * something on both sides (a range of GRP_FINE_CELL_RANGE levels or more: not a plain
 * ground on one), and its two sides do not rise and fall together (GRP_DETAIL_SHAPE),
 * GRP_FINE_CELLS of them (GRP_FINE_CELLS_ALIGNED where the transform reads each cell
 * from its own place), some darker and some lighter than the curve makes a's (each
 * sign GRP_FINE_CELL_MIXED of them, and two at least); or, where both are pages
 * (plain_share GRP_FINE_PAGE), GRP_FINE_PAGE_CELLS of them whichever way; and in
 * GRP_FINE_PLACES places at least (GRP_FINE_GAP).  mark and stack: N * N each, scratch. */
static int fine_cells(const double *av, const double *bv, const double *lut, const double *res,
    const uint8_t *in, int N, int aligned, uint8_t *mark, int *stack)
{
	int pos = 0, neg = 0, places = 0;

	memset(mark, 0, (size_t)N * (size_t)N);
	for (int cy = N / 8; cy < N - N / 8; cy++)
		for (int cx = 1; cx < N - 1; cx++) {
			double alo = 255, ahi = 0, blo = 255, bhi = 0;
			int i = cy * N + cx, inside = 1;

			if (res[i] <= GRP_FINE_CELL_MISS)
				continue;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int k = (cy + dy) * N + cx + dx;

					/* (levels, never NaN nor -0: fmin's and fmax's answers,
					 * without their calls) */
					inside &= in[k];
					alo = av[k] < alo ? av[k] : alo;
					ahi = av[k] > ahi ? av[k] : ahi;
					blo = bv[k] < blo ? bv[k] : blo;
					bhi = bv[k] > bhi ? bv[k] : bhi;
				}
			if (!inside || ahi - alo < GRP_FINE_CELL_RANGE || bhi - blo < GRP_FINE_CELL_RANGE ||
			    together(av, bv, N, cx, cy))
				continue;
			if (bv[i] > lut[(int)av[i]])
				pos++;
			else
				neg++;
			mark[i] = 1;
		}
	/* the places they lie in: cells within GRP_FINE_GAP of each other are one (mark: 1
	 * a cell counted, 2 one reached) */
	for (int i = 0; i < N * N && places < GRP_FINE_PLACES; i++) {
		int top = 0;

		if (mark[i] != 1)
			continue;
		places++;
		mark[i] = 2;
		stack[top++] = i;
		while (top > 0) {
			int k = stack[--top], kx = k % N, ky = k / N;

			for (int y = imax(ky - GRP_FINE_GAP, 0); y <= imin(ky + GRP_FINE_GAP, N - 1); y++)
				for (int x = imax(kx - GRP_FINE_GAP, 0); x <= imin(kx + GRP_FINE_GAP, N - 1); x++)
					if (mark[y * N + x] == 1) {
						mark[y * N + x] = 2;
						stack[top++] = y * N + x;
					}
		}
	}
	if (places < GRP_FINE_PLACES)
		return 0;
	if (pos + neg >= (aligned ? GRP_FINE_CELLS_ALIGNED : GRP_FINE_CELLS) && imin(pos, neg) >= 2 &&
	    imin(pos, neg) >= GRP_FINE_CELL_MIXED * (pos + neg))
		return 1;
	return pos + neg >= GRP_FINE_PAGE_CELLS && plain_share(av, in, N * N) >= GRP_FINE_PAGE &&
	    plain_share(bv, in, N * N) >= GRP_FINE_PAGE;
}

/* The lines of text detail_diff passed over (DG_DETAIL): the first and last rows of a's
 * grid they span (-1 -1: none), which side their corners say carries them (1 a, 2 b, 0
 * neither: GRP_OVERLAY_*) and how many keypoints each side has in them. */
struct cap_line {
	int row[2];
	int by_corners;
	int corners[2];
};

/* What one picture shows and the other does not, in the part both show: a's detail
 * (KP_DETAIL x KP_DETAIL gray, keypoints.h; grid DG_DETAIL) against b's read through the
 * keypoints' transform z (a's level-0 places to b's), after the tone curve that fits
 * them best (a gamma, a contrast, a gray copy change the levels, not the layout:
 * tone_curve).  A cell's miss counts only beyond what a slight misplacement along an
 * edge of both pictures can make (GRP_DETAIL_SHIFT of the smaller of the two local
 * ranges, GRP_ALIGNED_SHIFT when the transform reads each cell from its own place:
 * GRP_ALIGNED_DEV) and twice the pair's median miss (JPEG, noise); the result is the
 * largest mean of the GRP_DETAIL_TOP largest excesses of a 3 x 3 block of cells whose
 * two sides do not rise and fall together (GRP_DETAIL_SHAPE), in gray levels: an emblem
 * on one folder and not on the other, a battery's level, the waves of a loudspeaker.
 * -1 when either has no detail or under a quarter of a's cells fall inside b, -3 when
 * out of memory.  Grid DG_FINE: the same of the fine details (KP_FINE a side), the
 * rows, cells and blocks the rules count scaled to the detail's, the blocks 3 x 3 of
 * the finer cells.  Grid DG_SHAPE: the same of the pictures' shapes (their alpha
 * channels over the whole pictures, keypoints.h), with no tone curve: a shape is where
 * the picture is, and no change of levels, of colours or of gray moves it; wa and wb
 * say where each keypoint view lies in its picture (grp_item's kpview), and no band of
 * a frame is left out (a transparent margin is part of the shape, and an added border
 * lies outside the other picture); -1 too when either is opaque.  *spread, when spread is
 * not NULL: how many of the blocks miss by over GRP_SPREAD_MISS.  The fine details are
 * read for that count alone (GRP_FINE_*): on DG_FINE the result is 0 and *overlay 0
 * (or -1, -3 as above), and the blocks and lines that cannot change the count are
 * passed over.  *cells_apart, when cells_apart is not NULL: fine_cells' verdict on the
 * cells as read (fields filled otherwise).  caption, when not NULL: on DG_DETAIL, the
 * lines of text passed over (struct cap_line); on DG_SHAPE, their rows, whose cells of a (and a row each side) are not compared where
 * they are few and the shapes miss there as a caption's strokes do (GRP_SHAPE_CAP_*). */
static int detail_diff(const struct kp_set *ka, const struct kp_set *kb, const double z[4],
    const uint8_t ba[4], const uint8_t bb[4], int grid, const uint16_t wa[4],
    const uint16_t wb[4], int *overlay, int *spread, int *cells_apart,
    struct cap_line *caption)
{
	static const uint16_t full[4] = { 0, 0, 65535, 65535 };
	const int shape = grid == DG_SHAPE, only_spread = grid == DG_FINE && spread != NULL;
	const uint8_t *ga = shape ? ka->alpha : grid == DG_FINE ? ka->fine : ka->detail;
	const uint8_t *gb = shape ? kb->alpha : grid == DG_FINE ? kb->fine : kb->detail;
	/* the grid's side, and its cells' side in cells of the detail's (the rules below
	 * count rows, cells and blocks at KP_DETAIL, and scale with it) */
	const int N = grid == DG_FINE ? KP_FINE : KP_DETAIL, NN = N * N, f = N / KP_DETAIL;
	/* the keypoints' places, and so z, are pixel centres (0 .. w - 1), a cell's
	 * middle a share of the whole side: half a pixel off and back on each side of z.
	 * It matters on every grid: a turn of a half or a flip top to bottom reads each
	 * cell a whole pixel off without it, a third of a cell of a 96-pixel glyph's
	 * detail, and a lossless turned copy's strokes miss by 40 to 100 */
	const double half = 0.5;
	double fa[2], fb[2], c16[DETAIL_BANDS], lut[256], colx[KP_FINE], rowy[KP_FINE];
	double *av, *bv, *bgx, *bgy, *res, *sorted, *tight;
	/* dev: how far from its own place, in cells, the farthest cell compared is read;
	 * tight: each cell's excess where it is read from its own place (GRP_ALIGNED_*) */
	double med, best = 0, dev = 0;
	int aligned;
	int *nz, *out, *stack, *cells;
	uint8_t *in, *seen, *soft;
	void *work;
	int n = 0, nspread, cap_n = 0;
	/* the shapes: a caption's rows to leave out (caption, GRP_SHAPE_CAP_*) */
	const int cap_rows = shape && caption != NULL && caption->row[0] >= 0 &&
	    caption->row[1] - caption->row[0] < GRP_SHAPE_CAP_ROWS;
	double cap_miss = 0;

	*overlay = 0;
	if (spread != NULL)
		*spread = 0;
	nspread = 0;
	if (caption != NULL && !shape)
		*caption = (struct cap_line){ { -1, -1 }, 0, { 0, 0 } };

	if (ga == NULL || gb == NULL || ka->w <= 0 || ka->h <= 0 || kb->w <= 0 || kb->h <= 0)
		return -1;
	/* the grids' working rows: 7 of doubles, 2 of (N + 1)^2 and 3 of N^2 ints, 3 of
	 * bytes (the fine grid's are too many for a thread's stack) */
	if ((work = malloc((size_t)NN * (7 * sizeof(double) + 3 * sizeof(int) + 3) +
	    2 * sizeof(int) * (size_t)(N + 1) * (size_t)(N + 1))) == NULL)
		return -3;
	av = work;
	bv = av + NN;
	bgx = bv + NN;
	bgy = bgx + NN;
	res = bgy + NN;
	sorted = res + NN;
	tight = sorted + NN;
	nz = (int *)(tight + NN);
	out = nz + (N + 1) * (N + 1);
	stack = out + (N + 1) * (N + 1);
	cells = stack + NN;
	in = (uint8_t *)(cells + NN);
	seen = in + NN;
	soft = seen + NN;
	memset(seen, 0, (size_t)NN);
	if (!shape)
		wa = wb = full;
	/* each view's sides as shares of its picture's */
	for (int k = 0; k < 2; k++) {
		fa[k] = (wa[k + 2] - wa[k]) / 65535.0;
		fb[k] = (wb[k + 2] - wb[k]) / 65535.0;
		fa[k] = fa[k] > 0 ? fa[k] : 1;
	}
	/* a's cells' middles, shares of its whole picture, in its view's pixels (a
	 * detail's view is its whole grid: full), a row's and a column's at a time */
	for (int c = 0; c < N; c++) {
		colx[c] = ((c + 0.5) / N - wa[0] / 65535.0) / fa[0] * ka->w - half;
		rowy[c] = ((c + 0.5) / N - wa[1] / 65535.0) / fa[1] * ka->h - half;
	}
	if (!shape) {
		/* how many of b's cells one of a's spans (along a row: the transform keeps
		 * shapes): where a's cells are the larger (a crop's, read on its original),
		 * b's are averaged over as much, and the other way round a's, so that a cell
		 * is read against the same share of the picture on both sides
		 * (GRP_DETAIL_FOOT) */
		double x0 = z[0] * colx[N / 2] - z[1] * rowy[N / 2] + z[2];
		double y0 = z[1] * colx[N / 2] + z[0] * rowy[N / 2] + z[3];
		double x1 = z[0] * colx[N / 2 + 1] - z[1] * rowy[N / 2] + z[2];
		double y1 = z[1] * colx[N / 2 + 1] + z[0] * rowy[N / 2] + z[3];
		double foot = hypot((x1 - x0) / kb->w * fb[0], (y1 - y0) / kb->h * fb[1]) * N;

		if (foot > GRP_DETAIL_FOOT) {
			grid_soften(gb, N, foot, sorted, soft);
			gb = soft;
		} else if (foot > 0 && 1 / foot > GRP_DETAIL_FOOT) {
			grid_soften(ga, N, 1 / foot, sorted, soft);
			ga = soft;
		}
	}
	for (int cy = 0; cy < N; cy++)
		for (int cx = 0; cx < N; cx++) {
			int i = cy * N + cx;
			/* a's cell through z to b's view, and to b's whole picture's grid */
			double px = colx[cx], py = rowy[cy];
			double x = z[0] * px - z[1] * py + z[2] + half;
			double y = z[1] * px + z[0] * py + z[3] + half;
			double gx = (wb[0] / 65535.0 + x / kb->w * fb[0]) * N - 0.5;
			double gy = (wb[1] / 65535.0 + y / kb->h * fb[1]) * N - 0.5;

			in[i] = 0;
			if (gx < 0.5 || gy < 0.5 || gx > N - 1.5 || gy > N - 1.5)
				continue;
			/* a caption's rows, on a's detail's grid (its view's): marked, and
			 * how its strokes miss summed */
			if (cap_rows && abs(2 * (int)floor((py + half) / ka->h * KP_DETAIL) -
			    caption->row[0] - caption->row[1]) <=
			    caption->row[1] - caption->row[0] + 2) {
				double miss = fabs(ga[i] - grid_read(gb, N, 1, 0, gx, gy));

				if (miss > GRP_SHAPE_CAP_CELL) {
					cap_miss += miss;
					cap_n++;
				}
				seen[i] = 1;
			}
			/* nor the bands of a frame either view keeps (a tan border's against a
			 * letterbox's black), with a cell to spare */
			if (!shape && in_bands(cx, cy, gx, gy, ba, bb, N))
				continue;
			bgx[i] = gx;
			bgy[i] = gy;
			{
				double ex = fabs(gx - cx), ey = fabs(gy - cy), e = ex > ey ? ex : ey;

				dev = e > dev ? e : dev;
			}
			bv[i] = grid_read(gb, N, 1, 0, gx, gy);
			av[i] = ga[i];
			in[i] = 1;
			n++;
		}
	/* the caption's rows left out where its strokes alone make the shapes miss there */
	if (cap_n > 0 && cap_miss <= GRP_SHAPE_CAP_STROKE * cap_n)
		for (int i = 0; i < NN; i++)
			if (seen[i] && in[i]) {
				in[i] = 0;
				n--;
			}
	memset(seen, 0, (size_t)NN);
	if (n < NN / 4) {
		free(work);
		return -1;
	}
	/* the tone curve: per band of a's levels, the median of b's (a gamma, a contrast
	 * that clips, a gray copy; the cells that differ are too few in a band to move its
	 * median), straight between the bands' middles */
	if (!shape)
		tone_curve(av, bv, in, NN, sorted, c16);
	/* a's levels are whole numbers: the curve at each, once */
	for (int v = 0; v < 256; v++)
		lut[v] = shape ? v : curve_at(c16, v);
	for (int i = 0, m = 0; i < NN; i++) {
		res[i] = 0;
		if (in[i]) {
			res[i] = fabs(bv[i] - lut[ga[i]]);
			sorted[m++] = res[i];
		}
	}
	med = kth_double(sorted, n, n / 2);
	/* what misplacement can make of a cell: none to speak of where the transform
	 * reads every cell from its own place on the other grid (GRP_ALIGNED_DEV) */
	aligned = !shape && dev <= GRP_ALIGNED_DEV * f;
	/* each cell's excess over what misplacement and noise explain */
	for (int cy = 0; cy < N; cy++)
		for (int cx = 0; cx < N; cx++) {
			int i = cy * N + cx;
			double alo = 255, ahi = 0, blo = 255, bhi = 0, range;
			int rbx = 0, rby = 0;

			tight[i] = 0;
			if (!in[i])
				continue;
			if (res[i] <= 2 * med) {
				/* within the noise whatever the edges: most cells */
				res[i] = 0;
				continue;
			}
			/* b's cell nearest the place a's is read at (shapes) */
			if (shape) {
				rbx = round_level(bgx[i]);
				rby = round_level(bgy[i]);
			}
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int y = cy + dy, x = cx + dx, k = y * N + x;

					if (shape) {
						/* a shape's edge is sharp, and where a's view or b's
						 * ends it may lie just past the cells compared: each
						 * grid's own neighbours around the place */
						int bx = rbx + dx, by = rby + dy;

						if (x >= 0 && y >= 0 && x < N && y < N) {
							alo = ga[k] < alo ? ga[k] : alo;
							ahi = ga[k] > ahi ? ga[k] : ahi;
						}
						if (bx >= 0 && by >= 0 && bx < N && by < N) {
							blo = gb[by * N + bx] < blo ? gb[by * N + bx] : blo;
							bhi = gb[by * N + bx] > bhi ? gb[by * N + bx] : bhi;
						}
						continue;
					}
					if (x < 0 || y < 0 || x >= N || y >= N || !in[k])
						continue;
					alo = av[k] < alo ? av[k] : alo;
					ahi = av[k] > ahi ? av[k] : ahi;
					blo = bv[k] < blo ? bv[k] : blo;
					bhi = bv[k] > bhi ? bv[k] : bhi;
				}
			/* a's range in b's levels (through the curve) */
			range = fabs(lut[(int)ahi] - lut[(int)alo]);
			range = range < bhi - blo ? range : bhi - blo;
			if (aligned) {
				double t = res[i] - range * GRP_ALIGNED_SHIFT - 2 * med;

				tight[i] = t > 0 ? t : 0;
			}
			res[i] -= range * (shape ? GRP_SHAPE_SHIFT : GRP_DETAIL_SHIFT) + 2 * med;
			res[i] = res[i] > 0 ? res[i] : 0;
		}
	/* a line of text laid over one copy (a caption, a watermark) is a copy's mark, not
	 * another picture: connected cells that miss (GRP_DETAIL_CELL) and make a band at
	 * most GRP_DETAIL_LINE cells high and wider than tall, in the top or the bottom
	 * GRP_DETAIL_BAND rows, count for nothing; and so do the words and letters of such
	 * a line that are no wider than tall on their own ("2h", "&", "a 1 b 2"): components
	 * of the bands whose rows meet (within a cell) and that lie within GRP_DETAIL_GAP
	 * cells of each other along them make one line, which counts for nothing where it
	 * is no taller than GRP_DETAIL_LINE, GRP_DETAIL_LONG times as wide as tall, and
	 * holds a word (a component wider than tall of GRP_DETAIL_WORD cells or more) or
	 * GRP_DETAIL_PARTS components.  A row of three dots an icon adds to show a state
	 * (two of them one component wider than tall, the third not) is no such line.  Not
	 * for shapes: at this grid a band of shape under a picture is as often an emblem of
	 * its theme (a network connector under a folder) as text, and a caption over clear
	 * ground only costs a pair of copies, where an emblem taken for one would cost a
	 * picture */
	{
		int nc, nline = 0, ka_line = 0, kb_line = 0, nvar = 0, ncap = 0, ncell = 0, room = 0;
		int two = 0;
		double va = 0, vb = 0;
		/* the bands' components no taller than a line: their cells (cells[start] on,
		 * n of them), boxes (x0, x1, y0, y1), and the line each is part of (up: a
		 * union-find forest, whose roots hold their line's box, whether it holds a
		 * word, how many components it has) */
		struct cap_comp {
			int start, n, box[4], own, line[4], word, parts, taken;
		} *cap = NULL;
		size_t *up = NULL;

		for (int i = 0; i < NN; i++) {
			int x0 = N, x1 = -1, y0 = N, y1 = -1, top = 0;
			struct cap_comp *c;

			if (seen[i] || !in[i] || res[i] <= GRP_DETAIL_CELL)
				continue;
			nc = 0;
			seen[i] = 1;
			stack[top++] = i;
			while (top > 0) {
				int k = stack[--top], kx = k % N, ky = k / N;

				cells[ncell + nc++] = k;
				x0 = kx < x0 ? kx : x0;
				x1 = kx > x1 ? kx : x1;
				y0 = ky < y0 ? ky : y0;
				y1 = ky > y1 ? ky : y1;
				for (int dy = -1; dy <= 1; dy++)
					for (int dx = -1; dx <= 1; dx++) {
						int x = kx + dx, y = ky + dy, q = y * N + x;

						if (x < 0 || y < 0 || x >= N || y >= N || seen[q] || !in[q] ||
						    res[q] <= GRP_DETAIL_CELL)
							continue;
						seen[q] = 1;
						stack[top++] = q;
					}
			}
			if (shape || y1 - y0 + 1 > GRP_DETAIL_LINE * f ||
			    (y0 < N - GRP_DETAIL_BAND * f && y1 >= GRP_DETAIL_BAND * f))
				continue;
			if (ncap == room) {
				size_t r = room ? 2 * (size_t)room : 64;
				void *p = realloc(cap, sizeof *cap * r), *u;

				cap = p != NULL ? p : cap;
				u = p != NULL ? realloc(up, sizeof *up * r) : NULL;
				if (u == NULL) {
					free(cap);
					free(up);
					free(work);
					return -3;
				}
				up = u;
				room = (int)r;
			}
			c = &cap[ncap];
			c->start = ncell;
			c->n = nc;
			c->box[0] = c->line[0] = x0;
			c->box[1] = c->line[1] = x1;
			c->box[2] = c->line[2] = y0;
			c->box[3] = c->line[3] = y1;
			c->own = 2 * (x1 - x0 + 1) >= 3 * (y1 - y0 + 1);
			c->word = c->own && nc >= GRP_DETAIL_WORD * f * f;
			up[ncap] = (size_t)ncap;
			ncap++;
			c->parts = 1;
			ncell += nc;
		}
		/* the lines: each component's root holds its line's box and counts (the
		 * components come in the order of their top rows: those past a's rows and the
		 * cell to spare meet none of them) */
		for (int a = 0; a < ncap; a++)
			for (int b = a + 1; b < ncap && cap[b].box[2] <= cap[a].box[3] + f; b++) {
				size_t ra, rb;

				if (cap[b].box[0] - cap[a].box[1] - 1 > GRP_DETAIL_GAP * f ||
				    cap[a].box[0] - cap[b].box[1] - 1 > GRP_DETAIL_GAP * f)
					continue;
				ra = uf_find(up, (size_t)a);
				rb = uf_find(up, (size_t)b);
				if (ra == rb)
					continue;
				up[rb] = ra;
				cap[ra].line[0] = imin(cap[ra].line[0], cap[rb].line[0]);
				cap[ra].line[1] = imax(cap[ra].line[1], cap[rb].line[1]);
				cap[ra].line[2] = imin(cap[ra].line[2], cap[rb].line[2]);
				cap[ra].line[3] = imax(cap[ra].line[3], cap[rb].line[3]);
				cap[ra].word |= cap[rb].word;
				cap[ra].parts += cap[rb].parts;
			}
		for (int b = 0; b < ncap; b++) {
			struct cap_comp *c = &cap[b];
			const struct cap_comp *r = &cap[uf_find(up, (size_t)b)];
			int lw, lh;

			lw = r->line[1] - r->line[0] + 1;
			lh = r->line[3] - r->line[2] + 1;
			c->taken = c->own || ((r->word || r->parts >= GRP_DETAIL_PARTS) &&
			    lh <= GRP_DETAIL_LINE * f && lw >= GRP_DETAIL_LONG * lh);
			if (!c->taken)
				continue;
			for (int k = 0; k < c->n; k++) {
				int q = cells[c->start + k];

				/* text is strokes: on a plain ground, the side that carries
				 * it varies from cell to cell along the line (a through the
				 * curve, in b's levels) */
				if (!only_spread && q % N + 1 < N && in[q + 1]) {
					va += fabs(lut[(int)av[q + 1]] - lut[(int)av[q]]);
					vb += fabs(bv[q + 1] - bv[q]);
					nvar++;
				}
			}
			nline += c->n;
			if (caption != NULL && !shape) {
				caption->row[0] = caption->row[0] < 0 || c->box[2] < caption->row[0] ?
				    c->box[2] : caption->row[0];
				caption->row[1] = c->box[3] > caption->row[1] ? c->box[3] :
				    caption->row[1];
			}
			/* and text is corners: on a textured one, the side that carries it
			 * has the keypoints there */
			if (!only_spread)
				line_corners(ka, kb, z, N, c->box[0], c->box[1], c->box[2], c->box[3],
				    &ka_line, &kb_line);
		}
		if (!only_spread && nline >= GRP_OVERLAY_CELLS * f * f) {
			int by_var = va > GRP_OVERLAY_RATIO * vb + GRP_OVERLAY_VAR * nvar ? 1 :
			    vb > GRP_OVERLAY_RATIO * va + GRP_OVERLAY_VAR * nvar ? 2 : 0;
			int by_kp = ka_line >= GRP_OVERLAY_RATIO * kb_line + GRP_OVERLAY_MIN ? 1 :
			    kb_line >= GRP_OVERLAY_RATIO * ka_line + GRP_OVERLAY_MIN ? 2 : 0;

			/* either says which, the other not the opposite */
			*overlay = by_var == 0 ? by_kp : by_kp == 0 || by_kp == by_var ? by_var : 0;
			/* neither, where both sides carry strokes and corners alike along the
			 * line: two texts in one place (a file type's icon and another's, two
			 * labels of one template), which no copy's mark makes: the line
			 * counts as it misses */
			two = by_var == 0 && by_kp == 0 && va >= GRP_TEXTS_VAR * nvar &&
			    vb >= GRP_TEXTS_VAR * nvar && imin(ka_line, kb_line) >= GRP_TEXTS_CORNERS;
			if (caption != NULL && !shape) {
				caption->by_corners = by_kp;
				caption->corners[0] = ka_line;
				caption->corners[1] = kb_line;
				if (two)
					caption->row[0] = caption->row[1] = -1;
			}
		}
		for (int b = 0; !two && b < ncap; b++) {
			const struct cap_comp *c = &cap[b];

			if (!c->taken)
				continue;
			for (int k = 0; k < c->n; k++)
				res[cells[c->start + k]] = 0;
			/* read tight, the strokes spill a little further: the component's
			 * box and a cell around it count for nothing */
			for (int y = c->box[2] - 1; aligned && y <= c->box[3] + 1; y++)
				for (int x = c->box[0] - 1; x <= c->box[1] + 1; x++)
					if (x >= 0 && y >= 0 && x < N && y < N)
						tight[y * N + x] = 0;
		}
		free(cap);
		free(up);
	}
	/* read as they lie, the pictures' misses are the tight ones: the lines of text
	 * were found on the usual room, where a diagonal stroke does not join a line to a
	 * letter above or below it */
	if (aligned)
		memcpy(res, tight, (size_t)NN * sizeof *res);
	if (cells_apart != NULL)
		*cells_apart = fine_cells(av, bv, lut, res, in, N, aligned, seen, stack);
	/* per block, how many of its cells miss and how many lie outside b: summed areas */
	for (int y = 0; y <= N; y++)
		for (int x = 0; x <= N; x++) {
			int i = (y - 1) * N + x - 1;

			if (x == 0 || y == 0) {
				nz[y * (N + 1) + x] = out[y * (N + 1) + x] = 0;
				continue;
			}
			nz[y * (N + 1) + x] = (res[i] > 0) + nz[(y - 1) * (N + 1) + x] +
			    nz[y * (N + 1) + x - 1] - nz[(y - 1) * (N + 1) + x - 1];
			out[y * (N + 1) + x] = !in[i] + out[(y - 1) * (N + 1) + x] +
			    out[y * (N + 1) + x - 1] - out[(y - 1) * (N + 1) + x - 1];
		}
	/* blocks away from the pictures' edges, where a turned copy's corners are filled */
	for (int cy = GRP_DETAIL_EDGE * f + 1; cy < N - 1 - GRP_DETAIL_EDGE * f; cy++)
		for (int cx = GRP_DETAIL_EDGE * f + 1; cx < N - 1 - GRP_DETAIL_EDGE * f; cx++) {
			/* the block's GRP_DETAIL_TOP largest misses: a line one cell wide (a
			 * mouth, a wave) counts as fully as a blot */
			double t[GRP_DETAIL_TOP] = {0}, sum = 0;
			int y0 = cy - 1, y1 = cy + 2, x0 = cx - 1, x1 = cx + 2, W = N + 1;

			/* a block with no miss, or with a cell outside b, is passed over at once */
			if (nz[y1 * W + x1] - nz[y0 * W + x1] - nz[y1 * W + x0] + nz[y0 * W + x0] == 0 ||
			    out[y1 * W + x1] - out[y0 * W + x1] - out[y1 * W + x0] + out[y0 * W + x0] > 0)
				continue;
			/* nor one whose nine misses together stay within what would count (its
			 * largest three do too) */
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++)
					sum += res[(cy + dy) * N + cx + dx];
			if ((only_spread || sum / GRP_DETAIL_TOP <= best) && (spread == NULL ||
			    sum / GRP_DETAIL_TOP <= GRP_SPREAD_MISS))
				continue;
			sum = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int k = (cy + dy) * N + cx + dx;
					double v = res[k];

					for (int q = 0; q < GRP_DETAIL_TOP; q++)
						if (v > t[q]) {
							double u = t[q];

							t[q] = v;
							v = u;
						}
				}
			for (int q = 0; q < GRP_DETAIL_TOP; q++)
				sum += t[q];
			if ((only_spread || sum / GRP_DETAIL_TOP <= best) && (spread == NULL ||
			    sum / GRP_DETAIL_TOP <= GRP_SPREAD_MISS))
				continue;
			/* the same shape at another amplitude (a star a contrast clipped, a level
			 * the tone curve could not fit for want of cells) */
			if (together(av, bv, N, cx, cy))
				continue;
			nspread += sum / GRP_DETAIL_TOP > GRP_SPREAD_MISS;
			best = sum / GRP_DETAIL_TOP > best ? sum / GRP_DETAIL_TOP : best;
		}
	if (spread != NULL)
		*spread = nspread;
	free(work);
	return only_spread ? 0 : (int)lround(best);
}

/* 1 when a colour grid (kp_chroma_of) is gray: no cell's chroma over GRP_CHROMA_GRAY. */
static int chroma_gray(const uint8_t *c)
{
	for (int i = 0; i < KP_CHROMA * KP_CHROMA; i++)
		if (abs(c[2 * i] - 128) + abs(c[2 * i + 1] - 128) > GRP_CHROMA_GRAY)
			return 0;
	return 1;
}

/* What misplacement explains of cell i's miss in chroma_diff (av: a's cells, bv: b's
 * read through the transform, in: the cells compared): GRP_DETAIL_SHIFT of the range of
 * its neighbours on the side that varies less, in each of the first ch channels. */
static double chroma_room(const double (*av)[3], const double (*bv)[3], const uint8_t *in,
    int i, int ch)
{
	enum { N = KP_CHROMA };
	double room = 0;

	for (int k = 0; k < ch; k++) {
		double alo = 255, ahi = 0, blo = 255, bhi = 0;

		for (int d = 0; d < 9; d++) {
			int y = i / N + d / 3 - 1, x = i % N + d % 3 - 1, q = y * N + x;

			if (x < 0 || y < 0 || x >= N || y >= N || !in[q])
				continue;
			alo = av[q][k] < alo ? av[q][k] : alo;
			ahi = av[q][k] > ahi ? av[q][k] : ahi;
			blo = bv[q][k] < blo ? bv[q][k] : blo;
			bhi = bv[q][k] > bhi ? bv[q][k] : bhi;
		}
		room += (ahi - alo < bhi - blo ? ahi - alo : bhi - blo) * GRP_DETAIL_SHIFT;
	}
	return room;
}

/* The worst 3 x 3 block of a colour grid's misses (all its cells compared): the average
 * of its GRP_DETAIL_TOP largest. */
static double chroma_blocks(const double *res, const uint8_t *in)
{
	enum { N = KP_CHROMA };
	double best = 0;

	for (int cy = 1; cy < N - 1; cy++)
		for (int cx = 1; cx < N - 1; cx++) {
			double t[GRP_DETAIL_TOP] = {0}, sum = 0;
			int all = 1;

			for (int k = 0; all && k < 9; k++) {
				int q = (cy + k / 3 - 1) * N + cx + k % 3 - 1;
				double v = res[q];

				all = in[q];
				for (int j = 0; j < GRP_DETAIL_TOP; j++)
					if (v > t[j]) {
						double u = t[j];

						t[j] = v;
						v = u;
					}
			}
			if (!all)
				continue;
			for (int j = 0; j < GRP_DETAIL_TOP; j++)
				sum += t[j];
			best = sum / GRP_DETAIL_TOP > best ? sum / GRP_DETAIL_TOP : best;
		}
	return best;
}

/* The tint two colour grids read one through the other differ by: the chroma alone
 * (levels left aside), b's scaled by the one factor that fits a's best (within
 * GRP_CHROMA_SCALE either way: a stronger contrast, a gamma, a paler copy), each cell's
 * miss less what misplacement explains; the worst block (chroma_blocks). */
static double chroma_tint(const double (*av)[3], const double (*bv)[3], const uint8_t *in)
{
	enum { NN = KP_CHROMA * KP_CHROMA };
	double sxy = 0, syy = 0, f, res[NN];

	for (int i = 0; i < NN; i++)
		for (int k = 0; in[i] && k < 2; k++) {
			sxy += (av[i][k] - 128) * (bv[i][k] - 128);
			syy += (bv[i][k] - 128) * (bv[i][k] - 128);
		}
	f = syy >= 1 ? sxy / syy : 1;
	f = f < 1 / GRP_CHROMA_SCALE ? 1 / GRP_CHROMA_SCALE : f > GRP_CHROMA_SCALE ?
	    GRP_CHROMA_SCALE : f;
	for (int i = 0; i < NN; i++) {
		res[i] = 0;
		/* where both sides show a colour (GRP_TINT_CHROMA): a caption in white or
		 * black over a colour, a shadow or a gray ground leaves a side without one */
		if (!in[i] || fabs(av[i][0] - 128) + fabs(av[i][1] - 128) <= GRP_TINT_CHROMA ||
		    fabs(bv[i][0] - 128) + fabs(bv[i][1] - 128) <= GRP_TINT_CHROMA)
			continue;
		for (int k = 0; k < 2; k++)
			res[i] += fabs(av[i][k] - 128 - f * (bv[i][k] - 128));
		res[i] -= chroma_room(av, bv, in, i, 2);
		res[i] = res[i] > 0 ? res[i] : 0;
	}
	return chroma_blocks(res, in);
}

/* How far two pictures read through the keypoints' transform z are from showing the
 * same colours and levels (a crop, a border, a turn or a re-encoding of one picture)
 * rather than one shape coloured or lit otherwise (a bottle, a box or a mug of one make
 * in another colour, on another ground): each cell of a's colour grid (keypoints.h) that
 * lies inside b (and outside either's frame bands) against b's grid read there, its
 * miss the two chroma channels' and the gray level's (the details, averaged to the colour
 * grid's cells) summed, with no tone curve; less twice the median miss up to
 * GRP_CHROMA_NOISE (a JPEG's or a blur's), and GRP_DETAIL_SHIFT of the range of its
 * neighbours on both sides in each channel (an edge a little misplaced).  The worst 3 x
 * 3 block's GRP_DETAIL_TOP largest misses averaged, or GRP_CHROMA_LEVEL times the median
 * gray miss if more (the whole picture a little lighter or darker: a product on another
 * shade of ground), or GRP_CHROMA_PURE times the miss between each side's most colourful
 * cell if more still.  -1 when a grid is missing or gray (a gray picture shows no colours
 * to tell it by) or under a quarter of a's cells lie inside b; past GRP_CHROMA_SAME, the
 * cheaper terms alone when they pass it.  The tint (chroma_tint) in *tint unless tint is
 * NULL, -1 with it. */
static int chroma_diff(const struct kp_set *ka, const struct kp_set *kb, const double z[4],
    const uint8_t ba[4], const uint8_t bb[4], int *tint)
{
	enum { N = KP_CHROMA, NN = KP_CHROMA * KP_CHROMA, S = KP_DETAIL / KP_CHROMA };
	const uint8_t *ca = ka->chroma, *cb = kb->chroma, *da = ka->detail, *db = kb->detail;
	double res[NN], sorted[NN], gray[NN], av[NN][3], bv[NN][3], med, best = 0;
	/* the box a's cells compared take on b's grid */
	double bx0 = N, bx1 = -1, by0 = N, by1 = -1;
	uint8_t in[NN];
	int n = 0;

	if (tint != NULL)
		*tint = -1;
	if (ca == NULL || cb == NULL || da == NULL || db == NULL || ka->w <= 0 || ka->h <= 0 ||
	    kb->w <= 0 || kb->h <= 0 || chroma_gray(ca) || chroma_gray(cb))
		return -1;
	for (int cy = 0; cy < N; cy++)
		for (int cx = 0; cx < N; cx++) {
			int i = cy * N + cx;
			/* (z takes pixel centres: half a pixel off and back on, as in
			 * detail_diff) */
			double px = (cx + 0.5) / N * ka->w - 0.5, py = (cy + 0.5) / N * ka->h - 0.5;
			double x = z[0] * px - z[1] * py + z[2] + 0.5;
			double y = z[1] * px + z[0] * py + z[3] + 0.5;
			/* b's place on its colour grid and on its detail's */
			double gx = x / kb->w * N - 0.5, gy = y / kb->h * N - 0.5;
			double hx = x / kb->w * KP_DETAIL - 0.5, hy = y / kb->h * KP_DETAIL - 0.5;

			in[i] = 0;
			if (gx < 0 || gy < 0 || gx > N - 1 || gy > N - 1)
				continue;
			if (in_bands(cx, cy, gx, gy, ba, bb, N))
				continue;
			hx = hx < 0 ? 0 : hx > KP_DETAIL - 1 ? KP_DETAIL - 1 : hx;
			hy = hy < 0 ? 0 : hy > KP_DETAIL - 1 ? KP_DETAIL - 1 : hy;
			av[i][0] = ca[2 * i];
			av[i][1] = ca[2 * i + 1];
			av[i][2] = 0;
			for (int k = 0; k < S * S; k++)
				av[i][2] += da[(S * cy + k / S) * KP_DETAIL + S * cx + k % S];
			av[i][2] /= S * S;
			/* (places inside the grid: fmin's and fmax's answers without their calls) */
			bx0 = gx < bx0 ? gx : bx0, bx1 = gx > bx1 ? gx : bx1;
			by0 = gy < by0 ? gy : by0, by1 = gy > by1 ? gy : by1;
			bv[i][0] = grid_read(cb, N, 2, 0, gx, gy);
			bv[i][1] = grid_read(cb, N, 2, 1, gx, gy);
			bv[i][2] = grid_read(db, KP_DETAIL, 1, 0, hx, hy);
			res[i] = 0;
			for (int k = 0; k < 3; k++)
				res[i] += fabs(av[i][k] - bv[i][k]);
			gray[n] = fabs(av[i][2] - bv[i][2]);
			sorted[n++] = res[i];
			in[i] = 1;
		}
	if (n < NN / 4)
		return -1;
	if (tint != NULL)
		*tint = (int)lround(chroma_tint(av, bv, in));
	/* the cheap terms first: past GRP_CHROMA_SAME the blocks would change nothing */
	best = GRP_CHROMA_LEVEL * kth_double(gray, n, n / 2);
	/* each side's most colourful cell, its pure colour (a shape's inside, where no edge
	 * moves it): a crop keeps it, another colouring of the shape does not.  Each side's
	 * own cells, b's those inside the box a's compared cells take on it: read between
	 * b's cells, where a crop's larger cells fall, a colour is mixed with its
	 * neighbours' and paler than the crop's */
	{
		int ia = -1;
		double ma = -1, mb = -1, pure, pb[2] = { 128, 128 };

		for (int i = 0; i < NN; i++) {
			double va;

			if (!in[i])
				continue;
			va = fabs(av[i][0] - 128) + fabs(av[i][1] - 128);
			if (va > ma) {
				ma = va;
				ia = i;
			}
		}
		for (int y = (int)ceil(by0); y <= (int)floor(by1); y++)
			for (int x = (int)ceil(bx0); x <= (int)floor(bx1); x++) {
				const uint8_t *c = cb + 2 * (y * N + x);
				double vb = abs(c[0] - 128) + abs(c[1] - 128);

				if (vb > mb) {
					mb = vb;
					pb[0] = c[0];
					pb[1] = c[1];
				}
			}
		pure = GRP_CHROMA_PURE * (fabs(av[ia][0] - pb[0]) + fabs(av[ia][1] - pb[1]));
		best = best > pure ? best : pure;
	}
	/* (rounded up: a miss past GRP_CHROMA_SAME stays past it, 20.5 is not 20) */
	if (best > GRP_CHROMA_SAME)
		return (int)ceil(best);
	med = kth_double(sorted, n, n / 2);
	med = med < GRP_CHROMA_NOISE ? med : GRP_CHROMA_NOISE;
	for (int i = 0; i < NN; i++) {
		if (!in[i] || res[i] <= 2 * med) {
			res[i] = 0;
			continue;
		}
		res[i] -= chroma_room(av, bv, in, i, 3) + 2 * med;
		res[i] = res[i] > 0 ? res[i] : 0;
	}
	med = chroma_blocks(res, in);
	return (int)ceil(best > med ? best : med);
}

/* 1 when a keypoint match repeats nothing in most of the pictures' middle cells that
 * hold keypoints (GRP_MID_MIN): whatever it shares lies around the middle. */
static int hollow(int mid, int mid_dead)
{
	return mid >= GRP_MID_MIN && 2 * mid_dead > mid;
}

/* 1 when only the test of repetition (GRP_REPEAT_*) can take a keypoint match: enough
 * inliers for it, spanning enough and inside, but too few, too few of the matches or
 * too small a span for the lenient and the strict tests. */
static int repeat_candidate(const struct kp_match *m, int strict)
{
	return m->inliers >= GRP_REPEAT_INLIERS && m->cover >= GRP_REPEAT_COVER &&
	    m->contain >= GRP_FRAMED_CONTAIN && !(m->inliers >= strict &&
	    m->inliers >= GRP_STRICT_RATIO * m->matches && m->cover >= GRP_LOCAL_COVER);
}

/* 1 when a keypoint match has a transform worth reading the pictures through (the
 * colour grids, the shared keypoints, the details): enough inliers that agree, or a
 * candidate for the test of repetition. */
static int transform_usable(const struct kp_match *m, int strict)
{
	return (m->inliers >= GRP_LOOSE_INLIERS && m->inliers >= GRP_STRICT_RATIO * m->matches) ||
	    repeat_candidate(m, strict);
}

/* 1 for the EXIF orientations that mirror (2, 4, 5, 7): the others only turn. */
static int mirrors(int orient)
{
	return orient == 2 || orient == 4 || orient == 5 || orient == 7;
}

/* The share of a's picture (its keypoint view less the bands of a frame it keeps, ba:
 * top, bottom, left, right in 256ths of the side) that the transform z puts inside b's
 * (the same, bb), on a 16 x 16 grid of samples. */
static double share_in(const struct kp_set *ka, const uint8_t ba[4], const struct kp_set *kb,
    const uint8_t bb[4], const double z[4])
{
	double ax0 = ba[2] * ka->w / 256.0, ax1 = ka->w - ba[3] * ka->w / 256.0;
	double ay0 = ba[0] * ka->h / 256.0, ay1 = ka->h - ba[1] * ka->h / 256.0;
	double bx0 = bb[2] * kb->w / 256.0, bx1 = kb->w - bb[3] * kb->w / 256.0;
	double by0 = bb[0] * kb->h / 256.0, by1 = kb->h - bb[1] * kb->h / 256.0;
	int in = 0;

	for (int gy = 0; gy < 16; gy++)
		for (int gx = 0; gx < 16; gx++) {
			double px = ax0 + (gx + 0.5) * (ax1 - ax0) / 16;
			double py = ay0 + (gy + 0.5) * (ay1 - ay0) / 16;
			double x = z[0] * px - z[1] * py + z[2], y = z[1] * px + z[0] * py + z[3];

			in += x >= bx0 && y >= by0 && x <= bx1 && y <= by1;
		}
	return in / 256.0;
}

/* The scale, in the pictures' own pixels, at which the smaller of a and b (by the area
 * its view takes in the other's on m's transform) appears in the larger: a picture's
 * pixels per keypoint-view unit are its pixels (less a frame) over its view's area.  0
 * when either picture's pixels are unknown. */
static double shown_scale(const struct grp_item *a, const struct grp_item *b,
    const struct kp_set *ka, const struct kp_set *kb, const struct kp_match *m)
{
	double va = (double)ka->w * ka->h, vb = (double)kb->w * kb->h, s;

	if (a->pixels <= 0 || b->pixels <= 0 || va <= 0 || vb <= 0 || m->scale <= 0)
		return 0;
	/* a's pixels to b's: the view scale, times b's pixels per unit over a's */
	s = m->scale * sqrt((double)b->pixels / vb) / sqrt((double)a->pixels / va);
	return m->scale * m->scale * va <= vb ? s : 1 / s;
}

/* How far the transform z turns a picture from the nearest quarter turn, in degrees. */
static double odd_turn(const double z[4])
{
	double turn = fmod(fabs(atan2(z[1], z[0])) * 180 / M_PI, 90);

	return turn > 45 ? 90 - turn : turn;
}

/* 1 when two pictures' fine details can be read cell for cell through the keypoints'
 * transform z: both have them, each side of both pictures (the keypoints' level 0)
 * spans GRP_FINE_SIDE pixels or more, and z maps a cell of a's grid onto about one of
 * b's (within GRP_FINE_SCALE) with its rows along rows or columns (within
 * GRP_FINE_TURN degrees).  Where a cell is read across two of the other grid's (a crop
 * seen larger, a copy turned by a few degrees), the reading blurs one side and not the
 * other, and a photo's texture misses all over. */
static int fine_comparable(const struct kp_set *ka, const struct kp_set *kb, const double z[4])
{
	double s2 = z[0] * z[0] + z[1] * z[1], g, turn;

	if (ka->fine == NULL || kb->fine == NULL || ka->w < GRP_FINE_SIDE ||
	    ka->h < GRP_FINE_SIDE || kb->w < GRP_FINE_SIDE || kb->h < GRP_FINE_SIDE)
		return 0;
	/* a cell's area mapped into b, over b's cell's */
	g = sqrt(s2 * ka->w * ka->h / ((double)kb->w * kb->h));
	turn = odd_turn(z);
	return fabs(g - 1) <= GRP_FINE_SCALE && turn <= GRP_FINE_TURN;
}

/* The fine grid g (KP_FINE a side) blurred by [1 2 1] / 4 across and down, in out. */
static void fine_blur(const uint8_t *g, uint8_t *out)
{
	int t[KP_FINE_BYTES];

	for (int y = 0; y < KP_FINE; y++)
		for (int x = 0; x < KP_FINE; x++) {
			const uint8_t *r = g + y * KP_FINE;
			int l = x > 0 ? x - 1 : x, h = x < KP_FINE - 1 ? x + 1 : x;

			t[y * KP_FINE + x] = r[l] + 2 * r[x] + r[h];
		}
	for (int y = 0; y < KP_FINE; y++)
		for (int x = 0; x < KP_FINE; x++) {
			int u = y > 0 ? y - 1 : y, d = y < KP_FINE - 1 ? y + 1 : y;

			out[y * KP_FINE + x] = (uint8_t)((t[u * KP_FINE + x] +
			    2 * t[y * KP_FINE + x] + t[d * KP_FINE + x] + 8) / 16);
		}
}

/* How sharp a fine grid is: the mean step between neighbouring cells, inside the bands
 * of a frame (bd, in 256ths of the sides: a letterbox's bars are edges of their own) and
 * away from the top and the bottom quarter (where a caption's letters are). */
static double fine_sharpness(const uint8_t *g, const uint8_t bd[4])
{
	int y0 = bd[0] * KP_FINE / 256, y1 = KP_FINE - bd[1] * KP_FINE / 256;
	int x0 = bd[2] * KP_FINE / 256, x1 = KP_FINE - bd[3] * KP_FINE / 256;
	int q = (y1 - y0) / 4;
	long sum = 0, n = 0;

	y0 += q;
	y1 -= q;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			const uint8_t *c = g + y * KP_FINE + x;

			if (x + 1 < x1) {
				sum += abs(c[1] - c[0]);
				n++;
			}
			if (y + 1 < y1) {
				sum += abs(c[KP_FINE] - c[0]);
				n++;
			}
		}
	return n > 0 ? (double)sum / n : 0;
}

/* The ink's loops over a page's cells are plain arithmetic over arrays: GCC's -O2 does
 * not vectorise loops whose count it does not know, so these ask for its cheap model
 * (a third of the time of a pair of pages). */
#if defined(__GNUC__) && !defined(__clang__)
#define INK_VECTOR __attribute__((optimize("tree-vectorize", "vect-cost-model=cheap")))
#else
#define INK_VECTOR
#endif

/* [1 2 1] / 4 across and down, once, over a w x h grid (edges clamped); tmp: w * h. */
INK_VECTOR static void ink_blur(float *g, float *tmp, int w, int h)
{
	for (int y = 0; y < h; y++) {
		const float *r = g + (size_t)y * (size_t)w;
		float *t = tmp + (size_t)y * (size_t)w;

		if (w == 1) {
			t[0] = r[0];
			continue;
		}
		t[0] = (3 * r[0] + r[1]) * 0.25f;
		for (int x = 1; x < w - 1; x++)
			t[x] = (r[x - 1] + 2 * r[x] + r[x + 1]) * 0.25f;
		t[w - 1] = (r[w - 2] + 3 * r[w - 1]) * 0.25f;
	}
	for (int y = 0; y < h; y++) {
		const float *u = tmp + (size_t)(y > 0 ? y - 1 : y) * (size_t)w;
		const float *m = tmp + (size_t)y * (size_t)w;
		const float *d = tmp + (size_t)(y + 1 < h ? y + 1 : y) * (size_t)w;
		float *r = g + (size_t)y * (size_t)w;

		for (int x = 0; x < w; x++)
			r[x] = (u[x] + 2 * m[x] + d[x]) * 0.25f;
	}
}

/* How sharp a grid is over the cells in both (in, 1 or 0): its steps between
 * neighbouring cells over its ink (a blur spreads the ink and keeps it, and its steps
 * shrink; the scale of the levels cancels). */
INK_VECTOR static double ink_sharpness(const float *g, const float *in, int w, int h)
{
	double step = 0, ink = 0;

	for (int y = 0; y + 1 < h; y++) {
		const float *r = g + (size_t)y * (size_t)w, *dn = r + w, *m = in + (size_t)y * (size_t)w;
		float s = 0, k = 0;

		for (int x = 0; x + 1 < w; x++) {
			float on = m[x] * m[x + 1] * m[x + w];

			s += on * (fabsf(r[x] - r[x + 1]) + fabsf(r[x] - dn[x]));
			k += on * r[x];
		}
		step += s;
		ink += k;
	}
	return ink > 0 ? step / ink : 0;
}

/* b's cells scaled to a's ink (least squares over the cells in both, in: 1 or 0), the
 * factor within [lo, hi]. */
INK_VECTOR static void ink_fit(const float *A, float *B, const float *in, size_t n, double lo,
    double hi)
{
	double ab = 0, bb = 0, k;
	size_t i = 0;

	while (i < n) {
		size_t e = n - i > 4096 ? i + 4096 : n;
		float sab = 0, sbb = 0;

		for (; i < e; i++) {
			sab += in[i] * A[i] * B[i];
			sbb += in[i] * B[i] * B[i];
		}
		ab += sab;
		bb += sbb;
	}
	k = bb > 0 ? ab / bb : 1;
	k = k < lo ? lo : k > hi ? hi : k;
	for (i = 0; i < n; i++)
		B[i] = (float)(B[i] * k);
}

/* 1 when a page's lines (g, w x h, w at most INK_SIDE: ink_size) run down its grid
 * rather than across: its column sums rise and fall more than its row sums (lines of
 * text and the paper between them; a page turned a quarter).  make eval's 475 pages,
 * forms, charts and screenshots with ink: every upright one across, every one turned a
 * quarter down, but for a chart of dots whose two sums are level; the 16,327 pairs of
 * pages compared over 400 invoices and their copies: each b turned a quarter down, each
 * other across. */
INK_VECTOR static int ink_down(const float *g, int w, int h)
{
	double rows = 0, cols = 0, sum = 0, prev = 0, col[INK_SIDE] = { 0 };

	for (int y = 0; y < h; y++) {
		const float *gr = g + (size_t)y * (size_t)w;
		double r = 0;

		/* the row's sum in order; the columns' each in its own order, apart (a loop
		 * the compiler can run eight columns at a time) */
		for (int x = 0; x < w; x++)
			r += gr[x];
		for (int x = 0; x < w; x++)
			col[x] += gr[x];
		rows += y > 0 ? fabs(r - prev) : 0;
		prev = r;
		sum += r;
	}
	for (int x = 1; x < w; x++)
		cols += fabs(col[x] - col[x - 1]);
	/* both over the same ink: the larger variation says where the lines lie */
	return sum > 0 && cols > rows;
}

/* 1 when two pages' ink (ink.h), a's read through the keypoints' transform z onto b's
 * grid, differ in the way two forms of one template filled otherwise do.  Both sides as
 * soft as the softer (the sharper blurred [1 2 1] until within GRP_INK_SOFTER of the
 * other, at most GRP_INK_BLURS times: a blurred copy keeps the shapes, not the edges),
 * blurred once more, and b's ink scaled to a's (a lighter print); a cell misses where
 * neither side finds the other's level within GRP_INK_CELL of the range in the cells
 * around it (a misplacement of a cell explains no miss).  A mark taller than a line of
 * text (GRP_INK_TALL of the height: a caption's letters, a stamp) counts for nothing,
 * nor does what lies in its rows (GRP_INK_BAND_PAD about them: the text its fill
 * covers); across the lines where b's page is turned a quarter (ink_down: its width,
 * its columns).  GRP_INK_CELLS missing cells or more, GRP_INK_EDGE inside the part both show
 * and outside the bands of a frame either view keeps (ba, bb: top, bottom, left, right,
 * in 256ths), in GRP_INK_PLACES places (within GRP_INK_GAP cells one place) are two
 * pages.  A copy turned by a few degrees is read between the other's cells and is
 * compared all the same (a page's strokes, blurred as soft, miss nowhere).  *cells: the
 * missing cells counted.  0 or 1; -1 when not compared (either has no ink, or under a
 * quarter of b's grid lies in a's), -3 when out of memory. */
static int ink_apart(const struct kp_set *ka, const struct kp_set *kb, const double z[4],
    const uint8_t ba[4], const uint8_t bb[4], int *cells)
{
	uint8_t *ga, *gb, *pa;
	const uint8_t *ca, *cb;
	float *A, *B, *T, *in;
	int *stack;
	int wa, ha, wb, hb, n = 0, apart = 0, places = 0, ty0 = INT32_MAX, ty1 = -1, down, side;
	int kept = 0;           /* some marks kept (T 4), to be counted again */
	double s2 = z[0] * z[0] + z[1] * z[1], w0, w1, sa, sb;
	const float thr = (float)(GRP_INK_CELL * (INK_LEVELS - 1));
	size_t N;

	*cells = 0;
	if (ka->ink == NULL || kb->ink == NULL || ka->w <= 0 || ka->h <= 0 || kb->w <= 0 ||
	    kb->h <= 0 || s2 <= 0)
		return -1;
	if ((ga = malloc(2 * (size_t)INK_SIDE * INK_SIDE + (size_t)(INK_SIDE + 1) * (INK_SIDE + 1))) ==
	    NULL)
		return -3;
	gb = ga + (size_t)INK_SIDE * INK_SIDE;
	pa = gb + (size_t)INK_SIDE * INK_SIDE;
	/* each side's cells as its holder unpacked them (ink_cells), or unpacked here */
	ca = ka->ink_cells;
	cb = kb->ink_cells;
	wa = ka->ink_w;
	ha = ka->ink_h;
	wb = kb->ink_w;
	hb = kb->ink_h;
	if ((ca == NULL && ink_unpack(ka->ink, ka->inklen, ga, &wa, &ha) < 0) ||
	    (cb == NULL && ink_unpack(kb->ink, kb->inklen, gb, &wb, &hb) < 0)) {
		free(ga);
		return -1;
	}
	ca = ca != NULL ? ca : ga;
	cb = cb != NULL ? cb : gb;
	/* a's grid with its last column and row once more */
	for (int y = 0; y <= ha; y++) {
		const uint8_t *r = ca + (size_t)(y < ha ? y : ha - 1) * (size_t)wa;
		uint8_t *o = pa + (size_t)y * (size_t)(wa + 1);

		memcpy(o, r, (size_t)wa);
		o[wa] = r[wa - 1];
	}
	N = (size_t)wb * (size_t)hb;
	if ((A = malloc(N * (4 * sizeof(float) + sizeof(int)))) == NULL) {
		free(ga);
		return -3;
	}
	B = A + N;
	T = B + N;
	in = T + N;
	stack = (int *)(in + N);
	/* b's cells back through the transform to a's picture, read there between a's
	 * cells (a's grid place is affine in b's cell); where a has none, b's own (no edge
	 * made where the part both show ends) */
	w0 = z[0] / s2;
	w1 = -z[1] / s2;
	{
		/* a's grid place of b's cell (cx, cy): g = g0 + cx * gx_dx + cy * gx_dy */
		double sxb = (double)kb->w / wb, syb = (double)kb->h / hb;
		double fa = (double)wa / ka->w, fh = (double)ha / ka->h;
		double bx0 = 0.5 * sxb - 0.5 - z[2], by0 = 0.5 * syb - 0.5 - z[3];
		double gx0 = ((w0 * bx0 - w1 * by0) + 0.5) * fa - 0.5;
		double gy0 = ((w1 * bx0 + w0 * by0) + 0.5) * fh - 0.5;
		double gxx = w0 * sxb * fa, gxy = -w1 * syb * fa, gyx = w1 * sxb * fh, gyy = w0 * syb * fh;
		double lo_y = ba[0] * ha / 256.0 + 1, hi_y = ha - ba[1] * ha / 256.0 - 1;
		double lo_x = ba[2] * wa / 256.0 + 1, hi_x = wa - ba[3] * wa / 256.0 - 1;
		int blo_y = bb[0] * hb / 256 + 1, bhi_y = hb - bb[1] * hb / 256 - 1;
		int blo_x = bb[2] * wb / 256 + 1, bhi_x = wb - bb[3] * wb / 256 - 1;

		for (int cy = 0; cy < hb; cy++) {
			float *ar = A + (size_t)cy * (size_t)wb, *mr = in + (size_t)cy * (size_t)wb;
			const uint8_t *br = cb + (size_t)cy * (size_t)wb;
			double rx = gx0 + cy * gxy, ry = gy0 + cy * gyy;
			/* the cells of the row inside a's grid and outside both frames' bands:
			 * an interval of cx, each bound of gx and gy linear in it */
			double lo = blo_x, hi = bhi_x - 1;

			for (int cx = 0; cx < wb; cx++) {
				ar[cx] = B[(size_t)cy * (size_t)wb + (size_t)cx] = br[cx];
				mr[cx] = 0;
			}
			if (cy < blo_y || cy >= bhi_y)
				continue;
			for (int k = 0; k < 2; k++) {
				/* v = base + slope * cx within [low, high) */
				double base = k == 0 ? rx : ry, slope = k == 0 ? gxx : gyx;
				double low = k == 0 ? fmax(0, lo_x) : fmax(0, lo_y);
				double high = k == 0 ? fmin(wa - 1, hi_x) : fmin(ha - 1, hi_y);

				if (slope > 1e-12) {
					lo = fmax(lo, ceil((low - base) / slope));
					hi = fmin(hi, ceil((high - base) / slope) - 1);
				} else if (slope < -1e-12) {
					lo = fmax(lo, floor((high - base) / slope) + 1);
					hi = fmin(hi, floor((low - base) / slope));
				} else if (base < low || base >= high) {
					hi = lo - 1;
				}
			}
			if (lo > hi)
				continue;
			{
				/* a's place in 65536ths of a cell, one step a cell of b (the padded
				 * grid: a cell's right and lower neighbours always there) */
				double ux = ka->ink_mirror ? wa - 1 - (rx + lo * gxx) : rx + lo * gxx;
				int64_t X = (int64_t)llround(ux * 65536), Y = (int64_t)llround((ry + lo * gyx) * 65536);
				int64_t DX = (int64_t)llround((ka->ink_mirror ? -gxx : gxx) * 65536);
				int64_t DY = (int64_t)llround(gyx * 65536);

				for (int cx = (int)lo; cx <= (int)hi; cx++, X += DX, Y += DY) {
					int x = (int)(X >> 16), y = (int)(Y >> 16);
					int fx = (int)(X >> 8 & 255), fy = (int)(Y >> 8 & 255), top, bottom;
					const uint8_t *r0;

					if (X < 0 || Y < 0 || x >= wa || y >= ha)
						continue;
					r0 = pa + (size_t)y * (size_t)(wa + 1) + (size_t)x;
					top = r0[0] * (256 - fx) + r0[1] * fx;
					bottom = r0[wa + 1] * (256 - fx) + r0[wa + 2] * fx;
					ar[cx] = (float)(top * (256 - fy) + bottom * fy) * (1.0f / 65536);
					mr[cx] = 1;
					n++;
				}
			}
		}
	}
	free(ga);
	if ((size_t)n < N / 4) {
		free(A);
		return -1;
	}
	/* as soft as the softer, once more, and on one scale */
	sa = ink_sharpness(A, in, wb, hb);
	sb = ink_sharpness(B, in, wb, hb);
	for (int pass = 0; pass < GRP_INK_BLURS && fmax(sa, sb) > GRP_INK_SOFTER * fmin(sa, sb);
	    pass++) {
		if (sa > sb) {
			ink_blur(A, T, wb, hb);
			sa = ink_sharpness(A, in, wb, hb);
		} else {
			ink_blur(B, T, wb, hb);
			sb = ink_sharpness(B, in, wb, hb);
		}
	}
	ink_blur(A, T, wb, hb);
	ink_blur(B, T, wb, hb);
	ink_fit(A, B, in, N, 0.5, 2);
	down = ink_down(B, wb, hb);
	/* each cell's miss, the other side looked for within a cell (T: 1 where it
	 * misses); most cells are paper on both sides, and a cell that misses by no more
	 * than the threshold as it lies misses no more around */
	for (int cy = 0; cy < hb; cy++)
		for (int cx = 0; cx < wb; cx++) {
			size_t i = (size_t)cy * (size_t)wb + (size_t)cx;
			float da = 1e9f, db = 1e9f, d;
			int deep = 1;

			T[i] = 0;
			d = A[i] - B[i];
			if (in[i] == 0 || (d <= thr && d >= -thr))
				continue;
			/* GRP_INK_EDGE inside the part both show */
			for (int dy = -GRP_INK_EDGE; deep && dy <= GRP_INK_EDGE; dy++)
				for (int dx = -GRP_INK_EDGE; deep && dx <= GRP_INK_EDGE; dx++) {
					int x = cx + dx, y = cy + dy;

					deep = x >= 0 && y >= 0 && x < wb && y < hb &&
					    in[(size_t)y * (size_t)wb + (size_t)x] != 0;
				}
			if (!deep)
				continue;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					size_t q = (size_t)((ptrdiff_t)i + (ptrdiff_t)dy * wb + dx);
					float e = A[i] - B[q], f = B[i] - A[q];

					e = e < 0 ? -e : e;
					f = f < 0 ? -f : f;
					da = e < da ? e : da;
					db = f < db ? f : db;
				}
			if (da > thr || db > thr) {
				T[i] = 1;
				(*cells)++;
			}
		}
	/* the marks taller than a line of text (T: 3 reached, 4 kept), across the lines
	 * as b's page runs (a page turned a quarter runs down its grid: its lines are
	 * columns, each "taller" than a line, and were all left out) */
	side = down ? wb : hb;
	for (size_t i = 0; i < N && *cells > 0; i++) {
		size_t head = 0, tail = 0;
		int top = INT32_MAX, bottom = -1, tall;

		if (T[i] != 1)
			continue;
		T[i] = 3;
		stack[tail++] = (int)i;
		while (head < tail) {
			int q = stack[head++], qx = q % wb, qy = q / wb, across = down ? qx : qy;

			top = across < top ? across : top;
			bottom = across > bottom ? across : bottom;
			for (int y = qy - 1; y <= qy + 1; y++)
				for (int x = qx - 1; x <= qx + 1; x++) {
					size_t r = (size_t)y * (size_t)wb + (size_t)x;

					if (x < 0 || y < 0 || x >= wb || y >= hb || T[r] != 1)
						continue;
					T[r] = 3;
					stack[tail++] = (int)r;
				}
		}
		tall = bottom - top + 1 > GRP_INK_TALL * side;
		kept |= !tall;
		for (size_t k = 0; k < tail; k++)
			T[stack[k]] = tall ? 0 : 4;
		if (tall) {
			*cells -= (int)tail;
			ty0 = top < ty0 ? top : ty0;
			ty1 = bottom > ty1 ? bottom : ty1;
		}
	}
	for (size_t i = 0; i < N && kept; i++)
		T[i] = T[i] == 4 ? 1 : T[i];
	/* and what lies in their lines (rows, or columns down a turned page) */
	if (ty1 >= 0) {
		int pad = (int)ceil(GRP_INK_BAND_PAD * side);

		for (int y = 0; y < hb; y++)
			for (int x = 0; x < wb; x++) {
				int across = down ? x : y;

				if (across >= ty0 - pad && across <= ty1 + pad &&
				    T[(size_t)y * (size_t)wb + (size_t)x] == 1) {
					T[(size_t)y * (size_t)wb + (size_t)x] = 0;
					(*cells)--;
				}
			}
	}
	/* the places they lie in (T: 1 a cell that misses, 2 one reached) */
	for (size_t i = 0; i < N && *cells >= GRP_INK_CELLS && places < GRP_INK_PLACES; i++) {
		int top = 0;

		if (T[i] != 1)
			continue;
		places++;
		T[i] = 2;
		stack[top++] = (int)i;
		while (top > 0) {
			int q = stack[--top], qx = q % wb, qy = q / wb;

			for (int y = qy - GRP_INK_GAP; y <= qy + GRP_INK_GAP; y++)
				for (int x = qx - GRP_INK_GAP; x <= qx + GRP_INK_GAP; x++) {
					size_t r = (size_t)y * (size_t)wb + (size_t)x;

					if (x < 0 || y < 0 || x >= wb || y >= hb || T[r] != 1)
						continue;
					T[r] = 2;
					stack[top++] = (int)r;
				}
		}
	}
	apart = *cells >= GRP_INK_CELLS && places >= GRP_INK_PLACES;
	free(A);
	return apart;
}

/* How many blocks of the fine details miss (detail_diff on DG_FINE, *fs), or, for a
 * blurred copy, as many as its original blurred as well misses (GRP_FINE_SHARPER,
 * GRP_FINE_BLURRED); *cells: 1 when the fine cells in the middle miss (fine_cells,
 * GRP_FINE_CELLS), read so too.  0, or -1 when out of memory. */
static int fine_spread(const struct kp_set *ka, const struct kp_set *kb, const double z[4],
    const uint8_t ba[4], const uint8_t bb[4], int *fs, int *cells)
{
	uint8_t blurred[KP_FINE_BYTES];
	double sa, sb, lo, hi;
	int o, n, c, blocks;
	const struct kp_set *sharp;
	struct kp_set v;

	if (detail_diff(ka, kb, z, ba, bb, DG_FINE, NULL, NULL, &o, fs, cells, NULL) == -3)
		return -1;
	if (*fs <= GRP_FINE_SPREAD && !*cells)
		return 0;
	sa = fine_sharpness(ka->fine, ba);
	sb = fine_sharpness(kb->fine, bb);
	sharp = sa > sb ? ka : kb;
	lo = sa > sb ? sb : sa;
	hi = sa > sb ? sa : sb;
	/* the blocks are read again for a copy blurred GRP_FINE_SHARPER, the cells for one
	 * blurred less (GRP_FINE_CELLS_SHARPER: a blur of a pixel and a half trips them
	 * where it misses in too few blocks to count) */
	if (hi < GRP_FINE_CELLS_SHARPER * lo || (hi < GRP_FINE_SHARPER * lo && !*cells))
		return 0;
	v = *sharp;
	fine_blur(sharp->fine, blurred);
	v.fine = blurred;
	/* the blocks, where the blurred side shows no sharper line than the sharp one
	 * blurred: no curve, no dots of its own (a lighter blur than fine_blur's may be
	 * sharper than that, and the cells are read again all the same: what another
	 * picture shows, it still shows blurred) */
	blocks = hi >= GRP_FINE_SHARPER * lo &&
	    fine_sharpness(blurred, sharp == ka ? ba : bb) >= GRP_FINE_BLURRED * lo;
	if (!blocks && !*cells)
		return 0;
	if (detail_diff(sharp == ka ? &v : ka, sharp == kb ? &v : kb, z, ba, bb, DG_FINE, NULL,
	    NULL, &o, &n, &c, NULL) == -3)
		return -1;
	if (blocks)
		*fs = n < *fs ? n : *fs;
	*cells = *cells && c;
	return 0;
}

/* The keypoint match of k and j (in match_order's order); mirror: of the first's
 * picture mirrored left-right (kp_mirror) with the second's, for a pair whose hashes
 * matched through a mirror (any mirror is a left-right one and a turn, which the
 * similarity transforms take).  The transform and the colour grids are then those of the
 * mirrored picture; m's a_in and b_in are k's share and j's.  known: the match of this
 * pair and mirror as an earlier call left it in m, or NULL. */
static int local_match(const struct grp_item *k, const struct grp_item *j,
    const struct grp_opts *o, int mirror, const struct kp_match *known, struct kp_match *m,
    double *frame, int *wcol, int chroma[2], int *ddiff, int *sdiff, double *shown,
    int *overlay, int *spread, aderr *err)
{
	/* ddiff NULL: no details compared (the passes); else *ddiff is set (the detail pass),
	 * -1 where the keypoints gave no transform to read them through, *sdiff the same for
	 * the shapes (-1 too when either picture is opaque), and *shown: at what
	 * scale, in the pictures' own pixels, the smaller picture appears in the larger on the
	 * transform (1 for a crop, 0.5 for an icon a document shows at half size; 0 when a
	 * picture's size is unknown), and *overlay: 1 when k carries a line of text over the
	 * picture that j does not (a caption, a watermark), 2 the other way, else 0, and
	 * *spread: 1 when the details miss in more blocks than a copy's do
	 * (GRP_SPREAD_*), 2 when the fine details do (GRP_FINE_*), 3 when two pages' ink
	 * does (GRP_INK_*) */
	const struct grp_item *a = k, *b = j;
	const struct kp_set *ka, *kb;
	struct kp_set mk = {0}, va, vb;
	uint8_t mcolor[48];
	const uint8_t *acolor;
	int c = match_order(k, j), rc;

	*wcol = -1;
	if (ddiff != NULL) {
		*ddiff = -1;
		*sdiff = -1;
		*shown = 0;
		*overlay = 0;
		*spread = 0;
	}
	*frame = 1;
	if (c > 0 || (c == 0 && k > j)) {
		a = j;
		b = k;
	}
	if ((rc = kp_get(o, a, &ka, err)) < 0)
		return rc;
	if ((rc = kp_get(o, b, &kb, err)) < 0) {
		kp_put(o, a);
		return rc;
	}
	acolor = a->color;
	if (mirror) {
		if ((rc = kp_mirror(ka, &mk)) < 0) {
			kp_put(o, a);
			kp_put(o, b);
			return aderr_set(err, rc, "out of memory mirroring keypoints");
		}
		kp_put(o, a);
		ka = &mk;
		if (acolor != NULL) {
			for (int r = 0; r < 4; r++)
				for (int cc = 0; cc < 4; cc++)
					memcpy(mcolor + 3 * (4 * r + cc), acolor + 3 * (4 * r + 3 - cc), 3);
			acolor = mcolor;
		}
	}
	/* past GRP_KP_BASE keypoints a side brings no more than the other has: where one
	 * picture has few (a product on a plain ground), the other's weaker keypoints only
	 * give those few more chances to find a partner by chance (two lamps of one colour
	 * and other shapes); where both have many (a crop and its photo), the weaker ones
	 * find the part both show */
	{
		int kn = ka->n < kb->n ? ka->n : kb->n;

		kn = kn > GRP_KP_BASE ? kn : GRP_KP_BASE;
		ka = kp_strongest(ka, kn, &va);
		kb = kp_strongest(kb, kn, &vb);
	}
	/* known: what kp_match and kp_shared made of this very pair and mirror before (the
	 * memo of the pairs taken, kpmemo): they give the same again */
	if (known != NULL) {
		*m = *known;
		rc = 0;
	} else {
		rc = kp_match(ka, kb, m);
	}
	/* for the framed rule (local_ok), when only it can take the pair: the keypoints of
	 * the part both pictures show, and the colour grids read through the transform, both
	 * ways (each side's cells that fall inside the other) */
	*wcol = -1;
	chroma[0] = chroma[1] = -1;
	if (rc == 0 && transform_usable(m, strict_inliers(a, b))) {
		double s2 = m->z[0] * m->z[0] + m->z[1] * m->z[1], w[4];
		int w1, w2, n1, n2;
		/* a's bands as its mirror has them */
		uint8_t ba[4] = { a->kpband[0], a->kpband[1], a->kpband[mirror ? 3 : 2],
			a->kpband[mirror ? 2 : 3] };

		w[0] = m->z[0] / s2;
		w[1] = -m->z[1] / s2;
		w[2] = -(w[0] * m->z[2] - w[1] * m->z[3]);
		w[3] = -(w[1] * m->z[2] + w[0] * m->z[3]);
		if (acolor != NULL && b->color != NULL) {
			w1 = warp_color(acolor, ka->w, ka->h, b->color, kb->w, kb->h, m->z, w, &n1);
			w2 = warp_color(b->color, kb->w, kb->h, acolor, ka->w, ka->h, w, m->z, &n2);
			/* at least a quarter of a grid compared */
			if (n1 + n2 >= GRP_FRAMED_CELLS)
				*wcol = w1 > w2 ? w1 : w2;
		}
		/* the tint for the detail pass alone */
		chroma[0] = chroma_diff(ka, kb, m->z, ba, b->kpband, ddiff != NULL ? &chroma[1] : NULL);
		if (known == NULL)
			kp_shared_top(ka, kb, GRP_KP_BASE, m);
		/* the shares of the pictures themselves, an added frame's bands left out (a
		 * bordered copy shows no more than the photo) */
		m->a_in = share_in(ka, ba, kb, b->kpband, m->z);
		m->b_in = share_in(kb, b->kpband, ka, ba, w);
		if (ddiff != NULL) {
			int none;
			struct cap_line caption;

			/* a's view as its mirror has it */
			uint16_t wa[4] = { mirror ? 65535 - a->kpview[2] : a->kpview[0], a->kpview[1],
				mirror ? 65535 - a->kpview[0] : a->kpview[2], a->kpview[3] };

			int nspread;
			const double *z = m->z;

			*ddiff = detail_diff(ka, kb, z, ba, b->kpband, DG_DETAIL, NULL, NULL,
			    overlay, &nspread, NULL, &caption);
			/* and through the plain scaling of one view onto the other, where it
			 * explains nearly as many matches (GRP_PLAIN_SHARE): the closer of the
			 * two readings */
			if (m->plain_in >= 0 && m->plain_in >= GRP_PLAIN_SHARE * m->inliers &&
			    memcmp(m->plain, m->z, sizeof m->z) != 0 && *ddiff != -3) {
				int ov2, ns2;
				struct cap_line cap2;
				int d2 = detail_diff(ka, kb, m->plain, ba, b->kpband, DG_DETAIL, NULL,
				    NULL, &ov2, &ns2, NULL, &cap2);

				if (d2 == -3) {
					*ddiff = -3;
				} else if (d2 >= 0 && (*ddiff < 0 || d2 < *ddiff)) {
					*ddiff = d2;
					*overlay = ov2;
					nspread = ns2;
					caption = cap2;
					z = m->plain;
				}
			}
			*spread = nspread > GRP_SPREAD_MAX;
			/* the shapes, a caption's rows left out where the details found one */
			*sdiff = detail_diff(ka, kb, z, ba, b->kpband, DG_SHAPE, wa, b->kpview,
			    &none, NULL, NULL, *overlay != 0 ? &caption : NULL);
			/* the fine details, for a pair the details let through: pictures of
			 * one template (GRP_FINE_*) */
			if (*ddiff >= 0 && *ddiff <= GRP_DETAIL_MAX && !*spread &&
			    fine_comparable(ka, kb, z)) {
				int fs = 0, cells = 0;

				if (fine_spread(ka, kb, z, ba, b->kpband, &fs, &cells) < 0)
					rc = AD_ENOMEM;
				*spread = (fs > GRP_FINE_SPREAD && fs > GRP_FINE_RATIO * nspread) ||
				    cells ? 2 : 0;
			}
			/* two pages: their ink, where the fine details let them through
			 * (GRP_INK_*) */
			if (*ddiff >= 0 && *ddiff <= GRP_DETAIL_MAX && !*spread && ka->ink != NULL &&
			    kb->ink != NULL) {
				int inkc, ia = ink_apart(ka, kb, z, ba, b->kpband, &inkc);

				if (ia == -3)
					rc = AD_ENOMEM;
				else if (ia == 1)
					*spread = 3;
			}
			if (*ddiff == -3 || *sdiff == -3)
				rc = AD_ENOMEM;
			*ddiff = *ddiff < 0 ? -2 : *ddiff;
			*shown = shown_scale(a, b, ka, kb, m);
		}
	}
	/* the scale that maps one whole picture onto the other */
	*frame = ka->w > 0 && ka->h > 0 ? sqrt((double)kb->w * kb->h / ((double)ka->w * ka->h)) : 1;
	/* the shares and the overlay in the caller's order (k, j) */
	if (a != k) {
		double t = m->a_in;

		m->a_in = m->b_in;
		m->b_in = t;
		if (overlay != NULL && *overlay != 0)
			*overlay = 3 - *overlay;
	}
	if (mirror)
		kp_free(&mk);
	else
		kp_put(o, a);
	kp_put(o, b);
	if (rc < 0)
		return aderr_set(err, rc, "out of memory matching keypoints");
	return 0;
}

/* How colourful a 4x4 grid is: the mean over its cells of the spread of R, G and B. */
static int colorfulness(const uint8_t *c)
{
	int sum = 0;

	for (int i = 0; i < 16; i++) {
		int r = c[3 * i], g = c[3 * i + 1], b = c[3 * i + 2];
		int hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
		int lo = r < g ? (r < b ? r : b) : (g < b ? g : b);

		sum += hi - lo;
	}
	return sum / 16;
}

/* The largest spread of R, G and B over the cells of a grid. */
static int spread_max(const uint8_t *c)
{
	int worst = 0;

	for (int i = 0; i < 16; i++) {
		int r = c[3 * i], g = c[3 * i + 1], b = c[3 * i + 2];
		int hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
		int lo = r < g ? (r < b ? r : b) : (g < b ? g : b);

		worst = hi - lo > worst ? hi - lo : worst;
	}
	return worst;
}

/* 1 when a grid is colourful on average, or has a strongly coloured cell (a coloured
 * cut-out on a white or clear ground: most cells gray, the shape's cells not). */
static int colourful(const uint8_t *c)
{
	return colorfulness(c) >= GRP_COLORFUL || spread_max(c) >= GRP_COLOR_CELL;
}

/* 1 when a grid is gray: every cell's R, G and B within GRP_GRAY_CELL (a gray copy,
 * whose colours are not compared); 0 for a missing grid */
static int grid_gray(const uint8_t *c)
{
	return c != NULL && spread_max(c) < GRP_GRAY_CELL;
}

/* How far the chroma (R - G, B - G) of j's grid, turned by orient to lie like k's, is
 * from that of k's scaled by one factor (and k's from j's), the smaller of the two: the
 * largest miss of a cell, summed over both.  A stronger or weaker contrast or saturation
 * scales a picture's chroma, a gamma nearly so; another colouring of one drawing (a lamp
 * in violet on cream, the same lamp in magenta on blue-grey) cannot be fitted so.  The
 * fit's factor (at least 1: the paler side scaled up) in *scale, and its misses in the
 * colour difference's measure (the mean over the cells, or a quarter of the worst) in
 * *rest; a factor of 0 when the chromas do not rise together. */
static int chroma_fit(const struct grp_item *k, const struct grp_item *j, int orient,
    double *scale, double *rest)
{
	double x[16][2], y[16][2], sxy = 0, sxx = 0, syy = 0, best = 1e9;

	*scale = 0;
	*rest = 1e9;

	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++) {
			const uint8_t *p = &k->color[3 * (r * 4 + c)];
			const uint8_t *q = &j->color[3 * hash_cell_orient(orient, 4, r, c)];
			int i = r * 4 + c;

			x[i][0] = p[0] - p[1];
			x[i][1] = p[2] - p[1];
			y[i][0] = q[0] - q[1];
			y[i][1] = q[2] - q[1];
			sxy += x[i][0] * y[i][0] + x[i][1] * y[i][1];
			sxx += x[i][0] * x[i][0] + x[i][1] * x[i][1];
			syy += y[i][0] * y[i][0] + y[i][1] * y[i][1];
		}
	if (sxx < 1 || syy < 1) {
		*scale = 1;
		*rest = 0;
		return 0;
	}
	for (int side = 0; side < 2; side++) {
		double (*u)[2] = side ? y : x, (*v)[2] = side ? x : y;
		double s = sxy > 0 ? sxy / (side ? syy : sxx) : 0, worst = 0, sum = 0;

		for (int i = 0; i < 16; i++) {
			double d = fabs(v[i][0] - s * u[i][0]) + fabs(v[i][1] - s * u[i][1]);

			worst = d > worst ? d : worst;
			sum += d;
		}
		if (worst < best) {
			best = worst;
			*scale = s >= 1 || s <= 0 ? s : 1 / s;
			*rest = sum / 32 > worst / 4 ? sum / 32 : worst / 4;
		}
	}
	return (int)(best + 0.5);
}

/* The mean difference of the chroma (R - G, B - G) of two colour grids, j's turned by
 * orient to lie like k's; -1 when either is missing or gray (a gray copy of a colour
 * picture is still a copy). */
static int color_diff(const struct grp_item *k, const struct grp_item *j, int orient,
    int aligned)
{
	int sum = 0, worst = 0, fit = 0;
	double scale, rest;

	if (k->color == NULL || j->color == NULL || grid_gray(k->color) || grid_gray(j->color) ||
	    (!colourful(k->color) && !colourful(j->color)))
		return -1;
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++) {
			const uint8_t *x = &k->color[3 * (r * 4 + c)];
			const uint8_t *y = &j->color[3 * hash_cell_orient(orient, 4, r, c)];
			int d1 = (x[0] - x[1]) - (y[0] - y[1]), d2 = (x[2] - x[1]) - (y[2] - y[1]);

			d1 = (d1 < 0 ? -d1 : d1) + (d2 < 0 ? -d2 : d2);
			sum += d1;
			worst = d1 > worst ? d1 : worst;
		}
	/* the mean over the cells, or a quarter of the worst cell: a product in another colour on
	 * the same white ground changes a few cells much */
	worst = sum / 32 > worst / 4 ? sum / 32 : worst / 4;
	/* where the hashes say the grids lie alike, one colouring must map onto the other
	 * by one contrast (GRP_CHROMA_FIT, scaled to this measure); and when it does, by a
	 * factor within GRP_CHROMA_SCALE, the colours differ by what that contrast leaves
	 * (a stronger contrast or saturation, scaling every cell's chroma by 1.4, is not
	 * another colouring) */
	if (aligned) {
		fit = chroma_fit(k, j, orient, &scale, &rest) * GRP_COLOR_MAX / GRP_CHROMA_FIT;
		if (scale >= 1 && scale <= GRP_CHROMA_SCALE && rest < worst)
			worst = (int)(rest + 0.5);
	}
	return fit > worst ? fit : worst;
}

/* How far the brightness layouts of two grids (j's turned by orient to lie like k's)
 * are from one tone curve, over the rows of k's 4 x 4 grid in the mask rows (bit r for
 * row r; 0xf all): the least-squares line (rising, or flat) that maps k's cell
 * brightnesses onto j's, and the largest miss of a cell (0..255).  A copy's brightness
 * changes by one curve (gamma, contrast, grayscale); two phases of the Moon light
 * different cells.  0 when either grid is missing or flat. */
static int tone_miss_rows(const struct grp_item *k, const struct grp_item *j, int orient,
    unsigned rows)
{
	double x[16], y[16], mx = 0, my = 0, sxx = 0, sxy = 0, a, b, worst = 0;
	int n = 0;

	if (k->color == NULL || j->color == NULL)
		return 0;
	for (int r = 0; r < 4; r++)
		n += (rows >> r & 1) * 4;
	for (int r = 0, i = 0; r < 4; r++)
		for (int c = 0; c < 4 && rows >> r & 1; c++, i++) {
			const uint8_t *p = &k->color[3 * (r * 4 + c)];
			const uint8_t *q = &j->color[3 * hash_cell_orient(orient, 4, r, c)];

			x[i] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
			y[i] = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
			mx += x[i] / n;
			my += y[i] / n;
		}
	for (int i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (sxx < n)
		return 0;
	/* a tone curve rises: an inverted layout is fitted by the flat line */
	a = sxy > 0 ? sxy / sxx : 0;
	b = my - a * mx;
	for (int i = 0; i < n; i++) {
		double d = y[i] - (a * x[i] + b);

		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
	}
	return (int)(worst + 0.5);
}

static int tone_miss(const struct grp_item *k, const struct grp_item *j, int orient)
{
	return tone_miss_rows(k, j, orient, 0xf);
}

/* 1 when two low-information items are one flat picture: featx found no keypoint in
 * either, both colour grids flat (every cell within GRP_FLAT_TOL of the first in R, G
 * and B) and within GRP_FLAT_TOL of each other, and both opaque or both with
 * transparency.  A flat picture is its colour; a flat grey and a flat purple are not
 * one, nor is a clear PNG a white JPEG.  A picture of one colour almost everywhere with
 * corners somewhere (a chapter's title or a page number on a blank page, an emblem on a
 * clear canvas) is not flat: what it shows is at a place its colours do not see, and it
 * is grouped by its bytes alone (GRP_FLAT_TOL). */
static int flat_same(const struct grp_item *k, const struct grp_item *j)
{
	if (k->color == NULL || j->color == NULL || k->low_info != j->low_info ||
	    item_nkp(k) > 0 || item_nkp(j) > 0 || k->varied || j->varied)
		return 0;
	for (int i = 0; i < 48; i++)
		if (abs(k->color[i] - k->color[i % 3]) > GRP_FLAT_TOL ||
		    abs(j->color[i] - j->color[i % 3]) > GRP_FLAT_TOL ||
		    abs(k->color[i] - j->color[i]) > GRP_FLAT_TOL)
			return 0;
	return 1;
}

/* 1 when both items are smooth pictures with colour grids: their grids decide. */
static int both_smooth(const struct grp_item *k, const struct grp_item *j)
{
	return k->smooth && j->smooth && k->color != NULL && j->color != NULL;
}

/* The widest range of one channel over a colour grid's 16 cells. */
static int grid_span(const uint8_t *c)
{
	int span = 0;

	for (int ch = 0; ch < 3; ch++) {
		int lo = 255, hi = 0;

		for (int i = 0; i < 16; i++) {
			lo = c[3 * i + ch] < lo ? c[3 * i + ch] : lo;
			hi = c[3 * i + ch] > hi ? c[3 * i + ch] : hi;
		}
		span = hi - lo > span ? hi - lo : span;
	}
	return span;
}

/* The orientation (1..8: j turned that way lies like k) in which two smooth items are
 * one picture by their colour grids (GRP_SMOOTH_TOL) and their wavelet hashes
 * (GRP_SMOOTH_WHASH), and upright their difference hashes (dist: as match's); the
 * turned ones only with o->rotations.  0 when none. */
static int smooth_same(const struct grp_item *k, const struct grp_item *j, const int dist[3],
    const struct grp_opts *o)
{
	if (!both_smooth(k, j) || k->low_info != j->low_info ||
	    (grid_span(k->color) < GRP_SMOOTH_SPAN && grid_span(j->color) < GRP_SMOOTH_SPAN))
		return 0;
	for (int t = 1; t <= (o->rotations ? 8 : 1); t++) {
		int ok = t == 1 ? dist[1] <= o->dhash_max && dist[2] <= GRP_SMOOTH_WHASH :
		    hash_hamming(k->whash, hash_grid_orient(j->whash, t)) <= GRP_SMOOTH_WHASH;

		for (int r = 0; ok && r < 4; r++)
			for (int c = 0; ok && c < 4; c++)
				for (int ch = 0; ok && ch < 3; ch++)
					ok = abs(k->color[3 * (r * 4 + c) + ch] -
					    j->color[3 * hash_cell_orient(t, 4, r, c) + ch]) <= GRP_SMOOTH_TOL;
		if (ok)
			return t;
	}
	return 0;
}

/* GRP_EXACT, GRP_NEAR or GRP_NONE by the bytes and the hashes alone; fills the
 * distances and the orientation either way.  kw and jw, when not NULL, are the eight
 * orientations of k's and j's wavelet hashes (hash_grid_orient, computed once an item
 * rather than once a pair).  Symmetric: match(a, b) and match(b, a)
 * agree on the outcome.  An item with little information matches by its bytes only. */
static int match(const struct grp_item *k, const struct grp_item *j, const struct grp_opts *o,
    const uint64_t *kw, const uint64_t *jw, int dist[3], int *orient)
{
	*orient = 1;
	dist[0] = hash_hamming(k->phash, j->phash);
	dist[1] = hash_hamming(k->dhash, j->dhash);
	dist[2] = hash_hamming(k->whash, j->whash);
	if (same_bytes(k, j))
		return GRP_EXACT;
	if (o->exact_only)
		return GRP_NONE;
	if (k->low_info || j->low_info) {
		if (!k->low_info || !j->low_info)
			return GRP_NONE;
		if (flat_same(k, j))
			return GRP_NEAR;
		return (*orient = smooth_same(k, j, dist, o)) ? GRP_NEAR : (*orient = 1, GRP_NONE);
	}
	/* two smooth pictures are their colour layouts, whatever their hashes say (a
	 * gradient's end colour 40 levels off moves its perceptual hash a bit or two) */
	if (both_smooth(k, j))
		return (*orient = smooth_same(k, j, dist, o)) ? GRP_NEAR : (*orient = 1, GRP_NONE);
	if (dist[0] <= o->phash_max && dist[1] <= o->dhash_max && dist[2] <= o->whash_max)
		return GRP_NEAR;
	if (!o->rotations || !k->has8 || !j->has8)
		return GRP_NONE;
	/* j turned by t looks like k (or k turned back looks like j); the difference hash
	 * has no turned form, so the perceptual and wavelet hashes decide */
	for (int t = 2; t <= 8; t++) {
		int dp = hash_hamming(k->phash, j->phash8[t - 1]);
		int dq = hash_hamming(j->phash, k->phash8[inverse[t] - 1]);
		int dw = hash_hamming(k->whash, jw ? jw[t - 1] : hash_grid_orient(j->whash, t));
		int dv = hash_hamming(j->whash, kw ? kw[inverse[t] - 1] :
		    hash_grid_orient(k->whash, inverse[t]));

		dp = dq < dp ? dq : dp;
		dw = dv < dw ? dv : dw;
		if (dp <= o->phash_max && dw <= o->whash_max) {
			dist[0] = dp;
			dist[2] = dw;
			*orient = t;
			return GRP_NEAR;
		}
	}
	return GRP_NONE;
}

/* The smallest perceptual-hash distance of two items over the orientations matched. */
static int phash_min(const struct grp_item *k, const struct grp_item *j, int rot)
{
	int d = hash_hamming(k->phash, j->phash);

	if (rot && k->has8 && j->has8)
		for (int t = 1; t < 8; t++) {
			int e = hash_hamming(k->phash, j->phash8[t]), f = hash_hamming(j->phash, k->phash8[t]);

			d = e < d ? e : d;
			d = f < d ? f : d;
		}
	return d;
}

static int keeper_name_cmp(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	int r = strcmp(items[ia].name, items[ib].name);

	return r != 0 ? r : (ia > ib) - (ia < ib);
}

/* Every pair of items with the same checksum, as candidates (exact duplicates need not
 * have near hashes when their hashes are missing). */
static int cmp_sum(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	const struct grp_item *a = &items[*(const uint32_t *)pa], *b = &items[*(const uint32_t *)pb];
	int r;

	if (a->has_sha256 != b->has_sha256)
		return a->has_sha256 ? -1 : 1;
	r = a->has_sha256 ? memcmp(a->sha256, b->sha256, sizeof a->sha256) :
	    strcmp(a->content_md5, b->content_md5);
	if (r == 0 && !a->has_sha256)
		r = (a->size > b->size) - (a->size < b->size);
	return r != 0 ? r : (*(const uint32_t *)pa > *(const uint32_t *)pb) -
	    (*(const uint32_t *)pa < *(const uint32_t *)pb);
}

/* cmp_sum's order, most comparisons decided by the checksum's first 8 bytes held beside
 * the index (not by reading the items, all over memory). */
struct sum_key {
	uint64_t head;          /* the sha256's first bytes, big-endian; 0 without one */
	uint32_t i, nosum;      /* the item; 1 without a sha256 (after those with one) */
};

static int cmp_sum_key(const void *pa, const void *pb, void *ud)
{
	const struct sum_key *a = pa, *b = pb;

	if (a->nosum != b->nosum)
		return a->nosum ? 1 : -1;
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	return cmp_sum(&a->i, &b->i, ud);
}

/* Appends one pair (a < b) to the growing list. */
static int push_pair(struct mih_pair **pairs, size_t *np, size_t *cap, uint32_t a, uint32_t b)
{
	if (*np == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct mih_pair *nn = realloc(*pairs, nc * sizeof *nn);

		if (nn == NULL)
			return -1;
		*pairs = nn;
		*cap = nc;
	}
	(*pairs)[*np].a = a < b ? a : b;
	(*pairs)[(*np)++].b = a < b ? b : a;
	return 0;
}

/* Sorts pairs by a, then b, in place: into at most 4096 buckets by the top bits of a
 * (the pairs moved along the cycles of the permutation, American-flag style, with few
 * enough open buckets to stay in cache), then each bucket by mih_sort_pairs, whose
 * buffer is then one bucket's size rather than all the pairs' (in a crowded collection
 * the pairs outnumber the items many times). */
static void sort_pairs(struct mih_pair *p, size_t np)
{
	uint32_t maxa = 0;
	int shift = 0;
	size_t nb, *start, *next;

	for (size_t i = 0; i < np; i++)
		maxa = p[i].a > maxa ? p[i].a : maxa;
	while ((maxa >> shift) >= 4096)
		shift++;
	nb = (size_t)(maxa >> shift) + 1;
	start = calloc(nb + 1, sizeof *start);
	next = malloc(nb * sizeof *next);
	if (start == NULL || next == NULL) {
		free(start);
		free(next);
		mih_sort_pairs(p, np);
		return;
	}
	for (size_t i = 0; i < np; i++)
		start[(p[i].a >> shift) + 1]++;
	for (size_t k = 0; k < nb; k++) {
		start[k + 1] += start[k];
		next[k] = start[k];
	}
	for (size_t k = 0; k < nb; k++)
		while (next[k] < start[k + 1]) {
			struct mih_pair x = p[next[k]];

			while ((x.a >> shift) != k) {   /* to its bucket, taking up what lay there */
				struct mih_pair y = p[next[x.a >> shift]];

				p[next[x.a >> shift]++] = x;
				x = y;
			}
			p[next[k]++] = x;
		}
	for (size_t k = 0; k < nb; k++)
		mih_sort_pairs(p + start[k], start[k + 1] - start[k]);
	free(start);
	free(next);
}

/* Sorts the list by a, then b, and drops repeats. */
static void unique_pairs(struct mih_pair *pairs, size_t *np)
{
	size_t w = 0;

	sort_pairs(pairs, *np);
	for (size_t p = 0; p < *np; p++)
		if (w == 0 || pairs[p].a != pairs[w - 1].a || pairs[p].b != pairs[w - 1].b)
			pairs[w++] = pairs[p];
	*np = w;
}

static int add_sum_pairs(struct grp_item *items, size_t n, struct mih_pair **pairs, size_t *np,
    size_t *cap)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	struct sum_key *k = malloc((n ? n : 1) * sizeof *k);
	size_t m = 0;

	if (v == NULL || k == NULL) {
		free(v);
		free(k);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].has_sha256 || items[i].content_md5[0]) {
			uint64_t x = 0;

			for (int b = 0; b < 8 && items[i].has_sha256; b++)
				x = x << 8 | items[i].sha256[b];
			k[m].nosum = !items[i].has_sha256;
			k[m].head = x;
			k[m++].i = (uint32_t)i;
		}
	qsort_r(k, m, sizeof *k, cmp_sum_key, items);
	for (size_t i = 0; i < m; i++)
		v[i] = k[i].i;
	free(k);
	for (size_t a = 0; a < m; ) {
		size_t b = a + 1;

		while (b < m && same_bytes(&items[v[a]], &items[v[b]]))
			b++;
		for (size_t x = a; x < b; x++)
			for (size_t y = x + 1; y < b; y++)
				if (push_pair(pairs, np, cap, v[x], v[y]) < 0) {
					free(v);
					return -1;
				}
		a = b;
	}
	free(v);
	return 0;
}

static int cmp_flat(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int r = items[a].color[0] - items[b].color[0];

	return r != 0 ? r : (a > b) - (a < b);
}

/* Pairs of flat low-information items (flat_same) as candidates: their hashes are
 * constant or noise, so the hash search need not find them.  Sorted by red, each item
 * is paired with those within GRP_FLAT_TOL of it there that flat_same takes, at most
 * GRP_FLAT_PAIRS after it (a million blank scans would otherwise make half a million
 * million pairs). */
static int add_flat_pairs(const struct grp_item *items, size_t n, struct mih_pair **pairs,
    size_t *np, size_t *cap)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	size_t m = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].low_info && flat_same(&items[i], &items[i]))
			v[m++] = (uint32_t)i;
	qsort_r(v, m, sizeof *v, cmp_flat, (void *)items);
	for (size_t x = 0; x < m; x++)
		for (size_t y = x + 1; y < m && y - x <= GRP_FLAT_PAIRS &&
		    items[v[y]].color[0] - items[v[x]].color[0] <= GRP_FLAT_TOL; y++)
			if (flat_same(&items[v[x]], &items[v[y]]) &&
			    push_pair(pairs, np, cap, v[x], v[y]) < 0) {
				free(v);
				return -1;
			}
	free(v);
	return 0;
}

/* Pairs of smooth items (smooth_same) as candidates, the same way: sorted by red, each
 * with those within GRP_SMOOTH_TOL of it there, at most GRP_FLAT_PAIRS after it. */
static int add_smooth_pairs(const struct grp_item *items, size_t n, const struct grp_opts *o,
    struct mih_pair **pairs, size_t *np, size_t *cap)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	size_t m = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].smooth && items[i].color != NULL)
			v[m++] = (uint32_t)i;
	qsort_r(v, m, sizeof *v, cmp_flat, (void *)items);
	for (size_t x = 0; x < m; x++)
		for (size_t y = x + 1; y < m && y - x <= GRP_FLAT_PAIRS &&
		    items[v[y]].color[0] - items[v[x]].color[0] <= GRP_SMOOTH_TOL; y++) {
			const struct grp_item *k = &items[v[x]], *j = &items[v[y]];
			int dist[3] = { hash_hamming(k->phash, j->phash), hash_hamming(k->dhash, j->dhash),
			    hash_hamming(k->whash, j->whash) };

			if (smooth_same(k, j, dist, o) != 0 &&
			    push_pair(pairs, np, cap, v[x], v[y]) < 0) {
				free(v);
				return -1;
			}
		}
	free(v);
	return 0;
}

/* 1 when a and b are of one size and their colour grids agree to within
 * GRP_CAPTION_TOL in every cell and channel of rows r0 .. r0 + 2 (0: the top three, 1:
 * the bottom three; -1: either) and not in the fourth row: a caption there changes it.
 * (Grids that agree in all four rows are no caption's: a thousand white pages of one
 * size would otherwise each be paired with the next GRP_CAPTION_PAIRS.) */
static int caption_grids(const struct grp_item *a, const struct grp_item *b, int r0)
{
	if (a->color == NULL || b->color == NULL || a->wh[0] <= 0 || a->wh[1] <= 0 ||
	    a->wh[0] != b->wh[0] || a->wh[1] != b->wh[1])
		return 0;
	for (int t = r0 < 0 ? 0 : r0; t <= (r0 < 0 ? 1 : r0); t++) {
		int ok = 1, other = t == 0 ? 36 : 0, moved = 0;

		for (int i = 12 * t; ok && i < 12 * t + 36; i++)
			ok = abs(a->color[i] - b->color[i]) <= GRP_CAPTION_TOL;
		for (int i = other; ok && !moved && i < other + 12; i++)
			moved = abs(a->color[i] - b->color[i]) > GRP_CAPTION_TOL;
		if (ok && moved)
			return 1;
	}
	return 0;
}

struct cap_key {
	int32_t w, h;
	int sum;                /* the three rows' 36 values summed */
	uint32_t i;
};

static int cmp_cap_key(const void *pa, const void *pb)
{
	const struct cap_key *a = pa, *b = pb;

	if (a->w != b->w)
		return (a->w > b->w) - (a->w < b->w);
	if (a->h != b->h)
		return (a->h > b->h) - (a->h < b->h);
	if (a->sum != b->sum)
		return (a->sum > b->sum) - (a->sum < b->sum);
	return (a->i > b->i) - (a->i < b->i);
}

/* Pairs of one size whose colour grids agree but for a row at the bottom or the top
 * (caption_grids) as candidates: a caption moves the hashes past the search's radius.
 * Sorted by size and the three rows' colour, each item with those after it within
 * GRP_CAPTION_TOL a value there, at most GRP_CAPTION_PAIRS of them; once for the top rows,
 * once for the bottom.  Low-information items are not paired (their bytes decide), nor
 * items without details to read. */
static int add_caption_pairs(const struct grp_item *items, size_t n, struct mih_pair **pairs,
    size_t *np, size_t *cap)
{
	struct cap_key *v = malloc((n ? n : 1) * sizeof *v);

	if (v == NULL)
		return -1;
	for (int t = 0; t < 2; t++) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			const struct grp_item *it = &items[i];
			int sum = 0;

			if (it->color == NULL || it->low_info || it->wh[0] <= 0 || it->wh[1] <= 0 ||
			    (it->kp == NULL && !it->has_kp))
				continue;
			for (int k = 12 * t; k < 12 * t + 36; k++)
				sum += it->color[k];
			v[m++] = (struct cap_key){ it->wh[0], it->wh[1], sum, (uint32_t)i };
		}
		qsort(v, m, sizeof *v, cmp_cap_key);
		for (size_t x = 0; x < m; x++)
			for (size_t y = x + 1; y < m && y - x <= GRP_CAPTION_PAIRS &&
			    v[y].w == v[x].w && v[y].h == v[x].h &&
			    v[y].sum - v[x].sum <= 36 * GRP_CAPTION_TOL; y++)
				if (caption_grids(&items[v[x].i], &items[v[y].i], t) &&
				    push_pair(pairs, np, cap, v[x].i < v[y].i ? v[x].i : v[y].i,
				    v[x].i < v[y].i ? v[y].i : v[x].i) < 0) {
					free(v);
					return -1;
				}
	}
	free(v);
	return 0;
}

/* 1 when one of a and b, turned, is within r of the other's perceptual hash. */
static int turned_near(const struct grp_item *a, const struct grp_item *b, int r)
{
	if (!a->has8 || !b->has8)
		return 0;
	for (int t = 1; t < 8; t++)
		if (hash_hamming(a->phash, b->phash8[t]) <= r || hash_hamming(b->phash, a->phash8[t]) <= r)
			return 1;
	return 0;
}

/* Every pair within the perceptual-hash radius, by comparing all of them: the index's
 * answer, the slow way (--search all, for checking). */
static int brute_pairs(const struct grp_item *items, size_t n, int r, int rot,
    struct mih_pair **pairs, size_t *np, aderr *err)
{
	size_t cap = 0;

	*pairs = NULL;
	*np = 0;
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			if (hash_hamming(items[a].phash, items[b].phash) > r &&
			    !(rot && turned_near(&items[a], &items[b], r)))
				continue;
			if (push_pair(pairs, np, &cap, (uint32_t)a, (uint32_t)b) < 0) {
				free(*pairs);
				*pairs = NULL;
				return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
			}
		}
	return 0;
}


/* A bucket holding more images than this is a common pattern (sky, text), not evidence. */
#define LSH_BUCKET_MAX 24
/* the most keypoints an item keys (lsh_pick) */
#define LSH_PICK (GRP_LSH_KEYPOINTS + GRP_LSH_SPREAD)

/* Key length for E entries: about log2(E) + 3 bits, so that two random descriptors
 * share a bucket rarely enough for chance pairs with GRP_LSH_VOTES votes to stay few
 * (about 8 E / 2^bits random votes a table); at least GRP_LSH_BITS (small collections
 * keep the most sensitive keys), at most 32. */
static int lsh_key_bits(size_t e)
{
	int b = 0;

	while (b < 40 && ((size_t)1 << b) < e)
		b++;
	b += 3;
	return b < GRP_LSH_BITS ? GRP_LSH_BITS : b > 32 ? 32 : b;
}

static long find_pair(const struct mih_pair *pairs, size_t np, uint32_t a, uint32_t b);

/* The keypoints of ks the index keys (at most max of them, their places in *sel): the
 * GRP_LSH_KEYPOINTS strongest, then of the rest the strongest GRP_LSH_CELL in each cell
 * of a GRP_LSH_GRID x GRP_LSH_GRID grid over the picture, GRP_LSH_SPREAD at most.  The
 * count. */
static int lsh_pick(const struct kp_set *ks, int max, int *sel)
{
	int cell[GRP_LSH_GRID * GRP_LSH_GRID] = {0};
	int k = imin(ks->n, max), ns = imin(k, GRP_LSH_KEYPOINTS);

	for (int q = 0; q < ns; q++)
		sel[q] = q;
	if (ks->w <= 0 || ks->h <= 0)
		return ns;
	for (int q = ns; q < ks->n && ns < k; q++) {
		int cx = (int)(ks->kp[q].x * GRP_LSH_GRID / ks->w);
		int cy = (int)(ks->kp[q].y * GRP_LSH_GRID / ks->h);
		int *c = &cell[imin(imax(cy, 0), GRP_LSH_GRID - 1) * GRP_LSH_GRID +
		    imin(imax(cx, 0), GRP_LSH_GRID - 1)];

		if (*c < GRP_LSH_CELL) {
			(*c)++;
			sel[ns++] = q;
		}
	}
	return ns;
}

/* Puts c into the K keys of top (largest first) when it is larger than the least. */
static void top_put(uint16_t *top, int k, uint16_t c)
{
	for (int q = 0; q < k && c > 0; q++)
		if (c > top[q]) {
			uint16_t x = top[q];

			top[q] = c;
			c = x;
		}
}

/* Crop candidates: pairs of items whose descriptors (lsh_pick's) collide in at least
 * GRP_LSH_VOTES of the (table, key) buckets, each image counted once per bucket, and of
 * those the GRP_LSH_TOPK with the most votes of either item's (of as many votes, the
 * nearer perceptual hashes first; ties kept), or any with GRP_LSH_SURE.  Each table
 * sorts its (key, item) entries; a bucket lists its items in order, repeats side by
 * side.  A pair left out (*crowded counts them) is no candidate,
 * but its hash distance counts in both items' neighbourhoods (bg: n bytes, lowered
 * where a pair left out is nearer), as the first pass would have counted a pair it
 * turned down.  The pairs within the hash search's reach it does not propose; of those,
 * each item's GRP_LSH_TOPK with the most votes (or GRP_LSH_SURE) go to *vouch (nvouch
 * of them, malloc'd): the hash search verifies them however crowded (crowd_cap). */
static int lsh_pairs(const struct grp_item *items, size_t n, const struct grp_opts *o,
    struct mih_pair **pairs, size_t *np, size_t *cap, size_t listed, uint8_t *bg,
    size_t *crowded, struct mih_pair **vouch, size_t *nvouch, aderr *err)
{
	uint16_t bits[GRP_LSH_TABLES][32];
	uint64_t seed = 0x6c7368ULL;
	struct mih_pair *e = NULL, *votes = NULL;
	size_t ne = 0, nv = 0, vcap = 0, m = 0;
	int rc = 0, kb;

	for (size_t i = 0; i < n; i++)
		m += (size_t)imin(item_nkp(&items[i]), LSH_PICK);
	if (m == 0)
		return 0;
	kb = lsh_key_bits(m);
	/* the bit sample of each table: distinct positions, drawn once (splitmix64); the
	 * first GRP_LSH_BITS of a longer key are the ones a short key would take */
	for (int pass = 0; pass < 2; pass++)
		for (int t = 0; t < GRP_LSH_TABLES; t++)
			for (int b = pass ? GRP_LSH_BITS : 0; b < (pass ? 32 : GRP_LSH_BITS); b++) {
				for (;;) {
					int dup = 0;

					bits[t][b] = (uint16_t)(splitmix64(&seed) % 256);
					for (int c = 0; c < b; c++)
						dup |= bits[t][c] == bits[t][b];
					if (!dup)
						break;
				}
			}
	if ((e = malloc(m * sizeof *e)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
	for (int t = 0; t < GRP_LSH_TABLES && rc == 0; t++) {
		ne = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			const struct kp_set *ks;
			int k, sel[LSH_PICK];

			if (item_nkp(&items[i]) == 0)
				continue;
			if ((rc = kp_get(o, &items[i], &ks, err)) < 0)
				break;
			/* never more than counted, whatever the set says */
			k = ks == NULL ? 0 : lsh_pick(ks, imin(item_nkp(&items[i]), LSH_PICK), sel);
			for (int q = 0; q < k; q++) {
				const uint8_t *d = ks->kp[sel[q]].d;
				uint32_t v = 0;

				for (int b = 0; b < kb; b++)
					v = v << 1 | ((d[bits[t][b] >> 3] >> (bits[t][b] & 7)) & 1u);
				e[ne].a = v;
				e[ne++].b = (uint32_t)i;
			}
			kp_put(o, &items[i]);
		}
		if (rc < 0)
			break;
		mih_sort_pairs(e, ne);
		for (size_t a = 0; a < ne && rc == 0; ) {
			size_t b = a + 1, w = a + 1;

			while (b < ne && e[b].a == e[a].a)
				b++;
			/* one entry per image in the bucket */
			for (size_t x = a + 1; x < b; x++)
				if (e[x].b != e[w - 1].b)
					e[w++] = e[x];
			if (w - a <= LSH_BUCKET_MAX)
				for (size_t x = a; x < w && rc == 0; x++)
					for (size_t y = x + 1; y < w; y++)
						if (push_pair(&votes, &nv, &vcap, e[x].b, e[y].b) < 0) {
							rc = aderr_set(err, AD_ENOMEM, "out of memory indexing "
							    "keypoints");
							break;
						}
			a = b;
		}
	}
	free(e);
	if (rc == 0) {
		/* each distinct pair in place of its first vote, its key beside it (its votes,
		 * to 255, above, and below them how near its perceptual hashes are: of two
		 * pairs with as many votes the nearer ranks first, where most pairs of a
		 * crowded collection tie at a few votes), and each item's GRP_LSH_TOPK best
		 * keys of the pairs past the hash search's reach */
		uint16_t *cnt = malloc((nv ? nv : 1) * sizeof *cnt);
		uint16_t *top = calloc(n ? n : 1, GRP_LSH_TOPK * sizeof *top);
		/* and of the pairs within its reach, each item's GRP_LSH_TOPK best: those the
		 * hash search verifies however crowded (crowd_cap) */
		uint16_t *ntop = calloc(n ? n : 1, GRP_LSH_TOPK * sizeof *ntop);
		size_t w = 0, vroom = 0;

		if (cnt == NULL || top == NULL || ntop == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
		mih_sort_pairs(votes, nv);
		for (size_t a = 0; a < nv && rc == 0; ) {
			size_t b = a + 1;

			while (b < nv && votes[b].a == votes[a].a && votes[b].b == votes[a].b)
				b++;
			if (b - a >= GRP_LSH_VOTES) {
				int d = phash_min(&items[votes[a].a], &items[votes[a].b], o->rotations);

				cnt[w] = (uint16_t)((b - a > 255 ? 255 : b - a) << 8 | (255 - d));
				votes[w] = votes[a];
				/* a pair within the hash search's reach is its to propose: it
				 * takes none of an item's places here */
				if (d > o->phash_max) {
					top_put(top + (size_t)votes[w].a * GRP_LSH_TOPK, GRP_LSH_TOPK,
					    cnt[w]);
					top_put(top + (size_t)votes[w].b * GRP_LSH_TOPK, GRP_LSH_TOPK,
					    cnt[w]);
				} else {
					top_put(ntop + (size_t)votes[w].a * GRP_LSH_TOPK, GRP_LSH_TOPK,
					    cnt[w]);
					top_put(ntop + (size_t)votes[w].b * GRP_LSH_TOPK, GRP_LSH_TOPK,
					    cnt[w]);
				}
				w++;
			}
			a = b;
		}
		for (size_t x = 0; x < w && rc == 0; x++) {
			uint32_t a = votes[x].a, b = votes[x].b;

			if (255 - (cnt[x] & 0xff) <= o->phash_max) {
				/* the hash search's (above); vouched for among its crowd */
				if (cnt[x] >> 8 < GRP_LSH_SURE &&
				    cnt[x] < ntop[(size_t)a * GRP_LSH_TOPK + GRP_LSH_TOPK - 1] &&
				    cnt[x] < ntop[(size_t)b * GRP_LSH_TOPK + GRP_LSH_TOPK - 1])
					continue;
				if (push_pair(vouch, nvouch, &vroom, a, b) < 0)
					rc = aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
				continue;
			}
			if (cnt[x] >> 8 >= GRP_LSH_SURE ||
			    cnt[x] >= top[(size_t)a * GRP_LSH_TOPK + GRP_LSH_TOPK - 1] ||
			    cnt[x] >= top[(size_t)b * GRP_LSH_TOPK + GRP_LSH_TOPK - 1]) {
				if (push_pair(pairs, np, cap, a, b) < 0)
					rc = aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
			} else {
				int d = 255 - (cnt[x] & 0xff);

				(*crowded)++;
				/* a neighbour only where no other search finds the pair */
				if (!items[a].low_info && !items[b].low_info && d > o->phash_max &&
				    find_pair(*pairs, listed, a, b) < 0) {
					bg[a] = (uint8_t)(d < bg[a] ? d : bg[a]);
					bg[b] = (uint8_t)(d < bg[b] ? d : bg[b]);
				}
			}
		}
		free(cnt);
		free(top);
		free(ntop);
	}
	free(votes);
	return rc;
}

/* What the checks found for one candidate pair (a < b), as match(items[a], items[b])
 * sees it: orient turns b into a's likeness. */
struct pres {
	uint8_t stage : 2;      /* GRP_* (a first-pass GRP_NEAR may still be turned down) */
	uint8_t orient : 4;     /* 1 .. 8 */
	bool capped : 1;        /* a hash match neither picture's GRP_HASH_TOPK nearest hold
	                         * (crowd_cap): left unverified and kept apart */
	bool ink_apart : 1;     /* the detail pass found two pages' ink differ (GRP_INK_*):
	                         * two pages, and no group may hold both */
	int8_t tint;            /* the detail pass: the colours' tint read through the
	                         * keypoints' transform (chroma_diff; -1 not compared) */
	uint8_t verified : 2;   /* the strict keypoint test decided a hash match (1) or a
	                         * keypoint match in a crowded neighbourhood (3), or the
	                         * pair was taken on the trust of its neighbourhood (2) */
	uint8_t overlay : 2;    /* the detail pass found a line of text over one side's
	                         * picture that the other lacks (a caption, a watermark): 1
	                         * on a, 2 on b, 0 on neither */
	bool blind : 1;         /* the keypoints cannot see this pair: too few keypoints
	                         * on one side */
	bool conflict : 1;      /* turned down on evidence that tells the two apart (the
	                         * colours, the tone layout, the keypoints): no group may
	                         * hold both */
	bool hashed : 1;        /* the hashes matched in the first pass: the two grids lie
	                         * alike (a crop's or a letterbox's do not) */
	bool framed : 1;        /* the lenient keypoint test took the pair on its framed
	                         * rule (GRP_FRAMED_*) rather than the span */
	bool repeated : 1;      /* the keypoint test took the pair on the test of
	                         * repetition (GRP_REPEAT_*): few inliers, but the part both
	                         * pictures show holds the same keypoints */
	bool smooth : 1;        /* GRP_NEAR: two smooth pictures one by their colour grids
	                         * (smooth_same); GRP_LOCAL: one picture but for a caption
	                         * (caption_same, the grids agreeing but for its row):
	                         * decided in the first pass either way */
	bool shifted : 1;       /* the keypoints agree on a transform that does not map one
	                         * whole picture onto the other (a letterbox, a border): the
	                         * grids do not lie alike */
	bool kpz : 1;           /* the keypoints agreed on a transform the details can be
	                         * read through (local_match computed it): the detail pass
	                         * compares them if the pair is taken */
	bool shape_apart : 1;   /* the detail pass found the shapes differ (GRP_SHAPE_MAX):
	                         * two pictures, and no group may hold both */
	bool spread_apart : 1;  /* the detail pass found the details miss all over
	                         * (GRP_SPREAD_*): two pictures, and no group may hold
	                         * both */
	bool fine_apart : 1;    /* the detail pass found the fine details miss all over
	                         * (GRP_FINE_*): two pictures of one template, and no group
	                         * may hold both */
	bool same : 1;          /* the colour details read through the keypoints' transform
	                         * show the same colours and levels (GRP_CHROMA_SAME) */
	uint8_t dist[3];
	uint8_t dmin : 7;       /* perceptual-hash distance over the orientations */
	bool turned : 1;        /* the detail pass's transform turns one picture off a
	                         * quarter turn (over GRP_GRAY_TURN degrees): the details
	                         * read through it are resampled */
	int8_t margin;          /* the hashes' margin over the neighbourhood (-64 .. 64, or
	                         * GRP_MARGIN_OPEN) */
	int8_t ddiff;           /* the details compared through the keypoints' transform
	                         * (detail_diff, at most 127; -1 not compared, -2 compared
	                         * but not comparable) */
	int16_t cdiff;
	int16_t inliers, matches;
	uint8_t mid : 4, mid_dead : 4; /* the middle cells (kp_match: 0 .. 8) */
	int8_t chroma;          /* the colours compared through the keypoints' transform
	                         * (chroma_diff, at most 127; -1 not compared) */
	int16_t shared, agree;  /* the keypoints of the part both pictures show, on the
	                         * strongest GRP_KP_BASE of each (kp_shared) */
	int16_t wcol;           /* the colour grids compared through the keypoints'
	                         * transform (warp_color; -1 not compared) */
	float cover;
	uint16_t a_in, b_in;    /* the share of a's picture the keypoints' transform puts
	                         * inside b's, and of b's inside a's, in 256ths (kp_match's
	                         * 16 x 16 samples; 0 when not measured) */
};
/* a million candidate pairs cost 32 MB: keep it so */
_Static_assert(sizeof(struct pres) == 32, "struct pres grew");


/* The keypoint matches of the pairs taken so far whose keypoints gave a transform: the
 * detail pass reads their details through that transform, and would otherwise match the
 * pair's keypoints again (kp_match and kp_shared, a third of the time on a collection
 * of look-alikes, where most pairs come that far).  Keyed by the pair's items and the
 * mirror; filled under its lock by the passes' threads, read by the detail pass's
 * after them (no writes then).  A full memo (KPMEMO_MAX entries, at most 18 MB with the
 * free half of its table; the environment's AZD_KPMEMO=N for tests, 0 for none) takes
 * no more: those pairs are matched again, with the same result. */
#define KPMEMO_MAX ((size_t)1 << 16)

struct kpmemo_ent {
	uint32_t a, b;          /* the pair (a < b); a UINT32_MAX: the slot is free */
	int mirror;
	struct kp_match m;
};

struct kpmemo {
	pthread_mutex_t mu;
	struct kpmemo_ent *e;
	size_t cap, n;          /* cap a power of two, or 0 */
	size_t max;             /* the most entries it takes */
};

/* The slot of (a, b, mirror) in a table of cap entries (a power of two): its own, or
 * the free one where it would go. */
static size_t kpmemo_slot(const struct kpmemo_ent *e, size_t cap, uint32_t a, uint32_t b,
    int mirror)
{
	uint64_t h = ((uint64_t)a << 32 | b) * 2 + (mirror != 0);
	size_t i = (size_t)(splitmix64(&h) & (cap - 1));

	while (e[i].a != UINT32_MAX && !(e[i].a == a && e[i].b == b && e[i].mirror == mirror))
		i = (i + 1) & (cap - 1);
	return i;
}

/* The entry of (a, b, mirror), or NULL. */
static const struct kp_match *kpmemo_get(const struct kpmemo *km, uint32_t a, uint32_t b,
    int mirror)
{
	size_t i;

	if (km == NULL || km->cap == 0)
		return NULL;
	i = kpmemo_slot(km->e, km->cap, a, b, mirror);
	return km->e[i].a != UINT32_MAX ? &km->e[i].m : NULL;
}

/* Keeps m for (a, b, mirror); where memory runs short or the memo is full, keeps
 * nothing (the detail pass then matches the pair again). */
static void kpmemo_put(struct kpmemo *km, uint32_t a, uint32_t b, int mirror,
    const struct kp_match *m)
{
	size_t i;

	pthread_mutex_lock(&km->mu);
	if (km->n >= km->max) {
		pthread_mutex_unlock(&km->mu);
		return;
	}
	if (2 * (km->n + 1) > km->cap) {
		size_t nc = km->cap ? 2 * km->cap : 1024;
		struct kpmemo_ent *ne = malloc(nc * sizeof *ne);
		struct kpmemo old = *km;

		if (ne == NULL) {
			pthread_mutex_unlock(&km->mu);
			return;
		}
		for (size_t k = 0; k < nc; k++)
			ne[k].a = UINT32_MAX;
		km->e = ne;
		km->cap = nc;
		for (size_t k = 0; k < old.cap; k++)
			if (old.e[k].a != UINT32_MAX)
				ne[kpmemo_slot(ne, nc, old.e[k].a, old.e[k].b, old.e[k].mirror)] =
				    old.e[k];
		free(old.e);
	}
	i = kpmemo_slot(km->e, km->cap, a, b, mirror);
	if (km->e[i].a == UINT32_MAX)
		km->n++;
	km->e[i].a = a;
	km->e[i].b = b;
	km->e[i].mirror = mirror;
	km->e[i].m = *m;
	pthread_mutex_unlock(&km->mu);
}

static void kpmemo_free(struct kpmemo *km)
{
	free(km->e);
	km->e = NULL;
	km->cap = km->n = 0;
}

struct cl_ctx {
	const struct grp_item *items;
	const struct mih_pair *pairs;
	struct pres *res;
	const uint8_t *bg;      /* second pass: each item's nearest distinct neighbour */
	const uint32_t *cnt;    /* second pass: each item's hash neighbours */
	size_t np, next, verified, ambiguous;
	int pass;
	const struct grp_opts *o;
	int rc;
	aderr err;              /* the first failure's */
	pthread_mutex_t mu;
	const uint64_t (*w8)[8]; /* first pass: each item's wavelet hash in the eight
	                         * orientations (NULL: computed a pair at a time) */
	struct kpmemo *memo;    /* the matches of the pairs taken, or NULL */
};

/* local_ok's tests: the lenient one, the strict one (GRP_STRICT_*), and the strict one
 * for an ambiguous hash match (GRP_AMBIG_GROW) */
enum { LOK_LENIENT = 0, LOK_STRICT = 1, LOK_AMBIGUOUS = 2 };

/* The keypoint test: 1 when the matches make a copy (strict: see GRP_STRICT_RATIO), 0
 * when not, or a negative AD_E* code.  Fills the pair's keypoint evidence, and *mout
 * (when not NULL) with the match as local_match left it (mout->matches -1 when the
 * keypoints were not matched). */
static int local_ok(const struct grp_item *a, const struct grp_item *b, const struct grp_opts *o,
    int strict, int mirror, struct pres *r, struct kp_match *mout, aderr *err)
{
	struct kp_match m;
	double frame;
	int rc, wcol, cd[2], colours, si = strict_inliers(a, b);

	if (mout != NULL)
		mout->matches = -1;
	if (!o->local || item_nkp(a) == 0 || item_nkp(b) == 0)
		return 0;
	if ((rc = local_match(a, b, o, mirror, NULL, &m, &frame, &wcol, cd, NULL, NULL, NULL,
	    NULL, NULL, err)) < 0)
		return rc;
	if (mout != NULL)
		*mout = m;
	/* the transform the detail pass reads the details through, if the pair is taken */
	r->kpz = transform_usable(&m, si);
	r->ddiff = -1;
	r->shifted = (m.inliers >= GRP_LOOSE_INLIERS &&
	    fabs(m.scale / frame - 1) > GRP_FRAME_TOL);
	r->inliers = (int16_t)(m.inliers > INT16_MAX ? INT16_MAX : m.inliers);
	r->matches = (int16_t)(m.matches > INT16_MAX ? INT16_MAX : m.matches);
	r->cover = (float)m.cover;
	r->a_in = (uint16_t)lround(m.a_in * 256);
	r->b_in = (uint16_t)lround(m.b_in * 256);
	r->mid = (uint8_t)(m.mid & 15);
	r->mid_dead = (uint8_t)(m.mid_dead & 15);
	r->wcol = (int16_t)wcol;
	r->chroma = (int8_t)(cd[0] > INT8_MAX ? INT8_MAX : cd[0]);
	r->same = cd[0] >= 0 && cd[0] <= GRP_CHROMA_SAME;
	/* (for --trace-pairs: the counts the framed rule and the test of repetition read) */
	r->shared = (int16_t)(m.shared0 > INT16_MAX ? INT16_MAX : m.shared0);
	r->agree = (int16_t)(m.agree0 > INT16_MAX ? INT16_MAX : m.agree0);
	/* the colour grids read through the transform agree, or where they are too coarse
	 * for a small shape on a plain ground (one cell's mean shifts with a crop's edge),
	 * the colour details say the same colours and levels */
	colours = (wcol >= 0 && wcol <= GRP_FRAMED_COLOR) || r->same;
	/* few inliers that the rest of the keypoints bear out (GRP_REPEAT_*): a crop, a
	 * letterbox or a border of a picture whose keypoints move in the ranking (a page of
	 * text, a screenshot) keeps the keypoints of the part both show in their places; a
	 * look-alike aligned on some of them (another page, another tab of one dialog) does
	 * not */
	r->repeated = repeat_candidate(&m, si) && 2 * m.inliers >= o->local_min &&
	    m.shared0 >= GRP_REPEAT_SHARED && m.agree0 >= GRP_REPEAT_AGREE * m.shared0 &&
	    colours && !hollow(m.mid, m.mid_dead);
	/* or a small shape on a plain ground (a product, cropped or framed) with too few
	 * keypoints for that, but all of them in their places and the same colours
	 * (GRP_SAME_*) */
	r->repeated = r->repeated || (r->same && m.inliers >= GRP_REPEAT_INLIERS &&
	    2 * m.inliers >= o->local_min && m.cover >= GRP_FRAMED_COVER &&
	    m.contain >= GRP_FRAMED_CONTAIN && m.shared0 >= GRP_SAME_SHARED &&
	    m.agree0 >= GRP_FRAMED_AGREE * m.shared0 && !hollow(m.mid, m.mid_dead));
	if (m.inliers < o->local_min || m.inliers < GRP_LOOSE_INLIERS ||
	    m.inliers < GRP_STRICT_RATIO * m.matches)
		return !strict && r->repeated;
	/* a copy whose inliers span less (a face or a product on a plain ground, cropped or
	 * framed): one picture lies inside the other on the transform (two shots that only
	 * overlap do not), the part they share holds the same keypoints on both sides (two
	 * pages of one manual, two phases of the Moon, two dialogs of one program do not),
	 * and the colour grids read through the transform agree (a bottle of one shape in
	 * another colour does not) */
	r->framed = m.cover < GRP_LOCAL_COVER && m.cover >= GRP_FRAMED_COVER &&
	    m.contain >= GRP_FRAMED_CONTAIN && m.agree0 >= GRP_FRAMED_AGREE * m.shared0 &&
	    m.shared0 > 0 && colours;
	/* either way the middle of the pictures must repeat (GRP_MID_MIN: not only the
	 * frame two pages of one dialog share) */
	if (hollow(m.mid, m.mid_dead))
		return 0;
	/* strict, for a pair the hashes matched: the hashes already say the pictures are
	 * alike as wholes, so the matches need not span a quarter of one (a clock face on a
	 * plain wall), but many more of them must agree */
	if (strict == LOK_AMBIGUOUS)
		si = grown_inliers(a, b, GRP_AMBIG_GROW);
	if (strict)
		return m.inliers >= si &&
		    (m.cover >= GRP_STRICT_COVER || r->framed);
	return m.cover >= GRP_LOCAL_COVER || r->framed || r->repeated;
}

/* 1 when a hash match in a crowded neighbourhood whose keypoints are too few for the
 * strict test (a product on a plain ground: 12 to 22 inliers) is one picture all the
 * same: the perceptual hashes at most GRP_TWIN_HASH apart, the brightness layouts on one
 * tone curve to within GRP_TWIN_TONE, the colour layouts compared (neither gray: a gray
 * copy is as like a look-alike of another colour as its own) and within GRP_TWIN_COLOR,
 * the grids lying alike, and the keypoints agreeing as far as they go (GRP_REPEAT_INLIERS
 * and GRP_TWIN_RATIO of the matches, the middle repeating).  The same shape in another
 * colour, another phase of the Moon, another galaxy of one shape fail it. */
static int twins(const struct grp_item *a, const struct grp_item *b, struct pres *r, int tone)
{
	if (r->shifted || r->dmin > GRP_TWIN_HASH || tone > GRP_TWIN_TONE ||
	    r->inliers < GRP_REPEAT_INLIERS || r->inliers < GRP_TWIN_RATIO * r->matches ||
	    hollow(r->mid, r->mid_dead))
		return 0;
	r->cdiff = (int16_t)color_diff(a, b, r->orient, 1);
	return r->cdiff >= 0 && r->cdiff <= GRP_TWIN_COLOR;
}

/* 1 when the keypoints tell a pair apart: many matches, few of them on one transform
 * (two pages of one manual); a pair with few matches, or whose agreeing matches only
 * span a small part of the picture, is undecided. */
static int told_apart(const struct grp_item *a, const struct grp_item *b, const struct pres *r)
{
	return r->matches >= strict_inliers(a, b) && r->inliers < GRP_STRICT_RATIO * r->matches;
}

/* 1 when a hash match whose keypoints agree (GRP_STRICT_INLIERS, GRP_STRICT_RATIO) but
 * span too little of the picture for the strict test is a copy all the same: the grids
 * lie alike (not shifted) and follow one tone curve to within GRP_TONE_MAX / 2, and the
 * colour layouts differ by at most GRP_COLOR_MAX / 2 (or one is gray), and the middle
 * cells repeat (GRP_MID_MIN).  Two bottles of one shape in two colours, two phases of the
 * Moon, two dialogs of one program fail it. */
static int close_look(const struct grp_item *a, const struct grp_item *b, struct pres *r,
    int tone)
{
	if (r->blind || r->shifted || r->inliers < strict_inliers(a, b) ||
	    r->inliers < GRP_STRICT_RATIO * r->matches || tone > GRP_TONE_MAX / 2 ||
	    hollow(r->mid, r->mid_dead))
		return 0;
	r->cdiff = (int16_t)color_diff(a, b, r->orient, 1);
	return r->cdiff <= GRP_COLOR_MAX / 2;
}

/* 1 when the keypoints cannot see a pair: too few keypoints on one side, or one side's
 * keypoints mostly its enlargement's (GRP_BLIND_ENLARGE).  (A mirrored match they see
 * through kp_mirror.) */
static int blind_pair(const struct grp_opts *o, const struct grp_item *a,
    const struct grp_item *b)
{
	return !o->local || item_nkp(a) < 2 * GRP_STRICT_INLIERS ||
	    item_nkp(b) < 2 * GRP_STRICT_INLIERS || a->kp_enlarge > GRP_BLIND_ENLARGE ||
	    b->kp_enlarge > GRP_BLIND_ENLARGE;
}

/* The margin a hash match is accepted on: its margin over the neighbourhood, but where
 * no keypoints were read for either picture (featx --local 0, dedupe --no-local) no more
 * than a search can see (GRP_SEEN_RADIUS). */
static int seen_margin(const struct grp_item *a, const struct grp_item *b,
    const struct pres *r, const struct grp_opts *o)
{
	int seen = (o->phash_max > GRP_SEEN_RADIUS ? o->phash_max : GRP_SEEN_RADIUS) + 1 - r->dmin;

	return (!o->local || a->unread || b->unread) && r->margin > seen ? seen : r->margin;
}

/* An item whose perceptual-hash neighbourhood holds a distinct picture, or many
 * pictures: its hashes alone do not tell its copies from its neighbours. */
static int crowded(const struct cl_ctx *c, uint32_t x)
{
	return c->bg[x] <= c->o->phash_max + 1 || c->cnt[x] > GRP_CROWD;
}

/* 1 when exactly one of two grids is gray and the other colourful: the pair can only
 * be a gray copy and its colour picture, and the colours were not compared
 * (color_diff). */
static int gray_and_colour(const struct grp_item *a, const struct grp_item *b)
{
	int ga = grid_gray(a->color);

	return a->color != NULL && b->color != NULL && ga != grid_gray(b->color) &&
	    colourful(ga ? b->color : a->color);
}

/* 1 when the details read through a pair's keypoint transform are not what a gray copy
 * of the colour side would show (GRP_GRAY_DETAIL): two pictures, and no group holds
 * both. */
static int gray_apart(const struct grp_item *a, const struct grp_item *b,
    const struct pres *r)
{
	return r->ddiff > GRP_GRAY_DETAIL && r->hashed && !r->shifted && !r->turned &&
	    gray_and_colour(a, b);
}

/* 1 when the details read through a pair's keypoint transform show one thing on one
 * side and not on the other (GRP_DETAIL_MAX), or miss all over (GRP_SPREAD_*, and
 * the fine details GRP_FINE_*), or gray_apart: two pictures, whatever else took them. */
static int detail_apart(const struct grp_item *a, const struct grp_item *b,
    const struct pres *r)
{
	return r->ddiff > GRP_DETAIL_MAX || gray_apart(a, b, r) || r->spread_apart ||
	    r->fine_apart || r->ink_apart;
}

/* b's keypoint view as orientation t of a pair turns it (a looks like b turned by t:
 * a's cell (r, c) is b's hash_cell_orient(t, n, r, c)): its detail in *out (the grid
 * laid out again, detail[] its cells, nothing else of b's set), its view's place in its
 * picture (view: left, top, right, bottom in 65535ths) and its frame's bands (band:
 * top, bottom, left, right in 256ths) turned the same way. */
static void turned_view(const struct kp_set *kb, const struct grp_item *b, int t,
    struct kp_set *out, uint8_t detail[KP_DETAIL_BYTES], uint16_t view[4], uint8_t band[4])
{
	/* transpose or not, then mirror top-bottom (fu) and left-right (fv), as featx's
	 * orientations are made: without a transpose the turned view's rows are b's rows
	 * (mirrored where fu), its columns b's columns (where fv); with one its columns
	 * are b's rows (mirrored where fv), its rows b's columns (where fu): fr and fc */
	static const uint8_t tr[8] = { 0, 0, 0, 0, 1, 1, 1, 1 }, fu[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };
	static const uint8_t fv[8] = { 0, 1, 1, 0, 0, 1, 1, 0 };
	int k = t - 1, fr = tr[k] ? fv[k] : fu[k], fc = tr[k] ? fu[k] : fv[k];
	const uint16_t *v = b->kpview;      /* left, top, right, bottom */
	const uint8_t *d = b->kpband;       /* top, bottom, left, right */
	/* b's view along its rows (top, bottom) and its columns (left, right), and
	 * their bands, each mirrored as it turns */
	uint16_t row[2] = { fr ? 65535 - v[3] : v[1], fr ? 65535 - v[1] : v[3] };
	uint16_t col[2] = { fc ? 65535 - v[2] : v[0], fc ? 65535 - v[0] : v[2] };
	uint8_t rowb[2] = { fr ? d[1] : d[0], fr ? d[0] : d[1] };
	uint8_t colb[2] = { fc ? d[3] : d[2], fc ? d[2] : d[3] };

	memset(out, 0, sizeof *out);
	out->w = tr[k] ? kb->h : kb->w;
	out->h = tr[k] ? kb->w : kb->h;
	for (int r = 0; r < KP_DETAIL; r++)
		for (int c = 0; c < KP_DETAIL; c++)
			detail[r * KP_DETAIL + c] = kb->detail[hash_cell_orient(t, KP_DETAIL, r, c)];
	out->detail = detail;
	view[0] = tr[k] ? row[0] : col[0];
	view[1] = tr[k] ? col[0] : row[0];
	view[2] = tr[k] ? row[1] : col[1];
	view[3] = tr[k] ? col[1] : row[1];
	band[0] = tr[k] ? colb[0] : rowb[0];
	band[1] = tr[k] ? colb[1] : rowb[1];
	band[2] = tr[k] ? rowb[0] : colb[0];
	band[3] = tr[k] ? rowb[1] : colb[1];
}

/* How far the details of two pictures that lie one on the other differ (detail_diff's
 * result in *dd, -2 when they cannot be read so), read with no keypoint transform: a's
 * keypoint view onto b's through the whole pictures (each view's place in its picture),
 * and the part inside each view's frame bands onto the other's (a bordered copy's
 * picture lies inside its border), the closer of the two; each only where it keeps one
 * scale both ways (within 2%).  orient: the orientation the pair's hashes matched in
 * (b turned so, turned_view).  0, or a negative AD_E* code. */
static int aligned_detail(const struct grp_item *a, const struct grp_item *b, int orient,
    const struct grp_opts *o, int *dd, int *overlay, struct cap_line *caption, aderr *err)
{
	const struct kp_set *ka, *kb;
	struct kp_set turned;
	uint8_t tdetail[KP_DETAIL_BYTES], tband[4];
	uint16_t tview[4];
	const uint16_t *bview = b->kpview;
	const uint8_t *bband = b->kpband;
	int rc, ov;

	*dd = -2;
	*overlay = 0;
	if (caption != NULL)
		*caption = (struct cap_line){ { -1, -1 }, 0, { 0, 0 } };
	if (!o->local)
		return 0;
	if ((rc = details_get(o, a, &ka, err)) < 0)
		return rc;
	if ((rc = details_get(o, b, &kb, err)) < 0) {
		details_put(o, a);
		return rc;
	}
	if (orient != 1 && kb != NULL && kb->detail != NULL) {
		turned_view(kb, b, orient, &turned, tdetail, tview, tband);
		kb = &turned;
		bview = tview;
		bband = tband;
	}
	for (int way = 0; rc == 0 && ka != NULL && kb != NULL && way < 2; way++) {
		/* the rectangle each side maps (left, top, right, bottom in its view's
		 * pixels): its whole view placed in its picture, or the part inside its
		 * bands */
		double ra[4] = { 0 }, rb[4] = { 0 }, sx, sy, z[4];
		int d;
		struct cap_line cap;

		if (ka->w <= 0 || ka->h <= 0 || kb->w <= 0 || kb->h <= 0)
			break;
		for (int k = 0; k < 2; k++) {
			const uint16_t *view = k == 0 ? a->kpview : bview;
			const uint8_t *band = k == 0 ? a->kpband : bband;
			const struct kp_set *ks = k == 0 ? ka : kb;
			double *rr = k == 0 ? ra : rb;

			if (way == 0) {
				/* the whole picture, in the view's pixels */
				double fx = (view[2] - view[0]) / 65535.0;
				double fy = (view[3] - view[1]) / 65535.0;

				if (fx <= 0 || fy <= 0)
					break;
				rr[0] = -view[0] / 65535.0 / fx * ks->w;
				rr[1] = -view[1] / 65535.0 / fy * ks->h;
				rr[2] = rr[0] + ks->w / fx;
				rr[3] = rr[1] + ks->h / fy;
			} else {
				rr[0] = band[2] / 256.0 * ks->w;
				rr[1] = band[0] / 256.0 * ks->h;
				rr[2] = ks->w - band[3] / 256.0 * ks->w;
				rr[3] = ks->h - band[1] / 256.0 * ks->h;
			}
		}
		if (ra[2] <= ra[0] || ra[3] <= ra[1] || rb[2] <= rb[0] || rb[3] <= rb[1])
			continue;
		sx = (rb[2] - rb[0]) / (ra[2] - ra[0]);
		sy = (rb[3] - rb[1]) / (ra[3] - ra[1]);
		if (fabs(sx - sy) > 0.02 * sx)
			continue;
		kp_scaling_z(sx, rb[0] - sx * ra[0], rb[1] - sx * ra[1], z);
		d = detail_diff(ka, kb, z, a->kpband, bband, DG_DETAIL, NULL, NULL, &ov,
		    NULL, NULL, &cap);
		if (d == -3) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory comparing details");
		} else if (d >= 0 && (*dd < 0 || d < *dd)) {
			*dd = d;
			*overlay = ov;
			if (caption != NULL)
				*caption = cap;
		}
	}
	details_put(o, a);
	details_put(o, b);
	return rc;
}

/* Which of a and b carries a caption the other lacks (detail_diff's overlay: 1 a, 2 b,
 * 0 neither or unknown), reading the details of two pictures that lie one on the other
 * (their views of one shape) through the scale alone.  0, or a negative AD_E* code. */
static int aligned_overlay(const struct grp_item *a, const struct grp_item *b,
    const struct grp_opts *o, int *overlay, aderr *err)
{
	const struct kp_set *ka, *kb;
	int rc;

	*overlay = 0;
	if (!o->local || (a->kp == NULL && !a->has_kp) || (b->kp == NULL && !b->has_kp))
		return 0;
	if ((rc = kp_get(o, a, &ka, err)) < 0)
		return rc;
	if ((rc = kp_get(o, b, &kb, err)) < 0) {
		kp_put(o, a);
		return rc;
	}
	if (ka != NULL && kb != NULL && ka->w > 0 && ka->h > 0 && kb->w > 0 && kb->h > 0) {
		double sx = (double)kb->w / ka->w, sy = (double)kb->h / ka->h;
		double z[4];

		kp_scaling_z(sx, 0, 0, z);

		/* one scale both ways (within a pixel or two of the views' rounding) */
		if (fabs(sx - sy) <= 0.02 * sx && detail_diff(ka, kb, z, a->kpband, b->kpband,
		    DG_DETAIL, NULL, NULL, overlay, NULL, NULL, NULL) == -3)
			rc = aderr_set(err, AD_ENOMEM, "out of memory comparing details");
	}
	kp_put(o, a);
	kp_put(o, b);
	return rc;
}

/* 1 when a pair's keypoint transform shows under GRP_OVERLAP_MIN of the larger
 * picture in the other, and the other there at under GRP_OVERLAP_SHOWN of its own size
 * (shown, local_match's): one is a part of the other that keeping it would lose the
 * detail of, whatever else took them. */
static int part_of(const struct pres *r, double shown)
{
	return (r->a_in < r->b_in ? r->a_in : r->b_in) < GRP_OVERLAP_MIN * 256 &&
	    shown < GRP_OVERLAP_SHOWN;
}

/* The tone miss of a pair taken on its hashes upright where one side carries a caption
 * the other lacks, read as the two lie (aligned_detail's overlay): a caption's letters,
 * white on a black outline in the top or the bottom band, are what the 4 x 4 brightness
 * grids miss there, so its miss is the middle rows' alone (GRP_TONE_MAX); where no
 * caption is read, the whole grid's, as given (tone).  *miss; 0, or a negative AD_E*
 * code. */
static int tone_past_caption(const struct cl_ctx *c, const struct grp_item *a,
    const struct grp_item *b, const struct pres *r, int tone, int *miss, aderr *e)
{
	int dd, ov = 0, rc = 0;

	*miss = tone;
	if (r->orient == 1 && !r->shifted)
		rc = aligned_detail(a, b, 1, c->o, &dd, &ov, NULL, e);
	if (ov != 0 && tone_miss_rows(a, b, 1, 0x6) <= GRP_TONE_MAX / 4)
		*miss = 0;
	return rc < 0 ? rc : 0;
}

/* 1 when the keypoints (GRP_REPEAT_INLIERS or more) agree on a turn of over
 * GRP_TONE_TURN degrees off the quarter turns: the 4 x 4 grids of the two pictures do
 * not lie alike, and the tone line on them says nothing. */
static int turned_few(const struct kp_match *m)
{
	return m->inliers >= GRP_REPEAT_INLIERS && odd_turn(m->z) > GRP_TONE_TURN;
}

/* 1 when the details of a pair the keypoints lay one on the other surely (GRP_SURE_*:
 * each picture wholly on the other, at one scale) miss beyond what a copy's may
 * (GRP_DETAIL_MAX), and neither picture carries an added frame or a caption the other
 * lacks, which would explain a miss (nor is one a part of the other: a crop's cells
 * along its cut miss): two pictures, which no group may hold together
 * (GRP_DETAIL_APART is the limit where the keypoints are less sure).  A painted gryphon
 * and its palette-swapped twin miss by 36; a letterbox of the gryphon, its bands read
 * apart, let the twin in by 24, and the group through it. */
static int sure_apart(const struct grp_item *a, const struct grp_item *b, const struct pres *r,
    const struct kp_match *m)
{
	return r->ddiff > GRP_DETAIL_MAX && r->overlay == 0 && !a->framed && !b->framed &&
	    !r->shifted && m->a_in >= GRP_SURE_SHARE && m->b_in >= GRP_SURE_SHARE &&
	    m->inliers >= GRP_SURE_INLIERS * strict_inliers(a, b) &&
	    m->inliers >= GRP_SURE_RATIO * m->matches;
}

/* 1 when a and b, which the hashes and the keypoints turned down, are one picture but
 * for a caption one of them carries (GRP_CAPTION_*): their grids agree but for a row at
 * the bottom or the top, their colours as a copy's do (GRP_COLOR_MAX), and their
 * details read in place miss by at most GRP_CAPTION_DETAIL past a line of text over one
 * side, GRP_CAPTION_ROWS to GRP_CAPTION_ROWS_MAX rows high, whose strokes or corners
 * and whose corners say which side carries it, GRP_CAPTION_CORNERS of them on that
 * side (*dd, *overlay as aligned_detail's).  0 when not, or a negative AD_E* code. */
static int caption_same(const struct grp_opts *o, const struct grp_item *a,
    const struct grp_item *b, int *dd, int *overlay, aderr *e)
{
	int rc;
	struct cap_line cap;

	*dd = -1;
	*overlay = 0;
	if (!o->local || a->low_info || b->low_info || !caption_grids(a, b, -1) ||
	    color_diff(a, b, 1, 1) > GRP_COLOR_MAX)
		return 0;
	if ((rc = aligned_detail(a, b, 1, o, dd, overlay, &cap, e)) < 0)
		return rc;
	return *overlay != 0 && cap.by_corners == *overlay &&
	    cap.corners[*overlay - 1] >= GRP_CAPTION_CORNERS && *dd >= 0 &&
	    *dd <= GRP_CAPTION_DETAIL && cap.row[1] - cap.row[0] + 1 >= GRP_CAPTION_ROWS &&
	    cap.row[1] - cap.row[0] + 1 <= GRP_CAPTION_ROWS_MAX;
}

/* r as caption_same took it: no keypoint transform (the details were read in place,
 * and the detail pass has nothing to add), nothing that tells the two apart (the tone
 * layout, the details or the keypoints that did were the caption's). */
static void caption_taken(struct pres *r, int dd, int overlay)
{
	r->stage = GRP_LOCAL;
	r->smooth = 1;
	r->kpz = 0;
	r->shifted = 0;
	r->conflict = 0;
	r->verified = 0;
	r->inliers = r->matches = 0;
	r->cover = 0;
	r->ddiff = (int8_t)dd;
	r->overlay = (uint8_t)overlay;
}

/* The details of a pair taken on its hashes, unshifted, read in place (through the
 * orientation the hashes matched in): a blind pair's must miss by at most
 * GRP_BLIND_DETAIL (GRP_DETAIL_MAX through a turn), another's by at most
 * GRP_DETAIL_APART, or GRP_DETAIL_MAX where it was taken on trust (verified 2: a
 * word's letterbox copy and another word's half-size copy missed by 48, t0576; the
 * example photos' copies under a line of text laid over them by 24 to 41), and be
 * readable so; a pair that fails is turned down (classify_one).  0, or a negative
 * AD_E* code. */
static int in_place(const struct cl_ctx *c, const struct grp_item *a, const struct grp_item *b,
    struct pres *r, aderr *e)
{
	int dd, none, limit, rc, seen = !blind_pair(c->o, a, b);

	if ((rc = aligned_detail(a, b, r->orient, c->o, &dd, &none, NULL, e)) < 0)
		return rc;
	limit = seen ? (r->verified == 2 ? GRP_DETAIL_MAX : GRP_DETAIL_APART) :
	    r->orient == 1 ? GRP_BLIND_DETAIL : GRP_DETAIL_MAX;
	if (dd > limit || (dd == -2 && seen)) {
		r->ddiff = (int8_t)(dd > INT8_MAX ? INT8_MAX : dd);
		r->blind = !seen;
		r->stage = GRP_NONE;
		/* (a blind pair has no evidence but its details: where they part the
		 * two, no group may hold both) */
		r->conflict = r->conflict || dd > GRP_DETAIL_APART || r->blind;
	}
	return 0;
}

/* First pass: bytes and hashes, and the keypoints (lenient) for pairs the hashes turn
 * down.  Second pass: the collection-aware decision on the pairs that matched. */
static int classify_pair(struct cl_ctx *c, size_t p, size_t *verified, size_t *ambiguous,
    struct kp_match *m, aderr *e);

static int classify_one(struct cl_ctx *c, size_t p, size_t *verified, size_t *ambiguous,
    aderr *e)
{
	struct pres *r = &c->res[p];
	const struct grp_item *a, *b;
	struct kp_match m;
	double frame, shown;
	int wcol, cd[2], d, sd, rc, part, gray, overlay, mirror, tinted, spread;

	if (c->pass != 3) {
		/* the first pass matches keypoints as the pictures are, the second through
		 * the mirror of the orientation the hashes matched in: the detail pass asks
		 * for the same (below) */
		int mm;

		m.matches = -1;
		if ((rc = classify_pair(c, p, verified, ambiguous, &m, e)) < 0)
			return rc;
		if (c->pass == 2 && r->stage == GRP_NONE && !r->capped) {
			/* what turned the pair down may have been a caption's doing */
			int dd, ov;

			a = &c->items[c->pairs[p].a];
			b = &c->items[c->pairs[p].b];
			if ((rc = caption_same(c->o, a, b, &dd, &ov, e)) < 0)
				return rc;
			if (rc)
				caption_taken(r, dd, ov);
		}
		mm = c->pass == 1 ? 0 : mirrors(r->orient);
		if (c->memo != NULL && m.matches >= 0 && r->kpz &&
		    (r->stage == GRP_NEAR || r->stage == GRP_LOCAL))
			kpmemo_put(c->memo, c->pairs[p].a, c->pairs[p].b, mm, &m);
		return 0;
	}
	/* the detail pass, over the pairs taken whose keypoints gave a transform (the
	 * details are compared for those alone: most candidate pairs are turned down on
	 * other evidence first): a pair whose details differ is no copy, and over
	 * GRP_DETAIL_APART no group may hold both */
	if ((r->stage != GRP_NEAR && r->stage != GRP_LOCAL) || r->ddiff != -1)
		return 0;
	a = &c->items[c->pairs[p].a];
	b = &c->items[c->pairs[p].b];
	if (!r->kpz) {
		/* taken on the hashes alone, unshifted: the pictures lie one on the other
		 * (through the orientation the hashes matched in), so which of them carries
		 * a caption can be read with no transform (upright); and where no keypoints
		 * could see the pair, its details read so must agree (GRP_BLIND_DETAIL,
		 * GRP_DETAIL_MAX through a turn), and where they saw it but agreed on no
		 * transform, must not miss as two pictures do (GRP_DETAIL_APART), nor be
		 * unreadable so: pictures of two shapes (no one scale both ways) whose
		 * hashes agree, which squash each to a square, and whose keypoints
		 * agree on nothing have nothing but those hashes (a small emblem on a
		 * square canvas and a car on a tall one, each mostly clear ground:
		 * openclipart-png).  So too a pair taken on the trust of its
		 * neighbourhood (trust_pass, verified 2): that trust is in the others'
		 * keypoints, not in these two pictures, and their details are all that
		 * speaks for them (t0576: icons of one template with another word under
		 * the glyph, 6 to 8 bits apart, were one group through such pairs) */
		if (r->stage != GRP_NEAR || !r->hashed || r->shifted || c->o->exact_only)
			return 0;
		r->ddiff = -2;
		if (r->orient == 1 && (rc = aligned_overlay(a, b, c->o, &overlay, e)) < 0)
			return rc;
		r->overlay = r->orient == 1 ? (uint8_t)overlay : 0;
		if (r->verified != 0 && r->verified != 2)
			return 0;
		return in_place(c, a, b, r, e);
	}
	/* as the last keypoint test matched them: a hash match through its orientation's
	 * mirror (the second pass), a keypoint match as it is (the first) */
	mirror = r->hashed ? mirrors(r->orient) : 0;
	if ((rc = local_match(a, b, c->o, mirror, kpmemo_get(c->memo, c->pairs[p].a,
	    c->pairs[p].b, mirror), &m, &frame, &wcol, cd, &d, &sd, &shown, &overlay,
	    &spread, e)) < 0)
		return rc;
	if (sd > GRP_SHAPE_MAX && c->o->rotations) {
		/* a picture symmetric but for a part (a waste basket and its paper) matches
		 * its mirrored copy as it is, on the rest: the shapes through the mirror too,
		 * the closer of the two (a mirrored copy is a copy) */
		struct kp_match m2;
		double frame2, shown2;
		int wcol2, cd2[2], d2, sd2, overlay2, spread2;

		if ((rc = local_match(a, b, c->o, !mirror, kpmemo_get(c->memo, c->pairs[p].a,
		    c->pairs[p].b, !mirror), &m2, &frame2, &wcol2, cd2, &d2, &sd2, &shown2,
		    &overlay2, &spread2, e)) < 0)
			return rc;
		sd = sd2 >= 0 && sd2 < sd ? sd2 : sd;
	}
	r->overlay = (uint8_t)overlay;
	r->ddiff = (int8_t)(d > INT8_MAX ? INT8_MAX : d);
	r->tint = (int8_t)(cd[1] > INT8_MAX ? INT8_MAX : cd[1]);
	r->shape_apart = sd > GRP_SHAPE_MAX;
	r->spread_apart = spread == 1;
	r->fine_apart = spread == 2;
	r->ink_apart = spread == 3;
	/* the tints strayed (GRP_TINT_APART): two pictures, one of them coloured otherwise
	 * somewhere (a tab lit in another colour), where a copy's colours are the same
	 * wherever both sides show one */
	tinted = r->tint > GRP_TINT_APART;
	r->a_in = (uint16_t)lround(m.a_in * 256);
	r->b_in = (uint16_t)lround(m.b_in * 256);
	part = d != -1 && part_of(r, shown);
	r->turned = odd_turn(m.z) > GRP_GRAY_TURN;
	gray = gray_apart(a, b, r);
	/* a pair taken on trust (verified 2) read through the keypoints' transform had too
	 * few inliers to be taken on them: its details must agree as a blind pair's do */
	if (r->ddiff > (r->verified == 2 ? GRP_BLIND_DETAIL : GRP_DETAIL_MAX) || gray || part ||
	    r->shape_apart || tinted || r->spread_apart || r->fine_apart || r->ink_apart) {
		r->stage = GRP_NONE;
		r->conflict = r->conflict || r->ddiff > GRP_DETAIL_APART || part || gray ||
		    r->shape_apart || r->spread_apart || r->fine_apart || r->ink_apart ||
		    sure_apart(a, b, r, &m);
	} else if (r->verified == 2 && d < 0 && r->hashed && !r->shifted) {
		/* taken on trust, and its few keypoints read nothing of its details (too
		 * little of one picture inside the other): read them in place, as a pair
		 * with no keypoint transform is (a word's letterbox copy and another
		 * word's half-size copy, t0576) */
		return in_place(c, a, b, r, e);
	}
	return 0;
}

static int classify_pair(struct cl_ctx *c, size_t p, size_t *verified, size_t *ambiguous,
    struct kp_match *m, aderr *e)
{
	const struct grp_item *a = &c->items[c->pairs[p].a], *b = &c->items[c->pairs[p].b];
	struct pres *r = &c->res[p];
	int rc;

	if (c->pass == 1) {
		const uint64_t *aw = c->w8 ? c->w8[c->pairs[p].a] : NULL;
		const uint64_t *bw = c->w8 ? c->w8[c->pairs[p].b] : NULL;
		int dist[3], ori, mt = match(a, b, c->o, aw, bw, dist, &ori);

		memset(r, 0, sizeof *r);
		r->ddiff = -1;
		r->chroma = -1;
		r->tint = -1;
		r->orient = (uint8_t)(ori & 15);
		for (int i = 0; i < 3; i++)
			r->dist[i] = (uint8_t)dist[i];
		r->dmin = (uint8_t)(mt == GRP_NEAR ? dist[0] : phash_min(a, b, c->o->rotations));
		r->cdiff = -1;
		r->margin = GRP_MARGIN_OPEN;
		if (mt == GRP_NONE && !a->low_info && !b->low_info && !c->o->exact_only) {
			if (item_nkp(a) > 0 && item_nkp(b) > 0 && c->o->local)
				(*verified)++;
			if ((rc = local_ok(a, b, c->o, LOK_LENIENT, 0, r, m, e)) < 0)
				return rc;
			mt = rc ? GRP_LOCAL : GRP_NONE;
			if (mt == GRP_NONE) {
				int dd, ov;

				if ((rc = caption_same(c->o, a, b, &dd, &ov, e)) < 0)
					return rc;
				if (rc) {
					caption_taken(r, dd, ov);
					mt = GRP_LOCAL;
				}
			}
		}
		r->stage = (uint8_t)mt;
		r->hashed = mt == GRP_NEAR;
		r->smooth = (mt == GRP_NEAR && both_smooth(a, b) && !flat_same(a, b)) ||
		    (mt == GRP_LOCAL && r->smooth);
		return 0;
	}
	if (r->stage == GRP_NEAR && r->smooth) {
		/* their perceptual hashes are noise and measure no neighbourhood: the colour
		 * grids decided */
		r->cdiff = (int16_t)color_diff(a, b, r->orient, 1);
		return 0;
	}
	if (r->stage == GRP_NEAR) {
		int bg = c->bg[c->pairs[p].a] < c->bg[c->pairs[p].b] ? c->bg[c->pairs[p].a] :
		    c->bg[c->pairs[p].b];
		int tone;

		r->cdiff = (int16_t)color_diff(a, b, r->orient, 1);
		r->margin = (int8_t)(bg >= GRP_MARGIN_OPEN ? GRP_MARGIN_OPEN : bg - r->dmin);
		if (seen_margin(a, b, r, c->o) >=
		    GRP_MARGIN + (r->orient != 1 ? GRP_TURN_MARGIN : 0) &&
		    c->cnt[c->pairs[p].a] <= GRP_CROWD &&
		    c->cnt[c->pairs[p].b] <= GRP_CROWD && r->cdiff <= GRP_COLOR_MAX) {
			/* a small neighbourhood of look-alikes (eight pages of one manual) is not
			 * crowded yet: where the keypoints can see the pair, they must not tell
			 * it apart (many matches, few of them agreeing) */
			if (!c->o->local || blind_pair(c->o, a, b)) {
				/* no keypoints can see it (a picture with few corners):
				 * the brightness layouts must follow one tone curve closely, as
				 * for a pair taken on trust (a bottle mirrored is another bottle
				 * of its shape, its colour lit on other cells) */
				int miss = tone_miss(a, b, r->orient);

				/* (a caption the other lacks misses where it lies: the
				 * detail pass reads the two in place all the same,
				 * GRP_BLIND_DETAIL) */
				if (miss > GRP_TONE_MAX / 2 &&
				    (rc = tone_past_caption(c, a, b, r, miss, &miss, e)) < 0)
					return rc;
				if (miss > GRP_TONE_MAX / 2)
					r->stage = GRP_NONE;
				return 0;
			}
			(*verified)++;
			if ((rc = local_ok(a, b, c->o, LOK_STRICT, mirrors(r->orient), r, m, e)) < 0)
				return rc;
			/* nor, when they do not vouch for it, may the brightness layouts stray
			 * from one tone curve by more than a blind pair's may (the Moon in two
			 * phases: one disc, other cells lit; the light and the dark version of
			 * one wallpaper: its shapes, other shades), and where they do, by more
			 * than twice that (GRP_TONE_VOUCHED) */
			{
				int apart = rc == 0 && told_apart(a, b, r), rc2;
				int lim = rc == 0 ? GRP_TONE_MAX / 2 : GRP_TONE_VOUCHED;

				tone = r->shifted ? 0 : tone_miss(a, b, r->orient);
				/* the grids of a copy turned a few degrees do not lie alike:
				 * where the keypoints vouch for such a turn, the colour grids
				 * read through it must agree instead (GRP_TONE_VOUCHED; no
				 * caption is looked for then) */
				if (rc == 1 && tone > lim && turned_few(m) && r->wcol >= 0 &&
				    r->wcol <= GRP_FRAMED_COLOR)
					tone = 0;
				if (!apart && tone > lim &&
				    (rc2 = tone_past_caption(c, a, b, r, tone, &tone, e)) < 0)
					return rc2;
				if (apart || tone > lim) {
					r->stage = GRP_NONE;
					r->conflict = apart || tone > 2 * GRP_TONE_MAX;
				}
			}
			return 0;
		}
		/* ambiguous: the keypoints decide, strictly */
		(*ambiguous)++;
		r->blind = blind_pair(c->o, a, b);
		if (item_nkp(a) > 0 && item_nkp(b) > 0 && c->o->local)
			(*verified)++;
		if ((rc = local_ok(a, b, c->o, LOK_AMBIGUOUS, mirrors(r->orient), r, m, e)) < 0)
			return rc;
		/* a blind pair's few keypoints say nothing of where the pictures lie */
		r->shifted = r->shifted && !r->blind;
		/* the hashes matched whole pictures, so their grids lie alike: the keypoints of
		 * one lit surface (the Moon in two phases) do not make a copy when the
		 * brightness layouts follow no one tone curve.  Read only where it can count:
		 * the keypoints took the pair, or had the inliers close_look and twins want
		 * (GRP_REPEAT_INLIERS at least); most ambiguous pairs of a crowded collection
		 * whose records carry no keypoints have none */
		_Static_assert(GRP_REPEAT_INLIERS <= GRP_STRICT_INLIERS,
		    "close_look's inliers are twins' at least");
		tone = !r->shifted && (rc != 0 || r->inliers >= GRP_REPEAT_INLIERS) ?
		    tone_miss(a, b, r->orient) : 0;
		/* nor where the keypoints agree on a turn of a few degrees: the grids cannot
		 * lie alike (GRP_TONE_TURN) */
		if (turned_few(m))
			tone = 0;
		/* many agreeing keypoints over a small part of the picture (a product on a
		 * plain ground, a face drawn on a blank page) make a copy when the whole
		 * pictures, whose hashes matched, also look alike: one tone curve and one
		 * colour layout, each to half its limit; and so do too few inliers that the
		 * rest of the keypoints bear out (the test of repetition, as for a keypoint
		 * match in a crowd below: a document icon turned 5 degrees or halved, 20 to 22
		 * inliers where the strict test wants 24 or 25, and most of the keypoints of
		 * the part both show repeated; make eval: 4 pairs of copies more in icons and
		 * mate-icons, no pair of distinct pictures) */
		if (rc == 0 && (close_look(a, b, r, tone) || twins(a, b, r, tone) || r->repeated))
			rc = 1;
		if (!rc)
			tone = 0;
		r->stage = rc && tone <= GRP_TONE_MAX ? GRP_LOCAL : GRP_NONE;
		/* told apart for good (no group holds both) on twice the tone miss: a gamma
		 * and a turn of 5 degrees together miss by some 20 */
		r->conflict = (rc && tone > 2 * GRP_TONE_MAX) || (!rc && !r->blind && told_apart(a, b, r));
		r->verified = 1;
	} else if (r->stage == GRP_LOCAL && !r->smooth && (crowded(c, c->pairs[p].a) ||
	    crowded(c, c->pairs[p].b))) {
		r->stage = r->inliers >= strict_inliers(a, b) && r->inliers >= GRP_STRICT_RATIO *
		    r->matches && (r->cover >= GRP_LOCAL_COVER || r->framed) ? GRP_LOCAL : GRP_NONE;
		/* or the test of repetition, which a look-alike fails however crowded */
		r->stage = r->repeated ? GRP_LOCAL : r->stage;
		r->verified = 3;
	}
	if (r->stage == GRP_LOCAL && r->cdiff < 0)
		r->cdiff = (int16_t)color_diff(a, b, r->orient, r->hashed && !r->shifted);
	/* two colourful pictures with different colour layouts are different pictures,
	 * whatever their keypoints share (a bottle of one brand and of another) */
	if (r->stage != GRP_EXACT && r->cdiff > GRP_COLOR_MAX &&
	    !(r->stage == GRP_LOCAL && r->same)) {
		/* told apart for good only where the grids lie alike (a letterbox's black
		 * bands change its grid, not its picture) and the keypoints did not vouch for
		 * the pair (a stronger contrast turns up the colours of one picture) */
		r->conflict = r->hashed && !r->shifted && r->stage != GRP_LOCAL;
		r->stage = GRP_NONE;
	}
	return 0;
}

static void *cl_worker(void *arg)
{
	struct cl_ctx *c = arg;
	size_t verified = 0, ambiguous = 0;
	aderr e = {0};

	for (;;) {
		size_t from, to;

		pthread_mutex_lock(&c->mu);
		from = c->rc < 0 ? c->np : c->next;
		to = from + 256 < c->np ? from + 256 : c->np;
		c->next = to;
		pthread_mutex_unlock(&c->mu);
		if (from >= c->np)
			break;
		for (size_t p = from; p < to; p++) {
			int rc = classify_one(c, p, &verified, &ambiguous, &e);

			if (rc < 0) {
				pthread_mutex_lock(&c->mu);
				if (c->rc == 0) {
					c->rc = rc;
					c->err = e;
				}
				pthread_mutex_unlock(&c->mu);
				break;
			}
		}
	}
	pthread_mutex_lock(&c->mu);
	c->verified += verified;
	c->ambiguous += ambiguous;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int cl_run(struct cl_ctx *c, int pass)
{
	int nt = c->o->threads > 1 ? (c->o->threads > 64 ? 64 : c->o->threads) : 1, started = 0;
	pthread_t tid[64];

	c->pass = pass;
	c->next = 0;
	for (int t = 1; t < nt && c->np > 256; t++)
		if (pthread_create(&tid[started], NULL, cl_worker, c) == 0)
			started++;
	cl_worker(c);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	return c->rc;
}

/* Ambiguous pairs the keypoints could not decide (too few keypoints, or too few
 * matches to say anything) are taken on their hashes when one side's neighbourhood
 * is copies rather than look-alikes: of that item's ambiguous pairs the keypoints could
 * see, those that passed (ok) are at least twice those that did not, and neither side
 * has more pairs the keypoints clearly told apart (many matches, few agreeing) than
 * half its passes.  A flipped copy in a group of verified copies is taken; a flipped
 * star field among star fields is not, nor is a page among pages, nor a pair without
 * keypoints under the margin a search saw (seen_margin), nor one whose keypoints repeat
 * nothing in the middle of the pictures (hollow: a chart with other data, beside a copy
 * of its look-alike that the keypoints took).  The pairs it takes (verified 2) go to the
 * detail pass after it, where their details must agree as a blind pair's (classify_one).
 * cnt is reused. */
static void trust_pass(const struct grp_item *items, size_t n, const struct mih_pair *pairs,
    size_t np, struct pres *res, uint32_t *ok, const struct grp_opts *o)
{
	uint32_t *nok = calloc(n ? n : 1, sizeof *nok), *apart = calloc(n ? n : 1, sizeof *apart);

	if (nok == NULL || apart == NULL) {
		free(nok);
		free(apart);
		return;         /* no rescue: the stricter outcome stands */
	}
	memset(ok, 0, (n ? n : 1) * sizeof *ok);
	for (size_t p = 0; p < np; p++) {
		const struct pres *r = &res[p];
		uint32_t a = pairs[p].a, b = pairs[p].b;

		if (r->verified != 1 || r->blind)
			continue;
		/* many agreeing matches over a small part of the picture (a clock face on a
		 * plain wall) count as a pass here */
		if (r->stage == GRP_LOCAL || (r->inliers >= strict_inliers(&items[a], &items[b]) &&
		    r->inliers >= GRP_STRICT_RATIO * r->matches)) {
			ok[a]++;
			ok[b]++;
			continue;
		}
		nok[a]++;
		nok[b]++;
		if (told_apart(&items[a], &items[b], r)) {
			apart[a]++;
			apart[b]++;
		}
	}
	for (size_t p = 0; p < np; p++) {
		struct pres *r = &res[p];
		uint32_t a = pairs[p].a, b = pairs[p].b;
		int trust_a = ok[a] > 0 && ok[a] >= 2 * nok[a], trust_b = ok[b] > 0 && ok[b] >= 2 * nok[b];

		if (r->verified != 1 || r->stage != GRP_NONE ||
		    seen_margin(&items[a], &items[b], r, o) < GRP_MARGIN ||
		    r->cdiff > GRP_COLOR_MAX || (!r->blind && told_apart(&items[a], &items[b], r)) ||
		    detail_apart(&items[a], &items[b], r) ||
		    (!r->blind && hollow(r->mid, r->mid_dead)))
			continue;
		/* taken with no keypoint evidence: the brightness layouts must agree closely
		 * (a drawn face mirrored is another drawn face, not a copy) */
		if ((trust_a || trust_b) && 2 * apart[a] <= ok[a] && 2 * apart[b] <= ok[b] &&
		    !items[a].low_info && !items[b].low_info &&
		    (r->shifted || tone_miss(&items[a], &items[b], r->orient) <= GRP_TONE_MAX / 2)) {
			r->stage = GRP_NEAR;
			r->verified = 2;
		}
	}
	free(nok);
	free(apart);
}

/* Hands one candidate pair's checks to o->trace. */
static void trace_pair(const struct grp_opts *o, const struct grp_item *items,
    struct mih_pair pr, const struct pres *r, int pass)
{
	struct grp_trace t;

	t.a = pr.a;
	t.b = pr.b;
	t.pass = pass;
	t.stage = r->stage;
	t.orient = r->orient;
	t.verified = r->verified;
	t.blind = r->blind;
	t.conflict = r->conflict;
	t.hashed = r->hashed;
	t.shifted = r->shifted;
	t.dmin = r->dmin;
	t.margin = r->margin;
	t.cdiff = r->cdiff >= 0 ? r->cdiff : color_diff(&items[pr.a], &items[pr.b], r->orient,
	    r->hashed && !r->shifted);
	t.tone = tone_miss(&items[pr.a], &items[pr.b], r->orient);
	t.inliers = r->inliers;
	t.matches = r->matches;
	t.strict = r->verified == 1 ? grown_inliers(&items[pr.a], &items[pr.b], GRP_AMBIG_GROW) :
	    strict_inliers(&items[pr.a], &items[pr.b]);
	t.cover = r->cover;
	t.contain = (r->a_in > r->b_in ? r->a_in : r->b_in) / 256.0;
	t.overlap = (r->a_in < r->b_in ? r->a_in : r->b_in) / 256.0;
	t.mid = r->mid;
	t.mid_dead = r->mid_dead;
	t.wcol = r->wcol;
	t.chroma = r->chroma;
	t.tint = r->tint;
	t.ddiff = r->ddiff < 0 ? -1 : r->ddiff;
	t.shared = r->shared;
	t.agree = r->agree;
	t.repeated = r->repeated;
	t.shape_apart = r->shape_apart;
	t.spread_apart = r->spread_apart;
	t.fine_apart = r->fine_apart;
	t.ink_apart = r->ink_apart;
	t.capped = r->capped;
	t.captioned = r->stage == GRP_LOCAL && r->smooth;
	o->trace(o->trace_ud, &t);
}

/* Pairs the first pass decides at a time when they come as a list (the extra pairs of
 * the checksums and the descriptor index, or a search that lists its pairs): only a
 * block's worth of results and those of the pairs that matched are held. */
#define CL_BLOCK ((size_t)1 << 20)
#define CL_PARTS 64

/* The pairs a worker kept, in chunks of CL_CHUNK: the second pass wants them in one
 * list, and a chunk is freed as soon as it is copied there, where a list grown by
 * doubling (and the workers' lists then joined) held up to twice as many pairs at once
 * (1M records from real photo features: 6.0 GB at the peak, now 4.4).  A chunk (40 MiB)
 * is over malloc's largest threshold for mapping memory of its own, so its memory goes
 * back to the system when it is freed; its pages are only touched as it fills.  The
 * environment's AZD_CL_CHUNK=N makes chunks of N pairs (tests). */
#define CL_CHUNK ((size_t)1 << 20)

struct cl_chunk {
	struct cl_chunk *next;
	size_t n, cap;
	struct mih_pair *kp;    /* cap pairs, and their results, after the chunk's head */
	struct pres *kr;
};

static size_t cl_chunk_cap(void)
{
	const char *v = getenv("AZD_CL_CHUNK");
	unsigned long long c = v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : 0;

	return c > 0 && c < CL_CHUNK ? (size_t)c : CL_CHUNK;
}

static struct cl_chunk *cl_chunk_new(size_t cap)
{
	struct cl_chunk *ch = malloc(sizeof *ch + cap * (sizeof *ch->kp + sizeof *ch->kr));

	if (ch == NULL)
		return NULL;
	ch->next = NULL;
	ch->n = 0;
	ch->cap = cap;
	ch->kp = (struct mih_pair *)(ch + 1);
	ch->kr = (struct pres *)(ch->kp + cap);
	return ch;
}

/* One worker's share of the first pass: the pairs that matched, with their results, and
 * the nearest pair each item had that neither bytes, hashes nor keypoints tie. */
struct cl_part {
	struct pres *blk;       /* a block's results (MIH_SINK_BLOCK) */
	struct cl_chunk *head, *tail;   /* the pairs kept and their results, in chunks */
	size_t nk;
	uint8_t *bg;
	size_t verified, ambiguous, seen;
};

static void cl_chunks_free(struct cl_part *pt)
{
	while (pt->head != NULL) {
		struct cl_chunk *next = pt->head->next;

		free(pt->head);
		pt->head = next;
	}
	pt->tail = NULL;
	pt->nk = 0;
}

/* The first pass over the candidate pairs as the search hands them over (in blocks, on
 * its threads): each pair is decided once, and only the pairs that matched are kept, so
 * the memory goes with the matches rather than with the candidates (whose number grows
 * with the square of a crowded collection's). */
struct cl_stream {
	const struct grp_item *items;
	size_t n;
	const struct grp_opts *o;
	const uint64_t (*w8)[8];        /* each item's wavelet hash in the eight orientations
	                                 * (NULL: computed a pair at a time) */
	const uint64_t *codes;          /* the turned search: each item's eight forms */
	int r;
	int nparts;
	struct cl_part part[CL_PARTS];
	pthread_mutex_t trace_mu;       /* o->trace is called under it */
	struct kpmemo memo;             /* the keypoint matches of the pairs taken */
	size_t chunk;                   /* pairs a chunk of the kept ones holds */
	const struct mih_pair *vouch;   /* pairs within the search's reach the descriptor
	                                 * index ranks among an item's best, sorted
	                                 * (crowd_cap verifies them however crowded) */
	size_t nvouch;
};

static void cl_stream_free(struct cl_stream *s)
{
	for (int w = 0; w < s->nparts; w++) {
		free(s->part[w].blk);
		cl_chunks_free(&s->part[w]);
		free(s->part[w].bg);
	}
	free((void *)s->w8);
	free((void *)s->codes);
	free((void *)s->vouch);
	kpmemo_free(&s->memo);
	memset(s, 0, sizeof *s);
}

static int cl_stream_init(struct cl_stream *s, const struct grp_item *items, size_t n,
    const struct grp_opts *o, int r, aderr *err)
{
	uint64_t (*w8)[8] = NULL;

	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->trace_mu, NULL);
	pthread_mutex_init(&s->memo.mu, NULL);
	s->chunk = cl_chunk_cap();
	{
		const char *v = getenv("AZD_KPMEMO");

		s->memo.max = v != NULL && *v != '\0' ? (size_t)strtoull(v, NULL, 10) : KPMEMO_MAX;
	}
	s->items = items;
	s->n = n;
	s->o = o;
	s->r = r;
	s->nparts = o->threads > 1 ? (o->threads > CL_PARTS ? CL_PARTS : o->threads) : 1;
	if (o->rotations && !o->exact_only) {
		if ((w8 = malloc((n ? n : 1) * sizeof *w8)) == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; i < n; i++)
			for (int t = 1; t <= 8; t++)
				w8[i][t - 1] = hash_grid_orient(items[i].whash, t);
		s->w8 = (const uint64_t (*)[8])w8;
	}
	for (int w = 0; w < s->nparts; w++) {
		struct cl_part *pt = &s->part[w];

		pt->blk = malloc(MIH_SINK_BLOCK * sizeof *pt->blk);
		pt->bg = malloc(n ? n : 1);
		if (pt->blk == NULL || pt->bg == NULL) {
			s->nparts = w + 1;
			cl_stream_free(s);
			return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		}
		memset(pt->bg, GRP_MARGIN_OPEN, n ? n : 1);
	}
	return 0;
}

/* Keeps the pairs of a decided block that matched, and notes the distances of those
 * turned down to the neighbourhoods. */
static int cl_fold(struct cl_stream *s, struct cl_part *pt, const struct mih_pair *pairs,
    const struct pres *res, size_t len, aderr *err)
{
	for (size_t p = 0; p < len; p++) {
		const struct pres *r = &res[p];
		uint32_t a = pairs[p].a, b = pairs[p].b;

		if (r->stage != GRP_NONE) {
			struct cl_chunk *ch = pt->tail;

			if (ch == NULL || ch->n == ch->cap) {
				if ((ch = cl_chunk_new(s->chunk)) == NULL)
					return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images",
					    s->n);
				if (pt->tail != NULL)
					pt->tail->next = ch;
				else
					pt->head = ch;
				pt->tail = ch;
			}
			ch->kp[ch->n] = pairs[p];
			ch->kr[ch->n++] = *r;
			pt->nk++;
			continue;
		}
		if (s->o->trace != NULL) {
			/* the search's threads take turns: o->trace is called from one at a time */
			pthread_mutex_lock(&s->trace_mu);
			trace_pair(s->o, s->items, pairs[p], r, 1);
			pthread_mutex_unlock(&s->trace_mu);
		}
		if (s->items[a].low_info || s->items[b].low_info || r->smooth)
			continue;
		pt->bg[a] = r->dmin < pt->bg[a] ? r->dmin : pt->bg[a];
		pt->bg[b] = r->dmin < pt->bg[b] ? r->dmin : pt->bg[b];
	}
	return 0;
}

/* The first pass on a block of pairs (a < b), on the calling thread, as worker w. */
static int cl_first(struct cl_stream *s, int w, const struct mih_pair *pairs, size_t len,
    aderr *err)
{
	struct cl_part *pt = &s->part[w];
	struct cl_ctx c = { s->items, pairs, pt->blk, NULL, NULL, len, 0, 0, 0, 1, s->o, 0, {0},
	    PTHREAD_MUTEX_INITIALIZER, s->w8, &s->memo };
	int rc;

	pt->seen += len;
	for (size_t p = 0; p < len; p++)
		if ((rc = classify_one(&c, p, &pt->verified, &pt->ambiguous, err)) < 0)
			return rc;
	return cl_fold(s, pt, pairs, pt->blk, len, err);
}

/* The first pass on a list of pairs, a block at a time on the threads; the pairs that
 * matched go to the first worker's share. */
static int cl_first_list(struct cl_stream *s, const struct mih_pair *pairs, size_t np,
    aderr *err)
{
	struct cl_ctx c = { s->items, pairs, NULL, NULL, NULL, 0, 0, 0, 0, 1, s->o, 0, {0},
	    PTHREAD_MUTEX_INITIALIZER, s->w8, &s->memo };
	struct pres *blk = malloc((np < CL_BLOCK ? (np ? np : 1) : CL_BLOCK) * sizeof *blk);
	int rc = 0;

	if (blk == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", s->n);
	for (size_t from = 0; from < np && rc == 0; from += CL_BLOCK) {
		size_t len = np - from < CL_BLOCK ? np - from : CL_BLOCK;

		c.pairs = pairs + from;
		c.res = blk;
		c.np = len;
		if ((rc = cl_run(&c, 1)) < 0) {
			*err = c.err;
			break;
		}
		rc = cl_fold(s, &s->part[0], pairs + from, blk, len, err);
	}
	s->part[0].seen += np;
	s->part[0].verified += c.verified;
	s->part[0].ambiguous += c.ambiguous;
	free(blk);
	return rc;
}

/* 1 when the turned search's hit (q, form t of b) is the first way it finds the pair of
 * items: the lower item's own hash against the higher's forms in order, then the higher's
 * own hash against the lower's turned forms in order; each pair is then decided once. */
static int turned_first(const uint64_t *codes, uint32_t q, uint32_t b, uint32_t t, int r)
{
	uint32_t x = q < b ? q : b, y = q < b ? b : q;
	const uint64_t *cx = codes + (size_t)x * 8, *cy = codes + (size_t)y * 8;

	for (uint32_t k = 0; k < (q == x ? t : 8); k++)
		if (hash_hamming(cx[0], cy[k]) <= r)
			return 0;
	for (uint32_t k = 1; q == y && k < t; k++)
		if (hash_hamming(cy[0], cx[k]) <= r)
			return 0;
	return 1;
}

/* 1 when the turned search finds the pair (a, b). */
static int turned_hit(const uint64_t *codes, uint32_t a, uint32_t b, int r)
{
	const uint64_t *ca = codes + (size_t)a * 8, *cb = codes + (size_t)b * 8;

	for (int k = 0; k < 8; k++)
		if (hash_hamming(ca[0], cb[k]) <= r || hash_hamming(cb[0], ca[k]) <= r)
			return 1;
	return 0;
}

/* mih_cross_forms_each's sink: the hits as item pairs, each pair once, decided. */
static int turned_sink(void *ud, int worker, struct mih_pair *p, size_t n, aderr *err)
{
	struct cl_stream *s = ud;
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t q = p[i].a, b = p[i].b / 8, t = p[i].b % 8;

		if (!turned_first(s->codes, q, b, t, s->r))
			continue;
		p[w].a = q < b ? q : b;
		p[w++].b = q < b ? b : q;
	}
	return cl_first(s, worker, p, w, err);
}

/* mih_pairs_each's sink: its pairs come once each. */
static int plain_sink(void *ud, int worker, struct mih_pair *p, size_t n, aderr *err)
{
	return cl_first(ud, worker, p, n, err);
}

struct kept_ctx {
	const struct mih_pair *pairs;
};

static int cmp_kept(const void *pa, const void *pb, void *ud)
{
	const struct kept_ctx *c = ud;
	const struct mih_pair *x = &c->pairs[*(const uint32_t *)pa], *y = &c->pairs[*(const uint32_t *)pb];

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/* 1 when a pair was told apart for good: no group holds both. */
static int apart_for_good(const struct grp_item *a, const struct grp_item *b,
    const struct pres *r)
{
	(void)a;
	(void)b;
	return r->stage == GRP_NONE && r->conflict;
}

/* 1 when a pair of two colour pictures was turned down on their colours alone (the
 * colour layouts over GRP_COLOR_MAX apart, nothing telling them apart for good). */
static int hue_apart(const struct grp_item *a, const struct grp_item *b, const struct pres *r)
{
	return r->stage == GRP_NONE && !r->conflict && r->cdiff > GRP_COLOR_MAX &&
	    a->color != NULL && b->color != NULL && !grid_gray(a->color) && !grid_gray(b->color);
}

/* *out: the pairs of kp (results kr) that want takes, sorted (for find_pair), *n of
 * them, malloc'd.  0, or AD_ENOMEM. */
static int pairs_where(const struct grp_item *items, const struct mih_pair *kp,
    const struct pres *kr, size_t total,
    int (*want)(const struct grp_item *, const struct grp_item *, const struct pres *),
    struct mih_pair **out, size_t *n)
{
	*n = 0;
	for (size_t p = 0; p < total; p++)
		*n += want(&items[kp[p].a], &items[kp[p].b], &kr[p]) != 0;
	if ((*out = malloc((*n ? *n : 1) * sizeof **out)) == NULL)
		return AD_ENOMEM;
	*n = 0;
	for (size_t p = 0; p < total; p++)
		if (want(&items[kp[p].a], &items[kp[p].b], &kr[p]))
			(*out)[(*n)++] = kp[p];
	sort_pairs(*out, *n);
	return 0;
}

/* A crowd's hash matches (crowd_cap): where a picture's hashes match more than
 * GRP_HASH_TOPK others', only its nearest are verified: those within the largest
 * perceptual-hash distance that holds GRP_HASH_TOPK of them at most (all those at
 * distance 0, however many; the pairs of a picture with no more all).  A pair the
 * hashes matched that lies beyond both its pictures' nearest, and that the descriptor
 * index does not rank among an item's best (vouch, sorted: lsh_pairs), is turned down
 * unverified (capped) and kept apart: no group holds both, for unverified its pictures
 * may be two, and in a crowd the pairs told apart are what keep groups of look-alikes
 * from growing.  In a collection of one template every form matches every other, and
 * the verification grew as the square of the collection (tests/bench/localscale.sh's
 * one-template rows).  Those pairs' count is added to *capped; -1 when out of memory. */
static int crowd_cap(size_t n, const struct mih_pair *kp, struct pres *kr, size_t total,
    const struct mih_pair *vouch, size_t nvouch, size_t *capped)
{
	uint32_t *near = calloc(n ? n : 1, sizeof *near), *slot = NULL, *hist = NULL;
	uint8_t *rad = NULL;
	size_t m = 0, w;
	int top = 0;

	if (near == NULL)
		return -1;
	for (size_t p = 0; p < total; p++)
		if (kr[p].stage == GRP_NEAR) {
			near[kp[p].a]++;
			near[kp[p].b]++;
			top = kr[p].dmin > top ? kr[p].dmin : top;
		}
	for (size_t i = 0; i < n; i++)
		m += near[i] > GRP_HASH_TOPK;
	if (m == 0) {
		free(near);
		return 0;
	}
	/* the crowded pictures' distances, counted: hist[slot[i]][d] */
	w = (size_t)top + 1;
	slot = malloc(n * sizeof *slot);
	hist = calloc(m * w, sizeof *hist);
	rad = malloc(n);
	if (slot == NULL || hist == NULL || rad == NULL) {
		free(near);
		free(slot);
		free(hist);
		free(rad);
		return -1;
	}
	m = 0;
	for (size_t i = 0; i < n; i++)
		slot[i] = near[i] > GRP_HASH_TOPK ? (uint32_t)m++ : UINT32_MAX;
	for (size_t p = 0; p < total; p++) {
		if (kr[p].stage != GRP_NEAR)
			continue;
		if (slot[kp[p].a] != UINT32_MAX)
			hist[slot[kp[p].a] * w + kr[p].dmin]++;
		if (slot[kp[p].b] != UINT32_MAX)
			hist[slot[kp[p].b] * w + kr[p].dmin]++;
	}
	for (size_t i = 0; i < n; i++) {
		const uint32_t *h;
		uint32_t sum;
		int d = 0;

		rad[i] = UINT8_MAX;
		if (slot[i] == UINT32_MAX)
			continue;
		h = hist + (size_t)slot[i] * w;
		for (sum = h[0]; d < top && sum + h[d + 1] <= GRP_HASH_TOPK; d++)
			sum += h[d + 1];
		rad[i] = (uint8_t)d;
	}
	for (size_t p = 0; p < total; p++) {
		struct pres *r = &kr[p];

		if (r->stage != GRP_NEAR || r->dmin <= rad[kp[p].a] || r->dmin <= rad[kp[p].b] ||
		    find_pair(vouch, nvouch, kp[p].a, kp[p].b) >= 0)
			continue;
		r->stage = GRP_NONE;
		r->capped = 1;
		r->conflict = 1;
		(*capped)++;
	}
	free(near);
	free(slot);
	free(hist);
	free(rad);
	return 0;
}

/* After the first pass: the second on the pairs that matched (collection-aware), then
 * the pairs taken on trust; keeps the pairs that match, sorted, with what they found in
 * *res, the pairs told apart in *conflicts and those turned down on their colours alone
 * in *hues (contested) (sorted; all malloc'd). */
static int classify(struct cl_stream *s, struct mih_pair **pairs, size_t *np,
    struct pres **res, struct mih_pair **conflicts, size_t *nconf, struct mih_pair **hues,
    size_t *nhue, struct grp_stats *st, aderr *err)
{
	const struct grp_item *items = s->items;
	size_t n = s->n, total = 0, w = 0;
	struct cl_ctx c = { items, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, s->o, 0, {0},
	    PTHREAD_MUTEX_INITIALIZER, NULL, &s->memo };
	struct cl_part *p0 = &s->part[0];
	uint32_t *cnt = calloc(n ? n : 1, sizeof *cnt), *ord = NULL;
	struct mih_pair *kp = NULL, *acc = NULL;
	struct pres *kr = NULL, *accr = NULL;
	int rc = 0;

	*pairs = NULL;
	*res = NULL;
	*conflicts = *hues = NULL;
	*np = *nconf = *nhue = 0;
	st->candidates = 0;
	for (int k = 0; k < s->nparts; k++) {
		total += s->part[k].nk;
		st->candidates += s->part[k].seen;
		st->local_verified += s->part[k].verified;
		st->ambiguous += s->part[k].ambiguous;
	}
	if (total > UINT32_MAX) {
		free(cnt);
		return aderr_set(err, AD_ETOOBIG, "too many matching pairs (%zu)", total);
	}
	/* the workers' shares in one list, the first worker's first (each chunk freed once
	 * copied); the neighbourhoods */
	kp = malloc((total ? total : 1) * sizeof *kp);
	kr = malloc((total ? total : 1) * sizeof *kr);
	if (cnt == NULL || kp == NULL || kr == NULL) {
		free(cnt);
		free(kp);
		free(kr);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	w = 0;
	for (int k = 0; k < s->nparts; k++) {
		struct cl_part *pt = &s->part[k];

		while (pt->head != NULL) {
			struct cl_chunk *next = pt->head->next;

			memcpy(kp + w, pt->head->kp, pt->head->n * sizeof *kp);
			memcpy(kr + w, pt->head->kr, pt->head->n * sizeof *kr);
			w += pt->head->n;
			free(pt->head);
			pt->head = next;
		}
		cl_chunks_free(pt);
		for (size_t i = 0; k > 0 && i < n; i++)
			p0->bg[i] = pt->bg[i] < p0->bg[i] ? pt->bg[i] : p0->bg[i];
	}
	/* the count of hash neighbours */
	for (size_t p = 0; p < total; p++)
		if (kr[p].stage == GRP_NEAR && !items[kp[p].a].low_info && !items[kp[p].b].low_info &&
		    !kr[p].smooth) {
			cnt[kp[p].a]++;
			cnt[kp[p].b]++;
		}
	/* a crowd's nearest alone go on */
	if (crowd_cap(n, kp, kr, total, s->vouch, s->nvouch, &st->hash_crowded) < 0)
		goto nomem;
	/* the second pass on the pairs that matched (a pair the first turned down has no
	 * second: it is neither taken nor told apart) */
	free((void *)s->w8);
	free((void *)s->codes);
	s->w8 = NULL;
	s->codes = NULL;
	c.pairs = kp;
	c.res = kr;
	c.np = total;
	c.bg = p0->bg;
	c.cnt = cnt;
	if ((rc = cl_run(&c, 2)) < 0 || (rc = cl_run(&c, 3)) < 0)
		*err = c.err;
	if (rc == 0) {
		trust_pass(items, n, kp, total, kr, cnt, s->o);
		/* and the pairs it took */
		if ((rc = cl_run(&c, 3)) < 0)
			*err = c.err;
	}
	for (size_t p = 0; rc == 0 && s->o->trace != NULL && p < total; p++)
		trace_pair(s->o, items, kp[p], &kr[p], 2);
	/* a capped pair kept apart counts only between two pictures each taken with
	 * another: no group holds a picture taken with none (1M clustered records: 81
	 * million capped pairs, 650 MB as conflicts, nearly all of pictures taken with none) */
	if (rc == 0 && st->hash_crowded > 0) {
		uint8_t *taken = calloc(n ? n : 1, 1);

		for (size_t p = 0; taken != NULL && p < total; p++)
			if (kr[p].stage != GRP_NONE)
				taken[kp[p].a] = taken[kp[p].b] = 1;
		for (size_t p = 0; taken != NULL && p < total; p++)
			if (kr[p].capped && (!taken[kp[p].a] || !taken[kp[p].b]))
				kr[p].conflict = 0;
		free(taken);
	}
	st->local_verified += c.verified;
	st->ambiguous += c.ambiguous;
	free(cnt);
	if (rc < 0)
		goto fail;
	/* the pairs told apart, and those turned down on their colours alone */
	if (pairs_where(items, kp, kr, total, apart_for_good, conflicts, nconf) < 0 ||
	    pairs_where(items, kp, kr, total, hue_apart, hues, nhue) < 0)
		goto nomem;
	/* the pairs that match, sorted, with their results */
	w = 0;
	for (size_t p = 0; p < total; p++)
		if (kr[p].stage != GRP_NONE) {
			kp[w] = kp[p];
			kr[w++] = kr[p];
		}
	ord = malloc((w ? w : 1) * sizeof *ord);
	acc = malloc((w ? w : 1) * sizeof *acc);
	accr = malloc((w ? w : 1) * sizeof *accr);
	if (ord == NULL || acc == NULL || accr == NULL)
		goto nomem;
	for (size_t p = 0; p < w; p++)
		ord[p] = (uint32_t)p;
	{
		struct kept_ctx kc = { kp };

		qsort_r(ord, w, sizeof *ord, cmp_kept, &kc);
	}
	for (size_t p = 0; p < w; p++) {
		acc[p] = kp[ord[p]];
		accr[p] = kr[ord[p]];
	}
	free(ord);
	free(kp);
	free(kr);
	*pairs = acc;
	*res = accr;
	*np = w;
	return 0;
nomem:
	rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
fail:
	free(ord);
	free(acc);
	free(accr);
	free(kp);
	free(kr);
	free(*conflicts);
	free(*hues);
	*conflicts = *hues = NULL;
	*nconf = *nhue = 0;
	return rc;
}

struct pos_ctx {
	const size_t *pos;
	const struct mih_pair *pairs;
	const struct pres *res;
};

/* Two pairs of one item by the rank of their other ends. */
static int cmp_pos(const void *pa, const void *pb, void *ud)
{
	const struct pos_ctx *c = ud;
	uint32_t p = *(const uint32_t *)pa, q = *(const uint32_t *)pb;
	/* both pairs share one end: the sums of the ranks order them by the other */
	size_t x = c->pos[c->pairs[p].a] + c->pos[c->pairs[p].b];
	size_t y = c->pos[c->pairs[q].a] + c->pos[c->pairs[q].b];

	return (x > y) - (x < y);
}

/* How surely a pair is a copy: the same bytes, then a hash match by its distance, then
 * a keypoint match by its inliers (lower is surer). */
static int strength(const struct pres *r)
{
	if (r->stage == GRP_EXACT)
		return 0;
	if (r->stage == GRP_NEAR)
		return 1 + r->dmin;
	return 1000 - (r->inliers > 900 ? 900 : r->inliers);
}

/* Two pairs of one keeper by how surely they are copies, then by rank. */
static int cmp_strength(const void *pa, const void *pb, void *ud)
{
	const struct pos_ctx *c = ud;
	uint32_t p = *(const uint32_t *)pa, q = *(const uint32_t *)pb;
	int x = strength(&c->res[p]), y = strength(&c->res[q]);

	return x != y ? (x > y) - (x < y) : cmp_pos(pa, pb, ud);
}

/* For two members that were no candidate pair of each other (clique mode): 1 when their
 * bytes, hashes or keypoints (the lenient test) match, 0 when not, or a negative AD_E*
 * code. */
static int pair_matches(const struct grp_item *items, uint32_t a, uint32_t b,
    const struct grp_opts *o, aderr *err)
{
	struct pres r = {0};
	int dist[3], ori;

	if (match(&items[a], &items[b], o, NULL, NULL, dist, &ori) != GRP_NONE)
		return 1;
	if (o->exact_only || items[a].low_info || items[b].low_info)
		return 0;
	return local_ok(&items[a], &items[b], o, LOK_LENIENT, 0, &r, NULL, err);
}

/* The accepted pair (a, b), or -1. */
static long find_pair(const struct mih_pair *pairs, size_t np, uint32_t a, uint32_t b)
{
	size_t lo = 0, hi = np;

	if (a > b) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pairs[mid].a < a || (pairs[mid].a == a && pairs[mid].b < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < np && pairs[lo].a == a && pairs[lo].b == b ? (long)lo : -1;
}

/* j joins keeper k on the evidence of pair p (stage mt overrides the pair's when not
 * GRP_NONE: members joined through others in components mode). */
static void take(struct grp_item *items, size_t k, size_t j, const struct mih_pair *pr,
    const struct pres *r, int mt)
{
	struct grp_item *it = &items[j];

	it->keeper = (long)k;
	it->stage = mt != GRP_NONE ? mt : r->stage;
	for (int i = 0; i < 3; i++)
		it->dist[i] = r->dist[i];
	/* r->orient turns pr->b into pr->a's likeness */
	it->orient = pr->a == k ? r->orient : inverse[r->orient];
	it->inliers = it->stage == GRP_LOCAL ? r->inliers : 0;
	it->matches = (int16_t)(it->stage == GRP_LOCAL ? r->matches : 0);
	it->cover = it->stage == GRP_LOCAL ? r->cover : 0;
	it->margin = r->margin;
	it->color_diff = r->cdiff;
	it->verified = r->verified;
	if (it->stage == GRP_LOCAL && r->smooth) {
		size_t carrier = r->overlay == 1 ? pr->a : pr->b;

		it->captioned = carrier == j ? 1 : 2;
		it->caption_miss = r->ddiff;
	} else {
		it->captioned = 0;
		it->caption_miss = 0;
	}
	items[k].count++;
}

/* 1 when an accepted pair may carry a left-out item into its partner's group: its
 * hashes matched with the margin over the neighbourhood (GRP_MARGIN) and the keypoints
 * had nothing against it, and the colours could be compared (a gray copy is as like a
 * mug of another colour as its own); or the keypoints took it and its details read
 * through their transform agree closely (GRP_CARRY_DETAIL). */
static int sure_link(const struct grp_item *a, const struct grp_item *b, const struct pres *r)
{
	int ga = a->color == NULL || grid_gray(a->color);
	int gb = b->color == NULL || grid_gray(b->color);

	if (r->stage == GRP_EXACT)
		return 1;
	/* or a keypoint match whose details agree to half their limit (GRP_CARRY_DETAIL) */
	if (r->stage == GRP_LOCAL)
		return r->ddiff >= 0 && r->ddiff <= GRP_CARRY_DETAIL;
	return r->stage == GRP_NEAR && r->verified == 0 && r->margin >= GRP_MARGIN &&
	    (ga == gb || (ga && !colourful(b->color)) || (gb && !colourful(a->color)));
}

/* 1 when member j of pair pr shows more than the other side of it (the keeper, or the
 * member it would join through): the keypoints' transform puts under GRP_MORE of j's
 * picture inside the other's, so the other is a crop of it, or a part.  Dropping j for
 * it would lose what the crop cut off: j stays out of the group. */
static int shows_more(const struct pres *r, const struct mih_pair *pr, size_t j)
{
	int in = j == pr->a ? r->a_in : r->b_in;

	return r->kpz && (r->a_in > 0 || r->b_in > 0) && in < GRP_MORE * 256;
}

/* 1 when member j is in colour and keeper k gray (gray_and_colour): keeping k for j
 * would lose j's colours, and a gray picture is as like another colouring of its shape
 * (a mug in blue and in red) as its own; j stays out of k's group, kept. */
static int loses_colour(const struct grp_item *k, const struct grp_item *j)
{
	return grid_gray(k->color) && gray_and_colour(k, j);
}

/* 1 when candidate member j of keeper k's group (pair p) is also a copy, as sure
 * (strength), of a picture told apart from k: a caption laid over the only part that
 * told two icons apart is like both.  A gray j is as like every colouring of its shape:
 * for it, a picture whose colours clash with k's (hue: the pairs of two colour pictures
 * turned down on them, GRP_COLOR_MAX: a mug in another colour) is told apart from k
 * too.  Such a j is not k's to take: it is taken in the group of the picture it is
 * surer of, or stays out. */
static int contested(const struct grp_item *items, const struct mih_pair *pairs,
    const struct pres *res, const uint32_t *off, const uint32_t *adj,
    const struct mih_pair *conf, size_t nconf, const struct mih_pair *hue, size_t nhue,
    size_t k, size_t j, uint32_t p)
{
	int s = strength(&res[p]);
	int gray = nhue > 0 && grid_gray(items[j].color) && gray_and_colour(&items[k], &items[j]);

	for (uint32_t e = off[j]; (nconf > 0 || gray) && e < off[j + 1]; e++) {
		uint32_t q = adj[e];
		size_t m = pairs[q].a == j ? pairs[q].b : pairs[q].a;

		if (m != k && strength(&res[q]) <= s &&
		    (find_pair(conf, nconf, (uint32_t)k, (uint32_t)m) >= 0 ||
		    (gray && find_pair(hue, nhue, (uint32_t)k, (uint32_t)m) >= 0)))
			return 1;
	}
	return 0;
}

/* Each group's items as a list: head[k] the first of keeper k's (itself among them),
 * nxt[i] the next after item i, -1 at the end and for an item in no group.  0, or
 * AD_ENOMEM (with neither list). */
static int group_lists(const struct grp_item *items, size_t n, long **head, long **nxt,
    aderr *err)
{
	*head = malloc((n ? n : 1) * sizeof **head);
	*nxt = malloc((n ? n : 1) * sizeof **nxt);
	if (*head == NULL || *nxt == NULL) {
		free(*head);
		free(*nxt);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	for (size_t i = 0; i < n; i++)
		(*head)[i] = (*nxt)[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].keeper >= 0) {
			(*nxt)[i] = (*head)[items[i].keeper];
			(*head)[items[i].keeper] = (long)i;
		}
	return 0;
}

/* 1 when item j was told apart (conf) from a member of keeper k's group (head, nxt:
 * group_lists). */
static int apart_from_group(const struct mih_pair *conf, size_t nconf, const long *head,
    const long *nxt, long k, size_t j)
{
	for (long x = head[k]; x >= 0; x = nxt[x])
		if (find_pair(conf, nconf, (uint32_t)x, (uint32_t)j) >= 0)
			return 1;
	return 0;
}

/* Star: an item left alone (its partners all taken by a keeper that matched it by
 * hashes, but in a neighbourhood too crowded to take it on them alone: a mirrored copy
 * of a photo whose larger, tilted copy became the keeper) joins the keeper's group when
 * its surest partner there is a sure_link and no member of the group was told apart
 * from it (colours, tone, keypoints).  It joins on the keeper's hashes if they match its
 * own, else on the keeper's keypoints by the test of a local pair (evidence "keypoints"),
 * else through that member (evidence "chain", "via" the member): a sure link is a pair
 * accepted on its own evidence, standing out from both neighbourhoods, so the two are
 * one picture and the member's group is its group (a bordered copy, or a noisy one kept
 * for its size, whose hashes no longer match a gamma copy of the original).  Chains go
 * no further: only sure links carry, and only into a group.  0, or a negative AD_E*
 * code. */
static int join_left_out(struct grp_item *items, size_t n, const size_t *idx,
    const struct mih_pair *pairs, const struct pres *res, const uint32_t *off, uint32_t *adj,
    const size_t *pos, const struct mih_pair *conf, size_t nconf,
    const struct grp_opts *o, aderr *err)
{
	long *head, *nxt;
	struct pos_ctx ctx = { pos, pairs, res };
	int rc = group_lists(items, n, &head, &nxt, err);

	if (rc < 0)
		return rc;
	for (size_t q = 0; q < n; q++) {
		size_t j = idx[q];

		if (items[j].keeper >= 0 || off[j + 1] == off[j])
			continue;
		qsort_r(adj + off[j], off[j + 1] - off[j], sizeof *adj, cmp_strength, &ctx);
		for (uint32_t e = off[j]; e < off[j + 1]; e++) {
			uint32_t p = adj[e];
			size_t m = pairs[p].a == j ? pairs[p].b : pairs[p].a;
			long k = items[m].keeper;
			struct mih_pair pr;
			struct pres r = {0};
			int dist[3], ori;

			/* one step: a member that joined through another carries no one, nor one
			 * that shows less than it */
			if (k < 0 || items[m].via >= 0 || !sure_link(&items[j], &items[m], &res[p]) ||
			    shows_more(&res[p], &pairs[p], j) || loses_colour(&items[k], &items[j]))
				continue;
			/* a reviewer's decision keeps it apart from the keeper or a member */
			if (o->apart != NULL && dec_apart_refuses(o->apart, items, (size_t)k, j)) {
				if (items[j].apart_from < 0)
					items[j].apart_from = k;
				continue;
			}
			if (apart_from_group(conf, nconf, head, nxt, k, j))
				continue;
			pr.a = (uint32_t)((size_t)k < j ? (size_t)k : j);
			pr.b = (uint32_t)((size_t)k < j ? j : (size_t)k);
			if (match(&items[pr.a], &items[pr.b], o, NULL, NULL, dist, &ori) == GRP_NEAR) {
				r.stage = GRP_NEAR;
			} else {
				/* the keeper's hashes do not match its own (a keeper with a border, or
				 * turned by a few degrees, or a noisy copy kept for its size): the
				 * keeper's keypoints, by the test of a local pair, with the colours
				 * agreeing; or else the sure link to the member carries it */
				int lk = local_ok(&items[pr.a], &items[pr.b], o, LOK_LENIENT, 0, &r,
				    NULL, err);

				if (lk < 0) {
					free(head);
					free(nxt);
					return lk;
				}
				ori = 1;
				if (lk && color_diff(&items[pr.a], &items[pr.b], 1, 0) <= GRP_COLOR_MAX &&
				    !shows_more(&r, &pr, j)) {
					r.stage = GRP_LOCAL;
					r.margin = GRP_MARGIN_OPEN;
				} else {
					memset(&r, 0, sizeof r);
					r.stage = GRP_NEAR;
				}
			}
			if (r.stage == GRP_NEAR) {
				r.margin = -1;
				r.cdiff = -1;
			} else
				r.cdiff = (int16_t)color_diff(&items[pr.a], &items[pr.b], 1, 0);
			r.orient = (int8_t)ori;
			for (int i = 0; i < 3; i++)
				r.dist[i] = (uint8_t)dist[i];
			take(items, (size_t)k, j, &pr, &r, r.stage);
			items[j].via = r.stage == GRP_NEAR ? (long)m : -1;
			items[j].via_kp = (int8_t)(r.stage == GRP_NEAR && res[p].stage == GRP_LOCAL);
			nxt[j] = head[k];
			head[k] = (long)j;
			break;
		}
	}
	free(head);
	free(nxt);
	return 0;
}

/* How far apart pair p's two pictures lie, for the center: the summed differences of
 * their details (the gray 32 x 32 pictures featx keeps, b's read in the orientation the
 * pair matched in) where ks holds both (ia, ib: their places in it), else the three
 * hash distances summed. */
static long pair_apart(const struct pres *r, const struct kp_set *const *ks, size_t ia,
    size_t ib)
{
	long sum = 0;

	if (ks == NULL)
		return (long)r->dist[0] + r->dist[1] + r->dist[2];
	for (int y = 0; y < KP_DETAIL; y++)
		for (int x = 0; x < KP_DETAIL; x++) {
			int d = ks[ia]->detail[y * KP_DETAIL + x] -
			    ks[ib]->detail[hash_cell_orient(r->orient, KP_DETAIL, y, x)];

			sum += d < 0 ? -d : d;
		}
	return sum;
}

/* The center (KEEP_CENTER) of each of the m pictures mem: its mean distance to the others
 * (pair_apart: their details' difference, where every one has details, else their hash
 * distances), where it was paired with every one of them, INT_MAX otherwise (it cannot
 * stand for them).  0, or a negative AD_E* code. */
static int centres(struct grp_item *items, const size_t *mem, size_t m,
    const struct mih_pair *pairs, const struct pres *res, size_t np, const struct grp_opts *o,
    aderr *err)
{
	const struct kp_set *ks[GRP_CENTER_MAX];
	long sum[GRP_CENTER_MAX];
	unsigned char all[GRP_CENTER_MAX];
	size_t g;
	int rc = 0;

	/* every member's details, or none */
	for (g = 0; g < m; g++) {
		if ((rc = details_get(o, &items[mem[g]], &ks[g], err)) < 0)
			break;
		if (ks[g] == NULL || ks[g]->detail == NULL) {
			details_put(o, &items[mem[g]]);
			break;
		}
	}
	/* each pair's distance once, added to both its ends */
	for (size_t i = 0; i < m; i++)
		sum[i] = 0, all[i] = 1;
	for (size_t i = 0; rc == 0 && i < m; i++)
		for (size_t j = i + 1; j < m; j++) {
			long p = find_pair(pairs, np, (uint32_t)mem[i], (uint32_t)mem[j]), d;

			if (p < 0 || res[p].stage == GRP_NONE) {
				all[i] = all[j] = 0;
				continue;
			}
			d = pair_apart(&res[p], g == m ? ks : NULL, pairs[p].a == mem[i] ? i : j,
			    pairs[p].a == mem[i] ? j : i);
			sum[i] += d;
			sum[j] += d;
		}
	for (size_t i = 0; rc == 0 && i < m; i++)
		items[mem[i]].center = all[i] ?
		    (int)((sum[i] * 16 + (long)(m - 1) / 2) / (long)(m - 1)) : INT_MAX;
	while (g > 0) {
		g--;
		details_put(o, &items[mem[g]]);
	}
	return rc;
}

/* recentre for one group: the m pictures mem (its keeper k among them, and join, a
 * picture no group took, where centre_left_out asks; else SIZE_MAX): their
 * centers, and the best-ranked of them as keeper when it is not k, its center is known,
 * and its pair with each other one would have let it take that one (shows_more,
 * loses_colour, contested as in the star; and join, which took nothing when the star
 * made it a keeper, no larger than it, as the star takes such a one).  1 when it took
 * the group, 0 when not (the centers cleared where k stays though another lies nearer,
 * or where a join was asked), or a negative AD_E* code. */
static int recentre_one(struct grp_item *items, size_t k, const size_t *mem, size_t m,
    size_t join, const struct mih_pair *pairs, const struct pres *res, size_t np,
    const uint32_t *off, const uint32_t *adj, const struct mih_pair *conf, size_t nconf,
    const struct mih_pair *hue, size_t nhue, const struct grp_opts *o, aderr *err)
{
	struct rank_ctx ctx = { items, o };
	size_t best = k;
	int ok = 1, rc = centres(items, mem, m, pairs, res, np, o, err);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < m; i++)
		if (rank_in(&ctx, mem[i], best, 1) < 0)
			best = mem[i];
	/* (a member that ranks first on the keys after the center, where no center is
	 * known, as one carried in by join_left_out may, cannot stand for them) */
	if (best == k || items[best].center == INT_MAX) {
		if (join != SIZE_MAX)
			for (size_t i = 0; i < m; i++)
				items[mem[i]].center = INT_MAX;
		return 0;
	}
	/* the member that lies nearest stands for the group if it could take each one */
	for (size_t j = 0; j < m && ok; j++) {
		long p;

		if (mem[j] == best)
			continue;
		p = find_pair(pairs, np, (uint32_t)best, (uint32_t)mem[j]);
		ok = p >= 0 && !shows_more(&res[p], &pairs[p], mem[j]) &&
		    !loses_colour(&items[best], &items[mem[j]]) &&
		    !contested(items, pairs, res, off, adj, conf, nconf, hue, nhue, best, mem[j],
		    (uint32_t)p) && (mem[j] != join ||
		    (items[best].area >= 0 && items[join].area <= items[best].area));
	}
	if (!ok) {
		for (size_t i = 0; i < m; i++)
			items[mem[i]].center = INT_MAX;
		return 0;
	}
	{
		struct grp_item *b = &items[best];

		b->keeper = (long)best;
		b->stage = GRP_NONE;
		memset(b->dist, 0, sizeof b->dist);
		b->orient = 1;
		b->inliers = b->matches = b->verified = 0;
		b->captioned = b->caption_miss = 0;
		b->margin = 0;
		b->cover = 0;
		b->color_diff = -1;
		b->via = -1;
		b->via_kp = 0;
		b->count = 1;
		items[k].count = 0;
		for (size_t j = 0; j < m; j++) {
			long p;

			if (mem[j] == best)
				continue;
			p = find_pair(pairs, np, (uint32_t)best, (uint32_t)mem[j]);
			take(items, best, mem[j], &pairs[p], &res[p], GRP_NONE);
			items[mem[j]].via = -1;
			items[mem[j]].via_kp = 0;
		}
	}
	return 1;
}

/* Keeper ranking with the center (KEEP_CENTER), after the groups are formed: each
 * member's center is its mean distance to the others of its group (pair_apart: their
 * details' difference, where every member has details, else their hash distances),
 * where it was paired with every one of them (INT_MAX otherwise: it cannot stand for
 * them).  A copy lies one change from its original and two from another copy of it (a
 * noisy copy and a blurred one), so of pictures alike in pixels and date the original
 * lies nearest the others, where the file's size would rank a noisy or blurred PNG
 * first.  The best-ranked member becomes the keeper when its pair with each other
 * member would have let it take that one (shows_more, loses_colour, contested as in
 * the star); the groups keep their members, only the keeper changes, so the centers
 * never move a pair.  A group whose keeper stays though a member lies nearer gets its
 * centers cleared, so that the key says nothing there.  The best-ranked member is
 * found as members compare (rank_in: two of one canvas, same_canvas, alike in pixels).
 * Groups of two (the centers tie) are left as they are unless their pictures are one
 * canvas, and so are groups of over GRP_CENTER_MAX members.  0, or a negative AD_E*
 * code. */
static int recentre(struct grp_item *items, size_t n, const struct mih_pair *pairs,
    const struct pres *res, size_t np, const uint32_t *off, const uint32_t *adj,
    const struct mih_pair *conf, size_t nconf, const struct mih_pair *hue, size_t nhue,
    const struct grp_opts *o, aderr *err)
{
	long *head, *nxt;
	size_t mem[GRP_CENTER_MAX];
	int rc = group_lists(items, n, &head, &nxt, err);

	if (rc < 0)
		return rc;
	for (size_t k = 0; k < n; k++) {
		size_t m = 0;

		/* (a keeper put in by a swap below has no list: its group is done) */
		if (items[k].keeper != (long)k || head[k] < 0 || items[k].count < 2 ||
		    items[k].count > GRP_CENTER_MAX)
			continue;
		mem[m++] = k;
		for (long x = head[k]; x >= 0; x = nxt[x])
			if ((size_t)x != k)
				mem[m++] = (size_t)x;
		/* a group of two only where its pictures are one canvas (same_canvas): the
		 * centers tie, and the keys after the pixels choose */
		if (m == 2 && !same_canvas(&items[mem[0]], &items[mem[1]]))
			continue;
		rc = recentre_one(items, k, mem, m, SIZE_MAX, pairs, res, np, off, adj, conf, nconf,
		    hue, nhue, o, err);
		if (rc < 0)
			break;
		rc = 0;
	}
	free(head);
	free(nxt);
	return rc;
}

/* Star, with the center key: a picture no group took (its partners all in groups whose
 * keepers do not match it, and no sure link carried it: a crop of a photo whose blurred
 * or noisy copy, a larger file, became the keeper) joins the group of a member it was
 * paired with when, counted with it, a member other than the keeper lies nearest the
 * rest and could take each one, itself included: that member becomes the keeper (as
 * recentre makes it) and takes it.  Of pictures alike in pixels and date, the original
 * is one change from each copy and the keeper the size chose two from the one left out;
 * counted over all of them, the original is the center, and the star around it holds
 * the picture the other left out.  Not where the picture was told apart from a member
 * (conf) or a reviewer's decision keeps it apart.  Its pairs are tried surest first;
 * the pictures in rank order (idx).  0, or a negative AD_E* code. */
static int centre_left_out(struct grp_item *items, size_t n, const size_t *idx,
    const struct mih_pair *pairs, const struct pres *res, size_t np, const uint32_t *off,
    const uint32_t *adj, const struct mih_pair *conf, size_t nconf,
    const struct mih_pair *hue, size_t nhue, const struct grp_opts *o, aderr *err)
{
	long *head, *nxt;
	size_t mem[GRP_CENTER_MAX];
	int rc = group_lists(items, n, &head, &nxt, err);

	if (rc < 0)
		return rc;
	for (size_t q = 0; q < n && rc == 0; q++) {
		size_t j = idx[q];

		if (items[j].keeper >= 0 || off[j + 1] == off[j])
			continue;
		/* (its pairs are in order, surest first: join_left_out, which ran before,
		 * sorted them when it tried it) */
		for (uint32_t e = off[j]; e < off[j + 1]; e++) {
			uint32_t p = adj[e];
			size_t m = 0, x = pairs[p].a == j ? pairs[p].b : pairs[p].a;
			long k = items[x].keeper, y;

			if (res[p].stage == GRP_NONE || k < 0 || (size_t)k == x || items[x].via >= 0 ||
			    items[k].count + 1 > GRP_CENTER_MAX || head[k] < 0)
				continue;
			if (o->apart != NULL && dec_apart_refuses(o->apart, items, (size_t)k, j))
				continue;
			if (apart_from_group(conf, nconf, head, nxt, k, j))
				continue;
			mem[m++] = (size_t)k;
			for (y = head[k]; y >= 0; y = nxt[y])
				if ((size_t)y != (size_t)k)
					mem[m++] = (size_t)y;
			mem[m++] = j;
			rc = recentre_one(items, (size_t)k, mem, m, j, pairs, res, np, off, adj, conf,
			    nconf, hue, nhue, o, err);
			if (rc < 0)
				break;
			if (rc == 0)
				continue;
			/* (the lists: the group's under its new keeper, the picture in it) */
			rc = 0;
			head[items[x].keeper] = head[k];
			if (items[x].keeper != k)
				head[k] = -1;
			nxt[j] = head[items[x].keeper];
			head[items[x].keeper] = (long)j;
			break;
		}
	}
	free(head);
	free(nxt);
	return rc;
}

/* Groups over the accepted pairs, in rank order (idx), by the mode:
 *   star: each item not yet taken becomes a keeper and takes the free items it is
 *         paired with;
 *   clique: the same, but an item joins only if it is paired with every member so far;
 *   components: pairs are joined transitively; the best-ranked member keeps. */
static int group_pairs(struct grp_item *items, size_t n, size_t *idx,
    const struct grp_opts *o, struct grp_stats *st, aderr *err)
{
	struct mih_pair *pairs = NULL, *conf = NULL, *hue = NULL;
	struct pres *res = NULL;
	size_t np = 0, nconf = 0, nhue = 0, cap, *pos = NULL, *up = NULL;
	uint32_t *off = NULL, *adj = NULL, *mem = NULL;
	/* each item as the star has seen it: not yet a keeper (OPEN), a keeper (KEPT), or
	 * one that took nothing (ALONE: a later keeper may take it, one as large) */
	enum { OPEN = 0, KEPT = 1, ALONE = 2 };
	unsigned char *done = NULL;
	int rc = 0, r = o->exact_only ? 0 : o->phash_max, streamed = 0, turned = 0;
	struct cl_stream cs;
	size_t before;
	uint8_t *lbg = NULL;
	struct mih_pair *vouch = NULL;
	size_t nvouch = 0;

	for (size_t i = 0; i < n; i++) {
		st->low_info += items[i].low_info != 0;
		turned |= items[i].has8;
	}
	/* a search that lists its pairs lists them here, before the others */
	if (o->search == GRP_SEARCH_ALL) {
		rc = brute_pairs(items, n, r, o->rotations && !o->exact_only, &pairs, &np, err);
	} else if (o->gpu != NULL) {
		int rot = o->rotations && !o->exact_only;
		uint64_t (*v)[8] = malloc((n ? n : 1) * sizeof *v);

		if (v == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 8; k++)
				v[i][k] = rot && items[i].has8 ? items[i].phash8[k] : items[i].phash;
		if (rot) {
			rc = gpu_pairs8(o->gpu, (const uint64_t (*)[8])v, n, r, &pairs, &np, err);
		} else {
			uint64_t *codes = (uint64_t *)v;  /* the first column, packed in place */

			for (size_t i = 1; i < n; i++)
				codes[i] = v[i][0];   /* reads 8i, writes i <= 8i: never ahead */
			rc = gpu_pairs(o->gpu, codes, n, r, &pairs, &np, err);
		}
		free(v);
	} else {
		streamed = 1;
	}
	if (rc < 0)
		return rc;
	/* the pairs of one checksum and of the descriptor index (found before the hash
	 * search streams its pairs, so that the index's peak and the kept pairs are not held
	 * at once); the local candidates are the pairs the index adds to those of the search
	 * and the checksums */
	cap = np;
	if (add_sum_pairs(items, n, &pairs, &np, &cap) < 0 ||
	    (!o->exact_only && (add_flat_pairs(items, n, &pairs, &np, &cap) < 0 ||
	    add_smooth_pairs(items, n, o, &pairs, &np, &cap) < 0 ||
	    (o->local && add_caption_pairs(items, n, &pairs, &np, &cap) < 0)))) {
		free(pairs);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	unique_pairs(pairs, &np);       /* sorted: the index looks pairs up in them */
	before = np;
	if (o->local && !o->exact_only) {
		if ((lbg = malloc(n ? n : 1)) == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		else
			memset(lbg, GRP_MARGIN_OPEN, n ? n : 1);
		if (rc == 0)
			rc = lsh_pairs(items, n, o, &pairs, &np, &cap, before, lbg,
			    &st->local_crowded, &vouch, &nvouch, err);
		if (rc < 0) {
			free(lbg);
			free(pairs);
			free(vouch);
			return rc;
		}
		unique_pairs(vouch, &nvouch);
	}
	unique_pairs(pairs, &np);
	if ((rc = cl_stream_init(&cs, items, n, o, r, err)) < 0) {
		free(lbg);
		free(pairs);
		free(vouch);
		return rc;
	}
	cs.vouch = vouch;
	cs.nvouch = nvouch;
	/* the neighbours the index left out, in the first worker's share */
	for (size_t i = 0; lbg != NULL && i < n; i++)
		cs.part[0].bg[i] = lbg[i] < cs.part[0].bg[i] ? lbg[i] : cs.part[0].bg[i];
	free(lbg);
	/* the hash search that hands its pairs over: each decided as it comes */
	if (streamed && o->rotations && !o->exact_only && turned) {
		/* each item's own hash among the eight forms of every item (without any
		 * turned forms, the plain search finds the same pairs: an item's forms are
		 * then its own hash eight times) */
		uint64_t *codes = NULL, *own = NULL;

		if (n > UINT32_MAX / 8)
			rc = aderr_set(err, AD_ETOOBIG, "too many images to match turned copies (%zu)", n);
		else if ((codes = malloc((n ? n : 1) * 8 * sizeof *codes)) == NULL ||
		    (own = malloc((n ? n : 1) * sizeof *own)) == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			for (int k = 0; k < 8; k++)
				codes[i * 8 + (size_t)k] = items[i].has8 ? items[i].phash8[k] : items[i].phash;
			own[i] = codes[i * 8];
		}
		cs.codes = codes;
		if (rc == 0)
			rc = mih_cross_forms_each(own, n, codes, 8, r, o->threads, turned_sink, &cs, err);
		free(own);
	} else if (streamed) {
		uint64_t *codes = malloc((n ? n : 1) * sizeof *codes);

		if (codes == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; rc == 0 && i < n; i++)
			codes[i] = items[i].phash;
		if (rc == 0)
			rc = mih_pairs_each(codes, n, r, o->threads, plain_sink, &cs, err);
		free(codes);
	}
	if (rc < 0) {
		free(pairs);
		cl_stream_free(&cs);
		return rc;
	}
	/* the listed pairs less those the search handed over */
	if (streamed) {
		size_t w = 0;

		for (size_t p = 0; p < np; p++)
			if (!(cs.codes != NULL ? turned_hit(cs.codes, pairs[p].a, pairs[p].b, r) :
			    hash_hamming(items[pairs[p].a].phash, items[pairs[p].b].phash) <= r))
				pairs[w++] = pairs[p];
		np = w;
	}
	if (o->local && !o->exact_only)
		st->local_candidates = np > before ? np - before : 0;
	rc = cl_first_list(&cs, pairs, np, err);
	free(pairs);
	pairs = NULL;
	if (rc == 0)
		rc = classify(&cs, &pairs, &np, &res, &conf, &nconf, &hue, &nhue, st, err);
	cl_stream_free(&cs);
	if (rc < 0)
		return rc;
	/* a copy that carries a caption or a watermark its copies lack ranks after them at
	 * equal pixels (keep_cmp): the ranking again when the detail pass found one */
	{
		int again = 0;

		for (size_t p = 0; p < np; p++)
			if (res[p].stage != GRP_NONE && res[p].overlay != 0) {
				items[res[p].overlay == 1 ? pairs[p].a : pairs[p].b].overlaid = 1;
				again = 1;
			}
		if (again) {
			struct rank_ctx ctx = { items, o };

			qsort_r(idx, n, sizeof(*idx), rank_cmp, &ctx);
		}
	}
	off = calloc(n + 1, sizeof *off);
	adj = malloc((np ? 2 * np : 1) * sizeof *adj);
	done = calloc(n ? n : 1, 1);
	pos = malloc((n ? n : 1) * sizeof *pos);
	mem = malloc((n ? n : 1) * sizeof *mem);
	if (off == NULL || adj == NULL || done == NULL || pos == NULL || mem == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		goto out;
	}
	for (size_t q = 0; q < n; q++)
		pos[idx[q]] = q;
	/* each item's accepted pairs, by pair number */
	for (size_t p = 0; p < np; p++)
		off[pairs[p].a + 1]++, off[pairs[p].b + 1]++;
	for (size_t i = 0; i < n; i++)
		off[i + 1] += off[i];
	for (size_t p = 0; p < np; p++) {
		adj[off[pairs[p].a]++] = (uint32_t)p;
		adj[off[pairs[p].b]++] = (uint32_t)p;
	}
	memmove(off + 1, off, n * sizeof *off);
	off[0] = 0;

	if (o->mode == GRP_MODE_COMPONENTS) {
		up = malloc((n ? n : 1) * sizeof *up);
		if (up == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			up[i] = i;
		for (size_t p = 0; p < np; p++) {
			size_t x = uf_find(up, pairs[p].a), y = uf_find(up, pairs[p].b);

			st->compared++;
			if (x != y && o->apart != NULL && (rc = dec_apart_joins(o->apart, up, x, y)) != 0) {
				/* a decision keeps them apart: the end in the worse-ranked part stays out */
				size_t w = pos[x] < pos[y] ? x : y, j = x == w ? pairs[p].b : pairs[p].a;

				if (rc < 0) {
					rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
					goto out;
				}
				rc = 0;
				if (items[j].apart_from < 0)
					items[j].apart_from = (long)w;
				continue;
			}
			/* the root is the best ranked, so it is the keeper */
			if (x != y) {
				if (pos[x] < pos[y])
					up[y] = x;
				else
					up[x] = y;
				if (o->apart != NULL)
					dec_apart_union(o->apart, pos[x] < pos[y] ? x : y, pos[x] < pos[y] ? y : x);
			}
		}
		for (size_t i = 0; i < n; i++)
			if (items[i].apart_from >= 0)
				items[i].apart_from = (long)uf_find(up, (size_t)items[i].apart_from);
		for (size_t q = 0; q < n; q++) {
			size_t j = idx[q], k = uf_find(up, j);
			long p;

			if (k == j)
				continue;
			items[k].count = items[k].count ? items[k].count : 1;
			items[k].keeper = (long)k;
			p = find_pair(pairs, np, (uint32_t)k, (uint32_t)j);
			if (p >= 0) {
				take(items, k, j, &pairs[p], &res[p], GRP_NONE);
			} else {
				/* joined through others: near, with its distances to the keeper */
				struct mih_pair pr = { (uint32_t)(k < j ? k : j), (uint32_t)(k < j ? j : k) };
				struct pres x = {0};
				int dist[3], ori;

				match(&items[pr.a], &items[pr.b], o, NULL, NULL, dist, &ori);
				x.stage = GRP_NEAR;
				x.orient = (int8_t)ori;
				for (int i = 0; i < 3; i++)
					x.dist[i] = (uint8_t)dist[i];
				x.margin = -1;
				x.cdiff = -1;
				take(items, k, j, &pr, &x, GRP_NEAR);
			}
		}
		goto centre;
	}
	for (size_t q = 0; q < n; q++) {
		size_t k = idx[q], nm = 0;
		struct grp_item *kp = &items[k];

		done[k] = KEPT;
		if (kp->keeper >= 0)
			continue;                /* already taken by a better keeper */
		kp->count = 1;
		if (o->mode == GRP_MODE_CLIQUE || nconf > 0 || o->apart != NULL) {
			struct pos_ctx ctx = { pos, pairs, res };

			/* star: the surest copies of the keeper first, so that one told apart
			 * from them stays out rather than they */
			qsort_r(adj + off[k], off[k + 1] - off[k], sizeof *adj,
			    o->mode == GRP_MODE_CLIQUE ? cmp_pos : cmp_strength, &ctx);
		}
		for (uint32_t e = off[k]; e < off[k + 1]; e++) {
			uint32_t p = adj[e];
			size_t j = pairs[p].a == k ? pairs[p].b : pairs[p].a;
			int all = 1;

			if (done[j] == KEPT || items[j].keeper >= 0 || shows_more(&res[p], &pairs[p], j) ||
			    loses_colour(kp, &items[j]) ||
			    (done[j] == ALONE && (items[j].area > kp->area || kp->area < 0)) ||
			    contested(items, pairs, res, off, adj, conf, nconf, hue, nhue, k, j, p))
				continue;
			st->compared++;
			if (o->apart != NULL && dec_apart_refuses(o->apart, items, k, j)) {
				/* a decision keeps it apart from the keeper or a member */
				if (items[j].apart_from < 0)
					items[j].apart_from = (long)k;
				continue;
			}
			if (o->mode == GRP_MODE_CLIQUE) {
				/* every member so far must be paired with it too */
				for (size_t x = 0; x < nm && all; x++) {
					st->compared++;
					all = find_pair(pairs, np, mem[x], (uint32_t)j) >= 0;
					if (!all && (rc = pair_matches(items, mem[x], (uint32_t)j, o, err)) < 0)
						goto out;
					all = all || rc > 0;
					rc = 0;
				}
				if (!all)
					continue;
				mem[nm++] = (uint32_t)j;
			} else if (nconf > 0) {
				/* star: a member told apart from one taken before it (a surer copy of
				 * the keeper) stays out; the keeper's likeness to both does not make
				 * them one picture (a moon matched to two of its phases) */
				for (size_t x = 0; x < nm && all; x++)
					all = find_pair(conf, nconf, mem[x], (uint32_t)j) < 0;
				if (!all)
					continue;
				mem[nm++] = (uint32_t)j;
			}
			take(items, k, j, &pairs[p], &res[p], GRP_NONE);
		}
		if (kp->count > 1) {
			kp->keeper = (long)k;
		} else {
			/* it took nothing (a gray copy takes no copy in colour: loses_colour): a
			 * keeper after it may still take it, one as large as a whole (a gray copy
			 * larger than its original stays out, kept: its pixels are not the
			 * colour one's; a frame found on one side only does not count) */
			kp->count = 0;
			done[k] = ALONE;
		}
	}
	if (o->mode == GRP_MODE_STAR)
		rc = join_left_out(items, n, idx, pairs, res, off, adj, pos, conf, nconf, o, err);
centre:
	for (int k = 0; rc == 0 && k < o->nkeys; k++)
		if (o->keys[k] == KEEP_CENTER) {
			if (o->mode == GRP_MODE_STAR && idx != NULL)
				rc = centre_left_out(items, n, idx, pairs, res, np, off, adj, conf, nconf,
				    hue, nhue, o, err);
			if (rc == 0)
				rc = recentre(items, n, pairs, res, np, off, adj, conf, nconf, hue,
				    nhue, o, err);
		}
out:
	free(pairs);
	free(conf);
	free(hue);
	free(res);
	free(off);
	free(adj);
	free(done);
	free(pos);
	free(mem);
	free(up);
	return rc;
}

/* Members of one group by their bytes: the group, then the checksum. */
static int cmp_group_sum(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	const struct grp_item *a = &items[*(const uint32_t *)pa], *b = &items[*(const uint32_t *)pb];

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return cmp_sum(pa, pb, ud);
}

long grp_exact_pairs(const struct grp_item *items, size_t n)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	unsigned char *near = calloc(n ? n : 1, 1);
	size_t m = 0;
	long pairs = 0;

	if (v == NULL || near == NULL) {
		free(v);
		free(near);
		return -1;
	}
	/* the groups that hold a near or local member */
	for (size_t i = 0; i < n; i++)
		if (items[i].group > 0 && items[i].stage != GRP_NONE && items[i].stage != GRP_EXACT)
			near[items[i].keeper] = 1;
	for (size_t i = 0; i < n; i++)
		if (items[i].group > 0 && near[items[i].keeper >= 0 ? items[i].keeper : (long)i] &&
		    (items[i].has_sha256 || items[i].content_md5[0]))
			v[m++] = (uint32_t)i;
	qsort_r(v, m, sizeof *v, cmp_group_sum, (void *)items);
	for (size_t a = 0; a < m; ) {
		size_t b = a + 1;

		while (b < m && items[v[b]].group == items[v[a]].group &&
		    same_bytes(&items[v[a]], &items[v[b]]))
			b++;
		pairs += (long)((b - a) * (b - a - 1) / 2);
		a = b;
	}
	free(v);
	free(near);
	return pairs;
}

long grp_run(struct grp_item *items, size_t n, const struct grp_opts *o, aderr *err)
{
	struct grp_stats st;

	return grp_run_stats(items, n, o, &st, err);
}

int grp_rank(const struct grp_item *items, size_t a, size_t b, const struct grp_opts *o,
    int *key)
{
	struct rank_ctx ctx = { items, o };

	keep_cmp(&items[a], &items[b], o, key);
	return rank_cmp(&a, &b, &ctx);
}

long grp_run_distinct(struct grp_item *items, size_t n, const struct grp_opts *o,
    struct grp_stats *st, aderr *err)
{
	struct rank_ctx ctx = { items, o };
	size_t *idx, nk = 0;
	long groups = 0;

	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n; i++) {
		items[i].group = 0;
		items[i].keeper = -1;
		items[i].stage = GRP_NONE;
		items[i].count = 0;
		items[i].orient = 1;
		memset(items[i].dist, 0, sizeof(items[i].dist));
		items[i].inliers = items[i].matches = items[i].verified = 0;
		items[i].captioned = items[i].caption_miss = 0;
		items[i].margin = 0;
		items[i].cover = 0;
		items[i].color_diff = -1;
		items[i].runner_up = -1;
		items[i].kept_by = 0;
		items[i].apart_from = -1;
		items[i].via = -1;
		items[i].via_kp = 0;
		items[i].reviewed = 0;
		items[i].overlaid = 0;
		items[i].center = INT_MAX;
	}
	if (n == 0)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), rank_cmp, &ctx);

	{
		int rc = group_pairs(items, n, idx, o, st, err);

		if (rc < 0) {
			free(idx);
			return rc;
		}
		/* why each keeper won: the key that put it before its best-ranked member (by
		 * the ranking as it stands now: the centers came with the groups) */
		for (size_t i = 0; i < n; i++) {
			long k = items[i].keeper;
			size_t r;

			if (k < 0 || k == (long)i)
				continue;
			r = (size_t)items[k].runner_up;
			if (items[k].runner_up < 0 || rank_cmp(&i, &r, &ctx) < 0)
				items[k].runner_up = (long)i;
		}
		for (size_t i = 0; i < n; i++)
			if (items[i].keeper == (long)i && items[i].runner_up >= 0) {
				int key;

				/* as a group's members compare (two of one canvas, same_canvas,
				 * on the keys after the pixels), where that puts the keeper first;
				 * else as the star's order put it first */
				if (keep_cmp_in(&items[i], &items[items[i].runner_up], o, 1, &key) >= 0)
					keep_cmp(&items[i], &items[items[i].runner_up], o, &key);
				items[i].kept_by = (int8_t)(items[i].keep_first > 0 ? KEEP_DECISION : key);
			}
		for (size_t i = 0; i < n; i++)
			if (items[i].count > 1)
				idx[nk++] = i;
		memmove(idx + n - nk, idx, nk * sizeof *idx);
	}
	/* number the groups in keeper-name order */
	qsort_r(idx + n - nk, nk, sizeof(*idx), keeper_name_cmp, items);
	for (size_t g = 0; g < nk; g++)
		items[idx[n - nk + g]].group = ++groups;
	for (size_t i = 0; i < n; i++)
		if (items[i].keeper >= 0)
			items[i].group = items[items[i].keeper].group;
	free(idx);
	return groups;
}
