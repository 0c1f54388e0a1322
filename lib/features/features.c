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
#include "featprof.h"
#include "hash.h"
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
 * with transparency, the composite on white, or on black when that shows clearly more
 * (white pixels whose picture is in the alpha channel).  Sets f->opaque and f->alpha.
 * Frees rgba; NULL when out of memory. */
static struct img *flatten(struct img *rgba, struct feat *f)
{
	struct img *w, *b, *gw, *gb;
	size_t n = (size_t)rgba->w * (size_t)rgba->h, opaque = 0, solid = 0;
	double sw, sb;

	f->opaque = 1;
	if (rgba->ch != 4)
		return rgba;
	for (size_t i = 0; i < n; i++) {
		opaque += rgba->px[4 * i + 3] >= 128;
		solid += rgba->px[4 * i + 3] == 255;
	}
	f->opaque = n ? (double)opaque / (double)n : 1;
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
		return NULL;
	}
	sw = gray_std(gw);
	sb = gray_std(gb);
	img_free(gw);
	img_free(gb);
	if (sb > FEAT_ALPHA_BLACK * sw + 1) {
		f->alpha = "black";
		img_free(w);
		return b;
	}
	f->alpha = "white";
	img_free(b);
	return w;
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
	f->low_info = f->info < FEAT_LOW_STD || f->dominant >= FEAT_LOW_DOMINANT ||
	    f->opaque < FEAT_LOW_OPAQUE;
}

/* feat_buffer with the bytes already held in h */
static int feat_held(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct mb_hold *h, struct feat *f, aderr *err)
{
	struct img_decode_opts dop = { FEAT_WORK_SIDE, o->max_pixels, 2 };
	struct img_info info;
	struct img *rgb = NULL, *im = NULL, *grid;
	unsigned int mdlen = 0;
	int rc;

	memset(f, 0, sizeof *f);
	if (len == 0)
		return aderr_set(err, AD_EEMPTY, "empty file");
	if (o->max_bytes > 0 && (unsigned long long)len > (unsigned long long)o->max_bytes)
		return aderr_set(err, AD_ETOOBIG, "too large: %zu bytes is over the %lld limit "
		    "(--max-bytes)", len, o->max_bytes);
	if (!EVP_Digest(buf, len, f->sha256, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return aderr_set(err, AD_EINTERNAL, "SHA-256 failed");
	fprof_lap(FP_SHA256);
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
	if ((rgb = flatten(rgb, f)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fprof_lap(FP_FLATTEN);
	if ((grid = img_resize(rgb, 4, 4)) == NULL || (fprof_lap(FP_GRID), 0) ||
	    (im = img_to_gray(rgb)) == NULL) {
		img_free(grid);
		img_free(rgb);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	memcpy(f->color, grid->px, sizeof f->color);
	img_free(grid);
	img_free(rgb);
	fprof_lap(FP_GRAY);
	measure(im, f);
	fprof_lap(FP_MEASURE);
	if (o->gpu != NULL) {
		if ((rc = gpu_batcher_hash(o->gpu, im, f->phash8, &f->dhash, &f->whash, err)) < 0) {
			img_free(im);
			return rc;
		}
		f->phash = f->phash8[0];
	} else if ((rc = hash_phash_dihedral(im, f->phash8)) < 0 ||
	    (f->phash = f->phash8[0], fprof_lap(FP_PHASH), 0) ||
	    (rc = hash_dhash(im, &f->dhash)) < 0 || (fprof_lap(FP_DHASH), 0) ||
	    (rc = hash_whash(im, &f->whash)) < 0 || (fprof_lap(FP_WHASH), 0)) {
		img_free(im);
		return aderr_set(err, rc, "out of memory hashing the image");
	}
	if (o->local > 0) {
		struct kp_set ks;

		if ((rc = kp_detect(im, o->local, &ks)) < 0) {
			img_free(im);
			return aderr_set(err, rc, "out of memory finding keypoints");
		}
		f->nlocal = ks.n;
		f->local = kp_pack(&ks, &f->local_len);
		kp_free(&ks);
		fprof_lap(FP_PACK);
		if (f->local == NULL) {
			img_free(im);
			return aderr_set(err, AD_ENOMEM, "out of memory packing keypoints");
		}
	}
	img_free(im);
	if (o->thumb > 0 && (rc = thumb_data_uri(buf, len, o->thumb, o->max_pixels, &f->thumb,
	    err)) < 0) {
		feat_clear(f);
		return rc;
	}
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
	if ((rgb = flatten(rgb, &f)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	*gray = img_to_gray(rgb);
	img_free(rgb);
	return *gray ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
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
	if (f->local != NULL) {
		/* base64 is ASCII: no UTF-8 check of its 13 kB (json_stringn_nocheck) */
		size_t n = b64_len(f->local_len);
		char *b64 = malloc(n + 1);

		if (b64 == NULL)
			return -1;
		b64_encode(f->local, f->local_len, b64);
		if (json_object_set_new(rec, "local", json_stringn_nocheck(b64, n)) != 0) {
			free(b64);
			return -1;
		}
		free(b64);
	}
	if (json_object_set_new(rec, "info", json_real(round(f->info * 10) / 10)) != 0 ||
	    (f->low_info && json_object_set_new(rec, "low_info", json_true()) != 0) ||
	    (f->alpha != NULL && json_object_set_new(rec, "alpha", json_string(f->alpha)) != 0))
		return -1;
	if (f->thumb != NULL && json_object_set_new(rec, "thumb", json_string(f->thumb)) != 0)
		return -1;
	return 0;
}
