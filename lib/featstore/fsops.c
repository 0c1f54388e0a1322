/* fsops.c — featstore(1)'s commands' work on stores: the tool reads the options. */
#include "fsops.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

__attribute__((format(printf, 2, 3)))
static void warn(struct fsops *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (o->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o->warn(o->ud, msg);
}

static void tick(struct fsops *o, int failed)
{
	if (o->pg != NULL)
		progress_tick(o->pg, failed);
}

/* Nothing to read right now from a pipe: hand what is buffered to the kernel, so that
 * with a slow producer (featx) a kill -9 loses nothing already received. */
static int input_idle(const char *in)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	if (in != NULL && strcmp(in, "-") != 0)
		return 0;
	return poll(&p, 1, 0) == 0;
}

int fsops_put(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, FEATSTORE_WRITE | FEATSTORE_CREATE, &o->err);
	rec_reader *r;
	json_t *rec;
	long bad;
	int rc, fatal = 0;

	if (st == NULL)
		return o->err.code;
	if ((r = rec_reader_open(o->in, &o->err)) == NULL) {
		featstore_close(st, NULL);
		return o->err.code;
	}
	/* counting the lines reads the input twice: only for a progress line on screen */
	if (o->pg != NULL && o->pg->tty)
		o->pg->total = rec_reader_total(r);
	for (;;) {
		if (input_idle(o->in) && featstore_flush(st, 0, &o->err) < 0) {
			fatal = 1;
			break;
		}
		if ((rc = rec_read(r, &rec, &bad, &o->err)) <= 0) {
			fatal = rc < 0;
			break;
		}
		rc = 0;
		if (bad)
			warn(o, "%s", json_string_value(json_object_get(json_object_get(rec, "error"),
			    "message")));
		else if (rec_name(rec) == NULL)
			warn(o, "%s:%ld: record has no name", rec_reader_label(r), rec_reader_line(r));
		else if ((rc = featstore_put(st, rec, &o->err)) < 0)
			/* one record too big is that record's problem; a failed write is everyone's */
			fatal = rc != AD_ETOOBIG && rc != AD_EFORMAT;
		if (bad || rec_name(rec) == NULL || rc < 0) {
			if (!fatal && rc < 0)
				warn(o, "%s", o->err.msg);
			o->failed++;
		} else if (rc == 0) {
			o->same++;
		} else {
			o->written++;
			o->with_error += rec_has_error(rec);
		}
		json_decref(rec);
		if (fatal)
			break;
		tick(o, bad || rc < 0);
	}
	rec_reader_close(r);
	if (fatal) {
		featstore_close(st, NULL);     /* it would only repeat the failed write */
		return o->err.code;
	}
	return featstore_close(st, &o->err) < 0 ? o->err.code : 0;
}

int fsops_get_names(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, 0, &o->err);
	rec_writer *w;
	json_t *rec;
	int rc = 0;

	if (st == NULL)
		return o->err.code;
	if ((w = rec_writer_open(o->out, &o->err)) == NULL) {
		featstore_close(st, NULL);
		return o->err.code;
	}
	for (int i = 0; i < o->nnames && rc == 0; i++) {
		int got = featstore_get(st, o->names[i], &rec, &o->err);

		if (got == 0)
			warn(o, "%s: not found in %s", o->names[i], o->dir);
		else if (got < 0)
			warn(o, "%s", o->err.msg);
		else
			rc = rec_write(w, rec, &o->err);
		o->failed += got <= 0;
		if (got > 0)
			json_decref(rec);
	}
	featstore_close(st, NULL);
	if (rc < 0) {
		rec_writer_close(w, 0, NULL);
		return rc;
	}
	return rec_writer_close(w, 1, &o->err) < 0 ? o->err.code : 0;
}

struct cat {
	struct fsops *o;
	rec_writer *w;
	aderr err;
};

static int cat_one(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	struct cat *c = ud;
	json_t *failed_rec = NULL;
	int rc;

	if (rec == NULL) {
		/* a damaged entry still has a name: pass it on as a failure, as stages do */
		warn(c->o, "%s", bad->msg);
		c->o->failed++;
		rec = failed_rec = json_object();
		if (failed_rec == NULL || rec_set_str(failed_rec, "name", name) < 0 ||
		    rec_set_error(failed_rec, "featstore", aderr_name(bad->code), bad->msg) < 0) {
			json_decref(failed_rec);
			return aderr_set(&c->err, AD_ENOMEM, "out of memory");
		}
	}
	rc = rec_write(c->w, rec, &c->err);
	json_decref(failed_rec);
	c->o->records++;
	tick(c->o, bad != NULL);
	return rc;
}

