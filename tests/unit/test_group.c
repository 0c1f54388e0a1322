/* test_group.c — grouping rules of dedupe: stars, one step through a sure match,
 * exact vs near, keep policy, tie-breaks, determinism, group numbering. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "group.h"
#include "keypoints.h"
#include "hash.h"
#include "mih.h"
#include "unit.h"

static void item(struct grp_item *it, const char *name, uint64_t h, long long pixels,
    long long size, long long mtime)
{
	memset(it, 0, sizeof(*it));
	it->name = name;
	it->phash = it->dhash = it->whash = h;
	it->pixels = pixels;
	it->size = size;
	it->mtime = mtime;
	it->prefer = INT_MAX;
}

static long keeper_of(const struct grp_item *items, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].name, name) == 0)
			return items[i].keeper;
	return -2;
}

/* A~B and B~C but not A~C: whoever ranks best decides; C, left out, joins A's group
 * through B only because its match to B is a sure one (no distinct neighbour near:
 * evidence "chain", via B) */
static void test_sure_chain(void)
{
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	/* distances: A-B 8, B-C 8, A-C 16 (every threshold 10..12 sits between) */
	item(&it[0], "a.jpg", 0, 1000, 10, 0);
	item(&it[1], "b.jpg", 0xffULL, 500, 10, 0);
	item(&it[2], "c.jpg", 0xffffULL, 100, 10, 0);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 0);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, 0);      /* C matches only B: through it */
	CHECK_EQ_INT(it[2].via, 1);
	CHECK_EQ_INT(it[2].stage, GRP_NEAR);
	CHECK_EQ_INT(it[2].margin, -1);     /* evidence "chain" */
	CHECK_EQ_INT(it[2].dist[0], 16);    /* its distance to the keeper */
	CHECK_EQ_INT(it[0].count, 3);
	CHECK_EQ_INT(it[1].stage, GRP_NEAR);
	CHECK_EQ_INT(it[1].via, -1);
	CHECK_EQ_INT(it[1].dist[0], 8);

	/* now B has the most pixels: it is the centre of the star and takes A and C */
	it[1].pixels = 5000;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 1);
	CHECK_EQ_INT(it[2].keeper, 1);
	CHECK_EQ_INT(it[2].via, -1);
	CHECK_EQ_INT(it[1].count, 3);
}

static void test_exact_and_thresholds(void)
{
	struct grp_item it[4];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	o.phash_max = 10;
	o.dhash_max = o.whash_max = 12;
	item(&it[0], "x.png", 0x1234, 100, 50, 0);
	item(&it[1], "y.png", 0xfedcba9876543210ULL, 100, 50, 0);   /* far hashes, same bytes */
	item(&it[2], "z.png", 0x1234 ^ 0x7ff, 100, 40, 0);          /* 11 bits away */
	item(&it[3], "w.png", 0x0f0f0f0f0f0f0f0fULL, 100, 40, 0);
	it[0].has_sha256 = it[1].has_sha256 = 1;
	memset(it[0].sha256, 7, 32);
	memset(it[1].sha256, 7, 32);
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[1].stage, GRP_EXACT);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);   /* phash 11 > 10 */

	o.phash_max = 11;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
	CHECK_EQ_INT(it[2].stage, GRP_NEAR);
	CHECK_EQ_INT(it[0].count, 3);

	/* one hash over its limit is enough to refuse the pair */
	o.dhash_max = 10;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, -1);

	/* exact only: the byte copy still groups, the near one does not */
	grp_opts_default(&o);
	o.exact_only = 1;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);

	/* without checksums, equal Content-MD5 and size mean the same bytes */
	grp_opts_default(&o);
	o.phash_max = 10;
	it[0].has_sha256 = it[1].has_sha256 = 0;
	strcpy(it[0].content_md5, "q1w2e3==");
	strcpy(it[1].content_md5, "q1w2e3==");
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[1].stage, GRP_EXACT);
	it[1].size = 51;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 0);
}

static void test_keep_policy(void)
{
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	char buf[64];

	grp_opts_default(&o);
	item(&it[0], "big.jpg", 1, 4000, 100, 300);
	item(&it[1], "heavy.jpg", 1, 1000, 900, 200);
	item(&it[2], "old.jpg", 1, 1000, 100, 100);
	grp_run(it, 3, &o, &err);
	CHECK_EQ_INT(keeper_of(it, 3, "heavy.jpg"), 0);
	CHECK_EQ_INT(grp_parse_keep(&o, "size", &err), 0);
	grp_run(it, 3, &o, &err);
	CHECK_EQ_INT(keeper_of(it, 3, "big.jpg"), 1);
	CHECK_EQ_INT(grp_parse_keep(&o, "date,resolution", &err), 0);
	grp_run(it, 3, &o, &err);
	CHECK_EQ_INT(keeper_of(it, 3, "big.jpg"), 2);
	grp_keep_string(&o, buf, sizeof(buf));
	CHECK_STR(buf, "date,resolution,name");
	CHECK_EQ_INT(grp_parse_keep(&o, "name", &err), 0);
	grp_run(it, 3, &o, &err);
	CHECK_EQ_INT(keeper_of(it, 3, "old.jpg"), 0);

	/* a preferred prefix beats every key */
	grp_opts_default(&o);
	it[2].prefer = 0;
	grp_run(it, 3, &o, &err);
	CHECK_EQ_INT(keeper_of(it, 3, "big.jpg"), 2);

	CHECK(grp_parse_keep(&o, "colour", &err) == AD_EUSAGE);
	CHECK(strstr(err.msg, "colour") != NULL);
	CHECK(grp_parse_keep(&o, "size,size", &err) == AD_EUSAGE);
	CHECK(grp_parse_keep(&o, "size,", &err) == AD_EUSAGE);
	CHECK(grp_parse_keep(&o, "", &err) == AD_EUSAGE);
}

/* Keep key "center": an original (o) with a noisy copy (n, the largest file) and a
 * blurred one (b), alike in pixels and date, 3 bits from o in each hash and 6 from
 * each other (no details: the hash distances measure), and a byte-identical copy of n.
 * The groups are those of the policy without the key; the member nearest the others
 * keeps, and a copy folded into its representative lies where it does. */
static void test_center_keeper(void)
{
	struct grp_item it[4];
	struct grp_opts o;
	aderr err = {0};
	char buf[64];

	grp_opts_default(&o);
	grp_keep_string(&o, buf, sizeof(buf));
	CHECK_STR(buf, "resolution,date,center,size,name");
	item(&it[0], "o.png", 0, 1000, 200, 5);
	item(&it[1], "n.png", 0x7, 1000, 300, 5);
	item(&it[2], "b.png", 0x700, 1000, 100, 5);
	item(&it[3], "n-copy.png", 0x7, 1000, 300, 5);
	for (int i = 0; i < 4; i++) {
		it[i].has_sha256 = 1;
		it[i].sha256[0] = (unsigned char)(i == 3 ? 1 : i);
	}
	for (int mode = GRP_MODE_STAR; mode <= GRP_MODE_COMPONENTS; mode++) {
		o.mode = mode;
		CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
		for (int i = 0; i < 4; i++)
			CHECK_EQ_INT(it[i].keeper, 0);
		CHECK_EQ_INT(it[0].count, 4);
		CHECK_EQ_INT(it[0].kept_by, KEEP_CENTER);
		CHECK_EQ_INT(it[0].runner_up, 3);        /* n's copy, before n by name */
		CHECK_EQ_INT(it[0].center, 9 * 16);      /* (9 + 9) / 2 */
		CHECK_EQ_INT(it[1].center, 27 * 8);      /* (9 + 18) / 2 */
		CHECK_EQ_INT(it[3].center, it[1].center);
		CHECK_EQ_INT(it[1].stage, GRP_NEAR);
		CHECK_EQ_INT(it[1].dist[0], 3);
		CHECK_EQ_INT(it[3].stage, GRP_NEAR);     /* n's copy follows n (fold.c) */
	}
	/* without the key the largest file keeps, with the same members */
	CHECK_EQ_INT(grp_parse_keep(&o, "resolution,date,size,name", &err), 0);
	o.mode = GRP_MODE_STAR;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 3);
	CHECK_EQ_INT(it[3].kept_by, KEEP_NAME);      /* over n, its copy */
	CHECK_EQ_INT(it[2].keeper, 3);
	/* a pair ties on the key: the size decides */
	grp_opts_default(&o);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 1);
	CHECK_EQ_INT(it[1].kept_by, KEEP_SIZE);
	/* more pixels still come first */
	it[2].pixels = 2000;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 2);
	CHECK_EQ_INT(it[2].kept_by, KEEP_RESOLUTION);
}

