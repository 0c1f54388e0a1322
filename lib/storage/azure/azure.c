/* azure.c — Azure Blob Storage as a storage, over the Blob REST API.
 *
 * A storage root is a container and an optional folder prefix inside it.  Requests are
 * signed per attempt (SharedKey), or carry a SAS or a bearer token; every request goes
 * through az_call, which retries what may heal.  The listing is parsed with expat, one
 * page at a time, while the next page is fetched.  Nothing secret is ever put in a
 * message: errors name the blob and the service's error code, never the URL's query. */
#include "storage.h"
#include "azure.h"
#include "azauth.h"
#include "afile.h"
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define AZ_VERSION "2021-08-06"
#define PUT_MAX (4u << 20)        /* larger files go up in blocks of this size */
#define PAGE_MAX 5000
#define RESUME_MIN (1 << 20)
#define ETAG_XATTR "user.azdedup.etag"      /* smaller downloads start over rather than resume */

enum { AUTH_NONE = AZCRED_NONE, AUTH_KEY = AZCRED_KEY, AUTH_SAS = AZCRED_SAS,
	AUTH_BEARER = AZCRED_BEARER };

struct az {
	char *endpoint;      /* scheme://host[:port][/account] without a trailing '/' */
	struct az_ep ep;     /* the same, parsed: what credentials are bound to */
	char *canon;         /* "/account" + the endpoint's path, for SharedKey */
	char *account;
	char *container;
	char *prefix;        /* "" or "folder/" */
	int auth;
	unsigned char key[96];
	int keylen;
	char *sas;           /* without '?' */
	char *token;
	char *token_file;    /* where the token came from: read again when it is refused */
	pthread_mutex_t token_mu;
	int page_max;
};

/* ---- small helpers ---- */

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Copies s into dst[n], cut to fit. */
static void put_field(char *dst, size_t n, const char *s)
{
	size_t len = strnlen(s, n - 1);

	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void b64_encode(const unsigned char *in, int n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, n);
}

/* MD5 of the bytes off..end of a file, base64. */
static int md5_range(int fd, off_t off, off_t end, char out[32], aderr *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_md5(), NULL)) {
		EVP_MD_CTX_free(c);
		return aderr_set(err, AD_EINTERNAL, "MD5 is not available");
	}
	while (off < end) {
		ssize_t got = pread(fd, buf, (size_t)(end - off < (off_t)sizeof buf ? end - off :
		    (off_t)sizeof buf), off);

		if (got <= 0) {
			int e = got < 0 ? errno : EIO;

			EVP_MD_CTX_free(c);
			return aderr_errno(err, AD_EIO, e, "reading for the checksum");
		}
		EVP_DigestUpdate(c, buf, (size_t)got);
		off += got;
	}
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	b64_encode(md, (int)mdlen, out);
	return 0;
}

int az_md5_file(int fd, off_t size, char out[32], aderr *err)
{
	return md5_range(fd, 0, size, out, err);
}

/* The service refused a body whose Content-MD5 did not match: the bytes were damaged on
 * the way, and sending them again may heal it (Azurite says InvalidOperation). */
static int md5_refused(const struct http_resp *r)
{
	const char *code = http_header(r, "x-ms-error-code");

	return r->status == 400 && code != NULL && (strcmp(code, "Md5Mismatch") == 0 ||
	    (strcmp(code, "InvalidOperation") == 0 && r->body && strstr(r->body, "MD5") != NULL));
}

/* Copies an ETag without its quotes. */
static void set_etag(char *dst, size_t n, const char *v)
{
	size_t len;

	if (v == NULL) {
		dst[0] = '\0';
		return;
	}
	if (*v == '"')
		v++;
	len = strlen(v);
	if (len > 0 && v[len - 1] == '"')
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* RFC 3339 UTC ("2019-06-01T10:00:00.123456789Z", the form rclone keeps in the blob's
 * "mtime" metadata): seconds since the epoch, or -1. */
static long long parse_rfc3339(const char *s, long *nsec)
{
	struct tm tm;
	const char *p;
	long ns = 0, scale = 100000000;

	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			ns += (*p - '0') * scale;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	if (nsec != NULL)
		*nsec = ns;
	return (long long)timegm(&tm);
}

static void format_rfc3339(time_t t, long nsec, char *out, size_t n)
{
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, nsec);
}

/* ---- requests ---- */

struct hv {
	const char *name;       /* as sent; lower-case for x-ms-* */
	const char *value;
};

struct call {
	const char *method;
	const char *container;  /* NULL: the account */
	const char *blob;       /* full blob name, or NULL */
	const char *query[16];  /* name, raw value pairs, NULL-terminated, sorted by name */
	struct hv hdr[12];      /* extra headers, NULL-terminated */
	const void *body;
	int body_fd;
	off_t body_off;
	size_t body_len;
	int (*sink)(void *, const void *, size_t);
	void *sink_ud;
	size_t max_body;
	int no_retry;           /* the caller retries itself */
	const char *what;       /* for messages: the blob or container name */
};

/* The Authorization value for SharedKey (API version 2015-02-21 and later). */
static int sign(struct az *a, const char *method, const char *path, const char *const *query,
    struct hv *h, size_t nh, char *out, size_t outn)
{
	struct az_hv ah[24];
	char *sts, *res;
	int rc;

	if (nh > sizeof ah / sizeof ah[0] || asprintf(&res, "%s%s", a->canon, path) < 0)
		return -1;
	for (size_t i = 0; i < nh; i++)
		ah[i] = (struct az_hv){ h[i].name, h[i].value };
	sts = azauth_string_to_sign(method, res, query, ah, nh);
	free(res);
	if (sts == NULL)
		return -1;
	rc = azauth_sharedkey(a->key, a->keylen, a->account, sts, out, outn);
	free(sts);
	return rc;
}

