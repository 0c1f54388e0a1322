/* kpcache.h — packed keypoint sets kept on disk, unpacked on demand into a bounded cache.
 *
 * dedupe's verification stage needs the keypoints of any image at any time, but holding
 * every image's unpacked set (~7 KB) costs gigabytes at a million images.  The cache
 * keeps the packed bytes (as kp_pack made them) in a spill file and, in memory, 12 bytes
 * per image (the file offset and a slot index, in arrays grown by doubling); unpacked
 * sets live in an LRU bounded by a byte budget and are read back with pread and
 * kp_unpack on a miss.
 *
 * The spill file is made with mkstemp in the directory given, else $TMPDIR, else /tmp,
 * and unlinked at once: nothing is left behind, not even after a crash.
 *
 * Ownership: the cache owns the spill file and every set it hands out.  A set from
 * kpcache_get stays valid, and is never evicted, until the matching kpcache_put; the
 * budget is exceeded only by sets in use.  All calls may be made from several threads at
 * once (one mutex around the index and the LRU; the read and unpack of a miss happen
 * outside it, and threads missing on the same id wait for one read).  kpcache_close must
 * come after every other call has returned.
 *
 * A resident set counts against the budget as kpcache_set_cost(n): the set, its n
 * keypoints and the cache's bookkeeping for it. */
#ifndef AZD_KPCACHE_H
#define AZD_KPCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "keypoints.h"

struct kpcache;

/* Bytes of the budget one resident set of n keypoints takes. */
size_t kpcache_set_cost(int n);

/* A new cache holding at most budget_bytes of unpacked sets (0: nothing beyond the sets
 * in use), each cut to its max_keypoints strongest keypoints on unpack (0: all of them),
 * spilling into tmpdir (NULL: $TMPDIR, else /tmp).  NULL on failure, with err filled. */
struct kpcache *kpcache_open(size_t budget_bytes, int max_keypoints, const char *tmpdir,
    aderr *err);

/* Appends one packed set (kp_pack's bytes, copied; the caller keeps its buffer) and gives
 * it the next id: 0, 1, 2, ... in call order.  0, or AD_EFORMAT when the bytes are not a
 * version-1 packing, AD_EIO when the spill file cannot be written (disk full), AD_ETOOBIG
 * past UINT32_MAX - 1 sets, AD_ENOMEM; on failure no id is used up. */
int kpcache_add(struct kpcache *c, const void *packed, size_t len, uint32_t *id, aderr *err);

/* The unpacked set of id in *out (NULL on failure), to be given back with
 * kpcache_put(c, id), once per successful get; a put without a get is ignored.  0, or
 * AD_ENOENT for an id never added, AD_EIO / AD_ETRUNC when the spill file cannot be read
 * back (or a set still buffered cannot be written), AD_EFORMAT when its bytes are
 * corrupt, AD_ENOMEM. */
int kpcache_get(struct kpcache *c, uint32_t id, const struct kp_set **out, aderr *err);
void kpcache_put(struct kpcache *c, uint32_t id);

/* Number of sets added. */
uint32_t kpcache_count(struct kpcache *c);

struct kpcache_stats {
	uint64_t hits;          /* gets answered from memory (including those that waited
	                         * for another thread's read of the same id) */
	uint64_t misses;        /* gets that read the spill file: one per pread */
	uint64_t evictions;
	uint64_t spilled;       /* bytes appended to the spill file (written or buffered) */
	size_t held, peak;      /* bytes of resident sets, by kpcache_set_cost, now and at most */
	size_t resident, in_use;/* sets in memory; of them, got and not yet put */
	size_t index_bytes;     /* the per-image index: offsets and slots, as allocated */
	uint32_t count;         /* sets added */
};
void kpcache_stats(struct kpcache *c, struct kpcache_stats *st);

/* Frees every set (sets still in use included), closes the spill file.  NULL is fine. */
void kpcache_close(struct kpcache *c);

#endif
