/* rec.h — the record layer: NDJSON in, NDJSON out, one JSON object per line.
 *
 * Records are jansson objects.  Fields a tool does not know are kept as they are and
 * written back in their original order, so any stage can run on any earlier stage's
 * output.  A line that is not a JSON object is not dropped: rec_read turns it into an
 * error record holding the raw text, so the run goes on and the summary counts it.
 *
 * Ownership: rec_read hands the caller a new reference (json_decref it); rec_write
 * borrows the record. */
#ifndef AZD_REC_H
#define AZD_REC_H

#include <jansson.h>
#include <stdint.h>
#include "err.h"

typedef struct rec_reader rec_reader;
typedef struct rec_writer rec_writer;

/* path NULL or "-" reads standard input.  The label names the input in messages. */
rec_reader *rec_reader_open(const char *path, aderr *err);
/* 1: *out is a record; 0: end of input; negative: read error (err says why).
 * A malformed line yields 1 with an error record {"error":{..},"raw":"..."} and
 * sets *bad to the 1-based line number (0 when the line was fine). */
int rec_read(rec_reader *r, json_t **out, long *bad, aderr *err);
/* rec_read in two steps, for callers that parse lines on several threads: the next
 * non-blank line without its line end (1; *line is valid until the next call), 0 at the
 * end, negative on a read error; then the record of one such line, as rec_read makes it
 * (NUL-terminated at len; *bad set as rec_read sets it).  NULL only when out of memory. */
int rec_read_line(rec_reader *r, const char **line, size_t *len, aderr *err);
json_t *rec_parse(const char *label, long lineno, const char *line, size_t len, long *bad);
const char *rec_reader_label(const rec_reader *r);
long rec_reader_line(const rec_reader *r);
/* Number of lines when the input is a regular file (for progress ETA), else -1. */
long rec_reader_total(rec_reader *r);
void rec_reader_close(rec_reader *r);

/* path NULL or "-" writes standard output; a file is written to a temporary name and
 * renamed into place by rec_writer_close(w, 1). */
rec_writer *rec_writer_open(const char *path, aderr *err);
int rec_write(rec_writer *w, const json_t *rec, aderr *err);
/* One record already in compact JSON text (no line end). */
int rec_write_raw(rec_writer *w, const char *text, size_t len, aderr *err);
/* commit=1: flush and (for files) rename into place; commit=0: discard a file's output. */
int rec_writer_close(rec_writer *w, int commit, aderr *err);

/* Field helpers; all tolerate a NULL or non-object record. */
const char *rec_str(const json_t *rec, const char *key);          /* NULL if absent or not a string */
long long rec_int(const json_t *rec, const char *key, long long dflt); /* dflt if absent,
                                                                    * not a number or past
                                                                    * a long long */
const char *rec_name(const json_t *rec);                           /* the "name" field */
int rec_has_error(const json_t *rec);
/* Sets rec.error = {stage, code, message}, replacing an older one. */
int rec_set_error(json_t *rec, const char *stage, const char *code, const char *message);
int rec_set_str(json_t *rec, const char *key, const char *val);
int rec_set_int(json_t *rec, const char *key, long long val);
/* A malloc'd copy of s with invalid UTF-8 bytes replaced by U+FFFD. */
char *utf8_sanitize(const char *s);
/* The error's stage ("featx", ...) or NULL. */
const char *rec_error_stage(const json_t *rec);

#endif
