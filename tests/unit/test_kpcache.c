/* test_kpcache.c — the keypoint cache on real keypoints from the example photos: every get
 * equals kp_unpack of the bytes added, under constant eviction, from four threads at once
 * and cut to max_keypoints; the budget holds while no set is in use; the spill file
 * leaves nothing behind and its write and read failures are errors.  Prints get costs on
 * a hit and on a miss to stderr. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "features.h"
#include "ink.h"
#include "keypoints.h"
#include "kpcache.h"
#include "splitmix.h"
#include "unit.h"

#define MAXP 32
#define NIDS 2400

static unsigned char *pk[MAXP];         /* kp_pack of each photo's keypoints */
static size_t pklen[MAXP];
static struct kp_set full[MAXP];        /* kp_unpack of pk */
static int np;
static char tmpdir[64];

/* Set id is photo id % np cut to a pseudo-random count of its keypoints, with its width
 * field set to the id's low bits so that no two neighbouring ids look alike. */
static int id_photo(uint32_t id)
{
	return (int)(id % (uint32_t)np);
}

static int id_n(uint32_t id)
{
	return (int)((id * 2654435761u >> 7) % (uint32_t)(full[id_photo(id)].n + 1));
}

static unsigned char *id_packed(uint32_t id, size_t *len)
{
	int p = id_photo(id);
	unsigned char *b;

	*len = KP_PACKED_HEAD + (size_t)id_n(id) * KP_PACKED_SIZE;
	if ((b = malloc(*len)) == NULL)
		return NULL;
	memcpy(b, pk[p], *len);
	b[1] = (unsigned char)(id & 255);
	b[2] = (unsigned char)(id >> 8 & 255);
	return b;
}

/* Whether s is what kp_unpack gives for set id, cut to maxkp keypoints (0: all).  (The
 * response is compared with 0, which keypoints.h promises: kp_unpack leaves it unset.) */
static int same(const struct kp_set *s, uint32_t id, int maxkp)
{
	const struct kp_set *f = &full[id_photo(id)];
	int n = id_n(id);

	if (maxkp > 0 && n > maxkp)
		n = maxkp;
	if (s == NULL || s->w != (int)(id & 0xffff) || s->h != f->h || s->n != n)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct kp *a = &s->kp[i], *b = &f->kp[i];

		if (a->x != b->x || a->y != b->y || a->level != b->level || a->angle != b->angle ||
		    memcmp(a->d, b->d, 32) != 0 || a->response != 0)
			return 0;
	}
	return 1;
}

