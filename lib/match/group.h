/* group.h — dedupe's grouping: exact and near duplicates, star around a keeper.
 *
 * The caller fills one grp_item per image (hashes, checksum, the facts the keep policy
 * looks at) and grp_run assigns every item a group, a keeper and the stage and distances
 * that tied it to that keeper.
 *
 * Grouping is "star around the keeper": items are ranked by the keep policy; the best
 * ranked item not yet in a group becomes a keeper and takes every ungrouped item that
 * matches it directly, its surest copies first (bytes, then hashes by distance, then
 * keypoints by inliers); an item told apart from a member already taken (colours, tone
 * layout, keypoints) stays out.  A~B and B~C never put A and C together through B, and
 * the result depends only on the items, not on their input order.
 *
 * A pair matches exactly when the byte checksums are equal (or, without checksums, the
 * listing's Content-MD5 and size are), near when every hash distance is within its
 * threshold, and local when the hashes disagree but enough keypoint matches agree on one
 * similarity transform (a crop, a small turn, a border: keypoints.h).  Candidates for
 * the local stage are the pairs the perceptual-hash search found, and the pairs that
 * share descriptors in an index over descriptor bits (locality-sensitive hashing: each
 * of GRP_LSH_TABLES tables keys the strongest keypoints' descriptors by a fixed sample
 * of their bits, and two images become candidates when GRP_LSH_VOTES keys collide). */
#ifndef AZD_GROUP_H
#define AZD_GROUP_H

#include <stdint.h>
#include "err.h"
#include "gpu.h"
#include "keypoints.h"
#include "kpcache.h"

enum { GRP_NONE = 0, GRP_EXACT = 1, GRP_NEAR = 2, GRP_LOCAL = 3 };

/* keep policy keys, in the order the user gives them */
enum { KEEP_PREFER = 0, KEEP_RESOLUTION = 1, KEEP_SIZE, KEEP_DATE, KEEP_NAME, KEEP_FORMAT,
       KEEP_CENTER, KEEP_DECISION };  /* KEEP_DECISION: only in kept_by (a reviewer's
                                        * decision) */
#define GRP_MAX_KEYS 8
/* the center key (KEEP_CENTER) is measured in groups of at most this many members */
#define GRP_CENTER_MAX 64
/* Within a group (the keeper recentre chooses where the policy holds KEEP_CENTER, and
 * the key that says why it keeps), two pictures of one canvas (width and height) that
 * both have a frame, each band of one within GRP_KEEP_BAND pixels or
 * GRP_KEEP_BAND_SHARE of the side of the other's, are alike in resolution: the key goes
 * on to the caption test and then to the next key.  A blurred or re-compressed copy
 * bleeds a pixel or two into the margins featx finds as a frame (an icon's transparent
 * edge, a flag's outer stripes), so its frame is the thinner and its picture the
 * larger, by 1 to 12 percent on icons of 32 to 256 pixels, and it kept its group over
 * the original on resolution: make eval's 28 sets with the dates putting each original
 * first, 47 of the 121 groups a copy kept, not the original, were so (a blurred, JPEG,
 * gamma or noisy copy of one canvas, both framed).  A frame one side has and the other lacks still decides (a
 * band JPEG's ringing broke, a turn that fills the margins). */
#define GRP_KEEP_BAND 2
#define GRP_KEEP_BAND_SHARE 0.02

struct grp_item {
	/* in; the first pass reads the fields up to sha256 for every candidate pair
	 * (a million images give hundreds of millions): they lie together, in the fewest
	 * cache lines */
	uint64_t phash, dhash, whash;
	uint64_t phash8[8];         /* phash as each EXIF orientation turns the image */
	int8_t has8;                /* phash8 is filled (only looked at with rotations) */
	int8_t has_sha256;          /* sha256 is filled */
	int8_t low_info;            /* its hashes carry little information (featx's
	                             * low_info: flat, one colour, almost all transparent;
	                             * 2 with transparency): grouped by its bytes only, or
	                             * with no keypoint as one flat picture (GRP_FLAT_TOL) */
	int8_t unread;              /* no keypoints were read for it (featx --local 0, dedupe
	                             * --no-local): its hashes are all there is to go by */
	int8_t varied;              /* no keypoints were read for it (featx --local 0,
	                             * dedupe --no-local) and its gray levels vary more than
	                             * a flat colour's do (featx's info over GRP_FLAT_INFO, or
	                             * no info): no flat picture, whatever its colour grid */
	int8_t smooth;              /* featx looked for keypoints and found none, with room
	                             * to (GRP_SMOOTH_SIDE): a gradient, a soft blur,
	                             * matched on its colour grid (GRP_SMOOTH_TOL) */
	unsigned char sha256[32];
	const char *name;
	char content_md5[32];       /* "" when unknown */
	long long size;             /* bytes; -1 unknown */
	long long pixels;           /* width * height (less an added frame's bands); -1
	                             * unknown */
	int framed;                 /* featx found an added frame (a border, letterbox
	                             * bands): at equal pixels, the copy without one keeps */
	long long area;             /* width * height, frame and all; -1 unknown */
	int32_t wh[2];              /* width and height; -1 unknown */
	uint16_t band[4];           /* the added frame's bands in pixels (top, bottom,
	                             * left, right; UINT16_MAX: that many or more), all 0
	                             * without one */
	int8_t overlaid;            /* out: the detail pass found a line of text over its
	                             * picture (a caption, a watermark) that a copy of it
	                             * lacks: at equal pixels, after the frame, that copy
	                             * keeps */
	float kp_enlarge;           /* how much featx enlarged the picture (in area) for its
	                             * keypoints (KP_MIN_SIDE): 1 where it did not */
	uint8_t kpband[4];          /* what of that frame the keypoints' view keeps, top,
	                             * bottom, left, right, in 256ths of its side: no part
	                             * of the picture for detail_diff */
	uint16_t kpview[4];         /* where the keypoints' view lies in the whole picture
	                             * (left, top, right, bottom in 65535ths of its sides):
	                             * the shape is the whole picture's */
	long long mtime;            /* seconds since the epoch; LLONG_MAX unknown */
	int center;                 /* out: its mean distance to the other members of its
	                             * group, in 16ths (KEEP_CENTER: their details'
	                             * summed difference, or their three hash distances
	                             * summed); INT_MAX where unknown */
	int prefer;                 /* index of the first --prefer prefix it falls under, or INT_MAX */
	int format_rank;            /* place of its format in the format preference (lower is
	                             * better), for the "format" keep key */
	const struct kp_set *kp;    /* keypoints, or NULL; or, with grp_opts.kps: */
	int has_kp;                 /* its keypoints are set kp_id of the cache, */
	uint32_t kp_id;
	int kp_cached;              /* the cache holds set kp_id, keypoints or none: its
	                             * details (a small icon has none for want of room) */
	int nkp;                    /* as many as the cache gives back for it */
	const uint8_t *color;       /* 48 bytes: 4x4 grid of mean R, G, B, row-major (featx's
	                             * color), or NULL */
	long keep_first;            /* > 0: a reviewer's decision made it a keeper: it ranks
	                             * before every item with less (decisions.h) */
	/* out */
	long group;                 /* 1.. in keeper-name order; 0: in no group */
	long keeper;                /* index of the group's keeper (itself for a keeper); -1 */
	int stage;                  /* GRP_EXACT, GRP_NEAR or GRP_LOCAL for a duplicate, else
	                             * GRP_NONE */
	int dist[3];                /* phash, dhash, whash distance to the keeper */
	int inliers;                /* GRP_LOCAL: keypoint matches that agree on one
	                             * transform to the keeper */
	int orient;                 /* EXIF orientation (2..8) that turns it into its keeper's
	                             * likeness when matched that way, else 1 */
	long count;                 /* for a keeper: members including itself */
	/* the evidence that tied it to its keeper: */
	int16_t margin;             /* GRP_NEAR: how far the pair's perceptual-hash distance
	                             * lies below the nearest distinct neighbour of either
	                             * (GRP_MARGIN_OPEN: none within the search radius) */
	int16_t matches;            /* GRP_LOCAL: keypoint matches that passed the ratio test */
	float cover;                /* GRP_LOCAL: the share of a picture the inliers span */
	int16_t color_diff;         /* colour-grid difference to the keeper (0..255), or -1
	                             * when either is gray or has no grid */
	int8_t verified;            /* 1: the hashes matched too, but in a crowded
	                             * neighbourhood, so the keypoints decided; 2: taken on its
	                             * hashes on the trust of a neighbourhood of verified
	                             * copies; 3: a keypoint match held to the strict test in
	                             * a crowded neighbourhood; else 0 */
	int8_t kept_by;             /* for a keeper: the KEEP_* key that put it before
	                             * runner_up (KEEP_PREFER: --prefer) */
	int8_t captioned;           /* GRP_LOCAL taken on its details read in place past a
	                             * caption one side carries (GRP_CAPTION_*), not on
	                             * keypoints: 1 it carries the caption, 2 its keeper
	                             * does; else 0 */
	int8_t caption_miss;        /* then how far the rest of the details miss
	                             * (detail_diff's measure, gray levels) */
	int8_t via_kp;              /* the link to via (below) is a keypoint match
	                             * (sure_link) */
	int8_t reviewed;            /* for a keeper: a decision says its group, with just these
	                             * members, was reviewed (set by dec_finish) */
	long runner_up;             /* for a keeper: its best-ranked member, else -1 */
	long via;                   /* joined through this member, whose hashes its own
	                             * match with the margin, or whose keypoints and details
	                             * its own (via_kp) (evidence "chain"), else -1 */
	long apart_from;            /* a decision's cannot-link kept it out of the group of
	                             * this item (its keeper, or the keeper it would have had),
	                             * else -1 */
};

