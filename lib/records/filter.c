/* filter.c — the shared NDJSON record loop.
 *
 * Records flow through a window of slots: the main thread reads into free slots and
 * writes finished ones in input order, while f->threads workers run each() on the
 * others.  A slow record holds back only the writing, not the work on the records after
 * it (up to the window), so memory stays bounded by the window and the output never
 * depends on thread timing -- unless the tool asks for completion order, where finished
 * records are written at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "filter.h"
#include "log.h"
#include "rec.h"

struct slot {
	json_t *rec;
	int res;        /* FILTER_* or a negative code */
	int state;      /* S_FREE .. S_DONE */
	aderr err;
};

enum { S_FREE, S_READY, S_RUNNING, S_DONE, S_WRITTEN };

struct window {
	struct filter *f;
	struct slot *s;
	size_t cap;
	size_t head, tail, next;    /* counters: write at head, fill at tail, work at next */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

static void *worker(void *arg)
{
	struct window *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct slot *s;

		while (!w->stop) {
			/* records passed on as they are need no work */
			if (w->next < w->head)
				w->next = w->head;
			while (w->next < w->tail && w->s[w->next % w->cap].state != S_READY)
				w->next++;
			if (w->next < w->tail)
				break;
			pthread_cond_wait(&w->work, &w->mu);
		}
		if (w->stop)
			break;
		s = &w->s[w->next++ % w->cap];
		s->state = S_RUNNING;
		pthread_mutex_unlock(&w->mu);
		s->res = w->f->each(w->f->ud, s->rec, &s->err);
		pthread_mutex_lock(&w->mu);
		s->state = S_DONE;
		pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Reads the next record into s: 1 with s->state set (S_READY for each(), S_DONE when it
 * is passed on as it is), 0 at the end, negative on a read error. */
static int fill(struct filter *f, rec_reader *r, struct slot *s, aderr *err)
{
	long bad;
	int got = rec_read(r, &s->rec, &bad, err);

	if (got <= 0)
		return got;
	f->records++;
	s->err.code = 0;
	s->err.msg[0] = '\0';
	if (bad) {
		log_err("%s", json_string_value(json_object_get(json_object_get(s->rec, "error"), "message")));
		f->malformed++;
		s->res = FILTER_FAILED;
		s->state = S_DONE;
	} else if (rec_has_error(s->rec) && !f->see_errors) {
		f->upstream++;
		s->res = FILTER_OK;
		s->state = S_DONE;
	} else {
		if (f->seen != NULL)
			f->seen(f->ud, s->rec);
		s->state = S_READY;
	}
	return 1;
}

/* Writes a finished slot (unless the run already stopped) and frees it. */
static int drain(struct filter *f, rec_writer *wr, struct slot *s, int rc, aderr *err)
{
	if (rc == 0 && s->res < 0) {
		*err = s->err;
		rc = s->res;
	}
	if (rc == 0) {
		if (s->res == FILTER_FAILED)
			f->failed++;
		if (s->res == FILTER_DROP)
			f->dropped++;
		else
			rc = rec_write(wr, s->rec, err);
		progress_tick(&f->progress, s->res == FILTER_FAILED);
	}
	json_decref(s->rec);
	s->rec = NULL;
	s->state = S_FREE;
	return rc;
}

int filter_run(struct filter *f, const char *prog, aderr *err)
{
	int nt = f->threads > 1 ? (f->threads > 64 ? 64 : f->threads) : 1, started = 0;
	struct window w = { .f = f };
	pthread_t tid[64];
	rec_reader *r;
	rec_writer *wr;
	int rc = 0, got = 1;

	f->records = f->failed = f->upstream = f->malformed = f->dropped = 0;
	/* in completion order a written slot holds no record, so a wider window costs
	 * little and lets one slow record fall far behind */
	w.cap = nt > 1 ? (size_t)nt * (f->unordered ? 64 : 8) : 1;
	w.s = calloc(w.cap, sizeof *w.s);
	if (w.s == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	r = rec_reader_open(f->in, err);
	if (r == NULL) {
		free(w.s);
		return err->code;
	}
	wr = rec_writer_open(f->out, err);
	if (wr == NULL) {
		rec_reader_close(r);
		free(w.s);
		return err->code;
	}
	progress_init(&f->progress, prog, -1, f->quiet);
	/* counting the lines reads the input twice: only for a progress line on screen */
	if (f->progress.tty)
		f->progress.total = rec_reader_total(r);
	if (nt == 1) {
		/* one thread: read, work, write, one record at a time */
		struct slot *s = &w.s[0];

		while (rc == 0 && (got = fill(f, r, s, err)) > 0) {
			if (s->state == S_READY)
				s->res = f->each(f->ud, s->rec, &s->err);
			rc = drain(f, wr, s, rc, err);
		}
	} else {
		pthread_mutex_init(&w.mu, NULL);
		pthread_cond_init(&w.work, NULL);
		pthread_cond_init(&w.done, NULL);
		for (int t = 0; t < nt; t++)
			if (pthread_create(&tid[started], NULL, worker, &w) == 0)
				started++;
		if (started == 0) {
			rc = aderr_set(err, AD_EINTERNAL, "cannot start worker threads");
			got = 0;
		}
		pthread_mutex_lock(&w.mu);
		while (rc == 0) {
			/* fill free slots (reading needs no lock: only this thread touches them) */
			while (got > 0 && w.tail - w.head < w.cap) {
				struct slot *s = &w.s[w.tail % w.cap];

				pthread_mutex_unlock(&w.mu);
				got = fill(f, r, s, err);
				pthread_mutex_lock(&w.mu);
				if (got <= 0)
					break;
				w.tail++;
				pthread_cond_signal(&w.work);
			}
			/* completion order: write every finished record now; its slot is
			 * reused once the ones before it are written too */
			for (size_t i = w.head + 1; f->unordered && rc == 0 && i < w.tail; i++) {
				struct slot *s = &w.s[i % w.cap];

				if (s->state != S_DONE)
					continue;
				pthread_mutex_unlock(&w.mu);
				rc = drain(f, wr, s, rc, err);
				pthread_mutex_lock(&w.mu);
				s->state = S_WRITTEN;
			}
			while (w.head < w.tail && w.s[w.head % w.cap].state == S_WRITTEN) {
				w.s[w.head % w.cap].state = S_FREE;
				w.head++;
			}
			if (rc < 0)
				break;
			/* write what is finished, in order */
			while (w.head < w.tail && w.s[w.head % w.cap].state == S_DONE) {
				struct slot *s = &w.s[w.head % w.cap];

				pthread_mutex_unlock(&w.mu);
				rc = drain(f, wr, s, rc, err);
				pthread_mutex_lock(&w.mu);
				w.head++;
				if (rc < 0)
					break;
				while (w.head < w.tail && w.s[w.head % w.cap].state == S_WRITTEN) {
					w.s[w.head % w.cap].state = S_FREE;
					w.head++;
				}
			}
			if (rc < 0 || (got <= 0 && w.head == w.tail))
				break;
			if (w.tail - w.head == w.cap || got <= 0)
				pthread_cond_wait(&w.done, &w.mu);
		}
		w.stop = 1;
		pthread_cond_broadcast(&w.work);
		pthread_mutex_unlock(&w.mu);
		for (int t = 0; t < started; t++)
			pthread_join(tid[t], NULL);
		/* after a stop, what was read but not written goes */
		for (size_t i = w.head; i < w.tail; i++)
			json_decref(w.s[i % w.cap].rec);  /* NULL once written */
		pthread_mutex_destroy(&w.mu);
		pthread_cond_destroy(&w.work);
		pthread_cond_destroy(&w.done);
	}
	if (got < 0 && rc == 0)
		rc = got;
	rec_reader_close(r);
	free(w.s);
	if (rc == 0 && f->end != NULL)
		rc = f->end(f->ud, wr, err);
	if (rc < 0) {
		rec_writer_close(wr, 0, NULL);
		return rc;
	}
	return rec_writer_close(wr, 1, err);
}

int filter_status(const struct filter *f)
{
	return f->failed ? 1 : 0;
}