static void load_photos(void)
{
	DIR *d = opendir("examples/photos");
	struct dirent *e;

	CHECK(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL && np < MAXP) {
		char path[512];
		struct img *im = NULL;
		struct kp_set set;
		aderr err = {0};

		if (e->d_name[0] == '.' || strstr(e->d_name, ".md") != NULL)
			continue;
		snprintf(path, sizeof path, "examples/photos/%s", e->d_name);
		if (feat_work_gray(path, &im, &err) < 0)
			continue;
		CHECK(kp_detect(im, KP_DEFAULT, &set) == 0);
		img_free(im);
		pk[np] = kp_pack(&set, &pklen[np]);
		kp_free(&set);
		CHECK(pk[np] != NULL);
		if (pk[np] == NULL)
			continue;
		CHECK(kp_unpack(pk[np], pklen[np], &full[np]) == 0);
		np++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(np >= 8);
}

static struct kpcache *filled(size_t budget, int maxkp, uint32_t nids)
{
	aderr err = {0};
	struct kpcache *c = kpcache_open(budget, maxkp, tmpdir, &err);
	int ok = 1;

	CHECK(c != NULL);
	for (uint32_t i = 0; c != NULL && i < nids; i++) {
		size_t len;
		unsigned char *b = id_packed(i, &len);
		uint32_t id = UINT32_MAX;

		if (b == NULL || kpcache_add(c, b, len, &id, &err) < 0 || id != i)
			ok = 0;
		free(b);
	}
	CHECK(ok);
	return c;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Gets ids in order, then in a random order, under a budget of a few sets. */
static void test_eviction(void)
{
	size_t budget = 4 * kpcache_set_cost(128);
	struct kpcache *c = filled(budget, 0, NIDS);
	struct kpcache_stats st;
	uint64_t rng = 1, spilled = 0;
	int bad = 0, over = 0;
	aderr err = {0};

	if (c == NULL)
		return;
	for (uint32_t i = 0; i < NIDS; i++)
		spilled += KP_PACKED_HEAD + (uint64_t)id_n(i) * KP_PACKED_SIZE;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t k = 0; k < NIDS; k++) {
			uint32_t id = pass == 0 ? k : (uint32_t)(splitmix64(&rng) % NIDS);
			const struct kp_set *s;

			if (kpcache_get(c, id, &s, &err) < 0 || !same(s, id, 0))
				bad++;
			kpcache_put(c, id);
			kpcache_stats(c, &st);
			if (st.in_use != 0 || st.held > budget)
				over++;
		}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(over, 0);
	kpcache_stats(c, &st);
	CHECK_EQ_INT(st.count, NIDS);
	CHECK_EQ_INT(st.spilled, spilled);
	CHECK(st.evictions > NIDS);
	CHECK(st.misses > 2 * NIDS * 9 / 10);
	CHECK_EQ_INT(st.hits + st.misses, 2 * NIDS);
	CHECK(st.peak <= budget);
	CHECK(st.index_bytes <= 2 * 12 * NIDS);
	fprintf(stderr, "small budget (%zu bytes): %llu hits, %llu misses, %llu evictions, "
	    "%.1f index bytes per set\n", budget, (unsigned long long)st.hits,
	    (unsigned long long)st.misses, (unsigned long long)st.evictions,
	    (double)st.index_bytes / st.count);

	/* sets in use outlive eviction, and only they push past the budget */
	{
		const struct kp_set *a, *b, *s;
		uint32_t ia = 7, ib = 1001;
		int ok = 1;

		CHECK(kpcache_get(c, ia, &a, &err) == 0);
		CHECK(kpcache_get(c, ib, &b, &err) == 0);
		CHECK(kpcache_get(c, ia, &s, &err) == 0 && s == a);
		for (uint32_t id = 0; id < NIDS; id += 3) {
			if (kpcache_get(c, id, &s, &err) < 0 || !same(s, id, 0))
				ok = 0;
			kpcache_put(c, id);
		}
		CHECK(ok);
		CHECK(same(a, ia, 0));
		CHECK(same(b, ib, 0));
		kpcache_put(c, ia);
		kpcache_put(c, ib);
		CHECK(same(a, ia, 0));     /* still one reference to ia */
		kpcache_put(c, ia);
		kpcache_put(c, ia);        /* one too many: ignored */
		kpcache_stats(c, &st);
		CHECK_EQ_INT(st.in_use, 0);
		CHECK(st.held <= budget);
	}

	/* ids never added */
	{
		const struct kp_set *s = (const struct kp_set *)&err;

		err.msg[0] = '\0';
		CHECK_EQ_INT(kpcache_get(c, NIDS, &s, &err), AD_ENOENT);
		CHECK(s == NULL);
		CHECK(strstr(err.msg, "no set") != NULL);
		CHECK_EQ_INT(kpcache_get(c, UINT32_MAX, &s, &err), AD_ENOENT);
		kpcache_put(c, NIDS);
		CHECK_EQ_INT(kpcache_add(c, "\1xx", 3, NULL, &err), AD_EFORMAT);
		CHECK_EQ_INT(kpcache_add(c, pk[0], pklen[0] - 1, NULL, &err), AD_EFORMAT);
		CHECK_EQ_INT(kpcache_count(c), NIDS);
	}
	kpcache_close(c);
}

/* With room for everything a second pass is all hits; max_keypoints cuts. */
static void test_budget_and_cut(void)
{
	struct kpcache *c = filled((size_t)NIDS * kpcache_set_cost(KP_DEFAULT), 0, NIDS);
	struct kpcache_stats st;
	aderr err = {0};
	int bad = 0;

	if (c == NULL)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t id = 0; id < NIDS; id++) {
			const struct kp_set *s;

			if (kpcache_get(c, id, &s, &err) < 0 || !same(s, id, 0))
				bad++;
			kpcache_put(c, id);
		}
	CHECK_EQ_INT(bad, 0);
	kpcache_stats(c, &st);
	CHECK_EQ_INT(st.misses, NIDS);
	CHECK_EQ_INT(st.hits, NIDS);
	CHECK_EQ_INT(st.evictions, 0);
	CHECK_EQ_INT(st.resident, NIDS);
	CHECK_EQ_INT(st.held, st.peak);
	kpcache_close(c);

	for (int k = 1; k <= 64; k *= 8) {
		int cut = 0;

		bad = 0;
		c = filled(64 * kpcache_set_cost(k), k, NIDS);
		if (c == NULL)
			return;
		for (uint32_t id = 0; id < NIDS; id++) {
			const struct kp_set *s;

			if (kpcache_get(c, id, &s, &err) < 0 || !same(s, id, k))
				bad++;
			else if (id_n(id) > k)
				cut++;
			kpcache_put(c, id);
		}
		CHECK_EQ_INT(bad, 0);
		CHECK(cut > NIDS / 2);
		kpcache_close(c);
	}
}

