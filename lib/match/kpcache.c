/* kpcache.c — packed keypoint sets in an unlinked spill file, unpacked ones in an LRU.
 *
 * The index is two arrays over ids: off (count + 1 file offsets; set i is the bytes
 * off[i] .. off[i + 1]) and slot (index + 1 into ents of the resident entry, 0 for none).
 * An entry is created on a miss in the LOADING state with the missing thread's
 * reference, so that others missing on the same id wait on `loaded` instead of reading
 * it again; the read and unpack happen outside the mutex.  Entries nobody holds sit on
 * the LRU list, and only those are evicted. */
#include "kpcache.h"
#include "ink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends go through a write buffer that always holds one whole packed set. */
#define WBUF_SIZE (256 * 1024)
_Static_assert(WBUF_SIZE >= KP_PACKED_HEAD + KP_MAX * KP_PACKED_SIZE,
    "the write buffer must hold the largest packed set");

/* Reads of sets up to this size use a buffer on the stack (128 keypoints take 4869). */
#define RBUF_STACK 8192

enum { ENT_LOADING, ENT_READY, ENT_FAILED };

struct ent {
	struct kp_set set;
	uint32_t id;
	uint32_t refs;          /* gets not yet put, the loading thread's included */
	int state;              /* ENT_*; when ENT_FAILED, err is the code */
	int err;
	size_t cost;            /* kpcache_set_cost(set.n) once ready, and the grids */
	uint8_t *ink;           /* set.ink unpacked (set.ink_cells), or NULL */
	struct ent *prev, *next;/* on the LRU, most recent first, when ready and refs == 0;
	                         * next also chains entries to free after unlocking */
};

struct kpcache {
	pthread_mutex_t mu;
	pthread_cond_t loaded;  /* some entry left ENT_LOADING */
	int fd;
	char *dir;              /* for messages */
	size_t budget;
	int maxkp;

	uint64_t *off;
	uint32_t *slot;
	uint32_t count, cap;

	unsigned char *wbuf;    /* wlen bytes that belong at offset flushed */
	size_t wlen;
	uint64_t flushed;

	struct ent **ents;      /* resident entries; NULL where free */
	uint32_t *freeidx;      /* stack of free indexes into ents */
	uint32_t nents, nfree, entcap;

	struct ent *head, *tail;/* the LRU */
	struct kpcache_stats st;
};

size_t kpcache_set_cost(int n)
{
	return sizeof(struct ent) + (n > 0 ? (size_t)n : 0) * sizeof(struct kp) +
	    sizeof(struct ent *) + sizeof(uint32_t);
}

static int packed_ok(const unsigned char *b, size_t len)
{
	return kp_packed_count(b, len) >= 0;
}

struct kpcache *kpcache_open(size_t budget_bytes, int max_keypoints, const char *tmpdir,
    aderr *err)
{
	struct kpcache *c;
	char *path = NULL;
	size_t plen;

	if (max_keypoints < 0) {
		aderr_set(err, AD_EUSAGE, "keypoint cache: negative keypoint limit %d", max_keypoints);
		return NULL;
	}
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if ((c = calloc(1, sizeof *c)) == NULL) {
		aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
		return NULL;
	}
	c->fd = -1;
	c->budget = budget_bytes;
	c->maxkp = max_keypoints;
	plen = strlen(tmpdir) + sizeof "/azdedup-kp.XXXXXX";
	if ((c->dir = strdup(tmpdir)) == NULL || (path = malloc(plen)) == NULL ||
	    (c->wbuf = malloc(WBUF_SIZE)) == NULL || (c->off = calloc(1, sizeof *c->off)) == NULL) {
		free(path);
		free(c->wbuf);
		free(c->dir);
		free(c);
		aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
		return NULL;
	}
	snprintf(path, plen, "%s/azdedup-kp.XXXXXX", tmpdir);
	if ((c->fd = mkostemp(path, O_CLOEXEC)) < 0)
		aderr_errno(err, aderr_from_errno(errno), errno,
		    "keypoint spill file in %s: cannot create", tmpdir);
	else if (unlink(path) < 0) {
		/* a file we cannot remove would outlive us: refuse rather than leave it */
		aderr_errno(err, AD_EIO, errno, "keypoint spill file in %s: cannot unlink %s",
		    tmpdir, path);
		close(c->fd);
		c->fd = -1;
	} else if (pthread_mutex_init(&c->mu, NULL) != 0) {
		aderr_set(err, AD_EINTERNAL, "keypoint cache: cannot create a mutex");
		close(c->fd);
		c->fd = -1;
	} else if (pthread_cond_init(&c->loaded, NULL) != 0) {
		aderr_set(err, AD_EINTERNAL, "keypoint cache: cannot create a condition variable");
		pthread_mutex_destroy(&c->mu);
		close(c->fd);
		c->fd = -1;
	}
	free(path);
	if (c->fd < 0) {
		free(c->off);
		free(c->wbuf);
		free(c->dir);
		free(c);
		return NULL;
	}
	return c;
}

