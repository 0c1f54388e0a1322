/* mih.c — exact Hamming-radius pairs through multi-index hashing.
 *
 * One chunk at a time: the codes are counting-sorted by the chunk's value into a table
 * that keeps each code next to its index, and every pair of buckets whose values are
 * within the chunk's radius is joined (each bucket with itself, and with each bucket of
 * a higher value within the radius), so a bucket's codes are read once for all its
 * neighbours and no probe is made per code.  Threads take blocks of buckets as they
 * come free; the pairs are sorted at the end.
 *
 * mih_cross indexes the queries and the codes each in their own table, and joins every
 * query bucket with every code bucket within the chunk's radius of it (the bucket itself
 * and all its neighbours, not only the higher ones): only query-code pairs are compared. */
#include "mih.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define MIH_X86 1
#include <immintrin.h>
#endif

#define MAX_CHUNKS 16         /* 64 / MIN_BITS */
#define MIN_BITS 4
#define MAX_BITS 22         /* 2^22 + 1 offsets: 16 MiB, the largest table tried */
#define MAX_THREADS 64

struct plan {
	int all;                    /* comparing all pairs instead */
	int m;                      /* chunks */
	int bits[MAX_CHUNKS], shift[MAX_CHUNKS], rad[MAX_CHUNKS];
};

struct table {
	int bits, shift;
	uint32_t *off;      /* 2^bits + 1 offsets into code and id */
	uint64_t *code;     /* the codes by chunk value, then index */
	uint32_t *id;       /* their indexes */
	uint32_t *mask;     /* every nonzero value within the radius, by highest bit */
	uint32_t mstart[33];    /* masks whose highest bit is h: mask[mstart[h] .. mstart[h+1]) */
};

struct shared {
	const uint64_t *codes;      /* comparing all pairs */
	size_t n;
	const uint64_t *queries;    /* mih_cross: the queries, compared with all codes */
	size_t nq;
	int r, cross;
	uint32_t forms;             /* mih_cross_forms: forms an item, else 0 */
	const struct table *t;      /* the codes' table */
	const struct table *tq;     /* mih_cross: the queries' */
	int nearlier;                       /* the chunks searched before this one */
	uint64_t emask[MAX_CHUNKS];         /* ... their bits in place */
	int eshift[MAX_CHUNKS], erad[MAX_CHUNKS];
	size_t units, block;                /* buckets (or codes) and how many a grab takes */
	atomic_size_t next;
	mih_sink sink;                      /* the *_each searches: where the pairs go */
	void *ud;
};

struct job {
	struct shared *s;
	int kernel;
	struct mih_pair *out;
	size_t nout, cap;
	int failed;
	int id;                     /* the worker's number, for the sink */
	int rc;                     /* the sink's failure, with err */
	aderr err;
};

enum { PLAIN, POPCNT, AVX2, AVX512 };

/* The comparison loop this CPU runs: AVX-512 with its popcount, else AVX2 (a table's
 * bit counts, with the popcnt instruction for the short buckets), else the popcnt
 * instruction, else plain C; AZD_MIH_KERNEL=plain, popcnt or avx2 asks for a lesser one
 * (tests). */
static int kernel(void)
{
	const char *want = getenv("AZD_MIH_KERNEL");
	int k = PLAIN;

#ifdef MIH_X86
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
		k = AVX512;
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
		k = AVX2;
	else if (__builtin_cpu_supports("popcnt"))
		k = POPCNT;
#endif
	if (want != NULL && strcmp(want, "plain") == 0)
		k = PLAIN;
	if (want != NULL && strcmp(want, "popcnt") == 0 && k > POPCNT)
		k = POPCNT;
	if (want != NULL && strcmp(want, "avx2") == 0 && k > AVX2)
		k = AVX2;
	return k;
}

/* The cost, in nanoseconds or so, of searching a chunk `bits` wide at radius `rad` for n
 * codes: building the table, visiting the neighbour buckets of each occupied one, and
 * joining each pair of occupied neighbours (once a pair) row by row, a row being one code
 * against the other bucket's (the time of a row grows with the bucket when comparing one
 * pair at a time, hardly below 16 codes with AVX-512).  Measured on one x86-64 machine;
 * only the ratios matter. */
static double chunk_cost(double n, int bits, int rad, int wide)
{
	double nb = ldexp(1, bits), lambda = n / nb, full = -expm1(-lambda);
	double masks = 0, c = 1, probe = bits <= 16 ? 1.5 : bits <= 19 ? 3 : 6;
	double row = wide ? (lambda < 12 ? 2 : lambda / 6) : 0.35 * lambda / full + 1;

	for (int k = 1; k <= rad && k <= bits; k++) {
		c = c * (bits - k + 1) / k;
		masks += c;
	}
	return nb * 0.5 + n * 4 + nb * full * masks / 2 * (probe + full * 5) +
	    n * (masks + 1) / 2 * full * row;
}

