/* select.c — which listed names a run keeps (rclone's filters: rules, sizes, ages).
 *
 * A pattern is compiled once: its {a,b} alternatives are spelled out into brace-free
 * patterns, each of those into tokens; a name is matched against the tokens by running
 * them as a set of states over the name's characters, so that a match takes time linear
 * in the name whatever the stars (no backtracking to blow up). */
#include "select.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATTERN 4096        /* bytes in one pattern */
#define MAX_ALTS 1024           /* brace-free patterns one pattern spells out to */

enum { T_LIT, T_ANY, T_CLASS, T_STAR, T_DSTAR };

/* one member of a class: a range of characters, or a named class (isdigit and the like) */
struct item {
	unsigned lo, hi;
	int (*named)(int c);    /* NULL: the range */
	int negated;            /* \D \S \W */
};

struct cls {
	int neg;
	struct item *it;
	size_t n;
};

struct tok {
	int kind;
	unsigned cp;            /* T_LIT */
	struct cls cls;         /* T_CLASS */
};

struct alt {
	struct tok *t;
	size_t n;
};

struct rule {
	int include, anchored;
	struct alt *alts;
	size_t nalts;
};

struct sel {
	struct rule *rules;
	size_t n, cap;
	int any_include;
	long long min_size, max_size;
	long long oldest, newest;
};

/* --- characters --- */

/* The next character of s (UTF-8) into *cp, returning its length; a byte that starts
 * no valid UTF-8 character is one character of its own that no literal matches. */
static size_t utf8_next(const char *s, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	unsigned c, min;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2; c = u[0] & 0x1f; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3; c = u[0] & 0x0f; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4; c = u[0] & 0x07; min = 0x10000;
	} else {
		goto bad;
	}
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0x110000u + u[0];
	return 1;
}

static int is_word(int c) { return isalnum(c) || c == '_'; }

static const struct { const char *name; int (*fn)(int); } posix[] = {
	{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank }, { "cntrl", iscntrl },
	{ "digit", isdigit }, { "graph", isgraph }, { "lower", islower }, { "print", isprint },
	{ "punct", ispunct }, { "space", isspace }, { "upper", isupper }, { "word", is_word },
	{ "xdigit", isxdigit }
};

/* \d \s \w and their negations; NULL for another letter */
static int (*perl_class(char c, int *neg))(int)
{
	*neg = isupper((unsigned char)c) != 0;
	switch (tolower((unsigned char)c)) {
	case 'd': return isdigit;
	case 's': return isspace;
	case 'w': return is_word;
	default: return NULL;
	}
}

static int item_has(const struct item *it, unsigned c)
{
	if (it->named == NULL)
		return c >= it->lo && c <= it->hi;
	/* the named classes are ASCII's, as in rclone (Go's regexp) */
	return (c < 128 && it->named((int)c)) != it->negated;
}

static int cls_has(const struct cls *k, unsigned c)
{
	int in = 0;

	if (c == '/')
		return 0;
	for (size_t i = 0; i < k->n && !in; i++)
		in = item_has(&k->it[i], c);
	return in != k->neg;
}

/* --- compiling --- */

static void alt_free(struct alt *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->t[i].cls.it);
	free(a->t);
	a->t = NULL;
	a->n = 0;
}

static void rule_free(struct rule *r)
{
	for (size_t i = 0; i < r->nalts; i++)
		alt_free(&r->alts[i]);
	free(r->alts);
}

