/* test_mih.c — the multi-index search returns exactly the pairs that comparing all
 * pairs does, for several sizes, radii and thread counts, with clustered codes; and
 * mih_cross exactly the query-code pairs that comparing each query with every code does,
 * and mih_cross_forms those less an item's own forms and the repeat of a pair of own
 * hashes; mih_pairs_each and mih_cross_forms_each hand the same pairs to a sink, each
 * once, from no more workers than asked, and stop on the sink's failure. */
#include <pthread.h>
#include <stdlib.h>

#include "mih.h"
#include "splitmix.h"
#include "unit.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	return splitmix64(&rng);
}

static uint64_t flip(uint64_t c, int k)
{
	for (int i = 0; i < k; i++)
		c ^= 1ULL << (next() % 64);
	return c;
}

static int same_as_brute(const uint64_t *codes, size_t n, int r, int threads)
{
	struct mih_pair *p;
	size_t np, k = 0;
	aderr err = {0};
	int ok = 1;

	if (mih_pairs(codes, n, r, threads, &p, &np, &err) < 0)
		return 0;
	for (size_t a = 0; a < n && ok; a++)
		for (size_t b = a + 1; b < n && ok; b++)
			if (__builtin_popcountll(codes[a] ^ codes[b]) <= r) {
				ok = k < np && p[k].a == a && p[k].b == b;
				k++;
			}
	ok = ok && k == np;
	free(p);
	return ok;
}

static int cross_as_brute(const uint64_t *q, size_t nq, const uint64_t *codes, size_t nc,
    int r, int threads)
{
	struct mih_pair *p;
	size_t np, k = 0;
	aderr err = {0};
	int ok = 1;

	if (mih_cross(q, nq, codes, nc, r, threads, &p, &np, &err) < 0)
		return 0;
	for (size_t a = 0; a < nq && ok; a++)
		for (size_t b = 0; b < nc && ok; b++)
			if (__builtin_popcountll(q[a] ^ codes[b]) <= r) {
				ok = k < np && p[k].a == a && p[k].b == b;
				k++;
			}
	ok = ok && k == np;
	free(p);
	return ok;
}

/* mih_cross_forms on nq items of 8 forms (codes[8 q] the item's own hash): exactly the
 * query-code pairs of comparing each item's own hash with every other item's forms,
 * less a pair of own hashes (q, 8 c) where c < q, found from c as (c, 8 q). */
static int forms_as_brute(const uint64_t *codes, size_t nq, int r, int threads)
{
	struct mih_pair *p;
	size_t np, k = 0;
	uint64_t *q = malloc((nq ? nq : 1) * sizeof *q);
	aderr err = {0};
	int ok = q != NULL;

	for (size_t a = 0; a < nq && ok; a++)
		q[a] = codes[8 * a];
	if (!ok || mih_cross_forms(q, nq, codes, 8, r, threads, &p, &np, &err) < 0) {
		free(q);
		return 0;
	}
	mih_sort_pairs(p, np);       /* they come in no order */
	for (size_t a = 0; a < nq && ok; a++)
		for (size_t b = 0; b < 8 * nq && ok; b++)
			if (b / 8 != a && !(b % 8 == 0 && b / 8 < a) &&
			    __builtin_popcountll(q[a] ^ codes[b]) <= r) {
				ok = k < np && p[k].a == a && p[k].b == b;
				k++;
			}
	ok = ok && k == np;
	free(p);
	free(q);
	return ok;
}

/* A sink that collects what each worker hands over (fail_after > 0: fails on that call). */
struct collect {
	pthread_mutex_t mu;
	struct mih_pair *p;
	size_t np, cap, calls, biggest;
	int threads, bad_worker, fail_after;
};

