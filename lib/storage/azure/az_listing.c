/* az_listing.c — listing a container: List Blobs pages parsed with expat, one page at a
 * time, the next page fetched while this one is handed out. */
#include "az_int.h"
#include "azure.h"

#include <expat.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies s into dst[n], cut to fit. */
/* A Content-Length: a count of bytes, digits only; anything else (a sign, a fraction,
 * trailing text, a count past what a long long holds) is -1, a size not known, so that
 * the download learns it rather than trust a negative or truncated one. */
static long long parse_length(const char *t)
{
	long long v = 0;

	if (*t == '\0')
		return -1;
	for (; *t != '\0'; t++) {
		if (*t < '0' || *t > '9' || v > (LLONG_MAX - (*t - '0')) / 10)
			return -1;
		v = v * 10 + (*t - '0');
	}
	return v;
}

static void put_field(char *dst, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(dst, s, len);
	dst[len] = '\0';
}

struct page {
	struct stor_entry *v;
	char **names;
	size_t n, cap;
	char *next;
	/* parser state */
	char text[2048];
	size_t tlen;
	int in_blob, in_props, in_meta, meta_mtime, encoded, overflow, depth;
	struct stor_entry cur;
	char *cur_name;
	int failed;
};

static void XMLCALL x_start(void *ud, const XML_Char *el, const XML_Char **attr)
{
	struct page *p = ud;

	p->depth++;
	p->tlen = 0;
	p->overflow = 0;
	if (strcmp(el, "Blob") == 0) {
		p->in_blob = 1;
		p->meta_mtime = 0;
		memset(&p->cur, 0, sizeof p->cur);
		free(p->cur_name);
		p->cur_name = NULL;
	} else if (strcmp(el, "Properties") == 0) {
		p->in_props = 1;
	} else if (strcmp(el, "Metadata") == 0) {
		p->in_meta = 1;
	} else if (strcmp(el, "Name") == 0) {
		p->encoded = 0;
		for (int i = 0; attr[i]; i += 2)
			if (strcmp(attr[i], "Encoded") == 0 && strcmp(attr[i + 1], "true") == 0)
				p->encoded = 1;
	}
}

static void XMLCALL x_text(void *ud, const XML_Char *s, int len)
{
	struct page *p = ud;

	if (p->tlen + (size_t)len >= sizeof p->text) {
		p->overflow = 1;
		return;
	}
	memcpy(p->text + p->tlen, s, (size_t)len);
	p->tlen += (size_t)len;
}

static void XMLCALL x_end(void *ud, const XML_Char *el)
{
	struct page *p = ud;
	char *t = p->text;

	p->depth--;
	t[p->tlen] = '\0';
	if (p->overflow) {
		p->failed = 1;
		return;
	}
	if (strcmp(el, "NextMarker") == 0 && !p->in_blob) {
		free(p->next);
		p->next = p->tlen ? strdup(t) : NULL;
	} else if (p->in_blob && !p->in_props && strcmp(el, "Name") == 0) {
		free(p->cur_name);
		p->cur_name = strdup(t);
		if (p->cur_name != NULL && p->encoded && az_pct_decode(p->cur_name) < 0)
			p->failed = 1;
	} else if (p->in_meta) {
		long long when;
		long ns = 0;

		if (strcmp(el, "Metadata") == 0)
			p->in_meta = 0;
		else if (strcasecmp(el, "mtime") == 0 && (when = az_parse_rfc3339(t, &ns)) >= 0)
			p->cur.mtime = when, p->cur.mtime_nsec = ns, p->meta_mtime = 1;
	} else if (p->in_props) {
		if (strcmp(el, "Properties") == 0)
			p->in_props = 0;
		else if (strcmp(el, "Content-Length") == 0)
			p->cur.size = parse_length(t);
		else if (strcmp(el, "Last-Modified") == 0 && !p->meta_mtime)
			p->cur.mtime = http_parse_date(t);    /* unless the metadata said */
		else if (strcmp(el, "Etag") == 0)
			az_set_etag(p->cur.etag, sizeof p->cur.etag, t);
		else if (strcmp(el, "Content-MD5") == 0)
			put_field(p->cur.content_md5, sizeof p->cur.content_md5, t);
		else if (strcmp(el, "Content-Type") == 0)
			put_field(p->cur.content_type, sizeof p->cur.content_type, t);
	} else if (strcmp(el, "Blob") == 0 && p->in_blob) {
		p->in_blob = 0;
		if (p->cur_name == NULL) {
			p->failed = 1;
			return;
		}
		if (p->n == p->cap) {
			size_t nc = p->cap ? p->cap * 2 : 256;
			struct stor_entry *nv = realloc(p->v, nc * sizeof *nv);
			char **nn = nv ? realloc(p->names, nc * sizeof *nn) : NULL;

			if (nv)
				p->v = nv;
			if (nn == NULL) {
				p->failed = 1;
				return;
			}
			p->names = nn;
			p->cap = nc;
		}
		p->v[p->n] = p->cur;
		p->names[p->n++] = p->cur_name;
		p->cur_name = NULL;
	}
	p->tlen = 0;
}

