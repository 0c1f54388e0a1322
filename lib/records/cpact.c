/* cpact.c — a dry run's plan, the quarantine of duplicates and the extraneous names of a
 * destination, for azcp (cpact.h). */
#include "cpact.h"
#include "dstsync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpact_owners {
	pthread_mutex_t mu;
	json_t *owner;          /* destination name -> the source that owns it */
};

cpact_owners *cpact_owners_new(void)
{
	cpact_owners *o = calloc(1, sizeof *o);

	if (o == NULL || (o->owner = json_object()) == NULL) {
		free(o);
		return NULL;
	}
	pthread_mutex_init(&o->mu, NULL);
	return o;
}

void cpact_owners_free(cpact_owners *o)
{
	if (o == NULL)
		return;
	json_decref(o->owner);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

void cpact_owners_note(cpact_owners *o, const json_t *rec)
{
	const char *role = rec_str(json_object_get(rec, "dup"), "role");
	const char *from = rec_str(rec, "src"), *name = rec_name(rec);

	if (from == NULL)
		from = rec_str(rec, "path");
	if (from == NULL || name == NULL || json_object_get(rec, "type") != NULL ||
	    rec_has_error(rec) || (role != NULL && strcmp(role, "duplicate") == 0))
		return;
	pthread_mutex_lock(&o->mu);
	if (json_object_get(o->owner, name) == NULL)
		json_object_set_new(o->owner, name, json_string(from));
	pthread_mutex_unlock(&o->mu);
}

int cpact_owners_claim(cpact_owners *o, const char *name, const char *from, aderr *err)
{
	const char *had;
	int rc = 0;

	pthread_mutex_lock(&o->mu);
	had = json_string_value(json_object_get(o->owner, name));
	if (had != NULL && strcmp(had, from) != 0)
		rc = aderr_set(err, AD_EEXIST, "the same name came from %s in this run: not copied "
		    "over it (copy each source to its own destination)", had);
	pthread_mutex_unlock(&o->mu);
	return rc;
}

int cpact_owners_kept(void *o, const char *name)
{
	cpact_owners *ow = o;
	int k;

	pthread_mutex_lock(&ow->mu);
	k = json_object_get(ow->owner, name) != NULL;
	pthread_mutex_unlock(&ow->mu);
	return k;
}

int cpact_open_dst(const struct cpact *a, const char *url, stor **dst, char *note, size_t n,
    aderr *err)
{
	struct stor_entry e;
	int look = a->dry || a->extra == CPACT_LIST;

	*note = '\0';
	*dst = stor_open(url, STOR_NAMED | (look ? STOR_WRITE : STOR_CREATE), err);
	if (*dst == NULL && look && err->code == AD_ENOENT) {
		snprintf(note, n, "%s: does not exist (and is not created)",
		    strchr(url, '?') ? "DST" : url);
		return 0;
	}
	if (*dst == NULL)
		return err->code;
	if (look && stor_stat(*dst, ".azdedup-probe", &e, err) == AD_ECONFIG) {
		snprintf(note, n, "%s: %s (and is not created)", stor_display(*dst), err->msg);
		stor_close(*dst);
		*dst = NULL;
	}
	if (a->link && *dst != NULL && strcmp(stor_kind(*dst), "local") != 0) {
		aderr_set(err, AD_EUSAGE, "--link: %s is not a local folder", stor_display(*dst));
		stor_close(*dst);
		*dst = NULL;
		return err->code;
	}
	return 0;
}

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
