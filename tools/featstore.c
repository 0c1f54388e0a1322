/* featstore — keep features between runs: put records into a store, filter out what is
 * stored already, join stored features back onto a listing, dump the store. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "log.h"
#include "rec.h"
#include "featstore.h"
#include "version.h"

struct fs {
	featstore *st;
	const char *dir, *in, *out, *prefix, *spec;
	int quiet;
	struct filter *f;
	long todo, already, notfound, stored_failed, written, failed;
};

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: featstore put STORE [-q] [-i FILE]\n"
	    "       featstore has STORE [-q] [--spec S] [-i FILE] [-o FILE]\n"
	    "       featstore get STORE [-q] [--spec S] [-i FILE] [-o FILE] [NAME...]\n"
	    "       featstore cat STORE [-q] [--prefix P] [-o FILE]\n"
	    "       featstore merge STORE [-q] SRC...\n"
	    "       featstore rm STORE [-q] [-i FILE] [NAME...]\n"
	    "       featstore compact STORE [-q]\n"
	    "       featstore verify STORE [-q]\n"
	    "       featstore stats STORE [-o FILE]\n"
	    "Keep the records featx makes in STORE, a folder of append-only segment files;\n"
	    "the latest record of a name wins.\n\n"
	    "  put  store every input record, failed ones too (STORE is made on first use)\n"
	    "  has  pass on only the records not stored yet for the same etag (or sha256, or\n"
	    "       name, when the record has no etag); stored failures count as not stored\n"
	    "  get  with NAMEs, print their stored records; else replace each input record by\n"
	    "       its stored one, in input order (fields of the input win); a record with\n"
	    "       nothing stored for its etag gets a not_found error\n"
	    "  cat  print the latest record of every name, in byte order of the names\n"
	    "  merge  add the latest record of every name of each SRC store (later ones win),\n"
	    "       e.g. shards made on different machines\n"
	    "  rm   remove the NAMEs, or the names of the input records\n"
	    "  compact  rewrite the live records into new segments, dropping old versions,\n"
	    "       removed names and damaged entries\n"
	    "  verify  read every entry and check it; exit 1 when anything is damaged\n"
	    "  stats  print what the store holds as one JSON object\n\n"
	    "  -i, --input FILE   read FILE instead of standard input\n"
	    "  -o, --output FILE  write to FILE atomically instead of standard output\n"
	    "  -p, --prefix P     cat: only names starting with P\n"
	    "  -s, --spec S       has, get: a stored record counts only when its feat_spec is S\n"
	    "                     (what `featx OPTIONS --spec` prints): features made by\n"
	    "                     another featx version, or without a field asked for now\n"
	    "                     (thumb, keypoints), are not stored\n"
	    "  -q, --quiet        no progress line or summary\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n");
}

static featstore *open_store(const char *dir, int flags)
{
	aderr err = {0};
	featstore *st = featstore_open(dir, flags, &err);

	if (st == NULL)
		log_err("%s", err.msg);
	return st;
}

static int close_store(featstore *st)
{
	aderr err = {0};

	if (featstore_close(st, &err) < 0) {
		log_err("%s", err.msg);
		return -1;
	}
	return 0;
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

static int cmd_put(struct fs *fs)
{
	struct progress pg;
	rec_reader *r;
	aderr err = {0};
	json_t *rec;
	long bad, stored = 0, unchanged = 0, with_error = 0;
	int rc, fatal = 0;

	if ((fs->st = open_store(fs->dir, FEATSTORE_WRITE | FEATSTORE_CREATE)) == NULL)
		return 2;
	if ((r = rec_reader_open(fs->in, &err)) == NULL) {
		log_err("%s", err.msg);
		close_store(fs->st);
		return 2;
	}
	progress_init(&pg, log_prog(), -1, fs->quiet);
	/* counting the lines reads the input twice: only for a progress line on screen */
	if (pg.tty)
		pg.total = rec_reader_total(r);
	for (;;) {
		if (input_idle(fs->in) && featstore_flush(fs->st, 0, &err) < 0) {
			fatal = 1;
			break;
		}
		if ((rc = rec_read(r, &rec, &bad, &err)) <= 0) {
			fatal = rc < 0;
			break;
		}
		rc = 0;
		if (bad)
			log_err("%s", json_string_value(json_object_get(json_object_get(rec, "error"), "message")));
		else if (rec_name(rec) == NULL)
			log_err("%s:%ld: record has no name", rec_reader_label(r), rec_reader_line(r));
		else if ((rc = featstore_put(fs->st, rec, &err)) < 0)
			/* one record too big is that record's problem; a failed write is everyone's */
			fatal = rc != AD_ETOOBIG && rc != AD_EFORMAT;
		if (bad || rec_name(rec) == NULL || rc < 0) {
			if (!fatal && rc < 0)
				log_err("%s", err.msg);
			fs->failed++;
		} else if (rc == 0) {
			unchanged++;
		} else {
			stored++;
			with_error += rec_has_error(rec);
		}
		json_decref(rec);
		if (fatal)
			break;
		progress_tick(&pg, bad || rc < 0);
	}
	rec_reader_close(r);
	if (fatal) {
		log_err("%s", err.msg);
		featstore_close(fs->st, NULL);     /* it would only repeat the failed write */
		return 2;
	}
	if (close_store(fs->st) < 0)
		return 2;
	progress_done(&pg, "stored %ld records (%ld of them failed upstream), %ld unchanged, %ld failed",
	    stored, with_error, unchanged, fs->failed);
	return fs->failed ? 1 : 0;
}