static void page_free(struct page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p->v);
	free(p->next);
	free(p->cur_name);
	memset(p, 0, sizeof *p);
}

struct page_job {
	struct az *a;
	const char *prefix;
	char *marker;
	struct page page;
	aderr err;
	int rc;
};

/* One page of a List Blobs response into pg (freed on failure). */
static int parse_page(const char *body, size_t len, const char *what, struct page *pg, aderr *err)
{
	XML_Parser xp = XML_ParserCreate("UTF-8");
	int rc = 0;

	memset(pg, 0, sizeof *pg);
	if (xp == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	XML_SetUserData(xp, pg);
	XML_SetElementHandler(xp, x_start, x_end);
	XML_SetCharacterDataHandler(xp, x_text);
	if (XML_Parse(xp, body, (int)len, 1) == XML_STATUS_ERROR || pg->failed)
		rc = aderr_set(err, AD_EFORMAT, "%s: the blob listing is not valid XML (%s, line %lu)",
		    what, pg->failed ? "a name or field is malformed" :
		    XML_ErrorString(XML_GetErrorCode(xp)), (unsigned long)XML_GetCurrentLineNumber(xp));
	XML_ParserFree(xp);
	if (rc < 0)
		page_free(pg);
	return rc;
}

static int fetch_page(struct az *a, const char *prefix, const char *marker, struct page *pg,
    aderr *err)
{
	char max[16];
	struct call c = { .method = "GET", .container = a->container, .max_body = 64u << 20,
	    .what = a->container };
	struct http_resp r;
	int rc, i = 0;

	memset(pg, 0, sizeof *pg);
	snprintf(max, sizeof max, "%d", a->page_max);
	c.query[i++] = "comp", c.query[i++] = "list";
	c.query[i++] = "include", c.query[i++] = "metadata";
	if (marker && *marker)
		c.query[i++] = "marker", c.query[i++] = marker;
	c.query[i++] = "maxresults", c.query[i++] = max;
	if (prefix && *prefix)
		c.query[i++] = "prefix", c.query[i++] = prefix;
	c.query[i++] = "restype", c.query[i++] = "container";
	c.query[i] = NULL;
	rc = az_call(a, &c, &r, err);
	if (rc < 0)
		return rc;
	if (r.status != 200) {
		rc = az_fail(&c, &r, 0, NULL, 1, err);
		http_resp_free(&r);
		return rc;
	}
	rc = parse_page(r.body ? r.body : "", r.body_len, a->container, pg, err);
	http_resp_free(&r);
	return rc;
}

int az_parse_listing(const char *xml, size_t len, stor_list_cb cb, void *ud, char **next,
    aderr *err)
{
	struct page pg;
	int rc = parse_page(xml, len, "listing", &pg, err), parsed = rc == 0;

	*next = NULL;
	for (size_t i = 0; rc == 0 && i < pg.n; i++) {
		pg.v[i].name = pg.names[i];
		rc = cb(ud, &pg.v[i]);
	}
	if (rc == 0 && pg.next != NULL && (*next = strdup(pg.next)) == NULL)
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
	if (parsed)
		page_free(&pg);
	return rc;
}

static void *page_thread(void *arg)
{
	struct page_job *j = arg;

	j->rc = fetch_page(j->a, j->prefix, j->marker, &j->page, &j->err);
	return NULL;
}

int az_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err)
{
	struct az *a = s->impl;
	size_t plen = strlen(a->prefix);
	char *full;
	struct page cur;
	int rc;

	if (asprintf(&full, "%s%s", a->prefix, prefix) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = fetch_page(a, full, NULL, &cur, err);
	while (rc == 0) {
		struct page_job next = { .a = a, .prefix = full };
		pthread_t tid;
		int started = 0;

		/* the next page is fetched while this one is handed out */
		if (cur.next != NULL) {
			next.marker = cur.next;
			started = pthread_create(&tid, NULL, page_thread, &next) == 0;
			if (!started)
				page_thread(&next);
		}
		for (size_t i = 0; i < cur.n && rc == 0; i++) {
			size_t nl = strlen(cur.names[i]);

			if (nl <= plen || cur.names[i][nl - 1] == '/')
				continue;        /* the folder itself, or a folder marker */
			cur.v[i].name = cur.names[i] + plen;
			rc = cb(ud, &cur.v[i]);
		}
		if (started)
			pthread_join(tid, NULL);
		if (cur.next == NULL) {
			page_free(&cur);
			break;
		}
		page_free(&cur);
		if (rc != 0) {
			if (next.rc == 0)
				page_free(&next.page);
			break;
		}
		if (next.rc < 0) {
			*err = next.err;
			rc = next.rc;
			break;
		}
		cur = next.page;
	}
	free(full);
	return rc;
}
