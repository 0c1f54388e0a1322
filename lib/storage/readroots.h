/* readroots.h — the folders a run may read local files from.
 *
 * Records are instructions: a record's "path" or "src" names a local file that azget,
 * featx or azcp will read (and azcp may upload).  A careful user names the folders such
 * reads may come from (--read-under DIR, AZDEDUP_READ_ROOTS=DIR:DIR); a file whose real
 * path (links followed) lies outside all of them is refused before a byte is read.  With
 * no folder named, every readable file may be read, as before.
 *
 * Ownership: rr_new returns a set freed by rr_free; the paths are copied. */
#ifndef AZD_READROOTS_H
#define AZD_READROOTS_H

#include "err.h"

typedef struct read_roots read_roots;

read_roots *rr_new(void);
void rr_free(read_roots *rr);
/* Adds a folder (it must exist: AD_EUSAGE otherwise). */
int rr_add(read_roots *rr, const char *dir, aderr *err);
/* Adds the folders of AZDEDUP_READ_ROOTS (':'-separated, empty parts ignored). */
int rr_add_env(read_roots *rr, aderr *err);
/* 1 when folders were named, so that reads are checked. */
int rr_active(const read_roots *rr);
/* 0 when path may be read (or no folder was named); AD_EPERM with the reason when its
 * real path lies outside every folder; the realpath failure (AD_ENOENT...) otherwise. */
int rr_check(const read_roots *rr, const char *path, aderr *err);

/* 0 when name under the storage s may be read: always for a source that is not a local
 * folder, else rr_check of its path (a name that leaves the folder is refused too). */
struct stor;
int rr_check_in(const read_roots *rr, struct stor *s, const char *name, aderr *err);
/* A tool's set: the folders of AZDEDUP_READ_ROOTS, made on the first call (NULL, err
 * filled, when they cannot be read), and of each --read-under; freed at exit. */
read_roots *rr_tool(aderr *err);
/* --read-under DIR for a tool's getopt_long table; rr_parse_opt adds DIR to rr_tool's
 * set: 1 when code was that option, 0 when not, negative (err filled) when DIR is bad. */
enum { RR_OPT_READ_UNDER = 0x1101 };
#define RR_LONG_OPTS { "read-under", required_argument, NULL, RR_OPT_READ_UNDER }
int rr_parse_opt(int code, const char *arg, aderr *err);

#endif
