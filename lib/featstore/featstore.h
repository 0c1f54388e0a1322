/* featstore.h — the feature store: the latest record of every name, kept on disk.
 *
 * A store is a folder of append-only segment files, so that a million images make a few
 * files rather than a million, and a killed writer loses at most its last few records:
 *
 *   STORE/FORMAT           "azdedup feature store 1": what makes a folder a store
 *   STORE/LOCK             a writer holds an exclusive flock(2) on it; readers take none
 *   STORE/00000001.seg     segments, numbered; a new one starts past a size limit
 *
 * A segment is a 16-byte header ("AZDSEG1\n", u32 version, u32 number) and entries, all
 * integers little-endian.  An entry is a 32-byte header, then the name and the etag
 * (uncompressed, so the index is rebuilt without inflating anything), then the record as
 * compact JSON, deflated with a built-in preset dictionary of the usual field names:
 *
 *   0  "AZR1"   4  u8 flags   5  u8 codec   6  u16 name length   8  u16 etag length
 *   10 u16 0    12 u32 stored length   16 u32 JSON length   20 u32 CRC-32 of the JSON
 *   24 u32 CRC-32 of name, etag and stored bytes   28 u32 CRC-32 of header bytes 0..27
 *
 * The index (name -> newest entry, its etag and flags) lives in memory, rebuilt on open
 * by reading the segments in order, so the latest entry of a name wins.  Every entry's
 * checksums are verified then and again on every read: a damaged entry is never returned
 * as data.  A torn tail (a writer killed mid-append, or a power cut) is everything past
 * the last whole, valid entry of the newest segment: readers ignore it and the next
 * writer truncates it away before appending.
 *
 * A writer buffers appends, hands them to the kernel when the buffer fills or the caller
 * says its input went idle (featstore_flush), and fsyncs every FEATSTORE_SYNC_RECORDS records or
 * FEATSTORE_SYNC_SECONDS, at each new segment, and at close.
 *
 * A handle is not thread-safe.  Ownership is written at each function. */
#ifndef AZD_FEATSTORE_H
#define AZD_FEATSTORE_H

#include <jansson.h>
#include <stdint.h>
#include "err.h"

typedef struct featstore featstore;

/* featstore_open flags */
enum {
	FEATSTORE_WRITE = 1,        /* take the writer's lock, truncate a torn tail, allow featstore_put */
	FEATSTORE_CREATE = 2,       /* with FEATSTORE_WRITE: make the folder (and parents) when missing
	                         * or empty */
	FEATSTORE_MISSING_OK = 4    /* reading: a folder that does not exist is an empty featstore */
};

#define FEATSTORE_SEGMENT_MAX (256L << 20)   /* a new segment starts past this size */
#define FEATSTORE_SYNC_RECORDS 1000
#define FEATSTORE_SYNC_SECONDS 1.0

/* What the index knows about a name without reading its record. */
struct featstore_info {
	const char *etag;       /* NULL when the record had none; owned by the store, valid
	                         * until the next featstore_put or featstore_close */
	int is_error;           /* the stored record carries an "error" object */
	int is_bad;             /* the entry failed its checksum: featstore_get will refuse it */
};

/* Opens (and with FEATSTORE_WRITE locks) the store in dir.  NULL on failure, err says why:
 * AD_ENOENT no such folder, AD_EFORMAT not a feature store or a damaged segment,
 * AD_EEXIST another writer holds the lock. */
featstore *featstore_open(const char *dir, int flags, aderr *err);
/* Flushes, fsyncs and releases everything; returns the first error met.  NULL is fine. */
int featstore_close(featstore *s, aderr *err);

/* Appends rec (borrowed) as the latest entry of its name.  Returns 1 when written, 0 when
 * it is byte for byte the record already stored (nothing appended), negative on error
 * (AD_EFORMAT: no "name"; AD_ETOOBIG: over the size limits). */
