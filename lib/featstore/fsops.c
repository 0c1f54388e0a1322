/* fsops.c — featstore(1)'s commands' work on stores: the tool reads the options. */
#include "fsops.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "recscan.h"

/* the most members a record put reads in place may have (more: it is parsed) */
#define FSOPS_SCAN_MAX 128

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

/* A string member of a scanned record as a new NUL-terminated string in *out (NULL when
 * the member is missing or not a string); 0, or -1 when out of memory. */
static int scan_str(const struct rscan_member *m, int n, const char *key, char **out)
{
	const struct rscan_member *x = rscan_get(m, n, key);

	*out = NULL;
	if (x == NULL || x->v.type != RSCAN_STRING)
		return 0;
	return (*out = strndup(x->v.p, x->v.len)) ? 0 : -1;
}

/* put of a line in jansson's compact form (what featx writes), straight from its text:
 * that text is the dump featstore_put would make of the parsed record, so the entry is
 * the same.  1 when done (*rc: featstore_put's result), 0 when the line is not in that
 * form or has no name (the caller parses it and says what is wrong), -1 out of memory. */
static int put_line(featstore *st, const char *line, size_t len, int *rc, int *is_error,
    aderr *err)
{
	struct rscan_member m[FSOPS_SCAN_MAX];
	const struct rscan_member *e;
	char *name, *etag;
	int n;

	if (!rscan_object(line, len, m, FSOPS_SCAN_MAX, &n))
		return 0;
	if (scan_str(m, n, "name", &name) < 0)
		return -1;
	if (name == NULL || *name == '\0') {
		free(name);
		return 0;
	}
	if (scan_str(m, n, "etag", &etag) < 0) {
		free(name);
		return -1;
	}
	e = rscan_get(m, n, "error");
	*is_error = e != NULL && e->v.type == RSCAN_OBJECT;
	*rc = featstore_put_text(st, name, etag, *is_error, line, len, err);
	free(name);
	free(etag);
	return 1;
}

/* One record's outcome in put's counts: failed, the same as stored (rc 0), or written
 * (with an error object or not). */
static void count_put(struct fsops *o, int failed, int rc, int is_error)
{
	if (failed)
		o->failed++;
	else if (rc == 0)
		o->same++;
	else {
		o->written++;
		o->with_error += is_error;
	}
}

int fsops_put(struct fsops *o)
{
	featstore *st = featstore_open(o->dir, FEATSTORE_WRITE | FEATSTORE_CREATE, &o->err);
	rec_reader *r;
	json_t *rec;
	const char *line;
	size_t len;
	long bad;
	int rc, fatal = 0, fast, is_error;

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
		if ((rc = rec_read_line(r, &line, &len, &o->err)) <= 0) {
			fatal = rc < 0;
			break;
		}
		bad = 0;
		if ((fast = put_line(st, line, len, &rc, &is_error, &o->err)) < 0) {
			aderr_set(&o->err, AD_ENOMEM, "out of memory");
			fatal = 1;
			break;
		}
		if (fast) {
			/* as below, for a record with a name */
			fatal = rc < 0 && rc != AD_ETOOBIG && rc != AD_EFORMAT;
			if (!fatal && rc < 0)
				warn(o, "%s", o->err.msg);
			count_put(o, rc < 0, rc, is_error);
			if (fatal)
				break;
			tick(o, rc < 0);
			continue;
		}
		if ((rec = rec_parse(rec_reader_label(r), rec_reader_line(r), line, len, &bad)) == NULL) {
			aderr_set(&o->err, AD_ENOMEM, "out of memory");
			fatal = 1;
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
		if (!fatal && rc < 0)
			warn(o, "%s", o->err.msg);
		count_put(o, bad || rec_name(rec) == NULL || rc < 0, rc, rec_has_error(rec));
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

/* room for n more bytes (and a NUL) in the buffer *t (*len used of *cap); 0, or -1 out
 * of memory */
static int reserve(char **t, size_t len, size_t *cap, size_t n)
{
	if (len + n + 1 > *cap) {
		size_t c = (len + n + 1) * 2;
		char *x = realloc(*t, c);

		if (x == NULL)
			return -1;
		*t = x;
		*cap = c;
	}
	return 0;
}

/* text[0, n) at the end of the buffer */
static int put_out(char **t, size_t *len, size_t *cap, const char *text, size_t n)
{
	if (reserve(t, *len, cap, n) < 0)
		return -1;
	memcpy(*t + *len, text, n);
	*len += n;
	return 0;
}

/* A member "key":value of the input record at the end of the buffer, as jansson's compact
 * dump writes it (the key is plain: no escapes). */
static int put_member(char **t, size_t *len, size_t *cap, const char *key, size_t klen,
    const json_t *v)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
	size_t n;

	if (put_out(t, len, cap, "\"", 1) < 0 || put_out(t, len, cap, key, klen) < 0 ||
	    put_out(t, len, cap, "\":", 2) < 0)
		return -1;
	if ((n = json_dumpb(v, NULL, 0, flags)) == 0 || reserve(t, *len, cap, n) < 0 ||
	    json_dumpb(v, *t + *len, n, flags) != n)
		return -1;
	*len += n;
	return 0;
}

/* 1 when jansson writes the name as it is: printable ASCII, no quote or backslash */
static int plain_key(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || (unsigned char)*k >= 0x7f || *k == '"' || *k == '\\')
			return 0;
	return 1;
}

