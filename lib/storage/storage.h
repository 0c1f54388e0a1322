/* storage.h — where images live: a source to list and read, a destination to write.
 *
 * A storage is opened from a URL-ish string: a plain path or file:// URL is a local
 * folder; http(s):// and az:// URLs are Azure Blob containers (azure.h).  The handle is
 * opaque: backends implement the operations of stor_int.h, the tools only see these
 * calls.  Names are paths relative to the storage root, '/'-separated, UTF-8, never
 * starting with '/' and never holding "." or ".." components (stor_name_ok checks).
 *
 * Ownership: stor_open returns a handle freed by stor_close; entries passed to a list
 * callback are borrowed for the duration of the call. */
#ifndef AZD_STORAGE_H
#define AZD_STORAGE_H

#include "err.h"

struct stor_entry {
	const char *name;        /* relative to the root */
	long long size;
	long long mtime;         /* seconds since the epoch, UTC */
	long mtime_nsec;
	char etag[64];           /* changes whenever the content may have changed */
	char content_md5[32];    /* base64 MD5 when the backend knows it, else "" */
	char content_type[64];   /* MIME type when the backend keeps one, else "" */
	/* Set by a listing for a name that is not an object it can hand out (a dangling
	 * link, a link to a folder it does not follow): why, and whether that is an error
	 * for the name (fail 1: a record with an error) or only worth a message (fail 0).
	 * The name of a folder link ends in '/'. */
	const char *note;
	int fail;
};

/* flags */
enum {
	STOR_CREATE = 1 << 0,    /* stor_open: create the root if missing (destinations) */
	STOR_OVERWRITE = 1 << 1, /* put/copy: replace a different existing object */
	STOR_LINK = 1 << 2,      /* get: a hard link is acceptable instead of a copy */
	STOR_FOLLOW = 1 << 3,    /* stor_open, local: list what links out of the folder lead to */
	STOR_NAMED = 1 << 4,     /* stor_open: the user named this URL on the command line (a
	                          * credential given without an account may go to it) */
	STOR_WRITE = 1 << 5      /* stor_open: a destination (its credential first), but nothing
	                          * is created: what STOR_CREATE implies, for a dry run */
};

/* Results of put/copy/get besides failure. */
enum { STOR_DONE = 0, STOR_SAME = 1 /* destination already held identical content */ };

typedef struct stor stor;
typedef int (*stor_list_cb)(void *ud, const struct stor_entry *e);

stor *stor_open(const char *url, int flags, aderr *err);
void stor_close(stor *s);
/* "local" or "azure". */
const char *stor_kind(const stor *s);
/* The root as it may be printed: secrets removed. */
const char *stor_display(const stor *s);
/* The backend's root: for a local folder its absolute path (links resolved), for Azure
 * the URL without its query (never a secret).  Owned by the storage. */
const char *stor_root(const stor *s);

/* Lists every object under prefix (NULL or "" for all) in byte order of the name, calling
 * cb for each; a non-zero return from cb stops the listing and is returned. */
int stor_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err);
int stor_stat(stor *s, const char *name, struct stor_entry *e, aderr *err);
/* Materialises an object as the local file `local`, atomically.  STOR_SAME if an
 * identical file was already there.  known (may be NULL) is what a listing said of the
 * object (size, mtime, etag, content_md5): a remote backend then need not ask again, and
 * refuses an object that changed since. */
int stor_get(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err);
/* Reads an object's bytes into buf, which has room for known->size bytes: what a listing
 * said of the object (size and etag, content_md5 when the listing has it).  The bytes
 * never touch the disk and are checked as stor_get checks them: an object that changed
 * since it was listed is refused (AD_EEXIST), a wrong size gives AD_ETRUNC, a wrong MD5
 * (after the retries, which fetch the whole object again) AD_EFORMAT.  0, or a negative
 * AD_E*; AD_EUNSUP for a backend without it (a local folder, whose objects are files at
 * stor_root/NAME that a reader opens where they are). */
int stor_read(stor *s, const char *name, const struct stor_entry *known, void *buf,
    aderr *err);
/* Stores the local file as object `name`: STOR_SAME if identical content was there,
 * AD_EEXIST if different content was there and STOR_OVERWRITE is not set. */
int stor_put(stor *s, const char *name, const char *local, int flags, aderr *err);
/* Copies src/srcname to dst/dstname with the same rules as stor_put. */
int stor_copy(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err);

/* Removes the object name: 0, AD_ENOENT when it was not there, or an error.  A local
 * object is unlinked (a link, not what it leads to); the folders it was in stay. */
int stor_delete(stor *s, const char *name, aderr *err);
/* Local folders only: makes dst/dstname a hard link (sym 0) or a symbolic link (sym 1, to
 * the absolute path) of src/srcname instead of a copy, created beside it and renamed into
 * place.  STOR_SAME when dstname already is that link (or the same file); AD_EEXIST when
 * something else is there and STOR_OVERWRITE is not set; AD_EUSAGE for a storage that is
 * not a local folder; a hard link across file systems fails (AD_EUNSUP) and says so. */
int stor_link(stor *dst, const char *dstname, stor *src, const char *srcname, int sym,
    int flags, aderr *err);

/* 1 when inner's tree lies inside outer's (or is the same): the same kind, and for local
 * folders the resolved path (symlinks followed when opened) under outer's, for Azure the
 * same endpoint and container and inner's prefix under outer's; else 0.  A destination
 * inside its source would be read back by the next listing. */
int stor_within(const stor *inner, const stor *outer);

/* A set of storages opened on demand by URL, for tools whose records name their source. */
typedef struct stor_pool stor_pool;
stor_pool *stor_pool_new(void);
/* The storage for url, opened on first use (flags as for stor_open); owned by the pool. */
stor *stor_pool_get(stor_pool *p, const char *url, int flags, aderr *err);
void stor_pool_free(stor_pool *p);

/* 1 if name is a safe relative object name, else 0 with the reason in err. */
int stor_name_ok(const char *name, aderr *err);
/* 1 if the name's extension is an image type we decode (case-insensitive). */
int stor_is_image_name(const char *name);

/* Byte-compares two local files: 1 same, 0 different, negative on error. */
int file_same(const char *a, const char *b, aderr *err);
/* Copies a local file to `to` atomically (temp + rename), keeping its mtime; synced to
 * disk before the rename. */
int file_copy_atomic(const char *from, const char *to, aderr *err);
/* The same without waiting for the disk: for work copies, which the next run checks by
 * size and time anyway. */
int file_copy_atomic_nosync(const char *from, const char *to, aderr *err);

#endif