/* Collection-aware acceptance.  A pair whose hashes all match is accepted on them alone
 * only when its perceptual-hash distance lies at least GRP_MARGIN below the distance of
 * either image's nearest distinct neighbour (a candidate the hashes and the keypoints
 * both turned down), neither image has more than GRP_CROWD hash neighbours, and their
 * colour grids agree.  Otherwise the pair is ambiguous: the keypoints decide with the
 * strict test (GRP_STRICT_*), and without keypoints it is not a pair.  Pages of text and
 * star fields, where distinct pictures share their hashes, land here.  At 6, two pages of
 * GNU Octave's manual (make eval's octave-pages, a manual no threshold had been chosen
 * on), each turned by 5 degrees, met at 8 bits with their nearest distinct neighbours
 * at 14, as did two others through a vertical flip (8 bits, the turn's 2 more): 2 to 9
 * false pairs in 4 of 8 runs (the records' own mtimes and 7 drawings of them),
 * precision 0.914 to 0.980.  At 7, none, and 2 to 5 fewer in lxde-icons; the copies left
 * to the keypoints instead, scans of pages whose keypoints do not survive among them,
 * cost 30 of 6,338 true pairs of the other eight sets over the 8 runs. */
#define GRP_MARGIN 7
/* The hash search finds neighbours up to phash_max (12 by default), and the descriptor
 * index those beyond it whose keypoints the pictures share (two pages of one manual 14
 * bits apart).  Where no keypoints were read (featx --local 0, dedupe --no-local) nothing
 * looks past the radius, and a margin found open is open only to this radius (or
 * phash_max when larger) + 1: such a pair is accepted on its hashes alone up to 6 bits
 * apart (4 turned), further only with a neighbour seen far enough off.  With --no-local
 * make eval's pages met their look-alikes 10 to 12 bits apart, margin open (pages
 * precision 0.840, octave-pages 0.667; with this 1.000 both). */
#define GRP_SEEN_RADIUS 12
#define GRP_MARGIN_OPEN 99
#define GRP_CROWD 8
/* A match through a turn or a mirror tried seven more forms of the picture, so it
 * needs this much more margin to be taken on its hashes alone. */
#define GRP_TURN_MARGIN 2
/* Strict keypoint test: inliers at least local_min and GRP_STRICT_INLIERS and this share of the matches, and
 * the inliers span GRP_LOCAL_COVER of a picture.  Two pages of one manual share letters
 * but not their places (at most a third of the matches agree); a copy keeps them. */
#define GRP_STRICT_RATIO 0.4
#define GRP_STRICT_INLIERS 24
#define GRP_STRICT_COVER 0.25
/* featx enlarges a picture of 56 to 159 pixels a side to 160 for its keypoints
 * (KP_MIN_SIDE): they find its crops and turned copies, but they are the enlargement's
 * as much as the picture's.  Where a picture was enlarged over GRP_BLIND_ENLARGE times in
 * area (the part inside its clear margins under 92 pixels a side), a pair it is in is
 * taken for one no keypoints can see wherever the hashes alone would take it
 * (blind_pair: the tone test and the details read in place, GRP_BLIND_DETAIL): a flat
 * drawing of a camera, 80 pixels, and a lighter camera's captioned copy were one
 * picture to the keypoints, and are two to the tone test (t0559).  And the strict
 * test's inliers grow with the keypoints a picture brings of its own pixels: an enlarged
 * picture's are counted divided by its enlargement (grown_inliers: a page of 128 pixels
 * and its darker copies, 32 to 41 inliers where their enlarged counts asked 36, t0564).
 * make eval's nineteen sets with the enlargement: recall 0.824 -> 0.842, false pairs
 * 67 -> 58, the same without these two rules (and with the camera taken and the darker
 * pages left) and at 2 (where faces' 96-pixel drawings, read blind, lost 2 turned and
 * gray copies more, and faenza's drives gained 3 false pairs as symbolic glyphs lost 3). */
#define GRP_BLIND_ENLARGE 3
/* Those inliers are counted among the strongest GRP_KP_BASE keypoints of each picture;
 * where both have more (dedupe uses up to 256 by default), chance agreement over a
 * repeated structure grows with them, faster than a copy's inliers (the weaker keypoints
 * repeat less): the strict test wants GRP_STRICT_INLIERS times up to 1 + GRP_STRICT_GROW,
 * straight with the fewer keypoints of the two from GRP_KP_BASE to twice that (make eval
 * at 256 keypoints: 1.25 let the light and the dark versions of one wallpaper through on
 * 31 inliers, and a chart with other data; 2.0 lost pages, icons and products; 1.5
 * neither). */
#define GRP_KP_BASE 128
#define GRP_STRICT_GROW 0.5
/* But an ambiguous hash match (a crowded neighbourhood, see Acceptance in dedupe(1)),
 * which the keypoints alone decide, grows it by only GRP_AMBIG_GROW: its look-alikes are
 * the neighbours that crowd it, which the other checks of the pass (the tone, the
 * colours, the middle cells) and the detail pass still see, where the licorice
 * wallpaper's light and dark versions (31 inliers) are a hash match with the margin,
 * decided at GRP_STRICT_GROW.  A page of text cropped by a tenth, framed or scanned
 * keeps 29 to 33 inliers of the 36 at 256 keypoints (t0549: 4 of 30 scanned pages of a
 * made-up manual found, 12 now; make eval: pages' recall 0.925 -> 0.967, forms' 0.607 ->
 * 0.631, no pair of distinct pictures more; without the trust pass's hollow rule
 * (trust_pass) a chart with other data came in on trust beside a copy of its look-alike
 * that the keypoints now took: t0541). */
#define GRP_AMBIG_GROW 0.25
/* A hash match decided by the strict keypoint test must also keep its brightness layout
 * up to one tone curve: no cell of the 4x4 grid further than this (0..255) from the
 * line that maps one grid's brightness onto the other's.  Half of it for a pair taken
 * on the trust of its neighbourhood, which no keypoints saw, or taken on its hashes
 * with the margin without the keypoints passing it.  Where the details read in place
 * find a caption on one side that the other lacks (detail_diff's overlay), its rows
 * are excused: white letters on a black outline across the bottom quarter are what the
 * grid's bottom cells miss, and the pair passes when its two middle rows follow one
 * tone curve to a quarter of the limit (tone_past_caption).  make eval's captioned
 * copies missed their originals by 11 to 62 over the grid and by 0 over the middle rows
 * (icons of 48 pixels, whose letters reach them, by up to 13); a dark and a light
 * version of one wallpaper, the light one captioned, by 12 and 9 (taken once the caption
 * excused the whole test).  make eval: captioned copies found 53 -> 57 of 83 (small-icons
 * 0 -> 2 of 7, lxde-icons 5 -> 6, sprites 3 -> 4), two pairs of distinct pictures more,
 * both a caption joining a look-alike already taken with its original (an iPod, a
 * network icon); the examples and the 400 invoices unchanged
 * (tests/e2e/t0559-caption-tone.sh). */
#define GRP_TONE_MAX 20
/* A hash match taken with the margin whose keypoints vouch for it (the strict test) was
 * spared the tone test: the keypoints see shapes, and the tone curve the details are read
 * through takes a body lit another shade for a change of tone.  A drawn steak and a drawn
 * piece of beef, one outline in red and in pink (make eval's clipart: 3 false pairs), and
 * a flat camera and a lighter one's captioned copy at 100 pixels, once featx enlarged
 * them for their keypoints (t0559), missed the tone line by 24 and 21 (at 140 pixels by
 * 20, at the limit): where the keypoints vouch, the layouts may stray from it by
 * GRP_TONE_VOUCHED, twice what a pair they do not vouch for may.  make eval's nineteen
 * sets: false pairs 58 -> 55, recall 0.842 -> 0.841 (a puppy's 5-degree turns, 21 and 22:
 * the grids of a turned copy do not lie alike; the keypoints' turn does not tell them
 * from the steak, whose drawings lie a few degrees apart too).  Where the keypoints agree
 * on a turn of over GRP_TONE_TURN degrees (GRP_REPEAT_INLIERS or more), the colour grids
 * read through that turn decide instead, as for a framed copy (GRP_FRAMED_COLOR in every
 * cell and channel): the steak and the beef miss by 76 there, a painted portrait's
 * 5-degree turns (tone 26 and 29) by 11 and 23.  make eval: faces 0.883 -> 0.900 and
 * portraits 0.944 -> 0.967 recall, no pair of distinct pictures more in any set (nor at
 * limits of 12 to 48); tests/e2e/t0569. */
