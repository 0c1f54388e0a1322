/* test_featmemo.c — the memo of features by content, on the example photos: what a get
 * gives equals what was put, field by field and byte by byte, and is the caller's own
 * copy; the budget drops the oldest first; feat_file answers a byte-identical file
 * from the memo with the features a decode gives, and never keeps a failure; four
 * threads putting and getting under constant eviction get only whole, right copies. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "featmemo.h"
#include "features.h"
#include "unit.h"

#define MAXP 16

static struct feat ph[MAXP];    /* each photo's features, decoded without a memo, thumb 32 */
static char *path[MAXP];
static int np;

static int same_feat(const struct feat *a, const struct feat *b)
{
	return strcmp(a->format, b->format) == 0 && a->width == b->width &&
	    a->height == b->height && memcmp(a->sha256, b->sha256, 32) == 0 &&
	    a->phash == b->phash && a->dhash == b->dhash && a->whash == b->whash &&
	    memcmp(a->phash8, b->phash8, sizeof a->phash8) == 0 &&
	    memcmp(a->color, b->color, sizeof a->color) == 0 &&
	    a->nlocal == b->nlocal && a->local_len == b->local_len &&
	    (a->local == NULL) == (b->local == NULL) &&
	    (a->local == NULL || memcmp(a->local, b->local, a->local_len) == 0) &&
	    a->ink_len == b->ink_len && (a->ink == NULL) == (b->ink == NULL) &&
	    (a->ink == NULL || memcmp(a->ink, b->ink, a->ink_len) == 0) &&
	    memcmp(a->detail, b->detail, sizeof a->detail) == 0 &&
	    a->has_alpha_detail == b->has_alpha_detail &&
	    memcmp(a->alpha_detail, b->alpha_detail, sizeof a->alpha_detail) == 0 &&
	    memcmp(a->color_detail, b->color_detail, sizeof a->color_detail) == 0 &&
	    (a->thumb == NULL) == (b->thumb == NULL) &&
	    (a->thumb == NULL || strcmp(a->thumb, b->thumb) == 0) &&
	    a->info == b->info && a->dominant == b->dominant && a->opaque == b->opaque &&
	    (a->alpha == NULL) == (b->alpha == NULL) &&
	    (a->alpha == NULL || strcmp(a->alpha, b->alpha) == 0) &&
	    a->framed == b->framed && memcmp(a->frame, b->frame, sizeof a->frame) == 0 &&
	    a->low_info == b->low_info;
}

static void load_photos(void)
{
	DIR *d = opendir("examples/photos");
	struct dirent *e;
	struct feat_opts o;
	aderr err = {0};

	feat_opts_default(&o);
	o.thumb = 32;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && np < MAXP) {
		char p[512];

		if (e->d_name[0] == '.' || strstr(e->d_name, ".md") != NULL)
			continue;
		snprintf(p, sizeof p, "examples/photos/%s", e->d_name);
		if (feat_file(p, &o, &ph[np], &err) == 0 && (path[np] = strdup(p)) != NULL)
			np++;
	}
	closedir(d);
}

static void test_get_put(void)
{
	struct feat_memo *m = feat_memo_new((size_t)64 << 20);
	struct feat_memo_stats st;
	struct feat g;

	CHECK(feat_memo_new(0) == NULL);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	memset(&g, 0, sizeof g);
	CHECK_EQ_INT(feat_memo_get(m, ph[0].sha256, &g), 0);
	for (int i = 0; i < np; i++)
		feat_memo_put(m, &ph[i]);
	feat_memo_put(m, &ph[0]);       /* held already: dropped */
	for (int i = 0; i < np; i++) {
		memset(&g, 0, sizeof g);
		CHECK_EQ_INT(feat_memo_get(m, ph[i].sha256, &g), 1);
		CHECK(same_feat(&g, &ph[i]));
		/* the caller's own copy: changing it changes nothing held */
		CHECK(g.local != ph[i].local && g.thumb != ph[i].thumb);
		if (g.local != NULL && g.local_len > 0)
			g.local[g.local_len - 1] ^= 0xff;
		feat_clear(&g);
		memset(&g, 0, sizeof g);
		CHECK_EQ_INT(feat_memo_get(m, ph[i].sha256, &g), 1);
		CHECK(same_feat(&g, &ph[i]));
		feat_clear(&g);
	}
	feat_memo_stats(m, &st);
	CHECK_EQ_INT(st.kept, np);
	CHECK_EQ_INT(st.entries, np);
	CHECK_EQ_INT(st.evicted, 0);
	CHECK_EQ_INT(st.hits, 2 * np);
	CHECK_EQ_INT(st.misses, 1);
	feat_memo_free(m);
	feat_memo_free(NULL);
}

