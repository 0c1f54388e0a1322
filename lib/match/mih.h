/* mih.h — multi-index hashing: every pair of 64-bit codes within a Hamming radius,
 * without comparing all pairs.
 *
 * The codes are cut into chunks, each given a radius s_i such that the s_i + 1 add up to
 * r + 1: two codes within r bits are then within s_i bits on some chunk i (pigeonhole).
 * Each chunk in turn is indexed by value (a counting-sorted table of the codes themselves)
 * and every pair of buckets within its radius is joined; a pair is reported once, from
 * the first chunk that finds it.  The cut (how many chunks, how wide, which radii) comes
 * from a cost model over n and r; all pairs are compared where that is cheaper.  The
 * search is exact: it returns the same pairs as comparing all of them.  Memory: one
 * chunk's table at a time, 12 bytes per code plus 2^bits offsets (at most 16 MiB), and
 * 8 bytes per pair found (up to three times that while collecting and sorting them), or,
 * for the *_each searches that hand the pairs over as they come, a block a thread. */
#ifndef AZD_MIH_H
#define AZD_MIH_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct mih_pair {
	uint32_t a, b;      /* mih_pairs: a < b; mih_cross: query, code */
};

/* All pairs (a, b), a < b, with popcount(codes[a] ^ codes[b]) <= r, on `threads`
 * threads.  *pairs is malloc'd (the caller frees it), *npairs its length; the order is
 * by a, then b.  n must be below 2^32. */
int mih_pairs(const uint64_t *codes, size_t n, int r, int threads, struct mih_pair **pairs,
    size_t *npairs, aderr *err);

/* All pairs (q, c) with popcount(queries[q] ^ codes[c]) <= r: each query against the
 * codes only (the codes are not compared among themselves, nor the queries), each pair
 * once.  Ordered by q, then c; *pairs and *npairs as for mih_pairs.  Memory: a table for
 * the codes and one for the queries (12 bytes a hash and 2^bits offsets each), plus the
 * pairs.  nq and nc must be below 2^32. */
int mih_cross(const uint64_t *queries, size_t nq, const uint64_t *codes, size_t nc, int r,
    int threads, struct mih_pair **pairs, size_t *npairs, aderr *err);

/* mih_cross for nq items of `forms` forms each: codes[q * forms + k] is item q's form k,
 * its first form queries[q] itself.  Leaves out each item's own forms, and finds a pair
 * of first forms (q, c * forms) only from the lower item (the match is symmetric: the
 * other query finds it too), which halves the pairs of a crowded collection; a pair of
 * other forms is found as mih_cross finds it.  The pairs come in no order (the caller
 * sorts them as it needs: a sort buffer would double the memory they take). */
int mih_cross_forms(const uint64_t *queries, size_t nq, const uint64_t *codes, uint32_t forms,
    int r, int threads, struct mih_pair **pairs, size_t *npairs, aderr *err);

/* Receives the pairs of the *_each searches a block at a time, as a worker finds them:
 * `worker` (0 to threads - 1) is the calling thread's number, and the workers call at the
 * same time, each with its own blocks (the sink may reorder or overwrite the block; it is
 * reused once the call returns).  0, or a negative AD_E* code with the reason in err:
 * the search then stops and returns it. */
typedef int (*mih_sink)(void *ud, int worker, struct mih_pair *pairs, size_t n, aderr *err);

/* mih_pairs without collecting the pairs: each pair (a < b) is handed to sink once, in
 * no order, at most MIH_SINK_BLOCK at a time, from at most `threads` workers.  Memory:
 * one chunk's table and a block of pairs a worker. */
#define MIH_SINK_BLOCK 65536
int mih_pairs_each(const uint64_t *codes, size_t n, int r, int threads, mih_sink sink,
    void *ud, aderr *err);

/* mih_cross_forms the same way: its pairs (q, c) handed to sink as found. */
int mih_cross_forms_each(const uint64_t *queries, size_t nq, const uint64_t *codes,
    uint32_t forms, int r, int threads, mih_sink sink, void *ud, aderr *err);

/* Sorts pairs by a, then b (a radix sort, least significant digit first, skipping the
 * digits every pair shares; qsort when the buffer cannot be had). */
void mih_sort_pairs(struct mih_pair *p, size_t n);

/* The chunk count mih_pairs picks for n codes at radius r (for reports and benchmarks;
 * 0 when it compares all pairs). */
int mih_chunks(size_t n, int r);

/* The same for mih_cross with nq queries and nc codes. */
int mih_cross_chunks(size_t nq, size_t nc, int r);

#endif
