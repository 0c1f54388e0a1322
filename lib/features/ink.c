/* ink.c — the ink of a page (ink.h). */
#include "ink.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"

/* edge: 1 for the cells of p (w x h) at least lo that are reached from the edge of the
 * view (the cells x0 .. x1, y0 .. y1 that a frame's bands leave: the grid's own edge
 * where there is none) through cells at least lo, else 0; stack: room for w * h. */
static void ink_edge(const unsigned char *p, int w, int h, const int view[4], int lo,
    unsigned char *edge, int *stack)
{
	size_t top = 0;

	memset(edge, 0, (size_t)w * (size_t)h);
	for (int y = view[1]; y <= view[3]; y++)
		for (int x = view[0]; x <= view[2]; x++) {
			size_t i = (size_t)y * (size_t)w + (size_t)x;

			if ((y == view[1] || y == view[3] || x == view[0] || x == view[2]) &&
			    p[i] >= lo && !edge[i]) {
				edge[i] = 1;
				stack[top++] = (int)i;
			}
		}
	while (top > 0) {
		int q = stack[--top], qx = q % w, qy = q / w;

		for (int dy = -1; dy <= 1; dy++)
			for (int dx = -1; dx <= 1; dx++) {
				int x = qx + dx, y = qy + dy;
				size_t r = (size_t)y * (size_t)w + (size_t)x;

				if (x < 0 || y < 0 || x >= w || y >= h || edge[r] || p[r] < lo)
					continue;
				edge[r] = 1;
				stack[top++] = (int)r;
			}
	}
}

/* 1 when a grid's ink (cells of w x h, 0 .. 15) is text rather than shapes (ink_of's
 * INK_SOLID), 0 when not, -1 when out of memory. */
static int ink_text(const unsigned char *p, int w, int h)
{
	size_t n = (size_t)w * (size_t)h, inked = 0, solid = 0;
	unsigned char *edge = malloc(n);
	int *stack = malloc(n * sizeof *stack);
	const int all_of[4] = { 0, 0, w - 1, h - 1 };

	if (edge == NULL || stack == NULL) {
		free(edge);
		free(stack);
		return -1;
	}
	/* the ink reached from the edge */
	ink_edge(p, w, h, all_of, INK_SOLID_LEVEL, edge, stack);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * (size_t)w + (size_t)x;
			int all = 1;

			if (p[i] < INK_SOLID_LEVEL || edge[i])
				continue;
			inked++;
			for (int dy = -1; all && dy <= 1; dy++)
				for (int dx = -1; all && dx <= 1; dx++) {
					int xx = x + dx, yy = y + dy;

					all = xx >= 0 && yy >= 0 && xx < w && yy < h &&
					    p[(size_t)yy * (size_t)w + (size_t)xx] >= INK_SOLID_LEVEL;
				}
			solid += (size_t)all;
		}
	free(edge);
	free(stack);
	return inked > 0 && (double)solid <= INK_SOLID * (double)inked;
}

/* The INK_RANGE_CELLS percentile of the cells of g (n of them) that skip leaves (NULL:
 * all), at least 1; 255 when none is left. */
static int ink_range(const unsigned char *g, size_t n, const unsigned char *skip)
{
	size_t hist[256] = { 0 }, m = 0, acc = 0;

	for (size_t i = 0; i < n; i++)
		if (skip == NULL || !skip[i]) {
			hist[g[i]]++;
			m++;
		}
	for (int k = 0; k < 256 && m > 0; k++) {
		acc += hist[k];
		if ((double)acc >= (double)m * INK_RANGE_CELLS / 100)
			return k > 0 ? k : 1;
	}
	return 255;
}

/* 1 when pixel (x, y) of a w x h picture lies in the frame's band (band may be NULL) */
static int in_band(const int band[4], int w, int h, int x, int y)
{
	return band != NULL && (y < band[0] || y >= h - band[1] || x < band[2] || x >= w - band[3]);
}