/* The same images in any input order give the same groups, keepers and numbers. */
static void test_determinism(void)
{
	enum { N = 60 };
	static const char *names[N];
	static char buf[N][16];
	struct grp_item a[N], b[N];
	struct grp_opts o;
	aderr err = {0};
	long ga, gb;
	int same = 1;

	grp_opts_default(&o);
	for (int i = 0; i < N; i++) {
		/* clusters of 5 around 12 far-apart centres, all the same size: only names decide */
		uint64_t centre = 0x9e3779b97f4a7c15ULL * (uint64_t)(i / 5 + 1);

		snprintf(buf[i], sizeof(buf[i]), "img%02d.jpg", (i * 37) % N);
		names[i] = buf[i];
		item(&a[i], names[i], centre ^ (1ULL << (i % 5)), 100, 100, 0);
	}
	for (int i = 0; i < N; i++)
		b[i] = a[N - 1 - i];
	ga = grp_run(a, N, &o, &err);
	gb = grp_run(b, N, &o, &err);
	CHECK_EQ_INT(ga, 12);
	CHECK_EQ_INT(gb, 12);
	for (int i = 0; i < N; i++) {
		const struct grp_item *x = &a[i], *y = &b[N - 1 - i];

		if (x->group != y->group || strcmp(a[x->keeper].name, b[y->keeper].name) != 0)
			same = 0;
	}
	CHECK(same);
	/* groups are numbered in keeper-name order */
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			if (a[i].keeper == i && a[j].keeper == j && a[i].group < a[j].group)
				CHECK(strcmp(a[i].name, a[j].name) < 0);
}

/* The index search and the all-pairs loop give the same groups, keepers, stages and
 * distances, on clustered random hashes with exact copies and every keep policy. */
static void test_index_equals_all(void)
{
	enum { N = 3000 };
	static struct grp_item a[N], b[N];
	static char names[N][16];
	uint64_t x = 0x2545F4914F6CDD1DULL;
	const char *policies[] = { "resolution,date,center,size,name", "size,name", "date",
	    "center,name", "resolution,date,size,name", "size,center" };

	for (int i = 0; i < N; i++) {
		uint64_t h;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(names[i], sizeof names[i], "n%05d", (int)(x % 100000));
		if (i > 0 && x % 3 == 0) {
			/* a near copy of an earlier one: a few bits off in each hash */
			const struct grp_item *src = &a[(x >> 8) % (uint64_t)i];

			h = src->phash;
			for (int k = 0; k < (int)((x >> 20) % 15); k++)
				h ^= 1ULL << ((x >> (24 + k)) % 64);
			item(&a[i], names[i], h, src->pixels, src->size, 0);
			a[i].dhash = src->dhash ^ (x >> 40 & 0xff);
			a[i].whash = src->whash ^ (x >> 50 & 0x3ff);
			if (x % 5 == 0) {      /* the same bytes */
				memcpy(a[i].sha256, src->sha256, 32);
				a[i].has_sha256 = src->has_sha256;
				a[i].phash = src->phash;
			}
		} else {
			item(&a[i], names[i], x, (long long)(x % 7) * 1000, (long long)(x % 13), 0);
			a[i].dhash = x * 31;
			a[i].whash = x * 77;
			a[i].sha256[0] = (unsigned char)i, a[i].sha256[1] = (unsigned char)(i >> 8);
			a[i].has_sha256 = 1;
		}
		a[i].mtime = (long long)(x % 5);
	}
	for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
		struct grp_opts o;
		aderr err = {0};
		long ga, gb;
		int same = 1;

		grp_opts_default(&o);
		CHECK_EQ_INT(grp_parse_keep(&o, policies[p], &err), 0);
		o.mode = (int)p % 3;      /* star, clique, components */
		memcpy(b, a, sizeof a);
		o.search = GRP_SEARCH_ALL;
		ga = grp_run(a, N, &o, &err);
		o.search = GRP_SEARCH_INDEX;
		o.threads = 2;
		gb = grp_run(b, N, &o, &err);
		CHECK(ga > 100);
		CHECK_EQ_INT(ga, gb);
		for (int i = 0; i < N; i++)
			same &= a[i].group == b[i].group && a[i].keeper == b[i].keeper &&
			    a[i].stage == b[i].stage && memcmp(a[i].dist, b[i].dist, sizeof a[i].dist) == 0;
		CHECK(same);
	}
}

static int cmp_pair(const void *x, const void *y)
{
	const struct mih_pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* The candidate pairs of --rotations the way they were found before mih_cross: every
 * item's eight forms in one search, keeping the pairs with an upright form (index % 8 ==
 * 0) of two different items; their count, or -1. */
static long turned_old_way(const struct grp_item *it, size_t n, int r)
{
	uint64_t *codes = malloc(n * 8 * sizeof *codes);
	struct mih_pair *p = NULL;
	size_t np = 0, w = 0, u = 0;
	aderr err = {0};

	if (codes == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 8; k++)
			codes[i * 8 + (size_t)k] = it[i].has8 ? it[i].phash8[k] : it[i].phash;
	if (mih_pairs(codes, n * 8, r, 1, &p, &np, &err) < 0) {
		free(codes);
		return -1;
	}
	free(codes);
	for (size_t k = 0; k < np; k++) {
		uint32_t a = p[k].a / 8, b = p[k].b / 8;

		if (a == b || (p[k].a % 8 != 0 && p[k].b % 8 != 0))
			continue;
		p[w].a = a < b ? a : b;
		p[w++].b = a < b ? b : a;
	}
	qsort(p, w, sizeof *p, cmp_pair);
	for (size_t k = 0; k < w; k++)
		u += k == 0 || p[k].a != p[k - 1].a || p[k].b != p[k - 1].b;
	free(p);
	return (long)u;
}

/* --rotations: the index (each item's own hash among every item's eight forms) proposes
 * as many pairs as the search over all eight forms of every item did, and gives the
 * groups of comparing all pairs, for several radii and thread counts; random forms with planted turned twins (a form of the
 * one before, a few bits off, its wavelet hash turned too), near twins, and items
 * without forms. */
