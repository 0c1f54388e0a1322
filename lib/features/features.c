/* features.c — one file in, checksum, size and hashes out. */
#include "features.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "codec.h"
#include "decode.h"
#include "featmemo.h"
#include "featprof.h"
#include "hash.h"
#include "ink.h"
#include "image.h"
#include "thumb.h"

void feat_opts_default(struct feat_opts *o)
{
	o->max_pixels = 100000000ULL;
	o->max_bytes = 536870912LL;
	o->thumb = 0;
	o->local = KP_DEFAULT;
	o->gpu = NULL;
	o->mem = NULL;
	o->memo = NULL;
}

int feat_spec(const struct feat_opts *o, char *buf, size_t n)
{
	/* the limits (max_pixels, max_bytes) decide only whether an image fails, and a
	 * stored failure is never reused; the GPU computes the same bits as the CPU */
	return snprintf(buf, n, "v%d local=%d thumb=%d", FEAT_VERSION, o->local, o->thumb);
}

/* The histogram of a gray image's n pixels (four interleaved counts, so that runs of
 * one value do not wait on each other's increments). */
static void gray_hist(const struct img *g, size_t hist[256])
{
	size_t n = (size_t)g->w * (size_t)g->h, h4[4][256], i = 0;
	const unsigned char *p = g->px;

	memset(h4, 0, sizeof h4);
	for (; i + 4 <= n; i += 4) {
		h4[0][p[i]]++;
		h4[1][p[i + 1]]++;
		h4[2][p[i + 2]]++;
		h4[3][p[i + 3]]++;
	}
	for (; i < n; i++)
		h4[0][p[i]]++;
	for (int v = 0; v < 256; v++)
		hist[v] = h4[0][v] + h4[1][v] + h4[2][v] + h4[3][v];
}

/* The standard deviation of n pixels with this histogram.  The sums are whole numbers
 * far below 2^53: the same doubles as adding pixel by pixel. */
static double hist_std(const size_t hist[256], size_t n)
{
	uint64_t s = 0, q = 0;
	double sum, sq;

	for (uint64_t v = 0; v < 256; v++) {
		s += v * hist[v];
		q += v * v * hist[v];
	}
	sum = (double)s / (double)(n ? n : 1);
	sq = (double)q / (double)(n ? n : 1) - sum * sum;
	return sq > 0 ? sqrt(sq) : 0;
}

/* The standard deviation of a gray image's pixels. */
static double gray_std(const struct img *g)
{
	size_t hist[256];

	gray_hist(g, hist);
	return hist_std(hist, (size_t)g->w * (size_t)g->h);
}

/* The RGB composite of an RGBA image on white (bg 255) or black (bg 0). */
static struct img *composite(const struct img *im, unsigned bg)
{
	struct img *o = img_new(im->w, im->h, 3);
	size_t n = (size_t)im->w * (size_t)im->h;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *s = im->px + 4 * i;

		for (int c = 0; c < 3; c++)
			o->px[3 * i + (size_t)c] = (unsigned char)((s[c] * s[3] + bg * (255u - s[3]) +
			    127u) / 255u);
	}
	return o;
}

/* An RGBA decode to the RGB image the features come from: opaque pixels as they are;
 * with transparency, the composite on white, or on black when white shows next to
 * nothing and black clearly more (FEAT_ALPHA_FAINT: white pixels whose picture is in the
 * alpha channel).  Sets f->opaque and f->alpha, and with transparency *alpha (when
 * alpha is not NULL) to the alpha channel as a gray image (else NULL).
 * Frees rgba; NULL when out of memory. */
static struct img *flatten(struct img *rgba, struct feat *f, struct img **alpha)
{
	struct img *w, *b, *gw, *gb;
	size_t n = (size_t)rgba->w * (size_t)rgba->h, opaque = 0, solid = 0;
	double sw, sb;

