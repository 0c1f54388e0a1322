/* test_gpu.c — the GPU hashes and pair search against their CPU references (hash.c,
 * mih.c); without a GPU or without CUDA, the documented refusal. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "features.h"
#include "gpu.h"
#include "hash.h"
#include "image.h"
#include "mih.h"
#include "splitmix.h"
#include "unit.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	return splitmix64(&rng);
}

/* Gray working images as featx makes them: each example photo, its 8 orientations and a
 * few rescaled copies (box and bilinear paths of img_resize), then random images:
 * noise, flat ones and few-valued ones (ties around the medians). */
static int make_images(struct img **v, int max)
{
	static const char *const photos[] = {
		"astronaut.jpg", "camera.png", "cell.png", "chelsea.jpg", "clock.jpg",
		"coffee.webp", "grass.jpg", "hubble.jpg", "retina.jpg", "rocket.jpg",
	};
	static const int sizes[][2] = { { 64, 64 }, { 37, 23 }, { 20, 15 }, { 1, 1 }, { 300, 41 } };
	int n = 0;

	for (size_t p = 0; p < sizeof photos / sizeof photos[0]; p++) {
		char path[256];
		struct img *g = NULL;
		aderr err;

		snprintf(path, sizeof path, "examples/photos/%s", photos[p]);
		if (feat_work_gray(path, &g, &err) < 0)
			continue;
		for (int k = 1; k <= 8 && n < max; k++)
			v[n++] = img_orient(g, k);
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0] && n < max; s++)
			v[n++] = img_resize(g, sizes[s][0], sizes[s][1]);
		img_free(g);
	}
	while (n < max) {
		int w = 1 + (int)(rnd() % 300), h = 1 + (int)(rnd() % 300), kind = (int)(rnd() % 4);
		struct img *im = img_new(w, h, 1);

		if (im == NULL)
			break;
		for (int i = 0; i < w * h; i++)
			im->px[i] = kind == 0 ? (unsigned char)rnd() : kind == 1 ? 77 :
			    kind == 2 ? (unsigned char)(rnd() % 3 * 100) : (unsigned char)(i % w * 255 / w);
		v[n++] = im;
	}
	return n;
}

struct worker {
	struct gpu_batcher *b;
	struct img **v;
	int from, to, fails;
	uint64_t (*p8)[8], *dh, *wh;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	aderr err;

	for (int i = w->from; i < w->to; i++)
		if (gpu_batcher_hash(w->b, w->v[i], w->p8[i], &w->dh[i], &w->wh[i], &err) < 0)
			w->fails++;
	return NULL;
}

static void test_hashes(struct gpu *g)
{
	enum { N = 600, T = 8 };
	struct img *v[N];
	uint64_t (*p8)[8] = calloc(N, sizeof *p8), (*q8)[8] = calloc(N, sizeof *q8);
	uint64_t dh[N], wh[N], dq[N], wq[N];
	int n = make_images(v, N), bad = 0, same = 1;
	struct gpu_batcher *b = NULL;
	aderr err;

	CHECK(n == N);
	CHECK_EQ_INT(gpu_hash_batch(g, (const struct img *const *)v, n, p8, dh, wh, &err), 0);
	for (int i = 0; i < n; i++) {
		uint64_t c8[8], cd, cw;

		hash_phash_dihedral(v[i], c8);
		hash_dhash(v[i], &cd);
		hash_whash(v[i], &cw);
		if (memcmp(c8, p8[i], sizeof c8) != 0 || cd != dh[i] || cw != wh[i]) {
			if (bad++ < 5)
				fprintf(stderr, "image %d (%dx%d): phash %016llx/%016llx dhash %016llx/%016llx "
				    "whash %016llx/%016llx (cpu/gpu)\n", i, v[i]->w, v[i]->h,
				    (unsigned long long)c8[0], (unsigned long long)p8[i][0],
				    (unsigned long long)cd, (unsigned long long)dh[i],
				    (unsigned long long)cw, (unsigned long long)wh[i]);
		}
	}
	CHECK_EQ_INT(bad, 0);

	/* the batcher, from T threads at once, gives the same */
	CHECK_EQ_INT(gpu_batcher_new(g, 64, 500, &b, &err), 0);
	if (b != NULL) {
		struct worker w[T];
		pthread_t th[T];
		int fails = 0;

		for (int t = 0; t < T; t++) {
			w[t] = (struct worker){ b, v, n * t / T, n * (t + 1) / T, 0, q8, dq, wq };
			pthread_create(&th[t], NULL, work, &w[t]);
		}
		for (int t = 0; t < T; t++) {
			pthread_join(th[t], NULL);
			fails += w[t].fails;
		}
		gpu_batcher_free(b);
		CHECK_EQ_INT(fails, 0);
		for (int i = 0; i < n; i++)
			same &= memcmp(p8[i], q8[i], sizeof p8[i]) == 0 && dh[i] == dq[i] && wh[i] == wq[i];
		CHECK(same);
	}
	for (int i = 0; i < n; i++)
		img_free(v[i]);
	free(p8);
	free(q8);
}

