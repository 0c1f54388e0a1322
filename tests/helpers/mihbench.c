/* mihbench.c — times mih_pairs on N seeded random 64-bit codes, every tenth a planted
 * twin of the one before (2 bits off), and prints one row of tests/bench/run.sh's table:
 * codes, seconds (best of REPEAT), codes a second, then pairs found, planted twins among
 * them, chunk count (0: all pairs compared) and peak memory growth.
 * `cross` times dedupe --rotations' search: N items of eight turned forms each (random,
 * every tenth item's own code a turned form of the one before, 2 bits off), each item's own
 * code against all 8N forms with mih_cross, and, in a second row, the way before it: all
 * 8N forms with mih_pairs, keeping the pairs with an own code; both reduced to item pairs,
 * which must agree (exit 1 if not).
 *
 *   mihbench N R [THREADS [REPEAT]]
 *   mihbench cross N R [THREADS [REPEAT]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mih.h"
#include "splitmix.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static uint64_t *make_codes(size_t n)
{
	uint64_t *h = malloc((n ? n : 1) * sizeof *h);

	if (h == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		h[i] = rnd();
		if (i % 10 == 9) {
			int a = (int)(rnd() % 64), b = (int)(rnd() % 63);

			h[i] = h[i - 1] ^ (1ULL << a) ^ (1ULL << (b >= a ? b + 1 : b));
		}
	}
	return h;
}

/* (item, item) with the smaller first, sorted and unique, in place; the count */
static size_t item_pairs(struct mih_pair *p, size_t np, int cross)
{
	size_t w = 0, u = 0;

	for (size_t k = 0; k < np; k++) {
		uint32_t a = cross ? p[k].a : p[k].a / 8, b = p[k].b / 8;

		if (a == b || (!cross && p[k].a % 8 != 0 && p[k].b % 8 != 0))
			continue;
		p[w].a = a < b ? a : b;
		p[w++].b = a < b ? b : a;
	}
	mih_sort_pairs(p, w);
	for (size_t k = 0; k < w; k++)
		if (u == 0 || p[k].a != p[u - 1].a || p[k].b != p[u - 1].b)
			p[u++] = p[k];
	return u;
}

static int cross(size_t n, int r, int threads, int repeat)
{
	uint64_t *h = malloc((n ? n : 1) * 8 * sizeof *h), *up = malloc((n ? n : 1) * sizeof *up);
	struct mih_pair *p[2] = { NULL, NULL };
	size_t np[2] = { 0, 0 }, found[2] = { 0, 0 }, items[2];
	aderr err;

	if (h == NULL || up == NULL) {
		fprintf(stderr, "mihbench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 8; k++)
			h[i * 8 + (size_t)k] = rnd();
		if (i % 10 == 9) {
			int t = 1 + (int)(rnd() % 7), a = (int)(rnd() % 64), b = (int)(rnd() % 63);

			h[i * 8] = h[(i - 1) * 8 + (size_t)t] ^ (1ULL << a) ^ (1ULL << (b >= a ? b + 1 : b));
		}
		up[i] = h[i * 8];
	}
	for (int way = 0; way < 2; way++) {
		double best = 1e30;
		long before = peak_kib();
		char label[64];

		for (int k = 0; k < (repeat < 1 ? 1 : repeat); k++) {
			double t0 = now(), t;
			int rc;

			free(p[way]);
			rc = way == 0 ? mih_cross(up, n, h, n * 8, r, threads, &p[way], &np[way], &err) :
			    mih_pairs(h, n * 8, r, threads, &p[way], &np[way], &err);
			if (rc < 0) {
				fprintf(stderr, "mihbench: %s\n", err.msg);
				return 1;
			}
			t = now() - t0;
			best = t < best ? t : best;
		}
		found[way] = np[way];
		items[way] = item_pairs(p[way], np[way], way == 0);
		snprintf(label, sizeof label, "%s r=%d, %d threads", way == 0 ? "mih_cross" :
		    "mih_pairs 8N", r, threads);
		printf("%-28s %8zu %9.3f %10.1f  %zu pairs, %zu item pairs, %d chunks, peak +%ld MiB\n",
		    label, n, best, (double)n / best, found[way], items[way], way == 0 ?
		    mih_cross_chunks(n, n * 8, r) : mih_chunks(n * 8, r), (peak_kib() - before) / 1024);
	}
	{
		int same = items[0] == items[1];

		for (size_t k = 0; same && k < items[0]; k++)
			same = p[0][k].a == p[1][k].a && p[0][k].b == p[1][k].b;
		printf("item pairs: %s\n", same ? "the same both ways" : "DIFFERENT");
		free(p[0]);
		free(p[1]);
		free(h);
		free(up);
		return !same;
	}
}

int main(int argc, char **argv)
{
	uint64_t *h;
	struct mih_pair *p = NULL;
	size_t n, np = 0, twins = 0;
	int r, threads, repeat;
	double best = 1e30;
	long before;
	char label[64];
	aderr err;

	if (argc >= 4 && strcmp(argv[1], "cross") == 0)
		return cross(strtoull(argv[2], NULL, 10), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 2,
		    argc > 5 ? atoi(argv[5]) : 1);
	if (argc < 3) {
		fprintf(stderr, "usage: mihbench N R [THREADS [REPEAT]] | mihbench cross N R "
		    "[THREADS [REPEAT]]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	r = atoi(argv[2]);
	threads = argc > 3 ? atoi(argv[3]) : 2;
	repeat = argc > 4 ? atoi(argv[4]) : 1;
	snprintf(label, sizeof label, "mih_pairs r=%d, %d threads", r, threads);
	h = make_codes(n);
	if (h == NULL) {
		fprintf(stderr, "mihbench: out of memory\n");
		return 1;
	}
	before = peak_kib();
	for (int k = 0; k < (repeat < 1 ? 1 : repeat); k++) {
		double t0 = now(), t;

		free(p);
		if (mih_pairs(h, n, r, threads, &p, &np, &err) < 0) {
			fprintf(stderr, "mihbench: %s\n", err.msg);
			return 1;
		}
		t = now() - t0;
		best = t < best ? t : best;
	}
	for (size_t k = 0; k < np; k++)
		twins += p[k].a % 10 == 8 && p[k].b == p[k].a + 1;
	printf("%-28s %8zu %9.3f %10.1f  %zu pairs, %zu of %zu twins, %d chunks, peak +%ld MiB\n",
	    label, n, best, (double)n / best, np, twins, n / 10, mih_chunks(n, r),
	    (peak_kib() - before) / 1024);
	free(p);
	free(h);
	return 0;
}
