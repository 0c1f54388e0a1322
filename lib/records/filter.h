/* filter.h — the record loop every stage tool shares.
 *
 * Reads records from the input, hands each good one to the tool's function, writes the
 * result, and keeps the counts for the summary.  A malformed line is reported with its
 * line number and passed on as an error record; a record that already failed upstream is
 * passed on untouched (unless the tool asks to see those too); the output file is
 * committed only when the loop ends normally, so a killed or fatal run leaves no half
 * output behind.
 *
 * A tool that must see every record before it writes any (dedupe) runs the loop in
 * collect mode: nothing is written; each record goes, in input order, to the tool's
 * collect(), with what each_item() made of it on the workers, and (with keep) its text
 * to a spool for the tool's second pass. */
#ifndef AZD_FILTER_H
#define AZD_FILTER_H

#include <jansson.h>
#include "err.h"
#include "progress.h"
#include "spool.h"
#include "rec.h"

/* What the tool's function returns for a record. */
enum {
	FILTER_OK = 0,      /* write it */
	FILTER_FAILED = 1,  /* the function attached an error; write it, count a failure */
	FILTER_DROP = 2,    /* do not write it (the tool's job is to filter) */
	FILTER_PARSE = 3    /* each_line: parse the line, and each_item() the record */
};

struct filter {
	const char *in, *out;      /* NULL or "-" for stdin/stdout */
	int quiet;
	int see_errors;            /* 1: records with an error go to each() too */
	int threads;               /* >1: each() runs on that many threads at once over
	                            * batches of records (it must then be thread-safe);
	                            * output order is still input order.  Without seen(),
	                            * the lines are parsed on those threads too */
	int unordered;             /* 1: with threads, write records as they finish (not in
	                            * collect mode) */
	/* FILTER_* or a negative AD_E* code to stop the run at once (config/credential errors) */
	int (*each)(void *ud, json_t *rec, aderr *err);
	/* optional, instead of each() (not in collect mode): the same, and the record's
	 * output text may come back ready in (*text)[0, *len) (a buffer of *cap bytes the
	 * filter keeps and the function may grow with realloc), written as it is in place of
	 * the record's dump; *len left 0 writes the record as each() would have it */
	int (*each_text)(void *ud, json_t *rec, char **text, size_t *len, size_t *cap,
	    aderr *err);
	/* optional: called on the reading thread, in input order, with each record that will
	 * go to each(), before it does (for decisions that must not depend on thread timing) */
	void (*seen)(void *ud, const json_t *rec);
	/* optional: called once after the last record was written and before the output is
	 * committed, to write records of its own (rec_write), or to stop the run (a negative
	 * AD_E* code, err filled: the output is then not written) */
	int (*end)(void *ud, rec_writer *wr, aderr *err);
	void *ud;
	/* collect mode, when collect is set: each_item() takes each()'s place, with a slot
	 * of item_size bytes to fill for collect(), which the reading thread then calls for
	 * every record in input order: item is NULL when each_item() did not see the record
	 * (a malformed line, or an upstream failure without see_errors), res what it returned
	 * (or FILTER_FAILED, FILTER_OK for those); with keep, rec is NULL once the worker
	 * made its text for the spool (the record was freed there).  Workers take records a
	 * batch at a time in this mode.  collect() returns 0 or a negative code to stop the
	 * run.  drop() frees what each_item() made of a record that will never reach
	 * collect() (the run stopped first). */
	size_t item_size;
	int (*each_item)(void *ud, json_t *rec, void *item, aderr *err);
	int (*collect)(void *ud, json_t *rec, void *item, int res, aderr *err);
	void (*drop)(void *ud, void *item);
	/* optional, collect mode with keep: each_item() on the line itself, before it is
	 * parsed (the slot's copy, NUL-terminated at len, which it may write into unless it
	 * returns FILTER_PARSE): FILTER_* with the record's text for the spool in *text (a
	 * malloc'd buffer of *cap bytes, grown as needed) and its length in *len; or
	 * FILTER_PARSE, the line untouched, to have the line parsed and each_item() run on
	 * the record as ever (a line it does not read: a malformed one, for one) */
	int (*each_line)(void *ud, char *line, size_t len, void *item, char **text, size_t *len_out,
	    size_t *cap, aderr *err);
	int keep;                  /* collect mode: keep the records not dropped, as each_item()
	                            * left them, in f->kept (the caller closes it) */
	spool *kept;
	/* counts, filled by filter_run */
	long records, failed, upstream, malformed, dropped;
	struct progress progress;
};

/* Returns 0 when the loop ran to the end, or a negative code (err filled) when it
 * could not start or was stopped by each(). */
int filter_run(struct filter *f, const char *prog, aderr *err);
/* Exit status for the tool: 0 all good, 1 some records failed in this stage (a failure
 * upstream was already reported by its own stage, and is counted by the report). */
int filter_status(const struct filter *f);

#endif