	f->opaque = 1;
	if (alpha != NULL)
		*alpha = NULL;
	if (rgba->ch != 4)
		return rgba;
	for (size_t i = 0; i < n; i++) {
		opaque += rgba->px[4 * i + 3] >= 128;
		solid += rgba->px[4 * i + 3] == 255;
	}
	f->opaque = n ? (double)opaque / (double)n : 1;
	if (solid != n && alpha != NULL) {
		if ((*alpha = img_new(rgba->w, rgba->h, 1)) == NULL) {
			img_free(rgba);
			return NULL;
		}
		for (size_t i = 0; i < n; i++)
			(*alpha)->px[i] = rgba->px[4 * i + 3];
	}
	if (solid == n) {
		/* all opaque: the composite is the colour channels ((255 v + 127) / 255 = v) */
		w = img_new(rgba->w, rgba->h, 3);
		for (size_t i = 0; w != NULL && i < n; i++)
			memcpy(w->px + 3 * i, rgba->px + 4 * i, 3);
		img_free(rgba);
		return w;
	}
	w = composite(rgba, 255);
	if (w == NULL) {
		img_free(rgba);
		if (alpha != NULL) {
			img_free(*alpha);
			*alpha = NULL;
		}
		return NULL;
	}
	b = composite(rgba, 0);
	img_free(rgba);
	gw = img_to_gray(w);
	gb = b ? img_to_gray(b) : NULL;
	if (b == NULL || gw == NULL || gb == NULL) {
		img_free(w);
		img_free(b);
		img_free(gw);
		img_free(gb);
		if (alpha != NULL) {
			img_free(*alpha);
			*alpha = NULL;
		}
		return NULL;
	}
	sw = gray_std(gw);
	sb = gray_std(gb);
	img_free(gw);
	img_free(gb);
	if (sw < FEAT_ALPHA_FAINT && sb > FEAT_ALPHA_BLACK * sw + 1) {
		f->alpha = "black";
		img_free(w);
		return b;
	}
	f->alpha = "white";
	img_free(b);
	return w;
}

/* An added frame: a border, letterbox or pillarbox bands of one colour around the
 * picture.  Each side's band colour is the median of its outermost line; a line is part
 * of the band while the mean of every run of FRAME_RUN pixels along it stays within
 * FRAME_TOL of that colour on each channel (means, so that noise and JPEG grain inside
 * a band do not end it, while an edge or a line of text does).  A side's band is kept
 * only when the picture begins along a straight edge (FRAME_EDGE of the line's runs
 * differ, within FRAME_SOFT lines of where the band ends) and the picture is not drawn
 * on the band's colour (FRAME_GROUND).  The bands are kept only when one is at least
 * FRAME_MIN of its side and what is left is at least FRAME_KEEP of each side (a flat
 * picture or an empty page is all band, and stays whole). */
#define FRAME_RUN 8
#define FRAME_TOL 12
#define FRAME_MIN 0.02
#define FRAME_KEEP 0.3
#define FRAME_EDGE 0.5
#define FRAME_SOFT 3
#define FRAME_GROUND 0.3
#define FRAME_EVERY 4

/* pixel k of line i of one side: 0 top, 1 bottom, 2 left, 3 right */
static const unsigned char *side_px(const struct img *im, int side, int i, int k)
{
	int x, y;

	if (side < 2) {
		y = side == 0 ? i : im->h - 1 - i;
		x = k;
	} else {
		x = side == 2 ? i : im->w - 1 - i;
		y = k;
	}
	return im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
}

/* 1 when the sums of a run of e pixels are within FRAME_TOL of c on every channel, as a
 * mean. */
static int sum_near(const int sum[3], int e, const int c[3])
{
	for (int ch = 0; ch < 3; ch++)
		if (abs(sum[ch] - c[ch] * e) > FRAME_TOL * e)
			return 0;
	return 1;
}

/* The sums of the e pixels from p on, stride bytes apart. */
static void run_sum(const unsigned char *p, ptrdiff_t stride, int e, int sum[3])
{
	sum[0] = sum[1] = sum[2] = 0;
	for (int q = 0; q < e; q++, p += stride) {
		sum[0] += p[0];
		sum[1] += p[1];
		sum[2] += p[2];
	}
}

/* The runs of FRAME_RUN pixels along a line of len pixels from p on, stride bytes
 * apart, laid from its start and from its end: those whose mean is within FRAME_TOL of
 * c added to *near, all of them to *runs (a line that is a whole number of runs has
 * each run both ways: read once, counted twice); with short_runs, the shorter run each
 * way leaves at the other end too (its mean over its own pixels). */
