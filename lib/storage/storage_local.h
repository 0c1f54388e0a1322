/* storage_local.h — the local backend's entry points for the dispatcher (storage.c) and
 * for the copies between backends (stor_across.c); no backend includes it. */
#ifndef AZD_STORAGE_LOCAL_H
#define AZD_STORAGE_LOCAL_H

#include "stor_int.h"

extern const struct stor_ops stor_local_ops;
int stor_local_open(stor *s, const char *path, int flags, aderr *err);
/* The path of the object name in the local storage s (malloc'd); NULL out of memory. */
char *stor_local_path(const stor *s, const char *name);
/* Puts tmp, a file fetched beside path, in path's place by the rules of stor_put
 * (identical content is left alone, different content replaced only with
 * STOR_OVERWRITE), moving it rather than copying: STOR_DONE when it moved, STOR_SAME, or
 * an error; tmp is the caller's to remove unless it moved. */
int stor_local_adopt(const char *tmp, const char *path, int flags, aderr *err);

/* stor_link for two local folders (the dispatcher has checked the names and kinds). */
int stor_local_link(stor *dst, const char *dstname, stor *src, const char *srcname, int sym,
    int flags, aderr *err);

#endif