/* The same for mih_cross: two tables, each occupied query bucket visiting all its
 * neighbours in the codes' table, and a row being one query against a code bucket (code
 * buckets run long here: a row was measured at 0.15 ns a code plus 6, 1M queries against
 * 8M codes, popcnt loop). */
static double cross_cost(double nq, double nc, int bits, int rad, int wide)
{
	double nb = ldexp(1, bits), lq = nq / nb, lc = nc / nb;
	double fq = -expm1(-lq), fc = -expm1(-lc);
	double masks = 1, c = 1, probe = bits <= 16 ? 1.5 : bits <= 19 ? 3 : 6;
	double row = wide ? (lc < 12 ? 2 : lc / 6) : 0.15 * lc / fc + 6;

	for (int k = 1; k <= rad && k <= bits; k++) {
		c = c * (bits - k + 1) / k;
		masks += c;
	}
	return nb + (nq + nc) * 4 + nb * fq * masks * (probe + fc * 5) + nq * masks * fc * row;
}

/* The cheapest cut of the 64 bits into chunks (MIN_BITS to MAX_BITS wide, bits left out
 * allowed) with radii s_i such that the sum of s_i + 1 is r + 1: two codes within r bits
 * are then within s_i bits on some chunk i (else they would differ in at least r + 1).
 * Dynamic programming over the bits left and the radius still to cover; comparing all
 * pairs where that is cheaper.  nq > 0: nq queries against n codes (mih_cross). */
static void plan_for(size_t nq, size_t n, int r, int k, struct plan *p)
{
	static const double inf = 1e300;
	double cost[65][66], cc[MAX_BITS + 1][MAX_BITS + 1];
	double dn = (double)n, dq = (double)nq;
	int wide = k == AVX512;
	signed char cw[65][66], cs[65][66];     /* the first chunk's width (0: skip a bit), radius */

	memset(p, 0, sizeof *p);
	p->all = 1;
	for (int w = MIN_BITS; w <= MAX_BITS; w++)
		for (int s = 0; s <= w; s++)
			cc[w][s] = nq > 0 ? cross_cost(dq, dn, w, s, wide) :
			    chunk_cost(dn, w, s, wide);
	for (int b = 0; b <= 64; b++)
		for (int need = 0; need <= r + 1; need++) {
			cost[b][need] = need == 0 ? 0 : inf;
			cw[b][need] = 0;
			cs[b][need] = -1;
			if (need == 0)
				continue;
			if (b > 0 && cost[b - 1][need] < cost[b][need])
				cost[b][need] = cost[b - 1][need];
			for (int w = MIN_BITS; w <= b && w <= MAX_BITS; w++)
				for (int s = 0; s < need && s <= w; s++) {
					double c = cc[w][s] + cost[b - w][need - s - 1];

					if (c < cost[b][need]) {
						cost[b][need] = c;
						cw[b][need] = (signed char)w;
						cs[b][need] = (signed char)s;
					}
				}
		}
	if (cost[64][r + 1] >= (nq > 0 ? dq * dn : dn * dn / 2) * (wide ? 0.15 : 0.4))
		return;
	p->all = 0;
	for (int b = 64, need = r + 1, shift = 0; need > 0; ) {
		if (cw[b][need] == 0) {
			b--;
			shift++;
			continue;
		}
		p->bits[p->m] = cw[b][need];
		p->shift[p->m] = shift;
		p->rad[p->m++] = cs[b][need];
		shift += cw[b][need];
		need -= cs[b][need] + 1;
		b -= p->bits[p->m - 1];
	}
}

int mih_chunks(size_t n, int r)
{
	struct plan p;

	plan_for(0, n, r < 0 ? 0 : r > 64 ? 64 : r, kernel(), &p);
	return p.all ? 0 : p.m;
}

int mih_cross_chunks(size_t nq, size_t nc, int r)
{
	struct plan p;

	plan_for(nq ? nq : 1, nc, r < 0 ? 0 : r > 64 ? 64 : r, kernel(), &p);
	return p.all ? 0 : p.m;
}

/* Hands the worker's pairs to the sink; 0, or -1 with the sink's code in j->rc. */
static int flush(struct job *j)
{
	int rc;

	if (j->nout == 0)
		return 0;
	rc = j->s->sink(j->s->ud, j->id, j->out, j->nout, &j->err);
	j->nout = 0;
	if (rc < 0) {
		j->rc = rc;
		return -1;
	}
	return 0;
}