#define GRP_TONE_VOUCHED GRP_TONE_MAX
/* Nor where the keypoints (GRP_REPEAT_INLIERS or more) agree on a turn of over
 * GRP_TONE_TURN degrees from a quarter turn: a copy turned on its own canvas, its
 * corners filled, no longer lies like its original on the 4 x 4 grid (a figure on a
 * white card, a tenth of it, turned by 5 degrees with black corners: 18 to 22; t0544).
 * make eval: the examples' recall 0.963 -> 0.967, clipart 0.933 -> 0.944, icons 0.867
 * -> 0.878, sprites 0.844 -> 0.867, plots 0.933 -> 0.956, lxde-icons 0.794 -> 0.806;
 * no new pair of distinct pictures, but more copies of the two USB drives the hashes
 * already take for one (lxde-icons' false pairs 25 -> 31). */
#define GRP_TONE_TURN 2
/* Unless the keypoints (GRP_LOOSE_INLIERS or more) agree on a scale this far (as a
 * fraction) from the one that maps one whole picture onto the other: a letterbox or a
 * border moves the picture inside its frame, and the grids no longer lie alike. */
#define GRP_FRAME_TOL 0.08
/* Colour: two grids whose cells are this colourful on average (0..255) are compared;
 * a mean chroma difference over GRP_COLOR_MAX says two different pictures. */
#define GRP_COLORFUL 12
#define GRP_COLOR_MAX 20
/* Where the hashes match, the largest miss of a grid cell's chroma (|R - G| + |B - G|
 * summed) once one picture's chroma is scaled by one factor onto the other's: beyond it
 * the colour difference counts as GRP_COLOR_MAX (see chroma_fit).  A copy whose contrast,
 * gamma or saturation changed misses by up to about 30 on the eval sets; one drawing
 * coloured twice by 60 and more. */
#define GRP_CHROMA_FIT 45
/* And where one factor within this (either way) fits, the colour difference is what the
 * fit leaves: a contrast copy's chroma is its original's times 1.4, missing by 1 to 3;
 * a paler or a more vivid picture past it is another. */
#define GRP_CHROMA_SCALE 1.6
/* A grid with one cell this colourful (0..255) counts as colourful too: a coloured
 * cut-out on a white or clear ground, whose other cells are gray. */
#define GRP_COLOR_CELL 48
/* A grid whose every cell spreads less than this is gray: a grayscale copy, whose
 * colours are not compared.  A tinted picture (a light grey shape with a warm cast) is
 * not gray, and its colours are compared with a colourful one's. */
#define GRP_GRAY_CELL 8
/* A keypoint match the hashes turned down needs this many inliers (and local_min), and
 * GRP_STRICT_RATIO of the matches on its transform: two pages of one manual share
 * letters (16 inliers of 54 matches), a light and a dark version of one wallpaper its
 * outline (18 of 26). */
#define GRP_LOOSE_INLIERS 20

/* A local match must span this much of one picture (the bounding box of the inliers
 * over its area): a crop or a framed copy does, two overlapping shots of a scene do not,
 * nor do two phases of the Moon (the craters lit in both). */
#define GRP_LOCAL_COVER 0.4
/* A lenient match whose inliers span less than GRP_LOCAL_COVER (but GRP_FRAMED_COVER)
 * is a copy when the transform puts GRP_FRAMED_CONTAIN of one picture inside the other,
 * GRP_FRAMED_AGREE of the keypoints either side has in the part they share are repeated
 * on the other (same place, descriptor within KP_MATCH_MAX), and the 4x4 colour grids
 * read through the transform differ by at most GRP_FRAMED_COLOR in any cell and channel
 * (GRP_FRAMED_CELLS cells or more compared, those inside the other picture). */
#define GRP_FRAMED_COVER 0.1
#define GRP_FRAMED_CONTAIN 0.9
#define GRP_FRAMED_AGREE 0.85
#define GRP_FRAMED_COLOR 24
#define GRP_FRAMED_CELLS 4
/* The colour details (keypoints.h, the record's "color_detail") where the 4x4 grids are
 * too coarse: a product on a plain ground cropped by a tenth shifts every cell's mean
 * across the shape's edge, and its colour grid read through the transform misses by 26
 * to 91 (make eval), as much as a bottle of one shape in another colour does.  Read
 * cell by cell through the transform with the gray levels and no tone curve
 * (chroma_diff), a crop, a border, a turn, a blurred, noisy or JPEG copy of one picture
 * misses by at most 18 (make eval, pairs the grids turned down); the same product in
 * another colour or on another shade of ground, another drawing of one face, by 23 and
 * more.  A lamp of one shape in a near shade on the same ground misses by only 10 to 20
 * cell by cell (all its cells are edges at this grid: t0525), so each side's most
 * colourful cell, its pure colour, is compared too, GRP_CHROMA_PURE times (a crop keeps
 * it), each side's read on its own cells (b's inside the box a's cells compared take on
 * it: read between b's cells, where a crop's larger cells fall, the colour came out
 * mixed with its neighbours' and paler, and 38 of 48 crops of cartoons missed by over
 * GRP_CHROMA_SAME, 23 now: t0546; make eval: 8 more pairs of copies found, most of
 * them crops, one turned copy lost, no pair of distinct pictures more).  A grid none of whose cells has a chroma over GRP_CHROMA_GRAY (the two
 * channels' distances from 128 summed, in half steps) is gray and says nothing;
 * GRP_CHROMA_NOISE caps the noise taken off each cell (twice the median miss: a JPEG's,
 * a blur's), and the median gray miss counts GRP_CHROMA_LEVEL times (the whole picture
 * a little lighter: another ground).  Up to GRP_CHROMA_SAME the colours are the same:
 * they stand for the colour grids in the framed rule and the test of repetition, the
 * latter wanting then only GRP_SAME_SHARED keypoints in the part both show with
 * GRP_FRAMED_AGREE of them repeated (a cropped product has 20 or so: make eval's 5
 * pairs of copies so taken, no look-alike), and a pair they took keeps them against the
 * 4x4 grids' colour difference (GRP_COLOR_MAX), which compares the cells as they lie. */
#define GRP_CHROMA_GRAY 4
#define GRP_CHROMA_NOISE 4
#define GRP_CHROMA_LEVEL 4
#define GRP_CHROMA_PURE 2
#define GRP_CHROMA_SAME 20
#define GRP_SAME_SHARED 16
/* In the detail pass the colour details' tint too (chroma_tint: the chroma alone, one
 * side's scaled to fit the other's, in the cells where both sides show a colour, over
 * GRP_TINT_CHROMA): a pair whose tints miss by over GRP_TINT_APART in a block is two
 * pictures, whatever the details say.  Two screenshots of one dialog with its first tab
 * lit light blue and dark teal miss by 35 to 48 and keep their details (2 to 17: t0537,
 * which took them as copies once their mtimes ranked a gamma copy first); make eval's
 * copies by 25 at most.  A caption in white and black over a yellow rose took its
 * colour away (59): the cells a side shows no colour in are not compared. */
#define GRP_TINT_APART 30
#define GRP_TINT_CHROMA 12
/* A keypoint match with fewer inliers than the lenient test wants (GRP_REPEAT_INLIERS
 * and half of local_min will do) is a copy when it passes the test of repetition: the
 * inliers span GRP_REPEAT_COVER of a picture, the transform puts GRP_FRAMED_CONTAIN of
 * one picture inside the other, the colour grids read through it agree as the framed
 * rule wants (GRP_FRAMED_COLOR, GRP_FRAMED_CELLS), and of the keypoints either side has
 * in the part both show (GRP_REPEAT_SHARED or more) GRP_REPEAT_AGREE are repeated on the
 * other.  A small crop or a letterbox of a page of text loses most of its matches to the
 * keypoints that move in the ranking (13 to 18 inliers), but the transform still finds
 * 40 to 70 percent of the keypoints of the part both show in their place; the
 * neighbouring page of a manual, aligned on a line of letters, at most 30 percent.
 * Dialog tabs of one program repeat half of them, over a tenth of the picture (their
 * frame): hence the span. */
#define GRP_REPEAT_INLIERS 8
#define GRP_REPEAT_COVER 0.15
#define GRP_REPEAT_SHARED 48
#define GRP_REPEAT_AGREE 0.4
/* Whatever took a keypoint match (the lenient, the strict or the framed test, the test
 * of repetition, a close look), the middle of the pictures must hold some of the
 * repeated keypoints: of the four middle cells of a 4 x 4 grid on each picture that hold
 * KP_CELL_MIN of the part's keypoints (GRP_MID_MIN or more of the eight), at most half
 * may repeat none.  Two pages of one settings dialog repeat their frame (the title, the
 * side bar, the buttons: 30 to 50 inliers spanning it all) and nothing of the page in
 * the middle; a crop, a letterbox, a caption, a turn or a re-encoding of a page, a
 * screenshot or a photo repeats something in most middle cells (make eval: of 531 pairs
 * of copies whose middle cells were counted, none with more than half of them dead). */