/* Sets with their detail (version-2 packings, keypoints.h): got back whole, and cut to
 * the strongest K with the detail kept (the cut knows the longer header). */
static void test_detail(void)
{
	for (int k = 0; k <= 8; k += 8) {
		aderr err = {0};
		struct kpcache *c = kpcache_open(1 << 20, k, tmpdir, &err);
		int bad = 0;

		CHECK(c != NULL);
		if (c == NULL)
			return;
		for (int i = 0; i < np; i++) {
			uint8_t det[KP_DETAIL_BYTES], shp[KP_DETAIL_BYTES];
			unsigned char *v2;
			size_t l2 = 0;
			uint32_t id;
			const struct kp_set *s;

			for (int j = 0; j < KP_DETAIL_BYTES; j++) {
				det[j] = (uint8_t)(j * 31 + i);
				shp[j] = (uint8_t)(j * 13 + 7 * i);
			}
			/* every other set with a shape too (version 3): the cut to the strongest
			 * keypoints keeps both grids */
			v2 = kp_pack_detail(pk[i], pklen[i], det, i % 2 ? shp : NULL, NULL, NULL, NULL, 0,
			    &l2);
			if (v2 == NULL || kpcache_add(c, v2, l2, &id, &err) < 0 ||
			    kpcache_get(c, id, &s, &err) < 0) {
				bad++;
				free(v2);
				continue;
			}
			if (s->detail == NULL || memcmp(s->detail, det, sizeof det) != 0 ||
			    (i % 2 ? s->alpha == NULL || memcmp(s->alpha, shp, sizeof shp) != 0 :
			    s->alpha != NULL) ||
			    s->n != (k > 0 && full[i].n > k ? k : full[i].n) ||
			    (s->n > 0 && memcmp(s->kp[0].d, full[i].kp[0].d, 32) != 0))
				bad++;
			kpcache_put(c, id);
			free(v2);
		}
		CHECK_EQ_INT(bad, 0);
		kpcache_close(c);
	}
}

/* A page's ink comes out of the cache unpacked once (ink_cells, ink_w x ink_h, the cells
 * ink_unpack gives), again after the set was evicted and read back, and a packing that
 * does not unpack is left packed for the reader to turn down (ink_cells NULL). */