static void test_turned_index(void)
{
	enum { N = 2500 };
	static struct grp_item a[N], b[N];
	static char names[N][16];
	static const int inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(names[i], sizeof names[i], "t%05d", i);
		item(&a[i], names[i], x, (long long)(x % 7) * 1000, (long long)(x % 13), 0);
		a[i].dhash = x * 31;
		a[i].whash = x * 77;
		a[i].has8 = i % 17 != 3;
		for (int k = 1; k < 8; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a[i].phash8[k] = x;
		}
		if (i > 0 && i % 5 == 2) {          /* the one before, turned by t */
			int t = 2 + (int)(x % 7);
			const struct grp_item *src = &a[i - 1];

			a[i].phash = src->phash8[t - 1] ^ (x >> 8 & 0x1010101ULL);
			a[i].whash = hash_grid_orient(src->whash, t) ^ (x >> 16 & 0x11);
			a[i].phash8[inverse[t] - 1] = src->phash ^ (x >> 24 & 0x3);
		} else if (i > 0 && i % 5 == 4) {   /* the one before, a few bits off */
			a[i].phash = a[i - 1].phash ^ (x >> 4 & 0x10204081ULL);
			for (int k = 1; k < 8; k++)
				a[i].phash8[k] = a[i - 1].phash8[k] ^ (x >> 12 & 0x1001ULL);
		}
		a[i].phash8[0] = a[i].phash;
	}
	for (int r = 4; r <= 16; r += 4)
		for (int th = 1; th <= 3; th++) {
			struct grp_opts o;
			struct grp_stats sa, sb;
			aderr err = {0};
			long ga, gb;
			int same = 1;

			grp_opts_default(&o);
			o.rotations = 1;
			o.local = 0;        /* candidates: the search's pairs as found */
			o.phash_max = r;
			o.threads = th;
			memcpy(b, a, sizeof a);
			o.search = GRP_SEARCH_ALL;
			ga = grp_run_stats(a, N, &o, &sa, &err);
			o.search = GRP_SEARCH_INDEX;
			gb = grp_run_stats(b, N, &o, &sb, &err);
			CHECK(ga > N / 10);
			CHECK_EQ_INT(ga, gb);
			CHECK_EQ_INT((long)sb.candidates, turned_old_way(a, N, r));
			/* and more than comparing all pairs: an item without forms stands in with
			 * its own hash eight times there, where the all-pairs loop turns nothing */
			CHECK(sb.candidates >= sa.candidates);
			for (int i = 0; i < N; i++)
				same &= a[i].group == b[i].group && a[i].keeper == b[i].keeper &&
				    a[i].stage == b[i].stage && a[i].orient == b[i].orient &&
				    memcmp(a[i].dist, b[i].dist, sizeof a[i].dist) == 0;
			CHECK(same);
		}
}

/* The same three as above under the other modes: clique refuses C (it does not match
 * A), components joins all three through B whoever keeps. */
static void test_modes(void)
{
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	item(&it[0], "a.jpg", 0, 1000, 10, 0);
	item(&it[1], "b.jpg", 0xffULL, 5000, 10, 0);
	item(&it[2], "c.jpg", 0xffffULL, 100, 10, 0);
	o.mode = GRP_MODE_CLIQUE;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 1);      /* A ranks above C, joins first */
	CHECK_EQ_INT(it[2].keeper, -1);     /* C matches B but not A */
	CHECK_EQ_INT(it[1].count, 2);
	o.mode = GRP_MODE_COMPONENTS;
	it[1].pixels = 500;                 /* A keeps; C reaches A only through B */
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, 0);
	CHECK_EQ_INT(it[0].count, 3);
	CHECK_EQ_INT(it[2].dist[0], 16);    /* the real distance to its keeper */
	CHECK_EQ_INT(it[2].stage, GRP_NEAR);
	o.search = GRP_SEARCH_ALL;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
}

/* Collection-aware acceptance, without keypoints: two images with equal hashes and
 * nothing else near them group on their hashes (margin "open"); ten such images, a
 * crowd that only keypoints could sort out, stay apart (a hash match alone is not
 * enough there, and there are no keypoints to decide); low_info images group by their
 * bytes only. */
static void test_acceptance(void)
{
	static const char *names[10] = { "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9" };
	struct grp_item it[10];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	item(&it[0], "a", 0x0123456789abcdefULL, 100, 10, 0);
	item(&it[1], "b", 0x0123456789abcdefULL, 50, 10, 0);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[1].stage, GRP_NEAR);
	CHECK_EQ_INT(it[1].margin, GRP_MARGIN_OPEN);
	CHECK_EQ_INT(it[0].kept_by, KEEP_RESOLUTION);
	CHECK_EQ_INT(it[0].runner_up, 1);

	for (int i = 0; i < 10; i++)
		item(&it[i], names[i], 0xfedcba9876543210ULL ^ (uint64_t)(i & 1), 100, 10 + i, 0);
	CHECK_EQ_INT(grp_run(it, 10, &o, &err), 0);

	/* flat: every hash constant; one byte copy among them */
	for (int i = 0; i < 4; i++) {
		item(&it[i], names[i], 0x8000000000000000ULL, 100, 10 + i, 0);
		it[i].low_info = 1;
		it[i].has_sha256 = 1;
		it[i].sha256[0] = (unsigned char)(i < 2 ? 7 : i);
	}
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[0].stage + it[1].stage, GRP_EXACT);
	CHECK_EQ_INT(it[2].group, 0);
	CHECK_EQ_INT(it[3].group, 0);
	CHECK_EQ_INT(grp_exact_pairs(it, 4), 0);   /* an exact group, not a near one */
}

/* A pair whose keypoints were not read (featx --local 0: unread; dedupe --no-local) is
 * accepted on its hashes only with a margin a search could see: nothing looks past the
 * hash search's radius for such pictures (the descriptor index finds the look-alikes of
 * pictures with keypoints), so with nothing else near, a pair 6 bits apart stands out
 * by 7 (GRP_SEEN_RADIUS 12 + 1 - 6) and groups, margin "open"; one 10 bits apart does
 * not (two pages of one manual met so with --no-local, their nearest distinct
 * neighbours 14 bits off), unless its keypoints were read and had their say. */
static void two_apart(struct grp_item it[2], uint64_t bits, int unread)
{
	item(&it[0], "a", 0x0123456789abcdefULL, 100, 10, 0);
	item(&it[1], "b", 0x0123456789abcdefULL ^ bits, 50, 10, 0);
	it[0].unread = it[1].unread = (int8_t)unread;
}

static void test_unseen_margin(void)
{
	struct grp_item it[2];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	two_apart(it, 0x3f, 1);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[1].margin, GRP_MARGIN_OPEN);
	two_apart(it, 0x3ff, 1);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 0);
	CHECK_EQ_INT(it[1].keeper, -1);
	two_apart(it, 0x3ff, 0);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
	o.local = 0;    /* dedupe --no-local: read or not, no keypoint has its say */
	two_apart(it, 0x3ff, 0);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 0);
	two_apart(it, 0x3f, 0);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
	o.phash_max = 16;   /* a search that sees further: 10 bits stand out by 7 */
	two_apart(it, 0x3ff, 0);
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 1);
}

static void grid(uint8_t g[48], int r, int gr, int b)
{
	for (int i = 0; i < 16; i++) {
		g[3 * i] = (uint8_t)r;
		g[3 * i + 1] = (uint8_t)gr;
		g[3 * i + 2] = (uint8_t)b;
	}
}

static void hex_grid(uint8_t g[48], const char *hex)
{
	for (int i = 0; i < 48; i++) {
		unsigned v = 0;

		sscanf(hex + 2 * i, "%2x", &v);
		g[i] = (uint8_t)v;
	}
}

/* A picture no keeper took, paired with a member: where the member lies nearest the rest
 * once the picture is counted (the center), the member keeps and the picture joins.  A
 * noisy copy (the largest file) keeps the original; the original's gray copy is too far
 * from the noisy one for the hashes, and its link to the original carries nothing (a
 * gray copy of a colour picture is as like another colouring: no sure link). */