static int cmp_pair(const void *x, const void *y)
{
	const struct mih_pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* group.c's turned_pairs, the CPU answer for gpu_pairs8. */
static int cpu_pairs8(const uint64_t (*v)[8], size_t n, int r, struct mih_pair **out, size_t *np)
{
	struct mih_pair *all;
	size_t na, w = 0;
	aderr err;

	if (mih_pairs(&v[0][0], n * 8, r, 4, &all, &na, &err) < 0)
		return -1;
	for (size_t p = 0; p < na; p++) {
		uint32_t a = all[p].a / 8, b = all[p].b / 8;

		if (a == b || (all[p].a % 8 != 0 && all[p].b % 8 != 0))
			continue;
		all[w].a = a < b ? a : b;
		all[w++].b = a < b ? b : a;
	}
	qsort(all, w, sizeof *all, cmp_pair);
	*np = 0;
	for (size_t p = 0; p < w; p++)
		if (*np == 0 || all[p].a != all[*np - 1].a || all[p].b != all[*np - 1].b)
			all[(*np)++] = all[p];
	*out = all;
	return 0;
}

static uint64_t flip(uint64_t h, int bits)
{
	for (int i = 0; i < bits; i++)
		h ^= 1ULL << (rnd() % 64);
	return h;
}

static void test_pairs(struct gpu *g)
{
	enum { N = 20000 };
	uint64_t *h = malloc(N * sizeof *h), (*v)[8] = malloc(N * sizeof *v);
	struct mih_pair *cp, *gp;
	size_t cn, gn;
	aderr err;

	for (int i = 0; i < N; i++) {
		int src = i > 0 && rnd() % 4 == 0 ? (int)(rnd() % (uint64_t)i) : -1;

		h[i] = src < 0 ? rnd() : flip(h[src], (int)(rnd() % 15));
		for (int k = 0; k < 8; k++)
			v[i][k] = src < 0 ? rnd() : flip(v[src][(k + (int)(rnd() % 8)) % 8], (int)(rnd() % 15));
	}
	for (int r = 8; r <= 12; r += 4) {
		CHECK_EQ_INT(mih_pairs(h, N, r, 4, &cp, &cn, &err), 0);
		CHECK_EQ_INT(gpu_pairs(g, h, N, r, &gp, &gn, &err), 0);
		CHECK(cn > 1000);
		CHECK_EQ_INT(gn, cn);
		CHECK(gn == cn && memcmp(cp, gp, cn * sizeof *cp) == 0);
		free(cp);
		free(gp);
		CHECK_EQ_INT(cpu_pairs8((const uint64_t (*)[8])v, N, r, &cp, &cn), 0);
		CHECK_EQ_INT(gpu_pairs8(g, (const uint64_t (*)[8])v, N, r, &gp, &gn, &err), 0);
		CHECK(cn > 1000);
		CHECK_EQ_INT(gn, cn);
		CHECK(gn == cn && memcmp(cp, gp, cn * sizeof *cp) == 0);
		free(cp);
		free(gp);
	}
	/* more pairs than the first device buffer holds (2^24): grow and run again */
	for (int i = 0; i < 6000; i++)
		h[i] = 0x0123456789abcdefULL;
	CHECK_EQ_INT(gpu_pairs(g, h, 6000, 0, &gp, &gn, &err), 0);
	CHECK_EQ_INT(gn, 6000 * 5999 / 2);
	if (gn == 6000 * 5999 / 2) {
		size_t k = 0;
		int ok = 1;

		for (uint32_t a = 0; a < 6000; a++)
			for (uint32_t b = a + 1; b < 6000; b++, k++)
				ok &= gp[k].a == a && gp[k].b == b;
		CHECK(ok);
	}
	free(gp);
	free(h);
	free(v);
}

int main(void)
{
	struct gpu *g = NULL;
	aderr err = { 0, "" };
	int rc = gpu_open(0, &g, &err);

	if (rc < 0) {
		/* the device checks skip only for the documented refusals: no CUDA in the
		 * build, or a driver that lists no device ("no CUDA device (...)"); any
		 * other CUDA error (a broken driver, "no CUDA device usable: ...") fails */
		int absent = strcmp(err.msg,
		    "built without CUDA (nvcc was not found at build time)") == 0 ||
		    strncmp(err.msg, "no CUDA device (", 16) == 0;

		CHECK_EQ_INT(rc, AD_EUNSUP);
		CHECK(g == NULL);
		if (!absent) {
			CHECK(!"gpu_open failed for a reason other than no CUDA device");
			fprintf(stderr, "gpu_open: %s\n", err.msg);
			return unit_done();
		}
		SKIP(err.msg);	/* test_hashes */
		SKIP(err.msg);	/* test_pairs */
		return unit_done();
	}
	printf("device: %s\n", gpu_name(g));
	test_hashes(g);
	test_pairs(g);
	gpu_close(g);
	return unit_done();
}
