/* timefmt.h — UTC times as the records and HTTP carry them: ISO-8601
 * ("2024-05-01T12:00:00Z", the records' mtime and Azure's metadata) and RFC 1123
 * ("Wed, 01 May 2024 12:00:00 GMT", HTTP dates), read and written. */
#ifndef AZD_TIMEFMT_H
#define AZD_TIMEFMT_H

#include <stddef.h>

/* "YYYY-MM-DDTHH:MM:SS" at the start of s, as UTC: 0 with *t the seconds since the
 * epoch and *end (when not NULL) just past it (a fraction or zone is the caller's), or
 * -1 when s does not start with such a time. */
int time_parse_iso(const char *s, long long *t, const char **end);
/* "Www, DD Mmm YYYY HH:MM:SS GMT" and nothing after: 0 with *t, or -1. */
int time_parse_http(const char *s, long long *t);
/* "YYYY-MM-DDTHH:MM:SSZ", or with nsec >= 0 "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", into out
 * (31 bytes hold either). */
void time_format_iso(long long t, long nsec, char *out, size_t n);
/* "Www, DD Mmm YYYY HH:MM:SS GMT" into out (30 bytes hold it). */
void time_format_http(long long t, char *out, size_t n);

#endif