static void test_budget(void)
{
	size_t c0 = feat_memo_cost(&ph[0]), c1 = feat_memo_cost(&ph[1]), c2 = feat_memo_cost(&ph[2]);
	size_t most = c0 > c1 ? c0 : c1;
	/* room for any two of the first three, not three */
	struct feat_memo *m = feat_memo_new(2 * (most > c2 ? most : c2));
	struct feat_memo_stats st;
	struct feat g;

	CHECK(c0 > ph[0].local_len && c0 > strlen(ph[0].thumb));
	if (m == NULL) {
		CHECK(m != NULL);
		return;
	}
	feat_memo_put(m, &ph[0]);
	feat_memo_put(m, &ph[1]);
	feat_memo_put(m, &ph[2]);       /* the oldest, photo 0, goes */
	feat_memo_stats(m, &st);
	CHECK_EQ_INT(st.entries, 2);
	CHECK_EQ_INT(st.evicted, 1);
	CHECK(st.held <= 2 * (most > c2 ? most : c2));
	memset(&g, 0, sizeof g);
	CHECK_EQ_INT(feat_memo_get(m, ph[0].sha256, &g), 0);
	CHECK_EQ_INT(feat_memo_get(m, ph[2].sha256, &g), 1);
	CHECK(same_feat(&g, &ph[2]));
	feat_clear(&g);
	memset(&g, 0, sizeof g);
	CHECK_EQ_INT(feat_memo_get(m, ph[1].sha256, &g), 1);
	feat_clear(&g);
	feat_memo_free(m);

	/* an entry over the whole budget is not kept, and drops nothing */
	m = feat_memo_new(c0 - 1);
	if (m != NULL) {
		feat_memo_put(m, &ph[0]);
		feat_memo_stats(m, &st);
		CHECK_EQ_INT(st.entries, 0);
		CHECK_EQ_INT(st.kept, 0);
		feat_memo_free(m);
	}
}

/* feat_file through a memo: a copy of a photo's bytes under another name is answered from
 * it with the decode's features; a corrupt file fails each time and is never kept */
static void test_feat_file(void)
{
	char dir[] = "/tmp/azd-featmemo.XXXXXX", copy[256], bad[256];
	struct feat_opts o;
	struct feat_memo_stats st;
	struct feat f;
	aderr err = {0};
	FILE *in, *out;
	int c;

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(copy, sizeof copy, "%s/another name.jpg", dir);
	snprintf(bad, sizeof bad, "%s/cut.jpg", dir);
	in = fopen(path[3], "rb");
	out = fopen(copy, "wb");
	while (in != NULL && out != NULL && (c = getc(in)) != EOF)
		putc(c, out);
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	out = fopen(bad, "wb");
	if (out != NULL) {
		fputs("\xff\xd8\xff\xe0 not a whole JPEG", out);
		fclose(out);
	}
	feat_opts_default(&o);
	o.thumb = 32;
	o.memo = feat_memo_new((size_t)8 << 20);
	CHECK(o.memo != NULL);
	CHECK_EQ_INT(feat_file(path[3], &o, &f, &err), 0);
	CHECK(same_feat(&f, &ph[3]));
	feat_clear(&f);
	CHECK_EQ_INT(feat_file(copy, &o, &f, &err), 0);
	CHECK(same_feat(&f, &ph[3]));
	feat_clear(&f);
	for (int k = 0; k < 2; k++) {
		err.msg[0] = '\0';
		CHECK(feat_file(bad, &o, &f, &err) < 0);
		CHECK(err.msg[0] != '\0');
	}
	feat_memo_stats(o.memo, &st);
	CHECK_EQ_INT(st.hits, 1);
	CHECK_EQ_INT(st.kept, 1);
	CHECK_EQ_INT(st.misses, 3);
	/* the options are the caller's: with other ones, another memo (featx has one set) */
	feat_memo_free(o.memo);
	unlink(copy);
	unlink(bad);
	rmdir(dir);
}

static int thread_bad;

static void *worker(void *arg)
{
	struct feat_memo *m = arg;
	unsigned s = (unsigned)(uintptr_t)&arg;

	for (int k = 0; k < 4000; k++) {
		int i = (int)((s = s * 1103515245u + 12345u) >> 8) % np;
		struct feat g;
		int rc;

		memset(&g, 0, sizeof g);
		rc = feat_memo_get(m, ph[i].sha256, &g);
		if (rc == 1) {
			if (!same_feat(&g, &ph[i]))
				__atomic_add_fetch(&thread_bad, 1, __ATOMIC_RELAXED);
			feat_clear(&g);
		} else if (rc == 0) {
			feat_memo_put(m, &ph[i]);
		} else {
			__atomic_add_fetch(&thread_bad, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	/* room for about three photos: every few puts drop one */
	struct feat_memo *m = feat_memo_new(3 * feat_memo_cost(&ph[0]));
	struct feat_memo_stats st;
	pthread_t t[4];
	int n = 0;

	if (m == NULL) {
		CHECK(m != NULL);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, worker, m) == 0)
			n++;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(thread_bad, 0);
	feat_memo_stats(m, &st);
	CHECK(st.hits > 0 && st.evicted > 0);
	CHECK_EQ_INT(st.hits + st.misses, 4 * 4000);
	CHECK_EQ_INT(st.kept - st.evicted, st.entries);
	CHECK(st.held <= 3 * feat_memo_cost(&ph[0]));
	feat_memo_free(m);
}

int main(void)
{
	load_photos();
	CHECK(np >= 6);
	if (np < 6)
		return unit_done();
	test_get_put();
	test_budget();
	test_feat_file();
	test_threads();
	for (int i = 0; i < np; i++) {
		feat_clear(&ph[i]);
		free(path[i]);
	}
	return unit_done();
}