int fsops_join_text(featstore *st, json_t *rec, const char *spec, char **text, size_t *len,
    size_t *cap, int *stored_error, aderr *err)
{
	struct rscan_member m[FSOPS_SCAN_MAX];
	const struct rscan_member *x;
	struct featstore_info si;
	const char *name = rec_name(rec), *stored, *key;
	size_t slen;
	json_t *v;
	int n, rc, comma;

	*len = 0;
	*stored_error = 0;
	/* what is not read in place below (a missing, stale, damaged or foreign record, a
	 * stored text not in compact form, a name to escape) is fsops_join's, which says why */
	if (featstore_check(st, rec, &si) != FEATSTORE_SAME ||
	    featstore_get_text(st, name, &stored, &slen, NULL) != 1 ||
	    !rscan_object(stored, slen, m, FSOPS_SCAN_MAX, &n))
		goto parse;
	x = rscan_get(m, n, "error");
	*stored_error = x != NULL && x->v.type == RSCAN_OBJECT;
	if (!*stored_error && spec != NULL && ((x = rscan_get(m, n, "feat_spec")) == NULL ||
	    x->v.type != RSCAN_STRING || x->v.len != strlen(spec) ||
	    memcmp(x->v.p, spec, x->v.len) != 0))
		goto parse;
	json_object_foreach(rec, key, v)
		if (!plain_key(key))
			goto parse;
	/* the stored record with the input's fields over it, in the stored order, then the
	 * input's own fields in theirs: what json_object_update and a dump make of them */
	if (put_out(text, len, cap, "{", 1) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		if (i > 0 && put_out(text, len, cap, ",", 1) < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		v = json_object_getn(rec, m[i].key, m[i].klen);
		rc = v != NULL ? put_member(text, len, cap, m[i].key, m[i].klen, v) :
		    put_out(text, len, cap, m[i].at, m[i].span);
		if (rc < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	comma = n > 0;
	json_object_foreach(rec, key, v) {
		if (rscan_get(m, n, key) != NULL)
			continue;
		if ((comma && put_out(text, len, cap, ",", 1) < 0) ||
		    put_member(text, len, cap, key, strlen(key), v) < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		comma = 1;
	}
	if (put_out(text, len, cap, "}", 1) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
parse:
	*len = 0;
	*stored_error = 0;
	return fsops_join(st, rec, spec, err);
}