static int push(struct job *j, uint32_t a, uint32_t b)
{
	if (j->s->forms) {          /* an item's own forms; a pair of plain forms once */
		uint32_t bi = b / j->s->forms;

		if (bi == a || (b % j->s->forms == 0 && bi < a))
			return 0;
	}
	if (j->nout == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 1024;
		struct mih_pair *np = realloc(j->out, nc * sizeof *np);

		if (np == NULL)
			return -1;
		j->out = np;
		j->cap = nc;
	}
	if (j->s->cross) {          /* (query, code) as found */
		j->out[j->nout].a = a;
		j->out[j->nout++].b = b;
	} else {
		j->out[j->nout].a = a < b ? a : b;
		j->out[j->nout++].b = a < b ? b : a;
	}
	return j->s->sink != NULL && j->nout >= MIH_SINK_BLOCK ? flush(j) : 0;
}

/* Keeps a pair x = a ^ b apart within r unless a chunk searched before found it. */
static inline __attribute__((always_inline)) int keep(struct job *j, uint64_t x, uint32_t a,
    uint32_t b)
{
	const struct shared *s = j->s;

	if (__builtin_popcountll(x) > s->r)
		return 0;
	for (int e = 0; e < s->nearlier; e++)
		if (__builtin_popcountll((x >> s->eshift[e]) & s->emask[e]) <= s->erad[e])
			return 0;
	return push(j, a, b);
}

/* Joins ta's codes [alo, ahi) with tb's [blo, bhi) (the same table for mih_pairs). */
static inline __attribute__((always_inline)) int join(struct job *j, const struct table *ta,
    uint32_t alo, uint32_t ahi, const struct table *tb, uint32_t blo, uint32_t bhi)
{
	const uint64_t *acode = ta->code, *code = tb->code;
	int r = j->s->r;

	for (uint32_t a = alo; a < ahi; a++) {
		uint64_t ca = acode[a];

		for (uint32_t b = blo; b < bhi; b++)
			if (__builtin_expect(__builtin_popcountll(ca ^ code[b]) <= r, 0) &&
			    keep(j, ca ^ code[b], ta->id[a], tb->id[b]) < 0)
				return -1;
	}
	return 0;
}

#ifdef MIH_X86
/* The hits of one code against eight of the other bucket (in: the lanes there are),
 * each kept. */
__attribute__((target("popcnt,avx512f,avx512vpopcntdq"), always_inline)) static inline int
hits512(struct job *j, const struct table *ta, uint32_t a, const struct table *tb, uint32_t b,
    __m512i cb, __mmask8 in, __m512i rv)
{
	__m512i ca = _mm512_set1_epi64((long long)ta->code[a]);
	unsigned hit = _mm512_mask_cmple_epu64_mask(in,
	    _mm512_popcnt_epi64(_mm512_xor_si512(ca, cb)), rv);

	for (; hit; hit &= hit - 1) {
		uint32_t k = b + (uint32_t)__builtin_ctz(hit);

		if (keep(j, ta->code[a] ^ tb->code[k], ta->id[a], tb->id[k]) < 0)
			return -1;
	}
	return 0;
}

