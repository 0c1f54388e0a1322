/* group.c — exact and near duplicate groups, star around a keeper. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "hash.h"
#include "mih.h"
#include "splitmix.h"

static const struct {
	const char *word;
	int key;
} keep_words[] = {
	{ "resolution", KEEP_RESOLUTION },
	{ "size", KEEP_SIZE },
	{ "date", KEEP_DATE },
	{ "name", KEEP_NAME },
	{ "format", KEEP_FORMAT },
};

void grp_opts_default(struct grp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->phash_max = 12;
	o->dhash_max = 16;
	o->whash_max = 16;
	o->local = 1;
	o->local_min = 16;
	o->keys[0] = KEEP_RESOLUTION;
	o->keys[1] = KEEP_DATE;
	o->keys[2] = KEEP_SIZE;
	o->keys[3] = KEEP_NAME;
	o->nkeys = 4;
}

int grp_parse_keep(struct grp_opts *o, const char *spec, aderr *err)
{
	const char *p = spec;
	int n = 0;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		int key = 0;

		for (size_t i = 0; i < sizeof(keep_words) / sizeof(keep_words[0]); i++)
			if (strlen(keep_words[i].word) == len && strncmp(p, keep_words[i].word, len) == 0)
				key = keep_words[i].key;
		if (key == 0)
			return aderr_set(err, AD_EUSAGE,
			    "--keep: unknown key '%.*s' (use resolution, size, date, format, name)", (int)len, p);
		for (int i = 0; i < n; i++)
			if (o->keys[i] == key)
				return aderr_set(err, AD_EUSAGE, "--keep: '%.*s' given twice", (int)len, p);
		if (n == GRP_MAX_KEYS)
			return aderr_set(err, AD_EUSAGE, "--keep: too many keys");
		o->keys[n++] = key;
		p += len;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return aderr_set(err, AD_EUSAGE, "--keep: empty key at the end of '%s'", spec);
		}
	}
	if (n == 0)
		return aderr_set(err, AD_EUSAGE, "--keep: no keys given");
	o->nkeys = n;
	return 0;
}

void grp_keep_string(const struct grp_opts *o, char *buf, size_t len)
{
	size_t at = 0;
	int has_name = 0;

	buf[0] = '\0';
	for (int i = 0; i < o->nkeys; i++) {
		for (size_t k = 0; k < sizeof(keep_words) / sizeof(keep_words[0]); k++) {
			if (keep_words[k].key != o->keys[i])
				continue;
			if (o->keys[i] == KEEP_NAME)
				has_name = 1;
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s",
			    i ? "," : "", keep_words[k].word);
		}
	}
	if (!has_name)
		snprintf(buf + at, at < len ? len - at : 0, "%sname", o->nkeys ? "," : "");
}

struct rank_ctx {
	const struct grp_item *items;
	const struct grp_opts *o;
};

static int cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

/* <0 when item a is the better keeper */
static int rank_cmp(const void *pa, const void *pb, void *ud)
{
	const struct rank_ctx *c = ud;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct grp_item *a = &c->items[ia], *b = &c->items[ib];
	int r;

	if (a->prefer != b->prefer)
		return a->prefer < b->prefer ? -1 : 1;
	for (int i = 0; i < c->o->nkeys; i++) {
		switch (c->o->keys[i]) {
		case KEEP_RESOLUTION: r = cmp_ll(b->pixels, a->pixels); break;
		case KEEP_SIZE: r = cmp_ll(b->size, a->size); break;
		case KEEP_DATE: r = cmp_ll(a->mtime, b->mtime); break;
		case KEEP_NAME: r = strcmp(a->name, b->name); break;
		case KEEP_FORMAT: r = (a->format_rank > b->format_rank) - (a->format_rank < b->format_rank); break;
		default: r = 0; break;
		}
		if (r != 0)
			return r;
	}
	r = strcmp(a->name, b->name);
	return r != 0 ? r : (ia > ib) - (ia < ib);
}