static int cls_push(struct cls *k, struct item it, aderr *err)
{
	struct item *n = realloc(k->it, (k->n + 1) * sizeof *n);

	if (n == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	k->it = n;
	k->it[k->n++] = it;
	return 0;
}

/* The class that starts after the '[' at *pp; *pp is left after its ']'. */
static int parse_class(const char **pp, struct cls *k, aderr *err)
{
	const char *p = *pp;
	int rc;

	memset(k, 0, sizeof *k);
	if (*p == '!' || *p == '^') {
		k->neg = 1;
		p++;
	}
	if (*p == ']')
		return aderr_set(err, AD_EUSAGE, "empty character class '[]'");
	while (*p != ']') {
		struct item it = { 0, 0, NULL, 0 };
		unsigned lo;

		if (*p == '\0')
			return aderr_set(err, AD_EUSAGE, "unmatched '['");
		if (p[0] == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");
			size_t i, len = end ? (size_t)(end - p - 2) : 0;

			for (i = 0; end && i < sizeof posix / sizeof posix[0]; i++)
				if (strlen(posix[i].name) == len && memcmp(posix[i].name, p + 2, len) == 0)
					break;
			if (end == NULL || i == sizeof posix / sizeof posix[0])
				return aderr_set(err, AD_EUSAGE, "unknown character class '%.*s'",
				    end ? (int)(end - p + 2) : (int)strlen(p), p);
			it.named = posix[i].fn;
			p = end + 2;
			if ((rc = cls_push(k, it, err)) < 0)
				return rc;
			continue;
		}
		if (*p == '\\') {
			if (p[1] == '\0')
				return aderr_set(err, AD_EUSAGE, "'\\' at the end of the pattern");
			if ((it.named = perl_class(p[1], &it.negated)) != NULL) {
				p += 2;
				if ((rc = cls_push(k, it, err)) < 0)
					return rc;
				continue;
			}
			if (isalnum((unsigned char)p[1]))
				return aderr_set(err, AD_EUSAGE, "unknown escape '\\%c'", p[1]);
			p++;
		}
		p += utf8_next(p, &lo);
		it.lo = it.hi = lo;
		if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\') {
				if (p[1] == '\0' || isalnum((unsigned char)p[1]))
					return aderr_set(err, AD_EUSAGE, "bad end of a range after '-'");
				p++;
			}
			p += utf8_next(p, &it.hi);
			if (it.hi < lo)
				return aderr_set(err, AD_EUSAGE, "range out of order in a character class");
		}
		if ((rc = cls_push(k, it, err)) < 0)
			return rc;
	}
	*pp = p + 1;
	return 0;
}

