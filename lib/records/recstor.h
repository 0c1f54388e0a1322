/* recstor.h — what a listing's record says of its object (size, ETag, Content-MD5,
 * mtime) as the storage layer's stor_entry, so a read can refuse another version of it
 * and a remote backend need not ask again. */
#ifndef AZD_RECSTOR_H
#define AZD_RECSTOR_H

#include <jansson.h>
#include "storage.h"

/* Fills e from rec and returns it; NULL when rec lacks a size or an ETag, or (with
 * need_mtime) a UTC mtime. */
const struct stor_entry *rec_stor_entry(const json_t *rec, struct stor_entry *e,
    int need_mtime);

#endif
