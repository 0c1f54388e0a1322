/* workdir.h — azget's work folder: where the local copy of each source's file lies.
 *
 * Work files of distinct sources never share a name: the first source a work folder
 * sees has its files at DIR/NAME, as a single-source run always had; any other source's
 * lie at DIR/.src-HASH/NAME, HASH of its location (the one records show, without
 * credentials).  The first source is noted on DIR (an extended attribute, else the file
 * DIR/.source), so that reruns agree.
 *
 * A handle may be shared by threads.  Ownership is written at each function. */
#ifndef AZD_WORKDIR_H
#define AZD_WORKDIR_H

#include "err.h"

typedef struct workdir workdir;

/* Opens the work folder dir, creating it when missing.  NULL on failure, err says why. */
workdir *workdir_open(const char *dir, aderr *err);
void workdir_free(workdir *w);
/* The folder's absolute path; owned by w. */
const char *workdir_root(const workdir *w);
/* Makes src the folder's first source unless it has one (noted now or by an earlier
 * run).  0, or a negative code with err filled when the note cannot be read or made. */
int workdir_claim(workdir *w, const char *src, aderr *err);
/* Where name of src lies in the folder (claiming src first when nothing has been): a
 * new string the caller frees, or NULL with err filled. */
char *workdir_path(workdir *w, const char *src, const char *name, aderr *err);

#endif