static int same_bytes(const struct grp_item *a, const struct grp_item *b)
{
	if (a->has_sha256 && b->has_sha256)
		return memcmp(a->sha256, b->sha256, sizeof(a->sha256)) == 0;
	return a->content_md5[0] != '\0' && strcmp(a->content_md5, b->content_md5) == 0 &&
	    a->size == b->size;
}

static const int inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };

/* How many keypoints an item has for matching. */
static int item_nkp(const struct grp_item *it)
{
	return it->kp != NULL ? it->kp->n : it->has_kp ? it->nkp : 0;
}

/* An item's keypoints, from the item or from the cache (give them back with kp_put).
 * 0, or a negative AD_E* code with the reason in err. */
static int kp_get(const struct grp_opts *o, const struct grp_item *it, const struct kp_set **ks,
    aderr *err)
{
	if (it->kp != NULL || !it->has_kp || o->kps == NULL) {
		*ks = it->kp;
		return 0;
	}
	return kpcache_get(o->kps, it->kp_id, ks, err);
}

static void kp_put(const struct grp_opts *o, const struct grp_item *it)
{
	if (it->kp == NULL && it->has_kp && o->kps != NULL)
		kpcache_put(o->kps, it->kp_id);
}

/* Keypoint inliers between two items, always matched in the same direction (by name,
 * then place) so that the answer does not depend on which one is the keeper; negative
 * (an AD_E* code, the reason in err) when the keypoints cannot be had. */
static int local_inliers(const struct grp_item *k, const struct grp_item *j,
    const struct grp_opts *o, double *cover, aderr *err)
{
	const struct grp_item *a = k, *b = j;
	const struct kp_set *ka, *kb;
	struct kp_match m;
	int c = strcmp(k->name, j->name), rc;

	if (c > 0 || (c == 0 && k > j)) {
		a = j;
		b = k;
	}
	if ((rc = kp_get(o, a, &ka, err)) < 0)
		return rc;
	if ((rc = kp_get(o, b, &kb, err)) < 0) {
		kp_put(o, a);
		return rc;
	}
	rc = kp_match(ka, kb, &m);
	kp_put(o, a);
	kp_put(o, b);
	if (rc < 0)
		return aderr_set(err, rc, "out of memory matching keypoints");
	*cover = m.cover;
	return m.inliers;
}

/* GRP_EXACT, GRP_NEAR, GRP_LOCAL or GRP_NONE (or a negative AD_E* code); fills the
 * distances, the orientation and the inliers either way.  Symmetric: match(a, b) and
 * match(b, a) agree on the outcome. */
static int match(const struct grp_item *k, const struct grp_item *j, const struct grp_opts *o,
    int dist[3], int *orient, int *inliers)
{
	*orient = 1;
	*inliers = 0;
	dist[0] = grp_hamming(k->phash, j->phash);
	dist[1] = grp_hamming(k->dhash, j->dhash);
	dist[2] = grp_hamming(k->whash, j->whash);
	if (same_bytes(k, j))
		return GRP_EXACT;
	if (o->exact_only)
		return GRP_NONE;
	if (dist[0] <= o->phash_max && dist[1] <= o->dhash_max && dist[2] <= o->whash_max)
		return GRP_NEAR;
	if (!o->rotations || !k->has8 || !j->has8)
		return GRP_NONE;
	/* j turned by t looks like k (or k turned back looks like j); the difference hash
	 * has no turned form, so the perceptual and wavelet hashes decide */
	for (int t = 2; t <= 8; t++) {
		int dp = grp_hamming(k->phash, j->phash8[t - 1]);
		int dq = grp_hamming(j->phash, k->phash8[inverse[t] - 1]);
		int dw = grp_hamming(k->whash, hash_grid_orient(j->whash, t));
		int dv = grp_hamming(j->whash, hash_grid_orient(k->whash, inverse[t]));

		dp = dq < dp ? dq : dp;
		dw = dv < dw ? dv : dw;
		if (dp <= o->phash_max && dw <= o->whash_max) {
			dist[0] = dp;
			dist[2] = dw;
			*orient = t;
			return GRP_NEAR;
		}
	}
	return GRP_NONE;
}