/* 1 when no --spec was given, or the stored record of name (stored, when the caller has
 * read it already) was made with that spec; a record that cannot be read is not. */
static int spec_ok(struct fs *fs, const char *name, const json_t *stored)
{
	json_t *got = NULL;
	const char *spec;
	int ok;

	if (fs->spec == NULL)
		return 1;
	if (stored == NULL && featstore_get(fs->st, name, &got, NULL) != 1)
		return 0;
	spec = rec_str(stored ? stored : got, "feat_spec");
	ok = spec != NULL && strcmp(spec, fs->spec) == 0;
	json_decref(got);
	return ok;
}

static int has_one(void *ud, json_t *rec, aderr *err)
{
	struct fs *fs = ud;
	struct featstore_info si;

	if (rec_name(rec) == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		log_err("%s: record %ld: %s", fs->in ? fs->in : "stdin", fs->f->records, err->msg);
		rec_set_error(rec, "featstore", "bad_record", err->msg);
		return FILTER_FAILED;
	}
	if (featstore_check(fs->st, rec, &si) == FEATSTORE_SAME && !si.is_error && !si.is_bad &&
	    spec_ok(fs, rec_name(rec), NULL)) {
		fs->already++;
		return FILTER_DROP;
	}
	fs->todo++;
	return FILTER_OK;
}

/* Makes rec the stored record of its name, with the input's fields on top: they say where
 * the file is now, the stored ones what it looks like (its etag is the same). */
