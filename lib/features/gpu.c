/* gpu.c — the host side of gpu.h: batches, streams and the batcher thread; the CUDA
 * runtime calls themselves are in kernels/ behind kernels/azk.h, built into a plugin that
 * gpu_open loads at run time (so the tools never link the CUDA runtime). */
#include "gpu.h"

#include <stdlib.h>
#include <string.h>

#ifndef AZD_CUDA

#define NO_CUDA "built without CUDA (nvcc was not found at build time)"

int gpu_open(int device, struct gpu **out, aderr *err)
{
	(void)device;
	*out = NULL;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

void gpu_close(struct gpu *g)
{
	(void)g;
}

const char *gpu_name(const struct gpu *g)
{
	(void)g;
	return "";
}

int gpu_hash_batch(struct gpu *g, const struct img *const *grays, int n,
    uint64_t (*phash8)[8], uint64_t *dhash, uint64_t *whash, aderr *err)
{
	(void)g, (void)grays, (void)n, (void)phash8, (void)dhash, (void)whash;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

int gpu_pairs(struct gpu *g, const uint64_t *h, size_t n, int r, struct mih_pair **pairs,
    size_t *npairs, aderr *err)
{
	(void)g, (void)h, (void)n, (void)r;
	*pairs = NULL;
	*npairs = 0;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

int gpu_pairs8(struct gpu *g, const uint64_t (*v)[8], size_t n, int r,
    struct mih_pair **pairs, size_t *npairs, aderr *err)
{
	(void)g, (void)v, (void)n, (void)r;
	*pairs = NULL;
	*npairs = 0;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

int gpu_batcher_new(struct gpu *g, int batch, int wait_us, struct gpu_batcher **out,
    aderr *err)
{
	(void)g, (void)batch, (void)wait_us;
	*out = NULL;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

int gpu_batcher_hash(struct gpu_batcher *b, const struct img *gray, uint64_t phash8[8],
    uint64_t *dhash, uint64_t *whash, aderr *err)
{
	(void)b, (void)gray, (void)phash8, (void)dhash, (void)whash;
	return aderr_set(err, AD_EUNSUP, NO_CUDA);
}

void gpu_batcher_free(struct gpu_batcher *b)
{
	(void)b;
}

#else /* AZD_CUDA */

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "../../kernels/azk.h"

/* azk_pairs writes a, b, a, b, ... uint32_t: the layout of an array of mih_pair */
_Static_assert(sizeof(struct mih_pair) == 8 && offsetof(struct mih_pair, b) == 4,
    "struct mih_pair is two packed uint32_t");

/* The plugin (kernels/, built into azdedup-cuda.so) and its table, loaded once by the
 * first gpu_open and kept for the life of the process. */
#define PLUGIN_ENV "AZDEDUP_CUDA_PLUGIN"
#define PLUGIN_REL "lib/azdedup/azdedup-cuda.so"

static pthread_once_t k_once = PTHREAD_ONCE_INIT;
static const struct azk_ops *K;
static char k_msg[PATH_MAX + AZK_MSG];

static int k_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets k_msg, why plugin_load failed; -1. */
static int k_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k_msg, sizeof k_msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* $AZDEDUP_CUDA_PLUGIN, or ../lib/azdedup/azdedup-cuda.so from the executable's folder:
 * the layout of both make install (PREFIX/bin, PREFIX/lib/azdedup) and the build tree
 * (build/bin and build/tests, build/lib/azdedup); else ../../lib/azdedup when it is there
 * (build/tests/helpers).  Neither there: the first, for dlopen's message. */
static int plugin_path(char *path, size_t size)
{
	const char *env = getenv(PLUGIN_ENV);
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;

	if (env != NULL && *env != '\0') {
		if (strlen(env) >= size)
			return k_say(PLUGIN_ENV ": path too long");
		strcpy(path, env);
		return 0;
	}
	len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0 || (size_t)len >= sizeof exe - 1)
		return k_say("cannot find the CUDA plugin: /proc/self/exe does not name the "
		    "executable (set " PLUGIN_ENV ")");
	exe[len] = '\0';
	path[0] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';                  /* the executable's folder */
	for (int up = 1; up <= 2 && slash != NULL; up++) {
		char cand[PATH_MAX];

		if ((slash = strrchr(exe, '/')) == NULL)
			break;
		*slash = '\0';
		if ((size_t)snprintf(cand, sizeof cand, "%s/" PLUGIN_REL, exe) >= sizeof cand ||
		    strlen(cand) >= size)
			return k_say("cannot find the CUDA plugin: path too long (set " PLUGIN_ENV ")");
		if (up == 1)
			strcpy(path, cand);
		if (access(cand, F_OK) == 0) {
			strcpy(path, cand);
			break;
		}
	}
	if (path[0] == '\0')
		return k_say("cannot find the CUDA plugin beside the executable (set " PLUGIN_ENV ")");
	return 0;
}

/* Once, from gpu_open: sets K, or leaves it NULL with the reason in k_msg. */
static void plugin_load(void)
{
	char path[PATH_MAX];
	const struct azk_ops *ops;
	azk_plugin_fn *fn;
	const char *why;
	void *h;

	if (plugin_path(path, sizeof path) < 0)
		return;
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		/* dlerror names the plugin when it is missing, the library when one it needs
		 * (libcudart) is */
		why = dlerror();
		if (why != NULL && strncmp(why, path, strlen(path)) == 0)
			k_say("cannot load the CUDA plugin %s", why);
		else
			k_say("cannot load the CUDA plugin %s: %s", path, why ? why : "unknown error");
		return;
	}
	*(void **)&fn = dlsym(h, AZK_PLUGIN_SYMBOL);
	if (fn == NULL || (ops = fn()) == NULL) {
		k_say("%s: not an azdedup CUDA plugin (no " AZK_PLUGIN_SYMBOL ")", path);
		dlclose(h);
		return;
	}
	if (ops->abi != AZK_ABI) {
		k_say("%s: CUDA plugin of interface %d, these tools need %d (install the plugin "
		    "built with them)", path, ops->abi, AZK_ABI);
		dlclose(h);
		return;
	}
	K = ops;
}

#define SLOT_IMAGES 512
#define SLOT_BYTES ((size_t)32 << 20)

struct gpu {
	int device;
	char name[160];
	pthread_mutex_t lock;
	struct azk_hslot *slot[2];
};

/* hash.c's cosine table, by the same expression on the same libm: the device's cos
 * could differ from it in the last bit, and so could a phash bit. */
static void dct_table(double cosk[8 * 32])
{
	for (int u = 0; u < 8; u++)
		for (int n = 0; n < 32; n++)
			cosk[u * 32 + n] = 2.0 * cos(M_PI * u * (2 * n + 1) / 64.0);
}

static int kfail(aderr *err, int rc, const char *msg)
{
	return aderr_set(err, rc, "%s", msg);
}

int gpu_open(int device, struct gpu **out, aderr *err)
{
	char msg[AZK_MSG];
	double cosk[8 * 32];
	struct gpu *g;
	int n = 0, rc;

	*out = NULL;
	if (pthread_once(&k_once, plugin_load) != 0 || K == NULL)
		return aderr_set(err, AD_ECONFIG, "%s", k_msg[0] ? k_msg : "cannot load the CUDA plugin");
	if ((rc = K->device_count(&n, msg)) < 0)
		return kfail(err, rc, msg);
	if (device < 0 || device >= n)
		return aderr_set(err, AD_EUNSUP, "no CUDA device %d (there are %d)", device, n);
	if ((g = calloc(1, sizeof *g)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	g->device = device;
	if (pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	dct_table(cosk);
	if ((rc = K->use_device(device, g->name, sizeof g->name, msg)) < 0 ||
	    (rc = K->hash_set_cos(cosk, msg)) < 0 ||
	    (rc = K->hslot_new(SLOT_IMAGES, SLOT_BYTES, &g->slot[0], msg)) < 0 ||
	    (rc = K->hslot_new(SLOT_IMAGES, SLOT_BYTES, &g->slot[1], msg)) < 0) {
		gpu_close(g);
		return kfail(err, rc, msg);
	}
	*out = g;
	return 0;
}

void gpu_close(struct gpu *g)
{
	if (g == NULL)
		return;
	K->hslot_free(g->slot[0]);
	K->hslot_free(g->slot[1]);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

const char *gpu_name(const struct gpu *g)
{
	return g ? g->name : "";
}

static int gray_ok(const struct img *im, aderr *err)
{
	if (im == NULL || im->ch != 1 || im->px == NULL || im->w < 1 || im->h < 1)
		return aderr_set(err, AD_EINTERNAL, "not a gray image");
	return 0;
}

/* The CPU's answer, for images too big for a batch buffer. */
static int cpu_hash(const struct img *im, uint64_t phash8[8], uint64_t *dhash,
    uint64_t *whash, aderr *err)
{
	uint64_t p[8], d, w;
	int rc;

	if ((rc = hash_phash_dihedral(im, p)) < 0 || (rc = hash_dhash(im, &d)) < 0 ||
	    (rc = hash_whash(im, &w)) < 0)
		return aderr_set(err, rc, "out of memory hashing an image");
	if (phash8)
		memcpy(phash8, p, sizeof p);
	if (dhash)
		*dhash = d;
	if (whash)
		*whash = w;
	return 0;
}

static void put(const uint64_t *o, uint64_t phash8[8], uint64_t *dhash, uint64_t *whash)
{
	if (phash8)
		memcpy(phash8, o, 8 * sizeof *o);
	if (dhash)
		*dhash = o[8];
	if (whash)
		*whash = o[9];
}

struct pending {
	int n, idx[SLOT_IMAGES];
};

int gpu_hash_batch(struct gpu *g, const struct img *const *grays, int n,
    uint64_t (*phash8)[8], uint64_t *dhash, uint64_t *whash, aderr *err)
{
	struct pending *p = calloc(2, sizeof *p);
	char msg[AZK_MSG];
	int i = 0, cur = 0, rc = 0;

	if (p == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	pthread_mutex_lock(&g->lock);
	if ((rc = K->use_device(g->device, NULL, 0, msg)) < 0) {
		rc = kfail(err, rc, msg);
		goto out;
	}
	/* fill one slot while the other's batch is copied and hashed */
	while (i < n || p[0].n || p[1].n) {
		struct azk_hslot *s = g->slot[cur];
		unsigned char *px;
		struct azk_meta *meta;
		uint64_t *o;
		size_t bytes = 0;
		int other = cur ^ 1;

		K->hslot_host(s, &px, &meta, &o);
		p[cur].n = 0;
		while (i < n && p[cur].n < SLOT_IMAGES && rc == 0) {
			const struct img *im = grays[i];
			size_t sz;

			if ((rc = gray_ok(im, err)) < 0)
				break;
			sz = (size_t)im->w * (size_t)im->h;
			if (sz > SLOT_BYTES) {
				rc = cpu_hash(im, phash8 ? phash8[i] : NULL, dhash ? &dhash[i] : NULL,
				    whash ? &whash[i] : NULL, err);
				i++;
				continue;
			}
			if (bytes + sz > SLOT_BYTES)
				break;
			memcpy(px + bytes, im->px, sz);
			meta[p[cur].n] = (struct azk_meta){ bytes, im->w, im->h };
			p[cur].idx[p[cur].n++] = i++;
			bytes += (sz + 15) & ~(size_t)15;
		}
		if (rc == 0 && p[cur].n > 0 && (rc = K->hslot_launch(s, p[cur].n, bytes, msg)) < 0)
			rc = kfail(err, rc, msg);
		if (rc < 0)
			p[cur].n = 0;
		if (p[other].n > 0) {
			int wr = K->hslot_wait(g->slot[other], msg);

			if (wr < 0 && rc == 0)
				rc = kfail(err, wr, msg);
			K->hslot_host(g->slot[other], &px, &meta, &o);
			for (int k = 0; k < p[other].n && rc == 0; k++) {
				int at = p[other].idx[k];

				put(o + (size_t)k * AZK_HASH_WORDS, phash8 ? phash8[at] : NULL,
				    dhash ? &dhash[at] : NULL, whash ? &whash[at] : NULL);
			}
			p[other].n = 0;
		}
		if (rc < 0) {
			K->hslot_wait(g->slot[cur], msg);
			break;
		}
		cur = other;
	}
out:
	pthread_mutex_unlock(&g->lock);
	free(p);
	return rc;
}

static int pairs_common(struct gpu *g, const uint64_t *codes, size_t n, int nv, int r,
    struct mih_pair **pairs, size_t *npairs, aderr *err)
{
	char msg[AZK_MSG];
	uint32_t *u = NULL;
	int rc;

	*pairs = NULL;
	*npairs = 0;
	pthread_mutex_lock(&g->lock);
	if ((rc = K->use_device(g->device, NULL, 0, msg)) == 0)
		rc = K->pairs(codes, n, nv, r, &u, npairs, msg);
	pthread_mutex_unlock(&g->lock);
	if (rc < 0)
		return kfail(err, rc, msg);
	*pairs = (struct mih_pair *)(void *)u;
	return 0;
}

int gpu_pairs(struct gpu *g, const uint64_t *h, size_t n, int r, struct mih_pair **pairs,
    size_t *npairs, aderr *err)
{
	return pairs_common(g, h, n, 1, r, pairs, npairs, err);
}

int gpu_pairs8(struct gpu *g, const uint64_t (*v)[8], size_t n, int r,
    struct mih_pair **pairs, size_t *npairs, aderr *err)
{
	return pairs_common(g, (const uint64_t *)v, n, 8, r, pairs, npairs, err);
}

/* The batcher.  Slots go FREE -> FILL (submitters reserve a place and copy their image
 * in, outside the lock) -> FLIGHT (the GPU thread launched it once it was full or its
 * first image had waited long enough, and no copy was still going on) -> DONE (each
 * submitter takes its hashes; the last one frees the slot).  Three slots let one fill
 * while one is on the GPU and one is being read. */
#define NSLOT 3

enum { S_FREE, S_FILL, S_FLIGHT, S_DONE };

struct bslot {
	struct azk_hslot *hs;
	unsigned char *px;
	struct azk_meta *meta;
	uint64_t *out;
	int state, n, writers, readers, full, rc;
	size_t bytes;
	unsigned long long seq;
	struct timespec first;
	char msg[AZK_MSG];
};

struct gpu_batcher {
	struct gpu *g;
	int batch, wait_us, stop, fill;
	unsigned long long seq;
	pthread_mutex_t mu;
	pthread_cond_t cv_gpu, cv_sub;
	pthread_t th;
	struct bslot s[NSLOT];
};

static int past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void done(struct gpu_batcher *b, struct bslot *s, int rc, const char *msg)
{
	s->rc = rc;
	if (rc < 0)
		snprintf(s->msg, sizeof s->msg, "%s", msg);
	s->readers = s->n;
	s->state = S_DONE;
	pthread_cond_broadcast(&b->cv_sub);
}

static void *gpu_thread(void *arg)
{
	struct gpu_batcher *b = arg;
	char msg[AZK_MSG];
	int devrc = K->use_device(b->g->device, NULL, 0, msg);

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct bslot *ready = NULL, *oldest = NULL, *filling = NULL;

		for (int k = 0; k < NSLOT; k++) {
			struct bslot *s = &b->s[k];

			if (s->state == S_FILL && s->n > 0) {
				if (s->writers == 0 && (s->full || b->stop || past(&s->first)))
					ready = s;
				else
					filling = s;
			}
			if (s->state == S_FLIGHT && (oldest == NULL || s->seq < oldest->seq))
				oldest = s;
		}
		if (ready) {
			int rc = devrc;

			ready->state = S_FLIGHT;
			ready->seq = ++b->seq;
			if (b->fill == ready - b->s)
				b->fill = -1;
			pthread_mutex_unlock(&b->mu);
			if (rc == 0)
				rc = K->hslot_launch(ready->hs, ready->n, ready->bytes, msg);
			pthread_mutex_lock(&b->mu);
			if (rc < 0)
				done(b, ready, rc, msg);
			continue;
		}
		if (oldest) {
			int rc;

			pthread_mutex_unlock(&b->mu);
			rc = K->hslot_wait(oldest->hs, msg);
			pthread_mutex_lock(&b->mu);
			done(b, oldest, rc, msg);
			continue;
		}
		if (filling == NULL && b->stop)
			break;
		if (filling && filling->writers == 0 && !filling->full)
			pthread_cond_timedwait(&b->cv_gpu, &b->mu, &filling->first);
		else
			pthread_cond_wait(&b->cv_gpu, &b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Frees a batcher whose thread is not running (never started, or joined). */
static void batcher_release(struct gpu_batcher *b)
{
	for (int k = 0; k < NSLOT; k++)
		K->hslot_free(b->s[k].hs);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv_gpu);
	pthread_cond_destroy(&b->cv_sub);
	free(b);
}

int gpu_batcher_new(struct gpu *g, int batch, int wait_us, struct gpu_batcher **out,
    aderr *err)
{
	struct gpu_batcher *b;
	pthread_condattr_t ca;
	char msg[AZK_MSG];
	int rc = 0;

	*out = NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	b->g = g;
	b->batch = batch <= 0 ? 256 : batch > SLOT_IMAGES ? SLOT_IMAGES : batch;
	b->wait_us = wait_us <= 0 ? 2000 : wait_us;
	b->fill = -1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv_gpu, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&b->cv_sub, NULL);
	if ((rc = K->use_device(g->device, NULL, 0, msg)) < 0)
		rc = kfail(err, rc, msg);
	for (int k = 0; k < NSLOT && rc == 0; k++) {
		if ((rc = K->hslot_new(b->batch, SLOT_BYTES, &b->s[k].hs, msg)) < 0)
			rc = kfail(err, rc, msg);
		else
			K->hslot_host(b->s[k].hs, &b->s[k].px, &b->s[k].meta, &b->s[k].out);
	}
	if (rc == 0 && pthread_create(&b->th, NULL, gpu_thread, b) != 0)
		rc = aderr_set(err, AD_ENOMEM, "cannot start the GPU thread");
	if (rc < 0) {
		batcher_release(b);
		return rc;
	}
	*out = b;
	return 0;
}

int gpu_batcher_hash(struct gpu_batcher *b, const struct img *gray, uint64_t phash8[8],
    uint64_t *dhash, uint64_t *whash, aderr *err)
{
	struct bslot *s;
	size_t sz, off;
	int k, rc;

	if ((rc = gray_ok(gray, err)) < 0)
		return rc;
	sz = (size_t)gray->w * (size_t)gray->h;
	if (sz > SLOT_BYTES)
		return cpu_hash(gray, phash8, dhash, whash, err);
	pthread_mutex_lock(&b->mu);
	for (;;) {
		if (b->fill >= 0) {
			s = &b->s[b->fill];
			if (!s->full && s->n < b->batch && s->bytes + sz <= SLOT_BYTES)
				break;
			s->full = 1;        /* no room: send it as it is */
			b->fill = -1;
			pthread_cond_signal(&b->cv_gpu);
			continue;
		}
		for (k = 0; k < NSLOT && b->s[k].state != S_FREE; k++)
			;
		if (k < NSLOT) {
			s = &b->s[k];
			s->state = S_FILL;
			s->n = s->writers = s->full = 0;
			s->bytes = 0;
			b->fill = k;
			continue;
		}
		pthread_cond_wait(&b->cv_sub, &b->mu);
	}
	k = s->n++;
	off = s->bytes;
	s->bytes += (sz + 15) & ~(size_t)15;
	s->writers++;
	if (k == 0) {
		clock_gettime(CLOCK_MONOTONIC, &s->first);
		s->first.tv_nsec += (long)b->wait_us * 1000;
		s->first.tv_sec += s->first.tv_nsec / 1000000000;
		s->first.tv_nsec %= 1000000000;
		pthread_cond_signal(&b->cv_gpu);
	}
	if (s->n == b->batch) {
		s->full = 1;
		b->fill = -1;
	}
	pthread_mutex_unlock(&b->mu);

	memcpy(s->px + off, gray->px, sz);
	s->meta[k] = (struct azk_meta){ off, gray->w, gray->h };

	pthread_mutex_lock(&b->mu);
	if (--s->writers == 0)
		pthread_cond_signal(&b->cv_gpu);
	while (s->state != S_DONE)
		pthread_cond_wait(&b->cv_sub, &b->mu);
	if ((rc = s->rc) < 0)
		aderr_set(err, rc, "%s", s->msg);
	else
		put(s->out + (size_t)k * AZK_HASH_WORDS, phash8, dhash, whash);
	if (--s->readers == 0) {
		s->state = S_FREE;
		pthread_cond_broadcast(&b->cv_sub);
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void gpu_batcher_free(struct gpu_batcher *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv_gpu);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->th, NULL);
	batcher_release(b);
}

#endif /* AZD_CUDA */

int gpu_parse_device(const char *arg, int *device, aderr *err)
{
	char *end;
	long n;

	if (strcmp(arg, "cpu") == 0) {
		*device = -1;
		return 0;
	}
	if (strcmp(arg, "cuda") == 0) {
		*device = 0;
		return 0;
	}
	if (strncmp(arg, "cuda:", 5) == 0) {
		n = strtol(arg + 5, &end, 10);
		if (end != arg + 5 && *end == '\0' && n >= 0 && n < 1024) {
			*device = (int)n;
			return 0;
		}
	}
	return aderr_set(err, AD_EUSAGE, "--device: expected cpu, cuda or cuda:N, got '%s'", arg);
}
