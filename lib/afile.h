/* afile.h — output files that appear whole or not at all.
 *
 * afile_open creates "DIR/.NAME.tmp.PID.N" beside the target; afile_commit flushes,
 * fsyncs and renames it over the target, so a reader (or a rerun after SIGKILL) never
 * sees half a file.  afile_abort removes the temporary.  The struct is the caller's;
 * the strings inside are owned by it until commit/abort. */
#ifndef AZD_AFILE_H
#define AZD_AFILE_H

#include <stdio.h>
#include "err.h"

struct afile {
	FILE *fp;
	char *path;     /* final name */
	char *tmp;      /* temporary name, NULL once committed or aborted */
};

int afile_open(struct afile *af, const char *path, aderr *err);
int afile_commit(struct afile *af, aderr *err);
void afile_abort(struct afile *af);

/* Creates every missing directory of path's parent (like mkdir -p `dirname path`). */
int mkdir_parents(const char *path, aderr *err);
/* Builds a fresh temporary name beside path: caller frees. */
char *tmp_name_for(const char *path);

#endif