/* A one-line reason for a response that failed, with the service's error code. */
static int az_fail(const struct call *c, const struct http_resp *r, int rc, const aderr *neterr,
    int attempts, aderr *err)
{
	const char *code = http_header(r, "x-ms-error-code");
	/* a blob's name is added by the tool that prints the message */
	const char *what = c->blob ? "" : c->what ? c->what : "request";
	const char *sep = *what ? ": " : "";
	char tries[48] = "";

	if (attempts > 1)
		snprintf(tries, sizeof tries, " (after %d attempts)", attempts);
	if (rc < 0)
		return aderr_set(err, neterr->code, "%s%s%s%s", what, sep, neterr->msg, tries);
	code = code ? code : "";
	switch (r->status) {
	case 401:
	case 403:
		return aderr_set(err, AD_EAUTH, "%s%saccess refused (HTTP %ld %s): the key, SAS "
		    "or token is wrong, expired or lacks the permission", what, sep, r->status,
		    *code ? code : "AuthenticationFailed");
	case 404:
		if (strcmp(code, "ContainerNotFound") == 0)
			return aderr_set(err, AD_ECONFIG, "container '%s' does not exist",
			    c->container ? c->container : "");
		if (strcmp(code, "ResourceNotFound") == 0 && c->blob == NULL)
			return aderr_set(err, AD_ECONFIG, "%s%sno such account or container", what, sep);
		return aderr_set(err, AD_ENOENT, "%s%snot found (HTTP 404%s%s)", what, sep,
		    *code ? " " : "", code);
	case 409:
	case 412:
		return aderr_set(err, AD_EEXIST, "%s%sHTTP %ld %s", what, sep, r->status, code);
	default:
		return aderr_set(err, r->status >= 500 || r->status == 429 ? AD_ENET : AD_EIO,
		    "%s%sHTTP %ld%s%s%s", what, sep, r->status, *code ? " " : "", code, tries);
	}
}

static char *call_url(struct az *a, const struct call *c, char **pathp)
{
	char *path = NULL, *url = NULL, *q = NULL, *eb = NULL;
	size_t qn = 0;
	FILE *fp;

	if (c->blob != NULL) {
		eb = http_escape(c->blob, 1);
		if (eb == NULL)
			return NULL;
	}
	if (asprintf(&path, "/%s%s%s", c->container ? c->container : "", eb ? "/" : "",
	    eb ? eb : "") < 0) {
		free(eb);
		return NULL;
	}
	free(eb);
	fp = open_memstream(&q, &qn);
	if (fp == NULL) {
		free(path);
		return NULL;
	}
	for (size_t i = 0; c->query[i]; i += 2) {
		char *v = http_escape(c->query[i + 1], 0);

		fprintf(fp, "%c%s=%s", i == 0 ? '?' : '&', c->query[i], v ? v : "");
		free(v);
	}
	if (a->auth == AUTH_SAS)
		fprintf(fp, "%c%s", c->query[0] ? '&' : '?', a->sas);
	if (fclose(fp) != 0 || asprintf(&url, "%s%s%s", a->endpoint, path, q) < 0)
		url = NULL;
	free(q);
	if (url == NULL) {
		free(path);
		return NULL;
	}
	*pathp = path;
	return url;
}

/* 1 when the token file now holds another token (and it is taken), else 0. */
static int refresh_token(struct az *a)
{
	char *t = NULL;
	aderr e = {0};
	int changed = 0;

	if (a->auth != AUTH_BEARER || a->token_file == NULL)
		return 0;
	if (azauth_read_token_file(a->token_file, &t, &e) < 0)
		return 0;
	pthread_mutex_lock(&a->token_mu);
	if (strcmp(t, a->token) != 0) {
		memset(a->token, 0, strlen(a->token));
		free(a->token);
		a->token = t;
		t = NULL;
		changed = 1;
	}
	pthread_mutex_unlock(&a->token_mu);
	if (t != NULL) {
		memset(t, 0, strlen(t));
		free(t);
	}
	return changed;
}

/* Performs the call, retrying what may heal.  0 with *r filled for any final response
 * (the caller judges the status), negative when no response came after the retries. */