/* join with AVX-512: one code against eight of the other bucket at a time */
__attribute__((target("popcnt,avx512f,avx512vpopcntdq"), noinline)) static int join512(
    struct job *j, const struct table *ta, uint32_t alo, uint32_t ahi, const struct table *tb,
    uint32_t blo, uint32_t bhi)
{
	const uint64_t *acode = ta->code, *code = tb->code;
	__m512i rv = _mm512_set1_epi64(j->s->r);

	if (bhi - blo <= 16) {      /* the usual bucket: the other one stays in registers */
		uint32_t nb = bhi - blo;
		__mmask8 in0 = nb >= 8 ? 0xff : (__mmask8)((1u << nb) - 1);
		__mmask8 in1 = nb >= 16 ? 0xff : nb > 8 ? (__mmask8)((1u << (nb - 8)) - 1) : 0;
		__m512i b0 = _mm512_maskz_loadu_epi64(in0, code + blo);
		__m512i b1 = nb > 8 ? _mm512_maskz_loadu_epi64(in1, code + blo + 8) :
		    _mm512_setzero_si512();

		for (uint32_t a = alo; a < ahi; a++) {
			__m512i ca = _mm512_set1_epi64((long long)acode[a]);
			unsigned hit = _mm512_mask_cmple_epu64_mask(in0,
			    _mm512_popcnt_epi64(_mm512_xor_si512(ca, b0)), rv) |
			    (unsigned)_mm512_mask_cmple_epu64_mask(in1,
			    _mm512_popcnt_epi64(_mm512_xor_si512(ca, b1)), rv) << 8;

			for (; hit; hit &= hit - 1) {
				uint32_t k = blo + (uint32_t)__builtin_ctz(hit);

				if (keep(j, acode[a] ^ code[k], ta->id[a], tb->id[k]) < 0)
					return -1;
			}
		}
		return 0;
	}
	/* a long bucket: four codes at a time against each eight of it (sixteen while
	 * there are), their distances folded into the least so that one test says whether
	 * any is near (rarely: then each is looked at) */
	for (uint32_t a = alo; a < ahi; a += 4) {
		uint32_t na = ahi - a < 4 ? ahi - a : 4, b = blo;
		__m512i c0 = _mm512_set1_epi64((long long)acode[a]);
		__m512i c1 = _mm512_set1_epi64((long long)acode[a + (na > 1)]);
		__m512i c2 = _mm512_set1_epi64((long long)acode[a + (na > 2 ? 2 : 0)]);
		__m512i c3 = _mm512_set1_epi64((long long)acode[a + (na > 3 ? 3 : 0)]);

#define MIN4(cb) _mm512_min_epu64(_mm512_min_epu64( \
		    _mm512_popcnt_epi64(_mm512_xor_si512(c0, cb)), \
		    _mm512_popcnt_epi64(_mm512_xor_si512(c1, cb))), \
		    _mm512_min_epu64(_mm512_popcnt_epi64(_mm512_xor_si512(c2, cb)), \
		    _mm512_popcnt_epi64(_mm512_xor_si512(c3, cb))))
		for (; b + 16 <= bhi; b += 16) {
			__m512i cb = _mm512_loadu_si512(code + b), cd = _mm512_loadu_si512(code + b + 8);

			if (__builtin_expect(_mm512_cmple_epu64_mask(_mm512_min_epu64(MIN4(cb),
			    MIN4(cd)), rv) == 0, 1))
				continue;
			for (uint32_t i = 0; i < na; i++)
				if (hits512(j, ta, a + i, tb, b, cb, 0xff, rv) < 0 ||
				    hits512(j, ta, a + i, tb, b + 8, cd, 0xff, rv) < 0)
					return -1;
		}
		for (; b < bhi; b += 8) {
			__mmask8 in = bhi - b >= 8 ? 0xff : (__mmask8)((1u << (bhi - b)) - 1);
			__m512i cb = _mm512_maskz_loadu_epi64(in, code + b);

			if (__builtin_expect(_mm512_mask_cmple_epu64_mask(in, MIN4(cb), rv) == 0, 1))
				continue;
			for (uint32_t i = 0; i < na; i++)
				if (hits512(j, ta, a + i, tb, b, cb, in, rv) < 0)
					return -1;
		}
#undef MIN4
	}
	return 0;
}

/* The bit counts of four 64-bit lanes whose low nibbles are in lo and high nibbles in hi
 * (each byte 0 to 15), in the lanes' low bytes (the rest 0): a table lookup a nibble. */
__attribute__((target("popcnt,avx2"), always_inline)) static inline __m256i
count4(__m256i lo, __m256i hi)
{
	const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
	    0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);

	return _mm256_sad_epu8(_mm256_add_epi8(_mm256_shuffle_epi8(table, lo),
	    _mm256_shuffle_epi8(table, hi)), _mm256_setzero_si256());
}

/* join with AVX2: a long bucket four codes at a time against each eight of it, the
 * thirty-two distances folded into the least so that one test says whether any is
 * near (rarely: then each pair is looked at as join does); a short one as join.  The
 * nibbles of x ^ y are those of x ^ those of y, so each code is split once. */
