/* decisions.h — a reviewer's decisions about groups (dedupe --decisions), read from NDJSON
 * files and applied to one run's images by their content checksum.
 *
 * One decision a line, each naming images by their "sha256" (64 lower-case hex digits),
 * so that a rename does not lose it:
 *   {"op":"keeper","sha256":S[,"name":N]}          S keeps whatever group it lands in
 *                                                  (N: which of its byte-identical copies)
 *   {"op":"not_duplicate","sha256":A,"of":B}       A and B never share a group
 *   {"op":"split","sha256":[A...],"from":[B...]}   no A shares a group with any B
 *   {"op":"reviewed","group":[S...]}               a group of exactly these was accepted
 * "at" and "note" (and any other field) are ignored; a blank line is skipped.  Later lines
 * and later files win where decisions conflict (two keepers for one group).
 *
 * dec_load reads a file into the set; dec_bind maps the set onto the items about to be
 * grouped: it ranks the decided keepers first (grp_item.keep_first) and gives grp_run the
 * cannot-link pairs (grp_opts.apart); after grp_run, dec_finish marks the reviewed groups
 * (grp_item.reviewed on the keeper) and counts what applied.  The set owns everything it
 * hands out; dec_free releases it. */
#ifndef AZD_DECISIONS_H
#define AZD_DECISIONS_H

#include <stddef.h>
#include "err.h"
#include "group.h"

enum { DEC_KEEPER = 1, DEC_NOT_DUPLICATE, DEC_SPLIT, DEC_REVIEWED };

struct dec_set;

/* What dec_finish counts, for the report's summary. */
struct dec_counts {
	long total;       /* decisions read */
	long applied;     /* decisions in force: every image they name is in this run (split:
	                   * one of each side at least) */
	long unmatched;   /* the others: about images absent from this run */
	long keepers;     /* groups whose keeper a decision chose */
	long released;    /* images a cannot-link kept out of a group they matched */
	long reviewed;    /* groups marked reviewed */
};

struct dec_set *dec_new(void);
/* Appends the decisions of the NDJSON file at path (after those read before).  0, or
 * AD_EFORMAT with err "PATH:LINE: reason" for a bad line (nothing of that file is kept),
 * or another negative code when the file cannot be read. */
int dec_load(struct dec_set *d, const char *path, aderr *err);
/* One line of text (len bytes, no newline needed) as line lineno of file: 0, or a negative
 * code with err "FILE:LINE: reason". */
int dec_parse(struct dec_set *d, const char *file, long lineno, const char *text, size_t len,
    aderr *err);
/* Decisions read so far, and the op of decision i. */
size_t dec_count(const struct dec_set *d);
int dec_op(const struct dec_set *d, size_t i);

/* Before grp_run on items[0..n): sets every item's keep_first (0 for none) and *apart to
 * the cannot-link pairs among the items (NULL when there are none).  0, or AD_ENOMEM.
 * The items must stay in place until dec_finish; one grp_run per dec_bind (the
 * components mode keeps its state in *apart). */
int dec_bind(struct dec_set *d, struct grp_item *items, size_t n, struct dec_apart **apart,
    aderr *err);
/* After grp_run on the bound items: marks the keepers of reviewed groups and fills c.
 * 0, or AD_ENOMEM. */
int dec_finish(struct dec_set *d, struct grp_item *items, size_t n, struct dec_counts *c,
    aderr *err);
void dec_free(struct dec_set *d);

/* For grp_run.  Star and clique: 1 when item j may not join keeper k's group as it is
 * now (j is apart from k or from a member taken so far: items[x].keeper == k), else 0. */
int dec_apart_refuses(const struct dec_apart *ap, const struct grp_item *items, size_t k,
    size_t j);
/* Components: up the union-find parents (a root points at itself), x and y two roots:
 * 1 when joining them would put a cannot-link pair into one component, 0 when not,
 * AD_ENOMEM. */
int dec_apart_joins(struct dec_apart *ap, size_t *up, size_t x, size_t y);
/* Components: y's component was joined under root x. */
void dec_apart_union(struct dec_apart *ap, size_t x, size_t y);

/* For fold.c, which groups one representative per content: the pairs of ap with item i
 * renamed to[i] (every to[i] < m), repeats once, a pair whose two ends become one item
 * dropped.  Decisions name checksums, so the byte-identical copies folded onto one
 * representative have the same partners, and it gets them.  NULL with err set when out
 * of memory; give it back with dec_apart_free. */
struct dec_apart *dec_apart_fold(const struct dec_apart *ap, const size_t *to, size_t m,
    aderr *err);
void dec_apart_free(struct dec_apart *ap);

#endif
