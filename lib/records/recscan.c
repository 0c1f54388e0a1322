/* recscan.c — a record line read in place when it is in jansson's compact form.
 *
 * A recursive reader of the JSON grammar that turns down, besides malformed text,
 * anything jansson's compact dump would write otherwise: a space between tokens, a
 * string with an escape or a byte outside printable ASCII, an integer "-0" or longer
 * than 18 digits (or a real whose text is not what jansson writes for its value: asked
 * of jansson itself), a name twice in one object, nesting deeper than RSCAN_DEPTH. */
#include "recscan.h"

#include <jansson.h>
#include <string.h>

#define RSCAN_DEPTH 16
#define RSCAN_NAMES 64          /* members of a nested object checked for repeats */

static const char *value(const char *p, const char *end, int depth, struct rscan_val *v);

/* A string from its opening quote: past its closing one, or NULL. */
static const char *string(const char *p, const char *end, const char **s, size_t *len)
{
	const char *q = ++p;

	while (q < end && *q != '"') {
		unsigned char c = (unsigned char)*q;

		if (c < 0x20 || c > 0x7f || c == '\\')
			return NULL;
		q++;
	}
	if (q == end)
		return NULL;
	*s = p;
	*len = (size_t)(q - p);
	return q + 1;
}

/* 1 when the real's text is what jansson writes for the value it reads from it. */
static int real_as_jansson(const char *p, size_t len)
{
	json_t *j = json_loadb(p, len, JSON_DECODE_ANY, NULL);
	char buf[64];
	size_t n = j != NULL && json_is_real(j) ?
	    json_dumpb(j, buf, sizeof buf, JSON_COMPACT | JSON_ENCODE_ANY) : 0;

	json_decref(j);
	return n > 0 && n <= sizeof buf && n == len && memcmp(buf, p, len) == 0;
}

static const char *number(const char *p, const char *end, struct rscan_val *v)
{
	const char *q = p, *digits;

	if (q < end && *q == '-')
		q++;
	digits = q;
	if (q < end && *q == '0')
		q++;
	else if (q < end && *q >= '1' && *q <= '9')
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	else
		return NULL;
	v->p = p;
	v->type = RSCAN_INT;
	if (q < end && (*q == '.' || *q == 'e' || *q == 'E')) {
		if (*q == '.') {
			const char *f = ++q;

			while (q < end && *q >= '0' && *q <= '9')
				q++;
			if (q == f)
				return NULL;
		}
		if (q < end && (*q == 'e' || *q == 'E')) {
			const char *x;

			if (++q < end && (*q == '+' || *q == '-'))
				q++;
			x = q;
			while (q < end && *q >= '0' && *q <= '9')
				q++;
			if (q == x)
				return NULL;
		}
		v->len = (size_t)(q - p);
		v->type = RSCAN_REAL;
		return real_as_jansson(p, v->len) ? q : NULL;
	}
	v->len = (size_t)(q - p);
	if (q - digits > 18 || (p[0] == '-' && digits[0] == '0'))
		return NULL;
	return q;
}

static const char *word(const char *p, const char *end, const char *w, int type,
    struct rscan_val *v)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n || memcmp(p, w, n) != 0)
		return NULL;
	v->p = p;
	v->len = n;
	v->type = type;
	return p + n;
}

/* An object's members from its '{': past its '}', or NULL.  m (up to max) receives them
 * (names are checked for repeats either way). */
static const char *object(const char *p, const char *end, int depth, struct rscan_member *m,
    int max, int *n)
{
	struct rscan_member own[RSCAN_NAMES];
	int k = 0;

	if (m == NULL) {
		m = own;
		max = RSCAN_NAMES;
	}
	p++;
	if (p < end && *p == '}') {
		*n = 0;
		return p + 1;
	}
	for (;;) {
		struct rscan_member x;

		if (p >= end || *p != '"')
			return NULL;
		x.at = p;
		if ((p = string(p, end, &x.key, &x.klen)) == NULL || p >= end || *p++ != ':' ||
		    (p = value(p, end, depth + 1, &x.v)) == NULL || k == max)
			return NULL;
		x.span = (size_t)(p - x.at);
		for (int i = 0; i < k; i++)
			if (m[i].klen == x.klen && memcmp(m[i].key, x.key, x.klen) == 0)
				return NULL;
		m[k++] = x;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			*n = k;
			return p + 1;
		}
		return NULL;
	}
}

/* An array's elements from its '[': past its ']', or NULL; e (up to max, when not NULL)
 * receives them. */
static const char *array(const char *p, const char *end, int depth, struct rscan_val *e,
    int max, int *n)
{
	int k = 0;

	p++;
	if (p < end && *p == ']') {
		*n = 0;
		return p + 1;
	}
	for (;;) {
		struct rscan_val x;

		if ((p = value(p, end, depth + 1, &x)) == NULL)
			return NULL;
		if (e != NULL) {
			if (k == max)
				return NULL;
			e[k] = x;
		}
		k++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']') {
			*n = k;
			return p + 1;
		}
		return NULL;
	}
}

static const char *value(const char *p, const char *end, int depth, struct rscan_val *v)
{
	const char *q;
	int n;

	if (p >= end || depth > RSCAN_DEPTH)
		return NULL;
	switch (*p) {
	case '"':
		v->type = RSCAN_STRING;
		return string(p, end, &v->p, &v->len);
	case '{':
		q = object(p, end, depth, NULL, 0, &n);
		v->type = RSCAN_OBJECT;
		break;
	case '[':
		q = array(p, end, depth, NULL, 0, &n);
		v->type = RSCAN_ARRAY;
		break;
	case 't':
		return word(p, end, "true", RSCAN_TRUE, v);
	case 'f':
		return word(p, end, "false", RSCAN_FALSE, v);
	case 'n':
		return word(p, end, "null", RSCAN_NULL, v);
	default:
		return number(p, end, v);
	}
	if (q != NULL) {
		v->p = p;
		v->len = (size_t)(q - p);
	}
	return q;
}

int rscan_object(const char *line, size_t len, struct rscan_member *m, int max, int *n)
{
	const char *end = line + len, *p;

	*n = 0;
	if (len == 0 || line[0] != '{')
		return 0;
	p = object(line, end, 1, m, max, n);
	return p != NULL && p == end;
}

int rscan_array(const struct rscan_val *a, struct rscan_val *e, int max, int *n)
{
	*n = 0;
	return a->type == RSCAN_ARRAY && array(a->p, a->p + a->len, 1, e, max, n) != NULL;
}

const struct rscan_member *rscan_get(const struct rscan_member *m, int n, const char *key)
{
	size_t kl = strlen(key);

	for (int i = 0; i < n; i++)
		if (m[i].klen == kl && memcmp(m[i].key, key, kl) == 0)
			return &m[i];
	return NULL;
}
