/* mih.h — multi-index hashing: every pair of 64-bit codes within a Hamming radius,
 * without comparing all pairs.
 *
 * The codes are cut into m chunks of about log2(n) bits and each chunk is indexed by
 * value (a counting-sorted table).  Two codes within distance r agree to within
 * floor(r/m) bits on at least one chunk (pigeonhole), so probing, for each code, every
 * value within that many bits of each of its chunks finds all its neighbours; each pair is
 * reported once, from the first chunk that finds it.  The search is exact: it returns the
 * same pairs as comparing all of them.  Memory: 4 bytes per code and chunk, plus one
 * table of 2^bits offsets per chunk. */
#ifndef AZD_MIH_H
#define AZD_MIH_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct mih_pair {
	uint32_t a, b;      /* a < b */
};

/* All pairs (a, b), a < b, with popcount(codes[a] ^ codes[b]) <= r, on `threads`
 * threads.  *pairs is malloc'd (the caller frees it), *npairs its length; the order is
 * by a, then b.  n must be below 2^32. */
int mih_pairs(const uint64_t *codes, size_t n, int r, int threads, struct mih_pair **pairs,
    size_t *npairs, aderr *err);

/* The chunk count mih_pairs picks for n codes (for reports and benchmarks). */
int mih_chunks(size_t n);

#endif
