/* fnv.h — FNV-1a, 64 bits: a name's hash that is the same on every machine and run
 * (shard choice, on-disk folder names, hash-table slots). */
#ifndef AZD_FNV_H
#define AZD_FNV_H

#include <stddef.h>
#include <stdint.h>

/* The published offset basis. */
#define FNV1A_BASIS 14695981039346656037ull
/* The basis azls's shards, azget's source folders and the feature store's index have
 * used since their first release (the published one less its last digit): their hashes
 * must not change, since names already sharded or stored by them must be found again. */
#define FNV1A_BASIS_AZD 1469598103934665603ull

/* h, a basis or an earlier result, continued over n bytes. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

#endif