int fsops_cat(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, 0, &o->err);
	struct cat c = { .o = o };
	int rc;

	if (st == NULL)
		return o->err.code;
	if ((c.w = rec_writer_open(o->out, &o->err)) == NULL) {
		featstore_close(st, NULL);
		return o->err.code;
	}
	if (o->pg != NULL)
		o->pg->total = featstore_count(st);
	rc = featstore_each(st, o->prefix, cat_one, &c, &o->err);
	featstore_close(st, NULL);
	if (rc != 0) {
		if (!(rc < 0 && o->err.code < 0))
			o->err = c.err;
		rec_writer_close(c.w, 0, NULL);
		return o->err.code < 0 ? o->err.code : AD_EIO;
	}
	return rec_writer_close(c.w, 1, &o->err) < 0 ? o->err.code : 0;
}

struct walk {
	struct fsops *o;
	featstore *dst;              /* merge: where the records go; verify: NULL */
	const char *from;
	aderr err;
};

static int walk_one(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	struct walk *w = ud;
	int rc;

	(void)name;
	w->o->records++;
	if (rec == NULL) {
		warn(w->o, "%s: %s", w->from, bad->msg);   /* the message names the entry */
		w->o->damaged++;
		tick(w->o, 1);
		return 0;
	}
	if (w->dst != NULL) {
		if ((rc = featstore_put(w->dst, rec, &w->err)) < 0)
			return rc;
		*(rc == 1 ? &w->o->written : &w->o->same) += 1;
	}
	tick(w->o, 0);
	return 0;
}

/* featstore_each's result as a code, o->err filled: its own failure or the walk's. */
static int walk_failed(struct fsops *o, struct walk *w, int rc)
{
	if (!(rc < 0 && o->err.code < 0))
		o->err = w->err;
	return o->err.code < 0 ? o->err.code : AD_EIO;
}

int fsops_verify(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, 0, &o->err);
	struct walk w = { .o = o, .from = o->dir };
	struct featstore_stats *s = &o->stats;
	int rc;

	if (st == NULL)
		return o->err.code;
	featstore_stats(st, s);
	if (o->pg != NULL)
		o->pg->total = s->names;
	rc = featstore_each(st, NULL, walk_one, &w, &o->err);
	featstore_close(st, NULL);
	if (rc != 0)
		return walk_failed(o, &w, rc);
	if (s->damaged_entries > s->damaged)
		warn(o, "%s: %ld older entries damaged (superseded, no data lost)", o->dir,
		    s->damaged_entries - s->damaged);
	if (s->skipped_bytes > 0)
		warn(o, "%s: %lld bytes that are no valid entry were stepped over", o->dir,
		    s->skipped_bytes);
	if (s->tail_bytes > 0)
		warn(o, "%s: torn tail of %lld bytes at the end (a killed writer; the next put "
		    "cuts it)", o->dir, s->tail_bytes);
	return o->damaged > 0 || s->damaged_entries > 0 || s->skipped_bytes > 0 ||
	    s->tail_bytes > 0;
}

int fsops_merge(struct fsops *o)
{
	struct walk w = { .o = o };
	int rc = 0;

	for (int i = 0; i < o->nnames; i++) {
		char *a = realpath(o->names[i], NULL), *b = realpath(o->dir, NULL);
		int same = a != NULL && b != NULL && strcmp(a, b) == 0;

		free(a);
		free(b);
		if (same)
			return aderr_set(&o->err, AD_EUSAGE, "merge: %s is the destination store "
			    "itself", o->names[i]);
	}
	if ((w.dst = featstore_open(o->dir, FEATSTORE_WRITE | FEATSTORE_CREATE, &o->err)) == NULL)
		return o->err.code;
	for (int i = 0; i < o->nnames && rc == 0; i++) {
		featstore *src = featstore_open(o->names[i], 0, &o->err);

		if (src == NULL) {
			rc = o->err.code;
			break;
		}
		w.from = o->names[i];
		rc = featstore_each(src, NULL, walk_one, &w, &o->err);
		featstore_close(src, NULL);
		if (rc != 0)
			rc = walk_failed(o, &w, rc);
	}
	if (rc != 0) {
		featstore_close(w.dst, NULL);
		return rc;
	}
	return featstore_close(w.dst, &o->err) < 0 ? o->err.code : 0;
}

static int rm_name(struct fsops *o, featstore *st, const char *name)
{
	int rc = featstore_rm(st, name, &o->err);

	if (rc > 0)
		o->written++;
	else if (rc == 0)
		o->notfound++;
	return rc;
}