/* Writes the buffer out; on failure what was written counts and the rest stays
 * buffered for a later try. */
static int flush_locked(struct kpcache *c, aderr *err)
{
	size_t done = 0;
	int rc = 0;

	while (rc == 0 && done < c->wlen) {
		ssize_t w = pwrite(c->fd, c->wbuf + done, c->wlen - done, (off_t)(c->flushed + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = aderr_errno(err, AD_EIO, errno, "keypoint spill file in %s: cannot write",
			    c->dir);
		else if (w == 0)
			rc = aderr_set(err, AD_EIO, "keypoint spill file in %s: cannot write at offset "
			    "%llu", c->dir, (unsigned long long)(c->flushed + done));
		else
			done += (size_t)w;
	}
	memmove(c->wbuf, c->wbuf + done, c->wlen - done);
	c->wlen -= done;
	c->flushed += done;
	return rc;
}

static int grow_index_locked(struct kpcache *c)
{
	uint32_t ncap = c->cap ? (c->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : c->cap * 2) : 1024;
	uint64_t *off;
	uint32_t *slot;

	if ((off = realloc(c->off, ((size_t)ncap + 1) * sizeof *off)) == NULL)
		return -1;
	c->off = off;
	if ((slot = realloc(c->slot, (size_t)ncap * sizeof *slot)) == NULL)
		return -1;
	memset(slot + c->cap, 0, (size_t)(ncap - c->cap) * sizeof *slot);
	c->slot = slot;
	c->cap = ncap;
	return 0;
}

int kpcache_add(struct kpcache *c, const void *packed, size_t len, uint32_t *id, aderr *err)
{
	int rc = 0;

	if (packed == NULL || !packed_ok(packed, len))
		return aderr_set(err, AD_EFORMAT, "keypoint cache: not a keypoint packing (%zu bytes)",
		    len);
	pthread_mutex_lock(&c->mu);
	if (c->count >= UINT32_MAX - 1)
		rc = aderr_set(err, AD_ETOOBIG, "keypoint cache: more than %u sets", c->count);
	else if (c->count == c->cap && grow_index_locked(c) < 0)
		rc = aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
	else if (c->wlen + len > WBUF_SIZE)
		rc = flush_locked(c, err);
	if (rc == 0) {
		memcpy(c->wbuf + c->wlen, packed, len);
		c->wlen += len;
		c->off[c->count + 1] = c->off[c->count] + len;
		c->st.spilled += len;
		if (id != NULL)
			*id = c->count;
		c->count++;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static void lru_unlink(struct kpcache *c, struct ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct kpcache *c, struct ent *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

static void unmap_locked(struct kpcache *c, struct ent *e)
{
	uint32_t i = c->slot[e->id] - 1;

	c->slot[e->id] = 0;
	c->ents[i] = NULL;
	c->freeidx[c->nfree++] = i;
	c->st.resident--;
}

/* Evicts least recently used sets until extra more bytes fit the budget or nothing
 * unused is left; the victims go on *victims, to be freed after unlocking. */
static void evict_locked(struct kpcache *c, size_t extra, struct ent **victims)
{
	while (c->st.held + extra > c->budget && c->tail != NULL) {
		struct ent *v = c->tail;

		lru_unlink(c, v);
		unmap_locked(c, v);
		c->st.held -= v->cost;
		c->st.evictions++;
		v->next = *victims;
		*victims = v;
	}
}

static void free_ents(struct ent *e)
{
	while (e != NULL) {
		struct ent *next = e->next;

		kp_free(&e->set);
		free(e->ink);
		free(e);
		e = next;
	}
}

/* A new entry for id, mapped, in ENT_LOADING with one reference; NULL when out of memory. */
static struct ent *new_ent_locked(struct kpcache *c, uint32_t id)
{
	struct ent *e;
	uint32_t i;

	if (c->nfree == 0 && c->nents == c->entcap) {
		uint32_t ncap = c->entcap ? c->entcap * 2 : 64;
		struct ent **ents;
		uint32_t *freeidx;

		if (c->entcap > UINT32_MAX / 2)
			return NULL;
		if ((ents = realloc(c->ents, (size_t)ncap * sizeof *ents)) == NULL)
			return NULL;
		c->ents = ents;
		if ((freeidx = realloc(c->freeidx, (size_t)ncap * sizeof *freeidx)) == NULL)
			return NULL;
		c->freeidx = freeidx;
		c->entcap = ncap;
	}
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	i = c->nfree > 0 ? c->freeidx[--c->nfree] : c->nents++;
	c->ents[i] = e;
	c->slot[id] = i + 1;
	e->id = id;
	e->refs = 1;
	e->state = ENT_LOADING;
	c->st.resident++;
	c->st.in_use++;
	return e;
}

/* Reads len bytes of set id at offset o and unpacks them into e->set; no lock held. */
static int load(struct kpcache *c, struct ent *e, uint64_t o, size_t len, aderr *err)
{
	unsigned char stackbuf[RBUF_STACK], *b = stackbuf;
	size_t got = 0, head;
	int rc = 0;

	if (len > sizeof stackbuf && (b = malloc(len)) == NULL)
		return aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
	while (rc == 0 && got < len) {
		ssize_t r = pread(c->fd, b + got, len - got, (off_t)(o + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = aderr_errno(err, AD_EIO, errno, "keypoint spill file in %s: cannot read "
			    "set %u", c->dir, e->id);
		else if (r == 0)
			rc = aderr_set(err, AD_ETRUNC, "keypoint spill file in %s: short read of set %u "
			    "(%zu of %zu bytes at offset %llu)", c->dir, e->id, got, len,
			    (unsigned long long)o);
		else
			got += (size_t)r;
	}
	if (rc == 0 && c->maxkp > 0 && (head = kp_packed_head(b, len)) > 0 &&
	    len > head + (size_t)c->maxkp * KP_PACKED_SIZE)
		len = head + (size_t)c->maxkp * KP_PACKED_SIZE;
	if (rc == 0 && !packed_ok(b, len))
		rc = aderr_set(err, AD_EFORMAT, "keypoint spill file in %s: set %u is corrupt",
		    c->dir, e->id);
	if (rc == 0 && kp_unpack(b, len, &e->set) < 0)
		rc = aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
	/* keypoints.h promises a zero response after unpacking; kp_unpack leaves it unset */
	for (int i = 0; rc == 0 && i < e->set.n; i++)
		e->set.kp[i].response = 0;
	/* a page's ink unpacked once, here, rather than by every pair that reads it (an
	 * inflate of up to 64 KB each time); a packing that does not unpack is left to the
	 * reader, which turns it down as before */
	if (rc == 0 && e->set.ink != NULL) {
		int w, h;

		if (ink_size(e->set.ink, e->set.inklen, &w, &h) == 0) {
			if ((e->ink = malloc((size_t)w * (size_t)h)) == NULL)
				rc = aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
			else if (ink_unpack(e->set.ink, e->set.inklen, e->ink, &w, &h) == 0) {
				e->set.ink_cells = e->ink;
				e->set.ink_w = w;
				e->set.ink_h = h;
			} else {
				free(e->ink);
				e->ink = NULL;
			}
		}
	}
	if (b != stackbuf)
		free(b);
	return rc;
}

int kpcache_get(struct kpcache *c, uint32_t id, const struct kp_set **out, aderr *err)
{
	struct ent *e, *victims = NULL;
	uint64_t o;
	size_t len, cut;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->mu);
	if (id >= c->count) {
		uint32_t n = c->count;

		pthread_mutex_unlock(&c->mu);
		return aderr_set(err, AD_ENOENT, "keypoint cache: no set %u (%u added)", id, n);
	}
	if (c->slot[id] != 0) {
		e = c->ents[c->slot[id] - 1];
		if (e->refs++ == 0) {   /* loading entries always hold a reference */
			lru_unlink(c, e);
			c->st.in_use++;
		}
		while (e->state == ENT_LOADING)
			pthread_cond_wait(&c->loaded, &c->mu);
		if (e->state == ENT_FAILED) {
			rc = e->err;
			if (--e->refs != 0)
				e = NULL;
			pthread_mutex_unlock(&c->mu);
			free_ents(e);
			return aderr_set(err, rc, "keypoint cache: set %u: %s reading it in another "
			    "thread", id, aderr_name(rc));
		}
		c->st.hits++;
		*out = &e->set;
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	o = c->off[id];
	len = (size_t)(c->off[id + 1] - o);
	if (o + len > c->flushed && (rc = flush_locked(c, err)) < 0) {
		pthread_mutex_unlock(&c->mu);
		return rc;
	}
	if ((e = new_ent_locked(c, id)) == NULL) {
		pthread_mutex_unlock(&c->mu);
		return aderr_set(err, AD_ENOMEM, "keypoint cache: out of memory");
	}
	c->st.misses++;
	pthread_mutex_unlock(&c->mu);

	/* keypoints are packed strongest first: the strongest K are a prefix (of what
	 * follows the header: load cuts again once it knows the header's size) */
	cut = KP_PACKED_HEAD + 2 * KP_DETAIL_BYTES + KP_CHROMA_BYTES + KP_FINE_BYTES + 4 +
	    INK_MAX_PACKED + (size_t)c->maxkp * KP_PACKED_SIZE;
	if (c->maxkp > 0 && len > cut)
		len = cut;
	rc = load(c, e, o, len, err);

	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		e->cost = kpcache_set_cost(e->set.n) + (e->set.detail ? KP_DETAIL_BYTES : 0) +
		    (e->set.alpha ? KP_DETAIL_BYTES : 0) + (e->set.chroma ? KP_CHROMA_BYTES : 0) +
		    (e->set.fine ? KP_FINE_BYTES : 0) + e->set.inklen +
		    (e->ink != NULL ? (size_t)e->set.ink_w * (size_t)e->set.ink_h : 0);
		evict_locked(c, e->cost, &victims);
		c->st.held += e->cost;
		if (c->st.held > c->st.peak)
			c->st.peak = c->st.held;
		e->state = ENT_READY;
		*out = &e->set;
	} else {
		e->state = ENT_FAILED;
		e->err = rc;
		unmap_locked(c, e);
		c->st.in_use--;
		if (--e->refs == 0) {
			e->next = victims;
			victims = e;
		}
	}
	pthread_cond_broadcast(&c->loaded);
	pthread_mutex_unlock(&c->mu);
	free_ents(victims);
	return rc;
}

void kpcache_put(struct kpcache *c, uint32_t id)
{
	struct ent *e, *victims = NULL;

	pthread_mutex_lock(&c->mu);
	if (id < c->count && c->slot[id] != 0 &&
	    (e = c->ents[c->slot[id] - 1])->state == ENT_READY && e->refs > 0 && --e->refs == 0) {
		c->st.in_use--;
		lru_push(c, e);
		evict_locked(c, 0, &victims);
	}
	pthread_mutex_unlock(&c->mu);
	free_ents(victims);
}

uint32_t kpcache_count(struct kpcache *c)
{
	uint32_t n;

	pthread_mutex_lock(&c->mu);
	n = c->count;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void kpcache_stats(struct kpcache *c, struct kpcache_stats *st)
{
	pthread_mutex_lock(&c->mu);
	*st = c->st;
	st->count = c->count;
	st->index_bytes = ((size_t)c->cap + 1) * sizeof *c->off + (size_t)c->cap * sizeof *c->slot;
	pthread_mutex_unlock(&c->mu);
}

void kpcache_close(struct kpcache *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; i < c->nents; i++)
		if (c->ents[i] != NULL) {
			c->ents[i]->next = NULL;
			free_ents(c->ents[i]);
		}
	close(c->fd);
	pthread_cond_destroy(&c->loaded);
	pthread_mutex_destroy(&c->mu);
	free(c->ents);
	free(c->freeidx);
	free(c->off);
	free(c->slot);
	free(c->wbuf);
	free(c->dir);
	free(c);
}