/* A brace-free pattern into tokens. */
static int tokenize(const char *p, struct alt *a, aderr *err)
{
	size_t cap = strlen(p) + 1;
	int rc;

	a->n = 0;
	a->t = calloc(cap, sizeof *a->t);
	if (a->t == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	while (*p) {
		struct tok *t = &a->t[a->n];

		memset(t, 0, sizeof *t);
		switch (*p) {
		case '*': {
			size_t stars = strspn(p, "*");

			if (stars > 2)
				return aderr_set(err, AD_EUSAGE, "too many stars in a row ('**' at most)");
			t->kind = stars == 2 ? T_DSTAR : T_STAR;
			p += stars;
			break;
		}
		case '?':
			t->kind = T_ANY;
			p++;
			break;
		case '[':
			p++;
			t->kind = T_CLASS;
			a->n++;         /* owned now, freed with the rest */
			if ((rc = parse_class(&p, &t->cls, err)) < 0)
				return rc;
			continue;
		case ']':
			return aderr_set(err, AD_EUSAGE, "unmatched ']'");
		case '\\': {
			int neg;
			int (*fn)(int);

			if (p[1] == '\0')
				return aderr_set(err, AD_EUSAGE, "'\\' at the end of the pattern");
			if ((fn = perl_class(p[1], &neg)) != NULL) {
				struct item it = { 0, 0, fn, neg };

				t->kind = T_CLASS;
				a->n++;
				if ((rc = cls_push(&t->cls, it, err)) < 0)
					return rc;
				p += 2;
				continue;
			}
			if (isalnum((unsigned char)p[1]))
				return aderr_set(err, AD_EUSAGE, "unknown escape '\\%c'", p[1]);
			p++;
		}
			/* fall through - the escaped character is a literal */
		default:
			t->kind = T_LIT;
			p += utf8_next(p, &t->cp);
			break;
		}
		a->n++;
	}
	return 0;
}

/* Skips a class starting at the '[' at p, for the brace scanner: returns the byte after
 * its ']', or p + 1 when it has none (tokenize then says so). */
static const char *skip_class(const char *p)
{
	const char *q = p + 1;

	if (*q == '!' || *q == '^')
		q++;
	while (*q && *q != ']') {
		if (q[0] == '[' && q[1] == ':') {
			const char *end = strstr(q + 2, ":]");

			if (end == NULL)
				return p + 1;
			q = end + 2;
			continue;
		}
		if (*q == '\\' && q[1])
			q++;
		q++;
	}
	return *q == ']' ? q + 1 : p + 1;
}

struct strs {
	char **v;
	size_t n;
};

static int strs_push(struct strs *s, char *str, aderr *err)
{
	char **n;

	if (s->n >= MAX_ALTS) {
		free(str);
		return aderr_set(err, AD_EUSAGE, "too many alternatives (more than %d)", MAX_ALTS);
	}
	n = realloc(s->v, (s->n + 1) * sizeof *n);
	if (n == NULL) {
		free(str);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	s->v = n;
	s->v[s->n++] = str;
	return 0;
}

/* Spells out the first {a,b} group of p (and, recursively, the rest) into out. */
static int expand(const char *p, struct strs *out, aderr *err)
{
	const char *open = NULL, *q, **cut = malloc((strlen(p) + 2) * sizeof *cut);
	size_t ncut = 0;
	int depth = 0, rc = 0;

	if (cut == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");

	for (q = p; *q; ) {
		if (*q == '\\' && q[1]) {
			q += 2;
		} else if (*q == '[') {
			q = skip_class(q);
		} else if (*q == '{') {
			if (q[1] == '{') {
				rc = aderr_set(err, AD_EUSAGE,
				    "regular expressions ('{{...}}') are not supported");
				goto out;
			}
			if (depth++ == 0) {
				open = q;
				cut[ncut++] = q;
			}
			q++;
		} else if (*q == '}') {
			if (depth == 0) {
				rc = aderr_set(err, AD_EUSAGE, "unmatched '}'");
				goto out;
			}
			if (--depth == 0) {
				cut[ncut++] = q;
				break;
			}
			q++;
		} else {
			if (*q == ',' && depth == 1)
				cut[ncut++] = q;
			q++;
		}
	}
	if (depth > 0) {
		rc = aderr_set(err, AD_EUSAGE, "unmatched '{'");
	} else if (open == NULL) {
		char *c = strdup(p);

		rc = c == NULL ? aderr_set(err, AD_ENOMEM, "out of memory") : strs_push(out, c, err);
	} else {
		/* cut[0] is the '{', cut[ncut-1] the '}', the others the commas between */
		for (size_t i = 0; i + 1 < ncut && rc == 0; i++) {
			size_t pre = (size_t)(open - p), mid = (size_t)(cut[i + 1] - cut[i] - 1);
			const char *rest = cut[ncut - 1] + 1;
			char *s = malloc(pre + mid + strlen(rest) + 1);

			if (s == NULL) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			memcpy(s, p, pre);
			memcpy(s + pre, cut[i] + 1, mid);
			strcpy(s + pre + mid, rest);
			rc = expand(s, out, err);
			free(s);
		}
	}
out:
	free(cut);
	return rc;
}

static int compile(const char *pattern, struct rule *r, aderr *err)
{
	struct strs alts = { NULL, 0 };
	size_t len = strlen(pattern);
	char *p = NULL;
	int rc = 0;

	memset(r, 0, sizeof *r);
	if (len == 0)
		return aderr_set(err, AD_EUSAGE, "empty pattern");
	if (len > MAX_PATTERN)
		return aderr_set(err, AD_EUSAGE, "pattern longer than %d bytes", MAX_PATTERN);
	r->anchored = pattern[0] == '/';
	if (r->anchored)
		pattern++;
	len = strlen(pattern);
	/* a folder ("P/"): every name under it, as if "**" followed */
	p = malloc(len + 3);
	if (p == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	strcpy(p, pattern);
	if (len > 0 && p[len - 1] == '/') {
		size_t bs = 0;

		while (bs + 1 < len && p[len - 2 - bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			strcat(p, "**");
	}
	if (p[0] == '\0') {
		free(p);
		return aderr_set(err, AD_EUSAGE, "empty pattern");
	}
	if ((rc = expand(p, &alts, err)) < 0)
		goto out;
	r->alts = calloc(alts.n, sizeof *r->alts);
	if (r->alts == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto out;
	}
	r->nalts = alts.n;
	for (size_t i = 0; i < alts.n; i++)
		if ((rc = tokenize(alts.v[i], &r->alts[i], err)) < 0)
			goto out;
out:
	for (size_t i = 0; i < alts.n; i++)
		free(alts.v[i]);
	free(alts.v);
	free(p);
	if (rc < 0) {
		rule_free(r);
		memset(r, 0, sizeof *r);
	}
	return rc;
}

/* --- matching --- */

static void closure(const struct alt *a, unsigned char *st)
{
	for (size_t i = 0; i < a->n; i++)
		if (st[i] && (a->t[i].kind == T_STAR || a->t[i].kind == T_DSTAR))
			st[i + 1] = 1;
}

static int alt_match(const struct alt *a, int anchored, const char *name, unsigned char *buf)
{
	unsigned char *cur = buf, *nxt = buf + a->n + 1, *sw;
	size_t n = a->n;

	memset(cur, 0, n + 1);
	cur[0] = 1;
	closure(a, cur);
	while (*name) {
		unsigned c;
		int live = 0;

		name += utf8_next(name, &c);
		memset(nxt, 0, n + 1);
		for (size_t i = 0; i < n; i++) {
			const struct tok *t = &a->t[i];

			if (!cur[i])
				continue;
			switch (t->kind) {
			case T_LIT: if (t->cp == c) nxt[i + 1] = 1; break;
			case T_ANY: if (c != '/') nxt[i + 1] = 1; break;
			case T_CLASS: if (cls_has(&t->cls, c)) nxt[i + 1] = 1; break;
			case T_STAR: if (c != '/') nxt[i] = 1; break;
			case T_DSTAR: nxt[i] = 1; break;
			}
		}
		if (!anchored && c == '/')
			nxt[0] = 1;     /* a match may start at any path segment */
		closure(a, nxt);
		for (size_t i = 0; i <= n && !live; i++)
			live = nxt[i];
		if (!live && anchored)
			return 0;
		sw = cur; cur = nxt; nxt = sw;
	}
	return cur[n];
}

static int rule_match(const struct rule *r, const char *name)
{
	unsigned char small[512], *buf;
	size_t most = 0;
	int hit = 0;

	for (size_t i = 0; i < r->nalts; i++)
		if (r->alts[i].n > most)
			most = r->alts[i].n;
	buf = 2 * (most + 1) <= sizeof small ? small : malloc(2 * (most + 1));
	if (buf == NULL)
		return -1;
	for (size_t i = 0; i < r->nalts && !hit; i++)
		hit = alt_match(&r->alts[i], r->anchored, name, buf);
	if (buf != small)
		free(buf);
	return hit;
}

/* --- the selection --- */

sel *sel_new(void)
{
	sel *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->min_size = -1;
	s->max_size = -1;
	s->oldest = LLONG_MIN;
	s->newest = LLONG_MAX;
	return s;
}

void sel_free(sel *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	free(s);
}

int sel_add(sel *s, int include, const char *pattern, aderr *err)
{
	struct rule r;
	int rc;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct rule *n = realloc(s->rules, cap * sizeof *n);

		if (n == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		s->rules = n;
		s->cap = cap;
	}
	if ((rc = compile(pattern, &r, err)) < 0)
		return rc;
	r.include = include != 0;
	s->rules[s->n++] = r;
	if (include)
		s->any_include = 1;
	return 0;
}

int sel_add_file(sel *s, int include, const char *path, aderr *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long no = 0;
	int rc = 0;

	if (f == NULL)
		return aderr_errno(err, AD_EUSAGE, errno, "%s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line;

		no++;
		/* as rclone: surrounding blanks go, '#' and ';' start a comment line */
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (strlen(p) != (size_t)(len - (p - line))) {
			rc = aderr_set(err, AD_EUSAGE, "%s:%ld: a NUL byte in the pattern", path, no);
			break;
		}
		if ((rc = sel_add(s, include, p, err)) < 0) {
			char why[sizeof err->msg];

			snprintf(why, sizeof why, "%s", err->msg);
			aderr_set(err, rc, "%s:%ld: %s", path, no, why);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = aderr_errno(err, AD_EIO, errno, "%s", path);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

void sel_size(sel *s, long long min, long long max)
{
	s->min_size = min;
	s->max_size = max;
}

void sel_mtime(sel *s, long long oldest, long long newest)
{
	s->oldest = oldest;
	s->newest = newest;
}

int sel_active(const sel *s)
{
	return s->n > 0 || s->min_size >= 0 || s->max_size >= 0 || s->oldest != LLONG_MIN ||
	    s->newest != LLONG_MAX;
}

int sel_keeps_name(const sel *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		int m = rule_match(&s->rules[i], name);

		if (m < 0)
			return 1;   /* no memory to decide: keep it (leaving it out would lose it) */
		if (m)
			return s->rules[i].include;
	}
	return !s->any_include;
}

int sel_keeps(const sel *s, const char *name, long long size, long long mtime)
{
	if (s->min_size >= 0 && size < s->min_size)
		return 0;
	if (s->max_size >= 0 && size > s->max_size)
		return 0;
	if (mtime < s->oldest || mtime > s->newest)
		return 0;
	return sel_keeps_name(s, name);
}

int sel_match(const char *pattern, const char *name, aderr *err)
{
	struct rule r;
	int rc;

	if ((rc = compile(pattern, &r, err)) < 0)
		return rc;
	rc = rule_match(&r, name);
	rule_free(&r);
	return rc < 0 ? aderr_set(err, AD_ENOMEM, "out of memory") : rc;
}

/* --- sizes and ages --- */

/* digits, optionally "." and more digits: the value, and the text after it; NULL when
 * there is no number */
static const char *number(const char *s, unsigned long long *ip, double *frac)
{
	const char *p = s;
	unsigned long long v = 0;

	*frac = 0;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p == '.') {
		double scale = 0.1;

		if (!isdigit((unsigned char)p[1]))
			return NULL;
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			*frac += (*p - '0') * scale;
	}
	*ip = v;
	return p;
}

int sel_parse_size(const char *text, long long *bytes, aderr *err)
{
	static const char units[] = "bkmgtp";
	unsigned long long ip, mult = 1024;
	double frac;
	const char *p = number(text, &ip, &frac), *u;

	if (strcmp(text, "off") == 0) {
		*bytes = -1;
		return 0;
	}
	if (p == NULL)
		goto bad;
	if (*p != '\0') {
		if ((u = strchr(units, tolower((unsigned char)*p))) == NULL)
			goto bad;
		mult = 1;
		for (const char *x = units; x < u; x++)
			mult *= 1024;
		p++;
		if (u != units && *p == 'i')
			p++;
		if (u != units && (*p == 'B' || *p == 'b'))
			p++;
		if (*p != '\0')
			goto bad;
	}
	if (ip > (unsigned long long)LLONG_MAX / mult - 1)
		goto bad;
	*bytes = (long long)(ip * mult + (unsigned long long)(frac * (double)mult));
	return 0;
bad:
	return aderr_set(err, AD_EUSAGE, "expected a size such as 100k, 5M or 1G (k is KiB, b "
	    "bytes; a bare number is KiB, as in rclone), got '%s'", text);
}

static int two(const char *p, int *v)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/* A date and time: 0 with *when set, -1 when text is not one. */
static int parse_date(const char *text, long long *when)
{
	struct tm tm = {0};
	const char *p = text;
	int y = 0, mon, day, h = 0, min = 0, sec = 0, zone = 0, zh, zm, has_zone = 0;
	time_t t;

	for (int i = 0; i < 4; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		y = y * 10 + (*p - '0');
	}
	if (*p != '-' || two(p + 1, &mon) < 0 || p[3] != '-' || two(p + 4, &day) < 0)
		return -1;
	p += 6;
	if (*p == 'T' || *p == ' ') {
		if (two(p + 1, &h) < 0 || p[3] != ':' || two(p + 4, &min) < 0)
			return -1;
		p += 6;
		if (*p == ':') {
			if (two(p + 1, &sec) < 0)
				return -1;
			p += 3;
			if (*p == '.') {
				if (!isdigit((unsigned char)p[1]))
					return -1;
				for (p++; isdigit((unsigned char)*p); p++)
					;
			}
		}
		if (*p == 'Z') {
			has_zone = 1;
			p++;
		} else if (*p == '+' || *p == '-') {
			if (two(p + 1, &zh) < 0)
				return -1;
			if (p[3] == ':' ? two(p + 4, &zm) < 0 : two(p + 3, &zm) < 0)
				return -1;
			zone = (*p == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
			has_zone = 1;
			p += p[3] == ':' ? 6 : 5;
		}
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || min > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (has_zone) {
		t = timegm(&tm);
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t)-1 || tm.tm_mday != day)
		return -1;   /* no such day (February 30th) */
	*when = (long long)t - zone;
	return 0;
}

int sel_parse_age(const char *text, time_t now, long long *when, aderr *err)
{
	static const struct { const char *u; double s; } units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
		{ "w", 7 * 86400 }, { "M", 30 * 86400 }, { "y", 365 * 86400 }
	};
	const char *p = text;
	double secs = 0;

	if (*text == '\0')
		goto bad;
	if (isdigit((unsigned char)text[0]) && isdigit((unsigned char)text[1]) &&
	    isdigit((unsigned char)text[2]) && isdigit((unsigned char)text[3]) && text[4] == '-') {
		if (parse_date(text, when) == 0)
			return 0;
		goto bad;
	}
	while (*p) {
		const char *start = p;
		unsigned long long ip;
		double frac;
		size_t i, n = 0;

		if ((p = number(p, &ip, &frac)) == NULL)
			goto bad;
		if (*p == '\0' && start == text) {
			secs = (double)ip + frac;       /* a bare number: seconds */
			break;
		}
		for (i = sizeof units / sizeof units[0]; i-- > 0; ) {
			n = strlen(units[i].u);
			if (strncmp(p, units[i].u, n) == 0 && !(n == 1 && *p == 'm' && p[1] == 's'))
				break;
		}
		if (i == (size_t)-1)
			goto bad;
		secs += ((double)ip + frac) * units[i].s;
		p += n;
	}
	if (!isfinite(secs) || secs > 1e11)
		goto bad;
	*when = (long long)now - (long long)secs;
	return 0;
bad:
	return aderr_set(err, AD_EUSAGE, "expected an age such as 30m, 12h, 7d or 2w (ms s m h "
	    "d w M y), or a date such as 2026-01-31 or 2026-01-31T12:00:00Z, got '%s'", text);
}