static void test_ink(void)
{
	aderr err = {0};
	/* room for less than a set: every get reads its set back from the spill file */
	struct kpcache *c = kpcache_open(16 << 10, 0, tmpdir, &err);
	int bad = 0, reread = 0;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < np && i < 8; i++) {
			int w = 37 + 29 * i, h = 23 + 31 * i, broken = i == 3;
			uint8_t det[KP_DETAIL_BYTES] = { 0 }, *cells = malloc((size_t)w * (size_t)h);
			uLongf zl = compressBound((uLong)w * (uLong)h);
			unsigned char *ink = malloc(INK_HEAD + zl), *v = NULL;
			size_t l = 0;
			uint32_t id;
			const struct kp_set *s;

			if (cells == NULL || ink == NULL) {
				bad++;
				free(cells);
				free(ink);
				continue;
			}
			for (int k = 0; k < w * h; k++)
				cells[k] = (uint8_t)((k * 7 + i) % INK_LEVELS);
			ink[0] = 1;
			ink[1] = (unsigned char)(w & 255);
			ink[2] = (unsigned char)(w >> 8);
			ink[3] = (unsigned char)(h & 255);
			ink[4] = (unsigned char)(h >> 8);
			if (compress(ink + INK_HEAD, &zl, cells, (uLong)w * (uLong)h) != Z_OK)
				bad++;
			/* one whose compressed cells are cut short */
			if (broken)
				zl /= 2;
			v = kp_pack_detail(pk[i], pklen[i], det, NULL, NULL, NULL, ink, INK_HEAD + zl, &l);
			if (v == NULL || kpcache_add(c, v, l, &id, &err) < 0) {
				bad++;
			} else {
				/* a set added, another read, this one read back */
				for (int g = 0; g < 2; g++) {
					if (kpcache_get(c, id, &s, &err) < 0) {
						bad++;
						break;
					}
					struct kpcache_stats st;

					if (s->ink == NULL || (broken ? s->ink_cells != NULL :
					    s->ink_cells == NULL || s->ink_w != w || s->ink_h != h ||
					    memcmp(s->ink_cells, cells, (size_t)w * (size_t)h) != 0))
						bad++;
					/* the cells count against the budget */
					kpcache_stats(c, &st);
					if (!broken && st.held < (size_t)w * (size_t)h)
						bad++;
					kpcache_put(c, id);
					if (g == 0 && i > 0 && kpcache_get(c, id - 1, &s, &err) == 0)
						kpcache_put(c, id - 1);
				}
				reread++;
			}
			free(v);
			free(ink);
			free(cells);
		}
	CHECK_EQ_INT(bad, 0);
	CHECK(reread >= 2);
	{
		struct kpcache_stats st;

		kpcache_stats(c, &st);
		/* the sets were read back from the spill file (each unpacked again), and the
		 * budget held but for the set in use */
		CHECK(st.misses >= 2 * (uint64_t)reread);
		CHECK(st.evictions > 0);
		CHECK(st.peak <= (size_t)(16 << 10) + (size_t)(256 * 256) + 65536);
	}
	kpcache_close(c);
}

struct worker {
	struct kpcache *c;
	uint32_t nids;
	int iters;
	uint64_t seed;
	int bad;
};

/* Random gets, each held while the next two are fetched, checked on get and again
 * before it is put. */
static void *work(void *arg)
{
	struct worker *w = arg;
	uint32_t held[3];
	const struct kp_set *sets[3];
	int nheld = 0;
	aderr err = {0};

	for (int it = 0; it < w->iters; it++) {
		uint32_t id = (uint32_t)(splitmix64(&w->seed) % w->nids);
		const struct kp_set *s;

		if (nheld == 3) {
			if (!same(sets[0], held[0], 0))
				w->bad++;
			kpcache_put(w->c, held[0]);
			memmove(held, held + 1, 2 * sizeof *held);
			memmove(sets, sets + 1, 2 * sizeof *sets);
			nheld--;
		}
		if (kpcache_get(w->c, id, &s, &err) < 0 || !same(s, id, 0)) {
			w->bad++;
			continue;
		}
		held[nheld] = id;
		sets[nheld++] = s;
	}
	while (nheld > 0) {
		nheld--;
		if (!same(sets[nheld], held[nheld], 0))
			w->bad++;
		kpcache_put(w->c, held[nheld]);
	}
	return NULL;
}

/* Four threads over all ids with a budget of a few dozen sets, then over eight ids with
 * no budget at all, so that threads often miss on the same id at once. */