#define GRP_MID_MIN 3
/* Whatever took a pair with a keypoint transform, the details (keypoints.h) read
 * through it must show the same thing (detail_diff, in a pass over the pairs taken): in no 3 x 3 block of cells, away
 * from GRP_DETAIL_EDGE cells of the edges, may the GRP_DETAIL_TOP largest misses average
 * more than GRP_DETAIL_MAX gray levels beyond what the tone curve, misplacement along
 * edges (GRP_DETAIL_SHIFT of the local range) and the pair's noise explain, unless the
 * block's two sides rise and fall together (a correlation over GRP_DETAIL_SHAPE: one star
 * at two amplitudes).  Cells missing by over GRP_DETAIL_CELL that make a band at most
 * GRP_DETAIL_LINE cells high and wider than tall, within GRP_DETAIL_BAND cells of the top
 * or the bottom (a caption), count for nothing.  Two icons of one theme that differ by
 * an emblem, a level, a badge or a mouth miss so (make eval, pairs the other rules took:
 * of 176 such pairs 155 miss by over 35; of 741 pairs of copies 5 do: captions of
 * screenshots and star fields the band rule does not see, and a moon's JPEG copy,
 * flattened on black where featx shows the original on white).  Over GRP_DETAIL_APART
 * a pair is told apart for good: no group holds both through their other copies (make
 * eval: icons' precision 0.859 -> 0.913, no copy lost; at 40 the captions of two
 * screenshots split their groups). */
#define GRP_DETAIL_MAX 35
/* The keypoints lay a pair one on the other surely with GRP_SURE_INLIERS times the
 * strict test's inliers, GRP_SURE_RATIO of the matches, each picture's GRP_SURE_SHARE
 * on the other at the scale of the whole pictures (unshifted): details read so that
 * miss by over GRP_DETAIL_MAX, with no frame or caption on either side to explain it,
 * part two pictures for good (sure_apart; not a part of the other: a 104-pixel drawing
 * and its copy with the bottom fifth cut off, 82 inliers of 97, miss by 47 along the
 * cut, t0567).  make eval's portraits: a gryphon and its palette-swapped twin (36
 * apart) had been joined through the gryphon's letterbox copy, 3 false pairs -> 0; 9
 * pairs of distinct pictures (forms, portraits, nightsky) and no copy newly told apart;
 * the same scores at 1 to 3 times the strict inliers and ratios of 0.4 to 0.9 (at 1
 * and 0.4 one copy, a keyboard icon and its contrast, 48 apart, is told apart too, and
 * still grouped through its other copies). */
#define GRP_SURE_INLIERS 2
#define GRP_SURE_RATIO 0.8
#define GRP_SURE_SHARE 0.97
/* A pair no keypoints can see (fewer than twice GRP_STRICT_INLIERS on a side) taken on
 * its hashes with the margin has no evidence but the hashes.  Where its pictures lie one
 * on the other (upright, unshifted, one scale both ways), their details are read cell
 * for cell with no transform (aligned_detail: each keypoint view placed in its picture,
 * or the part inside each frame's bands onto the other's, the closer of the two) and
 * may miss by at most half what a keypoint match's may (detail_diff's measure), or the
 * pair is no copy (over GRP_DETAIL_APART, told apart for good).  An icon of a page with
 * its lines centred and the same page with them flush right, 6 bits apart with nothing
 * else near, miss by 30 (make eval's lxde-icons: 3 false pairs); the copies taken so
 * by 13 at most (make eval: 65 pairs in seven sets: flat colours and gradients,
 * sprites, icons, photos, products, faces and pages re-encoded, blurred, re-toned,
 * bordered, letterboxed, halved), and a drawn page's blurred copies, whose views the
 * blur moves by a pixel or two, by 6 (t0557; 26 read through the scale alone).  A
 * small icon featx finds no keypoint on has its details all the same (kp_cached):
 * icon themes at 32 and 48 pixels (Tango, elementary-xfce) lost 13 of 39 false pairs
 * so, and 3 of 265 true pairs found, a cropped, a halved and a turned copy of a
 * 48-pixel icon, whose cells are a pixel or two (make eval's small-icons).  A pair
 * the keypoints see (48 or more a side) but agree on no transform for, taken on its
 * hashes with the margin (too few matches to tell it apart either), had nothing read:
 * two folders of one theme whose emblems, pressed faintly into them, hold nearly all
 * their keypoints (a film strip and an arrow: 12 inliers of 18 matches).  Read the
 * same way, it is two pictures over GRP_DETAIL_APART, for good.  Over make eval, the
 * examples and three icon themes beside (elementary-xfce at 128 and 48 pixels, Tango):
 * the folders miss by 56, two sprites of a memory game by 92; the 8 pairs of copies
 * so read (captions, blurs, a half size, a contrast) by 42 at most (a dialog icon's
 * contrast copy, where the tone curve bends); a full trash can and the empty one's
 * captioned copy by 25, under the limit (make eval's mate-icons: no group holds both
 * all the same).  The themes' false pairs 26 -> 23, nothing else moved
 * (tests/e2e/t0558-inplace-detail.sh).  A pair matched through a turn or a mirror
 * (the orientation its hashes matched in) is read the same way once the other's grid,
 * view and bands are laid out as the orientation turns them (turned_view); a turn lays
 * a small icon's cells out afresh, and its copies so read miss by up to 23 (a blurred
 * disc turned a quarter, a contrast turned a half, at 48 pixels), so a blind pair read
 * through a turn may miss by GRP_DETAIL_MAX.  Look-alikes matched through a turn miss
 * by 26 to 68, 6 of 7 pairs over the limits (a folder of documents and one of music, two
 * drives; a network icon with one screen lit and one with both, 26, not); the themes' false
 * pairs 23 -> 21, and make eval's small-icons lost a crop of a tenth that its turned
 * copy had carried unread (48, as it misses its original upright: 0.400 -> 0.389).
 * A blind pair so turned down is two pictures for good: nothing but its details speaks
 * for it, and the members of a group that would take both through others are no
 * surer (make eval's moka-icons, four Qt tools drawn as one tile with another glyph
 * faint behind, 12 to 18 apart, had been one group through the pairs under 17: false
 * pairs 25 -> 17, tango-icons 4 -> 0; recall 0.831 -> 0.827 over the twenty-three sets,
 * moka 0.683 -> 0.661, small-icons 0.511 -> 0.478, tango 0.450 -> 0.428: blurred and
 * JPEG copies of 32- and 48-pixel icons that had joined through their originals). */
#define GRP_BLIND_DETAIL (GRP_DETAIL_MAX / 2)
/* And the misses must be few: of the 3 x 3 blocks read so, at most GRP_SPREAD_MAX may
 * miss by over GRP_SPREAD_MISS, or the pair is two pictures for good (no group holds
 * both).  A copy misses in one place (a caption, the clipped highlights of a contrast),
 * a picture of the same template all over: charts of one style with other data (the
 * axes, the ticks and the title hold every keypoint, 120 inliers of 123, and a curve
 * two pixels wide misses a cell by 15 to 25, under GRP_DETAIL_MAX) and forms of one
 * template filled otherwise (make eval's plots and forms, grouped nearly whole before).
 * make eval, the pairs the other rules took: copies read as they lie miss in 36 blocks
 * at most (a moon's contrast copy; the next 30), other copies in 100 (a drive's
 * contrast and letterbox copies; the next 50: two pairs over the limit); charts and
 * forms in up to 400. */
#define GRP_SPREAD_MISS 12
#define GRP_SPREAD_MAX 40
/* The same on the fine details (KP_FINE, four cells for one of the detail's: 3 x 3
 * blocks of them), for a pair the details let through: over GRP_FINE_SPREAD blocks
 * that miss by over GRP_SPREAD_MISS, and over GRP_FINE_RATIO times the blocks of the
 * detail that do, make the pair two pictures for good.  At 32 cells a side a chart's
 * curve or a form's filled word is a shade over a cell, within what misplacement
 * explains; at 64 it is cells of its own, and two charts of one style miss all over on
 * the fine grid alone.  A copy whose levels the tone curve fits badly (a contrast that
 * clips, a gamma) misses on both grids, about four fine blocks for one of the
 * detail's.  Only where the fine grids can be read cell for cell: each side of both
 * pictures' keypoint views GRP_FINE_SIDE pixels or more (a 128-pixel icon's edges fall
 * between the cells otherwise on each copy), a cell of one onto about one of the other
 * (GRP_FINE_SCALE: not a crop seen larger) and rows along rows or columns
 * (GRP_FINE_TURN degrees: not a copy turned by a few).  make eval's thirteen sets and
 * the example photos' transforms, the pairs the details let through and these limits
 * leave (3,204 of copies, 2,413 of them the examples'; 1,029 of distinct pictures, 1,007
 * of them charts and forms): over 120 fine blocks alone, 25 copies (20 of them the
 * contrast and gamma copies of one example photo) and 819 others; over 7 times the
 * detail's too, 3 copies (a chart's half-size copy and its crop, which the other copies
 * keep in their groups) and 666 others. */
