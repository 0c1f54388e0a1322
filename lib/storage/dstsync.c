/* dstsync.c — finds the objects under a destination that no keeper names, and what a copy
 * would do there (dstsync.h). */
#include "dstsync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct walk {
	int (*kept)(void *ud, const char *name);
	int (*extra)(void *ud, const char *name);
	void *ud;
};

static int each(void *ud, const struct stor_entry *e)
{
	const struct walk *w = ud;
	size_t n = strlen(e->name);

	/* a link to a folder is listed as "name/": not an object, nothing of ours */
	if (n > 0 && e->name[n - 1] == '/')
		return 0;
	return w->kept(w->ud, e->name) ? 0 : w->extra(w->ud, e->name);
}

int dst_extraneous(stor *dst, int (*kept)(void *ud, const char *name),
    int (*extra)(void *ud, const char *name), void *ud, aderr *err)
{
	struct walk w = { kept, extra, ud };

	return stor_list(dst, NULL, each, &w, err);
}

int dst_plan(stor *dst, const char *name, stor *src, const char *local, int flags,
    aderr *err)
{
	struct stor_entry d, o;
	char *dpath = NULL, *spath = NULL;
	struct stat st;
	int rc;

	if (dst == NULL)
		return STOR_DONE;
	if ((rc = stor_stat(dst, name, &d, err)) == AD_ENOENT)
		return STOR_DONE;
	if (rc < 0)
		return rc;
	/* the original gone: the copy falls back on the local file, when there is one */
	if (src != NULL && (rc = stor_stat(src, name, &o, err)) == AD_ENOENT && local != NULL)
		src = NULL;
	else if (src != NULL && rc < 0)
		return rc;
	if (src == NULL) {
		if (stat(local, &st) != 0)
			return aderr_errno(err, aderr_from_errno(errno), errno, "%s", local);
		memset(&o, 0, sizeof o);
		o.size = (long long)st.st_size;
	}
	if (o.size == d.size && strcmp(stor_kind(dst), "local") == 0 &&
	    (src == NULL || strcmp(stor_kind(src), "local") == 0)) {
		if (asprintf(&dpath, "%s/%s", stor_root(dst), name) < 0 || (src != NULL &&
		    asprintf(&spath, "%s/%s", stor_root(src), name) < 0))
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		else
			rc = file_same(spath ? spath : local, dpath, err);
		free(dpath);
		free(spath);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return STOR_SAME;
	} else if (o.size == d.size && (o.content_md5[0] == '\0' || d.content_md5[0] == '\0')) {
		return STOR_DONE;      /* only the copy can tell: it compares the MD5s */
	} else if (o.size == d.size && strcmp(o.content_md5, d.content_md5) == 0) {
		return STOR_SAME;
	}
	if (!(flags & STOR_OVERWRITE))
		return aderr_set(err, AD_EEXIST, "destination exists with different content "
		    "(use --overwrite to replace it)");
	return STOR_DONE;
}