static void test_centre_left_out(void)
{
	static uint8_t red[48], gray[48];
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	grid(red, 200, 60, 60);
	grid(gray, 100, 100, 100);
	/* distances: noisy-original 8, original-gray 8, noisy-gray 16 */
	item(&it[0], "noisy.png", 0xffULL, 1000, 300, 0);
	item(&it[1], "original.png", 0, 1000, 200, 0);
	item(&it[2], "gray.png", 0xff00ULL, 1000, 100, 0);
	it[0].color = it[1].color = red;
	it[2].color = gray;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[0].keeper, 1);
	CHECK_EQ_INT(it[1].keeper, 1);
	CHECK_EQ_INT(it[2].keeper, 1);
	CHECK_EQ_INT(it[1].count, 3);
	CHECK_EQ_INT(it[1].kept_by, KEEP_CENTER);
	CHECK_EQ_INT(it[2].stage, GRP_NEAR);
	CHECK_EQ_INT(it[2].via, -1);
	CHECK_EQ_INT(it[2].dist[0], 8);
	CHECK_EQ_INT(it[0].dist[0], 8);
	CHECK(it[1].center < it[0].center && it[1].center < it[2].center);
	/* a gray copy larger than the original, frame and all, is not the original's to
	 * take (as the star takes no larger picture that took nothing): it stays out */
	for (int i = 0; i < 3; i++)
		it[i].area = i == 2 ? 1200 : 1000;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);
	for (int i = 0; i < 3; i++)
		it[i].area = 1000;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 1);
	/* the noisy copy with more pixels keeps first whatever the center: the gray copy
	 * stays out, kept */
	it[0].pixels = 2000;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);
	CHECK_EQ_INT(it[0].count, 2);
	/* without the center key the size decides, and nothing is recounted */
	it[0].pixels = 1000;
	CHECK_EQ_INT(grp_parse_keep(&o, "resolution,date,size,name", &err), 0);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);
}

/* What tells look-alikes apart without keypoints: a star keeps out a member whose
 * colours clash with a surer copy of the keeper (each alike enough to the keeper); a
 * tinted grey cut-out and a green one of the same shape are compared by colour (the
 * grids of make eval's flat set: cut-1 and its other-colour look-alike); a turned match
 * needs GRP_TURN_MARGIN more margin than a straight one, and a straight one GRP_MARGIN. */
/* Three items of one letter's name each, ranked by their pixels (300, 200, 100), with
 * these perceptual hashes (the other two the same) and gray grids but for their red
 * (green 100, blue 128) in g0, g1, g2. */
static void trio(struct grp_item it[3], const char *names, const uint64_t h[3],
    const int red[3], uint8_t *g0, uint8_t *g1, uint8_t *g2)
{
	static char nm[3][2];
	uint8_t *g[3] = { g0, g1, g2 };

	for (int i = 0; i < 3; i++) {
		nm[i][0] = names[i];
		grid(g[i], red[i], 100, 128);
		item(&it[i], nm[i], h[i], 300 - 100 * i, 10, 0);
		it[i].color = g[i];
	}
}

static void test_told_apart(void)
{
	static uint8_t gk[48], gx[48], gy[48];
	static const int inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0x2545F4914F6CDD1DULL;

	grp_opts_default(&o);
	/* R - G of the keeper 28, of x 52, of y 4: x and y each 12 from the keeper, 24 apart */
	trio(it, "kxy", (const uint64_t[3]){ 0x0123456789abcdefULL, 0x0123456789abcdefULL,
	    0x0123456789abcdefULL }, (const int[3]){ 128, 152, 104 }, gk, gx, gy);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, -1);        /* told apart from x, as sure a copy, ranked first */
	CHECK_EQ_INT(it[2].group, 0);
	/* the surer copy goes in first, whatever its rank: y matches the keeper exactly
	 * (phash 0 bits off), x 4 bits off, so x stays out */
	it[1].phash ^= 0xfULL;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
	CHECK_EQ_INT(it[1].keeper, -1);
	CHECK_EQ_INT(it[1].group, 0);

	hex_grid(gx, "00000000000000000000000000000032302c373530010101000000bfb9a8c6c0ae"
	    "0d0c0b0000002726222b2a26000000");
	hex_grid(gy, "0000000000000000000000000000001f370a223d0b00010000000076d3277adb28"
	    "080e03000000182b081b3009000000");
	item(&it[0], "cut", 0x9e616196d7786561ULL, 300, 10, 0);
	item(&it[1], "cut-green", 0x9e616196d7786561ULL, 300, 10, 0);
	it[0].color = gx;
	it[1].color = gy;
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 0);

	/* b is a turned a, 4 bits off; c a straight neighbour of a that the other hashes
	 * turn down, 12 bits away (margin 8, under the 9 a turn needs) or 13 (margin 9) */
	for (int m = 12; m <= 13; m++) {
		item(&it[0], "a", 0, 300, 10, 0);
		item(&it[1], "b", 0, 200, 10, 0);
		item(&it[2], "c", 0, 100, 10, 0);
		for (int i = 0; i < 3; i++) {
			it[i].has8 = 1;
			for (int k = 0; k < 8; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				it[i].phash8[k] = x;
			}
			it[i].phash = it[i].phash8[0];
			it[i].dhash = x * 31;
			it[i].whash = x * 77;
		}
		it[1].phash = it[1].phash8[0] = it[0].phash8[5] ^ 0xfULL;
		it[1].phash8[inverse[6] - 1] = it[0].phash ^ 0xfULL;
		it[1].whash = hash_grid_orient(it[0].whash, 6);
		it[2].phash = it[2].phash8[0] = it[0].phash ^ (((1ULL << m) - 1) << 4);
		it[2].whash = it[0].whash;
		CHECK_EQ_INT(grp_run(it, 3, &o, &err), (m == 12 ? 0 : 1));
		CHECK_EQ_INT(it[1].keeper, (m == 12 ? -1 : 0));
		CHECK_EQ_INT(it[2].group, 0);
	}
	/* straight: b 4 bits off a, c 10 bits away (margin 6: two pages of one manual
	 * turned alike met so, with no keypoint to vouch for them) or 11 (margin 7) */
	for (int m = 10; m <= 11; m++) {
		item(&it[0], "a", 0x0123456789abcdefULL, 300, 10, 0);
		item(&it[1], "b", 0x0123456789abcdefULL ^ 0xf000ULL, 200, 10, 0);
		item(&it[2], "c", 0x0123456789abcdefULL ^ ((1ULL << m) - 1), 100, 10, 0);
		it[1].dhash = it[0].dhash;
		it[1].whash = it[0].whash;
		it[2].dhash = ~it[0].dhash;
		CHECK_EQ_INT(grp_run(it, 3, &o, &err), (m == 10 ? 0 : 1));
		CHECK_EQ_INT(it[1].keeper, (m == 10 ? -1 : 0));
		CHECK_EQ_INT(it[2].group, 0);
	}
}

/* A copy like two pictures told apart (a caption over the one part that told them apart):
 * it is not the first keeper's to take when it is as sure a copy of the other or surer
 * (0 bits off m, 2 off the keeper k; its colours as far from each, theirs twice as far
 * apart): k stays alone, and j goes in m's group. */
static void test_contested(void)
{
	static uint8_t gk[48], gm[48], gj[48];
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};

	grp_opts_default(&o);
	/* R - G of the keeper 28, of m 76, of j 52: as test_told_apart's x, y and k */
	trio(it, "kmj", (const uint64_t[3]){ 0x0123456789abcdefULL ^ 0x3ULL,
	    0x0123456789abcdefULL, 0x0123456789abcdefULL }, (const int[3]){ 128, 176, 152 },
	    gk, gm, gj);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[0].group, 0);
	CHECK_EQ_INT(it[2].keeper, 1);
	/* surer of the keeper (0 bits off it, 2 off m): the keeper's */
	it[0].phash ^= 0x3ULL;
	it[1].phash ^= 0x3ULL;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
}

/* n keypoints at places and with descriptors drawn from *x (xorshift), inside 16 pixels
 * of a 512-pixel picture's edges */
static void random_kp(struct kp *pts, int n, uint64_t *x)
{
	for (int i = 0; i < n; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		pts[i].x = (float)(16 + *x % 480);
		pts[i].y = (float)(16 + (*x >> 20) % 480);
		for (int b = 0; b < 32; b++) {
			*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
			pts[i].d[b] = (uint8_t)(*x >> 24);
		}
	}
}

/* Three items ranked by their pixels (300, 200, 100), with one perceptual hash, one
 * keypoint set and these colours (flat grids, g: their room) */