static void line_runs(const unsigned char *p, ptrdiff_t stride, int len, int short_runs,
    const int c[3], long *near, long *runs)
{
	const int shift = len % FRAME_RUN, times = shift ? 1 : 2;
	int sum[3];

	for (int from_end = 0; from_end < (shift ? 2 : 1); from_end++) {
		/* from the start: whole runs, then the short one; from the end: the short
		 * one, then whole runs */
		int at = from_end ? shift : 0;

		if (from_end && short_runs) {
			run_sum(p, stride, shift, sum);
			*near += sum_near(sum, shift, c);
			(*runs)++;
		}
		for (int k = at; k + FRAME_RUN <= len; k += FRAME_RUN) {
			run_sum(p + k * stride, stride, FRAME_RUN, sum);
			*near += times * sum_near(sum, FRAME_RUN, c);
			*runs += times;
		}
		if (!from_end && short_runs && shift) {
			run_sum(p + (len - shift) * stride, stride, shift, sum);
			*near += sum_near(sum, shift, c);
			(*runs)++;
		}
	}
}

/* How many of line i's runs of FRAME_RUN pixels have a mean further than FRAME_TOL from
 * c on some channel, out of *runs: the runs laid from each end of the line in turn (the
 * shorter one at the other end), so that a mirrored or turned copy reads the same runs
 * and finds the same bands. */
static int runs_off(const struct img *im, int side, int i, int n, const int c[3], int *runs)
{
	long near = 0, all = 0;

	line_runs(side_px(im, side, i, 0), side < 2 ? 3 : (ptrdiff_t)im->w * 3, n, 1, c, &near,
	    &all);
	*runs = (int)all;
	return (int)(all - near);
}

/* The share of the picture inside the bands b whose runs of FRAME_RUN pixels have a mean
 * within FRAME_TOL of c: every FRAME_EVERY-th row counted from the top and from the
 * bottom, and every FRAME_EVERY-th column from the left and from the right, their runs
 * laid from both ends (line_runs), so that a mirrored or turned copy is read on the same
 * runs (about as many pixels as the picture holds, four times what every fourth row
 * from the top alone read). */
static double ground_share(const struct img *im, const int b[4], const int c[3])
{
	const int x0 = b[2], x1 = im->w - b[3], y0 = b[0], y1 = im->h - b[1];
	const int nc = (x1 - x0 + FRAME_EVERY - 1) / FRAME_EVERY, h = y1 - y0;
	const int shift = h % FRAME_RUN, times = shift ? 1 : 2;
	const ptrdiff_t row = (ptrdiff_t)im->w * 3;
	long runs = 0, near = 0;
	int *head, *tail;

	for (int k = 0; y0 + k < y1; k += FRAME_EVERY) {
		line_runs(im->px + (y0 + k) * row + x0 * 3, 3, x1 - x0, 0, c, &near, &runs);
		line_runs(im->px + (y1 - 1 - k) * row + x0 * 3, 3, x1 - x0, 0, c, &near, &runs);
	}
	/* the columns, every FRAME_EVERY-th from the left (head[0 .. nc)) and from the
	 * right (head[nc ..)), read row by row (down a column, each pixel would be a line
	 * of memory of its own), or one at a time where there is no room for their sums */
	if ((head = calloc(4 * (size_t)nc * 3, sizeof *head)) == NULL) {
		for (int k = 0; x0 + k < x1; k += FRAME_EVERY) {
			line_runs(im->px + y0 * row + (x0 + k) * 3, row, h, 0, c, &near, &runs);
			line_runs(im->px + y0 * row + (x1 - 1 - k) * 3, row, h, 0, c, &near, &runs);
		}
		return runs ? (double)near / (double)runs : 1;
	}
	tail = head + 2 * (size_t)nc * 3;
	for (int k = 0; k < h; k++) {
		const unsigned char *r = im->px + (y0 + k) * row;

		for (int i = 0; i < 2 * nc; i++) {
			const unsigned char *p = r + (i < nc ? x0 + i * FRAME_EVERY :
			    x1 - 1 - (i - nc) * FRAME_EVERY) * 3;

			head[3 * i] += p[0];
			head[3 * i + 1] += p[1];
			head[3 * i + 2] += p[2];
			if (shift && k >= shift) {
				tail[3 * i] += p[0];
				tail[3 * i + 1] += p[1];
				tail[3 * i + 2] += p[2];
			}
		}
		/* a run from the start closes, or one from the end (those from the end begin
		 * shift rows in) */
		if ((k + 1) % FRAME_RUN == 0)
			for (int i = 0; i < 2 * nc; i++) {
				near += times * sum_near(head + 3 * i, FRAME_RUN, c);
				runs += times;
				head[3 * i] = head[3 * i + 1] = head[3 * i + 2] = 0;
			}
		if (shift && k >= shift && (k + 1 - shift) % FRAME_RUN == 0)
			for (int i = 0; i < 2 * nc; i++) {
				near += sum_near(tail + 3 * i, FRAME_RUN, c);
				runs++;
				tail[3 * i] = tail[3 * i + 1] = tail[3 * i + 2] = 0;
			}
	}
	free(head);
	return runs ? (double)near / (double)runs : 1;
}

