/* spool.h — records kept on disk between two passes over them.
 *
 * A tool that must see every record before it writes any (dedupe groups them all, then
 * writes each with its group) keeps their text here, a line each, in input order, in a
 * temporary file in $TMPDIR (or /tmp) that is unlinked at once, so that nothing is left
 * behind whatever happens to the run and memory holds only what the tool made of them. */
#ifndef AZD_SPOOL_H
#define AZD_SPOOL_H

#include <stddef.h>
#include "err.h"

typedef struct spool spool;

spool *spool_open(aderr *err);
/* Appends one record's text (compact JSON, no line end). */
int spool_add(spool *s, const char *text, size_t len, aderr *err);
/* Back to the first record, for reading. */
int spool_rewind(spool *s, aderr *err);
/* The next record's text (valid until the next call, NUL-terminated at *len): 1, 0 after
 * the last one added, negative when it cannot be read back. */
int spool_next(spool *s, const char **text, size_t *len, aderr *err);
void spool_close(spool *s);

#endif