static void coloured_three(struct grp_item it[3], const char *const nm[3],
    const struct kp_set *set, uint8_t g[3][48], const int rgb[3][3])
{
	for (int i = 0; i < 3; i++) {
		grid(g[i], rgb[i][0], rgb[i][1], rgb[i][2]);
		item(&it[i], nm[i], 0x0123456789abcdefULL, 300 - 100 * i, 10, 0);
		it[i].color = g[i];
		it[i].kp = set;
	}
}

/* Evidence that does not tell two images apart for good: two members whose colours
 * clash (a stronger contrast turns up the colours) but whose keypoints agree stay in
 * their keeper's group; the keypoints here are one random set shared by the three. */
static void test_vouched(void)
{
	enum { NK = 64 };
	static struct kp pts[NK];
	static uint8_t g[3][48];
	struct kp_set set = { .w = 512, .h = 512, .n = NK, .kp = pts };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	random_kp(pts, NK, &x);
	grp_opts_default(&o);
	coloured_three(it, (const char *const[3]){ "k", "x", "y" }, &set, g,
	    (const int[3][3]){ { 128, 100, 128 }, { 152, 100, 128 }, { 104, 100, 128 } });
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, 0);
}

/* A gray copy is as like every colouring of its shape: a red mug k, the same mug in
 * blue m (their colours clash; the keypoints, which see no colour, agree, so they are
 * not told apart for good) and a gray picture j of the shape, all three with one set of
 * keypoints and hashes, in a crowded neighbourhood (the keypoints decide).  j is a gray
 * copy of k as much as of m: neither keeper takes it, and it stays out, kept. */
static void test_gray_of_two(void)
{
	enum { NK = 64 };
	static struct kp pts[NK];
	static uint8_t g[3][48];
	struct kp_set set = { .w = 512, .h = 512, .n = NK, .kp = pts };
	struct grp_item it[4];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0x94D049BB133111EBULL;

	random_kp(pts, NK, &x);
	grp_opts_default(&o);
	coloured_three(it, (const char *const[3]){ "mug-red", "mug-blue", "mug-gray" }, &set, g,
	    (const int[3][3]){ { 200, 60, 60 }, { 60, 60, 200 }, { 100, 100, 100 } });
	item(&it[3], "other", 0x0123456789abcdefULL ^ 0xf, 300, 10, 0);
	it[3].dhash = ~it[0].dhash;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 0);
	CHECK_EQ_INT(it[2].keeper, -1);
	CHECK_EQ_INT(it[1].keeper, -1);
	/* without the blue mug, the gray one is the red one's copy */
	item(&it[1], "other2", 0x0123456789abcdefULL ^ 0xf0, 300, 10, 0);
	it[1].dhash = ~it[0].dhash ^ 0xff;
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
}

/* Keypoint evidence held to what separates look-alikes: a keypoint match the hashes
 * turned down needs 20 inliers that are 40% of the matches (16 of 54 agreeing, as two
 * pages of one manual share letters, is no copy); a hash match the keypoints pass in a
 * crowded neighbourhood must keep its brightness layout up to one tone curve (the Moon
 * in two phases: the same craters, other cells lit). */
static void test_keypoint_evidence(void)
{
	enum { NK = 64 };
	static struct kp pa[NK], pb[NK];
	static uint8_t ga[48], gb[48];
	struct kp_set sa = { .w = 512, .h = 512, .n = NK, .kp = pa },
	    sb = { .w = 512, .h = 512, .n = NK, .kp = pb };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0xD1B54A32D192ED03ULL;

	random_kp(pa, NK, &x);
	memcpy(pb, pa, sizeof pb);
	grp_opts_default(&o);
	/* 54 descriptors shared, 16 of them in place, 38 elsewhere; 10 of b's unrelated */
	for (int i = 16; i < NK; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		pb[i].x = (float)(16 + x % 480);
		pb[i].y = (float)(16 + (x >> 20) % 480);
		if (i >= 54)
			for (int b = 0; b < 32; b++)
				pb[i].d[b] = (uint8_t)(pa[i].d[b] ^ 0x5a);
	}
	item(&it[0], "page1", 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[1], "page2", 0xfedcba9876543210ULL, 300, 10, 0);
	it[0].kp = &sa;
	it[1].kp = &sb;
	CHECK_EQ_INT(grp_run(it, 2, &o, &err), 0);

	/* the same keypoints and hashes; a distinct neighbour 4 bits off (margin 4: the
	 * keypoints decide); the left half lit in one, the right half in the other */
	for (int i = 0; i < NK; i++)
		pb[i] = pa[i];
	for (int i = 0; i < 16; i++) {
		int v = i % 4 < 2 ? 200 : 40, w = i % 4 < 2 ? 40 : 200;

		ga[3 * i] = ga[3 * i + 1] = ga[3 * i + 2] = (uint8_t)(v + i);
		gb[3 * i] = gb[3 * i + 1] = gb[3 * i + 2] = (uint8_t)(w + i);
	}
	item(&it[0], "moon1", 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[1], "moon2", 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[2], "other", 0x0123456789abcdefULL ^ 0xf, 300, 10, 0);
	it[2].dhash = ~it[0].dhash;
	it[0].kp = &sa;
	it[1].kp = &sb;
	it[0].color = ga;
	it[1].color = gb;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 0);
	/* a copy of moon1 lies alike: taken */
	it[1].color = ga;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
}

/* A hash match in a crowded neighbourhood whose keypoints are too few for the strict
 * test (22 inliers of 22 matches, 24 wanted) but that the rest of its keypoints bear out
 * (the test of repetition: every keypoint of the part both show repeated in its place,
 * most of them too like another of the other's to pass the ratio test): a copy, as a
 * keypoint match in a crowd is taken so.  make eval: a document icon turned 5 degrees,
 * 20 inliers of 21 matches, 41 of 50 shared keypoints repeated. */
static void test_repeated_in_crowd(void)
{
	enum { NK = 64, NI = 22 };
	uint64_t x = 0x2545F4914F6CDD1DULL;
	aderr err = {0};
	struct grp_opts o;
	struct grp_item it[3];
	static uint8_t g[48];
	/* b: a's keypoints in their places; of all but NI of them a second, the same
	 * descriptor elsewhere, so that they pass no ratio test */
	static struct kp pa[NK], pb[2 * NK];
	struct kp_set sa = { .w = 512, .h = 512, .n = NK, .kp = pa };
	struct kp_set sb = { .w = 512, .h = 512, .n = NK, .kp = pb };

	random_kp(pa, NK, &x);
	memcpy(pb, pa, sizeof pa);
	for (int i = NI; i < NK; i++) {
		pb[sb.n] = pa[i];
		pb[sb.n].x = (float)(16 + ((int)pa[i].x + 240) % 480);
		pb[sb.n].y = (float)(16 + ((int)pa[i].y + 240) % 480);
		sb.n++;
	}
	grp_opts_default(&o);
	grid(g, 120, 120, 120);
	item(&it[0], "icon", 0x0123456789abcdefULL, 300, 20, 0);
	item(&it[1], "icon-turned", 0x0123456789abcdefULL ^ 0x3, 300, 10, 0);
	item(&it[2], "other", 0x0123456789abcdefULL ^ 0xf0, 300, 10, 0);
	it[2].dhash = ~it[0].dhash;
	it[0].kp = &sa;
	it[1].kp = &sb;
	it[0].color = it[1].color = it[2].color = g;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[1].stage, GRP_LOCAL);
	CHECK_EQ_INT(it[1].inliers, NI);
	CHECK_EQ_INT(it[2].keeper, -1);
	/* the same NI in their places, the others only elsewhere (another page of one
	 * layout): too few of the part both show repeated, no copy */
	for (int i = NI; i < NK; i++)
		pb[i] = pb[NK + i - NI];
	sb.n = NK;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 0);
	CHECK_EQ_INT(it[1].keeper, -1);
}