static int get_one(void *ud, json_t *rec, aderr *err)
{
	struct fs *fs = ud;
	struct featstore_info si;
	const char *name = rec_name(rec);
	json_t *stored;
	int state, rc;

	if (name == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		log_err("%s: record %ld: %s", fs->in ? fs->in : "stdin", fs->f->records, err->msg);
		rec_set_error(rec, "featstore", "bad_record", err->msg);
		return FILTER_FAILED;
	}
	state = featstore_check(fs->st, rec, &si);
	if (state != FEATSTORE_SAME) {
		fs->notfound++;
		rec_set_error(rec, "featstore", "not_found", state == FEATSTORE_NONE ?
		    "no features stored for this name" : "stored features are stale (etag differs)");
		return FILTER_FAILED;
	}
	rc = featstore_get(fs->st, name, &stored, err);
	if (rc <= 0) {
		if (rc == 0)
			aderr_set(err, AD_ENOENT, "no features stored for this name");
		log_err("%s", err->msg);
		rec_set_error(rec, "featstore", aderr_name(err->code), err->msg);
		return FILTER_FAILED;
	}
	if (!rec_has_error(stored) && !spec_ok(fs, name, stored)) {
		json_decref(stored);
		fs->notfound++;
		rec_set_error(rec, "featstore", "not_found", "stored features were made by another "
		    "featx version or with other options (feat_spec differs)");
		return FILTER_FAILED;
	}
	if (json_object_update(stored, rec) != 0 || json_object_clear(rec) != 0 ||
	    json_object_update(rec, stored) != 0) {
		json_decref(stored);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	json_decref(stored);
	if (rec_has_error(rec))
		fs->stored_failed++;
	fs->written++;
	return FILTER_OK;
}

static int run_filter(struct fs *fs, int (*each)(void *, json_t *, aderr *), int flags)
{
	struct filter f = { .in = fs->in, .out = fs->out, .quiet = fs->quiet, .each = each, .ud = fs };
	aderr err = {0};
	int rc;

	if ((fs->st = open_store(fs->dir, flags)) == NULL)
		return 2;
	fs->f = &f;
	rc = filter_run(&f, log_prog(), &err);
	featstore_close(fs->st, NULL);
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	if (each == has_one)
		progress_done(&f.progress, "%ld to do, %ld already stored, %ld failed upstream, %ld failed",
		    fs->todo, fs->already, f.upstream, f.failed - fs->notfound);
	else
		progress_done(&f.progress, "%ld joined (%ld of them failed in featx), %ld not found, "
		    "%ld failed upstream, %ld failed", fs->written, fs->stored_failed, fs->notfound,
		    f.upstream, f.failed - fs->notfound);
	return filter_status(&f);
}

static int cmd_get_names(struct fs *fs, char **names, int n)
{
	rec_writer *w;
	aderr err = {0};
	json_t *rec;
	int rc = 0;

	if ((fs->st = open_store(fs->dir, 0)) == NULL)
		return 2;
	if ((w = rec_writer_open(fs->out, &err)) == NULL) {
		log_err("%s", err.msg);
		featstore_close(fs->st, NULL);
		return 2;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		int got = featstore_get(fs->st, names[i], &rec, &err);

		if (got == 0)
			log_err("%s: not found in %s", names[i], fs->dir);
		else if (got < 0)
			log_err("%s", err.msg);
		else
			rc = rec_write(w, rec, &err);
		fs->failed += got <= 0;
		json_decref(rec);
	}
	featstore_close(fs->st, NULL);
	if (rc < 0 || rec_writer_close(w, rc == 0, &err) < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	return fs->failed ? 1 : 0;
}

struct cat {
	struct fs *fs;
	rec_writer *w;
	struct progress pg;
	aderr err;
};

static int cat_one(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	struct cat *c = ud;
	json_t *failed_rec = NULL;
	int rc;

	if (rec == NULL) {
		/* a damaged entry still has a name: pass it on as a failure, as stages do */
		log_err("%s", bad->msg);
		c->fs->failed++;
		rec = failed_rec = json_object();
		if (failed_rec == NULL || rec_set_str(failed_rec, "name", name) < 0 ||
		    rec_set_error(failed_rec, "featstore", aderr_name(bad->code), bad->msg) < 0) {
			json_decref(failed_rec);
			return aderr_set(&c->err, AD_ENOMEM, "out of memory");
		}
	}
	rc = rec_write(c->w, rec, &c->err);
	json_decref(failed_rec);
	progress_tick(&c->pg, bad != NULL);
	return rc;
}

static int cmd_cat(struct fs *fs)
{
	struct cat c = { .fs = fs };
	aderr err = {0};
	int rc;

	if ((fs->st = open_store(fs->dir, 0)) == NULL)
		return 2;
	if ((c.w = rec_writer_open(fs->out, &err)) == NULL) {
		log_err("%s", err.msg);
		featstore_close(fs->st, NULL);
		return 2;
	}
	progress_init(&c.pg, log_prog(), featstore_count(fs->st), fs->quiet);
	rc = featstore_each(fs->st, fs->prefix, cat_one, &c, &err);
	featstore_close(fs->st, NULL);
	if (rc != 0) {
		log_err("%s", rc < 0 && err.code < 0 ? err.msg : c.err.msg);
		rec_writer_close(c.w, 0, NULL);
		return 2;
	}
	if (rec_writer_close(c.w, 1, &err) < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	progress_done(&c.pg, "%ld records, %ld damaged", c.pg.done, fs->failed);
	return fs->failed ? 1 : 0;
}

static int cmd_stats(struct fs *fs)
{
	struct featstore_stats st;
	rec_writer *w;
	aderr err = {0};
	json_t *j;
	int rc;

	if ((fs->st = open_store(fs->dir, 0)) == NULL)
		return 2;
	featstore_stats(fs->st, &st);
	featstore_close(fs->st, NULL);
	j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "store", fs->dir,
	    "names", (json_int_t)st.names, "errors", (json_int_t)st.errors,
	    "entries", (json_int_t)st.entries, "segments", (json_int_t)st.segments,
	    "disk_bytes", (json_int_t)st.disk_bytes,
	    "bytes_per_name", (json_int_t)(st.names ? st.disk_bytes / st.names : 0),
	    "damaged_names", (json_int_t)st.damaged,
	    "damaged_entries", (json_int_t)st.damaged_entries,
	    "skipped_bytes", (json_int_t)st.skipped_bytes,
	    "torn_tail_bytes", (json_int_t)st.tail_bytes);
	if (j == NULL) {
		log_err("out of memory");
		return 2;
	}
	w = rec_writer_open(fs->out, &err);
	rc = w == NULL ? err.code : rec_write(w, j, &err);
	json_decref(j);
	if (w != NULL && rc < 0)
		rec_writer_close(w, 0, NULL);
	else if (w != NULL)
		rc = rec_writer_close(w, 1, &err);
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	return 0;
}

struct walk {
	featstore *dst;              /* merge: where the records go; verify: NULL */
	const char *from;
	long records, written, same, damaged;
	struct progress pg;
	aderr err;
};

static int walk_one(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	struct walk *w = ud;
	int rc;

	(void)name;
	w->records++;
	if (rec == NULL) {
		log_err("%s: %s", w->from, bad->msg);   /* the message names the entry */
		w->damaged++;
		progress_tick(&w->pg, 1);
		return 0;
	}
	if (w->dst != NULL) {
		if ((rc = featstore_put(w->dst, rec, &w->err)) < 0)
			return rc;
		*(rc == 1 ? &w->written : &w->same) += 1;
	}
	progress_tick(&w->pg, 0);
	return 0;
}

static int cmd_verify(struct fs *fs)
{
	struct walk w = { .from = fs->dir };
	struct featstore_stats st;
	aderr err = {0};
	int rc, bad;

	if ((fs->st = open_store(fs->dir, 0)) == NULL)
		return 2;
	featstore_stats(fs->st, &st);
	progress_init(&w.pg, log_prog(), st.names, fs->quiet);
	rc = featstore_each(fs->st, NULL, walk_one, &w, &err);
	featstore_close(fs->st, NULL);
	if (rc != 0) {
		log_err("%s", rc < 0 && err.code < 0 ? err.msg : w.err.msg);
		return 2;
	}
	if (st.damaged_entries > st.damaged)
		log_err("%s: %ld older entries damaged (superseded, no data lost)", fs->dir,
		    st.damaged_entries - st.damaged);
	if (st.skipped_bytes > 0)
		log_err("%s: %lld bytes that are no valid entry were stepped over", fs->dir,
		    st.skipped_bytes);
	if (st.tail_bytes > 0)
		log_err("%s: torn tail of %lld bytes at the end (a killed writer; the next put "
		    "cuts it)", fs->dir, st.tail_bytes);
	bad = w.damaged > 0 || st.damaged_entries > 0 || st.skipped_bytes > 0 || st.tail_bytes > 0;
	progress_done(&w.pg, "%s: %ld names in %ld segments checked: %s", fs->dir, w.records,
	    st.segments, bad ? "problems found" : "ok");
	return bad ? 1 : 0;
}

static int rm_name(struct fs *fs, const char *name, aderr *err)
{
	int rc = featstore_rm(fs->st, name, err);

	if (rc > 0)
		fs->written++;
	else if (rc == 0)
		fs->notfound++;
	return rc;
}

static int cmd_rm(struct fs *fs, char **names, int n)
{
	struct progress pg;
	aderr err = {0};
	int rc = 0;

	if ((fs->st = open_store(fs->dir, FEATSTORE_WRITE)) == NULL)
		return 2;
	progress_init(&pg, log_prog(), -1, fs->quiet);
	if (n > 0) {
		for (int i = 0; i < n && rc >= 0; i++)
			rc = rm_name(fs, names[i], &err);
	} else {
		rec_reader *r = rec_reader_open(fs->in, &err);
		json_t *rec;
		long bad;
		int got = 0;

		if (r == NULL)
			rc = err.code;
		while (r != NULL && rc >= 0 && (got = rec_read(r, &rec, &bad, &err)) > 0) {
			if (bad || rec_name(rec) == NULL) {
				log_err("%s:%ld: %s", rec_reader_label(r), rec_reader_line(r),
				    bad ? "invalid JSON" : "record has no name");
				fs->failed++;
			} else {
				rc = rm_name(fs, rec_name(rec), &err);
			}
			json_decref(rec);
		}
		if (got < 0)
			rc = got;
		rec_reader_close(r);
	}
	if (featstore_close(fs->st, rc < 0 ? NULL : &err) < 0 && rc >= 0)
		rc = err.code;
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	progress_done(&pg, "removed %ld, %ld were not stored", fs->written, fs->notfound);
	return fs->failed ? 1 : 0;
}

static int cmd_compact(struct fs *fs)
{
	struct featstore_compact_result res;
	struct progress pg;
	aderr err = {0};
	int rc;

	if ((fs->st = open_store(fs->dir, FEATSTORE_WRITE)) == NULL)
		return 2;
	progress_init(&pg, log_prog(), -1, fs->quiet);
	rc = featstore_compact(fs->st, &res, &err);
	if (featstore_close(fs->st, rc < 0 ? NULL : &err) < 0 && rc >= 0)
		rc = err.code;
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	pg.done = res.kept;
	progress_done(&pg, "%s: %ld names kept in %ld segments, %ld dropped, %lld -> %lld bytes",
	    fs->dir, res.kept, res.segments, res.dropped, res.bytes_before, res.bytes_after);
	return 0;
}

static int cmd_merge(struct fs *fs, char **srcs, int n)
{
	struct walk w = {0};
	aderr err = {0};
	int rc = 0;

	for (int i = 0; i < n; i++) {
		char *a = realpath(srcs[i], NULL), *b = realpath(fs->dir, NULL);
		int same = a != NULL && b != NULL && strcmp(a, b) == 0;

		free(a);
		free(b);
		if (same) {
			log_err("merge: %s is the destination store itself", srcs[i]);
			return 2;
		}
	}
	if ((w.dst = open_store(fs->dir, FEATSTORE_WRITE | FEATSTORE_CREATE)) == NULL)
		return 2;
	progress_init(&w.pg, log_prog(), -1, fs->quiet);
	for (int i = 0; i < n && rc == 0; i++) {
		featstore *src = open_store(srcs[i], 0);

		if (src == NULL) {
			rc = 2;
			break;
		}
		w.from = srcs[i];
		rc = featstore_each(src, NULL, walk_one, &w, &err);
		featstore_close(src, NULL);
		if (rc != 0) {
			log_err("%s", rc < 0 && err.code < 0 ? err.msg : w.err.msg);
			rc = 2;
		}
	}
	if (featstore_close(w.dst, &err) < 0 && rc == 0) {
		log_err("%s", err.msg);
		rc = 2;
	}
	if (rc != 0)
		return rc;
	progress_done(&w.pg, "merged %ld records from %d stores: %ld written, %ld unchanged, "
	    "%ld damaged left out", w.records, n, w.written, w.same, w.damaged);
	return w.damaged ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "spec", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fs fs = {0};
	const char *cmd;
	int c, nargs;

	log_init(argv[0]);
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("featstore (azdedup) %s\n", AZDEDUP_VERSION);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	/* options may come before or after STORE: getopt sees the arguments after the
	 * command, with the program's name in front for its messages */
	cmd = argv[1];
	argv[1] = argv[0];
	while ((c = getopt_long(argc - 1, argv + 1, "i:o:p:s:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 's': fs.spec = optarg; break;
		case 'i': fs.in = optarg; break;
		case 'o': fs.out = optarg; break;
		case 'p': fs.prefix = optarg; break;
		case 'q': fs.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("featstore (azdedup) %s\n", AZDEDUP_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	nargs = argc - 1 - optind;
	if (nargs < 1) {
		log_err("%s: missing STORE", cmd);
		usage(stderr);
		return 2;
	}
	fs.dir = argv[1 + optind];
	if (strcmp(cmd, "put") == 0 && nargs == 1 && !fs.out && !fs.prefix)
		return cmd_put(&fs);
	if (strcmp(cmd, "has") == 0 && nargs == 1 && !fs.prefix)
		return run_filter(&fs, has_one, FEATSTORE_MISSING_OK);
	if (strcmp(cmd, "get") == 0 && nargs == 1 && !fs.prefix)
		return run_filter(&fs, get_one, 0);
	if (fs.spec != NULL) {
		log_err("--spec: only for has and get with input records");
		return 2;
	}
	if (strcmp(cmd, "get") == 0 && nargs > 1 && !fs.prefix && !fs.in)
		return cmd_get_names(&fs, argv + 2 + optind, nargs - 1);
	if (strcmp(cmd, "cat") == 0 && nargs == 1 && !fs.in)
		return cmd_cat(&fs);
	if (strcmp(cmd, "merge") == 0 && nargs > 1 && !fs.in && !fs.out && !fs.prefix)
		return cmd_merge(&fs, argv + 2 + optind, nargs - 1);
	if (strcmp(cmd, "rm") == 0 && !fs.out && !fs.prefix && !(fs.in && nargs > 1))
		return cmd_rm(&fs, argv + 2 + optind, nargs - 1);
	if (strcmp(cmd, "compact") == 0 && nargs == 1 && !fs.in && !fs.out && !fs.prefix)
		return cmd_compact(&fs);
	if (strcmp(cmd, "verify") == 0 && nargs == 1 && !fs.in && !fs.out && !fs.prefix)
		return cmd_verify(&fs);
	if (strcmp(cmd, "stats") == 0 && nargs == 1 && !fs.in && !fs.prefix)
		return cmd_stats(&fs);
	if (strcmp(cmd, "put") != 0 && strcmp(cmd, "has") != 0 && strcmp(cmd, "get") != 0 &&
	    strcmp(cmd, "cat") != 0 && strcmp(cmd, "merge") != 0 && strcmp(cmd, "verify") != 0 &&
	    strcmp(cmd, "stats") != 0 && strcmp(cmd, "rm") != 0 && strcmp(cmd, "compact") != 0)
		log_err("%s: unknown command (put, has, get, cat, merge, rm, compact, verify or "
		    "stats)", cmd);
	else
		log_err("%s: options or arguments do not fit the command", cmd);
	usage(stderr);
	return 2;
}
