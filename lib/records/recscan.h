/* recscan.h — the members of a record line in jansson's compact form, read without
 * building the record.
 *
 * A tool that reads a few fields of many records (dedupe) can take them from the line
 * itself when the line is exactly what jansson's compact dump of its record writes: no
 * spaces, strings of printable ASCII without escapes, integers and reals as jansson
 * writes them, no member name twice in one object.  The line is then also the record's
 * text, and a member the tool drops is dropped by leaving its text out.  Any other line
 * (a malformed one among them) is not read here: the caller parses it, and says what
 * it would have said. */
#ifndef AZD_RECSCAN_H
#define AZD_RECSCAN_H

#include <stddef.h>

enum { RSCAN_STRING = 's', RSCAN_INT = 'i', RSCAN_REAL = 'r', RSCAN_TRUE = 't',
       RSCAN_FALSE = 'f', RSCAN_NULL = 'n', RSCAN_ARRAY = 'a', RSCAN_OBJECT = 'o' };

struct rscan_val {
	const char *p;          /* the value's text; a string's without its quotes */
	size_t len;
	int type;               /* RSCAN_* */
};

struct rscan_member {
	const char *key;        /* the name, without quotes (no escapes in it) */
	size_t klen;
	struct rscan_val v;
	const char *at;         /* the member's text, from the name's quote to the value's */
	size_t span;            /* end, for a copy without some members */
};

/* 1 when line[0, len) is one object in that form, with its members (at most max) in
 * m[0, *n), in order; 0 when it is not, or has more members. */
int rscan_object(const char *line, size_t len, struct rscan_member *m, int max, int *n);
/* The elements of an array value (at most max) in e[0, *n): 1, or 0 when it has more. */
int rscan_array(const struct rscan_val *a, struct rscan_val *e, int max, int *n);
/* The member named key, or NULL. */
const struct rscan_member *rscan_get(const struct rscan_member *m, int n, const char *key);

#endif
