/* featrec.h — a feature record read back into values: the counterpart of feat_to_json,
 * for the stages that compare what featx wrote (dedupe).
 *
 * The strings stay the record's: a featrec is valid while its record is. */
#ifndef AZD_FEATREC_H
#define AZD_FEATREC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "recscan.h"

struct featrec {
	const char *name;
	uint64_t phash, dhash, whash;
	uint64_t phash8[8];         /* phash_orientations, when has8 */
	int has8;
	unsigned char sha256[32];   /* when has_sha256 */
	int has_sha256;
	uint8_t color[48];          /* the colour grid, when has_color */
	int has_color;
	int low_info;               /* 1; 2 when it also has transparency (an alpha field) */
	double info;                /* featx's info (the gray levels' standard deviation);
	                             * -1 when the record has none */
	const char *content_md5;    /* or NULL */
	const char *format;         /* or NULL */
	long long size;             /* -1 when unknown */
	long long pixels;           /* width * height less the bands of an added frame
	                             * (featx's "frame"); -1 when unknown */
	int framed;                 /* the record has such a frame */
	long long area;             /* width * height, frame and all; -1 when unknown */
	int32_t wh[2];              /* width and height; -1 when unknown */
	int32_t band[4];            /* that frame's bands in pixels, top, bottom, left,
	                             * right; all 0 when framed is not set */
	uint8_t kpband[4];          /* what of that frame the keypoints' (and the detail's)
	                             * view keeps, top, bottom, left, right, in 256ths of
	                             * the view's side */
	uint16_t kpview[4];         /* where that view lies in the whole picture, left, top,
	                             * right, bottom, in 65535ths of its sides */
	long long mtime;            /* seconds since the epoch; LLONG_MAX when unknown */
};

/* Reads rec into fr (phash_orientations only with orientations): 0, or AD_EFORMAT with
 * err saying why when the record has no name or no hashes (featx did not run on it). */
int featrec_from_json(const json_t *rec, int orientations, struct featrec *fr, aderr *err);
/* featrec_from_json on a record line's members (recscan.h), whose strings this
 * NUL-terminates in the line (at their closing quotes): 0, or -1 when the record is one
 * featrec_from_json turns down or reads in a way this does not (a real size), to be
 * parsed and read by it instead.  fr's strings point into the line. */
int featrec_from_scan(struct rscan_member *m, int n, int orientations, struct featrec *fr);
/* The packed keypoints in the "local" field (kp_pack's bytes, base64): 0 with *raw
 * malloc'd (NULL when there is no such field) and *len; 1 when the field is not base64
 * (*raw NULL); AD_ENOMEM.  Whether the bytes are a packing is the keypoint cache's to
 * check. */
int featrec_local(const json_t *rec, unsigned char **raw, size_t *len);
/* The same for the field's text (b64, n bytes). */
int featrec_local_text(const char *b64, size_t n, unsigned char **raw, size_t *len);

#endif
