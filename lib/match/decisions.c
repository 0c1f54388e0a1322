/* decisions.c — reading a reviewer's decisions and applying them to one run's items. */
#include "decisions.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* One decision: its checksum lists are runs of d->sums, sorted and without repeats. */
struct dec {
	int op;
	uint32_t a, na;         /* sha256 (keeper, not_duplicate), the As (split), the group */
	uint32_t b, nb;         /* of (not_duplicate), from (split) */
	char *name;             /* keeper: which byte-identical copy keeps, or NULL */
};

/* The cannot-link pairs among the bound items, each pair both ways: item i's partners
 * are nb[off[i] .. off[i+1]).  For components mode, each root's members that have
 * partners, as a list (lazily, at the first dec_apart_joins). */
struct dec_apart {
	size_t n;
	uint32_t *off, *nb;
	uint32_t *head, *tail, *next, *cnt;
};

struct dec_set {
	struct dec *v;
	size_t n, cap;
	unsigned char (*sums)[32];
	size_t nsums, sumcap;
	/* after dec_bind: the items with a checksum, by checksum then index */
	const struct grp_item *items;
	uint32_t *by_sum;
	size_t nby;
	struct dec_apart *ap;
	long applied, unmatched;
};

struct dec_set *dec_new(void)
{
	return calloc(1, sizeof(struct dec_set));
}

size_t dec_count(const struct dec_set *d)
{
	return d->n;
}

int dec_op(const struct dec_set *d, size_t i)
{
	return i < d->n ? d->v[i].op : 0;
}

static void apart_free(struct dec_apart *ap)
{
	if (ap == NULL)
		return;
	free(ap->off);
	free(ap->nb);
	free(ap->head);
	free(ap->tail);
	free(ap->next);
	free(ap->cnt);
	free(ap);
}

void dec_free(struct dec_set *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d->sums);
	free(d->by_sum);
	apart_free(d->ap);
	free(d);
}

static int cmp_sum(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* s as 64 lower-case hex digits into out; -1 when it is not that. */
static int parse_sum(const char *s, unsigned char *out)
{
	for (int i = 0; i < 64; i++) {
		int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] << 4 | v : v);
	}
	return s[64] == '\0' ? 0 : -1;
}

static int add_sum(struct dec_set *d, const unsigned char *s)
{
	if (d->nsums == d->sumcap) {
		size_t cap = d->sumcap ? 2 * d->sumcap : 64;
		void *t = cap > UINT32_MAX ? NULL : realloc(d->sums, cap * sizeof *d->sums);

		if (t == NULL)
			return -1;
		d->sums = t;
		d->sumcap = cap;
	}
	memcpy(d->sums[d->nsums++], s, 32);
	return 0;
}

/* The checksum list of field key (one string, or with list an array of at least one) as a
 * sorted run of d->sums at *at, *n long.  0, or a negative code with why set. */
static int get_sums(struct dec_set *d, json_t *o, const char *key, int list, uint32_t *at,
    uint32_t *n, char *why, size_t wl)
{
	json_t *v = json_object_get(o, key);
	size_t first = d->nsums, m = list ? json_array_size(v) : 1, w;
	unsigned char s[32];

	if (v == NULL) {
		snprintf(why, wl, "\"%s\" missing", key);
		return AD_EFORMAT;
	}
	if (list ? !json_is_array(v) || m == 0 : !json_is_string(v)) {
		snprintf(why, wl, "\"%s\": expected %s", key, list ?
		    "an array of one or more checksums" : "a checksum (64 lower-case hex digits)");
		return AD_EFORMAT;
	}
	for (size_t i = 0; i < m; i++) {
		json_t *e = list ? json_array_get(v, i) : v;

		if (!json_is_string(e) || parse_sum(json_string_value(e), s) < 0) {
			if (list)
				snprintf(why, wl, "\"%s\": item %zu is not a checksum (64 lower-case "
				    "hex digits)", key, i + 1);
			else
				snprintf(why, wl, "\"%s\": not a checksum (64 lower-case hex digits)", key);
			return AD_EFORMAT;
		}
		if (add_sum(d, s) < 0) {
			snprintf(why, wl, "out of memory");
			return AD_ENOMEM;
		}
	}
	qsort(d->sums + first, m, sizeof *d->sums, cmp_sum);
	w = first;
	for (size_t i = first; i < d->nsums; i++)
		if (i == first || memcmp(d->sums[i], d->sums[w - 1], 32) != 0)
			memmove(d->sums[w++], d->sums[i], 32);
	d->nsums = w;
	*at = (uint32_t)first;
	*n = (uint32_t)(d->nsums - first);
	return 0;
}

