/* features.h — what featx computes for one image file.
 *
 * feat_file reads the whole file, checksums the bytes (SHA-256), decodes once in colour
 * at a working scale (short side about FEAT_WORK_SIDE, see decode.h), with alpha when
 * there is some (composited on white, or on black when that shows more), takes the colour
 * summary from that image, and from its gray version the 64-bit hashes of hash.h and
 * the keypoints of keypoints.h.
 *
 * Ownership: struct feat's thumb and local are malloc'd (NULL unless asked for):
 * feat_clear frees them; format is a static string. */
#ifndef AZD_FEATURES_H
#define AZD_FEATURES_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "gpu.h"
#include "image.h"
#include "keypoints.h"
#include "membudget.h"

/* Short side of the decode everything is computed from: the hashes need 64x64 at
 * most, the keypoints a level 0 of this size (keypoints.h). */
#define FEAT_WORK_SIDE KP_BASE_SIDE

struct feat_memo;

struct feat_opts {
	unsigned long long max_pixels;  /* more pixels than this: AD_ETOOBIG */
	long long max_bytes;            /* a bigger file: AD_ETOOBIG */
	int thumb;                      /* > 0: also a thumbnail this many pixels on its long
	                                 * side (thumb.h) */
	int local;                      /* keypoints to keep (keypoints.h); 0: none */
	struct gpu_batcher *gpu;        /* hash on a GPU through it (gpu.h), or NULL */
	struct membudget *mem;          /* the memory budget the file's bytes, its decode
	                                 * (decode.h) and its features take their part of,
	                                 * shared by the threads; NULL: none */
	struct feat_memo *memo;         /* the features of bytes fingerprinted before, to
	                                 * answer a byte-identical file from (featmemo.h);
	                                 * NULL: every file decoded */
};

/* max_pixels 100000000, max_bytes 536870912 (512 MiB), local KP_DEFAULT, no budget, no
 * memo. */
void feat_opts_default(struct feat_opts *o);

/* The keypoints (and the detail) of a framed picture see it with up to this share of
 * each side left on of that side's band (features.c kp_view). */
#define FEAT_FRAME_KP_KEEP 0.05

/* The version of the feature recipes: raise it whenever any field feat_to_json writes
 * can come out different for the same file, so that stored features made the old way
 * are recomputed instead of compared with new ones. */
#define FEAT_VERSION 12

/* What a record's features depend on, as featx stamps it in "feat_spec": the feature
 * version and the options that change the fields ("v1 local=256 thumb=0").  A stored
 * record is reused only for the same spec (featstore has --spec).  Writes at most n
 * bytes with the NUL; the length snprintf gives. */
int feat_spec(const struct feat_opts *o, char *buf, size_t n);

