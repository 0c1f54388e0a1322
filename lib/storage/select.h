/* select.h — which listed names a run keeps.
 *
 * Its one job: decide, from a name, a size and a modification time, whether a listing
 * keeps an object, with the filters rclone users know:
 *   - include and exclude rules with rclone's glob patterns, tried in the order they
 *     were added, the first one that matches deciding; when any include rule was added,
 *     a name no rule matches is left out (rclone's implied "- **"), else it is kept;
 *   - a smallest and a largest size, both inclusive;
 *   - an oldest and a newest modification time, both inclusive.
 *
 * Patterns (rclone's syntax; a name is the object's path under the root, '/'-separated):
 *   *        any run of characters but '/'
 *   **       any run of characters, '/' included
 *   ?        one character (a whole UTF-8 character) but '/'
 *   [...]    one character of a class: [abc], [a-z], [!a-z] or [^a-z], [[:alpha:]],
 *            \d \s \w (and \D \S \W); a class never matches '/'
 *   {a,b}    alternatives (may nest, may be empty: {a,})
 *   \c       the character c itself (for * ? [ ] { } , \ and the like)
 * A pattern that starts with '/' is anchored at the root; any other matches at any depth,
 * from the start of a path segment to the end of the name ("b.jpg" matches "a/b.jpg" but
 * not "a/ab.jpg").  A pattern that ends with '/' names a folder: it matches every name
 * under such a folder, as if "**" followed the '/'.  rclone's regular expressions
 * ({{...}}) and three or more stars in a row are refused.  Matching is case-sensitive.
 *
 * Ownership: sel_new returns a selection freed by sel_free; patterns are copied. */
#ifndef AZD_SELECT_H
#define AZD_SELECT_H

#include <time.h>
#include "err.h"

typedef struct sel sel;

sel *sel_new(void);
void sel_free(sel *s);

/* Adds a rule (include 1 or 0): 0, or AD_EUSAGE with the reason in err for a pattern that
 * is not valid, AD_ENOMEM. */
int sel_add(sel *s, int include, const char *pattern, aderr *err);
/* Adds a rule for each line of the file at path ("-": standard input): blank lines and
 * lines whose first non-blank character is '#' are skipped, a trailing CR is dropped.
 * An error names the file and the line ("rules.txt:3: unmatched '{'"). */
int sel_add_file(sel *s, int include, const char *path, aderr *err);
/* Size limits in bytes, inclusive; a negative value leaves that end open. */
void sel_size(sel *s, long long min, long long max);
/* Modification time limits in seconds since the epoch, inclusive: keep names modified
 * at or after oldest and at or before newest; LLONG_MIN / LLONG_MAX leave an end open. */
void sel_mtime(sel *s, long long oldest, long long newest);
/* 1 when any rule or limit was set. */
int sel_active(const sel *s);
/* 1 when the selection keeps the name by its rules alone (the size and time are not
 * known yet, or do not apply). */
int sel_keeps_name(const sel *s, const char *name);
/* 1 when the selection keeps the object: its rules, its size and its time. */
int sel_keeps(const sel *s, const char *name, long long size, long long mtime);

/* One pattern against one name (no rules, no implied exclusion): 1 match, 0 not,
 * AD_EUSAGE (err filled) for a pattern that is not valid. */
int sel_match(const char *pattern, const char *name, aderr *err);

/* A size with rclone's meaning: a number (a fraction allowed) and a unit, b for bytes,
 * k, M, G, T or P for powers of 1024 (K, Ki, KiB and the like too); a bare number is in
 * KiB as in rclone.  "off" is -1 (no limit).  0, or AD_EUSAGE with the reason. */
int sel_parse_size(const char *text, long long *bytes, aderr *err);
/* An age as rclone takes it, turned into the point in time it names: a duration back
 * from now (a number, a fraction allowed, with ms, s, m, h, d, w, M (30 days) or y (365
 * days), several in a row as in 1h30m; a bare number is in seconds), or a date and time
 * (2026-01-31, 2026-01-31 12:00:00, 2026-01-31T12:00:00, with Z or +hh:mm, else in
 * local time).  0 with *when set, or AD_EUSAGE with the reason. */
int sel_parse_age(const char *text, time_t now, long long *when, aderr *err);

#endif
