/* shard.h — which of N workers a record belongs to, the same on every machine.
 *
 * A listing is split by name (shard_name_hash, FNV-1a of the name's bytes, with the
 * offset basis azls --shard has always used, so listings made by either agree).  A
 * report is split by group: a keeper, its duplicates and the group's own record
 * ("type":"group") all carry the group's number and go to one shard, so a group's
 * decision is acted on by one worker; an image in no group (a
 * unique, a failed record, a plain listing's record) goes by its name, and a record
 * with neither (the summary) to shard 0.  Every worker reading the same report
 * agrees, and each record falls in exactly one shard. */
#ifndef AZD_SHARD_H
#define AZD_SHARD_H

#include <stdint.h>
#include <jansson.h>
#include "err.h"

struct shard {
	unsigned k, n;    /* shard k of n; n 0 (unset) or 1: every record */
};

/* Parses "K/N" (0 <= K < N, decimal, nothing else) into *s; AD_EUSAGE with a message
 * naming what was given otherwise. */
int shard_parse(const char *arg, struct shard *s, aderr *err);
/* FNV-1a of the bytes of name (azls's offset basis, see above). */
uint64_t shard_name_hash(const char *name);
/* The shard, of n (n >= 1), that rec belongs to. */
unsigned shard_of_record(const json_t *rec, unsigned n);
/* 1 when rec is in shard s (always, when s is unset). */
int shard_has(const struct shard *s, const json_t *rec);

#endif