static void test_threads(void)
{
	static const uint32_t range[2] = { NIDS, 8 };
	static const size_t budget[2] = { 40, 0 };

	for (int round = 0; round < 2; round++) {
		size_t b = budget[round] * kpcache_set_cost(128);
		struct kpcache *c = filled(b, 0, NIDS);
		struct worker w[4];
		pthread_t t[4];
		struct kpcache_stats st;
		int bad = 0, started = 0;

		if (c == NULL)
			return;
		for (int i = 0; i < 4; i++) {
			w[i] = (struct worker){ c, range[round], 6000, (uint64_t)(round * 4 + i + 1), 0 };
			if (pthread_create(&t[i], NULL, work, &w[i]) == 0)
				started++;
			else
				break;
		}
		CHECK_EQ_INT(started, 4);
		for (int i = 0; i < started; i++) {
			pthread_join(t[i], NULL);
			bad += w[i].bad;
		}
		CHECK_EQ_INT(bad, 0);
		kpcache_stats(c, &st);
		CHECK_EQ_INT(st.in_use, 0);
		CHECK(st.held <= b);
		CHECK_EQ_INT(st.hits + st.misses, (uint64_t)started * 6000);
		fprintf(stderr, "threads over %u ids, budget %zu: %llu hits, %llu misses, peak %zu\n",
		    range[round], b, (unsigned long long)st.hits, (unsigned long long)st.misses,
		    st.peak);
		kpcache_close(c);
	}
}

/* Gets of a set the spill file has lost, so that threads waiting on another's read
 * see it fail. */
static void *work_lost(void *arg)
{
	struct worker *w = arg;
	aderr err = {0};

	for (int it = 0; it < w->iters; it++) {
		const struct kp_set *s;
		uint32_t id = w->nids - 1 - (uint32_t)(it & 1);

		if (kpcache_get(w->c, id, &s, &err) != AD_ETRUNC || s != NULL)
			w->bad++;
	}
	return NULL;
}

/* The spill file's descriptor, found by its (deleted) name under tmpdir. */
static int spill_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char want[128];
	int fd = -1;

	snprintf(want, sizeof want, "%s/azdedup-kp.", tmpdir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], link[256];
		ssize_t n;

		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		if ((n = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, want, strlen(want)) == 0 && strstr(link, "(deleted)") != NULL)
			fd = atoi(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	return fd;
}

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return d != NULL ? n : -1;
}