__attribute__((target("popcnt,avx2"), noinline)) static int join256(struct job *j,
    const struct table *ta, uint32_t alo, uint32_t ahi, const struct table *tb, uint32_t blo,
    uint32_t bhi)
{
	const uint64_t *acode = ta->code, *code = tb->code;
	const __m256i nib = _mm256_set1_epi8(0x0f), r1 = _mm256_set1_epi64x(j->s->r + 1);
	uint32_t end = blo + (bhi - blo) / 8 * 8;

	if (bhi - blo < 8)
		return join(j, ta, alo, ahi, tb, blo, bhi);
	for (uint32_t a = alo; a < ahi; a += 4) {
		/* past the end of a's, its last code again: its hits are looked at once */
		uint32_t na = ahi - a < 4 ? ahi - a : 4;
		uint64_t x0 = acode[a], x1 = acode[a + (na > 1)];
		uint64_t x2 = acode[a + (na > 2 ? 2 : na - 1)], x3 = acode[a + na - 1];
		const uint64_t m4 = 0x0f0f0f0f0f0f0f0fULL;
		__m256i lo0 = _mm256_set1_epi64x((long long)(x0 & m4));
		__m256i hi0 = _mm256_set1_epi64x((long long)(x0 >> 4 & m4));
		__m256i lo1 = _mm256_set1_epi64x((long long)(x1 & m4));
		__m256i hi1 = _mm256_set1_epi64x((long long)(x1 >> 4 & m4));
		__m256i lo2 = _mm256_set1_epi64x((long long)(x2 & m4));
		__m256i hi2 = _mm256_set1_epi64x((long long)(x2 >> 4 & m4));
		__m256i lo3 = _mm256_set1_epi64x((long long)(x3 & m4));
		__m256i hi3 = _mm256_set1_epi64x((long long)(x3 >> 4 & m4));

		for (uint32_t b = blo; b < end; b += 8) {
			__m256i v0 = _mm256_loadu_si256((const __m256i *)(code + b));
			__m256i v1 = _mm256_loadu_si256((const __m256i *)(code + b + 4));
			__m256i l0 = _mm256_and_si256(v0, nib);
			__m256i h0 = _mm256_and_si256(_mm256_srli_epi64(v0, 4), nib);
			__m256i l1 = _mm256_and_si256(v1, nib);
			__m256i h1 = _mm256_and_si256(_mm256_srli_epi64(v1, 4), nib);
			/* the counts lie in the low half of each 64-bit lane, the high half 0: the
			 * least of the 32-bit lanes is the least of the counts */
#define MIN2(lo, hi) _mm256_min_epu32( \
			    count4(_mm256_xor_si256(lo, l0), _mm256_xor_si256(hi, h0)), \
			    count4(_mm256_xor_si256(lo, l1), _mm256_xor_si256(hi, h1)))
			__m256i m = _mm256_min_epu32(_mm256_min_epu32(MIN2(lo0, hi0), MIN2(lo1, hi1)),
			    _mm256_min_epu32(MIN2(lo2, hi2), MIN2(lo3, hi3)));
#undef MIN2

			if (__builtin_expect(_mm256_movemask_pd(_mm256_castsi256_pd(
			    _mm256_cmpgt_epi64(r1, m))) == 0, 1))
				continue;
			if (join(j, ta, a, a + na, tb, b, b + 8) < 0)
				return -1;
		}
		if (end < bhi && join(j, ta, a, a + na, tb, end, bhi) < 0)
			return -1;
	}
	return 0;
}
#define JOIN(wide, ...) ((wide) == 2 ? join512(__VA_ARGS__) : (wide) == 1 ? \
	join256(__VA_ARGS__) : join(__VA_ARGS__))
#else
#define JOIN(wide, ...) join(__VA_ARGS__)
#endif

/* mih_cross's share [from, to): queries compared with all codes, or query buckets joined
 * with the code buckets within the radius (the same value, then every mask).  A mask at
 * a time over the share's buckets: the code buckets it reaches then lie together, read
 * in order (a bucket at a time, mask after mask, reached buckets all over the table, and
 * the search waited on the memory more than it compared). */
static inline __attribute__((always_inline)) int cross_block(struct job *j, int wide,
    size_t from, size_t to)
{
	const struct shared *s = j->s;
	const struct table *t = s->t, *tq = s->tq;

	if (t == NULL) {
		for (size_t q = from; q < to; q++)
			for (size_t c = 0; c < s->n; c++)
				if (__builtin_expect(__builtin_popcountll(s->queries[q] ^ s->codes[c]) <= s->r, 0) &&
				    push(j, (uint32_t)q, (uint32_t)c) < 0)
					return -1;
		return 0;
	}
	for (uint32_t k = 0; k <= t->mstart[t->bits]; k++) {
		uint32_t m = k == 0 ? 0 : t->mask[k - 1];

		for (size_t v = from; v < to; v++) {
			uint32_t lo = tq->off[v], hi = tq->off[v + 1];
			uint32_t w = (uint32_t)v ^ m, wlo = t->off[w], whi = t->off[w + 1];

			if (lo != hi && wlo != whi && JOIN(wide, j, tq, lo, hi, t, wlo, whi) < 0)
				return -1;
		}
	}
	return 0;
}