int fsops_rm(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, FEATSTORE_WRITE, &o->err);
	rec_reader *r = NULL;
	json_t *rec;
	long bad;
	int rc = 0, got = 0;

	if (st == NULL)
		return o->err.code;
	for (int i = 0; i < o->nnames && rc >= 0; i++)
		rc = rm_name(o, st, o->names[i]);
	if (o->nnames == 0 && (r = rec_reader_open(o->in, &o->err)) == NULL)
		rc = o->err.code;
	while (r != NULL && rc >= 0 && (got = rec_read(r, &rec, &bad, &o->err)) > 0) {
		if (bad || rec_name(rec) == NULL) {
			warn(o, "%s:%ld: %s", rec_reader_label(r), rec_reader_line(r),
			    bad ? "invalid JSON" : "record has no name");
			o->failed++;
		} else {
			rc = rm_name(o, st, rec_name(rec));
		}
		json_decref(rec);
	}
	if (got < 0)
		rc = got;
	rec_reader_close(r);
	if (featstore_close(st, rc < 0 ? NULL : &o->err) < 0 && rc >= 0)
		rc = o->err.code;
	return rc < 0 ? rc : 0;
}

int fsops_compact(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, FEATSTORE_WRITE, &o->err);
	int rc;

	if (st == NULL)
		return o->err.code;
	rc = featstore_compact(st, &o->compacted, &o->err);
	if (featstore_close(st, rc < 0 ? NULL : &o->err) < 0 && rc >= 0)
		rc = o->err.code;
	return rc < 0 ? rc : 0;
}

int fsops_stats(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, 0, &o->err);
	struct featstore_stats s;
	rec_writer *w;
	json_t *j;
	int rc;

	if (st == NULL)
		return o->err.code;
	featstore_stats(st, &s);
	featstore_close(st, NULL);
	j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "store", o->dir,
	    "names", (json_int_t)s.names, "errors", (json_int_t)s.errors,
	    "entries", (json_int_t)s.entries, "segments", (json_int_t)s.segments,
	    "disk_bytes", (json_int_t)s.disk_bytes,
	    "bytes_per_name", (json_int_t)(s.names ? s.disk_bytes / s.names : 0),
	    "damaged_names", (json_int_t)s.damaged,
	    "damaged_entries", (json_int_t)s.damaged_entries,
	    "skipped_bytes", (json_int_t)s.skipped_bytes,
	    "torn_tail_bytes", (json_int_t)s.tail_bytes);
	if (j == NULL)
		return aderr_set(&o->err, AD_ENOMEM, "out of memory");
	w = rec_writer_open(o->out, &o->err);
	rc = w == NULL ? o->err.code : rec_write(w, j, &o->err);
	json_decref(j);
	if (w != NULL && rc < 0)
		rec_writer_close(w, 0, NULL);
	else if (w != NULL)
		rc = rec_writer_close(w, 1, &o->err);
	return rc < 0 ? rc : 0;
}

/* 1 when no spec is asked for, or the stored record of name (stored, when the caller
 * has read it already) was made with spec; a record that cannot be read is not. */
static int spec_ok(featstore *st, const char *spec, const char *name, const json_t *stored)
{
	json_t *got = NULL;
	const char *had;
	int ok;

	if (spec == NULL)
		return 1;
	if (stored == NULL && featstore_get(st, name, &got, NULL) != 1)
		return 0;
	had = rec_str(stored ? stored : got, "feat_spec");
	ok = had != NULL && strcmp(had, spec) == 0;
	json_decref(got);
	return ok;
}

int fsops_current(featstore *st, const json_t *rec, const char *spec)
{
	struct featstore_info si;

	return featstore_check(st, rec, &si) == FEATSTORE_SAME && !si.is_error && !si.is_bad &&
	    spec_ok(st, spec, rec_name(rec), NULL);
}

int fsops_join(featstore *st, json_t *rec, const char *spec, aderr *err)
{
	struct featstore_info si;
	const char *name = rec_name(rec);
	json_t *stored;
	int state, rc;

	state = featstore_check(st, rec, &si);
	if (state != FEATSTORE_SAME) {
		aderr_set(err, AD_ENOENT, state == FEATSTORE_NONE ? "no features stored for this "
		    "name" : "stored features are stale (etag differs)");
		return 1;
	}
	rc = featstore_get(st, name, &stored, err);
	if (rc <= 0)
		return rc == 0 ? aderr_set(err, AD_ENOENT, "no features stored for this name") : rc;
	if (!rec_has_error(stored) && !spec_ok(st, spec, name, stored)) {
		json_decref(stored);
		aderr_set(err, AD_ENOENT, "stored features were made by another featx version or "
		    "with other options (feat_spec differs)");
		return 1;
	}
	if (json_object_update(stored, rec) != 0 || json_object_clear(rec) != 0 ||
	    json_object_update(rec, stored) != 0) {
		json_decref(stored);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	json_decref(stored);
	return 0;
}
