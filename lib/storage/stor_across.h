/* stor_across.h — copies between two backends, for the dispatcher (storage.c) alone. */
#ifndef AZD_STOR_ACROSS_H
#define AZD_STOR_ACROSS_H

#include "storage.h"

/* stor_copy for a src and dst of different backends: a local file goes up through the
 * destination's put, another backend's object comes down through its get into a local
 * folder; AD_EUNSUP when neither side is local. */
int stor_copy_across(stor *dst, const char *dstname, stor *src, const char *srcname,
    int flags, aderr *err);

#endif
