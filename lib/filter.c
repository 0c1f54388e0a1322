/* filter.c — the shared NDJSON record loop.
 *
 * Records are read in batches; each() runs over a batch on f->threads threads (one when
 * unset), and the batch is written in input order before the next is read, so memory
 * stays bounded by the batch and the output never depends on thread timing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "filter.h"
#include "log.h"
#include "rec.h"

struct slot {
	json_t *rec;
	int res;        /* FILTER_* or a negative code; -100: not for each() */
	aderr err;
};

struct batch {
	struct filter *f;
	struct slot *s;
	size_t n;
	atomic_size_t next;
};

enum { NOT_MINE = -100 };

static void *work(void *arg)
{
	struct batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		struct slot *s = &b->s[i];

		if (s->res == NOT_MINE)
			s->res = b->f->each(b->f->ud, s->rec, &s->err);
	}
	return NULL;
}

static void run_batch(struct filter *f, struct slot *s, size_t n)
{
	struct batch b = { f, s, n, 0 };
	pthread_t tid[64];
	int nt = f->threads > 1 ? f->threads : 1, started = 0;

	if (nt > 64)
		nt = 64;
	if ((size_t)nt > n)
		nt = (int)n;
	/* the calling thread works too; a thread that cannot start just means fewer */
	for (int t = 1; t < nt; t++)
		if (pthread_create(&tid[started], NULL, work, &b) == 0)
			started++;
	work(&b);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}

int filter_run(struct filter *f, const char *prog, aderr *err)
{
	size_t cap = f->threads > 1 ? (size_t)f->threads * 8 : 1, n;
	struct slot *s;
	rec_reader *r;
	rec_writer *w;
	int rc = 0, got = 1;

	f->records = f->failed = f->upstream = f->malformed = f->dropped = 0;
	s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	r = rec_reader_open(f->in, err);
	if (r == NULL) {
		free(s);
		return err->code;
	}
	w = rec_writer_open(f->out, err);
	if (w == NULL) {
		rec_reader_close(r);
		free(s);
		return err->code;
	}
	progress_init(&f->progress, prog, rec_reader_total(r), f->quiet);
	while (rc == 0 && got > 0) {
		size_t i;

		for (n = 0; n < cap; n++) {
			long bad;

			got = rec_read(r, &s[n].rec, &bad, err);
			if (got <= 0)
				break;
			f->records++;
			s[n].err.code = 0;
			s[n].err.msg[0] = '\0';
			if (bad) {
				log_err("%s", json_string_value(json_object_get(json_object_get(s[n].rec, "error"), "message")));
				f->malformed++;
				s[n].res = FILTER_FAILED;
			} else if (rec_has_error(s[n].rec) && !f->see_errors) {
				f->upstream++;
				s[n].res = FILTER_OK;
			} else {
				s[n].res = NOT_MINE;
			}
		}
		if (n > 0)
			run_batch(f, s, n);
		for (i = 0; i < n; i++) {
			int res = s[i].res;

			if (rc == 0 && res < 0) {
				*err = s[i].err;
				rc = res;
			}
			if (rc == 0) {
				if (res == FILTER_FAILED)
					f->failed++;
				if (res == FILTER_DROP)
					f->dropped++;
				else
					rc = rec_write(w, s[i].rec, err);
				progress_tick(&f->progress, res == FILTER_FAILED);
			}
			json_decref(s[i].rec);
		}
	}
	if (got < 0 && rc == 0)
		rc = got;
	rec_reader_close(r);
	free(s);
	if (rc < 0) {
		rec_writer_close(w, 0, NULL);
		return rc;
	}
	return rec_writer_close(w, 1, err);
}

int filter_status(const struct filter *f)
{
	return f->failed ? 1 : 0;
}