/* The bands of rgb's frame, in pixels: b[0] top, b[1] bottom, b[2] left, b[3] right;
 * all 0 when it has none.  col: each side's band colour (where b is not 0). */
static void frame_bands(const struct img *im, int b[4], int col[4][3])
{
	int len[2] = { im->w, im->h };
	double share[4];

	memset(b, 0, 4 * sizeof *b);
	if (im->ch != 3 || im->w < 4 * FRAME_RUN || im->h < 4 * FRAME_RUN)
		return;
	for (int side = 0; side < 4; side++) {
		int n = len[side >> 1], depth = side < 2 ? im->h : im->w, *c = col[side];

		/* the band colour: the median of the outermost line, channel by channel */
		for (int ch = 0; ch < 3; ch++) {
			int hist[256] = { 0 }, acc = 0, v = 0;

			for (int k = 0; k < n; k++)
				hist[side_px(im, side, 0, k)[ch]]++;
			while (v < 255 && (acc += hist[v]) * 2 < n)
				v++;
			c[ch] = v;
		}
		for (;;) {
			int runs, off;

			if (b[side] >= depth / 2) {
				b[side] = 0;    /* all band: a flat picture, not a frame */
				break;
			}
			if ((off = runs_off(im, side, b[side], n, c, &runs)) == 0) {
				b[side]++;
				continue;
			}
			/* the picture starts along a straight edge across the side, as an added
			 * band's does, within FRAME_SOFT lines (resampling and JPEG blend the
			 * line where they meet); a plain margin that ends where the drawing or
			 * the text begins is part of the picture */
			for (int k = 1; k < FRAME_SOFT && b[side] + k < depth / 2; k++) {
				int o2 = runs_off(im, side, b[side] + k, n, c, &runs);

				off = o2 > off ? o2 : off;
			}
			if (off < FRAME_EDGE * runs)
				b[side] = 0;
			break;
		}
	}
	/* a band of the colour the picture is drawn on (a page's white, the black of a sky)
	 * is its margin, not a frame: no more than FRAME_GROUND of what lies inside all the
	 * bands may be of the band's colour (each side read on the same inside, whichever
	 * side comes first, as a turned copy's sides come in another order; sides of one
	 * colour read once) */
	for (int side = 0; side < 4; side++) {
		share[side] = 0;
		for (int k = 0; k < side && b[side] > 0; k++)
			if (b[k] > 0 && memcmp(col[k], col[side], sizeof col[side]) == 0) {
				share[side] = share[k];
				break;
			}
		if (b[side] > 0 && share[side] == 0)
			share[side] = ground_share(im, b, col[side]);
	}
	for (int side = 0; side < 4; side++)
		if (share[side] > FRAME_GROUND)
			b[side] = 0;
	if (b[0] + b[1] > (1 - FRAME_KEEP) * im->h || b[2] + b[3] > (1 - FRAME_KEEP) * im->w ||
	    (b[0] < FRAME_MIN * im->h && b[1] < FRAME_MIN * im->h &&
	    b[2] < FRAME_MIN * im->w && b[3] < FRAME_MIN * im->w))
		memset(b, 0, 4 * sizeof *b);
}

/* The part of im inside the bands b (top, bottom, left, right): a new image, or NULL
 * when out of memory. */
static struct img *inside(const struct img *im, const int b[4])
{
	int w = im->w - b[2] - b[3], h = im->h - b[0] - b[1];
	size_t row = (size_t)w * (size_t)im->ch;
	struct img *c = img_new(w, h, im->ch);

	for (int y = 0; c != NULL && y < h; y++)
		memcpy(c->px + (size_t)y * row,
		    im->px + ((size_t)(y + b[0]) * (size_t)im->w + (size_t)b[2]) * (size_t)im->ch, row);
	return c;
}