static inline __attribute__((always_inline)) void search_body(struct job *j, int wide)
{
	struct shared *s = j->s;
	const struct table *t = s->t;

	for (;;) {
		size_t from = atomic_fetch_add(&s->next, s->block), to = from + s->block;

		if (from >= s->units || j->failed)
			return;
		if (to > s->units)
			to = s->units;
		if (s->cross) {
			if (cross_block(j, wide, from, to) < 0) {
				j->failed = 1;
				return;
			}
			continue;
		}
		if (t == NULL) {            /* all pairs */
			for (size_t a = from; a < to; a++)
				for (size_t b = a + 1; b < s->n; b++)
					if (__builtin_expect(__builtin_popcountll(s->codes[a] ^ s->codes[b]) <= s->r, 0) &&
					    push(j, (uint32_t)a, (uint32_t)b) < 0) {
						j->failed = 1;
						return;
					}
			continue;
		}
		for (size_t v = from; v < to; v++) {
			uint32_t lo = t->off[v], hi = t->off[v + 1];

			for (uint32_t a = lo; a + 1 < hi; a++)
				if (JOIN(wide, j, t, a, a + 1, t, a + 1, hi) < 0) {
					j->failed = 1;
					return;
				}
		}
		/* the buckets above each v: flip a bit that is 0 in v, and any below it; a mask
		 * at a time over the share (as cross_block) */
		for (int h = 0; h < t->bits; h++)
			for (uint32_t k = t->mstart[h]; k < t->mstart[h + 1]; k++)
				for (size_t v = from; v < to; v++) {
					uint32_t lo = t->off[v], hi = t->off[v + 1];
					uint32_t w = (uint32_t)v ^ t->mask[k], wlo, whi;

					if (v >> h & 1 || lo == hi)
						continue;
					wlo = t->off[w];
					whi = t->off[w + 1];
					if (wlo != whi && JOIN(wide, j, t, lo, hi, t, wlo, whi) < 0) {
						j->failed = 1;
						return;
					}
				}
	}
}

static void search_plain(struct job *j)
{
	search_body(j, 0);
}

#ifdef MIH_X86
/* the same loop with the popcnt instruction (a libgcc call otherwise) */
__attribute__((target("popcnt"))) static void search_popcnt(struct job *j)
{
	search_body(j, 0);
}

__attribute__((target("popcnt,avx2"))) static void search_avx2(struct job *j)
{
	search_body(j, 1);
}

__attribute__((target("popcnt,avx512f,avx512vpopcntdq"))) static void search_avx512(
    struct job *j)
{
	search_body(j, 2);
}
#endif

static void *search(void *arg)
{
	struct job *j = arg;

#ifdef MIH_X86
	if (j->kernel == AVX512)
		search_avx512(j);
	else if (j->kernel == AVX2)
		search_avx2(j);
	else if (j->kernel == POPCNT)
		search_popcnt(j);
	else
#endif
		search_plain(j);
	/* what the worker still holds goes to the sink before the next chunk */
	if (j->s->sink != NULL && !j->failed && flush(j) < 0)
		j->failed = 1;
	return NULL;
}

static void run_threads(struct job *jobs, int nt)
{
	pthread_t tid[MAX_THREADS];
	int started[MAX_THREADS] = {0};

	for (int k = 1; k < nt; k++)
		started[k] = pthread_create(&tid[k], NULL, search, &jobs[k]) == 0;
	search(&jobs[0]);
	for (int k = 1; k < nt; k++)
		if (started[k])
			pthread_join(tid[k], NULL);
	/* a thread that could not start leaves its share to the others: they took it */
}

/* Counting-sorts the codes by the chunk's value, indexes in order within a bucket, and
 * lists the nonzero masks of at most rad bits grouped by their highest bit. */
static int build(struct table *t, const uint64_t *codes, size_t n, int rad)
{
	size_t nb = (size_t)1 << t->bits, nm = 0;
	uint64_t cm = ((uint64_t)1 << t->bits) - 1;

	t->off = calloc(nb + 1, sizeof *t->off);
	t->code = malloc((n ? n : 1) * sizeof *t->code);
	t->id = malloc((n ? n : 1) * sizeof *t->id);
	if (rad > t->bits)
		rad = t->bits;
	for (int k = 1; k <= rad; k++) {
		double c = 1;

		for (int i = 1; i <= k; i++)
			c = c * (t->bits - i + 1) / i;
		nm += (size_t)(c + 0.5);
	}
	t->mask = malloc((nm ? nm : 1) * sizeof *t->mask);
	if (t->off == NULL || t->code == NULL || t->id == NULL || t->mask == NULL)
		return -1;
	for (size_t k = 0; k < n; k++)
		t->off[((codes[k] >> t->shift) & cm) + 1]++;
	for (size_t v = 0; v < nb; v++)
		t->off[v + 1] += t->off[v];
	for (size_t k = 0; k < n; k++) {
		uint32_t at = t->off[(codes[k] >> t->shift) & cm]++;

		t->code[at] = codes[k];
		t->id[at] = (uint32_t)k;
	}
	memmove(t->off + 1, t->off, nb * sizeof *t->off);
	t->off[0] = 0;
	/* masks with highest bit h: 1 << h plus any value of up to rad - 1 bits below h */
	nm = 0;
	for (int h = 0; h < t->bits; h++) {
		t->mstart[h] = (uint32_t)nm;
		for (uint32_t low = 0; low < (1u << h); low++)
			if (__builtin_popcount(low) < rad)
				t->mask[nm++] = 1u << h | low;
	}
	t->mstart[t->bits] = (uint32_t)nm;
	return 0;
}

