/* dstsync.h — what a destination holds that a run no longer keeps: the names under DST
 * that are the destination name of no keeper (after a rerun with stricter settings, the
 * copies an earlier run made of what are now duplicates), and what a copy would do there
 * (a dry run). */
#ifndef AZD_DSTSYNC_H
#define AZD_DSTSYNC_H

#include "storage.h"

/* Lists dst and calls extra(ud, name) for every object whose name kept(ud, name) says is
 * not kept (0), in byte order of the names; a non-zero return from extra stops the walk
 * and is returned.  A destination that does not exist yet (a folder or container a dry
 * run did not create) holds nothing: 0. */
int dst_extraneous(stor *dst, int (*kept)(void *ud, const char *name),
    int (*extra)(void *ud, const char *name), void *ud, aderr *err);

/* What stor_copy (src set; local when src has no such object any more) or stor_put
 * (local) would do to dst/name, touching nothing: STOR_DONE it would write (absent, or replaced with STOR_OVERWRITE, or present
 * with the same size where only the copy itself can tell), STOR_SAME the same bytes are
 * there already (the same size and MD5, or for two local files the same bytes), AD_EEXIST
 * different bytes are there and STOR_OVERWRITE is not set, or another error.  dst NULL
 * is a destination that does not exist yet. */
int dst_plan(stor *dst, const char *name, stor *src, const char *local, int flags,
    aderr *err);

#endif