/* What the keypoints see of a framed picture: the part inside the bands b with up to
 * FEAT_FRAME_KP_KEEP of each side's band left on, so that the picture's own edges (where lines
 * of text begin, a window's outline) keep the corners that place it, while a frame's
 * outer corners, which any two pictures in frames of one size share, are gone. */
static struct img *kp_view(const struct img *whole, const int b[4])
{
	int k[4];

	for (int i = 0; i < 4; i++) {
		int keep = (int)(FEAT_FRAME_KP_KEEP * (i < 2 ? whole->h : whole->w));

		k[i] = b[i] > keep ? b[i] - keep : 0;
	}
	return inside(whole, k);
}

/* 1 when every side of bands b that has a band has it in white (col: their colours). */
static int bands_white(const int b[4], int col[4][3])
{
	for (int i = 0; i < 4; i++)
		for (int ch = 0; b[i] > 0 && ch < 3; ch++)
			if (col[i][ch] < 255 - FRAME_TOL)
				return 0;
	return 1;
}

/* rgb's frame (frame_bands) into f->frame, scaled to the full-size picture, and
 * f->framed; the bands on rgb in b.  Inside an added frame of some colour, a frame of
 * white (the clear margins of an icon shown on white, a page's or a print's white
 * margins) is part of it: a border or a letterbox added to such a picture leaves
 * inside it what the picture alone leaves, its own frame found as on the picture
 * alone.  Only inside a frame that is not white itself (a white frame found first is
 * the picture's own, and its inside is no picture alone), and only white inside: a
 * band of another colour inside would be the picture's own flat body (a camera's
 * around its lens).  0, or AD_ENOMEM. */
static int find_frame(const struct img *rgb, struct feat *f, int b[4])
{
	int col[4][3];

	frame_bands(rgb, b, col);
	if (b[0] + b[1] + b[2] + b[3] > 0 && !bands_white(b, col)) {
		struct img *in = inside(rgb, b);
		int c[4], ccol[4][3];

		if (in == NULL)
			return AD_ENOMEM;
		frame_bands(in, c, ccol);
		img_free(in);
		if (c[0] + c[1] + c[2] + c[3] > 0 && bands_white(c, ccol) &&
		    b[0] + c[0] + b[1] + c[1] <= (1 - FRAME_KEEP) * rgb->h &&
		    b[2] + c[2] + b[3] + c[3] <= (1 - FRAME_KEEP) * rgb->w)
			for (int i = 0; i < 4; i++)
				b[i] += c[i];
	}
	f->framed = b[0] + b[1] + b[2] + b[3] > 0;
	for (int i = 0; i < 4; i++) {
		int full = i < 2 ? f->height : f->width, work = i < 2 ? rgb->h : rgb->w;

		f->frame[i] = (int)((long long)b[i] * full / work);
	}
	return 0;
}

/* How much a gray image shows: its standard deviation and the share of pixels within
 * FEAT_DOMINANT_TOL of the commonest value. */
static void measure(const struct img *g, struct feat *f)
{
	size_t n = (size_t)g->w * (size_t)g->h, hist[256], best = 0;

	gray_hist(g, hist);
	for (int v = 0; v < 256; v++) {
		size_t c = 0;

		for (int u = v - FEAT_DOMINANT_TOL; u <= v + FEAT_DOMINANT_TOL; u++)
			c += u >= 0 && u < 256 ? hist[u] : 0;
		best = c > best ? c : best;
	}
	f->info = hist_std(hist, n);
	f->dominant = n ? (double)best / (double)n : 1;
	/* almost all transparent shows nothing, unless the picture is in the alpha channel
	 * and shown on black (a wallpaper of white light, an overlay): then what it shows
	 * decides, as for any picture */
	f->low_info = f->info < FEAT_LOW_STD || f->dominant >= FEAT_LOW_DOMINANT ||
	    (f->opaque < FEAT_LOW_OPAQUE && (f->alpha == NULL || strcmp(f->alpha, "black") != 0));
}

/* the gray picture inside the frame and the whole one, one image when there is no frame */
static void free_work(struct img *im, struct img *whole)
{
	if (im != whole)
		img_free(im);
	img_free(whole);
}

