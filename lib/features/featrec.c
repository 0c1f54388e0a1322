/* featrec.c — feature records' fields into values: hex hashes, base64 keypoints, times. */
#include "featrec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "features.h"
#include "hash.h"
#include "rec.h"
#include "timefmt.h"

/* The picture's pixels: width x height less the bands of an added frame featx found
 * (top, bottom, left, right), so that a bordered copy is not the larger picture, and
 * less FRAME_SLACK more: a framed copy outranks a copy without a frame only with clearly
 * more of the picture, not for the few pixels of a band featx ended a line early (a
 * blurred edge) or could not tell from the picture on one side (a tan band beside a
 * tan table); -1 when unknown. */
#define FRAME_SLACK 0.1
static long long content_pixels(long long w, long long h, const long long b[4])
{
	if (w <= 0 || h <= 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (b[i] < 0 || b[i] > (i < 2 ? h : w))
			return w * h;       /* not a frame of this picture */
	if (b[0] + b[1] + b[2] + b[3] == 0 || b[0] + b[1] >= h || b[2] + b[3] >= w)
		return w * h;
	return (long long)((double)(w - b[2] - b[3]) * (double)(h - b[0] - b[1]) * (1 - FRAME_SLACK));
}

/* The picture's sides and, where b is a frame of it (framed), its bands. */
static void frame_sides(long long w, long long h, const long long b[4], struct featrec *fr)
{
	int ok = w > 0 && h > 0 && w <= INT32_MAX && h <= INT32_MAX;

	fr->wh[0] = ok ? (int32_t)w : -1;
	fr->wh[1] = ok ? (int32_t)h : -1;
	for (int i = 0; i < 4; i++)
		fr->band[i] = ok && fr->framed ? (int32_t)b[i] : 0;
}

/* What of the frame b (full-size pixels of a w x h picture) the keypoints' view keeps
 * (features.c kp_view: up to FEAT_FRAME_KP_KEEP of each side), in 256ths of the view's
 * side; all 0 when b is no frame of this picture.  And where that view lies in the
 * picture (view: left, top, right, bottom in 65535ths of its sides; the whole picture
 * when b is no frame of it). */
static void kp_bands(long long w, long long h, const long long b[4], uint8_t out[4],
    uint16_t view[4])
{
	long long kept[4], side[2];

	memset(out, 0, 4);
	view[0] = view[1] = 0;
	view[2] = view[3] = 65535;
	if (w <= 0 || h <= 0 || content_pixels(w, h, b) == w * h)
		return;
	for (int i = 0; i < 4; i++) {
		long long keep = (long long)(FEAT_FRAME_KP_KEEP * (double)(i < 2 ? h : w));

		kept[i] = b[i] < keep ? b[i] : keep;
	}
	/* the view is the picture less the bands beyond what it keeps */
	view[0] = (uint16_t)(65535 * (b[2] - kept[2]) / w);
	view[1] = (uint16_t)(65535 * (b[0] - kept[0]) / h);
	view[2] = (uint16_t)(65535 - 65535 * (b[3] - kept[3]) / w);
	view[3] = (uint16_t)(65535 - 65535 * (b[1] - kept[1]) / h);
	side[0] = h - b[0] - b[1] + kept[0] + kept[1];
	side[1] = w - b[2] - b[3] + kept[2] + kept[3];
	for (int i = 0; i < 4; i++) {
		long long v = side[i / 2] > 0 ? 256 * kept[i] / side[i / 2] : 0;

		out[i] = (uint8_t)(v > 255 ? 255 : v);
	}
}

int featrec_from_json(const json_t *rec, int orientations, struct featrec *fr, aderr *err)
{
	long long w = rec_int(rec, "width", -1), h = rec_int(rec, "height", -1);

	memset(fr, 0, sizeof *fr);
	if ((fr->name = rec_name(rec)) == NULL)
		return aderr_set(err, AD_EFORMAT, "record has no name");
	if (hash_from_hex(rec_str(rec, "phash"), &fr->phash) < 0 ||
	    hash_from_hex(rec_str(rec, "dhash"), &fr->dhash) < 0 ||
	    hash_from_hex(rec_str(rec, "whash"), &fr->whash) < 0)
		return aderr_set(err, AD_EFORMAT, "no features (run featx first)");
	fr->has_sha256 = hex_decode(rec_str(rec, "sha256"), fr->sha256, 32) == 0;
	if (orientations) {
		const json_t *a = json_object_get(rec, "phash_orientations");

		fr->has8 = json_array_size(a) == 8;
		for (size_t k = 0; fr->has8 && k < 8; k++)
			fr->has8 = hash_from_hex(json_string_value(json_array_get(a, k)), &fr->phash8[k]) == 0;
	}
	fr->has_color = hex_decode(rec_str(rec, "color"), fr->color, 48) == 0;
	fr->low_info = json_is_true(json_object_get(rec, "low_info"));
	if (fr->low_info && json_object_get(rec, "alpha") != NULL)
		fr->low_info = 2;   /* with transparency: never one flat picture with an opaque one */
	fr->info = json_is_number(json_object_get(rec, "info")) &&
	    json_number_value(json_object_get(rec, "info")) >= 0 ?
	    json_number_value(json_object_get(rec, "info")) : -1;
	fr->content_md5 = rec_str(rec, "content_md5");
	fr->format = rec_str(rec, "format");
	fr->size = rec_int(rec, "size", -1);
	{
		const json_t *f = json_object_get(rec, "frame");
		long long b[4] = { 0, 0, 0, 0 };

		for (size_t k = 0; json_array_size(f) == 4 && k < 4; k++)
			b[k] = json_is_integer(json_array_get(f, k)) ?
			    json_integer_value(json_array_get(f, k)) : -1;
		fr->pixels = content_pixels(w, h, b);
		fr->area = w > 0 && h > 0 ? w * h : -1;
		fr->framed = fr->pixels != fr->area;
		frame_sides(w, h, b, fr);
		kp_bands(w, h, b, fr->kpband, fr->kpview);
	}
	if (time_parse_iso(rec_str(rec, "mtime"), &fr->mtime, NULL) < 0)
		fr->mtime = LLONG_MAX;
	return 0;
}

/* The member's string NUL-terminated in place (its closing quote), or NULL when it is
 * not a string (rec_str's answer). */
static const char *scan_str(struct rscan_member *m, int n, const char *key)
{
	struct rscan_member *x = (struct rscan_member *)rscan_get(m, n, key);

	if (x == NULL || x->v.type != RSCAN_STRING)
		return NULL;
	((char *)x->v.p)[x->v.len] = '\0';
	return x->v.p;
}

/* rec_int's answer for an integer or an absent member or one of another kind (dflt); -1
 * for a real, which this leaves to rec_int. */
static int scan_int(const struct rscan_member *m, int n, const char *key, long long dflt,
    long long *out)
{
	const struct rscan_member *x = rscan_get(m, n, key);
	char buf[24];

	*out = dflt;
	if (x == NULL || x->v.type != RSCAN_INT)
		return x != NULL && x->v.type == RSCAN_REAL ? -1 : 0;
	memcpy(buf, x->v.p, x->v.len);       /* at most 19 characters: recscan.h */
	buf[x->v.len] = '\0';
	*out = strtoll(buf, NULL, 10);
	return 0;
}

/* A number member's value, or -1 when it is absent, not a number or negative (the
 * answer featrec_from_json gives). */
static double scan_real(const struct rscan_member *m, int n, const char *key)
{
	const struct rscan_member *x = rscan_get(m, n, key);
	char buf[64], *end;
	double v;

	if (x == NULL || (x->v.type != RSCAN_INT && x->v.type != RSCAN_REAL) ||
	    x->v.len >= sizeof buf)
		return -1;
	memcpy(buf, x->v.p, x->v.len);
	buf[x->v.len] = '\0';
	v = strtod(buf, &end);
	return *end == '\0' && v >= 0 ? v : -1;
}

int featrec_from_scan(struct rscan_member *m, int n, int orientations, struct featrec *fr)
{
	long long w, h;

	memset(fr, 0, sizeof *fr);
	if (scan_int(m, n, "width", -1, &w) < 0 || scan_int(m, n, "height", -1, &h) < 0 ||
	    scan_int(m, n, "size", -1, &fr->size) < 0)
		return -1;
	if ((fr->name = scan_str(m, n, "name")) == NULL ||
	    hash_from_hex(scan_str(m, n, "phash"), &fr->phash) < 0 ||
	    hash_from_hex(scan_str(m, n, "dhash"), &fr->dhash) < 0 ||
	    hash_from_hex(scan_str(m, n, "whash"), &fr->whash) < 0) {
		/* featrec_from_json says why, on the line as it was: the quotes back */
		for (int i = 0; i < n; i++)
			if (m[i].v.type == RSCAN_STRING)
				((char *)m[i].v.p)[m[i].v.len] = '"';
		return -1;
	}
	fr->has_sha256 = hex_decode(scan_str(m, n, "sha256"), fr->sha256, 32) == 0;
	if (orientations) {
		const struct rscan_member *a = rscan_get(m, n, "phash_orientations");
		struct rscan_val e[8];
		int ne = 0;

		fr->has8 = a != NULL && rscan_array(&a->v, e, 8, &ne) && ne == 8;
		for (int k = 0; fr->has8 && k < 8; k++) {
			char hex[17];

			fr->has8 = e[k].type == RSCAN_STRING && e[k].len == 16;
			if (fr->has8) {
				memcpy(hex, e[k].p, 16);
				hex[16] = '\0';
				fr->has8 = hash_from_hex(hex, &fr->phash8[k]) == 0;
			}
		}
	}
	fr->has_color = hex_decode(scan_str(m, n, "color"), fr->color, 48) == 0;
	fr->low_info = rscan_get(m, n, "low_info") != NULL &&
	    rscan_get(m, n, "low_info")->v.type == RSCAN_TRUE;
	if (fr->low_info && rscan_get(m, n, "alpha") != NULL)
		fr->low_info = 2;
	fr->info = scan_real(m, n, "info");
	fr->content_md5 = scan_str(m, n, "content_md5");
	fr->format = scan_str(m, n, "format");
	{
		const struct rscan_member *f = rscan_get(m, n, "frame");
		struct rscan_val e[4];
		long long b[4] = { 0, 0, 0, 0 };
		int ne = 0;

		if (f != NULL && rscan_array(&f->v, e, 4, &ne) && ne == 4)
			for (int k = 0; k < 4; k++) {
				char buf[24];

				if (e[k].type != RSCAN_INT) {
					b[k] = -1;
					continue;
				}
				memcpy(buf, e[k].p, e[k].len);   /* at most 19: recscan.h */
				buf[e[k].len] = '\0';
				b[k] = strtoll(buf, NULL, 10);
			}
		fr->pixels = content_pixels(w, h, b);
		fr->area = w > 0 && h > 0 ? w * h : -1;
		fr->framed = fr->pixels != fr->area;
		frame_sides(w, h, b, fr);
		kp_bands(w, h, b, fr->kpband, fr->kpview);
	}
	if (time_parse_iso(scan_str(m, n, "mtime"), &fr->mtime, NULL) < 0)
		fr->mtime = LLONG_MAX;
	return 0;
}

int featrec_local(const json_t *rec, unsigned char **raw, size_t *len)
{
	const char *b64 = rec_str(rec, "local");

	*raw = NULL;
	*len = 0;
	if (b64 == NULL)
		return 0;
	return featrec_local_text(b64, strlen(b64), raw, len);
}

int featrec_local_text(const char *b64, size_t n, unsigned char **raw, size_t *len)
{
	long got;

	*raw = NULL;
	*len = 0;
	if (n % 4 != 0)
		return 1;
	if ((*raw = malloc(n / 4 * 3 + 1)) == NULL)
		return AD_ENOMEM;
	if ((got = b64_decode(b64, n, *raw)) < 0) {
		free(*raw);
		*raw = NULL;
		return 1;
	}
	*len = (size_t)got;
	return 0;
}