static void drop(struct table *t)
{
	free(t->off);
	free(t->code);
	free(t->id);
	free(t->mask);
	memset(t, 0, sizeof *t);
}

static uint64_t pair_key(const struct mih_pair *q)
{
	return (uint64_t)q->a << 32 | q->b;
}

static int cmp_pair(const void *x, const void *y)
{
	uint64_t a = pair_key(x), b = pair_key(y);

	return (a > b) - (a < b);
}

void mih_sort_pairs(struct mih_pair *p, size_t n)
{
	struct mih_pair *tmp, *src = p, *dst;
	uint64_t all_or = 0, all_and = ~(uint64_t)0;

	for (size_t i = 0; i < n; i++) {
		all_or |= pair_key(&p[i]);
		all_and &= pair_key(&p[i]);
	}
	if (n < 2 || all_or == all_and)
		return;
	if ((tmp = malloc(n * sizeof *tmp)) == NULL) {
		qsort(p, n, sizeof *p, cmp_pair);
		return;
	}
	dst = tmp;
	for (int sh = 0; sh < 64; sh += 11) {
		size_t cnt[2048] = {0}, sum = 0;
		struct mih_pair *x;

		if ((((all_or ^ all_and) >> sh) & 2047) == 0)
			continue;
		for (size_t i = 0; i < n; i++)
			cnt[pair_key(&src[i]) >> sh & 2047]++;
		for (int d = 0; d < 2048; d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[pair_key(&src[i]) >> sh & 2047]++] = src[i];
		x = src;
		src = dst;
		dst = x;
	}
	if (src != p)
		memcpy(p, src, n * sizeof *p);
	free(tmp);
}

/* The buckets a thread takes at a time: a power of two (the shares are then aligned, and
 * a mask reaches from one share to one other: the buckets a run of masks that differ in
 * the lower bits reaches lie together), whose codes take some 256 KiB (they are read
 * again for each mask, from the cache), and at least 16 shares a thread. */
static size_t share(size_t units, size_t n, int nt)
{
	size_t b = 1, most = units / ((size_t)nt * 16);
	double per = (double)n / (double)units;

	while (b * 2 <= most && (double)(b * 2) * per * 8 <= 256 * 1024)
		b *= 2;
	return b;
}

/* mih_pairs (queries NULL) and mih_cross: the plan's chunks one after the other, then
 * the pairs of all threads, sorted. */