/* feat_buffer with the bytes already held in h */
static int feat_held(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct mb_hold *h, struct feat *f, aderr *err)
{
	struct img_decode_opts dop = { FEAT_WORK_SIDE, o->max_pixels, 2 };
	struct img_info info;
	struct img *rgb = NULL, *im = NULL, *whole = NULL, *inner = NULL, *grid = NULL;
	struct img *alpha = NULL;
	unsigned int mdlen = 0;
	int rc, b[4];

	memset(f, 0, sizeof *f);
	if (len == 0)
		return aderr_set(err, AD_EEMPTY, "empty file");
	if (o->max_bytes > 0 && (unsigned long long)len > (unsigned long long)o->max_bytes)
		return aderr_set(err, AD_ETOOBIG, "too large: %zu bytes is over the %lld limit "
		    "(--max-bytes)", len, o->max_bytes);
	if (!EVP_Digest(buf, len, f->sha256, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return aderr_set(err, AD_EINTERNAL, "SHA-256 failed");
	fprof_lap(FP_SHA256);
	/* the same bytes fingerprinted earlier in this run: their features, not a decode
	 * (when even their copy cannot be had, the decode says what memory allows) */
	if (o->memo != NULL && feat_memo_get(o->memo, f->sha256, f) == 1)
		return 0;
	rc = img_decode_held(buf, len, &dop, h, &rgb, &info, err);
	if (rc < 0)
		return rc;
	fprof_lap(FP_DECODE);
	/* the working image, its gray copy, the keypoints' pyramid and scratch */
	if ((rc = membudget_hold(h, len + (size_t)rgb->w * (size_t)rgb->h * 16, err)) < 0) {
		img_free(rgb);
		return rc;
	}
	f->format = img_format_name(info.format);
	f->width = info.width;
	f->height = info.height;
	fprof_lap(FP_OTHER);
	if ((rgb = flatten(rgb, f, o->local > 0 ? &alpha : NULL)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fprof_lap(FP_FLATTEN);
	/* the hashes, the colour grid and the measures are of the picture inside an added
	 * frame, the keypoints of it with a little of the frame (kp_view) */
	if (find_frame(rgb, f, b) < 0) {
		img_free(alpha);
		img_free(rgb);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (alpha != NULL) {
		/* the shape: the alpha channel of the whole picture on the detail's grid (a
		 * margin of transparency that frame_bands took for a frame is part of it:
		 * what lies there on one copy and not on the other counts) */
		rc = kp_detail_of(alpha, KP_DETAIL, f->alpha_detail);
		img_free(alpha);
		if (rc < 0) {
			img_free(rgb);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		f->has_alpha_detail = 1;
	}
	if (o->local > 0) {
		/* the colours the detail's grid would see, of the keypoints' view */
		struct img *cv = f->framed ? kp_view(rgb, b) : NULL;

		rc = f->framed && cv == NULL ? AD_ENOMEM : kp_chroma_of(cv ? cv : rgb,
		    f->color_detail);
		img_free(cv);
		if (rc < 0) {
			img_free(rgb);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		fprof_lap(FP_CHROMA);
	}
	if (f->framed && (inner = inside(rgb, b)) == NULL) {
		img_free(rgb);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if ((grid = img_resize(inner ? inner : rgb, 4, 4)) == NULL || (fprof_lap(FP_GRID), 0) ||
	    (whole = img_to_gray(rgb)) == NULL || (f->framed && (im = inside(whole, b)) == NULL)) {
		img_free(grid);
		img_free(inner);
		img_free(rgb);
		img_free(whole);
		img_free(im);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (!f->framed)
		im = whole;
	memcpy(f->color, grid->px, sizeof f->color);
	img_free(grid);
	img_free(inner);
	img_free(rgb);
	fprof_lap(FP_GRAY);
	measure(im, f);
	fprof_lap(FP_MEASURE);
	if (o->gpu != NULL) {
		if ((rc = gpu_batcher_hash(o->gpu, im, f->phash8, &f->dhash, &f->whash, err)) < 0) {
			free_work(im, whole);
			return rc;
		}
		f->phash = f->phash8[0];
	} else if ((rc = hash_all(im, f->phash8, &f->dhash, &f->whash)) < 0) {
		free_work(im, whole);
		return aderr_set(err, rc, "out of memory hashing the image");
	} else {
		f->phash = f->phash8[0];
	}
	if (o->local > 0) {
		struct kp_set ks;
		struct img *kpim = NULL;

		if (f->framed && (kpim = kp_view(whole, b)) == NULL) {
			free_work(im, whole);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		rc = kp_detect(kpim ? kpim : whole, o->local, &ks);
		if (rc == 0)
			rc = kp_detail_of(kpim ? kpim : whole, KP_DETAIL, f->detail);
		if (rc == 0)
			rc = kp_detail_of(kpim ? kpim : whole, KP_FINE, f->fine_detail);
		/* a page is mostly paper: a picture with few pixels of one gray (a photo)
		 * is none, and is not looked at again */
		if (rc == 0 && f->dominant >= FEAT_INK_DOMINANT) {
			/* the frame the view keeps (kp_view) is no ink */
			int kept[4];

			for (int i = 0; i < 4; i++) {
				int keep = (int)(FEAT_FRAME_KP_KEEP * (i < 2 ? whole->h : whole->w));

				kept[i] = f->framed ? (b[i] > keep ? keep : b[i]) : 0;
			}
			rc = ink_of(kpim ? kpim : whole, kept, &f->ink, &f->ink_len);
		}
		img_free(kpim);
		if (rc < 0) {
			kp_free(&ks);
			feat_clear(f);
			free_work(im, whole);
			return aderr_set(err, rc, "out of memory finding keypoints");
		}
		f->nlocal = ks.n;
		f->local = kp_pack(&ks, &f->local_len);
		kp_free(&ks);
		fprof_lap(FP_PACK);
		if (f->local == NULL) {
			feat_clear(f);
			free_work(im, whole);
			return aderr_set(err, AD_ENOMEM, "out of memory packing keypoints");
		}
	}
	free_work(im, whole);
	if (o->thumb > 0 && (rc = thumb_data_uri(buf, len, o->thumb, o->max_pixels, &f->thumb,
	    err)) < 0) {
		feat_clear(f);
		return rc;
	}
	if (o->memo != NULL)
		feat_memo_put(o->memo, f);
	return 0;
}

int feat_buffer(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct feat *f, aderr *err)
{
	struct mb_hold h = { o->mem, 0, 0 };
	int rc;

	memset(f, 0, sizeof *f);
	if (len > 0 && (rc = membudget_hold(&h, len, err)) < 0)
		return rc;
	rc = feat_held(buf, len, o, &h, f, err);
	membudget_release(&h);
	return rc;
}

int feat_buffer_held(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct mb_hold *h, struct feat *f, aderr *err)
{
	return feat_held(buf, len, o, h, f, err);
}

void feat_clear(struct feat *f)
{
	free(f->thumb);
	f->thumb = NULL;
	free(f->local);
	f->local = NULL;
	f->local_len = 0;
	free(f->ink);
	f->ink = NULL;
	f->ink_len = 0;
}

/* The whole file into a new buffer (*buf, *len), refusing what feat_buffer would refuse
 * for its size before reading it, its size taken from h first (h may be NULL).  0 or a
 * negative AD_E* code. */
static int read_whole(const char *path, long long max_bytes, struct mb_hold *h,
    unsigned char **buf, size_t *len, aderr *err)
{
	struct stat st;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "cannot open");
	if (fstat(fd, &st) < 0) {
		rc = aderr_errno(err, aderr_from_errno(errno), errno, "cannot stat");
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return aderr_set(err, S_ISDIR(st.st_mode) ? AD_EIO : AD_EUNSUP,
		    "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return aderr_set(err, AD_EEMPTY, "empty file");
	}
	if (max_bytes > 0 && st.st_size > max_bytes) {
		close(fd);
		return aderr_set(err, AD_ETOOBIG, "too large: %lld bytes is over the %lld limit "
		    "(--max-bytes)", (long long)st.st_size, max_bytes);
	}
	*len = (size_t)st.st_size;
	if (h != NULL && (rc = membudget_hold(h, *len, err)) < 0) {
		close(fd);
		return rc;
	}
	if ((*buf = malloc(*len)) == NULL) {
		close(fd);
		return aderr_set(err, AD_ENOMEM, "out of memory reading %zu bytes", *len);
	}
	while (got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = aderr_errno(err, aderr_from_errno(errno), errno, "read failed");
			free(*buf);
			*buf = NULL;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;  /* the file shrank while we read it: hash what is there */
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

int feat_file(const char *path, const struct feat_opts *o, struct feat *f, aderr *err)
{
	struct feat_opts dflt;
	struct mb_hold h = { NULL, 0, 0 };
	unsigned char *buf;
	size_t len;
	int rc;

	memset(f, 0, sizeof *f);
	if (o == NULL) {
		feat_opts_default(&dflt);
		o = &dflt;
	}
	h.b = o->mem;
	if ((rc = read_whole(path, o->max_bytes, &h, &buf, &len, err)) < 0) {
		membudget_release(&h);
		return rc;
	}
	rc = feat_held(buf, len, o, &h, f, err);
	free(buf);
	membudget_release(&h);
	return rc;
}

int feat_work_gray(const char *path, struct img **gray, aderr *err)
{
	struct img_decode_opts dop = { FEAT_WORK_SIDE, 0, 2 };
	struct img_info info;
	struct img *rgb = NULL;
	struct feat f;
	unsigned char *buf;
	size_t len;
	int rc;

	*gray = NULL;
	if ((rc = read_whole(path, 0, NULL, &buf, &len, err)) < 0)
		return rc;
	rc = img_decode(buf, len, &dop, &rgb, &info, err);
	free(buf);
	if (rc < 0)
		return rc;
	if ((rgb = flatten(rgb, &f, NULL)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	*gray = img_to_gray(rgb);
	img_free(rgb);
	return *gray ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
}

/* bytes as a base64 field of rec (ASCII: no UTF-8 check of its kilobytes,
 * json_stringn_nocheck).  0, or -1 when out of memory. */
static int set_b64(json_t *rec, const char *key, const unsigned char *b, size_t len)
{
	size_t n = b64_len(len);
	char *s = malloc(n + 1);
	int rc;

	if (s == NULL)
		return -1;
	b64_encode(b, len, s);
	rc = json_object_set_new(rec, key, json_stringn_nocheck(s, n)) != 0 ? -1 : 0;
	free(s);
	return rc;
}

int feat_to_json(const struct feat *f, json_t *rec)
{
	char sha[65], h[3][17];
	int i;

	hex_encode(f->sha256, 32, sha);
	hash_to_hex(f->phash, h[0]);
	hash_to_hex(f->dhash, h[1]);
	hash_to_hex(f->whash, h[2]);
	if (json_object_set_new(rec, "format", json_string(f->format ? f->format : "unknown")) ||
	    json_object_set_new(rec, "width", json_integer(f->width)) ||
	    json_object_set_new(rec, "height", json_integer(f->height)) ||
	    json_object_set_new(rec, "sha256", json_string(sha)) ||
	    json_object_set_new(rec, "phash", json_string(h[0])) ||
	    json_object_set_new(rec, "dhash", json_string(h[1])) ||
	    json_object_set_new(rec, "whash", json_string(h[2])))
		return -1;
	{
		json_t *a = json_array();
		char x[17];

		for (i = 0; a != NULL && i < 8; i++) {
			hash_to_hex(f->phash8[i], x);
			if (json_array_append_new(a, json_string(x)) != 0) {
				json_decref(a);
				a = NULL;
			}
		}
		if (a == NULL || json_object_set_new(rec, "phash_orientations", a) != 0)
			return -1;
	}
	{
		char col[97];

		hex_encode(f->color, 48, col);
		if (json_object_set_new(rec, "color", json_string(col)) != 0)
			return -1;
	}
	if (f->local != NULL && (set_b64(rec, "local", f->local, f->local_len) < 0 ||
	    set_b64(rec, "detail", f->detail, KP_DETAIL_BYTES) < 0 ||
	    set_b64(rec, "fine_detail", f->fine_detail, KP_FINE_BYTES) < 0 ||
	    set_b64(rec, "color_detail", f->color_detail, KP_CHROMA_BYTES) < 0 ||
	    (f->ink != NULL && set_b64(rec, "ink", f->ink, f->ink_len) < 0) ||
	    (f->has_alpha_detail &&
	    set_b64(rec, "alpha_detail", f->alpha_detail, KP_DETAIL_BYTES) < 0)))
		return -1;

	if (json_object_set_new(rec, "info", json_real(round(f->info * 10) / 10)) != 0 ||
	    (f->low_info && json_object_set_new(rec, "low_info", json_true()) != 0) ||
	    (f->alpha != NULL && json_object_set_new(rec, "alpha", json_string(f->alpha)) != 0))
		return -1;
	if (f->framed) {
		json_t *a = json_pack("[iiii]", f->frame[0], f->frame[1], f->frame[2], f->frame[3]);

		if (a == NULL || json_object_set_new(rec, "frame", a) != 0)
			return -1;
	}
	if (f->thumb != NULL && json_object_set_new(rec, "thumb", json_string(f->thumb)) != 0)
		return -1;
	return 0;
}
