/* featmemo.h — the features of the files one run has already fingerprinted, by the
 * SHA-256 of their bytes.
 *
 * A file's features are a function of its bytes and of the options, and one featx run has
 * one set of options: a file whose bytes equal an earlier one's (the same photo in two
 * folders, a re-upload under another name, a copy made for a backup) has the earlier
 * one's features to the bit.  feat_buffer and feat_file look the checksum up here before
 * decoding and put what they computed after, so that each content is decoded once.
 *
 * The memo holds copies (the keypoints and the thumbnail duplicated) within a byte
 * budget; past it, the oldest entries go first.  A failure (a corrupt file, a file over a
 * limit) is never kept: the next copy is tried again and fails with its own message.  All
 * calls may be made from several threads at once (one mutex); two threads on the same
 * content at once both compute it, and the second put is dropped. */
#ifndef AZD_FEATMEMO_H
#define AZD_FEATMEMO_H

#include <stddef.h>
#include <stdint.h>

struct feat;
struct feat_memo;

/* A new memo holding at most budget bytes (feat_memo_cost of each entry); NULL when out
 * of memory or when budget is 0 (no memo: the callers then compute every file). */
struct feat_memo *feat_memo_new(size_t budget);

/* Bytes of the budget the entry for f takes. */
size_t feat_memo_cost(const struct feat *f);

/* 1 when the features of bytes with this checksum are held: *f is then a copy of them
 * (f's own fields overwritten, to be freed with feat_clear); 0 when they are not (f left
 * as it was); AD_ENOMEM when the copy cannot be made (f as it was). */
int feat_memo_get(struct feat_memo *m, const unsigned char sha256[32], struct feat *f);

/* Keeps a copy of f under f->sha256, dropping the oldest entries past the budget.  An
 * entry larger than the whole budget, one already held, or one that cannot be copied
 * (out of memory) is not kept: the memo only saves work, so nothing fails. */
void feat_memo_put(struct feat_memo *m, const struct feat *f);

struct feat_memo_stats {
	uint64_t hits, misses;  /* feat_memo_get's answers */
	uint64_t kept, evicted; /* entries put, and of them dropped for the budget */
	size_t held, entries;   /* bytes (feat_memo_cost) and entries held now */
};
void feat_memo_stats(struct feat_memo *m, struct feat_memo_stats *st);

/* Frees every entry; NULL is fine.  After every other call has returned. */
void feat_memo_free(struct feat_memo *m);

#endif