/* Items a and b with the same hashes and colour grid g and keypoint sets sa and sb, and
 * a distinct neighbour 4 bits off ("other"): the keypoints and the details decide. */
static void details_pair(struct grp_item it[3], const char *na, const char *nb,
    struct kp_set *sa, struct kp_set *sb, const uint8_t *g)
{
	item(&it[0], na, 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[1], nb, 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[2], "other", 0x0123456789abcdefULL ^ 0xf, 300, 10, 0);
	it[2].dhash = ~it[0].dhash;
	it[0].kp = sa;
	it[1].kp = sb;
	it[0].color = it[1].color = g;
}

/* Two drawn faces of one theme, alike but for where the eyes look: the same keypoints in
 * the same places (each 0.8 pixel off in b, as detection rounds them), and details (the
 * 32 x 32 gray grids) alike but for the pupils, half a cell further right in b.  The
 * pictures lie one on the other, so the keypoints' transform is the plain scaling of one
 * onto the other, and each cell is read from its own place: a miss at a pupil's edge is
 * no misplacement, and the pair is two pictures (GRP_ALIGNED_*).  With b's details the
 * same as a's, a copy. */
static void test_aligned_details(void)
{
	enum { NK = 64, N = KP_DETAIL };
	static struct kp pa[NK], pb[NK];
	static uint8_t da[N * N], db[N * N], g[48];
	struct kp_set sa = { .w = 512, .h = 512, .n = NK, .kp = pa, .detail = da },
	    sb = { .w = 512, .h = 512, .n = NK, .kp = pb, .detail = db };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0xA0761D6478BD642FULL;

	random_kp(pa, NK, &x);
	for (int i = 0; i < NK; i++) {
		pb[i] = pa[i];
		pb[i].x += (float)(i % 3 == 0 ? 0.8 : i % 3 == 1 ? -0.8 : 0);
		pb[i].y += (float)(i % 2 == 0 ? 0.8 : -0.8);
	}
	/* a shaded face (100 at the left to 193 at the right), two eyes: a white ring
	 * (230) around a pupil (30) three cells wide; in b each pupil's left column is
	 * lit by 70 and the ring's column right of it darkened by 70.  Read through the
	 * keypoints' transform as drawn (a hundredth of scale, half a degree, three
	 * pixels off) with room for misplacement, the eyes missed by 33: a copy */
	for (int y = 0; y < N; y++)
		for (int c = 0; c < N; c++) {
			int v = 100 + 3 * c, w;

			for (int e = 0; e < 2; e++) {
				int ex = e ? 20 : 8;

				if (y >= 13 && y <= 19 && c >= ex && c <= ex + 4)
					v = y >= 14 && y <= 18 && c >= ex + 1 && c <= ex + 3 ? 30 : 230;
			}
			w = v;
			for (int e = 0; e < 2; e++) {
				int ex = e ? 20 : 8;

				if (y >= 14 && y <= 18 && c == ex + 1)
					w = 100;
				if (y >= 14 && y <= 18 && c == ex + 4)
					w = 160;
			}
			da[y * N + c] = (uint8_t)v;
			db[y * N + c] = (uint8_t)w;
		}
	grid(g, 180, 140, 60);
	grp_opts_default(&o);
	details_pair(it, "face-left", "face-right", &sa, &sb, g);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 0);
	CHECK_EQ_INT(it[1].group, 0);
	/* and by over GRP_DETAIL_APART: no group holds both, even through a copy of each
	 * (c: b's keypoints and details, a's hashes 2 bits off) */
	item(&it[2], "face-right-copy", 0x0123456789abcdefULL ^ 0x3, 200, 10, 0);
	it[2].kp = &sb;
	it[2].color = g;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK(it[0].group == 0 || it[0].group != it[1].group);
	/* the same details: a copy */
	item(&it[2], "other", 0x0123456789abcdefULL ^ 0xf, 300, 10, 0);
	it[2].dhash = ~it[0].dhash;
	memcpy(db, da, sizeof db);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
}

/* A gauge glyph and its copy, 96 pixels: the same details (a dial's rim, a needle one
 * cell wide from the middle to the lower right), keypoints of one picture in the same
 * places on both sides but for six on the rim, which b has turned 4 degrees about the
 * middle (as detection places the corners of an arc anywhere along it), and three at the
 * needle's tip.  Drawn from two places on the rim, the transform turning the picture 4
 * degrees explains more matches (the rim's and the middle's) than the plain scaling
 * does (the middle's and the tip's), and read through it the needle misses: no copy.
 * The plain scaling explains over GRP_PLAIN_SHARE of them, and read through it the
 * details agree: a copy. */
static void test_plain_reading(void)
{
	enum { NK = 40, N = KP_DETAIL };
	static struct kp pa[NK], pb[NK];
	static uint8_t da[N * N], g[48];
	struct kp_set sa = { .w = 96, .h = 96, .n = NK, .kp = pa, .detail = da },
	    sb = { .w = 96, .h = 96, .n = NK, .kp = pb, .detail = da };
	struct grp_item it[3];
	struct grp_opts o;
	struct kp_match m;
	aderr err = {0};
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	const double t = 4 * 3.14159265358979 / 180;

	random_kp(pa, NK, &x);
	for (int i = 0; i < NK; i++) {
		double r, a;

		if (i < 6) {            /* on the rim: radius 44 */
			r = 44, a = i * 0.9 - 2.2;
		} else if (i < 9) {     /* the needle's tip: radius 30, lower right */
			r = 30 + (i - 6), a = 0.8 + 0.05 * (i - 6);
		} else {                /* the middle: radius 6 to 18 */
			r = 6 + (i % 7) * 2, a = i * 2.4;
		}
		pa[i].x = (float)(48 + r * cos(a));
		pa[i].y = (float)(48 + r * sin(a));
		pb[i] = pa[i];
		if (i < 6) {
			pb[i].x = (float)(48 + r * cos(a + t));
			pb[i].y = (float)(48 + r * sin(a + t));
		}
	}
	/* the details: a light ground, a dark rim two cells wide at radius 14 cells, a dark
	 * needle one cell wide from the middle to the lower right */
	for (int y = 0; y < N; y++)
		for (int c = 0; c < N; c++) {
			double dx = c + 0.5 - N / 2.0, dy = y + 0.5 - N / 2.0, rr = sqrt(dx * dx + dy * dy);
			int v = 230;

			if (rr >= 13 && rr <= 15)
				v = 20;
			if (c == y && c >= N / 2 && c < N / 2 + 10)
				v = 20;
			da[y * N + c] = (uint8_t)v;
		}
	CHECK_EQ_INT(kp_match(&sa, &sb, &m), 0);
	CHECK(fabs(m.angle_deg) > 2);
	CHECK_EQ_INT(m.plain_in >= GRP_PLAIN_SHARE * m.inliers && m.plain_in < m.inliers, 1);
	CHECK(m.plain[0] == 1 && m.plain[1] == 0 && m.plain[2] == 0 && m.plain[3] == 0);
	grid(g, 200, 200, 200);
	grp_opts_default(&o);
	details_pair(it, "gauge", "gauge-copy", &sa, &sb, g);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
}

/* Two charts on n x n grids: a frame (0 on a ground of 200) on rows and columns e and
 * n - 1 - e, and inside it a line of level v rising across ga (row e + 2 + c * num /
 * den at column c) and falling across gb. */
static void two_charts(uint8_t *ga, uint8_t *gb, int n, int e, int num, int den, uint8_t v)
{
	for (int y = 0; y < n; y++)
		for (int c = 0; c < n; c++) {
			int frame = y == e || y == n - 1 - e || c == e || c == n - 1 - e;

			ga[y * n + c] = gb[y * n + c] = (uint8_t)(frame ? 0 : 200);
			if (!frame && c > e && c < n - 1 - e) {
				if (y == e + 2 + c * num / den)
					ga[y * n + c] = v;
				if (y == n - 3 - e - c * num / den)
					gb[y * n + c] = v;
			}
		}
}