static int collect_sink(void *ud, int worker, struct mih_pair *p, size_t n, aderr *err)
{
	struct collect *c = ud;
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	c->calls++;
	c->biggest = n > c->biggest ? n : c->biggest;
	if (worker < 0 || worker >= (c->threads < 1 ? 1 : c->threads))
		c->bad_worker = 1;
	if (c->fail_after > 0 && c->calls >= (size_t)c->fail_after) {
		rc = aderr_set(err, AD_EIO, "the sink says no");
	} else {
		if (c->np + n > c->cap) {
			size_t nc = (c->np + n) * 2;
			struct mih_pair *q = realloc(c->p, nc * sizeof *q);

			if (q == NULL) {
				pthread_mutex_unlock(&c->mu);
				return aderr_set(err, AD_ENOMEM, "out of memory");
			}
			c->p = q;
			c->cap = nc;
		}
		for (size_t i = 0; i < n; i++)
			c->p[c->np++] = p[i];
		/* the block is the sink's to overwrite */
		for (size_t i = 0; i < n; i++)
			p[i].a = p[i].b = 0xdeadbeef;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* The *_each search (forms 0: mih_pairs_each) hands over exactly the pairs of the
 * collecting one, in blocks of at most MIH_SINK_BLOCK, from workers below threads. */
static int each_as_list(const uint64_t *codes, size_t n, int r, int threads, uint32_t forms)
{
	struct collect c = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0, threads, 0, 0 };
	struct mih_pair *p = NULL;
	size_t np = 0, nq = forms ? n / forms : n;
	uint64_t *q = malloc((nq ? nq : 1) * sizeof *q);
	aderr err = {0};
	int ok = q != NULL;

	for (size_t a = 0; ok && forms && a < nq; a++)
		q[a] = codes[forms * a];
	if (ok)
		ok = (forms ? mih_cross_forms(q, nq, codes, forms, r, threads, &p, &np, &err) :
		    mih_pairs(codes, n, r, threads, &p, &np, &err)) == 0;
	if (ok)
		ok = (forms ? mih_cross_forms_each(q, nq, codes, forms, r, threads, collect_sink, &c,
		    &err) : mih_pairs_each(codes, n, r, threads, collect_sink, &c, &err)) == 0;
	if (ok) {
		mih_sort_pairs(p, np);
		mih_sort_pairs(c.p, c.np);
		ok = c.np == np && !c.bad_worker && c.biggest <= MIH_SINK_BLOCK &&
		    (np == 0 || memcmp(p, c.p, np * sizeof *p) == 0);
	}
	free(p);
	free(c.p);
	free(q);
	return ok;
}

int main(void)
{
	static uint64_t q[1200], up[750];
	size_t cq[][2] = { { 0, 0 }, { 0, 300 }, { 1, 0 }, { 1, 1 }, { 2, 300 }, { 300, 2 },
	    { 300, 300 }, { 1200, 6000 }, { 6000 / 8, 6000 } };
	static uint64_t codes[6000], crowd[3000];
	size_t sizes[] = { 0, 1, 2, 300, 6000 };
	const char *kernels[] = { "plain", "popcnt", "avx2", "" };  /* "": the best this CPU has */

	for (size_t i = 0; i < 6000; i++)
		codes[i] = i % 7 == 6 ? flip(codes[i - 1], (int)(next() % 14)) :
		    i % 11 == 10 ? codes[i - 3] : next();
	for (size_t i = 0; i < 1200; i++)
		q[i] = i % 3 == 0 ? next() : i % 3 == 1 ? flip(codes[next() % 6000], (int)(next() % 10)) :
		    codes[next() % 6000];
	for (size_t i = 0; i < 750; i++)
		up[i] = codes[8 * i];
	/* a crowded collection: 3000 codes around 24 centres, a few bits off each, so that
	 * every chunk's buckets run long (the AVX-512 loop's sixteen-code steps, its tail of
	 * one to seven, and runs of one to four codes against them) */
	for (size_t i = 0; i < 3000; i++)
		crowd[i] = i < 24 ? next() : flip(crowd[next() % 24], (int)(next() % 12));
	/* every radius: the cut (how many chunks, how wide, which radii) changes with it,
	 * down to r + 1 chunks at radius 0 and to comparing all pairs; each comparison loop */
	for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
		setenv("AZD_MIH_KERNEL", kernels[k], 1);
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
			for (int r = 0; r <= 16; r += sizes[s] == 6000 ? 1 : 4)
				CHECK(same_as_brute(codes, sizes[s], r, 1));
		CHECK(same_as_brute(codes, 6000, 12, 2));
		CHECK(same_as_brute(codes, 6000, 7, 3));
		CHECK(same_as_brute(codes, 6000, 20, 2));
		CHECK(same_as_brute(codes, 500, 64, 2));    /* every pair */
		/* queries apart from the codes, some near or equal to one; and the codes' every
		 * eighth as the queries (dedupe's upright hashes among all their turned forms) */
		for (size_t s = 0; s < sizeof cq / sizeof cq[0]; s++) {
			const uint64_t *qs = cq[s][0] == 750 ? up : q;

			for (int r = 0; r <= 16; r += cq[s][1] == 6000 ? 1 : 4)
				for (int t = 1; t <= 3; t += cq[s][1] == 6000 || r == 8 ? 1 : 2)
					CHECK(cross_as_brute(qs, cq[s][0], codes, cq[s][1], r, t));
		}
		CHECK(cross_as_brute(q, 1200, codes, 6000, 20, 2));
		for (int r = 0; r <= 16; r += 3) {
			CHECK(same_as_brute(crowd, 3000, r, 1 + r % 2));
			CHECK(cross_as_brute(crowd, 1 + (size_t)r * 37, crowd + 1000, 2000, r, 2));
			CHECK(cross_as_brute(crowd + 2000, 1000, crowd, 2000, r, 1));
		}
		CHECK(cross_as_brute(q, 300, codes, 500, 64, 2));    /* every pair */
		/* an item's own forms left out, a pair of own hashes once */
		for (int r = 0; r <= 16; r += 2)
			CHECK(forms_as_brute(codes, 750, r, 1 + r % 3));
		CHECK(forms_as_brute(codes, 0, 8, 1));
		CHECK(forms_as_brute(codes, 1, 8, 1));
		CHECK(forms_as_brute(codes, 60, 64, 2));     /* every pair */
	}
	unsetenv("AZD_MIH_KERNEL");
	/* handed over as found: the same pairs, more than a block of them at every pair */
	for (int r = 0; r <= 16; r += 4) {
		CHECK(each_as_list(codes, 6000, r, 1 + r % 3, 0));
		CHECK(each_as_list(codes, 6000, r, 1 + r % 3, 8));
	}
	CHECK(each_as_list(codes, 0, 8, 2, 0));
	CHECK(each_as_list(codes, 0, 8, 2, 8));
	CHECK(each_as_list(codes, 600, 64, 2, 0));      /* 179700 pairs: several blocks */
	CHECK(each_as_list(codes, 800, 64, 3, 8));
	{
		struct collect c = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0, 2, 0, 2 };
		aderr err = {0};

		/* the sink's failure stops the search and comes back with its reason */
		CHECK_EQ_INT(mih_pairs_each(codes, 600, 64, 2, collect_sink, &c, &err), AD_EIO);
		CHECK_STR(err.msg, "the sink says no");
		free(c.p);
		memset(&c, 0, sizeof c);
		pthread_mutex_init(&c.mu, NULL);
		c.threads = 1;
		c.fail_after = 1;
		CHECK_EQ_INT(mih_cross_forms_each(up, 750, codes, 8, 64, 1, collect_sink, &c, &err),
		    AD_EIO);
		free(c.p);
	}
	CHECK_EQ_INT(mih_chunks(1000000, 8), 4);
	CHECK_EQ_INT(mih_chunks(1000000, 3), 4);      /* four chunks at radius 0 */
	CHECK_EQ_INT(mih_chunks(1000, 40), 0);        /* far apart: all pairs */
	CHECK_EQ_INT(mih_chunks(1000000, 64), 0);
	CHECK(mih_cross_chunks(1000000, 8000000, 12) > 0);
	CHECK_EQ_INT(mih_cross_chunks(100, 1000, 40), 0);
	return unit_done();
}