#define GRP_FINE_SPREAD 120
#define GRP_FINE_RATIO 7
/* Forms of one template filled otherwise miss in a few cells each field, too few blocks
 * for GRP_FINE_SPREAD; a copy misses in none where the fields lie, or only where one
 * side shows something over a plain ground or a texture of the other (a caption, a
 * watermark laid over a photo: its letters lighter, or darker, throughout).  So a pair
 * whose fine grids, away from their top and bottom eighths (a caption's band), miss by
 * over GRP_FINE_CELL_MISS in GRP_FINE_CELLS cells (GRP_FINE_CELLS_ALIGNED where the
 * transform reads each cell from its own place, GRP_ALIGNED_DEV), each where both sides
 * show a range of GRP_FINE_CELL_RANGE levels around it and do not rise and fall together
 * (GRP_DETAIL_SHAPE: a contrast that clips keeps its shapes), some of those cells
 * lighter on one side and some darker (a share GRP_FINE_CELL_MIXED of them each way, two
 * at least), is two pictures for good (fine_cells).  And so is a pair of pages (both
 * fine grids GRP_FINE_PAGE or more of one level, within GRP_FINE_PAGE_TOL: the paper)
 * with GRP_FINE_PAGE_CELLS such cells whichever way they miss: a form with rows filled
 * where the other's are blank.  Either way the cells lie in GRP_FINE_PLACES places at
 * least (cells within GRP_FINE_GAP of each other are one place): a form's fields, where
 * a blot on a copy is one place (every pair of forms so told apart has two or more,
 * nearly all four or more).  A blurred copy misses on both counts, and is read again
 * blurred as for GRP_FINE_SPREAD (fine_spread), from GRP_FINE_CELLS_SHARPER on (a
 * drawing blurred by a pixel and a half, 1.38 times as sharp, misses in too few blocks
 * for the spread and in mixed cells in four places: t0542), where the cells are read
 * again whether or not the blurred side is as sharp as the sharp one blurred (what
 * another form shows it still shows blurred; at 1.15 a noisy copy of a form, sharper
 * than another form, would be read so: 227 -> 255 pairs of forms kept).  make eval's fifteen sets and the
 * example photos, the pairs the details let through and the fine grids can read
 * (fine_comparable): of 435 pairs of forms of one template read as they lie, 320 told
 * apart on the mixed cells and 50 more as pages; of 464 read through a crop, a border
 * or a turn, 145 and 123; of 38 pairs of charts of one style, 5 and 28; 4 pairs of
 * distinct icons; no copy (a photo's watermark over its fur, 32 cells all lighter, a
 * plain ground on 0.18 of the picture; a chart's caption, 20 darker, 0.45; blurred
 * drawings 29 to 105 mixed, none once read again blurred).  The keypoint matches the
 * forms keep: 556 of pairs of distinct forms before, 227 now. */
#define GRP_FINE_CELL_MISS 20
#define GRP_FINE_CELL_RANGE 16
#define GRP_FINE_CELL_MIXED 0.2
#define GRP_FINE_CELLS 12
#define GRP_FINE_CELLS_ALIGNED 6
#define GRP_FINE_PAGE 0.6
#define GRP_FINE_PAGE_TOL 6
#define GRP_FINE_PAGE_CELLS 10
#define GRP_FINE_PLACES 3
#define GRP_FINE_CELLS_SHARPER 1.3
#define GRP_FINE_GAP 2
#define GRP_FINE_SIDE 192
#define GRP_FINE_SCALE 0.1
#define GRP_FINE_TURN 1
/* Two pages' ink (ink.h), for a pair the details and the fine details let through:
 * a's read through the keypoints' transform onto b's grid, both as soft as the softer
 * (the sharper blurred [1 2 1] until within GRP_INK_SOFTER of the other's sharpness, at
 * most GRP_INK_BLURS times) and once more, b's scaled to a's ink; a cell misses where
 * neither side finds the other's level within GRP_INK_CELL of the ink's range in the
 * cells around it (a misplacement of a cell explains no miss).  A mark taller than
 * GRP_INK_TALL of the height (a caption's letters, a stamp) counts for nothing, nor does
 * what lies in its rows and GRP_INK_BAND_PAD about them (the text its fill covers);
 * taller across the lines of b's page, which run down its grid where it is turned a
 * quarter (ink_down), and there its columns (every line had been a tall mark).
 * GRP_INK_CELLS missing cells, GRP_INK_EDGE cells or more inside the part both show, in
 * GRP_INK_PLACES places (within GRP_INK_GAP cells one place) are two pages for good
 * (ink_apart).  make eval's forms, two invoices of one template read as they lie: 18
 * cells or more at 0.3 (their JPEG, noisy, gamma, gray, half-size and blurred copies
 * none); the fifteen sets: forms' false pairs 44 -> 3, no copy lost elsewhere
 * (tests/e2e/t0554-ink.sh, and the note of the change).  A pair turned by a few degrees
 * too: a page's turned copy misses its original in no cell (make eval's pages, octave
 * pages, forms, ui: 29 pairs turned 1 to 5.4 degrees, 0 each), most other invoices of
 * its template in 10 to 713 (a near-identical few in 0 to 3); the last 3 false pairs of
 * forms went so, no copy lost (tests/e2e/t0556-ink-turned.sh: a chart of orange dots on
 * lavender and its turned copy too, once featx left the turned copy's black corners out
 * of its ink's range). */
#define GRP_INK_CELL 0.35
#define GRP_INK_CELLS 8
#define GRP_INK_PLACES 2
#define GRP_INK_GAP 2
#define GRP_INK_TALL 0.035
#define GRP_INK_BAND_PAD 0.02
#define GRP_INK_EDGE 2
#define GRP_INK_SOFTER 1.1
#define GRP_INK_BLURS 8
/* A blurred copy of a drawing (outlines a few pixels wide, 200 pixels across) misses its
 * original on the fine grid all over, a cell or two either side of every line, where
 * the 32-cell detail sees nothing.  So where one picture's fine grid is GRP_FINE_SHARPER
 * times as sharp as the other's (the mean step between neighbouring cells, inside a
 * frame's bands and away from the top and bottom quarters, where a caption's letters
 * are), the sharp one is blurred ([1 2 1] / 4 across and down) and the blocks counted
 * again: a blurred copy misses as little as any copy then.  Only where the blurred side
 * is no sharper than the sharp one blurred, within GRP_FINE_BLURRED: a blur takes
 * lines away and adds none, where two charts of one style, the one's dots sharper than
 * the other's curve, each have lines of their own (a chart's dots, blurred, fade into
 * the other's shading and miss in one block of 64 x 64).  make eval's sets, the pairs
 * the fine rule parts: copies blurred 1.6 to 3 times, and blurred as the sharp one is
 * 0.88 to 0.95 as sharp as that; charts of one style 1.5 to 1.7 and 0.69 to 0.80. */
#define GRP_FINE_SHARPER 1.4
#define GRP_FINE_BLURRED 0.85
/* A keypoint match carries a copy left out of every group (its partner's keeper matched
 * it neither way: a noisy copy kept for its size, a crop's original whose contrast copy
 * keeps) into its partner's group when the details read through its transform agree to
 * half their limit (make eval: the copies so carried 0 to 15, and one at 25; a drawn face
 * without a smile, taken with the smiling one on a match whose details reached 33, the
 * one look-alike). */
#define GRP_CARRY_DETAIL (GRP_DETAIL_MAX / 2)
/* A gray picture and a colour one (gray_and_colour: their colours are not compared) are
 * a gray copy and its original only when the details follow one tone curve as closely
 * as a gray copy's, a function of the colour side's pixels, do: within GRP_GRAY_DETAIL.
 * A silver trophy and the gold one of its theme, one drawing in two metals, show the
 * same shapes, but shaded otherwise (make eval: gray copies and their originals 0 to 7,
 * the trophies 16 to 22, two document icons 11).  Only where the two grids lie alike
 * (the hashes matched and nothing shifted): a crop read onto the gray copy through a
 * scaling resamples the details, and misses its gray sibling as it misses its original
 * (a photo's crop of 30 percent 17, a drawing's crop of 10 percent 25: t0543; make
 * eval, the examples' recall 0.956 -> 0.963, no pair taken that is not a copy). */
#define GRP_GRAY_DETAIL 12
/* Nor where the keypoints' transform turns one picture by over GRP_GRAY_TURN degrees
 * off a quarter turn: a copy turned by a few degrees is read through the turn, its
 * details resampled as a crop's are, and its original's gray copy missed it by 20
 * (make eval's clipart: a plate of spaghetti, turned by 5 degrees, left out of its
 * group, which held the original and its gray copy). */
#define GRP_GRAY_TURN 2
/* Two pictures with transparency (an icon, a cut-out, an overlay) are read through the
 * same transform by their shapes too: the alpha channels of the whole pictures on the
 * detail's grid (keypoints.h), a margin of transparency that featx took for a frame
 * included.  As detail_diff reads the details, but with no tone curve (no change of
 * levels or colours moves a shape), with more room for misplacement along an edge of
 * both (GRP_SHAPE_SHIFT of the local range: a shape's edge is a full step from clear to
 * opaque, and a turn of a degree or two moves it across half a cell at the far end of a
 * picture), and with no line passed over as a caption: in no 3 x 3 block may the
 * largest misses average over GRP_SHAPE_MAX.  Loudspeaker icons with and without their
 * sound waves, an empty waste basket and a full one, two documents of one theme, a
 * folder and the same folder over a network connector show the same light shading on
 * white, and their details differ by 3 to 35; where one has its waves, paper, folded
 * corner or connector the other is clear (make eval: 94 to 255 for every such pair the
 * details let through; 36 at most for 158 pairs of copies: crops, borders, turns, half
 * sizes, blurred and noisy copies).  Such a pair is two pictures for good: no group
 * holds both. */
