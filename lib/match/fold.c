/* fold.c — grouping with byte-identical copies folded: one item per content.
 *
 * A backup holds every file several times.  Searched and checked one by one, the copies
 * of a picture would count as neighbours of every picture near it, so each
 * neighbourhood would look crowded (group.c: crowded()), every near pair would go to the
 * keypoints, and a hash match no keypoints can see would be lost.  So grp_run_stats sets
 * the copies aside: the items are told apart by content (the checksum, as same_bytes()
 * compares them), the best ranked copy of each content stands for it
 * (grp_run_distinct groups these representatives), and then every other copy follows its
 * representative: into the representative's group as an exact copy when the
 * representative keeps, or beside it with its stage, distances and evidence when it is a
 * member (the copy matches the keeper as its representative does); a representative in
 * no group keeps its copies in a group of exact copies.  Finding the copies is one pass
 * over a hash table: a collection without any costs that pass and nothing else.
 *
 * A reviewer's decisions (decisions.h) name checksums, so they hold for every copy of a
 * content alike, and the representative carries them: a keeper decision ranks its
 * copies first, the one it names before the others, so that one represents them and
 * keeps; the cannot-link pairs are renamed onto the representatives the search sees (a
 * pair within one content cannot be written: the decisions file refuses an image apart
 * from itself), and a copy is released from the group its representative was kept out
 * of, with it.  --trace-pairs names the representatives' places in items. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decisions.h"
#include "group.h"
#include "hash.h"

/* Which kind of checksum an item is folded by: the sha256, else the listing's
 * Content-MD5 with the size, else none (never folded). */
static int sum_kind(const struct grp_item *it)
{
	return it->has_sha256 ? 0 : it->content_md5[0] != '\0' ? 1 : 2;
}

/* 1 when two items hold the same bytes by the checksum of their kind (never for items
 * without one). */
static int same_content(const struct grp_item *a, const struct grp_item *b)
{
	int k = sum_kind(a);

	if (k != sum_kind(b) || k == 2)
		return 0;
	if (k == 0)
		return memcmp(a->sha256, b->sha256, sizeof a->sha256) == 0;
	return strcmp(a->content_md5, b->content_md5) == 0 && a->size == b->size;
}

/* Where an item's content starts its search in a table of mask + 1 slots. */
static size_t content_slot(const struct grp_item *it, size_t mask)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (it->has_sha256) {
		memcpy(&h, it->sha256, sizeof h);
	} else {
		for (const char *c = it->content_md5; *c != '\0'; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
		h ^= (uint64_t)it->size;
	}
	h ^= h >> 31;
	h *= 0x7fb5d329728ea185ULL;
	h ^= h >> 27;
	return (size_t)h & mask;
}

/* rep[i]: the representative of item i's content, the best ranked of its copies (itself
 * when it is one), by a hash table over the checksums.  The number of representatives,
 * or 0 when out of memory. */
static size_t find_reps(const struct grp_item *items, size_t n, const struct grp_opts *o,
    size_t *rep)
{
	size_t cap = 16, mask, nr = n, *slot;

	while (cap < 2 * n)
		cap *= 2;
	mask = cap - 1;
	if ((slot = malloc(cap * sizeof *slot)) == NULL)
		return 0;
	for (size_t s = 0; s < cap; s++)
		slot[s] = SIZE_MAX;
	/* each content's slot ends up holding its best-ranked copy */
	for (size_t i = 0; i < n; i++) {
		size_t s;
		int key;

		rep[i] = i;
		if (sum_kind(&items[i]) == 2)
			continue;
		for (s = content_slot(&items[i], mask); slot[s] != SIZE_MAX &&
		    !same_content(&items[slot[s]], &items[i]); s = (s + 1) & mask)
			;
		if (slot[s] == SIZE_MAX) {
			slot[s] = i;
			continue;
		}
		nr--;
		if (grp_rank(items, i, slot[s], o, &key) < 0)
			slot[s] = i;
	}
	for (size_t i = 0; i < n && nr < n; i++) {
		size_t s;

		if (sum_kind(&items[i]) == 2)
			continue;
		for (s = content_slot(&items[i], mask); !same_content(&items[slot[s]], &items[i]);
		    s = (s + 1) & mask)
			;
		rep[i] = slot[s];
	}
	free(slot);
	return nr;
}

