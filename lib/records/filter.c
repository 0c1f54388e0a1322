/* filter.c — the shared NDJSON record loop.
 *
 * Records flow through a window of slots: the main thread reads into free slots and
 * writes finished ones in input order, while f->threads workers run each() on the
 * others.  A slow record holds back only the writing, not the work on the records after
 * it (up to the window), so memory stays bounded by the window and the output never
 * depends on thread timing -- unless the tool asks for completion order, where finished
 * records are written at once.  With threads and no seen() hook the workers also parse
 * the lines (jansson's parser is most of the time of a cheap each()); in collect mode the
 * finished records go to the tool's collect() and the spool instead of the output. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "rec.h"

struct slot {
	json_t *rec;        /* NULL until parsed */
	char *line;         /* the line, when a worker parses it */
	size_t len, cap;
	long lineno, bad;   /* bad: the line number of a malformed line, else 0 */
	char *text;         /* collect mode with keep: the record's text for the spool (a
	                     * buffer the slot keeps from record to record) */
	size_t textlen, textcap;    /* textlen: 0 when there is no text */
	void *item;         /* collect mode: what each_item() made of it */
	int ran;            /* each_item() ran: item holds something until collected */
	int upstream;       /* passed on as it is: it failed upstream */
	int res;            /* FILTER_* or a negative code */
	int state;          /* S_FREE .. S_DONE */
	aderr err;
};

enum { S_FREE, S_READY, S_RUNNING, S_DONE, S_WRITTEN };

/* Collect mode: records per turn of the lock, and slots per thread in the window. */
enum { BATCH = 64, COLLECT_SLOTS = 256 };

struct window {
	struct filter *f;
	const char *label;  /* the input's name, for messages about its lines */
	struct slot *s;
	size_t cap;
	size_t head, tail, next;    /* counters: write at head, fill at tail, work at next */
	size_t batch;       /* slots read, worked or written per turn of the lock */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

/* 1 when the record is passed on as it is, without each(): a malformed line, or a
 * record that failed upstream when the tool does not see those. */
static int pass_on(const struct filter *f, struct slot *s)
{
	if (s->bad) {
		s->res = FILTER_FAILED;
		return 1;
	}
	if (rec_has_error(s->rec) && !f->see_errors) {
		s->upstream = 1;
		s->res = FILTER_OK;
		return 1;
	}
	return 0;
}

/* The record's text into the slot's buffer (what json_dumps would make, without a
 * fresh allocation per record); 0, or -1 when out of memory. */
static int dump_text(struct slot *s)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t n = json_dumpb(s->rec, s->text, s->textcap, flags);

	if (n == 0)
		return -1;
	if (n > s->textcap) {
		size_t cap = n + n / 2 + 256;
		char *t = realloc(s->text, cap);

		if (t == NULL)
			return -1;
		s->text = t;
		s->textcap = cap;
		if ((n = json_dumpb(s->rec, s->text, s->textcap, flags)) == 0 || n > s->textcap)
			return -1;
	}
	s->textlen = n;
	return 0;
}

/* A slot's work, on whichever thread runs it: the parse when the reader left it, then
 * the tool's function, then the text the spool keeps. */
static void work(struct window *w, struct slot *s)
{
	struct filter *f = w->f;

	if (s->rec == NULL && f->each_line != NULL && f->collect != NULL && f->keep) {
		s->res = f->each_line(f->ud, s->line, s->len, s->item, &s->text, &s->textlen,
		    &s->textcap, &s->err);
		if (s->res != FILTER_PARSE) {
			s->ran = 1;
			if (s->res >= 0 && s->res != FILTER_DROP && s->textlen == 0)
				s->res = aderr_set(&s->err, AD_EINTERNAL, "a record without text");
			return;
		}
		s->textlen = 0;
	}
	if (s->rec == NULL) {
		if ((s->rec = rec_parse(w->label, s->lineno, s->line, s->len, &s->bad)) == NULL) {
			s->res = aderr_set(&s->err, AD_ENOMEM, "out of memory");
			return;
		}
		if (pass_on(f, s))
			return;
	}
	if (f->collect == NULL) {
		s->res = f->each_text != NULL ? f->each_text(f->ud, s->rec, &s->text, &s->textlen,
		    &s->textcap, &s->err) : f->each(f->ud, s->rec, &s->err);
		return;
	}
	s->res = f->each_item(f->ud, s->rec, s->item, &s->err);
	s->ran = 1;
	if (f->keep && s->res >= 0 && s->res != FILTER_DROP) {
		if (dump_text(s) < 0) {
			s->res = aderr_set(&s->err, AD_ENOMEM, "out of memory");
		} else {
			/* the text is all that is kept: the record goes here, on the thread
			 * that made it (malloc's per-thread arenas free it without a lock) */
			json_decref(s->rec);
			s->rec = NULL;
		}
	}
}