static int az_call(struct az *a, struct call *c, struct http_resp *r, aderr *err)
{
	char *path = NULL, *url = call_url(a, c, &path);
	int rc = 0, attempt, refreshed = 0;
	aderr neterr = {0};

	if (url == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (attempt = 1; ; attempt++) {
		struct hv h[20];
		char *lines[24], date[64], clen[32], auth[256];
		size_t nh = 0, nl = 0;
		struct http_req q = { 0 };
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		h[nh++] = (struct hv){ "x-ms-date", date };
		h[nh++] = (struct hv){ "x-ms-version", AZ_VERSION };
		snprintf(clen, sizeof clen, "%zu", c->body_len);
		if (strcmp(c->method, "PUT") == 0)
			h[nh++] = (struct hv){ "Content-Length", clen };
		for (size_t i = 0; c->hdr[i].name && nh < 18; i++)
			h[nh++] = c->hdr[i];
		if (a->auth == AUTH_KEY && sign(a, c->method, path, c->query, h, nh, auth, sizeof auth) < 0) {
			rc = aderr_set(err, AD_EINTERNAL, "cannot sign the request");
			break;
		}
		for (size_t i = 0; i < nh; i++) {
			if (strcmp(h[i].name, "Content-Length") == 0)
				continue;     /* curl sends it */
			if (asprintf(&lines[nl], "%s: %s", h[i].name, h[i].value) < 0)
				lines[nl] = NULL;
			if (lines[nl] != NULL)
				nl++;
		}
		if (a->auth == AUTH_KEY && asprintf(&lines[nl], "Authorization: %s", auth) >= 0)
			nl++;
		if (a->auth == AUTH_BEARER) {
			pthread_mutex_lock(&a->token_mu);
			if (asprintf(&lines[nl], "Authorization: Bearer %s", a->token) >= 0)
				nl++;
			pthread_mutex_unlock(&a->token_mu);
		}
		lines[nl++] = strdup("Expect:");
		lines[nl] = NULL;
		q.method = c->method;
		q.url = url;
		q.headers = lines;
		q.body = c->body;
		q.body_fd = c->body_fd;
		q.body_off = c->body_off;
		q.body_len = c->body_len;
		q.sink = c->sink;
		q.sink_ud = c->sink_ud;
		q.max_body = c->max_body;
		rc = http_once(&q, r, &neterr);
		for (size_t i = 0; i < nl; i++)
			free(lines[i]);
		if (r->sink_failed) {
			rc = aderr_set(err, neterr.code, "%s", neterr.msg);
			break;
		}
		if (rc == 0 && (r->status == 401 || r->status == 403) && !refreshed &&
		    refresh_token(a)) {
			/* a token file renewed by someone else while we ran: try once with it */
			refreshed = 1;
			http_resp_free(r);
			continue;
		}
		if (c->no_retry) {
			/* the caller judges and retries: hand it the outcome as it is */
			if (rc < 0)
				*err = neterr;
			break;
		}
		if (!(http_retryable(rc, r) || (rc == 0 && md5_refused(r))) ||
		    attempt > http_options()->retries) {
			if (rc < 0 || (r->status >= 500 || r->status == 429 || r->status == 408))
				rc = az_fail(c, r, rc, &neterr, attempt, err);
			break;
		}
		http_backoff(attempt, r);
		http_resp_free(r);
	}
	free(url);
	free(path);
	return rc;
}

/* ---- opening: URLs and credentials ---- */

/* scheme://host[:port]/rest: splits out the endpoint and account; rest is what follows
 * the account ("container/prefix"). */
static int parse_url(struct az *a, const char *url, const char **rest, aderr *err)
{
	int rc = azauth_parse(url, &a->ep, rest, err);
	size_t hn;

	if (rc < 0)
		return rc;
	/* the endpoint as the URL spells it: scheme://host[:port], and the account for path style */
	hn = (size_t)(strstr(url, "://") + 3 - url) + strcspn(strstr(url, "://") + 3, "/");
	if (a->ep.path_style)
		hn += 1 + strlen(a->ep.account);
	a->account = strdup(a->ep.account);
	a->endpoint = xstrndup(url, hn);
	if (a->account == NULL || a->endpoint == NULL ||
	    asprintf(&a->canon, "/%s%s%s", a->account, a->ep.path_style ? "/" : "",
	    a->ep.path_style ? a->account : "") < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
}

static int pct_decode(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi, lo;

			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return -1;
			hi = isdigit((unsigned char)p[1]) ? p[1] - '0' : (tolower((unsigned char)p[1]) - 'a' + 10);
			lo = isdigit((unsigned char)p[2]) ? p[2] - '0' : (tolower((unsigned char)p[2]) - 'a' + 10);
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return 0;
}

static void az_free(struct az *a)
{
	if (a == NULL)
		return;
	free(a->endpoint);
	free(a->canon);
	free(a->account);
	free(a->container);
	free(a->prefix);
	if (a->sas)
		memset(a->sas, 0, strlen(a->sas));
	free(a->sas);
	if (a->token)
		memset(a->token, 0, strlen(a->token));
	free(a->token);
	free(a->token_file);
	pthread_mutex_destroy(&a->token_mu);
	memset(a->key, 0, sizeof a->key);
	free(a);
}

/* ---- listing ---- */

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
		if (p->cur_name != NULL && p->encoded && pct_decode(p->cur_name) < 0)
			p->failed = 1;
	} else if (p->in_meta) {
		long long when;
		long ns = 0;

		if (strcmp(el, "Metadata") == 0)
			p->in_meta = 0;
		else if (strcasecmp(el, "mtime") == 0 && (when = parse_rfc3339(t, &ns)) >= 0)
			p->cur.mtime = when, p->cur.mtime_nsec = ns, p->meta_mtime = 1;
	} else if (p->in_props) {
		if (strcmp(el, "Properties") == 0)
			p->in_props = 0;
		else if (strcmp(el, "Content-Length") == 0)
			p->cur.size = strtoll(t, NULL, 10);
		else if (strcmp(el, "Last-Modified") == 0 && !p->meta_mtime)
			p->cur.mtime = http_parse_date(t);    /* unless the metadata said */
		else if (strcmp(el, "Etag") == 0)
			set_etag(p->cur.etag, sizeof p->cur.etag, t);
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

static int az_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err)
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

/* ---- single blobs ---- */

static char *blob_name(struct az *a, const char *name)
{
	char *b;

	return asprintf(&b, "%s%s", a->prefix, name) < 0 ? NULL : b;
}

static void entry_from(struct stor_entry *e, const struct http_resp *r)
{
	const char *v;

	memset(e, 0, sizeof *e);
	if ((v = http_header(r, "content-length")) != NULL)
		e->size = strtoll(v, NULL, 10);
	if ((v = http_header(r, "x-ms-meta-mtime")) != NULL && (e->mtime = parse_rfc3339(v, &e->mtime_nsec)) >= 0)
		;    /* the original's time, kept by the uploader */
	else if ((v = http_header(r, "last-modified")) != NULL)
		e->mtime = http_parse_date(v);
	set_etag(e->etag, sizeof e->etag, http_header(r, "etag"));
	if ((v = http_header(r, "content-md5")) != NULL)
		snprintf(e->content_md5, sizeof e->content_md5, "%s", v);
	if ((v = http_header(r, "content-type")) != NULL)
		snprintf(e->content_type, sizeof e->content_type, "%s", v);
}

/* 1 and e filled when the blob exists, 0 when not, negative on error. */
static int head_blob(struct az *a, const char *blob, const char *what, struct stor_entry *e,
    struct http_resp *keep, aderr *err)
{
	struct call c = { .method = "HEAD", .container = a->container, .blob = blob, .what = what };
	struct http_resp r;
	int rc = az_call(a, &c, &r, err);

	if (rc < 0)
		return rc;
	if (r.status == 200) {
		entry_from(e, &r);
		rc = 1;
	} else if (r.status == 404 && c.blob != NULL) {
		/* HEAD has no body: tell a missing container from a missing blob by its code */
		const char *code = http_header(&r, "x-ms-error-code");

		rc = code && strcmp(code, "ContainerNotFound") == 0 ? az_fail(&c, &r, 0, NULL, 1, err) : 0;
	} else {
		rc = az_fail(&c, &r, 0, NULL, 1, err);
	}
	if (keep != NULL && rc == 1)
		*keep = r;
	else
		http_resp_free(&r);
	return rc;
}

static int az_stat(stor *s, const char *name, struct stor_entry *e, aderr *err)
{
	struct az *a = s->impl;
	char *b = blob_name(a, name);
	int rc;

	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = head_blob(a, b, name, e, NULL, err);
	free(b);
	if (rc == 0)
		return aderr_set(err, AD_ENOENT, "not found");
	return rc < 0 ? rc : 0;
}

struct dl {
	int fd;
	off_t pos;
	EVP_MD_CTX *md;     /* MD5 of bytes 0..pos, kept as they arrive */
	int werr;           /* errno of a failed write (ENOSPC, EIO), for the message */
};

static int dl_sink(void *ud, const void *p, size_t n)
{
	struct dl *d = ud;
	const char *c = p;

	while (n > 0) {
		ssize_t w = pwrite(d->fd, c, n, d->pos);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->werr = errno;
			return -1;
		}
		EVP_DigestUpdate(d->md, c, (size_t)w);
		d->pos += w;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (fp == NULL)
		return -1;
	ok = fputs(text, fp) >= 0;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

static int read_small(const char *path, char *buf, size_t n)
{
	FILE *fp = fopen(path, "r");
	size_t got;

	if (fp == NULL)
		return -1;
	got = fread(buf, 1, n - 1, fp);
	fclose(fp);
	buf[got] = '\0';
	return 0;
}

/* Downloads into local atomically: the bytes go to ".NAME.partial" (with the ETag they
 * belong to beside it, in ".NAME.partial.etag"), a retry or a later run resumes from what
 * is there when the ETag still matches, and the file is renamed into place only once its
 * size and MD5 are right. */
static int az_get(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err)
{
	struct az *a = s->impl;
	struct stor_entry info;
	char *b = blob_name(a, name), *part = NULL, *tagf = NULL, tag[80], md5[32];
	struct stat st;
	struct dl d = { -1, 0, NULL, 0 };
	int rc = 0, attempt, resumable = 0, sidecar = 0, refetch = 0;
	aderr neterr = {0};

	(void)flags;
	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (known == NULL || known->etag[0] == '\0' || known->size < 0) {
		rc = head_blob(a, b, name, &info, NULL, err);
		if (rc == 0)
			rc = aderr_set(err, AD_ENOENT, "not found");
		if (rc < 0)
			goto out;
		known = &info;
	}
	/* already there: a file of the same size and time (we set the time) */
	if (stat(local, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == known->size &&
	    (long long)st.st_mtim.tv_sec == known->mtime) {
		rc = STOR_SAME;
		goto out;
	}
	part = partial_name_for(local);
	if (part == NULL || asprintf(&tagf, "%s.etag", part) < 0) {
		tagf = NULL;
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto out;
	}
	/* a partial file is worth keeping only if it holds the same version of the blob; small
	 * blobs are fetched again whole rather than keep a note of their version */
	resumable = known->size >= RESUME_MIN;
	{
		ssize_t tl = resumable ? getxattr(part, ETAG_XATTR, tag, sizeof tag - 1) : -1;
		int keep;

		if (tl >= 0)
			tag[tl] = '\0';
		else if (resumable && read_small(tagf, tag, sizeof tag) != 0)
			tag[0] = '\0';
		keep = resumable && strcmp(tag, known->etag) == 0;
		int of = O_RDWR | O_CREAT | O_CLOEXEC | (keep ? 0 : O_TRUNC);

		d.fd = open(part, of, 0644);
		if (d.fd < 0 && errno == ENOENT) {
			/* the first file of its folder: make the folders */
			if (mkdir_parents(local, err) < 0) {
				rc = err->code;
				goto out;
			}
			d.fd = open(part, of, 0644);
		}
	}
	/* the version note goes on the partial file itself, or beside it where the file
	 * system keeps no extended attributes */
	if (d.fd >= 0 && resumable &&
	    fsetxattr(d.fd, ETAG_XATTR, known->etag, strlen(known->etag), 0) != 0)
		sidecar = 1;
	if (d.fd < 0 || (sidecar && write_file(tagf, known->etag) < 0) || fstat(d.fd, &st) != 0) {
		rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s", part);
		goto out;
	}
	d.pos = st.st_size > known->size ? 0 : st.st_size;
	if (st.st_size > known->size && ftruncate(d.fd, 0) != 0) {
		rc = aderr_errno(err, AD_EIO, errno, "%s", part);
		goto out;
	}
	d.md = EVP_MD_CTX_new();
	if (d.md == NULL || !EVP_DigestInit_ex(d.md, EVP_md5(), NULL)) {
		rc = aderr_set(err, AD_EINTERNAL, "MD5 is not available");
		goto out;
	}
	for (off_t at = 0; at < d.pos; ) {
		/* what an earlier run left: into the checksum first */
		unsigned char buf[1 << 16];
		ssize_t got = pread(d.fd, buf, sizeof buf, at);

		if (got <= 0) {
			rc = aderr_errno(err, AD_EIO, got < 0 ? errno : EIO, "%s", part);
			goto out;
		}
		EVP_DigestUpdate(d.md, buf, (size_t)got);
		at += got;
	}
fetch:
	for (attempt = 1; d.pos < known->size || attempt == 1; attempt++) {
		char range[64], ifm[80];
		struct call c = { .method = "GET", .container = a->container, .blob = b, .what = name,
		    .sink = dl_sink, .sink_ud = &d, .no_retry = 1 };
		struct http_resp r;
		off_t from = d.pos;
		int hi = 0;

		if (known->size == 0)
			break;
		snprintf(range, sizeof range, "bytes=%lld-", (long long)d.pos);
		snprintf(ifm, sizeof ifm, "\"%s\"", known->etag);
		c.hdr[hi++] = (struct hv){ "If-Match", ifm };
		if (d.pos > 0)
			c.hdr[hi++] = (struct hv){ "x-ms-range", range };
		rc = az_call(a, &c, &r, &neterr);
		if (rc == 0 && (r.status == 200 || r.status == 206)) {
			if (r.status == 200 && from > 0) {
				/* the server ignored the range: what came is the whole blob from 0 */
				http_resp_free(&r);
				rc = aderr_set(err, AD_EIO, "the server ignored the range request");
				goto out;
			}
			http_resp_free(&r);
			if (d.pos == known->size)
				break;
			rc = aderr_set(&neterr, AD_ENET, "%lld of %lld bytes arrived",
			    (long long)d.pos, (long long)known->size);
			r.curl_code = CURLE_PARTIAL_FILE;    /* as if the transfer had said so */
		}
		if (rc == 0 && r.status == 412) {
			http_resp_free(&r);
			rc = aderr_set(err, AD_EEXIST, "changed since it was listed (list it again)");
			goto out;
		}
		if (rc == 0 && r.status == 416 && d.pos > 0) {
			/* the partial file is longer than the blob: start over */
			http_resp_free(&r);
			if (ftruncate(d.fd, 0) != 0 || !EVP_DigestInit_ex(d.md, EVP_md5(), NULL)) {
				rc = aderr_errno(err, AD_EIO, errno, "%s", part);
				goto out;
			}
			d.pos = 0;
			continue;
		}
		if (r.sink_failed) {
			/* the disk, not the network: a full disk is no reason to retry, and the
			 * partial file goes, so that the records after this one find the room */
			http_resp_free(&r);
			d.pos = 0;
			rc = aderr_errno(err, aderr_from_errno(d.werr ? d.werr : EIO),
			    d.werr ? d.werr : EIO, "%s", local);
			goto out;
		}
		if (!http_retryable(rc, &r) || attempt > http_options()->retries) {
			if (rc < 0)       /* neterr already names the blob */
				rc = aderr_set(err, neterr.code, "%s (after %d attempts)", neterr.msg, attempt);
			else
				rc = az_fail(&c, &r, 0, NULL, attempt, err);
			http_resp_free(&r);
			goto out;
		}
		/* a transient failure: keep what arrived and ask for the rest */
		http_backoff(attempt, rc == 0 ? &r : NULL);
		http_resp_free(&r);
		rc = 0;
	}
	if (fstat(d.fd, &st) != 0 || st.st_size != known->size) {
		rc = aderr_set(err, AD_ETRUNC, "size %lld, expected %lld",
		    (long long)st.st_size, (long long)known->size);
		goto out;
	}
	if (known->content_md5[0]) {
		unsigned char dg[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;

		EVP_DigestFinal_ex(d.md, dg, &dl);
		b64_encode(dg, (int)dl, md5);
		if (strcmp(md5, known->content_md5) != 0) {
			/* corrupt bytes (damaged on the way, or a partial file gone bad): do not
			 * resume from them, fetch the whole blob again */
			d.pos = 0;
			if (refetch++ < http_options()->retries && ftruncate(d.fd, 0) == 0 &&
			    EVP_DigestInit_ex(d.md, EVP_md5(), NULL)) {
				http_count_retry();
				goto fetch;
			}
			rc = aderr_set(err, AD_EFORMAT, "MD5 %s, the service says %s", md5,
			    known->content_md5);
			goto out;
		}
	}
	{
		struct timespec ts[2] = { { (time_t)known->mtime, 0 }, { (time_t)known->mtime, 0 } };
		int cfd = d.fd, e = 0;

		/* no fsync: the work folder is a cache, and a file that a power cut left short
		 * fails the size check of the next run and is fetched again */
		if (resumable && !sidecar)
			fremovexattr(d.fd, ETAG_XATTR);
		d.fd = -1;
		if (futimens(cfd, ts) != 0)
			e = errno;
		if (close(cfd) != 0 && e == 0)
			e = errno;
		if (e == 0 && rename(part, local) != 0)
			e = errno;
		if (e != 0) {
			rc = aderr_errno(err, aderr_from_errno(e), e, "%s", local);
			unlink(part);
			if (sidecar)
				unlink(tagf);
			goto out;
		}
	}
	if (sidecar)
		unlink(tagf);
	rc = STOR_DONE;
out:
	if (d.fd >= 0)
		close(d.fd);
	EVP_MD_CTX_free(d.md);
	if (rc < 0 && d.fd >= 0 && (d.pos == 0 || !resumable)) {
		/* nothing worth resuming: leave no litter */
		unlink(part);
		if (sidecar)
			unlink(tagf);
	}
	free(part);
	free(tagf);
	free(b);
	return rc;
}

static const char *mime_of(const char *name)
{
	static const char *const map[][2] = {
		{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "jpe", "image/jpeg" },
		{ "jfif", "image/jpeg" }, { "png", "image/png" }, { "webp", "image/webp" },
		{ "gif", "image/gif" }, { "bmp", "image/bmp" }, { "tif", "image/tiff" },
		{ "tiff", "image/tiff" }, { "heic", "image/heic" }, { "heif", "image/heif" },
		{ "avif", "image/avif" }, { "json", "application/json" },
		{ "ndjson", "application/x-ndjson" }, { "txt", "text/plain" },
	};
	const char *dot = strrchr(name, '.');

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (strcasecmp(dot + 1, map[i][0]) == 0)
				return map[i][1];
	return "application/octet-stream";
}

/* What the destination holds: STOR_SAME when it has the same size and MD5, 0 when it may
 * be written (absent, or overwrite allowed: *ifmatch then holds its ETag), or an error. */
static int check_dest(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int flags, char *ifmatch, size_t n, aderr *err)
{
	struct stor_entry e;
	int rc = head_blob(a, blob, name, &e, NULL, err);

	ifmatch[0] = '\0';
	if (rc <= 0)
		return rc;
	if (e.size == size && md5 && *md5 && strcmp(e.content_md5, md5) == 0)
		return STOR_SAME;
	if (!(flags & STOR_OVERWRITE))
		return aderr_set(err, AD_EEXIST, "destination exists with different content "
		    "(use --overwrite to replace it)");
	snprintf(ifmatch, n, "\"%s\"", e.etag);
	return 0;
}

/* A conditional write was refused (412/409): when the destination now holds exactly the
 * content we were writing, our own earlier attempt did it (its answer was lost on the
 * way back) or another writer did the same: either way the copy is done. */
static int settled(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int rc)
{
	char ifm[80];
	aderr e2 = {0};

	if (rc != AD_EEXIST || md5 == NULL || *md5 == '\0')
		return rc;
	if (check_dest(a, blob, name, size, md5, 0, ifm, sizeof ifm, &e2) == STOR_SAME)
		return 0;
	return rc;
}

static int put_done(const struct call *c, struct http_resp *r, aderr *err)
{
	int rc = 0;

	if (r->status == 412 || r->status == 409)
		rc = aderr_set(err, AD_EEXIST, "the destination changed while copying "
		    "(another writer?)");
	else if (md5_refused(r))
		rc = aderr_set(err, AD_ENET, "the service refused the data for its MD5 every "
		    "time (damaged on the way, after %d attempts)", http_options()->retries + 1);
	else if (r->status != 201)
		rc = az_fail(c, r, 0, NULL, 1, err);
	http_resp_free(r);
	return rc;
}

static int az_put(stor *s, const char *name, const char *local, int flags, aderr *err)
{
	struct az *a = s->impl;
	char *b = blob_name(a, name), md5[32], ifm[80], mtime[48];
	struct stat st;
	struct http_resp r;
	int fd = -1, rc;

	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s", local);
		goto out;
	}
	if ((rc = az_md5_file(fd, st.st_size, md5, err)) < 0)
		goto out;
	format_rfc3339(st.st_mtim.tv_sec, st.st_mtim.tv_nsec, mtime, sizeof mtime);
	rc = check_dest(a, b, name, (long long)st.st_size, md5, flags, ifm, sizeof ifm, err);
	if (rc != 0)
		goto out;
	if ((size_t)st.st_size <= PUT_MAX) {
		struct call c = { .method = "PUT", .container = a->container, .blob = b, .what = name,
		    .body_fd = fd, .body_len = (size_t)st.st_size };
		int hi = 0;

		c.hdr[hi++] = (struct hv){ "Content-MD5", md5 };
		c.hdr[hi++] = (struct hv){ ifm[0] ? "If-Match" : "If-None-Match", ifm[0] ? ifm : "*" };
		c.hdr[hi++] = (struct hv){ "x-ms-blob-content-type", mime_of(name) };
		c.hdr[hi++] = (struct hv){ "x-ms-blob-type", "BlockBlob" };
		c.hdr[hi++] = (struct hv){ "x-ms-meta-mtime", mtime };
		if ((rc = az_call(a, &c, &r, err)) < 0)
			goto out;
		rc = settled(a, b, name, (long long)st.st_size, md5, put_done(&c, &r, err));
	} else {
		/* blocks of PUT_MAX, then the list that makes them the blob */
		size_t nblk = ((size_t)st.st_size + PUT_MAX - 1) / PUT_MAX;
		char *xml = NULL;
		size_t xn = 0;
		FILE *fp = open_memstream(&xml, &xn);
		struct call c;

		if (fp == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			goto out;
		}
		fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>", fp);
		for (size_t k = 0; k < nblk && rc == 0; k++) {
			char raw[24], id[40], bmd5[32];
			struct call bc = { .method = "PUT", .container = a->container, .blob = b,
			    .what = name, .body_fd = fd, .body_off = (off_t)(k * PUT_MAX) };

			snprintf(raw, sizeof raw, "azdedup-%08zu", k);
			b64_encode((const unsigned char *)raw, (int)strlen(raw), id);
			bc.body_len = k + 1 < nblk ? PUT_MAX : (size_t)st.st_size - k * PUT_MAX;
			bc.query[0] = "blockid", bc.query[1] = id;
			bc.query[2] = "comp", bc.query[3] = "block";
			/* the service checks each block against its MD5: a damaged one is sent again */
			if ((rc = md5_range(fd, bc.body_off, bc.body_off + (off_t)bc.body_len, bmd5,
			    err)) < 0)
				break;
			bc.hdr[0] = (struct hv){ "Content-MD5", bmd5 };
			if ((rc = az_call(a, &bc, &r, err)) < 0)
				break;
			rc = put_done(&bc, &r, err);
			fprintf(fp, "<Latest>%s</Latest>", id);
		}
		fputs("</BlockList>", fp);
		if (fclose(fp) != 0 && rc == 0)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		if (rc < 0) {
			free(xml);
			goto out;
		}
		memset(&c, 0, sizeof c);
		c.method = "PUT", c.container = a->container, c.blob = b, c.what = name;
		c.body = xml, c.body_len = strlen(xml);
		c.query[0] = "comp", c.query[1] = "blocklist";
		c.hdr[0] = (struct hv){ ifm[0] ? "If-Match" : "If-None-Match", ifm[0] ? ifm : "*" };
		c.hdr[1] = (struct hv){ "x-ms-blob-content-md5", md5 };
		c.hdr[2] = (struct hv){ "x-ms-blob-content-type", mime_of(name) };
		c.hdr[3] = (struct hv){ "x-ms-meta-mtime", mtime };
		rc = az_call(a, &c, &r, err);
		if (rc == 0)
			rc = settled(a, b, name, (long long)st.st_size, md5, put_done(&c, &r, err));
		free(xml);
	}
	if (rc == 0)
		rc = STOR_DONE;
out:
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

static int same_account(const struct az *x, const struct az *y)
{
	return strcmp(x->endpoint, y->endpoint) == 0;
}

/* A server-side copy hands the source's SAS to the destination's service, inside
 * x-ms-copy-source: only over https, or to an emulator on this machine.  (The SAS is the
 * source's own, bound to it by azauth_pick; the destination's credentials never go into
 * that URL.) */
static int sas_may_travel(const struct az *dst)
{
	return strcmp(dst->ep.scheme, "https") == 0 || azauth_loopback(dst->ep.host);
}

/* Server-side copy; waits for an asynchronous one to finish. */
static int server_copy(struct az *a, const char *blob, const char *name, struct az *sa,
    const char *sblob, const char *ifm, aderr *err)
{
	char *eb = http_escape(sblob, 1), *src = NULL;
	struct call c = { .method = "PUT", .container = a->container, .blob = blob, .what = name };
	struct http_resp r;
	const char *st;
	int rc, polls = 0;

	if (eb == NULL || asprintf(&src, "%s/%s/%s%s%s", sa->endpoint, sa->container, eb,
	    sa->auth == AUTH_SAS ? "?" : "", sa->auth == AUTH_SAS ? sa->sas : "") < 0) {
		free(eb);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	free(eb);
	c.hdr[0] = (struct hv){ ifm[0] ? "If-Match" : "If-None-Match", ifm[0] ? ifm : "*" };
	c.hdr[1] = (struct hv){ "x-ms-copy-source", src };
	rc = az_call(a, &c, &r, err);
	if (src != NULL)
		memset(src, 0, strlen(src));
	free(src);
	if (rc < 0)
		return rc;
	if (r.status == 412 || r.status == 409) {
		http_resp_free(&r);
		return aderr_set(err, AD_EEXIST, "the destination changed while copying");
	}
	if (r.status != 202 && r.status != 201) {
		rc = az_fail(&c, &r, 0, NULL, 1, err);
		http_resp_free(&r);
		return rc;
	}
	st = http_header(&r, "x-ms-copy-status");
	while (st != NULL && strcmp(st, "pending") == 0) {
		struct stor_entry e;
		struct timespec ts = { 0, polls < 10 ? 200000000L : 999999999L };

		http_resp_free(&r);
		nanosleep(&ts, NULL);
		polls++;
		rc = head_blob(a, blob, name, &e, &r, err);
		if (rc <= 0)
			return rc < 0 ? rc : aderr_set(err, AD_ENOENT, "gone while copying");
		st = http_header(&r, "x-ms-copy-status");
	}
	if (st != NULL && strcmp(st, "success") != 0) {
		const char *why = http_header(&r, "x-ms-copy-status-description");

		rc = aderr_set(err, AD_EIO, "server-side copy %s%s%s", st, why ? ": " : "",
		    why ? why : "");
		http_resp_free(&r);
		return rc;
	}
	http_resp_free(&r);
	return STOR_DONE;
}

static int az_copy(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err)
{
	struct az *a = dst->impl;
	char *b = NULL, *from = NULL, *tmp = NULL, ifm[80];
	int rc;

	if (src->ops != &stor_azure_ops) {
		/* a local source is an upload */
		if (src->ops != &stor_local_ops)
			return aderr_set(err, AD_EUNSUP, "cannot copy from %s to Azure", stor_kind(src));
		if (asprintf(&from, "%s/%s", src->root, srcname) < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		rc = az_put(dst, dstname, from, flags, err);
		free(from);
		return rc;
	}
	{
		struct az *sa = src->impl;
		struct stor_entry se;
		char *sb = blob_name(sa, srcname);

		b = blob_name(a, dstname);
		if (b == NULL || sb == NULL) {
			free(sb);
			free(b);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		rc = head_blob(sa, sb, srcname, &se, NULL, err);
		if (rc == 0)
			rc = aderr_set(err, AD_ENOENT, "not found in the source");
		if (rc > 0)
			rc = check_dest(a, b, dstname, se.size, se.content_md5, flags, ifm, sizeof ifm, err);
		if (rc == 0 && (same_account(a, sa) || sa->auth == AUTH_NONE ||
		    (sa->auth == AUTH_SAS && sas_may_travel(a)))) {
			rc = server_copy(a, b, dstname, sa, sb, ifm, err);
			if (rc == AD_EEXIST)
				rc = settled(a, b, dstname, se.size, se.content_md5, rc) == 0 ? STOR_DONE : rc;
		} else if (rc == 0) {
			/* another account signed with its own key: through a local temporary */
			tmp = strdup("/tmp/azdedup-copy.XXXXXX");
			int fd = tmp ? mkstemp(tmp) : -1;

			if (fd < 0) {
				rc = aderr_errno(err, AD_EIO, errno, "temporary file");
			} else {
				close(fd);
				unlink(tmp);
				rc = az_get(src, srcname, tmp, 0, &se, err);
				if (rc >= 0)
					rc = az_put(dst, dstname, tmp, flags | STOR_OVERWRITE, err);
				unlink(tmp);
			}
		}
		free(sb);
	}
	free(tmp);
	free(b);
	return rc;
}

static void az_close(stor *s)
{
	az_free(s->impl);
	s->impl = NULL;
}

const struct stor_ops stor_azure_ops = {
	.kind = "azure",
	.list = az_list,
	.stat = az_stat,
	.get = az_get,
	.put = az_put,
	.copy = az_copy,
	.close = az_close,
};

static int make_container(struct az *a, aderr *err)
{
	struct call c = { .method = "PUT", .container = a->container, .what = a->container };
	struct http_resp r;
	int rc;

	c.query[0] = "restype", c.query[1] = "container";
	rc = az_call(a, &c, &r, err);
	if (rc < 0)
		return rc;
	if (r.status != 201 && !(r.status == 409 &&
	    strcmp(http_header(&r, "x-ms-error-code") ? http_header(&r, "x-ms-error-code") : "",
	    "ContainerAlreadyExists") == 0))
		rc = az_fail(&c, &r, 0, NULL, 1, err);
	http_resp_free(&r);
	return rc;
}

int stor_azure_open(stor *s, const char *url, int flags, aderr *err)
{
	struct az *a = calloc(1, sizeof *a);
	const char *rest = "", *sl;
	char *base = NULL, *sas = NULL, *q;
	int rc;

	if (a == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	pthread_mutex_init(&a->token_mu, NULL);
	a->page_max = PAGE_MAX;
	{
		const char *pm = getenv("AZDEDUP_PAGE_SIZE");    /* for tests: small pages */

		if (pm != NULL && atoi(pm) > 0 && atoi(pm) <= PAGE_MAX)
			a->page_max = atoi(pm);
	}
	/* az://CONTAINER/PREFIX on the account of the connection string or the environment */
	if ((rc = azauth_resolve(url, &base, err)) < 0) {
		az_free(a);
		return rc;
	}
	if ((q = strchr(base, '?')) != NULL) {
		*q = '\0';
		sas = q + 1;
	}
	if ((rc = parse_url(a, base, &rest, err)) < 0)
		goto fail;
	sl = strchr(rest, '/');
	a->container = sl ? xstrndup(rest, (size_t)(sl - rest)) : strdup(rest);
	if (a->container == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto fail;
	}
	if (a->container[0] == '\0') {
		rc = aderr_set(err, AD_EUSAGE, "%s: no container in the URL", base);
		goto fail;
	}
	{
		const char *p = sl ? sl + 1 : "";
		size_t n = strlen(p);

		while (n > 0 && p[n - 1] == '/')
			n--;
		if (asprintf(&a->prefix, "%.*s%s", (int)n, p, n ? "/" : "") < 0) {
			a->prefix = NULL;
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			goto fail;
		}
		if (pct_decode(a->prefix) < 0 || pct_decode(a->container) < 0) {
			rc = aderr_set(err, AD_EUSAGE, "bad %%-escape in the URL");
			goto fail;
		}
	}
	{
		struct az_cred c;

		rc = azauth_pick(&a->ep, a->container, sas, ((flags & STOR_NAMED) ? AZAUTH_NAMED : 0) |
		    ((flags & STOR_CREATE) ? AZAUTH_WRITE : 0), &c, err);
		if (rc < 0)
			goto fail;
		a->auth = c.kind;
		memcpy(a->key, c.key, sizeof a->key);
		a->keylen = c.keylen;
		a->sas = c.sas;
		a->token = c.token;
		a->token_file = c.token_file;
		c.sas = c.token = c.token_file = NULL;
		azauth_cred_free(&c);
	}
	/* root: the URL without its query, the display form (what records carry) the same */
	s->root = strdup(base);
	s->display = strdup(base);
	if (s->root == NULL || s->display == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto fail;
	}
	memset(base, 0, strlen(base) + (sas ? strlen(sas) + 1 : 0));
	free(base);
	base = NULL;
	s->ops = &stor_azure_ops;
	s->impl = a;
	http_configure(NULL);
	if ((flags & STOR_CREATE) && (rc = make_container(a, err)) < 0) {
		s->impl = NULL;
		goto fail;
	}
	return 0;
fail:
	if (base != NULL)
		memset(base, 0, strlen(base) + (sas ? strlen(sas) + 1 : 0));
	free(base);
	free(s->root);
	free(s->display);
	s->root = s->display = NULL;
	az_free(a);
	return rc;
}
