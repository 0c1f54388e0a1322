/* shard.c — which of N workers a record belongs to (see shard.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "rec.h"
#include "shard.h"
#include "splitmix.h"

int shard_parse(const char *arg, struct shard *s, aderr *err)
{
	unsigned long k, n;
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		goto bad;
	errno = 0;
	k = strtoul(arg, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		goto bad;
	n = strtoul(end + 1, &end, 10);
	if (*end != '\0' || errno != 0 || n == 0 || k >= n || n > 1000000)
		goto bad;
	s->k = (unsigned)k;
	s->n = (unsigned)n;
	return 0;
bad:
	return aderr_set(err, AD_EUSAGE, "expected K/N with 0 <= K < N <= 1000000, got '%s'", arg);
}

uint64_t shard_name_hash(const char *name)
{
	return fnv1a(FNV1A_BASIS_AZD, name, strlen(name));
}

unsigned shard_of_record(const json_t *rec, unsigned n)
{
	const json_t *g = json_object_get(json_object_get(rec, "dup"), "group");
	const char *name;
	uint64_t st;

	if (n <= 1)
		return 0;
	if (g == NULL && json_is_integer(json_object_get(rec, "group")) &&
	    rec_str(rec, "type") != NULL)
		g = json_object_get(rec, "group");      /* a report's group record */
	if (json_is_integer(g)) {
		st = (uint64_t)json_integer_value(g);
		return (unsigned)(splitmix64(&st) % n);
	}
	name = rec_name(rec);
	return name != NULL ? (unsigned)(shard_name_hash(name) % n) : 0;
}

int shard_has(const struct shard *s, const json_t *rec)
{
	return s->n <= 1 || shard_of_record(rec, s->n) == s->k;
}
