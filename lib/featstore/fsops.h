/* fsops.h — the work behind featstore(1)'s commands, apart from its options.
 *
 * put, get NAME..., cat, merge, rm, compact, verify and stats each take a struct fsops:
 * what the command line named, a progress line to tick (set up by the caller), and a
 * hook that hears of each problem met on the way, one line each ("subject: reason": a
 * record that cannot be stored, a damaged entry, a name not found), while the command
 * goes on; they fill the counts the summary reports.  has and get with input records
 * run in the tool's record loop, one record at a time (fsops_current, fsops_join).
 *
 * Nothing here prints: each returns 0 (verify: 1 when it found a problem), or a negative
 * code with o->err filled when the command could not run to its end. */
#ifndef AZD_FSOPS_H
#define AZD_FSOPS_H

#include <jansson.h>
#include "err.h"
#include "featstore.h"
#include "progress.h"

struct fsops {
	const char *dir;            /* the store */
	const char *in, *out;       /* records in and out: a file, or NULL for stdin/stdout */
	const char *prefix;         /* cat: only names starting with it (NULL: all) */
	char **names;               /* get, rm: the names; merge: the stores to merge in */
	int nnames;
	struct progress *pg;        /* ticked a record at a time */
	void (*warn)(void *ud, const char *msg);
	void *ud;
	/* counts: records read (merge, verify), written (put: stored, merge: written, rm:
	 * removed), same (put, merge: unchanged), with_error (put: records that failed
	 * upstream), failed (records or names that failed), damaged (entries), notfound (rm) */
	long records, written, same, with_error, failed, damaged, notfound;
	struct featstore_stats stats;              /* verify: what the store holds */
	struct featstore_compact_result compacted; /* compact */
	aderr err;
};

int fsops_put(struct fsops *o);
int fsops_get_names(struct fsops *o);
int fsops_cat(struct fsops *o);
int fsops_merge(struct fsops *o);
int fsops_rm(struct fsops *o);
int fsops_compact(struct fsops *o);
int fsops_verify(struct fsops *o);
/* One record of what the store holds (featstore(1) stats lists the fields). */
int fsops_stats(struct fsops *o);

/* has: 1 when st holds good features for rec's content (featstore_check: the same etag,
 * else sha256, else name), not a failure, not damaged, and made with spec when spec is
 * not NULL; else 0. */
int fsops_current(featstore *st, const json_t *rec, const char *spec);
/* get: makes rec the stored record of its name with rec's own fields on top (they say
 * where the file is now, the stored ones what it looks like).  0 when joined; 1 when
 * nothing current is stored (err says why: nothing for the name, another etag, another
 * feat_spec); negative (err filled) when the stored record cannot be read. */
int fsops_join(featstore *st, json_t *rec, const char *spec, aderr *err);
/* fsops_join, with the joined record's text made from the stored text where it can be
 * (the same bytes as rec's dump after fsops_join): in (*text)[0, *len) (a buffer of *cap,
 * grown with realloc), rec untouched, *stored_error set when the stored record carries an
 * error; else *len is 0 and rec is joined as fsops_join joins it.  The same returns. */
int fsops_join_text(featstore *st, json_t *rec, const char *spec, char **text, size_t *len,
    size_t *cap, int *stored_error, aderr *err);

#endif
