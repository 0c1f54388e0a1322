/* afile.h — output files that appear whole or not at all.
 *
 * afile_open writes to "DIR/.NAME.partial" beside the target, holding an flock on it
 * (".azd-HASH.partial" where NAME is too long to take a suffix within NAME_MAX);
 * afile_commit flushes, fsyncs and renames it over the target, and syncs the folder, so a
 * reader (or a rerun after SIGKILL or a full disk) never sees half a file: when any write,
 * flush, sync or close failed, the temporary is removed and the target left as it was.
 * The temporary's name is fixed so that a rerun after a kill takes the leftover over (its
 * writer's lock died with it) instead of leaving litter in the destination; only when a
 * live writer holds it is a unique name used.
 * afile_abort removes the temporary.  The struct is the caller's;
 * the strings inside are owned by it until commit/abort. */
#ifndef AZD_AFILE_H
#define AZD_AFILE_H

#include <stdio.h>
#include "err.h"

struct afile {
	FILE *fp;
	char *path;     /* final name */
	char *tmp;      /* temporary name, NULL once committed or aborted */
	int direct;     /* path is no regular file (-o /dev/null, a FIFO): written in place,
	                 * never replaced by a rename */
};

int afile_open(struct afile *af, const char *path, aderr *err);
int afile_commit(struct afile *af, aderr *err);
/* The same, with the fsync only when sync is set (a cache that a later run checks anyway
 * need not wait for the disk). */
int afile_commit_sync(struct afile *af, int sync, aderr *err);
void afile_abort(struct afile *af);
/* Syncs the finished file tmp, renames it to path and syncs the folder: for a file that
 * another writer made whole beside its target. */
int afile_move_synced(const char *tmp, const char *path, aderr *err);

/* Creates every missing directory of path's parent (like mkdir -p `dirname path`). */
int mkdir_parents(const char *path, aderr *err);
/* A unique temporary name beside path (".NAME.tmp.PID.N", or ".azd-HASH.tmp.PID.N" for a
 * long NAME: always within NAME_MAX): caller frees. */
char *tmp_name_for(const char *path);
/* The fixed temporary name of path (".NAME.partial" or ".azd-HASH.partial", with room
 * for another 5 bytes such as ".etag"): caller frees. */
char *partial_name_for(const char *path);
/* The same with another suffix (".fetch"), for a second fixed temporary beside path; the
 * suffix and anything added to the result must stay within 20 bytes. */
char *fixed_tmp_name_for(const char *path, const char *suffix);

#endif
