/* featmemo.c — features already computed in this run, by content (featmemo.h). */
#include "featmemo.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "features.h"

struct ent {
	struct feat f;          /* the copy, keyed by f.sha256 */
	size_t cost;
	struct ent *chain;      /* the next entry of its bucket */
	struct ent *younger;    /* the next entry put after this one */
};

struct feat_memo {
	pthread_mutex_t mu;
	size_t budget;
	struct ent **bucket;
	size_t nbucket;         /* a power of two */
	struct ent *oldest, *youngest;
	struct feat_memo_stats st;
};

size_t feat_memo_cost(const struct feat *f)
{
	return sizeof(struct ent) + f->local_len + f->ink_len + (f->thumb != NULL ? strlen(f->thumb) + 1 : 0);
}

struct feat_memo *feat_memo_new(size_t budget)
{
	struct feat_memo *m;
	size_t most;

	if (budget == 0 || (m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	/* a bucket for every entry the budget could hold, were they all bare */
	most = budget / sizeof(struct ent);
	m->nbucket = 64;
	while (m->nbucket < most && m->nbucket < ((size_t)1 << 24))
		m->nbucket <<= 1;
	if ((m->bucket = calloc(m->nbucket, sizeof *m->bucket)) == NULL ||
	    pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m->bucket);
		free(m);
		return NULL;
	}
	m->budget = budget;
	return m;
}

static size_t slot(const struct feat_memo *m, const unsigned char sha256[32])
{
	uint64_t h;

	memcpy(&h, sha256, sizeof h);   /* a checksum's bytes are spread evenly already */
	return (size_t)h & (m->nbucket - 1);
}

static struct ent **find(struct feat_memo *m, const unsigned char sha256[32])
{
	struct ent **p = &m->bucket[slot(m, sha256)];

	while (*p != NULL && memcmp((*p)->f.sha256, sha256, 32) != 0)
		p = &(*p)->chain;
	return p;
}

/* a copy of s in *d, its keypoints and thumbnail duplicated; -1 out of memory (d unset) */
static int copy_feat(struct feat *d, const struct feat *s)
{
	unsigned char *local = NULL, *ink = NULL;
	char *thumb = NULL;

	if (s->local != NULL && (local = malloc(s->local_len > 0 ? s->local_len : 1)) == NULL)
		return -1;
	if (s->ink != NULL && (ink = malloc(s->ink_len > 0 ? s->ink_len : 1)) == NULL) {
		free(local);
		return -1;
	}
	if (s->thumb != NULL && (thumb = strdup(s->thumb)) == NULL) {
		free(local);
		free(ink);
		return -1;
	}
	if (local != NULL)
		memcpy(local, s->local, s->local_len);
	if (ink != NULL)
		memcpy(ink, s->ink, s->ink_len);
	*d = *s;
	d->local = local;
	d->ink = ink;
	d->thumb = thumb;
	return 0;
}

int feat_memo_get(struct feat_memo *m, const unsigned char sha256[32], struct feat *f)
{
	struct ent *e;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	if ((e = *find(m, sha256)) == NULL)
		m->st.misses++;
	else if (copy_feat(f, &e->f) < 0)
		rc = AD_ENOMEM;
	else {
		m->st.hits++;
		rc = 1;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

/* drops the oldest entry; the memo's mutex held */
static void drop_oldest(struct feat_memo *m)
{
	struct ent *e = m->oldest, **p = find(m, e->f.sha256);

	*p = e->chain;
	m->oldest = e->younger;
	if (m->oldest == NULL)
		m->youngest = NULL;
	m->st.held -= e->cost;
	m->st.entries--;
	m->st.evicted++;
	feat_clear(&e->f);
	free(e);
}

void feat_memo_put(struct feat_memo *m, const struct feat *f)
{
	size_t cost = feat_memo_cost(f);
	struct ent *e, **p;

	if (cost > m->budget || (e = calloc(1, sizeof *e)) == NULL)
		return;
	if (copy_feat(&e->f, f) < 0) {
		free(e);
		return;
	}
	e->cost = cost;
	pthread_mutex_lock(&m->mu);
	if (*find(m, f->sha256) != NULL) {
		pthread_mutex_unlock(&m->mu);
		feat_clear(&e->f);
		free(e);
		return;
	}
	while (m->st.held + cost > m->budget)
		drop_oldest(m);
	p = find(m, f->sha256);   /* the drops may have changed the chain's end */
	*p = e;
	if (m->youngest != NULL)
		m->youngest->younger = e;
	else
		m->oldest = e;
	m->youngest = e;
	m->st.held += cost;
	m->st.entries++;
	m->st.kept++;
	pthread_mutex_unlock(&m->mu);
}

void feat_memo_stats(struct feat_memo *m, struct feat_memo_stats *st)
{
	if (m == NULL) {
		memset(st, 0, sizeof *st);
		return;
	}
	pthread_mutex_lock(&m->mu);
	*st = m->st;
	pthread_mutex_unlock(&m->mu);
}

void feat_memo_free(struct feat_memo *m)
{
	struct ent *e, *next;

	if (m == NULL)
		return;
	for (e = m->oldest; e != NULL; e = next) {
		next = e->younger;
		feat_clear(&e->f);
		free(e);
	}
	pthread_mutex_destroy(&m->mu);
	free(m->bucket);
	free(m);
}