static int run(const uint64_t *queries, size_t nq, const uint64_t *codes, size_t n, int r,
    uint32_t forms, int threads, mih_sink sink, void *ud, struct mih_pair **pairs,
    size_t *npairs, aderr *err)
{
	struct job jobs[MAX_THREADS];
	struct shared sh;
	struct table t, tq;
	struct plan p;
	int rc = 0, sinkrc = 0, kern, cross = queries != NULL;
	int nt = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
	size_t total = 0;

	*pairs = NULL;
	*npairs = 0;
	if (n >= UINT32_MAX || nq >= UINT32_MAX)
		return aderr_set(err, AD_ETOOBIG, "too many images for one index (%zu)",
		    n > nq ? n : nq);
	if (cross && (nq == 0 || n == 0)) {       /* no pairs, in a buffer as ever */
		if (sink != NULL)
			return 0;
		*pairs = malloc(sizeof **pairs);
		return *pairs != NULL ? 0 : aderr_set(err, AD_ENOMEM, "out of memory collecting pairs");
	}
	r = r < 0 ? 0 : r > 64 ? 64 : r;
	if ((size_t)nt > (cross ? nq + n : n) / 256 + 1)
		nt = (int)((cross ? nq + n : n) / 256 + 1);
	kern = kernel();
	plan_for(cross ? nq : 0, n, r, kern, &p);
	memset(jobs, 0, sizeof jobs);
	memset(&sh, 0, sizeof sh);
	memset(&t, 0, sizeof t);
	memset(&tq, 0, sizeof tq);
	sh.codes = codes;
	sh.n = n;
	sh.queries = queries;
	sh.nq = nq;
	sh.cross = cross;
	sh.forms = forms;
	sh.r = r;
	sh.sink = sink;
	sh.ud = ud;
	for (int k = 0; k < nt; k++) {
		jobs[k].s = &sh;
		jobs[k].kernel = kern;
		jobs[k].id = k;
	}
	if (p.all) {
		sh.units = cross ? nq : n;
		sh.block = 64;
		atomic_init(&sh.next, 0);
		run_threads(jobs, nt);
	}
	for (int i = 0; i < p.m && rc == 0; i++) {
		t.bits = tq.bits = p.bits[i];
		t.shift = tq.shift = p.shift[i];
		if (build(&t, codes, n, p.rad[i]) < 0 || (cross && build(&tq, queries, nq, 0) < 0)) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory indexing %zu hashes", n + nq);
			break;
		}
		sh.t = &t;
		sh.tq = cross ? &tq : NULL;
		sh.units = (size_t)1 << t.bits;
		sh.block = share(sh.units, n, nt);
		atomic_init(&sh.next, 0);
		run_threads(jobs, nt);
		drop(&t);
		drop(&tq);
		sh.emask[sh.nearlier] = ((uint64_t)1 << p.bits[i]) - 1;
		sh.eshift[sh.nearlier] = p.shift[i];
		sh.erad[sh.nearlier++] = p.rad[i];
		for (int k = 0; k < nt; k++)
			if (jobs[k].failed)
				rc = -1;
	}
	drop(&t);
	drop(&tq);
	for (int k = 0; k < nt; k++) {
		if (jobs[k].failed)
			rc = -1;
		total += jobs[k].nout;
	}
	for (int k = 0; k < nt && rc == -1; k++)
		if (jobs[k].rc < 0) {       /* the sink's own failure (AD_EIO is -1 too) */
			sinkrc = jobs[k].rc;
			*err = jobs[k].err;
		}
	if (sinkrc < 0)
		rc = sinkrc;
	else if (rc == -1)
		rc = aderr_set(err, AD_ENOMEM, "out of memory collecting pairs");
	if (sink != NULL) {         /* all handed over */
		for (int k = 0; k < nt; k++)
			free(jobs[k].out);
		return rc;
	}
	/* the first thread's buffer grows to hold all (a large one in place, by mremap)
	 * and each other's is freed once copied, so that the pairs are not held twice */
	if (rc == 0) {
		struct mih_pair *all = realloc(jobs[0].out, (total ? total : 1) * sizeof **pairs);

		if (all == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory collecting pairs");
		} else {
			jobs[0].out = NULL;
			*pairs = all;
			*npairs = jobs[0].nout;
		}
	}
	for (int k = 0; k < nt; k++) {
		if (rc == 0 && k > 0 && jobs[k].nout > 0) {
			memcpy(*pairs + *npairs, jobs[k].out, jobs[k].nout * sizeof **pairs);
			*npairs += jobs[k].nout;
		}
		free(jobs[k].out);
	}
	if (rc == 0 && !forms)
		mih_sort_pairs(*pairs, *npairs);
	else if (rc < 0)
		free(*pairs);
	if (rc < 0) {
		*pairs = NULL;
		*npairs = 0;
	}
	return rc;
}

int mih_pairs(const uint64_t *codes, size_t n, int r, int threads, struct mih_pair **pairs,
    size_t *npairs, aderr *err)
{
	return run(NULL, 0, codes, n, r, 0, threads, NULL, NULL, pairs, npairs, err);
}

int mih_pairs_each(const uint64_t *codes, size_t n, int r, int threads, mih_sink sink,
    void *ud, aderr *err)
{
	struct mih_pair *none;
	size_t nn;

	return run(NULL, 0, codes, n, r, 0, threads, sink, ud, &none, &nn, err);
}

int mih_cross(const uint64_t *queries, size_t nq, const uint64_t *codes, size_t nc, int r,
    int threads, struct mih_pair **pairs, size_t *npairs, aderr *err)
{
	static const uint64_t none;

	return run(queries != NULL ? queries : &none, queries != NULL ? nq : 0, codes, nc, r,
	    0, threads, NULL, NULL, pairs, npairs, err);
}

int mih_cross_forms(const uint64_t *queries, size_t nq, const uint64_t *codes, uint32_t forms,
    int r, int threads, struct mih_pair **pairs, size_t *npairs, aderr *err)
{
	static const uint64_t none;

	if (forms == 0 || nq > (UINT32_MAX - 1) / forms)
		return aderr_set(err, AD_ETOOBIG, "too many images for one index (%zu)", nq);
	return run(queries != NULL ? queries : &none, queries != NULL ? nq : 0, codes,
	    nq * forms, r, forms, threads, NULL, NULL, pairs, npairs, err);
}

int mih_cross_forms_each(const uint64_t *queries, size_t nq, const uint64_t *codes,
    uint32_t forms, int r, int threads, mih_sink sink, void *ud, aderr *err)
{
	static const uint64_t none;
	struct mih_pair *nop;
	size_t nn;

	if (forms == 0 || nq > (UINT32_MAX - 1) / forms)
		return aderr_set(err, AD_ETOOBIG, "too many images for one index (%zu)", nq);
	return run(queries != NULL ? queries : &none, queries != NULL ? nq : 0, codes,
	    nq * forms, r, forms, threads, sink, ud, &nop, &nn, err);
}