static void *worker(void *arg)
{
	struct window *w = arg;
	struct slot *mine[BATCH];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		size_t n = 0, most;

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
		/* up to a batch, a share of what is ready so that the others get theirs */
		most = (w->tail - w->next) / (size_t)w->f->threads;
		most = most < 1 ? 1 : most > w->batch ? w->batch : most;
		for (; n < most && w->next < w->tail; w->next++) {
			struct slot *s = &w->s[w->next % w->cap];

			if (s->state == S_READY) {
				s->state = S_RUNNING;
				mine[n++] = s;
			}
		}
		pthread_mutex_unlock(&w->mu);
		for (size_t i = 0; i < n; i++)
			work(w, mine[i]);
		pthread_mutex_lock(&w->mu);
		for (size_t i = 0; i < n; i++)
			mine[i]->state = S_DONE;
		pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Reads the next record into s: 1 with s->state set (S_READY for work(), S_DONE when it
 * is passed on as it is), 0 at the end, negative on a read error.  With parse 0 the line
 * is only copied, for a worker to parse. */
static int fill(struct window *w, rec_reader *r, struct slot *s, int parse, aderr *err)
{
	struct filter *f = w->f;
	int got;

	s->err.code = 0;
	s->err.msg[0] = '\0';
	s->bad = 0;
	s->upstream = 0;
	if (parse) {
		if ((got = rec_read(r, &s->rec, &s->bad, err)) <= 0)
			return got;
		f->records++;
		if (pass_on(f, s)) {
			s->state = S_DONE;
		} else {
			if (f->seen != NULL)
				f->seen(f->ud, s->rec);
			s->state = S_READY;
		}
		return 1;
	} else {
		const char *line;
		size_t len;

		if ((got = rec_read_line(r, &line, &len, err)) <= 0)
			return got;
		if (len + 1 > s->cap) {
			char *t = realloc(s->line, len + 1);

			if (t == NULL)
				return aderr_set(err, AD_ENOMEM, "out of memory");
			s->line = t;
			s->cap = len + 1;
		}
		memcpy(s->line, line, len + 1);
		s->len = len;
		s->lineno = rec_reader_line(r);
		s->rec = NULL;
		f->records++;
		s->state = S_READY;
		return 1;
	}
}

/* Writes (or collects) a finished slot unless the run already stopped, and frees what it
 * holds (its state is the caller's to set, under the lock where workers run). */
static int drain(struct filter *f, rec_writer *wr, struct slot *s, int rc, aderr *err)
{
	if (rc == 0 && s->res < 0) {
		*err = s->err;
		rc = s->res;
	}
	if (rc == 0) {
		/* said here, not when read, so that messages keep the input's order */
		if (s->bad) {
			log_err("%s", json_string_value(json_object_get(json_object_get(s->rec, "error"), "message")));
			f->malformed++;
		}
		f->upstream += s->upstream;
		if (s->res == FILTER_FAILED)
			f->failed++;
		if (s->res == FILTER_DROP)
			f->dropped++;
		if (f->collect != NULL) {
			rc = f->collect(f->ud, s->rec, s->ran ? s->item : NULL, s->res, err);
			s->ran = 0;
			if (rc == 0 && f->keep && s->res != FILTER_DROP && s->textlen == 0 &&
			    dump_text(s) < 0)
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
			if (rc == 0 && s->textlen > 0)
				rc = spool_add(f->kept, s->text, s->textlen, err);
		} else if (s->res != FILTER_DROP) {
			rc = s->textlen > 0 ? rec_write_raw(wr, s->text, s->textlen, err) :
			    rec_write(wr, s->rec, err);
		}
		progress_tick(&f->progress, s->res == FILTER_FAILED);
	}
	if (s->ran && f->drop != NULL)
		f->drop(f->ud, s->item);
	s->ran = 0;
	s->textlen = 0;
	json_decref(s->rec);
	s->rec = NULL;
	return rc;
}

int filter_run(struct filter *f, const char *prog, aderr *err)
{
	int nt = f->threads > 1 ? (f->threads > 64 ? 64 : f->threads) : 1, started = 0;
	struct window w = { .f = f };
	pthread_t tid[64];
	rec_reader *r;
	rec_writer *wr = NULL;
	char *items = NULL;
	int rc = 0, got = 1, parse = nt == 1 || f->seen != NULL;
	int unordered = f->unordered && f->collect == NULL;

	f->records = f->failed = f->upstream = f->malformed = f->dropped = 0;
	f->kept = NULL;
	/* in completion order a written slot holds no record, so a wider window costs
	 * little and lets one slow record fall far behind; so does a collected one */
	w.cap = nt > 1 ? (size_t)nt * (unordered ? 64 : f->collect ? COLLECT_SLOTS : 8) : 1;
	/* collect mode's records are cheap and nothing waits for one of them: the lock is
	 * taken once per batch of them, not per record (per record it costs as much as the
	 * work, in switches between the threads) */
	w.batch = f->collect != NULL ? BATCH : 1;
	w.s = calloc(w.cap, sizeof *w.s);
	if (w.s != NULL && f->collect != NULL &&
	    (items = calloc(w.cap, f->item_size ? f->item_size : 1)) == NULL) {
		free(w.s);
		w.s = NULL;
	}
	if (w.s == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (size_t i = 0; items != NULL && i < w.cap; i++)
		w.s[i].item = items + i * f->item_size;
	r = rec_reader_open(f->in, err);
	if (r == NULL) {
		free(items);
		free(w.s);
		return err->code;
	}
	w.label = rec_reader_label(r);
	if (f->collect != NULL ? f->keep && (f->kept = spool_open(err)) == NULL :
	    (wr = rec_writer_open(f->out, err)) == NULL) {
		rec_reader_close(r);
		free(items);
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

		while (rc == 0 && (got = fill(&w, r, s, f->each_line == NULL, err)) > 0) {
			if (s->state == S_READY)
				work(&w, s);
			rc = drain(f, wr, s, rc, err);
		}
	} else {
		pthread_mutex_init(&w.mu, NULL);
		pthread_cond_init(&w.work, NULL);
		pthread_cond_init(&w.done, NULL);
		/* jansson seeds its hash function on first use: before the workers race to */
		json_object_seed(0);
		for (int t = 0; t < nt; t++)
			if (pthread_create(&tid[started], NULL, worker, &w) == 0)
				started++;
		if (started == 0) {
			rc = aderr_set(err, AD_EINTERNAL, "cannot start worker threads");
			got = 0;
		}
		pthread_mutex_lock(&w.mu);
		while (rc == 0) {
			/* fill free slots (reading needs no lock: only this thread touches them
			 * and head) */
			while (got > 0 && w.tail - w.head < w.cap) {
				size_t n = 0, room = w.cap - (w.tail - w.head);

				room = room < w.batch ? room : w.batch;
				pthread_mutex_unlock(&w.mu);
				while (n < room && (got = fill(&w, r, &w.s[(w.tail + n) % w.cap], parse,
				    err)) > 0)
					n++;
				pthread_mutex_lock(&w.mu);
				w.tail += n;
				if (n > 1)
					pthread_cond_broadcast(&w.work);
				else if (n == 1)
					pthread_cond_signal(&w.work);
				if (got <= 0)
					break;
			}
			/* completion order: write every finished record now; its slot is
			 * reused once the ones before it are written too */
			for (size_t i = w.head + 1; unordered && rc == 0 && i < w.tail; i++) {
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
			/* write what is finished, in order, a batch per turn of the lock */
			while (w.head < w.tail && w.s[w.head % w.cap].state == S_DONE) {
				size_t n = 1, d = 0;

				while (n < w.batch && w.head + n < w.tail &&
				    w.s[(w.head + n) % w.cap].state == S_DONE)
					n++;
				pthread_mutex_unlock(&w.mu);
				while (d < n && rc == 0)
					rc = drain(f, wr, &w.s[(w.head + d++) % w.cap], rc, err);
				pthread_mutex_lock(&w.mu);
				for (size_t i = 0; i < d; i++)
					w.s[(w.head + i) % w.cap].state = S_FREE;
				w.head += d;
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
			drain(f, wr, &w.s[i % w.cap], -1, err);  /* nothing left once written */
		pthread_mutex_destroy(&w.mu);
		pthread_cond_destroy(&w.work);
		pthread_cond_destroy(&w.done);
	}
	if (got < 0 && rc == 0)
		rc = got;
	rec_reader_close(r);
	for (size_t i = 0; i < w.cap; i++) {
		free(w.s[i].line);
		free(w.s[i].text);
	}
	free(items);
	free(w.s);
	if (rc == 0 && f->end != NULL)
		rc = f->end(f->ud, wr, err);
	if (wr == NULL)
		return rc;
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