struct feat {
	const char *format;             /* "jpeg", "png", "webp" */
	int width, height;              /* full size, after EXIF orientation */
	unsigned char sha256[32];       /* of the file's bytes */
	uint64_t phash, dhash, whash;
	uint64_t phash8[8];             /* phash as each EXIF orientation 1..8 turns the image */
	uint8_t color[48];              /* 4x4 grid of mean R, G, B, row-major */
	unsigned char *local;           /* packed keypoints (kp_pack), or NULL */
	size_t local_len;
	int nlocal;                     /* keypoints in local */
	uint8_t detail[KP_DETAIL_BYTES]; /* with local: the picture the keypoints see,
	                                 * KP_DETAIL x KP_DETAIL gray (kp_detail_of) */
	uint8_t fine_detail[KP_FINE_BYTES]; /* with local: the same picture on the fine
	                                 * grid, KP_FINE x KP_FINE */
	uint8_t alpha_detail[KP_DETAIL_BYTES]; /* with local and transparency: the whole
	                                 * picture's alpha channel on that grid, its shape
	                                 * (where the picture is, light or dark) */
	int has_alpha_detail;
	uint8_t color_detail[KP_CHROMA_BYTES]; /* with local: the colours of the picture the
	                                 * keypoints see (kp_chroma_of) */
	unsigned char *ink;             /* with local, of a page: the ink packing (ink.h) of
	                                 * the picture the keypoints see, or NULL */
	size_t ink_len;
	char *thumb;                    /* data: URI of a small JPEG, or NULL */
	double info;                    /* standard deviation of the gray working image */
	double dominant;                /* share of its pixels near the commonest gray */
	double opaque;                  /* share of pixels at least half opaque */
	const char *alpha;              /* with transparency: the background the picture
	                                 * was composited on, "white" or "black"; else NULL */
	int framed;                     /* the picture had an added frame (bands of one
	                                 * colour: a border, a letterbox), and the hashes,
	                                 * the colour grid, info and dominant are of what
	                                 * lies inside it (the keypoints are of the whole) */
	int frame[4];                   /* the frame's bands in full-size pixels: top,
	                                 * bottom, left, right */
	int low_info;                   /* the hashes carry little: info under FEAT_LOW_STD,
	                                 * dominant at least FEAT_LOW_DOMINANT, or opaque
	                                 * under FEAT_LOW_OPAQUE (unless shown on black: the
	                                 * picture is in the alpha channel) */
};

/* Low information: nearly flat, nearly one gray, or almost all transparent.  Such an
 * image's hashes are close to those of any other such image (a white JPEG, a grey PNG
 * and a transparent PNG hash alike), so dedupe groups it by its bytes only. */
#define FEAT_LOW_STD 4.0
#define FEAT_DOMINANT_TOL 4
#define FEAT_LOW_DOMINANT 0.98
#define FEAT_LOW_OPAQUE 0.02
/* A page's ink (ink.h) is looked for only where dominant is at least this (a page's
 * paper, JPEG'd and noisy, keeps 0.4 or more within FEAT_DOMINANT_TOL; a photo's
 * commonest gray a few hundredths). */
#define FEAT_INK_DOMINANT 0.1
/* With transparency the picture is composited on white, as a page, a viewer and a
 * conversion to JPEG show it, unless it shows next to nothing there (a gray standard
 * deviation under FEAT_ALPHA_FAINT: white pixels whose picture is in the alpha) and
 * FEAT_ALPHA_BLACK times more on black.  An icon or a cut-out of light colours shows on
 * white too, so its copies flattened on white and its cropped or framed copies with
 * their transparency are seen on one ground. */
#define FEAT_ALPHA_BLACK 1.5
#define FEAT_ALPHA_FAINT 3.0

void feat_clear(struct feat *f);

/* 0, or a negative AD_E* with err->msg a reason without the file name, such as
 * "truncated: JPEG data ends early" or "empty file". */
int feat_file(const char *path, const struct feat_opts *o, struct feat *f, aderr *err);

/* The gray working image feat_file finds keypoints in, and hashes when it has no added
 * frame (the colour decode at FEAT_WORK_SIDE, then luma), for tests and benchmarks that
 * must see the same pixels.
 * 0 with *gray a new image, or a negative AD_E* code. */
int feat_work_gray(const char *path, struct img **gray, aderr *err);

/* Same from bytes already in memory. */
int feat_buffer(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct feat *f, aderr *err);

/* The same with the bytes already held in h (h->b being o->mem): a reader that took
 * their room from the budget before it fetched them.  h keeps what the decode held until
 * the caller releases it. */
int feat_buffer_held(const unsigned char *buf, size_t len, const struct feat_opts *o,
    struct mb_hold *h, struct feat *f, aderr *err);

/* Adds format, width, height, sha256 (64 lowercase hex), phash, dhash, whash (16
 * lowercase hex each), phash_orientations, color (96 lowercase hex), local (base64 of
 * the packed keypoints, when computed) and thumb to the record; 0, or -1 when out of
 * memory. */
int feat_to_json(const struct feat *f, json_t *rec);

#endif