/* Two charts of one style (GRP_SPREAD_*): the same keypoints where they lie (the axes
 * and labels), a plot area at 200 with its frame at 0, and in each a curve of cells at
 * 170 along another line.  Every block a curve crosses misses by some 30, under
 * GRP_DETAIL_MAX, but the misses run across the picture: two pictures.  A copy with one
 * blot of 30 misses in one place: a copy. */
static void test_spread_details(void)
{
	enum { NK = 64, N = KP_DETAIL };
	static struct kp pa[NK];
	static uint8_t da[N * N], db[N * N], g[48];
	struct kp_set sa = { .w = 512, .h = 512, .n = NK, .kp = pa, .detail = da },
	    sb = { .w = 512, .h = 512, .n = NK, .kp = pa, .detail = db };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	random_kp(pa, NK, &x);
	two_charts(da, db, N, 2, 2, 3, 170);
	grid(g, 200, 200, 200);
	grp_opts_default(&o);
	details_pair(it, "chart-a", "chart-b", &sa, &sb, g);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 0);
	CHECK_EQ_INT(it[1].group, 0);
	/* the same chart with one blot of 30 (a caption's smudge, a clipped highlight) */
	memcpy(db, da, sizeof db);
	for (int y = 14; y < 17; y++)
		for (int c = 14; c < 17; c++)
			db[y * N + c] = 170;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
}

/* Two charts of one style on the fine grid: the same keypoints, the same details (a
 * frame on a plain ground), and fine details (KP_FINE a side) alike but for a line one
 * cell wide across each, falling one way on a and the other way on b.  The detail sees
 * nothing apart; the fine details miss in block after block, and the pair is two
 * pictures (GRP_FINE_*).  Not so with b's fine detail a's, with either picture's fine
 * detail missing (a record of a featx before it), with pictures of 128 pixels a side
 * (GRP_FINE_SIDE), nor for a copy whose fine details miss in one blot (a clipped
 * highlight). */
static void test_fine_details(void)
{
	enum { NK = 64, N = KP_DETAIL, F = KP_FINE };
	static struct kp pa[NK];
	static uint8_t d[N * N], fa[F * F], fb[F * F], g[48];
	struct kp_set sa = { .w = 512, .h = 512, .n = NK, .kp = pa, .detail = d, .fine = fa },
	    sb = { .w = 512, .h = 512, .n = NK, .kp = pa, .detail = d, .fine = fb };
	struct grp_item it[3];
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0xD1B54A32D192ED03ULL;

	random_kp(pa, NK, &x);
	two_charts(d, d, N, 2, 0, 1, 200);
	two_charts(fa, fb, F, 4, 3, 4, 120);
	grid(g, 200, 200, 200);
	grp_opts_default(&o);
	details_pair(it, "chart-a", "chart-b", &sa, &sb, g);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 0);
	/* without either fine detail, or at 128 pixels a side: the detail alone, a copy */
	sb.fine = NULL;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	sb.fine = fb;
	sa.w = sa.h = sb.w = sb.h = 128;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	sa.w = sa.h = sb.w = sb.h = 512;
	/* the same chart, and the same with one blot of 40 */
	memcpy(fb, fa, sizeof fb);
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	for (int y = 30; y < 36; y++)
		for (int c = 30; c < 36; c++)
			fb[y * F + c] = 160;
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	/* a crowd of copies of a (a hash bit or two off each, its keypoints and grids):
	 * every pair is decided by the strict keypoint test, and a's copies make its
	 * neighbourhood one to trust; the fine details still keep b out (the pass that
	 * takes an undecided pair on that trust reads them too) */
	two_charts(fa, fb, F, 4, 3, 4, 120);
	{
		enum { C = 10 };
		struct grp_item crowd[C + 1];
		char names[C][16];

		for (int i = 0; i < C; i++) {
			snprintf(names[i], sizeof names[i], "chart-a%d", i);
			item(&crowd[i], names[i], 0x0123456789abcdefULL ^ (1ULL << i) ^
			    (i > 4 ? 1ULL << 40 : 0), 300, 10, 0);
			crowd[i].kp = &sa;
			crowd[i].color = g;
		}
		item(&crowd[C], "chart-b", 0x0123456789abcdefULL, 300, 10, 0);
		crowd[C].kp = &sb;
		crowd[C].color = g;
		CHECK_EQ_INT(grp_run(crowd, C + 1, &o, &err), 1);
		CHECK_EQ_INT(crowd[C].keeper, -1);
		CHECK_EQ_INT(crowd[1].keeper, crowd[0].keeper >= 0 ? crowd[0].keeper : 0);
	}
}

/* grp_opts.trace for test_copies_folded: the pairs by name */
struct copies_trace {
	const struct grp_item *items;
	int pairs, ab, same;
};

static void trace_copies(void *ud, const struct grp_trace *t)
{
	struct copies_trace *c = ud;
	const struct grp_item *a = &c->items[t->a], *b = &c->items[t->b];

	c->pairs++;
	c->same += a->sha256[0] == b->sha256[0];
	if (strcmp(a->name, b->name) > 0) {
		const struct grp_item *x = a;

		a = b;
		b = x;
	}
	c->ab += t->stage == GRP_NEAR && strcmp(a->name, "k00/a.jpg") == 0 &&
	    strcmp(b->name, "k00/b.jpg") == 0;
}

/* A backup: two near pictures and a third, each there ten times byte for byte.  The
 * copies are not neighbours: the pair is taken on its hashes as it is with one copy each
 * (counted one by one they crowded both neighbourhoods, and without keypoints the pair
 * was lost), every copy joins its original's group, and the stats count each copy once. */
static void test_copies_folded(void)
{
	enum { C = 10, N = 3 * C };
	struct grp_item it[N];
	struct grp_opts o;
	struct grp_stats st;
	char names[N][16];
	aderr err = {0};

	grp_opts_default(&o);
	o.local = 0;
	for (int i = 0; i < N; i++) {
		int c = i % 3;      /* content: 0 a, 1 b (2 bits off a), 2 c (far from both) */

		snprintf(names[i], sizeof names[i], "k%02d/%c.jpg", i / 3, "abc"[c]);
		item(&it[i], names[i], c == 0 ? 0 : c == 1 ? 3 : 0xffffffffULL, c == 1 ? 500 : 1000,
		    100 + c, 0);
		it[i].has_sha256 = 1;
		it[i].sha256[0] = (unsigned char)(c + 1);
	}
	/* with one copy each: a keeps, b is near */
	CHECK_EQ_INT(grp_run(it, 3, &o, &err), 1);
	CHECK_EQ_INT(it[1].stage, GRP_NEAR);
	CHECK_EQ_INT(it[1].margin, GRP_MARGIN_OPEN);
	/* ten copies each: the same, and the copies follow */
	CHECK_EQ_INT(grp_run_stats(it, N, &o, &st, &err), 2);
	for (int i = 0; i < N; i++) {
		int c = i % 3;

		CHECK_EQ_INT(it[i].keeper, c == 2 ? 2 : 0);
		CHECK_EQ_INT(it[i].group, c == 2 ? 2 : 1);
		CHECK_EQ_INT(it[i].stage, i < 3 && c != 1 ? GRP_NONE : c == 1 ? GRP_NEAR : GRP_EXACT);
		CHECK_EQ_INT(it[i].dist[0], c == 1 ? 2 : 0);
		if (i >= 3 || c == 1)
			CHECK_EQ_INT(it[i].margin, GRP_MARGIN_OPEN);
	}
	CHECK_EQ_INT(it[0].count, 2 * C);
	CHECK_EQ_INT(it[2].count, C);
	/* the keeper's best-ranked member is a copy of it, kept over it by name */
	CHECK_EQ_INT(it[0].runner_up, 3);
	CHECK_EQ_INT(it[0].kept_by, KEEP_NAME);
	CHECK_EQ_INT(it[2].runner_up, 5);
	CHECK_EQ_INT((long)st.candidates, 3 * (C - 1) + 1);
	CHECK_EQ_INT((long)st.ambiguous, 0);
	/* the same whatever the order: the last copy of each first */
	for (int i = 0; i < N / 2; i++) {
		struct grp_item t = it[i];

		it[i] = it[N - 1 - i];
		it[N - 1 - i] = t;
	}
	CHECK_EQ_INT(grp_run(it, N, &o, &err), 2);
	CHECK_EQ_INT(keeper_of(it, N, "k09/b.jpg"), N - 1);
	CHECK_EQ_INT(keeper_of(it, N, "k05/c.jpg"), N - 3);
	/* the trace names the items the search compared (k00's, now last), not the
	 * representatives' places among themselves */
	{
		struct copies_trace ct = { it, 0, 0, 0 };

		o.trace = trace_copies;
		o.trace_ud = &ct;
		CHECK_EQ_INT(grp_run(it, N, &o, &err), 2);
		o.trace = NULL;
		CHECK(ct.pairs >= 1);
		CHECK_EQ_INT(ct.same, 0);
		CHECK_EQ_INT(ct.ab, 1);
	}
	/* copies of a low-information picture still group by their bytes, with nothing else */
	for (int i = 0; i < N; i++)
		it[i].low_info = it[i].sha256[0] == 2;
	CHECK_EQ_INT(grp_run(it, N, &o, &err), 3);
	CHECK_EQ_INT(keeper_of(it, N, "k09/b.jpg"), keeper_of(it, N, "k00/b.jpg"));
	CHECK_EQ_INT(it[keeper_of(it, N, "k00/b.jpg")].count, C);
}

