/* keypoints.h — local features: oriented FAST corners with rotated binary descriptors.
 *
 * For crops and other copies the global hashes miss, featx keeps up to K keypoints per
 * image, dedupe matches them between two images and checks that the matches agree on one
 * geometric transform.  The recipe, all of it integer arithmetic where it decides a bit:
 *
 *   level 0   the gray working image, resized (area average) to a short side of
 *             KP_BASE_SIDE when larger, long side at most 3 * KP_BASE_SIDE; enlarged
 *             (straight between pixels) to a short side of KP_MIN_SIDE when smaller
 *             but at least KP_ENLARGE_FLOOR;
 *   pyramid   KP_LEVELS levels, each 1/1.3 the size of the one before;
 *   corners   FAST-9 on the 16-pixel Bresenham circle of radius 3 (9 contiguous pixels
 *             all brighter, or all darker, than the centre by the threshold: 20, or 8
 *             when that finds fewer than half of K), ranked by
 *             the Harris response over a 7x7 window (k = 0.04, exact in 64-bit
 *             integers), 3x3 non-maximum suppression, spread over each level with a
 *             per-cell cap so one textured corner cannot take every keypoint; each
 *             level gets a share of K proportional to its area;
 *   angle     the intensity centroid of the disc of radius 15 around the corner,
 *             in 256 steps of a turn;
 *   descriptor 256 bits; bit i compares the 5x5 box sums at two points of a fixed
 *             pattern (pairs drawn once from an integer pseudo-Gaussian inside radius
 *             13, seeded constant; bit 2k + 1 the pair of bit 2k with y negated), the
 *             pattern turned by the angle (32 steps, the nearest, a tie to the even
 *             step).  A keypoint of the picture mirrored left-right has, up to rounding,
 *             the angle a half turn minus this one and the descriptor with the bits of
 *             each pair 2k, 2k + 1 swapped (kp_mirror).
 *
 * Keypoints come out strongest first.  Positions are in level-0 pixels.
 *
 * The packed form (kp_pack) is what records carry, base64 in the "local" field:
 *   byte 0 version (1), bytes 1-2 level-0 width, 3-4 height (little-endian), then per
 *   keypoint 38 bytes: x and y in 1/16 pixel (u16 LE each), level, angle, descriptor.
 * Version 2 (dedupe's own, never in a record) has KP_DETAIL_BYTES after the header: the
 * picture's detail (kp_detail_of, the record's "detail" field), then the keypoints as in
 * version 1, so that the strongest K are still a prefix.  Version 3 (dedupe's own too)
 * has the shape after the detail (KP_DETAIL_BYTES more: the record's "alpha_detail",
 * for a picture with transparency), then the keypoints.  Versions 4 and 5 are versions 2
 * and 3 with the colours after the grids (KP_CHROMA_BYTES more: the record's
 * "color_detail").  Any of versions 2 to 5 plus KP_PACKED_FINE has the fine detail last
 * of the grids (KP_FINE_BYTES more: the record's "fine_detail"), and any of them plus
 * KP_PACKED_INK a page's ink after the grids (the record's "ink", ink.h): its length in
 * four bytes (little-endian), then its bytes. */
#ifndef AZD_KEYPOINTS_H
#define AZD_KEYPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

#define KP_BASE_SIDE 320
/* Every corner test and descriptor keeps BORDER (16) pixels from the edges and reads a
 * patch of radius 15: of a 96-pixel icon that leaves the middle 64 pixels to find
 * corners in, and a patch a third of the picture wide; of its half-size copy, nothing.
 * A picture whose short side lies between KP_ENLARGE_FLOOR and KP_MIN_SIDE is enlarged
 * to KP_MIN_SIDE first, so that a picture and its smaller copies are seen at one size.
 * make eval's nineteen sets (feature version 11 -> 12, with dedupe's GRP_BLIND_ENLARGE):
 * recall 0.824 -> 0.842, false pairs 67 -> 58, no set's precision lower (lxde-icons at
 * 128 px 32 -> 24 false pairs, recall 0.889 -> 0.944; symbolic glyphs at 96 px 0.517 ->
 * 0.622; faenza 0.811 -> 0.878; gnome and MATE icons' halved and cropped copies; faces'
 * recall 0.917 -> 0.900).  Below the floor the keypoints of an enlarged picture are its
 * few pixels' interpolation, and make the look-alikes of one theme match: Tango's
 * 32-pixel icons and elementary-xfce's 48-pixel ones enlarged so went from 8 false pairs
 * to 35.  At KP_MIN_SIDE 128 or 192 (before the blind rule) the nineteen sets' false
 * pairs were 69 and 70. */
#define KP_MIN_SIDE 160
#define KP_ENLARGE_FLOOR 56
#define KP_LEVELS 4
#define KP_DEFAULT 256          /* keypoints per image unless told */
#define KP_MAX 4096
#define KP_FAST_THRESHOLD 20
#define KP_FAST_THRESHOLD_LOW 8  /* when the first pass finds under half of K */
#define KP_PACKED_HEAD 5
#define KP_PACKED_SIZE 38

