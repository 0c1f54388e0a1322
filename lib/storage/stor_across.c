/* stor_across.c — copying between two backends.  Besides the dispatcher, the one place
 * that knows the local backend from the others, so that no backend needs to know
 * another: a backend's own copy is only ever between two storages of its kind. */
#include "stor_across.h"
#include "afile.h"
#include "stor_int.h"
#include "storage_local.h"

#include <stdlib.h>
#include <unistd.h>

/* A local file up to another backend: the destination's upload. */
static int up(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err)
{
	char *from = stor_local_path(src, srcname);
	int rc;

	if (from == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = dst->ops->put(dst, dstname, from, flags, err);
	free(from);
	return rc;
}

/* Another backend's object down into a local folder: fetched beside the destination
 * under a fixed temporary name of its own (a large download cut short resumes on the
 * rerun; afile's ".partial" may be another writer's), then moved into place: one copy's
 * worth of room, not two. */
static int down(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err)
{
	char *to = stor_local_path(dst, dstname);
	char *tmp = to ? fixed_tmp_name_for(to, ".fetch") : NULL;
	int rc;

	if (tmp == NULL) {
		free(to);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	rc = src->ops->get(src, srcname, tmp, 0, NULL, err);
	if (rc >= 0)
		rc = stor_local_adopt(tmp, to, flags, err);
	if (rc != STOR_DONE)
		unlink(tmp);
	free(tmp);
	free(to);
	return rc;
}

int stor_copy_across(stor *dst, const char *dstname, stor *src, const char *srcname,
    int flags, aderr *err)
{
	if (src->ops == &stor_local_ops)
		return up(dst, dstname, src, srcname, flags, err);
	if (dst->ops == &stor_local_ops)
		return down(dst, dstname, src, srcname, flags, err);
	return aderr_set(err, AD_EUNSUP, "cannot copy from %s to %s", stor_kind(src),
	    stor_kind(dst));
}
