/* cpact.h — what azcp does with a report besides copying it: the plan of a dry run,
 * moving a duplicate out of its local source into a quarantine, and the names under the
 * destination that no kept record names (listed, planned for removal, or removed).
 * Records are labelled here ("plan", "copy", "quarantine", an error); the tool prints. */
#ifndef AZD_CPACT_H
#define AZD_CPACT_H

#include <jansson.h>
#include "err.h"
#include "quarantine.h"
#include "rec.h"
#include "storage.h"

enum { CPACT_LIST = 1, CPACT_DELETE = 2 };   /* struct cpact extra */
enum { CPACT_HARD = 1, CPACT_SYM = 2 };      /* struct cpact link */

struct cpact {
	int dry;              /* --dry-run: plan, touch nothing */
	int extra;            /* --list-extraneous, --delete-extraneous */
	int link;             /* --link hard|sym */
	const char *qdir;     /* --quarantine DIR */
	quarantine *q;        /* opened (not in a dry run) */
	stor *qs;             /* DIR as a storage, NULL when it does not exist yet */
	long found;           /* extraneous names found */
	long removed, failed; /* of those, removed, and those that could not be */
};

/* Which source owns each destination name in a run: the first record in input order
 * that names it (noted on the reading thread, so that thread timing never decides).  Two
 * sources may both hold "a.jpg": the others are refused rather than written over it,
 * and the names no record owns are the destination's extraneous ones.  Thread-safe. */
typedef struct cpact_owners cpact_owners;
cpact_owners *cpact_owners_new(void);
void cpact_owners_free(cpact_owners *o);
/* Notes rec's source (its src, else its path) as the owner of its name, unless the name
 * has one or rec is not one to copy (a duplicate, a failed or a group record). */
void cpact_owners_note(cpact_owners *o, const json_t *rec);
/* 0 when name is owned by from (or by nobody), else AD_EEXIST with the reason. */
int cpact_owners_claim(cpact_owners *o, const char *name, const char *from, aderr *err);
/* 1 when some record owns name (o is a cpact_owners, as cpact_extraneous's kept). */
int cpact_owners_kept(void *o, const char *name);

/* Opens DST as the options want it into *dst: created for a run that writes; for a dry
 * run or a listing only opened, and one that does not exist yet gives *dst NULL (it holds
 * nothing) with a note for the user in note[n].  0, or negative with err filled (and
 * *dst NULL). */
int cpact_open_dst(const struct cpact *a, const char *url, stor **dst, char *note, size_t n,
    aderr *err);

/* Sets rec's "plan" to what copying it to dst/name (dst NULL: not there yet) would do,
 * from src, else from the local file path: 0, or negative with err filled when the copy
 * would fail (different bytes in the way, say). */
int cpact_plan(const struct cpact *a, stor *dst, json_t *rec, stor *src, const char *path,
    int flags, aderr *err);
/* Moves the duplicate rec out of src (a local folder; NULL or another kind is an error)
 * into the quarantine, adding "copy":"quarantined" and "quarantine" (its new path); a dry
 * run sets "plan":"quarantine" instead.  0, or negative with err filled: AD_ECONFIG when
 * the quarantine lies inside src (every record would be read back: stop). */
int cpact_quarantine(struct cpact *a, json_t *rec, stor *src, aderr *err);
/* Writes {"type":"extraneous","name":N,"dst":D} to wr for each name under dst that kept
 * says no record keeps: with CPACT_DELETE it is removed ("copy":"removed"; in a dry run
 * "plan":"remove"), or gets an error and failed(name, err) is called.  0, or negative
 * with err filled when dst cannot be listed or wr written. */
int cpact_extraneous(struct cpact *a, stor *dst, int (*kept)(void *ud, const char *name),
    void *ud, rec_writer *wr, void (*failed)(const char *name, const aderr *e), aderr *err);

#endif