static void test_spill_errors(void)
{
	struct kpcache *c;
	const struct kp_set *s;
	struct rlimit old, lim;
	aderr err = {0};
	int rc = 0, fd;
	uint32_t n = 0;

	/* nothing in the directory while the cache is open */
	c = filled(0, 0, 100);
	CHECK_EQ_INT(dir_entries(tmpdir), 0);

	/* a short read: the file cut under the cache */
	CHECK(c != NULL && kpcache_get(c, 99, &s, &err) == 0);  /* flushes */
	if (c != NULL)
		kpcache_put(c, 99);
	fd = spill_fd();
	CHECK(fd >= 0);
	CHECK(fd >= 0 && ftruncate(fd, 1000) == 0);
	err.msg[0] = '\0';
	CHECK(c != NULL && kpcache_get(c, 98, &s, &err) == AD_ETRUNC);
	CHECK(strstr(err.msg, tmpdir) != NULL && strstr(err.msg, "short read") != NULL);
	fprintf(stderr, "short read: %s\n", err.msg);
	CHECK(c != NULL && kpcache_get(c, 98, &s, &err) == AD_ETRUNC);
	CHECK(c != NULL && kpcache_get(c, 0, &s, &err) == 0 && same(s, 0, 0));
	if (c != NULL)
		kpcache_put(c, 0);
	if (c != NULL) {
		struct worker w[4];
		pthread_t t[4];
		int bad = 0, started = 0;

		for (int i = 0; i < 4; i++) {
			w[i] = (struct worker){ c, 99, 2000, 0, 0 };
			if (pthread_create(&t[i], NULL, work_lost, &w[i]) != 0)
				break;
			started++;
		}
		CHECK_EQ_INT(started, 4);
		for (int i = 0; i < started; i++) {
			pthread_join(t[i], NULL);
			bad += w[i].bad;
		}
		CHECK_EQ_INT(bad, 0);
	}
	kpcache_close(c);

	/* a write that fails (file size limit standing in for a full disk) */
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 100000;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	c = kpcache_open(1 << 20, 0, tmpdir, &err);
	CHECK(c != NULL);
	while (c != NULL && n < 100000 && (rc = kpcache_add(c, pk[0], pklen[0], NULL, &err)) == 0)
		n++;
	CHECK_EQ_INT(rc, AD_EIO);
	CHECK(strstr(err.msg, tmpdir) != NULL && strstr(err.msg, "cannot write") != NULL);
	fprintf(stderr, "full disk after %u sets: %s\n", n, err.msg);
	CHECK(c != NULL && kpcache_count(c) == n);
	/* what was written reads back; what is stuck in the buffer is an error */
	CHECK(c != NULL && kpcache_get(c, 0, &s, &err) == 0 && s->n == full[0].n);
	if (c != NULL)
		kpcache_put(c, 0);
	CHECK(c != NULL && kpcache_get(c, n - 1, &s, &err) == AD_EIO);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	/* with room again, the buffered sets go out */
	CHECK(c != NULL && kpcache_get(c, n - 1, &s, &err) == 0 && s->n == full[0].n);
	if (c != NULL)
		kpcache_put(c, n - 1);
	kpcache_close(c);

	/* a directory that is not there */
	c = kpcache_open(0, 0, "/nonexistent-kpcache-dir", &err);
	CHECK(c == NULL && err.code == AD_ENOENT);
	CHECK(strstr(err.msg, "/nonexistent-kpcache-dir") != NULL);
	CHECK(kpcache_open(0, -1, tmpdir, &err) == NULL);
}

/* Get costs on a hit and on a miss (from the page cache), at dedupe's 128 keypoints. */
static void bench(void)
{
	struct kpcache *c = filled((size_t)64 * kpcache_set_cost(128), 128, NIDS);
	const struct kp_set *s;
	aderr err = {0};
	double t0, hit, miss;
	int reps = 200000;

	if (c == NULL)
		return;
	for (uint32_t id = 0; id < 64; id++) {
		CHECK(kpcache_get(c, id, &s, &err) == 0);
		kpcache_put(c, id);
	}
	t0 = now();
	for (int i = 0; i < reps; i++) {
		kpcache_get(c, (uint32_t)i & 63, &s, &err);
		kpcache_put(c, (uint32_t)i & 63);
	}
	hit = (now() - t0) / reps * 1e6;
	kpcache_close(c);

	c = filled(0, 128, NIDS);
	if (c == NULL)
		return;
	reps = 3 * NIDS;
	t0 = now();
	for (int i = 0; i < reps; i++) {
		kpcache_get(c, (uint32_t)i % NIDS, &s, &err);
		kpcache_put(c, (uint32_t)i % NIDS);
	}
	miss = (now() - t0) / reps * 1e6;
	kpcache_close(c);
	fprintf(stderr, "bench: get+put %.3f us on a hit, %.2f us on a miss (pread + unpack, "
	    "up to 128 keypoints)\n", hit, miss);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/kpcache-test.XXXXXX",
	    base != NULL && *base != '\0' && strlen(base) < 32 ? base : "/tmp");
	CHECK(mkdtemp(tmpdir) != NULL);
	load_photos();
	if (np > 0) {
		test_eviction();
		test_budget_and_cut();
		test_detail();
		test_ink();
		test_threads();
		test_spill_errors();
		bench();
	}
	CHECK_EQ_INT(dir_entries(tmpdir), 0);
	CHECK(rmdir(tmpdir) == 0);
	for (int i = 0; i < np; i++) {
		free(pk[i]);
		kp_free(&full[i]);
	}
	return unit_done();
}