/* The keypoint check for a pair the hashes turned down: GRP_LOCAL or GRP_NONE (or
 * AD_ENOMEM), the inliers in *inliers; GRP_NONE at once when it does not apply. */
static int match_local(const struct grp_item *k, const struct grp_item *j,
    const struct grp_opts *o, int *inliers, aderr *err)
{
	double cover = 0;
	int rc;

	if (!o->local || o->exact_only || item_nkp(k) == 0 || item_nkp(j) == 0)
		return GRP_NONE;
	if ((rc = local_inliers(k, j, o, &cover, err)) < 0)
		return rc;
	*inliers = rc;
	return *inliers >= o->local_min && cover >= GRP_LOCAL_COVER ? GRP_LOCAL : GRP_NONE;
}

/* match, then the keypoints when the hashes say no. */
static int match_all(const struct grp_item *k, const struct grp_item *j,
    const struct grp_opts *o, int dist[3], int *orient, int *inliers, aderr *err)
{
	int mt = match(k, j, o, dist, orient, inliers);

	return mt != GRP_NONE ? mt : match_local(k, j, o, inliers, err);
}

static int keeper_name_cmp(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	int r = strcmp(items[ia].name, items[ib].name);

	return r != 0 ? r : (ia > ib) - (ia < ib);
}

/* Every pair of items with the same checksum, as candidates (exact duplicates need not
 * have near hashes when their hashes are missing). */
static int cmp_sum(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	const struct grp_item *a = &items[*(const uint32_t *)pa], *b = &items[*(const uint32_t *)pb];
	int r;

	if (a->has_sha256 != b->has_sha256)
		return a->has_sha256 ? -1 : 1;
	r = a->has_sha256 ? memcmp(a->sha256, b->sha256, sizeof a->sha256) :
	    strcmp(a->content_md5, b->content_md5);
	if (r == 0 && !a->has_sha256)
		r = (a->size > b->size) - (a->size < b->size);
	return r != 0 ? r : (*(const uint32_t *)pa > *(const uint32_t *)pb) -
	    (*(const uint32_t *)pa < *(const uint32_t *)pb);
}

/* Appends one pair (a < b) to the growing list. */
static int push_pair(struct mih_pair **pairs, size_t *np, size_t *cap, uint32_t a, uint32_t b)
{
	if (*np == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		struct mih_pair *nn = realloc(*pairs, nc * sizeof *nn);

		if (nn == NULL)
			return -1;
		*pairs = nn;
		*cap = nc;
	}
	(*pairs)[*np].a = a < b ? a : b;
	(*pairs)[(*np)++].b = a < b ? b : a;
	return 0;
}

/* Sorts the list by a, then b, and drops repeats. */
static void unique_pairs(struct mih_pair *pairs, size_t *np)
{
	size_t w = 0;

	mih_sort_pairs(pairs, *np);
	for (size_t p = 0; p < *np; p++)
		if (w == 0 || pairs[p].a != pairs[w - 1].a || pairs[p].b != pairs[w - 1].b)
			pairs[w++] = pairs[p];
	*np = w;
}

static int add_sum_pairs(struct grp_item *items, size_t n, struct mih_pair **pairs, size_t *np,
    size_t *cap)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	size_t m = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (items[i].has_sha256 || items[i].content_md5[0])
			v[m++] = (uint32_t)i;
	qsort_r(v, m, sizeof *v, cmp_sum, items);
	for (size_t a = 0; a < m; ) {
		size_t b = a + 1;

		while (b < m && same_bytes(&items[v[a]], &items[v[b]]))
			b++;
		for (size_t x = a; x < b; x++)
			for (size_t y = x + 1; y < b; y++)
				if (push_pair(pairs, np, cap, v[x], v[y]) < 0) {
					free(v);
					return -1;
				}
		a = b;
	}
	free(v);
	return 0;
}