/* Flat pictures are one picture by their colour grids, whatever their hashes (noise on a
 * flat colour scrambles them), opaque with opaque only; and a crowd of one flat colour
 * is paired within GRP_FLAT_PAIRS in colour order, not every pair with every other. */
static void test_flat(void)
{
	enum { N = 600 };
	static uint8_t purple[48], purple2[48], grey[48];
	static struct grp_item it[N];
	struct grp_stats st;
	struct grp_opts o;
	aderr err = {0};
	uint64_t x = 0x2545F4914F6CDD1DULL;

	grp_opts_default(&o);
	grid(purple, 120, 40, 160);
	grid(purple2, 122, 42, 158);     /* a JPEG copy: 2 levels off */
	grid(grey, 128, 128, 128);
	item(&it[0], "purple.png", 0x0123456789abcdefULL, 300, 10, 0);
	item(&it[1], "purple-noise.png", 0xfedcba9876543210ULL, 300, 9, 0);
	item(&it[2], "grey.png", 0x0123456789abcdefULL, 300, 8, 0);
	item(&it[3], "clear.png", 0x0123456789abcdefULL, 300, 7, 0);
	it[0].color = purple;
	it[1].color = purple2;
	it[2].color = grey;
	it[3].color = purple;
	for (int i = 0; i < 4; i++)
		it[i].low_info = 1;
	it[3].low_info = 2;              /* with transparency */
	CHECK_EQ_INT(grp_run(it, 4, &o, &err), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].group, 0);
	CHECK_EQ_INT(it[3].group, 0);

	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		item(&it[i], "flat", x, 300, 10, 0);
		it[i].whash = x * 77;
		it[i].color = purple;
		it[i].low_info = 1;
	}
	CHECK(grp_run_stats(it, N, &o, &st, &err) >= 1);
	CHECK(st.candidates <= (size_t)N * GRP_FLAT_PAIRS);
}

/* grp_opts.trace for test_crowded_index: whether the planted pair was a candidate */
struct crowd_trace {
	const struct grp_item *items;
	int planted, pairs;
};

static void trace_crowd(void *ud, const struct grp_trace *t)
{
	struct crowd_trace *c = ud;
	const char *a = c->items[t->a].name, *b = c->items[t->b].name;

	c->pairs++;
	c->planted += (strcmp(a, "c000") == 0 && strcmp(b, "c001") == 0) ||
	    (strcmp(a, "c001") == 0 && strcmp(b, "c000") == 0);
}

/* A crowded collection: 200 pictures whose keypoints are 24 corners of a common stock
 * of 256 (shapes of one kind) and 40 of their own, and two that share seven more.  The
 * descriptor index finds most of the 19,900 pairs; it proposes no more than each
 * picture's GRP_LSH_TOPK best, the planted pair among them, and counts the rest.  Most
 * pairs here have two or three votes: while only the votes ranked them, every pair tied
 * with a picture's last kept one was kept too (4,438 pairs at 20 a picture); the
 * nearer hashes rank first among as many votes (2,390). */
static void test_crowded_index(void)
{
	enum { N = 200, NK = 64, STOCK = 256 };
	static struct kp kp[N][NK];
	static uint8_t stock[STOCK][32];
	static struct kp_set ks[N];
	static struct grp_item it[N];
	static char names[N][8];
	struct crowd_trace ct = { it, 0, 0 };
	struct grp_opts o;
	struct grp_stats st;
	aderr err = {0};
	uint64_t x = 0x9E3779B97F4A7C15ULL;

#define CROWD_NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
	for (int s = 0; s < STOCK; s++)
		for (int b = 0; b < 32; b++)
			stock[s][b] = (uint8_t)(CROWD_NEXT() >> 24);
	for (int i = 0; i < N; i++) {
		int used[STOCK] = { 0 };

		for (int k = 0; k < NK; k++) {
			kp[i][k].x = (float)(16 + CROWD_NEXT() % 480);
			kp[i][k].y = (float)(16 + CROWD_NEXT() % 480);
			if (k < 24) {       /* a corner of the stock, each once a picture */
				int s;

				do
					s = (int)(CROWD_NEXT() % STOCK);
				while (used[s]);
				used[s] = 1;
				memcpy(kp[i][k].d, stock[s], 32);
			} else {
				for (int b = 0; b < 32; b++)
					kp[i][k].d[b] = (uint8_t)(CROWD_NEXT() >> 24);
			}
		}
		ks[i] = (struct kp_set){ .w = 512, .h = 512, .n = NK, .kp = kp[i] };
		snprintf(names[i], sizeof names[i], "c%03d", i);
		item(&it[i], names[i], CROWD_NEXT(), 1000, 100, 0);
		it[i].kp = &ks[i];
	}
	for (int k = 24; k < 31; k++)       /* seven more shared by the planted pair */
		kp[1][k] = kp[0][k];
	grp_opts_default(&o);
	o.trace = trace_crowd;
	o.trace_ud = &ct;
	CHECK(grp_run_stats(it, N, &o, &st, &err) >= 0);
	CHECK(st.local_crowded > 0);
	CHECK(st.local_candidates + st.local_crowded > (size_t)N * GRP_LSH_TOPK);
	CHECK(st.local_candidates <= (size_t)N * GRP_LSH_TOPK);
	CHECK_EQ_INT(ct.planted, 1);
#undef CROWD_NEXT
}

int main(void)
{
	test_crowded_index();
	test_copies_folded();
	test_flat();
	test_keypoint_evidence();
	test_repeated_in_crowd();
	test_aligned_details();
	test_plain_reading();
	test_spread_details();
	test_fine_details();
	test_gray_of_two();
	test_vouched();
	test_told_apart();
	test_contested();
	test_acceptance();
	test_unseen_margin();
	test_sure_chain();
	test_modes();
	test_exact_and_thresholds();
	test_keep_policy();
	test_center_keeper();
	test_centre_left_out();
	test_determinism();
	test_index_equals_all();
	test_turned_index();
	return unit_done();
}