/* 1 when the sorted runs share a checksum */
static int overlap(const struct dec_set *d, uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
	for (uint32_t i = 0, j = 0; i < na && j < nb; ) {
		int c = memcmp(d->sums[a + i], d->sums[b + j], 32);

		if (c == 0)
			return 1;
		if (c < 0)
			i++;
		else
			j++;
	}
	return 0;
}

/* The op's word, for a message: only when it is plain text. */
static int printable(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int parse_obj(struct dec_set *d, json_t *o, char *why, size_t wl)
{
	static const char *const words[] = { NULL, "keeper", "not_duplicate", "split", "reviewed" };
	json_t *opv = json_object_get(o, "op"), *name;
	struct dec x = {0};
	int rc;

	if (!json_is_string(opv)) {
		snprintf(why, wl, opv == NULL ? "\"op\" missing" : "\"op\": expected a string");
		return AD_EFORMAT;
	}
	for (int i = DEC_KEEPER; i <= DEC_REVIEWED; i++)
		if (strcmp(json_string_value(opv), words[i]) == 0)
			x.op = i;
	if (x.op == 0) {
		if (printable(json_string_value(opv)))
			snprintf(why, wl, "unknown op \"%s\" (expected keeper, not_duplicate, split "
			    "or reviewed)", json_string_value(opv));
		else
			snprintf(why, wl, "unknown op (expected keeper, not_duplicate, split or "
			    "reviewed)");
		return AD_EFORMAT;
	}
	switch (x.op) {
	case DEC_KEEPER:
		if ((rc = get_sums(d, o, "sha256", 0, &x.a, &x.na, why, wl)) < 0)
			return rc;
		name = json_object_get(o, "name");
		if (name != NULL && !json_is_string(name)) {
			snprintf(why, wl, "\"name\": expected a string");
			return AD_EFORMAT;
		}
		if (name != NULL && (x.name = strdup(json_string_value(name))) == NULL) {
			snprintf(why, wl, "out of memory");
			return AD_ENOMEM;
		}
		break;
	case DEC_NOT_DUPLICATE:
	case DEC_SPLIT:
		if ((rc = get_sums(d, o, "sha256", x.op == DEC_SPLIT, &x.a, &x.na, why, wl)) < 0 ||
		    (rc = get_sums(d, o, x.op == DEC_SPLIT ? "from" : "of", x.op == DEC_SPLIT,
		    &x.b, &x.nb, why, wl)) < 0)
			return rc;
		if (overlap(d, x.a, x.na, x.b, x.nb)) {
			snprintf(why, wl, x.op == DEC_SPLIT ? "a checksum on both sides of a split" :
			    "an image cannot be apart from itself (\"sha256\" equals \"of\")");
			return AD_EFORMAT;
		}
		break;
	default:
		if ((rc = get_sums(d, o, "group", 1, &x.a, &x.na, why, wl)) < 0)
			return rc;
		break;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;
		struct dec *t = realloc(d->v, cap * sizeof *t);

		if (t == NULL) {
			free(x.name);
			snprintf(why, wl, "out of memory");
			return AD_ENOMEM;
		}
		d->v = t;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return 0;
}

int dec_parse(struct dec_set *d, const char *file, long lineno, const char *text, size_t len,
    aderr *err)
{
	size_t sums = d->nsums, sp = 0;
	json_error_t je;
	char why[200];
	json_t *o;
	int rc;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	while (sp < len && (text[sp] == ' ' || text[sp] == '\t'))
		sp++;
	if (sp == len)
		return 0;               /* a blank line */
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return aderr_set(err, AD_EFORMAT, "%s:%ld: invalid JSON: %s", file, lineno, je.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return aderr_set(err, AD_EFORMAT, "%s:%ld: not a JSON object", file, lineno);
	}
	rc = parse_obj(d, o, why, sizeof why);
	json_decref(o);
	if (rc < 0) {
		d->nsums = sums;
		return aderr_set(err, rc, "%s:%ld: %s", file, lineno, why);
	}
	return 0;
}

int dec_load(struct dec_set *d, const char *path, aderr *err)
{
	size_t n0 = d->n, s0 = d->nsums, cap = 0;
	FILE *f = fopen(path, "r");
	char *line = NULL;
	long lineno = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0)
		rc = dec_parse(d, path, ++lineno, line, (size_t)len, err);
	if (rc == 0 && ferror(f))
		rc = aderr_errno(err, AD_EIO, errno, "%s", path);
	fclose(f);
	free(line);
	if (rc < 0) {
		/* a file is taken whole or not at all */
		while (d->n > n0)
			free(d->v[--d->n].name);
		d->nsums = s0;
	}
	return rc;
}

static int cmp_item_sum(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = memcmp(items[a].sha256, items[b].sha256, 32);

	return c != 0 ? c : (a > b) - (a < b);
}

/* The bound items with checksum s: by_sum[*lo .. return value). */
static size_t find_sum(const struct dec_set *d, const unsigned char *s, size_t *lo)
{
	size_t l = 0, h = d->nby, e;

	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (memcmp(d->items[d->by_sum[mid]].sha256, s, 32) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	*lo = l;
	for (e = l; e < d->nby && memcmp(d->items[d->by_sum[e]].sha256, s, 32) == 0; e++)
		;
	return e;
}

/* How many of the run's sums[at .. at+n) are in this run. */
static uint32_t present(const struct dec_set *d, uint32_t at, uint32_t n)
{
	uint32_t k = 0;
	size_t lo;

	for (uint32_t i = 0; i < n; i++)
		k += find_sum(d, d->sums[at + i], &lo) > lo;
	return k;
}

struct pair {
	uint32_t a, b;
};

static int cmp_pair(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/* The pairs p[0 .. np), sorted here, as the adjacency of n items (repeats once). */
static struct dec_apart *apart_make(struct pair *p, size_t np, size_t n)
{
	struct dec_apart *ap;
	size_t m = 0;

	qsort(p, np, sizeof *p, cmp_pair);
	for (size_t i = 0; i < np; i++)
		if (m == 0 || p[i].a != p[m - 1].a || p[i].b != p[m - 1].b)
			p[m++] = p[i];
	ap = calloc(1, sizeof *ap);
	if (ap == NULL || (ap->off = calloc(n + 1, sizeof *ap->off)) == NULL ||
	    (ap->nb = malloc((m ? m : 1) * sizeof *ap->nb)) == NULL) {
		apart_free(ap);
		return NULL;
	}
	ap->n = n;
	for (size_t i = 0; i < m; i++) {
		ap->off[p[i].a + 1]++;
		ap->nb[i] = p[i].b;
	}
	for (size_t i = 0; i < n; i++)
		ap->off[i + 1] += ap->off[i];
	return ap;
}

/* Every item with a checksum of one run apart from every item with one of the other,
 * both ways, into *p (np of cap).  With p NULL, only counts. */
static int add_apart(const struct dec_set *d, uint32_t a, uint32_t na, uint32_t b, uint32_t nb,
    struct pair *p, size_t *np)
{
	for (uint32_t i = 0; i < na; i++) {
		size_t alo, ahi = find_sum(d, d->sums[a + i], &alo);

		for (uint32_t j = 0; j < nb && ahi > alo; j++) {
			size_t blo, bhi = find_sum(d, d->sums[b + j], &blo);

			for (size_t x = alo; x < ahi; x++)
				for (size_t y = blo; y < bhi; y++) {
					if (p != NULL) {
						p[*np] = (struct pair){ d->by_sum[x], d->by_sum[y] };
						p[*np + 1] = (struct pair){ d->by_sum[y], d->by_sum[x] };
					}
					*np += 2;
				}
		}
	}
	return 0;
}

static int build_apart(struct dec_set *d, size_t n, aderr *err)
{
	struct pair *p;
	size_t np = 0, m = 0;
	struct dec_apart *ap;

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].op == DEC_NOT_DUPLICATE || d->v[i].op == DEC_SPLIT)
			add_apart(d, d->v[i].a, d->v[i].na, d->v[i].b, d->v[i].nb, NULL, &np);
	if (np == 0)
		return 0;
	if ((p = malloc(np * sizeof *p)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].op == DEC_NOT_DUPLICATE || d->v[i].op == DEC_SPLIT)
			add_apart(d, d->v[i].a, d->v[i].na, d->v[i].b, d->v[i].nb, p, &m);
	ap = apart_make(p, np, n);
	free(p);
	if (ap == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
	d->ap = ap;
	return 0;
}

struct dec_apart *dec_apart_fold(const struct dec_apart *ap, const size_t *to, size_t m,
    aderr *err)
{
	size_t np = 0, total = ap->off[ap->n];
	struct dec_apart *r;
	struct pair *p = malloc((total ? total : 1) * sizeof *p);

	if (p == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
		return NULL;
	}
	for (size_t i = 0; i < ap->n; i++)
		for (uint32_t e = ap->off[i]; e < ap->off[i + 1]; e++)
			if (to[i] != to[ap->nb[e]])
				p[np++] = (struct pair){ (uint32_t)to[i], (uint32_t)to[ap->nb[e]] };
	r = apart_make(p, np, m);
	free(p);
	if (r == NULL)
		aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
	return r;
}

void dec_apart_free(struct dec_apart *ap)
{
	apart_free(ap);
}

int dec_bind(struct dec_set *d, struct grp_item *items, size_t n, struct dec_apart **apart,
    aderr *err)
{
	int rc;

	*apart = NULL;
	free(d->by_sum);
	apart_free(d->ap);
	d->ap = NULL;
	d->items = items;
	d->nby = 0;
	d->applied = d->unmatched = 0;
	if (n > UINT32_MAX - 1)
		return aderr_set(err, AD_ETOOBIG, "too many images for decisions (%zu)", n);
	if ((d->by_sum = malloc((n ? n : 1) * sizeof *d->by_sum)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
	for (size_t i = 0; i < n; i++) {
		items[i].keep_first = 0;
		if (items[i].has_sha256)
			d->by_sum[d->nby++] = (uint32_t)i;
	}
	qsort_r(d->by_sum, d->nby, sizeof *d->by_sum, cmp_item_sum, items);
	for (size_t i = 0; i < d->n; i++) {
		const struct dec *x = &d->v[i];
		int in;

		switch (x->op) {
		case DEC_KEEPER: {
			size_t lo, hi = find_sum(d, d->sums[x->a], &lo);

			in = hi > lo;
			/* later decisions rank first; among copies, the one named */
			for (size_t k = lo; k < hi; k++)
				items[d->by_sum[k]].keep_first = 2 * (long)(i + 1) + (x->name != NULL &&
				    strcmp(items[d->by_sum[k]].name, x->name) == 0);
			break;
		}
		case DEC_REVIEWED:
			in = present(d, x->a, x->na) == x->na;
			break;
		default:        /* not_duplicate, split: one of each side */
			in = present(d, x->a, x->na) > 0 && present(d, x->b, x->nb) > 0;
			break;
		}
		if (in)
			d->applied++;
		else
			d->unmatched++;
	}
	if ((rc = build_apart(d, n, err)) < 0)
		return rc;
	*apart = d->ap;
	return 0;
}

/* Grouped items by group, then checksum (the ones without last). */
static int cmp_group(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	const struct grp_item *a = &items[*(const uint32_t *)pa], *b = &items[*(const uint32_t *)pb];

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->has_sha256 != b->has_sha256)
		return a->has_sha256 ? -1 : 1;
	return memcmp(a->sha256, b->sha256, 32);
}

/* 1 when group g (its members v[lo .. hi)) holds exactly the checksums of decision x */
static int same_set(const struct dec_set *d, const struct grp_item *items, const uint32_t *v,
    size_t lo, size_t hi, const struct dec *x)
{
	uint32_t k = 0;

	for (size_t i = lo; i < hi; i++) {
		const struct grp_item *it = &items[v[i]];

		if (!it->has_sha256)
			return 0;
		if (i > lo && memcmp(it->sha256, items[v[i - 1]].sha256, 32) == 0)
			continue;
		if (k == x->na || memcmp(it->sha256, d->sums[x->a + k], 32) != 0)
			return 0;
		k++;
	}
	return k == x->na;
}

int dec_finish(struct dec_set *d, struct grp_item *items, size_t n, struct dec_counts *c,
    aderr *err)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof *v);
	size_t m = 0;

	memset(c, 0, sizeof *c);
	c->total = (long)d->n;
	c->applied = d->applied;
	c->unmatched = d->unmatched;
	if (v == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory applying the decisions");
	for (size_t i = 0; i < n; i++) {
		items[i].reviewed = 0;
		if (items[i].group > 0)
			v[m++] = (uint32_t)i;
		if (items[i].apart_from >= 0)
			c->released++;
		if (items[i].group > 0 && items[i].keeper == (long)i && items[i].kept_by == KEEP_DECISION)
			c->keepers++;
	}
	qsort_r(v, m, sizeof *v, cmp_group, items);
	for (size_t i = 0; i < d->n; i++) {
		const struct dec *x = &d->v[i];
		size_t lo, hi;

		if (x->op != DEC_REVIEWED)
			continue;
		hi = find_sum(d, d->sums[x->a], &lo);
		/* the groups the first checksum is in (its copies may be in more than one) */
		for (size_t k = lo; k < hi; k++) {
			const struct grp_item *it = &items[d->by_sum[k]];
			size_t gl = 0, gh = m;

			if (it->group <= 0 || items[it->keeper].reviewed)
				continue;
			while (gl < gh) {
				size_t mid = gl + (gh - gl) / 2;

				if (items[v[mid]].group < it->group)
					gl = mid + 1;
				else
					gh = mid;
			}
			for (gh = gl; gh < m && items[v[gh]].group == it->group; gh++)
				;
			if (same_set(d, items, v, gl, gh, x)) {
				items[it->keeper].reviewed = 1;
				c->reviewed++;
			}
		}
	}
	free(v);
	return 0;
}

static size_t find(size_t *up, size_t x)
{
	while (up[x] != x) {
		up[x] = up[up[x]];
		x = up[x];
	}
	return x;
}

int dec_apart_refuses(const struct dec_apart *ap, const struct grp_item *items, size_t k,
    size_t j)
{
	for (uint32_t e = ap->off[j]; e < ap->off[j + 1]; e++)
		if (ap->nb[e] == k || items[ap->nb[e]].keeper == (long)k)
			return 1;
	return 0;
}

int dec_apart_joins(struct dec_apart *ap, size_t *up, size_t x, size_t y)
{
	if (ap->cnt == NULL) {
		size_t n = ap->n ? ap->n : 1;

		ap->head = malloc(n * sizeof *ap->head);
		ap->tail = malloc(n * sizeof *ap->tail);
		ap->next = malloc(n * sizeof *ap->next);
		ap->cnt = malloc(n * sizeof *ap->cnt);
		if (ap->head == NULL || ap->tail == NULL || ap->next == NULL || ap->cnt == NULL) {
			free(ap->head);
			free(ap->tail);
			free(ap->next);
			free(ap->cnt);
			ap->head = ap->tail = ap->next = ap->cnt = NULL;
			return AD_ENOMEM;
		}
		for (size_t i = 0; i < ap->n; i++) {
			ap->cnt[i] = ap->off[i + 1] > ap->off[i];
			ap->head[i] = ap->tail[i] = ap->cnt[i] ? (uint32_t)i : NONE;
			ap->next[i] = NONE;
		}
	}
	if (ap->cnt[x] == 0 || ap->cnt[y] == 0)
		return 0;
	if (ap->cnt[x] > ap->cnt[y]) {
		size_t t = x;

		x = y;
		y = t;
	}
	/* the members with partners on the smaller side: is one's partner on the other? */
	for (uint32_t f = ap->head[x]; f != NONE; f = ap->next[f])
		for (uint32_t e = ap->off[f]; e < ap->off[f + 1]; e++)
			if (find(up, ap->nb[e]) == y)
				return 1;
	return 0;
}

void dec_apart_union(struct dec_apart *ap, size_t x, size_t y)
{
	if (ap == NULL || ap->cnt == NULL || ap->cnt[y] == 0)
		return;
	if (ap->cnt[x] == 0)
		ap->head[x] = ap->head[y];
	else
		ap->next[ap->tail[x]] = ap->head[y];
	ap->tail[x] = ap->tail[y];
	ap->cnt[x] += ap->cnt[y];
	ap->cnt[y] = 0;
}
