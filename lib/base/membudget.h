/* membudget.h — a memory budget that threads decoding at once share.
 *
 * featx decodes several images at once, and one image's decode can need hundreds of
 * megabytes (a progressive JPEG's coefficients, an interlaced PNG, a GIF's screen), so
 * its memory would grow with -j and with what the files claim.  Each decode instead
 * estimates from the headers what it will hold at its peak and takes that much of a
 * shared budget first: a counting reservation (mutex and condition variable) that waits
 * while the others hold too much, and refuses at once what is more than the whole
 * budget.  Waiters are served in the order they came, so a big decode is not starved by
 * a stream of small ones.
 *
 * A thread holds its part through a struct mb_hold (one per decode, on its stack).
 * membudget_hold sets the hold to n bytes: a hold that shrinks never waits; one that
 * grows and cannot be given at once lets go of what it has, then waits for the whole n,
 * so no thread waits while holding, and two holds that both grow cannot deadlock.
 *
 * Ownership: membudget_new's budget is freed by membudget_free once no hold remains. */
#ifndef AZD_MEMBUDGET_H
#define AZD_MEMBUDGET_H

#include <stddef.h>

#include "err.h"

struct membudget;

struct mb_hold {
	struct membudget *b;    /* NULL: no budget, every hold succeeds */
	size_t held;            /* bytes this hold has now */
	size_t base;            /* img_decode: what was held before it began (decode.h) */
};

/* A budget of total bytes (at least 1); NULL when out of memory. */
struct membudget *membudget_new(size_t total);
void membudget_free(struct membudget *b);
size_t membudget_total(const struct membudget *b);
/* The most bytes held at once so far (for tests). */
size_t membudget_peak(struct membudget *b);

/* Sets h to hold n bytes in all, waiting while the others hold too much.  0, or
 * AD_ETOOBIG (err: "too large: decoding needs about N MiB, over the M MiB memory budget
 * (--max-memory)") when n is more than the whole budget; h is then unchanged. */
int membudget_hold(struct mb_hold *h, size_t n, aderr *err);
/* Lets go of everything h holds. */
void membudget_release(struct mb_hold *h);

/* "512M", "2G", "1048576", "64k": a size in bytes with an optional K, M, G or T suffix
 * (powers of 1024; a trailing B or iB is allowed).  0, or -1 when s is not such a size
 * or it is 0 or does not fit. */
int membudget_parse_size(const char *s, size_t *out);

#endif