/* Keepers by name, then place: the order groups are numbered in. */
static int cmp_keeper_name(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int r = strcmp(items[a].name, items[b].name);

	return r != 0 ? r : (a > b) - (a < b);
}

/* Copy c of keeper k joins k's group as an exact copy, as grp_run_distinct would put it
 * (the distances measured, no orientation, no other evidence). */
static void take_exact(struct grp_item *items, size_t k, size_t c)
{
	struct grp_item *it = &items[c];

	it->keeper = (long)k;
	it->stage = GRP_EXACT;
	it->dist[0] = hash_hamming(items[k].phash, it->phash);
	it->dist[1] = hash_hamming(items[k].dhash, it->dhash);
	it->dist[2] = hash_hamming(items[k].whash, it->whash);
	it->orient = 1;
	it->inliers = 0;
	it->matches = 0;
	it->cover = 0;
	it->margin = GRP_MARGIN_OPEN;
	it->color_diff = -1;
	it->verified = 0;
	it->captioned = it->caption_miss = 0;
	it->apart_from = items[k].apart_from;
	items[k].count++;
}

/* How src joined its group (stage, distances, orientation, the keypoints' and the
 * neighbourhood's figures, a caption read past) onto dst: a copy joins as its
 * representative did. */
static void same_match(struct grp_item *dst, const struct grp_item *src)
{
	dst->stage = src->stage;
	memcpy(dst->dist, src->dist, sizeof dst->dist);
	dst->orient = src->orient;
	dst->inliers = src->inliers;
	dst->matches = src->matches;
	dst->cover = src->cover;
	dst->margin = src->margin;
	dst->color_diff = src->color_diff;
	dst->verified = src->verified;
	dst->captioned = src->captioned;
	dst->caption_miss = src->caption_miss;
}

/* Copy c of member m follows m: the same keeper, stage, distances and evidence. */
static void take_beside(struct grp_item *items, size_t m, size_t c)
{
	struct grp_item *it = &items[c];
	const struct grp_item *r = &items[m];

	it->keeper = r->keeper;
	same_match(it, r);
	it->apart_from = r->apart_from;
	it->via = r->via;
	it->via_kp = r->via_kp;
	items[r->keeper].count++;
}

/* The results of representative r (its place in items: at[r]) back into items, with
 * the keeper as a place in items. */
static void put_back(struct grp_item *items, const struct grp_item *reps, const size_t *at,
    size_t r)
{
	struct grp_item *it = &items[at[r]];
	const struct grp_item *x = &reps[r];

	it->keeper = x->keeper >= 0 ? (long)at[x->keeper] : -1;
	same_match(it, x);
	it->count = x->count;
	it->kept_by = x->kept_by;
	it->runner_up = x->runner_up >= 0 ? (long)at[x->runner_up] : -1;
	it->apart_from = x->apart_from >= 0 ? (long)at[x->apart_from] : -1;
	it->via = x->via >= 0 ? (long)at[x->via] : -1;
	it->via_kp = x->via_kp;
	it->center = x->center;
}

/* grp_opts.trace for the run over the representatives: the pair as places in items. */
struct fold_trace {
	const struct grp_opts *o;
	const size_t *at;
};

static void trace_back(void *ud, const struct grp_trace *t)
{
	const struct fold_trace *ft = ud;
	struct grp_trace x = *t;

	x.a = ft->at[t->a];
	x.b = ft->at[t->b];
	ft->o->trace(ft->o->trace_ud, &x);
}

long grp_run_stats(struct grp_item *items, size_t n, const struct grp_opts *o,
    struct grp_stats *st, aderr *err)
{
	struct grp_item *reps = NULL;
	size_t *v = NULL, *at = NULL, *rep = NULL, nr = 0, nk = 0, low = 0;
	struct grp_opts fo = *o;
	struct fold_trace ft = { o, NULL };
	long groups;