#define GRP_SHAPE_MAX 64
/* Where the details found a line of text over one side (a caption: detail_diff's
 * overlay), the shapes are read without its rows (and a row each side) when the line is
 * at most GRP_SHAPE_CAP_ROWS rows of the detail's grid high and the shapes miss there as
 * letters do: the cells that miss by over GRP_SHAPE_CAP_CELL miss by GRP_SHAPE_CAP_STROKE
 * at most on average.  A caption laid over an icon's clear ground is opaque in its
 * strokes alone, which cover part of a cell (make eval: 92 to 143 for the captioned
 * icons of four sets), where a shape drawn under or over a picture spans more rows or
 * fills its cells (mate-icons: a keyboard under a computer, 11 rows; a text field with
 * its frame over a cabinet, 165 to 167; t0561).  make eval: 10 captioned copies more
 * found (icons 4, mate-icons 2, lxde-icons 2, sprites 2), no pair of distinct pictures
 * more taken; at 130, 6 of them; over 160, the cabinet and its text field one picture;
 * three icon themes beside it (elementary-xfce at 128, Tango at 32, Adwaita at 96 px):
 * no pair moved. */
#define GRP_SHAPE_CAP_ROWS 4
#define GRP_SHAPE_CAP_CELL 32
#define GRP_SHAPE_CAP_STROKE 150
/* Misplacement is what a transform fitted to the keypoints makes of an edge that crosses
 * a cell: read a fraction of a cell off, the cell takes that fraction of its
 * neighbours' range.  Two pictures that lie one on the other (a re-encoded, blurred,
 * noisy, re-toned, gray, half-size or mirrored copy; two icons of a theme drawn on one
 * canvas) are read each cell from its own place, within GRP_ALIGNED_DEV of a cell
 * wherever they are compared (kp_match prefers the plain scaling of one picture onto
 * the other when it explains as many matches as any): there only GRP_ALIGNED_SHIFT of
 * the range is misplacement (what an area average makes of a blur or a JPEG's blocks).
 * The lines of text are still found on the usual room, and read so, a line's box and a
 * cell around it count for nothing (a caption's strokes spill into the cells around
 * it).  A drawn face with a straight mouth and the same face smiling, whose eyes are
 * drawn a little apart, missed by 33 through the usual room (GRP_DETAIL_SHIFT), under
 * GRP_DETAIL_MAX; read as they lie, by 60 (make eval: the smiling, sad and unsure faces
 * of one theme 58 to 72 where they had 33 to 52; of 683 pairs of copies whose details
 * were compared none crossed GRP_DETAIL_MAX that had not before, the nearest now 32, a
 * screenshot's caption, 29 and 28, an icon's caption and a moon's contrast). */
#define GRP_ALIGNED_DEV 0.1
/* The transform the keypoints agree on is drawn from two matched places and carries their
 * rounding; on a picture whose keypoints lie along a circle (a gauge's arc, a disc) it
 * may turn the picture a few degrees about the circle's centre and still explain a few
 * matches more than no turn does.  A JPEG copy of a 96-pixel gauge glyph was read so
 * (a turn of 4 degrees, a scale of 0.96: 33 inliers of 39, against 30 for the plain
 * scaling) and its needle missed by 105: told apart from its original.  Where the plain
 * scaling of one view onto the other explains at least GRP_PLAIN_SHARE of the inliers,
 * the details are read through it too, and the closer reading counts.  make eval's
 * sixteen sets: the same reports (half-size copies' details 6 to 18 -> 0 to 4; no false
 * pair nearer than 5); the three themes added on 2026-12-07: recall 0.581 -> 0.593, no
 * false pair more (the same at shares of 0.5 to 0.9). */
#define GRP_PLAIN_SHARE 0.8
#define GRP_ALIGNED_SHIFT 0.1
#define GRP_SHAPE_SHIFT 0.5
#define GRP_DETAIL_TOP 3
#define GRP_DETAIL_APART 50
/* How far a change of tone may move a level (tone_curve): a gamma of 0.6 or 1.6 moves
 * one by up to 48, a contrast of 1.5 by up to 64, and a copy compared with another copy
 * (a lighter one and one of more contrast) by the two together.  A drawing laid over a
 * picture in levels the picture has nowhere else is moved further by a curve fitted to
 * the medians: a red ribbon over a gray page (an icon theme's bookmark and its plain
 * page) read 10 to 12 and reads 54 to 61 (make eval, lxde-icons; t0564); the copies'
 * details move by 8 at most (a caption over a star field 6 -> 14), and no copy is lost
 * down to a reach of 60 (at 40, 2 are).  A caption's black over a page is such a
 * drawing too: its letters must be read as a line (GRP_DETAIL_GAP). */
#define GRP_TONE_REACH 120
#define GRP_DETAIL_SHIFT 0.25
#define GRP_DETAIL_SHAPE 0.8
#define GRP_DETAIL_BAND 12
#define GRP_DETAIL_CELL 12
#define GRP_DETAIL_LINE 7
/* A caption's words and letters read together (detail_diff): components of the bands
 * whose rows meet within a cell and that lie within GRP_DETAIL_GAP cells of each other
 * along them make a line, passed over where it is GRP_DETAIL_LONG times as wide as tall
 * and holds a word (a component wider than tall of GRP_DETAIL_WORD cells) or
 * GRP_DETAIL_PARTS components ("a 1 b 2").  make eval: 5 more captioned copies found
 * (clipart, lxde-icons, photos, sprites), no pair of distinct pictures more; at
 * one and a half times as wide as tall, a row of three dots an icon adds to show a
 * state passed for a line (t0545), and two icons of a network's states shared a group.
 * Within 3 cells: a bold caption's thin letters (the arms of an F, a T's bar) miss by
 * less than a cell's worth across their 16-pixel cells, and a T's stem 3 cells on from
 * the F stood alone; the tone curve had taken the caption's black, which the page has
 * nowhere else, to the page's white and hidden it, until GRP_TONE_REACH (t0548). */
#define GRP_DETAIL_GAP 3
/* Where one picture's cells span over GRP_DETAIL_FOOT of the other's on the transform (a
 * crop's cells, larger than its original's by a ninth for a tenth cut away, a quarter
 * for a fifth), the finer grid is averaged over as much before the two are compared
 * (detail_diff, grid_soften): read at a point, a line one pixel wide, a whisker or a
 * root hair, fell whole into the crop's cell and in part into the original's, and
 * drawings' crops missed by 39 to 45.  make eval: 12 more pairs of copies (crops of
 * clipart, sprites and lxde-icons, and a turned lxde icon), forms' false pairs 107 ->
 * 101, the examples' recall 0.967 -> 0.970, no pair of distinct pictures more; t0547.
 * The same at 1.02 (nothing between 1.02 and 1.1 spans), and at 1.2 crops by a tenth
 * (1.11) are left out. */
#define GRP_DETAIL_FOOT 1.05
#define GRP_DETAIL_WORD 3
#define GRP_DETAIL_PARTS 4
#define GRP_DETAIL_LONG 4
/* And the transform must show most of both, or the smaller whole: a pair whose
 * transform puts under GRP_OVERLAP_MIN of the larger picture's view inside the other's
 * (kp_match's overlap), and shows the smaller there at under GRP_OVERLAP_SHOWN of its own
 * pixels, is a picture and a part of another (an icon a document shows at half size, a
 * photo in a collage): keeping the larger would lose the smaller's detail, so it is no
 * copy, and no group holds both.  A crop that keeps under 0.4 of a photo is still its
 * copy: the photo holds every pixel of it.  Copies stay above the line: a crop of a fifth
 * each way keeps 0.64, a border or a letterbox 0.7 to 0.85, a crop of a bordered copy 0.5
 * (make eval: of the pairs of copies taken with a transform, none under 0.5; the icon of
 * a globe and a document showing it at half size 0.29 to 0.31). */
#define GRP_OVERLAP_MIN 0.4
#define GRP_OVERLAP_SHOWN 0.9
/* A keeper never takes a picture that shows more than it: a member whose picture the
 * keypoints' transform puts under GRP_MORE inside the keeper's (the keeper is a crop of
 * it: a crop of a fifth each way has 0.64 of the picture) stays out of its group, kept,
 * whatever the keep policy ranked first (--keep name, --prefer, or a crop with more
 * pixels than a half-size copy of the whole).  Copies that only lose an edge stay in:
 * a turn of 5 degrees keeps about 0.9 of the picture, a scan's cropped margins 0.86 to
 * 0.92, a crop of a tenth 0.81. */
#define GRP_MORE 0.8
/* Which side of a pair carries the caption the detail pass passed over (GRP_DETAIL_LINE;
 * GRP_OVERLAY_CELLS cells or more).  Text is strokes: on a plain ground the side that
 * carries it varies along the line's cells GRP_OVERLAY_RATIO times the other's, and
 * GRP_OVERLAY_VAR gray levels a cell more.  And text is corners: on a textured ground
 * (a cat's fur varies as much) that side has GRP_OVERLAY_RATIO times the other's
 * keypoints in the line's box, and GRP_OVERLAY_MIN more.  Either decides unless the
 * other says the opposite.  That copy ranks after the other at equal pixels (keep_cmp):
 * the picture under the text reaches the destination. */
