/* filter.c — the shared NDJSON record loop. */
#include "filter.h"
#include "log.h"
#include "rec.h"

int filter_run(struct filter *f, const char *prog, aderr *err)
{
	rec_reader *r;
	rec_writer *w;
	json_t *rec;
	long bad;
	int rc, got;

	f->records = f->failed = f->upstream = f->malformed = f->dropped = 0;
	r = rec_reader_open(f->in, err);
	if (r == NULL)
		return err->code;
	w = rec_writer_open(f->out, err);
	if (w == NULL) {
		rec_reader_close(r);
		return err->code;
	}
	progress_init(&f->progress, prog, rec_reader_total(r), f->quiet);
	rc = 0;
	while ((got = rec_read(r, &rec, &bad, err)) > 0) {
		int res = FILTER_OK;

		f->records++;
		if (bad) {
			log_err("%s", json_string_value(json_object_get(json_object_get(rec, "error"), "message")));
			f->malformed++;
			res = FILTER_FAILED;
		} else if (rec_has_error(rec) && !f->see_errors) {
			f->upstream++;
		} else {
			res = f->each(f->ud, rec, err);
		}
		if (res < 0) {
			json_decref(rec);
			rc = res;
			break;
		}
		if (res == FILTER_FAILED)
			f->failed++;
		if (res == FILTER_DROP) {
			f->dropped++;
		} else if ((rc = rec_write(w, rec, err)) < 0) {
			json_decref(rec);
			break;
		}
		json_decref(rec);
		progress_tick(&f->progress, res == FILTER_FAILED);
	}
	if (got < 0)
		rc = got;
	rec_reader_close(r);
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
