/* gpubench.c — timings for tests/bench/gpu.sh: featx-style hashing on all CPU cores
 * against gpu_hash_batch, and the GPU Hamming search against mih_pairs.
 *
 *   gpubench probe              exit 0 when a CUDA device opens, else 1 and the reason
 *   gpubench hash N             N working images made from examples/photos
 *   gpubench pairs N R          N random hashes (a quarter planted near another) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "features.h"
#include "gpu.h"
#include "hash.h"
#include "mih.h"
#include "splitmix.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

struct job {
	struct img **v;
	int from, to;
	uint64_t (*p8)[8], *dh, *wh;
};

static void *cpu_hash(void *arg)
{
	struct job *j = arg;

	for (int i = j->from; i < j->to; i++) {
		hash_phash_dihedral(j->v[i], j->p8[i]);
		hash_dhash(j->v[i], &j->dh[i]);
		hash_whash(j->v[i], &j->wh[i]);
	}
	return NULL;
}

static int bench_hash(struct gpu *g, int n)
{
	static const char *const photos[] = {
		"astronaut.jpg", "camera.png", "cell.png", "chelsea.jpg", "clock.jpg",
		"coffee.webp", "grass.jpg", "hubble.jpg", "retina.jpg", "rocket.jpg",
	};
	struct img *base[10 * 8], **v = calloc((size_t)n, sizeof *v);
	uint64_t (*p8)[8] = calloc((size_t)n, sizeof *p8), (*q8)[8] = calloc((size_t)n, sizeof *q8);
	uint64_t *dh = calloc((size_t)n, 8), *wh = calloc((size_t)n, 8);
	int nb = 0, cores = (int)sysconf(_SC_NPROCESSORS_ONLN), mism = 0;
	pthread_t th[256];
	struct job jb[256];
	double t0, tc, tg;
	aderr err;

	for (size_t p = 0; p < 10; p++) {
		char path[256];
		struct img *gr = NULL;

		snprintf(path, sizeof path, "examples/photos/%s", photos[p]);
		if (feat_work_gray(path, &gr, &err) < 0)
			continue;
		for (int k = 1; k <= 8; k++)
			base[nb++] = img_orient(gr, k);
		img_free(gr);
	}
	if (nb == 0) {
		fprintf(stderr, "gpubench: no example photos decoded\n");
		return 1;
	}
	for (int i = 0; i < n; i++)
		v[i] = base[i % nb];
	if (cores > 256)
		cores = 256;
	t0 = now();
	for (int t = 0; t < cores; t++) {
		jb[t] = (struct job){ v, n * t / cores, n * (t + 1) / cores, q8, dh, wh };
		pthread_create(&th[t], NULL, cpu_hash, &jb[t]);
	}
	for (int t = 0; t < cores; t++)
		pthread_join(th[t], NULL);
	tc = now() - t0;
	gpu_hash_batch(g, (const struct img *const *)v, n < 64 ? n : 64, p8, NULL, NULL, &err);
	t0 = now();
	if (gpu_hash_batch(g, (const struct img *const *)v, n, p8, dh, wh, &err) < 0) {
		fprintf(stderr, "gpubench: %s\n", err.msg);
		return 1;
	}
	tg = now() - t0;
	for (int i = 0; i < n; i++)
		mism += memcmp(p8[i], q8[i], sizeof p8[i]) != 0;
	printf("| hashing %d images (first %dx%d) | %.0f img/s (%d cores) | %.0f img/s | "
	    "%d phash mismatches |\n", n, v[0]->w, v[0]->h, n / tc, cores, n / tg, mism);
	return mism != 0;
}

static int bench_pairs(struct gpu *g, size_t n, int r)
{
	uint64_t *h = malloc(n * sizeof *h);
	struct mih_pair *cp = NULL, *gp = NULL;
	size_t cn = 0, gn = 0;
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	double t0, tc, tg, cmp = (double)n * (double)(n - 1) / 2;
	aderr err;

	for (size_t i = 0; i < n; i++) {
		h[i] = rnd();
		if (i > 0 && rnd() % 4 == 0)
			h[i] = h[rnd() % i] ^ (1ULL << (rnd() % 64)) ^ (1ULL << (rnd() % 64));
	}
	t0 = now();
	if (gpu_pairs(g, h, n, r, &gp, &gn, &err) < 0) {
		fprintf(stderr, "gpubench: %s\n", err.msg);
		return 1;
	}
	tg = now() - t0;
	t0 = now();
	if (mih_pairs(h, n, r, cores, &cp, &cn, &err) < 0) {
		fprintf(stderr, "gpubench: %s\n", err.msg);
		return 1;
	}
	tc = now() - t0;
	printf("| pairs, %zu hashes, r %d | mih %.2f s (%d threads) | GPU %.2f s, %.3g compared/s | "
	    "%zu pairs, %s |\n", n, r, tc, cores, tg, cmp / tg, gn,
	    gn == cn && memcmp(cp, gp, gn * sizeof *gp) == 0 ? "same" : "DIFFERENT");
	return !(gn == cn && memcmp(cp, gp, gn * sizeof *gp) == 0);
}

int main(int argc, char **argv)
{
	struct gpu *g = NULL;
	aderr err;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: gpubench probe | hash N | pairs N R\n");
		return 2;
	}
	if (gpu_open(0, &g, &err) < 0) {
		printf("%s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[1], "probe") == 0)
		printf("%s\n", gpu_name(g)), rc = 0;
	else if (strcmp(argv[1], "hash") == 0 && argc == 3)
		rc = bench_hash(g, atoi(argv[2]));
	else if (strcmp(argv[1], "pairs") == 0 && argc == 4)
		rc = bench_pairs(g, (size_t)atoll(argv[2]), atoi(argv[3]));
	else
		rc = 2;
	gpu_close(g);
	return rc;
}