#define GRP_OVERLAY_CELLS 4
#define GRP_OVERLAY_RATIO 2
#define GRP_OVERLAY_VAR 4
#define GRP_OVERLAY_MIN 4
#define GRP_DETAIL_EDGE 2
/* A hash match in a crowded neighbourhood with too few keypoints for the strict test is
 * still one picture when it is one at the hashes' scale: perceptual hashes at most
 * GRP_TWIN_HASH apart, one tone curve to within GRP_TWIN_TONE, colour layouts (neither
 * gray) within GRP_TWIN_COLOR, and GRP_TWIN_RATIO of the keypoint matches agreeing (make
 * eval: a product's JPEG, letterbox, gamma or noise copy, 12 to 22 inliers; the one
 * look-alike so close, a galaxy of one shape on another star field, is gray at the
 * grid and 4 of 15). */
#define GRP_TWIN_HASH 2
#define GRP_TWIN_TONE 2
#define GRP_TWIN_COLOR 5
#define GRP_TWIN_RATIO 0.6
/* Two low-information pictures whose colour grids are both flat and agree to within this
 * (0..255, every cell and channel) are one flat picture: its JPEG, half-size or noisy
 * copy; a colour 20 levels off is another (make eval's flat look-alikes).  Flat only
 * where featx found no keypoint: a blank page with a page number, or a chapter's title
 * page, is low-information and its grid as flat as a blank page's, but what it shows is
 * at a place; such pictures are grouped by their bytes alone (t0538: pages 42 and 43
 * were one picture with the blank page). */
#define GRP_FLAT_TOL 4
/* Where no keypoints were read to tell (featx --local 0, dedupe --no-local), nor flat
 * where its gray levels vary by more than this (featx's info, their standard deviation):
 * a flat colour and its JPEG or half-size copy have 0, a blank page with "42" at its foot
 * 1.2, as has "43" (t0538).  So has a flat colour with a noise of 3 levels (t0520), which
 * the keypoints tell from a page number (it has no corner) but info alone does not: that
 * copy is found only where featx looked for keypoints. */
#define GRP_FLAT_INFO 0.5
/* Flat items are paired by colour with at most this many after them in colour order. */
#define GRP_FLAT_PAIRS 256
/* A caption or a watermark across the bottom or the top of a picture moves its hashes
 * by 14 to 22 bits and, on a drawing or a small picture, hides or adds most of its
 * keypoints: neither the hash search nor the keypoints find the copy (make eval: 77 of
 * 164 captioned copies missed).  Two pictures of one size whose 4 x 4 colour grids agree
 * to within GRP_CAPTION_TOL in every cell and channel of their top three rows (or their
 * bottom three), and not in the fourth, are paired (at most GRP_CAPTION_PAIRS after
 * each in the order of those rows' colour), and such a pair the hashes and the
 * keypoints turned down (in the first pass, or the second) is one picture when its
 * colour grids differ as a copy's do (GRP_COLOR_MAX) and its details, read in place
 * (aligned_detail, upright), miss by at most GRP_CAPTION_DETAIL once the caption's band
 * is passed over, that band a line of text over one side that the other lacks
 * (detail_diff's overlay), GRP_CAPTION_ROWS to GRP_CAPTION_ROWS_MAX rows of the 32 high,
 * whose corners say so too (GRP_OVERLAY_MIN more on that side, GRP_OVERLAY_RATIO times
 * the other's), GRP_CAPTION_CORNERS or more of them: a line of letters has dozens (make
 * eval's captions 75 to 230 keypoints in the line), a solid block a few (a product on a
 * plinth across its foot, 12: t0575).  The rest of the two pictures is one.  make eval, one date: 11 captioned
 * copies more (87 -> 98 of 164), recall 0.810 -> 0.815, no two distinct pictures
 * newly linked (2 false pairs more, a copy joining its original's group that held a
 * look-alike already; drawn dates 117 and 123 false pairs either way).  At 8 star fields
 * of one sky met so (43 false pairs: their scattered stars read as a line and miss by 7
 * to 11); a line 1 or 2 rows high is a strip (two drives whose bottom strips differ in
 * colour), 6 rows and more a part of the picture (two frames of a sprite, the feet
 * under the caption moved); a face in a shirt of another colour reads as a line, the
 * contrast raising 17 to 31 corners on its edge, and three of four such faces are
 * apart by their colours too (46 to 75, a copy's within 20: t0575).  A print of small
 * squares across a shirt of a near colour (7 apart) has a line's corners: an added
 * pattern in a band is read as an overlay, as a caption is. */
#define GRP_CAPTION_TOL 2
#define GRP_CAPTION_PAIRS 64
#define GRP_CAPTION_DETAIL 4
#define GRP_CAPTION_ROWS 3
#define GRP_CAPTION_ROWS_MAX 5
#define GRP_CAPTION_CORNERS 48
/* A line of text detail_diff would pass over, where neither side's strokes nor corners
 * say which carries it, each side varying by GRP_TEXTS_VAR levels or more from cell to
 * cell along it and holding GRP_TEXTS_CORNERS keypoints or more there, is two texts in
 * one place (a file type's icon and another's: the word under one glyph), which no
 * copy's mark makes: the line counts as it misses.  Read over make eval's 28 sets (at
 * 20 and 8), such lines lay in 27 comparisons of two pictures and 5 of copies (a crop,
 * a gamma, a noise, two a gray); yaru-icons' midi and wma icons (each side 38 to 48 a
 * cell, 46 to 57 corners) had been one group with the wma's copies: false pairs 121 ->
 * 118, no pair of copies lost, and the same at 20 and 16, 12 and 8 (t0576). */
#define GRP_TEXTS_VAR 15
#define GRP_TEXTS_CORNERS 12
/* Two smooth pictures (featx found no keypoint in either: a gradient, a soft blur), both
 * low-information or both not, are one when their colour grids agree within
 * GRP_SMOOTH_TOL in every cell and channel, their wavelet hashes within
 * GRP_SMOOTH_WHASH and their difference hashes within the usual limit: such a picture is
 * its colour layout, and its perceptual hash is noise (a gradient's JPEG or half-size
 * copy is 20 or more bits off; the grid moves 1 or 2).  A gradient whose end colour is
 * 40 off is another (make eval's flat look-alikes: 10 or more at the end cells). */
#define GRP_SMOOTH_TOL 6
#define GRP_SMOOTH_WHASH 8
/* And only where the layout says something: where neither grid spans GRP_SMOOTH_SPAN
 * levels in any channel (a soft cloud all but clear, each cell within a few levels of
 * the others), two pictures agree within GRP_SMOOTH_TOL as two flat ones do, whatever
 * their shapes: FreeOrion's gaseous nebulae (spans 9 to 14) were one group of 20
 * pictures; make eval's gradients span 20 to 141. */
#define GRP_SMOOTH_SPAN (3 * GRP_SMOOTH_TOL)
/* Smooth only where featx had room to find keypoints: a working picture (the local
 * field's size) at least this many pixels on each side. */
#define GRP_SMOOTH_SIDE 96
#define GRP_LSH_TABLES 8
#define GRP_LSH_BITS 22
#define GRP_LSH_KEYPOINTS 64
#define GRP_LSH_VOTES 2
/* The index keys each picture's GRP_LSH_KEYPOINTS strongest keypoints and then, of the
 * rest, the strongest GRP_LSH_CELL in each cell of a GRP_LSH_GRID x GRP_LSH_GRID grid
 * over it, GRP_LSH_SPREAD more at most (lsh_pick).  The strongest alone can lie all in
 * one part: a caption's letters under a page of text or a chart take most of them, and
 * the copy shared too few with its original to rank among its best (below); spread,
 * some lie in the part both show (t0548: 2 or 3 of 12 such copies of pages of small
 * print found, 12 now; make eval: 6 more pairs of copies, captions and crops of pages
 * and charts, 5 fewer in forms, and 5 fewer pairs of forms filled otherwise; the
 * example photos' recall 0.970 -> 0.978). */
#define GRP_LSH_SPREAD 64
#define GRP_LSH_GRID 3
#define GRP_LSH_CELL 8
/* A crowded collection's images share corners with most others (icons, pages, star
 * fields: make eval's icons proposed 22,261 pairs of 28,680; textures too, at a few votes
 * a pair): of the pairs with GRP_LSH_VOTES, the index keeps each item's GRP_LSH_TOPK with
 * the most votes (of as many votes, the nearer perceptual hashes first; ties kept), and
 * any with GRP_LSH_SURE (eight descriptors alike in every table).  Keyed on the
 * strongest alone, 48 kept every pair of copies make eval's sets found (at 32 captions
 * of pages fell out, at 24 t0522's crop of a grass texture against its letterbox, 2
 * votes); keyed spread too (above), 20 keep them, and half as many pairs are matched:
 * make eval's fifteen sets 88,151 -> 40,853, the local stage 2.3 -> 1.5 ms an image
 * (tests/bench/localscale.sh), recall 0.882 -> 0.884 (forms +3 pairs of copies; none
 * lost elsewhere), pairs of distinct pictures 134 -> 120 (all forms).  Ranked on the
 * votes alone, the pairs tied at a few votes with an item's last were all kept: 20,000
 * records of real photos' features, 256 keypoints each (tests/bench/realrec.py),
 * proposed 1,454,286 pairs, three times as many as at 48 keyed on the strongest alone;
 * the hash distance leaves 302,288, and every set's records of make eval the same.
 * The pairs whose perceptual hashes lie within the hash search's radius (--phash-max)
 * are the search's to propose: they take none of an item's places here, where a form's
 * siblings of one template, at 2 to 10 bits, filled all of them and a crop of the form
 * (18 bits and fewer votes) was left out; so 16 places do (make eval: forms' copies
 * 57 -> 59 of 84, pairs of distinct forms kept in groups 51 -> 44; every other set's
 * records and the example photos' the same; the pairs matched 29,608 -> 28,344). */