int ink_of(const struct img *gray, const int band[4], unsigned char **out, size_t *len)
{
	size_t hist[256] = { 0 }, dev[256] = { 0 }, n, near = 0, acc = 0, best = 0;
	int w, h, side, gw, gh, mode = 0, range = -1, rc;
	unsigned char *b, lut[256];
	struct img *d, *g;
	uLongf zlen;

	*out = NULL;
	*len = 0;
	if (gray == NULL || gray->ch != 1 || gray->px == NULL)
		return AD_EINTERNAL;
	w = gray->w;
	h = gray->h;
	if (w < INK_MIN_SIDE && h < INK_MIN_SIDE)
		return 0;
	n = 0;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			if (!in_band(band, w, h, x, y)) {
				hist[gray->px[(size_t)y * (size_t)w + (size_t)x]]++;
				n++;
			}
	if (n == 0)
		return 0;
	/* the paper: the commonest level, counted with its neighbours (a scan's grain), and
	 * of those five the commonest itself (a flat paper's own level, not the first of
	 * the windows that hold it: 2 levels off, the paper read as ink in one copy and not
	 * in another) */
	for (int l = 0; l < 256; l++) {
		size_t s = 0;

		for (int k = l - 2; k <= l + 2; k++)
			s += k >= 0 && k < 256 ? hist[k] : 0;
		if (s > best) {
			best = s;
			mode = l;
		}
	}
	{
		int c = mode;

		for (int k = c - 2; k <= c + 2; k++)
			if (k >= 0 && k < 256 && hist[k] > hist[mode])
				mode = k;
	}
	for (int l = mode - INK_PAPER_TOL; l <= mode + INK_PAPER_TOL; l++)
		near += l >= 0 && l < 256 ? hist[l] : 0;
	if ((double)near < INK_PAPER * (double)n || mode < INK_PAPER_LIGHT)
		return 0;
	/* the ink's range: how far from the paper the darkest (or lightest) few lie */
	for (int l = 0; l < 256; l++)
		dev[abs(l - mode)] += hist[l];
	for (int k = 0; k < 256 && range < 0; k++) {
		acc += dev[k];
		if ((double)acc >= (double)n * INK_RANGE_PCT / 100)
			range = k;
	}
	if (range < INK_RANGE_MIN)
		return 0;
	for (int l = 0; l < 256; l++) {
		int v = abs(l - mode) * 255 / range;

		lut[l] = (unsigned char)(v > 255 ? 255 : v);
	}
	if ((d = img_new(w, h, 1)) == NULL)
		return AD_ENOMEM;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * (size_t)w + (size_t)x;

			d->px[i] = in_band(band, w, h, x, y) ? 0 : lut[gray->px[i]];
		}
	side = w > h ? w : h;
	gw = (int)(((long long)w * INK_SIDE + side / 2) / side);
	gh = (int)(((long long)h * INK_SIDE + side / 2) / side);
	gw = gw < 1 ? 1 : gw;
	gh = gh < 1 ? 1 : gh;
	g = img_resize(d, gw, gh);
	img_free(d);
	if (g == NULL)
		return AD_ENOMEM;
	/* in sixteenths of the grid's own range (its INK_RANGE_CELLS percentile cell): a
	 * stroke shades a cell partly, and a softer copy's strokes spread wider and
	 * lighter.  The ink that reaches the edge of the view (INK_SOLID_LEVEL at the
	 * range of all the cells) sets no range: the corners a turned copy is filled with
	 * would make its strokes paler than its original's (a chart's dots a third as
	 * dark) */
	n = (size_t)gw * (size_t)gh;
	range = ink_range(g->px, n, NULL);
	{
		unsigned char *edge = malloc(n);
		int *stack = malloc(n * sizeof *stack);
		/* the view in cells: the bands' cells are paper, and none is read across */
		int view[4] = {
			band != NULL ? (int)(((long long)band[2] * gw + w - 1) / w) : 0,
			band != NULL ? (int)(((long long)band[0] * gh + h - 1) / h) : 0,
			gw - 1 - (band != NULL ? (int)(((long long)band[3] * gw + w - 1) / w) : 0),
			gh - 1 - (band != NULL ? (int)(((long long)band[1] * gh + h - 1) / h) : 0) };
		/* a cell at INK_SOLID_LEVEL or more once in sixteenths of range */
		int lo = (int)(((long long)INK_SOLID_LEVEL * range - range / 2 + INK_LEVELS - 2) /
		    (INK_LEVELS - 1));

		if (edge == NULL || stack == NULL) {
			free(edge);
			free(stack);
			img_free(g);
			return AD_ENOMEM;
		}
		if (view[0] <= view[2] && view[1] <= view[3]) {
			ink_edge(g->px, gw, gh, view, lo > 0 ? lo : 1, edge, stack);
			range = ink_range(g->px, n, edge);
		}
		free(edge);
		free(stack);
	}
	for (size_t i = 0; i < n; i++) {
		int v = (g->px[i] * (INK_LEVELS - 1) + range / 2) / range;

		g->px[i] = (unsigned char)(v > INK_LEVELS - 1 ? INK_LEVELS - 1 : v);
	}
	/* text, not shapes: of the cells with ink (INK_SOLID_LEVEL), at most INK_SOLID
	 * inside a patch of ink (all eight neighbours inked too), leaving out the ink that
	 * reaches the edge through inked cells (the corners a turned copy is filled with, a
	 * border the frame finder missed) */
	if ((rc = ink_text(g->px, gw, gh)) <= 0) {
		img_free(g);
		return rc < 0 ? AD_ENOMEM : 0;
	}
	zlen = compressBound((uLong)n);
	if ((b = malloc(INK_HEAD + zlen)) == NULL) {
		img_free(g);
		return AD_ENOMEM;
	}
	b[0] = 1;
	b[1] = (unsigned char)(gw & 255);
	b[2] = (unsigned char)(gw >> 8);
	b[3] = (unsigned char)(gh & 255);
	b[4] = (unsigned char)(gh >> 8);
	if (compress2(b + INK_HEAD, &zlen, g->px, (uLong)n, INK_ZLEVEL) != Z_OK) {
		img_free(g);
		free(b);
		return AD_ENOMEM;       /* zlib's only failure on a bound-sized buffer */
	}
	img_free(g);
	*out = b;
	*len = INK_HEAD + zlen;
	return 0;
}

int ink_size(const unsigned char *b, size_t len, int *w, int *h)
{
	int gw, gh;

	if (b == NULL || len <= INK_HEAD || len > INK_MAX_PACKED || b[0] != 1)
		return -1;
	gw = b[1] | b[2] << 8;
	gh = b[3] | b[4] << 8;
	if (gw < 1 || gh < 1 || gw > INK_SIDE || gh > INK_SIDE)
		return -1;
	*w = gw;
	*h = gh;
	return 0;
}

int ink_unpack(const unsigned char *b, size_t len, uint8_t *cells, int *w, int *h)
{
	uLongf n;
	int gw, gh;

	if (ink_size(b, len, &gw, &gh) < 0)
		return -1;
	n = (uLongf)gw * (uLongf)gh;
	if (uncompress(cells, &n, b + INK_HEAD, (uLong)(len - INK_HEAD)) != Z_OK ||
	    n != (uLongf)gw * (uLongf)gh)
		return -1;
	for (uLongf i = 0; i < n; i++)
		if (cells[i] >= INK_LEVELS)
			return -1;
	*w = gw;
	*h = gh;
	return 0;
}