int featstore_put(featstore *s, const json_t *rec, aderr *err);
/* featstore_put of a record whose compact dump (JSON_COMPACT | JSON_PRESERVE_ORDER) the
 * caller holds already, json[0, jlen), with its name, etag (NULL: none) and whether it
 * has an error object: the same entry, without building and dumping the record. */
int featstore_put_text(featstore *s, const char *name, const char *etag, int is_error,
    const char *json, size_t jlen, aderr *err);
/* Hands buffered appends to the kernel (they then survive the process being killed);
 * with sync, fsyncs them too (they then survive a power cut). */
int featstore_flush(featstore *s, int sync, aderr *err);

/* Removes name: appends a tombstone, so the removal survives a crash like any put.
 * 1 when it was stored, 0 when it was not, negative on error. */
int featstore_rm(featstore *s, const char *name, aderr *err);

/* Rewrites the live records into new segments and removes the old ones, dropping
 * superseded entries, removed names and damaged entries.  Writers only.  A crash at any
 * point loses nothing; readers opening the store meanwhile may have to retry. */
struct featstore_compact_result {
	long kept, dropped, segments;
	long long bytes_before, bytes_after;
};
int featstore_compact(featstore *s, struct featstore_compact_result *res, aderr *err);

/* 1 and *info filled when name is stored, 0 when not.  No I/O. */
int featstore_lookup(featstore *s, const char *name, struct featstore_info *info);
/* How an input record compares with what is stored under its name. */
enum { FEATSTORE_NONE = 0, FEATSTORE_STALE = 1, FEATSTORE_SAME = 2 };
/* FEATSTORE_SAME when the name is stored for the same content: the same etag when rec has
 * one; else the same sha256 when both have one; else the name alone is enough.  *info is
 * filled unless FEATSTORE_NONE; is_bad is set too when the stored record had to be read to
 * compare sha256 and could not be. */
int featstore_check(featstore *s, const json_t *rec, struct featstore_info *info);
/* 1 and *out a new reference to the latest record of name, 0 when not stored, negative
 * on a read error or a damaged entry (AD_EFORMAT). */
int featstore_get(featstore *s, const char *name, json_t **out, aderr *err);
/* featstore_get's record as the text it was stored as (its compact dump), *text[0, *len),
 * NUL-terminated, valid until the next call on s; the same returns, without a parse. */
int featstore_get_text(featstore *s, const char *name, const char **text, size_t *len,
    aderr *err);

/* Calls cb for the latest record of every name starting with prefix (NULL: all), in
 * strcmp order of the names.  rec is borrowed for the call; when the entry cannot be read
 * rec is NULL and bad says why (the walk goes on).  A nonzero return from cb stops the
 * walk and is returned; otherwise 0, or negative when the walk itself failed. */
typedef int (*featstore_each_fn)(void *ud, const char *name, json_t *rec, const aderr *bad);
int featstore_each(featstore *s, const char *prefix, featstore_each_fn cb, void *ud, aderr *err);

/* What a store holds, and what its last open found wrong (for verify and stats). */
struct featstore_stats {
	long segments;
	long long disk_bytes;       /* the segments' sizes, headers and damage included */
	long entries;               /* whole, valid entries read, superseded ones included */
	long names;                 /* distinct names: what cat prints */
	long errors;                /* names whose latest record carries an "error" */
	long damaged;               /* names whose latest entry failed its checksum */
	long damaged_entries;       /* entries that failed their body checksum */
	long long skipped_bytes;    /* bytes stepped over because no entry could be read there */
	long long tail_bytes;       /* torn tail of the newest segment (a writer cuts it) */
};
/* As found when the store was opened (a writer has cut the torn tail by then). */
void featstore_stats(const featstore *s, struct featstore_stats *st);

/* Number of names stored. */
long featstore_count(const featstore *s);
/* Bytes of valid entries past which a writer starts a new segment (tests make it small). */
void featstore_set_segment_max(featstore *s, long bytes);
const char *featstore_dir(const featstore *s);

#endif