/* 1 when one of a and b, turned, is within r of the other's perceptual hash. */
static int turned_near(const struct grp_item *a, const struct grp_item *b, int r)
{
	if (!a->has8 || !b->has8)
		return 0;
	for (int t = 1; t < 8; t++)
		if (grp_hamming(a->phash, b->phash8[t]) <= r || grp_hamming(b->phash, a->phash8[t]) <= r)
			return 1;
	return 0;
}

/* Every pair within the perceptual-hash radius, by comparing all of them: the index's
 * answer, the slow way (--search all, for checking). */
static int brute_pairs(const struct grp_item *items, size_t n, int r, int rot,
    struct mih_pair **pairs, size_t *np, aderr *err)
{
	size_t cap = 0;

	*pairs = NULL;
	*np = 0;
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			if (grp_hamming(items[a].phash, items[b].phash) > r &&
			    !(rot && turned_near(&items[a], &items[b], r)))
				continue;
			if (push_pair(pairs, np, &cap, (uint32_t)a, (uint32_t)b) < 0) {
				free(*pairs);
				*pairs = NULL;
				return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
			}
		}
	return 0;
}


/* Each item's own hash searched among all eight orientation variants of every item
 * (mih_cross: the variants are not compared among themselves): a pair is a candidate
 * when one item's own hash is near any variant of the other's. */
static int turned_pairs(const struct grp_item *items, size_t n, int r, int threads,
    struct mih_pair **pairs, size_t *np, aderr *err)
{
	uint64_t *codes, *up;
	struct mih_pair *all = NULL;
	size_t na = 0, w = 0;
	int rc;

	*pairs = NULL;
	*np = 0;
	if (n > UINT32_MAX / 8)
		return aderr_set(err, AD_ETOOBIG, "too many images to match turned copies (%zu)", n);
	codes = malloc((n ? n : 1) * 8 * sizeof *codes);
	up = malloc((n ? n : 1) * sizeof *up);
	if (codes == NULL || up == NULL) {
		free(codes);
		free(up);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 8; k++)
			codes[i * 8 + (size_t)k] = items[i].has8 ? items[i].phash8[k] : items[i].phash;
		up[i] = codes[i * 8];
	}
	rc = mih_cross(up, n, codes, n * 8, r, threads, &all, &na, err);
	free(codes);
	free(up);
	if (rc < 0)
		return rc;
	for (size_t p = 0; p < na; p++) {
		uint32_t a = all[p].a, b = all[p].b / 8;

		if (a == b)
			continue;         /* the item's own forms */
		all[w].a = a < b ? a : b;
		all[w++].b = a < b ? b : a;
	}
	unique_pairs(all, &w);
	*np = w;
	*pairs = all;
	return 0;
}

/* A bucket holding more images than this is a common pattern (sky, text), not evidence. */
#define LSH_BUCKET_MAX 24

/* Key length for E entries: about log2(E) + 3 bits, so that two random descriptors
 * share a bucket rarely enough for chance pairs with GRP_LSH_VOTES votes to stay few
 * (about 8 E / 2^bits random votes a table); at least GRP_LSH_BITS (small collections
 * keep the most sensitive keys), at most 32. */
static int lsh_key_bits(size_t e)
{
	int b = 0;

	while (b < 40 && ((size_t)1 << b) < e)
		b++;
	b += 3;
	return b < GRP_LSH_BITS ? GRP_LSH_BITS : b > 32 ? 32 : b;
}

/* Crop candidates: pairs of items whose strongest descriptors collide in at least
 * GRP_LSH_VOTES of the (table, key) buckets, each image counted once per bucket.  Each
 * table sorts its (key, item) entries; a bucket lists its items in order, repeats side
 * by side. */
