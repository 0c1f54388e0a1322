/* mih.c — exact Hamming-radius pairs through multi-index hashing. */
#include "mih.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHUNKS 16

struct table {
	int shift, bits;
	uint32_t *off;      /* 2^bits + 1 offsets into ids */
	uint32_t *ids;      /* code indexes, by chunk value, then index */
};

struct job {
	const uint64_t *codes;
	size_t n;
	int r, m, sub;
	const struct table *t;
	size_t from, to;            /* the codes this thread searches for */
	struct mih_pair *out;
	size_t nout, cap;
	int failed;
};

static uint32_t chunk(uint64_t c, const struct table *t)
{
	return (uint32_t)((c >> t->shift) & ((1ULL << t->bits) - 1));
}

int mih_chunks(size_t n)
{
	/* chunks of about log2(n) bits keep the buckets near one code each; 3 to 8 of them
	 * (wider than 22 bits would make the offset tables too big) */
	double lg = 1;
	int m;

	while (lg < 64 && (double)((size_t)1 << (int)lg) < (double)n)
		lg++;
	m = (int)(64.0 / lg + 0.5);
	return m < 3 ? 3 : m > 8 ? 8 : m;
}

static int push(struct job *j, uint32_t a, uint32_t b)
{
	if (j->nout == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 1024;
		struct mih_pair *np = realloc(j->out, nc * sizeof *np);

		if (np == NULL)
			return -1;
		j->out = np;
		j->cap = nc;
	}
	j->out[j->nout].a = a;
	j->out[j->nout++].b = b;
	return 0;
}

/* Visits every bucket within `left` bits of value v (flipping bits at positions >= from),
 * keeping the candidates j > q that are within r and not found by an earlier chunk. */
static int probe(struct job *j, int ci, uint32_t q, uint32_t v, int from, int left)
{
	const struct table *t = &j->t[ci];
	uint64_t qc = j->codes[q];

	for (uint32_t k = t->off[v]; k < t->off[v + 1]; k++) {
		uint32_t c = t->ids[k];
		uint64_t x;
		int seen = 0;

		if (c <= q)
			continue;
		x = qc ^ j->codes[c];
		if (__builtin_popcountll(x) > j->r)
			continue;
		/* reported by an earlier chunk already? (that one was within sub bits there) */
		for (int e = 0; e < ci && !seen; e++)
			seen = __builtin_popcount(chunk(x, &j->t[e])) <= j->sub;
		if (!seen && push(j, q, c) < 0)
			return -1;
	}
	if (left == 0)
		return 0;
	for (int b = from; b < t->bits; b++)
		if (probe(j, ci, q, v ^ (1u << b), b + 1, left - 1) < 0)
			return -1;
	return 0;
}

static void *search(void *arg)
{
	struct job *j = arg;

	for (size_t q = j->from; q < j->to && !j->failed; q++)
		for (int ci = 0; ci < j->m && !j->failed; ci++)
			if (probe(j, ci, (uint32_t)q, chunk(j->codes[q], &j->t[ci]), 0, j->sub) < 0)
				j->failed = 1;
	return NULL;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct mih_pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

int mih_pairs(const uint64_t *codes, size_t n, int r, int threads, struct mih_pair **pairs,
    size_t *npairs, aderr *err)
{
	struct table t[MAX_CHUNKS];
	struct job jobs[64];
	int m = mih_chunks(n), rc = 0, nt = threads < 1 ? 1 : threads > 64 ? 64 : threads;
	size_t total = 0;
	pthread_t tid[64];
	int started[64] = {0};

	*pairs = NULL;
	*npairs = 0;
	memset(jobs, 0, sizeof jobs);
	if (n >= UINT32_MAX)
		return aderr_set(err, AD_ETOOBIG, "too many images for one index (%zu)", n);
	if (r < 0)
		r = 0;
	memset(t, 0, sizeof t);
	/* m chunks of nearly equal width, the wider ones first */
	for (int i = 0, shift = 0; i < m; i++) {
		t[i].bits = 64 / m + (i < 64 % m);
		t[i].shift = shift;
		shift += t[i].bits;
	}
	for (int i = 0; i < m && rc == 0; i++) {
		size_t nb = (size_t)1 << t[i].bits;

		t[i].off = calloc(nb + 1, sizeof *t[i].off);
		t[i].ids = malloc((n ? n : 1) * sizeof *t[i].ids);
		if (t[i].off == NULL || t[i].ids == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory indexing %zu hashes", n);
			break;
		}
		/* counting sort by chunk value; indexes stay in order within a bucket */
		for (size_t k = 0; k < n; k++)
			t[i].off[chunk(codes[k], &t[i]) + 1]++;
		for (size_t v = 0; v < nb; v++)
			t[i].off[v + 1] += t[i].off[v];
		for (size_t k = 0; k < n; k++)
			t[i].ids[t[i].off[chunk(codes[k], &t[i])]++] = (uint32_t)k;
		memmove(t[i].off + 1, t[i].off, nb * sizeof *t[i].off);
		t[i].off[0] = 0;
	}
	if (rc == 0) {
		if ((size_t)nt > n / 256 + 1)
			nt = (int)(n / 256 + 1);
		/* interleaved blocks would balance better; contiguous ones keep the output sorted */
		for (int k = 0; k < nt; k++) {
			jobs[k] = (struct job){ codes, n, r, m, r / m, t, n * (size_t)k / (size_t)nt,
			    n * (size_t)(k + 1) / (size_t)nt, NULL, 0, 0, 0 };
			started[k] = k > 0 && pthread_create(&tid[k], NULL, search, &jobs[k]) == 0;
		}
		search(&jobs[0]);
		for (int k = 1; k < nt; k++) {
			if (started[k])
				pthread_join(tid[k], NULL);
			else
				search(&jobs[k]);
		}
		for (int k = 0; k < nt; k++) {
			if (jobs[k].failed)
				rc = aderr_set(err, AD_ENOMEM, "out of memory collecting pairs");
			total += jobs[k].nout;
		}
	}
	if (rc == 0) {
		*pairs = malloc((total ? total : 1) * sizeof **pairs);
		if (*pairs == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory collecting pairs");
	}
	for (int k = 0; k < nt && rc == 0; k++) {
		if (jobs[k].nout == 0)
			continue;
		/* within a job the pairs come by query, but a query's candidates in bucket order */
		qsort(jobs[k].out, jobs[k].nout, sizeof *jobs[k].out, cmp_pair);
		memcpy(*pairs + *npairs, jobs[k].out, jobs[k].nout * sizeof **pairs);
		*npairs += jobs[k].nout;
	}
	for (int k = 0; k < 64; k++)
		free(jobs[k].out);
	for (int i = 0; i < m; i++) {
		free(t[i].off);
		free(t[i].ids);
	}
	if (rc < 0) {
		free(*pairs);
		*pairs = NULL;
		*npairs = 0;
	}
	return rc;
}
