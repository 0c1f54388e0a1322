/* membudget.c — the shared decode memory budget (see membudget.h). */
#include "membudget.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct membudget {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t total, used, peak;
	unsigned long long next_ticket, serving;    /* FIFO order of the waiters */
};

struct membudget *membudget_new(size_t total)
{
	struct membudget *b;

	if (total == 0 || (b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		free(b);
		return NULL;
	}
	if (pthread_cond_init(&b->cv, NULL) != 0) {
		pthread_mutex_destroy(&b->mu);
		free(b);
		return NULL;
	}
	b->total = total;
	return b;
}

void membudget_free(struct membudget *b)
{
	if (b == NULL)
		return;
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

size_t membudget_total(const struct membudget *b)
{
	return b != NULL ? b->total : SIZE_MAX;
}

size_t membudget_peak(struct membudget *b)
{
	size_t p;

	pthread_mutex_lock(&b->mu);
	p = b->peak;
	pthread_mutex_unlock(&b->mu);
	return p;
}

static void note_peak(struct membudget *b)
{
	if (b->used > b->peak)
		b->peak = b->used;
}

int membudget_hold(struct mb_hold *h, size_t n, aderr *err)
{
	struct membudget *b = h->b;
	unsigned long long ticket;

	if (b == NULL) {
		h->held = n;
		return 0;
	}
	pthread_mutex_lock(&b->mu);
	if (n > b->total) {
		pthread_mutex_unlock(&b->mu);
		return aderr_set(err, AD_ETOOBIG, "too large: decoding needs about %zu MiB, over "
		    "the %zu MiB memory budget (--max-memory)", (n + (1u << 20) - 1) >> 20,
		    b->total >> 20);
	}
	/* shrinking, or growing into room nobody waits for: at once */
	if (n <= h->held || (b->next_ticket == b->serving && b->used - h->held + n <= b->total)) {
		int shrank = n < h->held;

		b->used = b->used - h->held + n;
		h->held = n;
		note_peak(b);
		if (shrank)
			pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	b->used -= h->held;
	h->held = 0;
	ticket = b->next_ticket++;
	pthread_cond_broadcast(&b->cv);
	while (ticket != b->serving || b->used + n > b->total)
		pthread_cond_wait(&b->cv, &b->mu);
	b->serving++;
	b->used += n;
	h->held = n;
	note_peak(b);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	return 0;
}

void membudget_release(struct mb_hold *h)
{
	struct membudget *b = h->b;

	if (b == NULL || h->held == 0) {
		h->held = 0;
		return;
	}
	pthread_mutex_lock(&b->mu);
	b->used -= h->held;
	h->held = 0;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

int membudget_parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	default: break;
	}
	if (mul > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}
