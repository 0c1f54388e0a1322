/* stor_int.h — inside a storage: the handle and the operations a backend implements.
 * For the dispatcher and the backends only (lib/storage and its folders); everything
 * else sees the opaque stor of storage.h and its calls.
 *
 * The dispatcher checks names before it calls an operation, and calls copy only with two
 * storages of the same backend (a copy between backends goes to stor_across.c). */
#ifndef AZD_STOR_INT_H
#define AZD_STOR_INT_H

#include "storage.h"

/* The operations, as function types a backend's files can declare theirs with. */
typedef int stor_list_fn(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err);
typedef int stor_stat_fn(stor *s, const char *name, struct stor_entry *e, aderr *err);
typedef int stor_get_fn(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err);
typedef int stor_read_fn(stor *s, const char *name, const struct stor_entry *known,
    void *buf, aderr *err);
typedef int stor_put_fn(stor *s, const char *name, const char *local, int flags, aderr *err);
typedef int stor_copy_fn(stor *dst, const char *dstname, stor *src, const char *srcname,
    int flags, aderr *err);
/* Removes the object: 0, AD_ENOENT when it was not there, or an error. */
typedef int stor_delete_fn(stor *s, const char *name, aderr *err);

struct stor_ops {
	const char *kind;
	stor_list_fn *list;
	stor_stat_fn *stat;
	stor_get_fn *get;
	stor_read_fn *read;     /* NULL: the backend's objects are files, read in place */
	stor_put_fn *put;
	stor_copy_fn *copy;
	stor_delete_fn *del;
	void (*close)(stor *s);
};

struct stor {
	const struct stor_ops *ops;
	char *root;     /* backend's root: an absolute folder path, or a URL */
	char *display;  /* the root as it may be printed: secrets removed */
	void *impl;
};

#endif