static int lsh_pairs(const struct grp_item *items, size_t n, const struct grp_opts *o,
    struct mih_pair **pairs, size_t *np, size_t *cap, aderr *err)
{
	uint16_t bits[GRP_LSH_TABLES][32];
	uint64_t seed = 0x6c7368ULL;
	struct mih_pair *e = NULL, *votes = NULL;
	size_t ne = 0, nv = 0, vcap = 0, m = 0;
	int rc = 0, kb;

	for (size_t i = 0; i < n; i++)
		m += (size_t)(item_nkp(&items[i]) < GRP_LSH_KEYPOINTS ? item_nkp(&items[i]) :
		    GRP_LSH_KEYPOINTS);
	if (m == 0)
		return 0;
	kb = lsh_key_bits(m);
	/* the bit sample of each table: distinct positions, drawn once (splitmix64); the
	 * first GRP_LSH_BITS of a longer key are the ones a short key would take */
	for (int pass = 0; pass < 2; pass++)
		for (int t = 0; t < GRP_LSH_TABLES; t++)
			for (int b = pass ? GRP_LSH_BITS : 0; b < (pass ? 32 : GRP_LSH_BITS); b++) {
				for (;;) {
					int dup = 0;

					bits[t][b] = (uint16_t)(splitmix64(&seed) % 256);
					for (int c = 0; c < b; c++)
						dup |= bits[t][c] == bits[t][b];
					if (!dup)
						break;
				}
			}
	if ((e = malloc(m * sizeof *e)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
	for (int t = 0; t < GRP_LSH_TABLES && rc == 0; t++) {
		ne = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			const struct kp_set *ks;
			int k;

			if (item_nkp(&items[i]) == 0)
				continue;
			if ((rc = kp_get(o, &items[i], &ks, err)) < 0)
				break;
			/* never more than counted, whatever the set says */
			k = ks == NULL ? 0 : ks->n < GRP_LSH_KEYPOINTS ? ks->n : GRP_LSH_KEYPOINTS;
			if (k > item_nkp(&items[i]))
				k = item_nkp(&items[i]);
			for (int q = 0; q < k; q++) {
				const uint8_t *d = ks->kp[q].d;
				uint32_t v = 0;

				for (int b = 0; b < kb; b++)
					v = v << 1 | ((d[bits[t][b] >> 3] >> (bits[t][b] & 7)) & 1u);
				e[ne].a = v;
				e[ne++].b = (uint32_t)i;
			}
			kp_put(o, &items[i]);
		}
		if (rc < 0)
			break;
		mih_sort_pairs(e, ne);
		for (size_t a = 0; a < ne && rc == 0; ) {
			size_t b = a + 1, w = a + 1;

			while (b < ne && e[b].a == e[a].a)
				b++;
			/* one entry per image in the bucket */
			for (size_t x = a + 1; x < b; x++)
				if (e[x].b != e[w - 1].b)
					e[w++] = e[x];
			if (w - a <= LSH_BUCKET_MAX)
				for (size_t x = a; x < w && rc == 0; x++)
					for (size_t y = x + 1; y < w; y++)
						if (push_pair(&votes, &nv, &vcap, e[x].b, e[y].b) < 0) {
							rc = aderr_set(err, AD_ENOMEM, "out of memory indexing "
							    "keypoints");
							break;
						}
			a = b;
		}
	}
	free(e);
	if (rc == 0) {
		mih_sort_pairs(votes, nv);
		for (size_t a = 0; a < nv && rc == 0; ) {
			size_t b = a + 1;

			while (b < nv && votes[b].a == votes[a].a && votes[b].b == votes[a].b)
				b++;
			if (b - a >= GRP_LSH_VOTES &&
			    push_pair(pairs, np, cap, votes[a].a, votes[a].b) < 0)
				rc = aderr_set(err, AD_ENOMEM, "out of memory indexing keypoints");
			a = b;
		}
	}
	free(votes);
	return rc;
}

struct pf_ctx {
	const struct grp_item *items;
	struct mih_pair *pairs;
	unsigned char *keep;
	size_t np, next, verified;
	const struct grp_opts *o;
	int rc;
	aderr err;          /* the first failure's */
	pthread_mutex_t mu;
};

static void *pf_worker(void *arg)
{
	struct pf_ctx *c = arg;
	size_t verified = 0;
	aderr e = {0};

	for (;;) {
		size_t from, to;

		pthread_mutex_lock(&c->mu);
		from = c->rc < 0 ? c->np : c->next;
		to = from + 256 < c->np ? from + 256 : c->np;
		c->next = to;
		pthread_mutex_unlock(&c->mu);
		if (from >= c->np)
			break;
		for (size_t p = from; p < to; p++) {
			const struct grp_item *a = &c->items[c->pairs[p].a], *b = &c->items[c->pairs[p].b];
			int dist[3], ori, inl, mt;

			mt = match(a, b, c->o, dist, &ori, &inl);
			if (mt == GRP_NONE && item_nkp(a) > 0 && item_nkp(b) > 0) {
				verified++;
				mt = match_local(a, b, c->o, &inl, &e);
			}
			if (mt < 0) {
				pthread_mutex_lock(&c->mu);
				if (c->rc == 0) {
					c->rc = mt;
					c->err = e;
				}
				pthread_mutex_unlock(&c->mu);
			}
			c->keep[p] = mt > 0;
		}
	}
	pthread_mutex_lock(&c->mu);
	c->verified += verified;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Keypoint matching is the costly check: run every candidate's on threads first and
 * keep only the pairs that match, so the grouping pass that follows (one thread, in
 * rank order) repeats it only for true pairs. */
static int prefilter(const struct grp_item *items, struct mih_pair *pairs, size_t *np,
    const struct grp_opts *o, struct grp_stats *st, aderr *err)
{
	struct pf_ctx c = { items, pairs, NULL, *np, 0, 0, o, 0, {0}, PTHREAD_MUTEX_INITIALIZER };
	int nt = o->threads > 1 ? (o->threads > 64 ? 64 : o->threads) : 1, started = 0;
	pthread_t tid[64];
	size_t w = 0;

	if (*np == 0)
		return 0;
	if ((c.keep = malloc(*np)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory matching keypoints");
	for (int t = 1; t < nt; t++)
		if (pthread_create(&tid[started], NULL, pf_worker, &c) == 0)
			started++;
	pf_worker(&c);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	if (c.rc < 0) {
		free(c.keep);
		*err = c.err;
		return c.rc;
	}
	for (size_t p = 0; p < *np; p++)
		if (c.keep[p])
			pairs[w++] = pairs[p];
	*np = w;
	st->local_verified = c.verified;
	free(c.keep);
	return 0;
}

static size_t uf_find(size_t *up, size_t x)
{
	while (up[x] != x) {
		up[x] = up[up[x]];
		x = up[x];
	}
	return x;
}

static int cmp_pos(const void *pa, const void *pb, void *ud)
{
	const size_t *pos = ud;
	size_t a = pos[*(const uint32_t *)pa], b = pos[*(const uint32_t *)pb];

	return (a > b) - (a < b);
}

static void take(struct grp_item *items, size_t k, size_t j, int mt, const int dist[3],
    int inliers)
{
	items[j].keeper = (long)k;
	items[j].stage = mt;
	items[j].inliers = mt == GRP_LOCAL ? inliers : 0;
	memcpy(items[j].dist, dist, 3 * sizeof *dist);
	items[k].count++;
}

/* Groups over the candidate pairs, in rank order (idx), by the mode:
 *   star: each item not yet taken becomes a keeper and takes the free candidates that
 *         match it (the groups of comparing all pairs, as every matching pair is a
 *         candidate);
 *   clique: the same, but a candidate joins only if it matches every member so far;
 *   components: matching pairs are joined transitively; the best-ranked member keeps. */
static int group_pairs(struct grp_item *items, size_t n, const size_t *idx,
    const struct grp_opts *o, struct grp_stats *st, aderr *err)
{
	struct mih_pair *pairs = NULL;
	size_t np = 0, cap, *pos = NULL, *up = NULL;
	uint32_t *off = NULL, *adj = NULL, *mem = NULL;
	unsigned char *done = NULL;
	int rc = 0, r = o->exact_only ? 0 : o->phash_max;

	if (o->search == GRP_SEARCH_ALL) {
		rc = brute_pairs(items, n, r, o->rotations && !o->exact_only, &pairs, &np, err);
	} else if (o->gpu != NULL) {
		int rot = o->rotations && !o->exact_only;
		uint64_t (*v)[8] = malloc((n ? n : 1) * sizeof *v);

		if (v == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 8; k++)
				v[i][k] = rot && items[i].has8 ? items[i].phash8[k] : items[i].phash;
		if (rot) {
			rc = gpu_pairs8(o->gpu, (const uint64_t (*)[8])v, n, r, &pairs, &np, err);
		} else {
			uint64_t *codes = (uint64_t *)v;  /* the first column, packed in place */

			for (size_t i = 1; i < n; i++)
				codes[i] = v[i][0];   /* reads 8i, writes i <= 8i: never ahead */
			rc = gpu_pairs(o->gpu, codes, n, r, &pairs, &np, err);
		}
		free(v);
	} else if (o->rotations && !o->exact_only) {
		rc = turned_pairs(items, n, r, o->threads, &pairs, &np, err);
	} else {
		uint64_t *codes = malloc((n ? n : 1) * sizeof *codes);

		if (codes == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		for (size_t i = 0; i < n; i++)
			codes[i] = items[i].phash;
		rc = mih_pairs(codes, n, r, o->threads, &pairs, &np, err);
		free(codes);
	}
	if (rc < 0)
		return rc;
	cap = np;
	if (add_sum_pairs(items, n, &pairs, &np, &cap) < 0) {
		free(pairs);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	if (o->local && !o->exact_only) {
		size_t before = np;

		if ((rc = lsh_pairs(items, n, o, &pairs, &np, &cap, err)) < 0) {
			free(pairs);
			return rc;
		}
		unique_pairs(pairs, &np);
		st->local_candidates = np > before ? np - before : 0;
		if ((rc = prefilter(items, pairs, &np, o, st, err)) < 0) {
			free(pairs);
			return rc;
		}
	}
	st->candidates = np;
	off = calloc(n + 1, sizeof *off);
	adj = malloc((np ? 2 * np : 1) * sizeof *adj);
	done = calloc(n ? n : 1, 1);
	pos = malloc((n ? n : 1) * sizeof *pos);
	mem = malloc((n ? n : 1) * sizeof *mem);
	if (off == NULL || adj == NULL || done == NULL || pos == NULL || mem == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		goto out;
	}
	for (size_t q = 0; q < n; q++)
		pos[idx[q]] = q;
	for (size_t p = 0; p < np; p++)
		off[pairs[p].a + 1]++, off[pairs[p].b + 1]++;
	for (size_t i = 0; i < n; i++)
		off[i + 1] += off[i];
	for (size_t p = 0; p < np; p++) {
		adj[off[pairs[p].a]++] = pairs[p].b;
		adj[off[pairs[p].b]++] = pairs[p].a;
	}
	memmove(off + 1, off, n * sizeof *off);
	off[0] = 0;

	if (o->mode == GRP_MODE_COMPONENTS) {
		up = malloc((n ? n : 1) * sizeof *up);
		if (up == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			up[i] = i;
		for (size_t p = 0; p < np; p++) {
			int dist[3], ori;
			size_t x, y;

			st->compared++;
			int inl, mt = match_all(&items[pairs[p].a], &items[pairs[p].b], o, dist, &ori,
			    &inl, err);

			if (mt < 0) {
				rc = mt;
				goto out;
			}
			if (mt == GRP_NONE)
				continue;
			x = uf_find(up, pairs[p].a);
			y = uf_find(up, pairs[p].b);
			/* the root is the best ranked, so it is the keeper */
			if (x != y) {
				if (pos[x] < pos[y])
					up[y] = x;
				else
					up[x] = y;
			}
		}
		for (size_t q = 0; q < n; q++) {
			size_t j = idx[q], k = uf_find(up, j);
			int dist[3], mt, ori, inl;

			if (k == j)
				continue;
			mt = match_all(&items[k], &items[j], o, dist, &ori, &inl, err);
			if (mt < 0) {
				rc = mt;
				goto out;
			}
			items[j].orient = ori;
			items[k].count = items[k].count ? items[k].count : 1;
			items[k].keeper = (long)k;
			/* joined through others: near, unless it matches the keeper itself */
			take(items, k, j, mt != GRP_NONE ? mt : GRP_NEAR, dist, inl);
		}
		goto out;
	}
	for (size_t q = 0; q < n; q++) {
		size_t k = idx[q], nm = 0;
		struct grp_item *kp = &items[k];

		done[k] = 1;
		if (kp->keeper >= 0)
			continue;                /* already taken by a better keeper */
		kp->count = 1;
		if (o->mode == GRP_MODE_CLIQUE)
			qsort_r(adj + off[k], off[k + 1] - off[k], sizeof *adj, cmp_pos, pos);
		for (uint32_t e = off[k]; e < off[k + 1]; e++) {
			size_t j = adj[e];
			int dist[3], mt, all = 1, ori, inl;

			if (done[j] || items[j].keeper >= 0)
				continue;
			st->compared++;
			mt = match_all(kp, &items[j], o, dist, &ori, &inl, err);
			if (mt < 0) {
				rc = mt;
				goto out;
			}
			if (mt == GRP_NONE)
				continue;
			if (o->mode == GRP_MODE_CLIQUE) {
				/* every member so far must match it too */
				for (size_t x = 0; x < nm && all; x++) {
					int d2[3], o2, i2, m2;

					st->compared++;
					m2 = match_all(&items[mem[x]], &items[j], o, d2, &o2, &i2, err);
					if (m2 < 0) {
						rc = m2;
						goto out;
					}
					all = m2 != GRP_NONE;
				}
				if (!all)
					continue;
				mem[nm++] = (uint32_t)j;
			}
			take(items, k, j, mt, dist, inl);
			items[j].orient = ori;
		}
		if (kp->count > 1)
			kp->keeper = (long)k;
		else
			kp->count = 0;
	}
out:
	free(pairs);
	free(off);
	free(adj);
	free(done);
	free(pos);
	free(mem);
	free(up);
	return rc;
}

long grp_run(struct grp_item *items, size_t n, const struct grp_opts *o, aderr *err)
{
	struct grp_stats st;

	return grp_run_stats(items, n, o, &st, err);
}

long grp_run_stats(struct grp_item *items, size_t n, const struct grp_opts *o,
    struct grp_stats *st, aderr *err)
{
	struct rank_ctx ctx = { items, o };
	size_t *idx, nk = 0;
	long groups = 0;

	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n; i++) {
		items[i].group = 0;
		items[i].keeper = -1;
		items[i].stage = GRP_NONE;
		items[i].count = 0;
		items[i].orient = 1;
		memset(items[i].dist, 0, sizeof(items[i].dist));
	}
	if (n == 0)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), rank_cmp, &ctx);

	{
		int rc = group_pairs(items, n, idx, o, st, err);

		if (rc < 0) {
			free(idx);
			return rc;
		}
		for (size_t i = 0; i < n; i++)
			if (items[i].count > 1)
				idx[nk++] = i;
		memmove(idx + n - nk, idx, nk * sizeof *idx);
	}
	/* number the groups in keeper-name order */
	qsort_r(idx + n - nk, nk, sizeof(*idx), keeper_name_cmp, items);
	for (size_t g = 0; g < nk; g++)
		items[idx[n - nk + g]].group = ++groups;
	for (size_t i = 0; i < n; i++)
		if (items[i].keeper >= 0)
			items[i].group = items[items[i].keeper].group;
	free(idx);
	return groups;
}