struct kp {
	float x, y;             /* level-0 pixels */
	uint8_t level, angle;   /* angle: 256 steps of a full turn, counter-clockwise */
	uint8_t d[32];
	double response;        /* Harris response; 0 after kp_unpack */
};

/* The detail: the picture the keypoints see, shrunk (area average) to a KP_DETAIL x
 * KP_DETAIL gray grid whatever its shape, row-major.  dedupe reads one picture's through
 * the keypoints' transform against the other's to find what one shows and the other
 * does not (an emblem on a folder, another level on a battery). */
#define KP_DETAIL 32
#define KP_DETAIL_BYTES (KP_DETAIL * KP_DETAIL)
/* The fine detail: the same picture on a KP_FINE x KP_FINE grid.  At 32 cells a side a
 * line of a chart or a word of a form is a shade over a cell or two, and two charts of
 * one style, two forms of one layout, look alike; at 64 they part, while a copy still
 * lies within a cell of its original.  dedupe reads it as the detail, once the detail
 * has let a pair through. */
#define KP_FINE 64
#define KP_FINE_BYTES (KP_FINE * KP_FINE)
#define KP_PACKED_FINE 0x10
#define KP_PACKED_INK 0x20
/* The colours: the chroma of the picture the keypoints see (the detail's view), area
 * averaged to a KP_CHROMA x KP_CHROMA grid, two bytes a cell, (R - G) / 2 + 128 and
 * (B - G) / 2 + 128, row-major (kp_chroma_of).  A gray picture is 128 throughout.
 * dedupe reads two pictures' through their keypoint transform: the same shape in
 * another colour (a bottle, a lamp, a ball of one make) is another picture. */
#define KP_CHROMA 16
#define KP_CHROMA_BYTES (KP_CHROMA * KP_CHROMA * 2)

struct kp_set {
	int w, h;               /* level-0 size */
	int n;
	struct kp *kp;          /* n keypoints, strongest first */
	const uint8_t *detail;  /* KP_DETAIL_BYTES (a version-2 or 3 packing), or NULL; it
	                         * lives in kp's block and goes with kp_free */
	const uint8_t *alpha;   /* the shape: the alpha channel of the picture the
	                         * keypoints see, on the detail's grid (a version-3
	                         * packing), or NULL (an opaque picture); in kp's block too */
	const uint8_t *chroma;  /* the colours (KP_CHROMA_BYTES, a version-4 or 5 packing),
	                         * or NULL; in kp's block too */
	const uint8_t *fine;    /* the fine detail (KP_FINE_BYTES, a packing with
	                         * KP_PACKED_FINE), or NULL; in kp's block too */
	const uint8_t *ink;     /* a page's ink packing (ink.h; inklen bytes, a packing
	                         * with KP_PACKED_INK), or NULL; in kp's block too */
	size_t inklen;
	int ink_mirror;         /* the ink is of the picture mirrored left-right (kp_mirror:
	                         * the grid is read so, not turned) */
	const uint8_t *ink_cells;/* the ink unpacked once (ink_unpack: ink_w x ink_h cells) by
	                         * whoever holds the set and owns them (dedupe's keypoint
	                         * cache, for as long as the set is held), or NULL: the
	                         * reader unpacks the packing.  Never set by kp_unpack or
	                         * kp_mirror, never freed by kp_free */
	int ink_w, ink_h;
};

/* Up to max keypoints of a gray image (ch 1).  0, or AD_ENOMEM / AD_EINTERNAL.  An image
 * too small for the patches gives an empty set, not an error.  kp_free releases set->kp. */
int kp_detect(const struct img *gray, int max, struct kp_set *set);
void kp_free(struct kp_set *set);

/* The packed form, malloc'd, length in *len; NULL when out of memory. */
unsigned char *kp_pack(const struct kp_set *set, size_t *len);
/* Back from the packed form: 0, or -1 when the bytes are not a packing of a version
 * above (or memory is short). */
int kp_unpack(const unsigned char *b, size_t len, struct kp_set *set);
/* The keypoints a packing holds, or -1 when the bytes are not one. */
long kp_packed_count(const unsigned char *b, size_t len);
/* The size of a packing's header: KP_PACKED_HEAD, with the detail for version 2, the
 * shape too for version 3, the colours too for versions 4 and 5, the fine detail with
 * KP_PACKED_FINE and the ink with KP_PACKED_INK; 0 when the len bytes at b cannot
 * hold it. */
size_t kp_packed_head(const unsigned char *b, size_t len);
/* A version-1 packing and a detail as one version-2 packing, with a shape (alpha not
 * NULL) as one version-3 packing, with colours (chroma not NULL) as version 4 or 5,
 * with a fine detail (fine not NULL) plus KP_PACKED_FINE, and with a page's ink (ink not
 * NULL, inklen bytes) plus KP_PACKED_INK, malloc'd (length in *outlen); NULL when out of
 * memory. */
