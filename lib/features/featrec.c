/* featrec.c — feature records' fields into values: hex hashes, base64 keypoints, times. */
#include "featrec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"
#include "rec.h"
#include "timefmt.h"

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
	fr->content_md5 = rec_str(rec, "content_md5");
	fr->format = rec_str(rec, "format");
	fr->size = rec_int(rec, "size", -1);
	fr->pixels = w > 0 && h > 0 ? w * h : -1;
	if (time_parse_iso(rec_str(rec, "mtime"), &fr->mtime, NULL) < 0)
		fr->mtime = LLONG_MAX;
	return 0;
}

int featrec_local(const json_t *rec, unsigned char **raw, size_t *len)
{
	const char *b64 = rec_str(rec, "local");
	size_t n = b64 ? strlen(b64) : 0;
	long got;

	*raw = NULL;
	*len = 0;
	if (b64 == NULL)
		return 0;
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