	if (n < 2)
		return grp_run_distinct(items, n, o, st, err);
	for (size_t i = 0; i < n; i++)
		items[i].center = INT_MAX;    /* none known before the pairs (KEEP_CENTER) */
	if ((rep = malloc(n * sizeof *rep)) == NULL || (nr = find_reps(items, n, o, rep)) == 0) {
		free(rep);
		return aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
	}
	if (nr == n) {
		/* no copies: nothing to fold */
		free(rep);
		return grp_run_distinct(items, n, o, st, err);
	}
	/* the representatives in input order; at[r]: representative r's place in items */
	fo.apart = NULL;
	reps = malloc(nr * sizeof *reps);
	at = malloc(nr * sizeof *at);
	v = malloc(n * sizeof *v);
	if (reps == NULL || at == NULL || v == NULL) {
		groups = aderr_set(err, AD_ENOMEM, "out of memory grouping %zu images", n);
		goto out;
	}
	/* v[i]: the place of item i's representative among them */
	nr = 0;
	for (size_t i = 0; i < n; i++)
		if (rep[i] == i) {
			reps[nr] = items[i];
			v[i] = nr;
			at[nr++] = i;
		}
	for (size_t i = 0; i < n; i++)
		v[i] = v[rep[i]];
	/* the decisions' cannot-link pairs and the trace over the representatives */
	if (o->apart != NULL && (fo.apart = dec_apart_fold(o->apart, v, nr, err)) == NULL) {
		groups = AD_ENOMEM;
		goto out;
	}
	ft.at = at;
	if (o->trace != NULL) {
		fo.trace = trace_back;
		fo.trace_ud = &ft;
	}
	if ((groups = grp_run_distinct(reps, nr, &fo, st, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		items[i].group = 0;
		items[i].keeper = -1;
		items[i].stage = GRP_NONE;
		items[i].count = 0;
		items[i].runner_up = -1;
		items[i].kept_by = 0;
		items[i].apart_from = -1;
		items[i].via = -1;
		items[i].via_kp = 0;
		items[i].reviewed = 0;
		low += items[i].low_info != 0;
	}
	for (size_t r = 0; r < nr; r++)
		put_back(items, reps, at, r);
	/* a copy lies where its representative does (KEEP_CENTER): only that one had pairs */
	for (size_t i = 0; i < n; i++)
		items[i].center = items[rep[i]].center;
	/* the copies follow their representatives; one in no group keeps its copies */
	for (size_t i = 0; i < n; i++) {
		size_t r = rep[i];

		if (r == i)
			continue;
		if (items[r].keeper < 0) {
			items[r].keeper = (long)r;
			items[r].count = 1;
		}
		if (items[r].keeper == (long)r)
			take_exact(items, r, i);
		else
			take_beside(items, r, i);
	}
	/* a keeper's best-ranked member may now be a copy of it; why it was kept is said
	 * against that one (a keeper by a reviewer's decision stays one by decision) */
	for (size_t i = 0; i < n; i++) {
		long k = items[i].keeper;
		int key;

		if (rep[i] == i || k < 0 || (size_t)k == i)
			continue;
		if (items[k].runner_up < 0 || grp_rank(items, i, (size_t)items[k].runner_up, o,
		    &key) < 0) {
			items[k].runner_up = (long)i;
			grp_rank(items, (size_t)k, i, o, &key);
			items[k].kept_by = (int8_t)(items[k].keep_first > 0 ? KEEP_DECISION : key);
		}
	}
	/* number the groups in keeper-name order */
	for (size_t i = 0; i < n; i++)
		if (items[i].keeper == (long)i)
			v[nk++] = i;
	qsort_r(v, nk, sizeof *v, cmp_keeper_name, items);
	for (size_t g = 0; g < nk; g++)
		items[v[g]].group = (long)g + 1;
	for (size_t i = 0; i < n; i++)
		if (items[i].keeper >= 0)
			items[i].group = items[items[i].keeper].group;
	groups = (long)nk;
	/* each copy set aside was one candidate pair, compared with its representative */
	st->candidates += n - nr;
	st->compared += n - nr;
	st->low_info = low;
out:
	dec_apart_free(fo.apart);
	free(v);
	free(rep);
	free(reps);
	free(at);
	return groups;
}