unsigned char *kp_pack_detail(const unsigned char *packed, size_t len,
    const uint8_t detail[KP_DETAIL_BYTES], const uint8_t *alpha, const uint8_t *chroma,
    const uint8_t *fine, const uint8_t *ink, size_t inklen, size_t *outlen);
/* The detail of a gray picture (the one kp_detect is given) on an n x n grid (KP_DETAIL,
 * or KP_FINE for the fine detail; n * n bytes).  0, or AD_ENOMEM. */
int kp_detail_of(const struct img *gray, int n, uint8_t *out);
/* The colours of a picture (3 channels, or 1: gray throughout), as the detail's grid
 * would see it.  0, or AD_ENOMEM. */
int kp_chroma_of(const struct img *rgb, uint8_t out[KP_CHROMA_BYTES]);

/* The keypoints the picture mirrored left-right would have, as far as the recipe is
 * symmetric (the corners, their ranking and angles are; the spreading cells and ties
 * are not quite): x to w - 1 - x, the angle to a half turn minus it, the descriptor's
 * partner bits swapped.  Matching a set's mirror with kp_match finds a mirrored copy.
 * 0, or AD_ENOMEM; out is then empty.  kp_free releases out->kp. */
int kp_mirror(const struct kp_set *in, struct kp_set *out);

/* Number of differing bits of two descriptors. */
int kp_distance(const uint8_t a[32], const uint8_t b[32]);

/* How two keypoint sets match: nearest neighbours under the ratio test (best distance
 * at most KP_MATCH_MAX and below 0.8 of the second best), then RANSAC over similarity
 * transforms (scale, rotation, shift; two matches define one) tried from every pair of
 * the strongest matches.  *inliers gets the matches the best transform explains within 4
 * level-0 pixels of b (scaled by b's size), *matches the count that passed the ratio test;
 * *scale and *angle_deg the transform from a to b, *cover how much of the picture the
 * inliers span.  0, or AD_ENOMEM. */
#define KP_MATCH_MAX 64
struct kp_match {
	int matches, inliers;
	double scale, angle_deg;
	double cover;           /* the larger of the two fractions of an image's area that
	                         * the bounding box of the inliers spans */
	double z[4];            /* the transform from a to b: x + iy goes to
	                         * (z[0] + i z[1]) (x + iy) + z[2] + i z[3] */
	double contain;         /* the larger share of one picture that the transform maps
	                         * inside the other (1: a crop, or a framed copy) */
	double overlap;         /* and the smaller: how much of the larger picture the other
	                         * shows (0.64 for a crop of a fifth each way) */
	double a_in, b_in;      /* the two shares: of a's picture inside b, of b's inside a */
	double tol;             /* the inlier tolerance, level-0 pixels of b */
	double plain[4];        /* the plain scaling of a's view onto b's (one scale both
	                         * ways, on the pixel centres), as z */
	int plain_in;           /* how many matches it explains (within tol); -1 when the
	                         * views' shapes differ, or under 2 matches */
	int shared, agree;      /* filled by kp_shared, 0 until then */
	int shared0, agree0;    /* the same on the strongest n0 keypoints of each side
	                         * (kp_shared_top; dedupe's framed rule and test of
	                         * repetition read them on 128) */
	int mid, mid_dead;      /* and of the four middle cells of a 4 x 4 grid over each
	                         * picture, those that hold KP_CELL_MIN of those keypoints,
	                         * and of them those where the other side repeats none (both
	                         * pictures' cells: 0 to 8) */
};
int kp_match(const struct kp_set *a, const struct kp_set *b, struct kp_match *m);
/* The transform z (as kp_match's, on pixel centres) of a scaling by s with no turn that
 * takes picture edges (0 .. w) at x to s x + tx, y to s y + ty: a plain scaling of one
 * view onto the other, or a rectangle of one onto a rectangle of the other. */
void kp_scaling_z(double s, double tx, double ty, double z[4]);
/* The passes kp_match runs now: "plain", "avx2" or "avx512", the widest this CPU has or a
 * narrower one that AZD_KP_KERNEL (plain, avx2, avx512) asks for; all give the same. */
const char *kp_kernel_name(void);
/* For a match kp_match found (m from kp_match(a, b, m)): m->shared, the keypoints that
 * a or b (the side with fewer) has in the part both pictures show under m->z (away from
 * the other's edges), and m->agree, how many of them the other side repeats (a keypoint
 * within the inlier tolerance whose descriptor is within KP_MATCH_MAX), and m->mid,
 * m->mid_dead.  O(a->n b->n). */
void kp_shared(const struct kp_set *a, const struct kp_set *b, struct kp_match *m);
/* kp_shared, and in the same pass m->shared0 and m->agree0: the same counts of the
 * strongest n0 keypoints of a against the strongest n0 of b (what kp_shared gives on
 * those views; with n0 at least both sides' counts, the counts above). */
void kp_shared_top(const struct kp_set *a, const struct kp_set *b, int n0,
    struct kp_match *m);
#define KP_CELL_MIN 3

#endif
