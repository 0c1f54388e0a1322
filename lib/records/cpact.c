/* cpact.c — a dry run's plan, the quarantine of duplicates and the extraneous names of a
 * destination, for azcp (cpact.h). */
#include "cpact.h"
#include "dstsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpact_plan(const struct cpact *a, stor *dst, json_t *rec, stor *src, const char *path,
    int flags, aderr *err)
{
	int rc = dst_plan(dst, rec_name(rec), src, path, flags, err);

	if (rc < 0)
		return rc;
	rec_set_str(rec, "plan", rc == STOR_SAME ? "unchanged" : a->link ? "link" : "copy");
	return 0;
}

int cpact_quarantine(struct cpact *a, json_t *rec, stor *src, aderr *err)
{
	const char *name = rec_name(rec);
	char *from = NULL, *to = NULL;
	int rc;

	if (src == NULL || strcmp(stor_kind(src), "local") != 0)
		return aderr_set(err, AD_EUNSUP, "not in a local source folder: not moved");
	if (a->qs != NULL && stor_within(a->qs, src))
		return aderr_set(err, AD_ECONFIG, "%s: the quarantine is inside the source %s (the "
		    "next listing would read the duplicates back)", a->qdir, stor_display(src));
	if (a->dry)
		return rec_set_str(rec, "plan", "quarantine") < 0 ?
		    aderr_set(err, AD_ENOMEM, "out of memory") : 0;
	if (asprintf(&from, "%s/%s", stor_root(src), name) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = qr_move(a->q, from, name, &to, err);
	free(from);
	if (rc < 0)
		return rc;
	rec_set_str(rec, "copy", "quarantined");
	rec_set_str(rec, "quarantine", to);
	free(to);
	return 0;
}

struct walk {
	struct cpact *a;
	stor *dst;
	int (*kept)(void *ud, const char *name);
	void *ud;
	rec_writer *wr;
	void (*failed)(const char *name, const aderr *e);
	aderr *err;
};

static int kept_here(void *ud, const char *name)
{
	const struct walk *w = ud;

	return w->kept(w->ud, name);
}

static int extra_one(void *ud, const char *name)
{
	struct walk *w = ud;
	json_t *rec = json_pack("{s:s, s:s, s:s}", "type", "extraneous", "name", name, "dst",
	    stor_display(w->dst));
	aderr e = {0};
	int rc;

	if (rec == NULL)
		return aderr_set(w->err, AD_ENOMEM, "out of memory");
	w->a->found++;
	if (w->a->extra == CPACT_DELETE && w->a->dry) {
		rec_set_str(rec, "plan", "remove");
	} else if (w->a->extra == CPACT_DELETE) {
		/* gone already (another remover, a retried request) is as good as removed */
		if ((rc = stor_delete(w->dst, name, &e)) < 0 && rc != AD_ENOENT) {
			w->a->failed++;
			rec_set_error(rec, "azcp", aderr_name(e.code), e.msg);
			if (w->failed != NULL)
				w->failed(name, &e);
		} else {
			w->a->removed++;
			rec_set_str(rec, "copy", "removed");
		}
	}
	rc = rec_write(w->wr, rec, w->err);
	json_decref(rec);
	return rc;
}

int cpact_extraneous(struct cpact *a, stor *dst, int (*kept)(void *ud, const char *name),
    void *ud, rec_writer *wr, void (*failed)(const char *name, const aderr *e), aderr *err)
{
	struct walk w = { a, dst, kept, ud, wr, failed, err };
	aderr le = {0};
	int rc;

	if (dst == NULL)
		return 0;        /* a destination a dry run did not create holds nothing */
	rc = dst_extraneous(dst, kept_here, extra_one, &w, &le);
	if (rc < 0 && le.code != 0)
		*err = le;       /* the listing failed (extra_one fills err itself) */
	return rc;
}