#define GRP_LSH_TOPK 16
#define GRP_LSH_SURE 64
/* A picture whose hashes match more than GRP_HASH_TOPK others' (an invoice among
 * thousands of its template) has only its nearest verified: those within the largest
 * perceptual-hash distance that holds GRP_HASH_TOPK of them at most (all at distance 0);
 * a pair beyond both its pictures' nearest, and not among the pairs the descriptor index
 * ranks best (GRP_LSH_TOPK of each item's, or GRP_LSH_SURE votes), is turned down
 * unverified and kept apart (crowd_cap).  Without it the verification grew as the square
 * of such a collection: 100, 200 and 400 distinct forms of one template took 17, 35 and
 * 76 ms an image in dedupe's local stage, now 12, 14 and 11, and 125 of the 400 were
 * reported as another's duplicate, now 96 (tests/bench/localscale.sh).  400 such forms
 * and 17 copies of every tenth (make eval's transforms): 197 s -> 25 s of CPU, copies
 * with their form 386 -> 340 of 680, pairs of distinct forms in groups 747 -> 506.  make
 * eval's pictures match at most 79 others' (forms: 3 pairs left unverified, the groups
 * the same), 50 (flat), 35 (products); every other set's records the same. */
#define GRP_HASH_TOPK 64

enum { GRP_SEARCH_INDEX = 0, GRP_SEARCH_ALL = 1 };
struct dec_apart;               /* decisions.h */
struct dec_counts;
enum { GRP_MODE_STAR = 0, GRP_MODE_CLIQUE = 1, GRP_MODE_COMPONENTS = 2 };

/* One candidate pair as the acceptance checks left it (items a < b). */
struct grp_trace {
	size_t a, b;
	int pass;                   /* 1: turned down by the first pass (bytes, hashes, the
	                             * lenient keypoint test); 2: decided by the second */
	int stage;                  /* GRP_*: GRP_NONE when turned down */
	int orient;                 /* turns b into a's likeness */
	int verified;               /* as grp_item's */
	int blind, conflict, hashed, shifted;
	int dmin;                   /* perceptual-hash distance over the orientations */
	int margin;                 /* to the nearest distinct neighbour (GRP_MARGIN_OPEN:
	                             * none; pass 1: not measured) */
	int cdiff, tone;            /* colour and tone-curve misses (-1 / 0: not compared) */
	int inliers, matches;
	int strict;                 /* the inliers the strict keypoint test wants of this
	                             * pair (GRP_STRICT_INLIERS grown by GRP_AMBIG_GROW for
	                             * an ambiguous hash match, else GRP_STRICT_GROW) */
	double cover, contain, overlap;
	int wcol;                   /* colour grids compared through the keypoints'
	                             * transform (-1: not compared) */
	int ddiff;                  /* the details compared through it (the largest
	                             * difference of a 3 x 3 block of cells beyond what
	                             * misplacement and noise explain; -1 not compared) */
	int shared, agree;          /* keypoints of the part both pictures show (the side
	                             * with fewer) and how many the other side repeats */
	int mid, mid_dead;          /* the middle cells that hold such keypoints and those
	                             * where none is repeated (kp_match's mid, mid_dead) */
	int repeated;               /* the keypoints took it on the test of repetition
	                             * (GRP_REPEAT_*) */
	int chroma;                 /* chroma_diff through the keypoints' transform, or -1 */
	int tint;                   /* the detail pass's tint (chroma_diff), or -1 */
	int shape_apart;            /* the detail pass found the pictures' shapes (their
	                             * transparency) differ (GRP_SHAPE_MAX) */
	int spread_apart;           /* the detail pass found the details miss all over
	                             * (GRP_SPREAD_*) */
	int fine_apart;             /* and the fine details (GRP_FINE_SPREAD) */
	int ink_apart;              /* and the pages' ink (GRP_INK_*) */
	int captioned;              /* taken on its details read in place past a caption
	                             * (caption_same, GRP_CAPTION_*) */
	int capped;                 /* a hash match left unverified: neither picture's
	                             * GRP_HASH_TOPK nearest hold it */
};

struct grp_opts {
	int phash_max, dhash_max, whash_max;
	int exact_only;
	int search;                 /* GRP_SEARCH_INDEX (multi-index hashing on the
	                             * perceptual hash) or GRP_SEARCH_ALL (every pair); both
	                             * give the same groups */
	int threads;                /* for the index search; 0: one */
	int rotations;              /* also match mirrored and turned copies: the phash of one
	                             * against the other's orientation variants, the wavelet
	                             * hash against the other's turned grid */
	int mode;                   /* GRP_MODE_*: star around the keeper (default), clique
	                             * (every member matches every other), or connected
	                             * components (chains allowed) */
	int local;                  /* match keypoints: crop candidates from an index over
	                             * descriptor bits, and verification of candidates the
	                             * hashes turn down (items without keypoints skip it) */
	int local_min;              /* inliers that make a local match (default 16) */
	struct kpcache *kps;        /* where items with has_kp keep their keypoints, or NULL */
	struct gpu *gpu;            /* with GRP_SEARCH_INDEX: find the hash pairs on this GPU
	                             * (the same pairs, gpu.h), or NULL */
	int keys[GRP_MAX_KEYS];     /* KEEP_* keys; KEEP_NAME is implied last */
	int nkeys;
	struct dec_apart *apart;    /* pairs of items that never share a group (a reviewer's
	                             * decisions: dec_bind), or NULL */
	/* when not NULL, called once for each candidate pair with what the checks found
	 * (dedupe --trace-pairs), from one thread */
	void (*trace)(void *ud, const struct grp_trace *t);
	void *trace_ud;
};

/* Counters of the last grp_run, for reports and benchmarks. */
struct grp_stats {
	size_t candidates;          /* pairs the search proposed (phash within range, or the
	                             * same checksum) */
	size_t compared;            /* pairs whose distances were all compared */
	size_t local_candidates;    /* pairs the descriptor index proposed */
	size_t local_crowded;       /* pairs the index left out: below both items'
	                             * GRP_LSH_TOPK best (their hash distances still count
	                             * in the neighbourhoods) */
	size_t hash_crowded;        /* pairs the hashes matched that neither picture's
	                             * GRP_HASH_TOPK nearest hold: left unverified */
	size_t local_verified;      /* pairs whose keypoints were matched */
	size_t ambiguous;           /* pairs the hashes matched in a crowded neighbourhood
	                             * (or with clashing colours), left to the keypoints */
	size_t low_info;            /* items grouped by their bytes only */
	const struct dec_counts *decisions; /* what --decisions did (dec_finish, set by the
	                             * caller after grp_run), or NULL */
};

/* Defaults: phash 12, dhash 16, whash 16 (chosen on the example photos and their variants: true pairs up to 12/12/14 outside textures, distinct photos from 24/22/16), keep resolution,date,center,size,name: the most pixels, then the oldest (copies and edits
 * are newer than what they were made from), then the one nearest the rest of its group
 * (an original is one change from each copy, a copy two from another), then the
 * largest file. */
void grp_opts_default(struct grp_opts *o);
/* Parses "resolution,size,date,center,format,name" (any order, any subset) into o->keys. */
int grp_parse_keep(struct grp_opts *o, const char *spec, aderr *err);
/* Writes the policy back as text ("resolution,size,date,name"). */
void grp_keep_string(const struct grp_opts *o, char *buf, size_t len);

/* Groups n items in place.  Returns the number of groups, or a negative AD_E* code.
 * Byte-identical copies are folded first (fold.c): the search and the checks see one
 * item per content, the best ranked of its copies, and the others follow it (into its
 * group as exact copies when it keeps, else with its stage and evidence), so a
 * collection holding every picture N times gets the decisions of the one holding it
 * once.  The stats count each copy set aside as one candidate pair compared. */
/* As grp_run, with the search's counters. */
long grp_run_stats(struct grp_item *items, size_t n, const struct grp_opts *o,
    struct grp_stats *st, aderr *err);
long grp_run(struct grp_item *items, size_t n, const struct grp_opts *o, aderr *err);
/* For fold.c: grp_run_stats without the folding (items of distinct content, or copies
 * each searched and checked on its own). */
long grp_run_distinct(struct grp_item *items, size_t n, const struct grp_opts *o,
    struct grp_stats *st, aderr *err);
/* For fold.c: <0 when items[a] ranks before items[b] in the order keepers are chosen
 * (the keep policy, then the place), >0 after; *key the KEEP_* key that decides between
 * them by the policy. */
int grp_rank(const struct grp_item *items, size_t a, size_t b, const struct grp_opts *o,
    int *key);

/* After grp_run: pairs of members with the same bytes inside groups that also hold near
 * or local members (copies of one file that reached the group by their hashes); -1 when
 * out of memory. */
long grp_exact_pairs(const struct grp_item *items, size_t n);

#endif
