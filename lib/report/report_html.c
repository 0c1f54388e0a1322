/* report_html.c — dedupe's review page: the page, its folder of group chunks, index and
 * thumbnail files (see report_html.h). */
#include "report_html.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "afile.h"
#include "review_assets.h"      /* review_css, review_js: generated from review.css/.js */

#define MARKER ".azdedup-review"

struct html_page {
	char *path;                 /* the page */
	char *dir;                  /* the folder's final name */
	char *base;                 /* its last component, as the page names it */
	char *tmp;                  /* the folder's temporary name */
};

int html_rank(const char *kind, int margin, int inliers)
{
	if (kind == NULL || strcmp(kind, "chain") == 0)
		return 0;
	if (strcmp(kind, "keypoints") == 0)
		return 100 + (inliers < 0 ? 0 : inliers > 99 ? 99 : inliers);
	/* the details read in place past a line of text: no keypoints vouch for it */
	if (strcmp(kind, "caption") == 0)
		return 50;
	if (strcmp(kind, "hash") == 0)
		return margin < 0 ? 400 : 200 + (margin > 99 ? 99 : margin);
	return 500;
}

char *html_url(const char *src, const char *name)
{
	static const char keep[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~/";
	size_t sl, nl = strlen(name ? name : ""), o = 0;
	char *u;

	if (src == NULL || name == NULL || *name == '\0')
		return NULL;
	if (src[0] == '/') {
		/* a folder: file:// and the path, encoded like the name */
		char *enc_src = html_url("file:", src + 1);
		char *r;

		if (enc_src == NULL)
			return NULL;
		/* "file:" joined with "/" + encoded path gives file:/ ...: make it file:/// */
		if (asprintf(&r, "file:///%s", enc_src + 6) < 0)
			r = NULL;
		free(enc_src);
		if (r == NULL)
			return NULL;
		u = html_url(r, name);
		free(r);
		return u;
	}
	if (strncmp(src, "file:", 5) != 0 && strncmp(src, "https://", 8) != 0 &&
	    strncmp(src, "http://", 7) != 0)
		return NULL;
	sl = strcspn(src, "?#");        /* never a query: a SAS is a secret */
	while (sl > 0 && src[sl - 1] == '/')
		sl--;
	if ((u = malloc(sl + 1 + 3 * nl + 1)) == NULL)
		return NULL;
	memcpy(u, src, sl);
	o = sl;
	u[o++] = '/';
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p != '\0' && strchr(keep, *p) != NULL) {
			u[o++] = (char)*p;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			u[o++] = '%';
			u[o++] = hex[*p >> 4];
			u[o++] = hex[*p & 15];
		}
	}
	u[o] = '\0';
	return u;
}

static int unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static int remove_tree(const char *dir)
{
	return nftw(dir, unlink_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* An error about a file in the temporary folder names it where it was to be: the
 * folder's final name (the temporary one means nothing to the user). */
static int shown(const html_page *p, int rc, aderr *err)
{
	size_t tl = p->tmp ? strlen(p->tmp) : 0;

	if (rc < 0 && err != NULL && tl > 0 && strncmp(err->msg, p->tmp, tl) == 0) {
		char rest[sizeof err->msg];

		snprintf(rest, sizeof rest, "%s", err->msg + tl);
		snprintf(err->msg, sizeof err->msg, "%s%s", p->dir, rest);
	}
	return rc;
}

static void page_free(html_page *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->dir);
	free(p->base);
	free(p->tmp);
	free(p);
}

html_page *html_open(const char *path, aderr *err)
{
	html_page *p = calloc(1, sizeof *p);
	const char *slash = strrchr(path, '/'), *dot;
	size_t stem;
	char *m = NULL;

	if (p == NULL || (p->path = strdup(path)) == NULL) {
		page_free(p);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	dot = strrchr(slash ? slash + 1 : path, '.');
	stem = dot && (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0) &&
	    dot > (slash ? slash + 1 : path) ? (size_t)(dot - path) : strlen(path);
	if (asprintf(&p->dir, "%.*s_files", (int)stem, path) < 0) {
		p->dir = NULL;
		goto nomem;
	}
	if ((p->base = strdup(slash ? strrchr(p->dir, '/') + 1 : p->dir)) == NULL)
		goto nomem;
	if ((p->tmp = tmp_name_for(p->dir)) == NULL)
		goto nomem;
	if (mkdir_parents(p->tmp, err) < 0) {
		page_free(p);
		return NULL;
	}
	if (mkdir(p->tmp, 0777) < 0) {
		aderr_errno(err, aderr_from_errno(errno), errno, "%s", p->tmp);
		page_free(p);
		return NULL;
	}
	if (asprintf(&m, "%s/" MARKER, p->tmp) < 0 || m == NULL)
		goto nomem_rm;
	{
		FILE *fp = fopen(m, "w");

		if (fp == NULL || fputs("a dedupe --html review folder: replaced by the next page\n",
		    fp) < 0 || fclose(fp) != 0) {
			int e = errno ? errno : EIO;

			if (fp != NULL)
				fclose(fp);
			aderr_errno(err, aderr_from_errno(e), e, "%s", m);
			free(m);
			remove_tree(p->tmp);
			page_free(p);
			return NULL;
		}
	}
	free(m);
	return p;
nomem_rm:
	remove_tree(p->tmp);
nomem:
	page_free(p);
	aderr_set(err, AD_ENOMEM, "out of memory");
	return NULL;
}

void html_abort(html_page *p)
{
	if (p != NULL && p->tmp != NULL)
		remove_tree(p->tmp);
	page_free(p);
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Writes LEN bytes to PATH (a new file in the temporary folder). */
static int put_file(const char *path, const void *buf, size_t len, aderr *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	const char *b = buf;

	if (fd < 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	while (len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
		}
		b += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	return 0;
}

static int thumb_write(html_page *p, const char *key, const char *data_uri, aderr *err)
{
	static const char pre[] = "data:image/jpeg;base64,";
	size_t kl = key ? strlen(key) : 0, n, o = 0;
	const char *s;
	unsigned char *buf;
	unsigned acc = 0;
	int bits = 0, rc;
	char path[4096];

	if (kl < 2 || kl > 80 || strspn(key, "0123456789abcdefghijklmnopqrstuvwxyz") != kl ||
	    data_uri == NULL || strncmp(data_uri, pre, sizeof pre - 1) != 0)
		return 1;
	s = data_uri + sizeof pre - 1;
	n = strlen(s);
	if ((buf = malloc(n / 4 * 3 + 3)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (s[i] == '=')
			break;
		if (v < 0) {
			free(buf);
			return 1;
		}
		acc = acc << 6 | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (o < 4 || buf[0] != 0xff || buf[1] != 0xd8) {
		free(buf);
		return 1;
	}
	snprintf(path, sizeof path, "%s/t", p->tmp);
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		free(buf);
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	}
	snprintf(path, sizeof path, "%s/t/%.2s", p->tmp, key);
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		free(buf);
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	}
	snprintf(path, sizeof path, "%s/t/%.2s/%s.jpg", p->tmp, key, key);
	rc = put_file(path, buf, o, err);
	free(buf);
	return rc;
}

int html_thumb(html_page *p, const char *key, const char *data_uri, aderr *err)
{
	return shown(p, thumb_write(p, key, data_uri, err), err);
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct html_group *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->saved != b->saved)
		return a->saved > b->saved ? -1 : 1;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* JSON text safe inside a <script> element and a JavaScript file: ASCII only, and no
 * '<', '>' or '&' (they can only be inside strings, where \u escapes mean the same). */
static int put_json(FILE *fp, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	const char *c = s;

	if (s == NULL)
		return -1;
	while (*c) {
		size_t n = strcspn(c, "<>&");

		fwrite(c, 1, n, fp);
		c += n;
		if (*c)
			fprintf(fp, "\\u%04x", (unsigned char)*c++);
	}
	free(s);
	return 0;
}

/* The length of the UTF-8 sequence at S and its code point, or 0 when S holds none. */
static int utf8_seq(const unsigned char *s, unsigned *cp)
{
	int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
	    (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	unsigned v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;

	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (n == 0 || (n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* S as a JSON string the same way (a byte that is not UTF-8 becomes U+FFFD), or null. */
static void put_str(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	while (*s) {
		size_t n = 0;
		unsigned cp;
		int k;

		while (s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\' && s[n] != '<' &&
		    s[n] != '>' && s[n] != '&')
			n++;
		fwrite(s, 1, n, fp);
		s += n;
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\') {
			fputc('\\', fp);
			fputc(*s++, fp);
		} else if ((k = utf8_seq(s, &cp)) == 0) {
			fputs("\\ufffd", fp);
			s++;
		} else {
			if (cp >= 0x10000)
				fprintf(fp, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
				    0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				fprintf(fp, "\\u%04x", cp);
			s += k;
		}
	}
	fputc('"', fp);
}

static void put_member(FILE *fp, const struct html_member *m)
{
	fputs("{\"n\":", fp);
	put_str(fp, m->name ? m->name : "");
	fputs(",\"s\":", fp);
	put_str(fp, m->sha256);
	fputs(",\"u\":", fp);
	put_str(fp, m->url);
	fputs(",\"t\":", fp);
	put_str(fp, m->thumb);
	fprintf(fp, ",\"w\":%lld,\"h\":%lld,\"b\":%lld,\"st\":", m->w, m->h, m->size);
	put_str(fp, m->stage);
	fputs(",\"k\":", fp);
	put_str(fp, m->kind);
	fprintf(fp, ",\"d\":[%d,%d,%d],\"o\":%d,\"y\":", m->dist[0], m->dist[1], m->dist[2],
	    m->orient);
	put_str(fp, m->why);
	fputc('}', fp);
}

/* Writes the text of BUILD (a function of FP) as DIR/NAME. */
static int put_text(const char *dir, const char *name, int (*build)(FILE *, void *), void *ud,
    aderr *err)
{
	char path[4096];
	FILE *fp;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	errno = 0;
	rc = build(fp, ud);
	if (rc < 0 || ferror(fp)) {
		int e = errno ? errno : EIO;

		fclose(fp);
		return rc == AD_ENOMEM ? aderr_set(err, AD_ENOMEM, "out of memory") :
		    aderr_errno(err, aderr_from_errno(e), e, "%s", path);
	}
	if (fclose(fp) != 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
	return 0;
}

struct chunk { const struct html_group *g; size_t first, n; };

static int build_chunk(FILE *fp, void *ud)
{
	const struct chunk *c = ud;

	fprintf(fp, "AZD.chunk(%zu,[", c->first / HTML_CHUNK);
	for (size_t i = c->first; i < c->first + c->n; i++) {
		const struct html_group *g = &c->g[i];

		fprintf(fp, "%s{\"id\":%ld,\"rank\":%d,\"saved\":%lld,%s\"m\":[",
		    i > c->first ? ",\n" : "", g->id, g->rank, g->saved,
		    g->reviewed ? "\"rv\":1," : "");
		for (size_t k = 0; k < g->n; k++) {
			if (k)
				fputc(',', fp);
			put_member(fp, &g->m[k]);
		}
		fputs("]}", fp);
	}
	fputs("]);\n", fp);
	return 0;
}

/* The folders of the members (each name up to its last '/'), numbered as first seen. */
struct folders {
	char **name;
	size_t n, cap;
	size_t *slot, nslot;        /* open addressing: index + 1, 0 empty */
};

static uint64_t fnv(const char *s, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static long folder_id(struct folders *f, const char *name)
{
	const char *sl = strrchr(name, '/');
	size_t len = sl ? (size_t)(sl - name) + 1 : 0, i;

	if (f->n * 2 >= f->nslot) {
		size_t ns = f->nslot ? f->nslot * 2 : 1024, *s = calloc(ns, sizeof *s);

		if (s == NULL)
			return -1;
		for (size_t k = 0; k < f->n; k++) {
			i = fnv(f->name[k], strlen(f->name[k]), 14695981039346656037ull) & (ns - 1);
			while (s[i])
				i = (i + 1) & (ns - 1);
			s[i] = k + 1;
		}
		free(f->slot);
		f->slot = s;
		f->nslot = ns;
	}
	i = fnv(name, len, 14695981039346656037ull) & (f->nslot - 1);
	for (; f->slot[i]; i = (i + 1) & (f->nslot - 1)) {
		const char *x = f->name[f->slot[i] - 1];

		if (strlen(x) == len && memcmp(x, name, len) == 0)
			return (long)(f->slot[i] - 1);
	}
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 256;
		char **t = realloc(f->name, nc * sizeof *t);

		if (t == NULL)
			return -1;
		f->name = t;
		f->cap = nc;
	}
	if ((f->name[f->n] = strndup(name, len)) == NULL)
		return -1;
	f->slot[i] = f->n + 1;
	return (long)f->n++;
}

struct index { const struct html_group *g; size_t ng; };

static int build_index(FILE *fp, void *ud)
{
	const struct index *x = ud;
	struct folders f = { 0 };
	int rc = 0;

	fputs("AZD.index({\"n\":[", fp);
	for (size_t i = 0; i < x->ng; i++)
		fprintf(fp, "%s%zu", i ? "," : "", x->g[i].n);
	fputs("],\"saved\":[", fp);
	for (size_t i = 0; i < x->ng; i++)
		fprintf(fp, "%s%lld", i ? "," : "", x->g[i].saved);
	fputs("],\"rank\":[", fp);
	for (size_t i = 0; i < x->ng; i++)
		fprintf(fp, "%s%d", i ? "," : "", x->g[i].rank);
	/* per group: the stages (exact 1, near 2, local 4) and evidence kinds (exact 1,
	 * hash 2, chain 4, keypoints 8, caption 16) of its duplicates */
	fputs("],\"st\":[", fp);
	for (size_t i = 0; i < x->ng; i++) {
		int b = 0;

		for (size_t k = 1; k < x->g[i].n; k++) {
			const char *s = x->g[i].m[k].stage ? x->g[i].m[k].stage : "";

			b |= strcmp(s, "exact") == 0 ? 1 : strcmp(s, "local") == 0 ? 4 : 2;
		}
		fprintf(fp, "%s%d", i ? "," : "", b);
	}
	fputs("],\"ev\":[", fp);
	for (size_t i = 0; i < x->ng; i++) {
		int b = 0;

		for (size_t k = 1; k < x->g[i].n; k++) {
			const char *s = x->g[i].m[k].kind ? x->g[i].m[k].kind : "";

			b |= strcmp(s, "exact") == 0 ? 1 : strcmp(s, "hash") == 0 ? 2 :
			    strcmp(s, "chain") == 0 ? 4 : strcmp(s, "caption") == 0 ? 16 : 8;
		}
		fprintf(fp, "%s%d", i ? "," : "", b);
	}
	/* the folders of each group's members, as offsets into fi (ids into folders) */
	fputs("],\"fi\":[", fp);
	{
		size_t out = 0;
		long *seen = NULL;
		size_t seencap = 0;

		for (size_t i = 0; i < x->ng && rc == 0; i++) {
			size_t ns = 0;

			if (x->g[i].n > seencap) {
				long *t = realloc(seen, x->g[i].n * sizeof *t);

				if (t == NULL) {
					rc = AD_ENOMEM;
					break;
				}
				seen = t;
				seencap = x->g[i].n;
			}
			for (size_t k = 0; k < x->g[i].n; k++) {
				long id = folder_id(&f, x->g[i].m[k].name ? x->g[i].m[k].name : "");
				size_t q;

				if (id < 0) {
					rc = AD_ENOMEM;
					break;
				}
				for (q = 0; q < ns && seen[q] != id; q++)
					;
				if (q == ns) {
					seen[ns++] = id;
					fprintf(fp, "%s%ld", out++ ? "," : "", id);
				}
			}
			fprintf(fp, "%s-1", out++ ? "," : "");      /* the end of a group's list */
		}
		free(seen);
	}
	fputs("],\"folders\":[", fp);
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		if (i)
			fputc(',', fp);
		put_str(fp, f.name[i]);
	}
	fputs("]});\n", fp);
	for (size_t i = 0; i < f.n; i++)
		free(f.name[i]);
	free(f.name);
	free(f.slot);
	return rc;
}

static void esc(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

/* The report's key for the page's saved decisions: a hash of every member's checksum and
 * name in group order, so a new report of other images starts with none. */
static uint64_t report_key(const struct html_group *g, size_t ng)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; k < g[i].n; k++) {
			const char *s = g[i].m[k].sha256 ? g[i].m[k].sha256 : "-";
			const char *n = g[i].m[k].name ? g[i].m[k].name : "";

			h = fnv(s, strlen(s) + 1, h);
			h = fnv(n, strlen(n) + 1, h);
		}
	return h;
}

static int write_page(FILE *fp, const html_page *p, const struct html_group *g, size_t ng,
    const char *summary)
{
	size_t images = 0;
	char key[17];
	json_t *meta;
	int rc;

	for (size_t i = 0; i < ng; i++)
		images += g[i].n;
	snprintf(key, sizeof key, "%016llx", (unsigned long long)report_key(g, ng));
	meta = json_pack("{s:s,s:I,s:I,s:i,s:I,s:s,s:s}", "dir", p->base, "groups",
	    (json_int_t)ng, "images", (json_int_t)images, "chunk", HTML_CHUNK, "chunks",
	    (json_int_t)((ng + HTML_CHUNK - 1) / HTML_CHUNK), "key", key, "summary",
	    summary ? summary : "");
	if (meta == NULL)       /* the folder's name is not UTF-8 */
		meta = json_pack("{s:s,s:I,s:I,s:i,s:I,s:s,s:s}", "dir", "", "groups",
		    (json_int_t)ng, "images", (json_int_t)images, "chunk", HTML_CHUNK, "chunks",
		    (json_int_t)((ng + HTML_CHUNK - 1) / HTML_CHUNK), "key", key, "summary",
		    summary ? summary : "");
	if (meta == NULL)
		return AD_ENOMEM;
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "script-src 'self' 'unsafe-inline' file:; style-src 'unsafe-inline'; "
	    "img-src 'self' file: http: https: blob:; connect-src 'none'\">\n"
	    "<title>azdedup: review duplicate groups</title>\n<style>\n", fp);
	fputs(review_css, fp);
	fputs("</style></head>\n<body>\n<header><h1>Duplicate groups</h1>\n<p class=\"summary\">",
	    fp);
	esc(fp, summary);
	fputs("</p></header>\n<noscript>The review page needs JavaScript.</noscript>\n"
	    "<script type=\"application/json\" id=\"azd-meta\">", fp);
	rc = put_json(fp, meta);
	json_decref(meta);
	fputs("</script>\n<script>\n", fp);
	fputs(review_js, fp);
	fputs("</script>\n</body></html>\n", fp);
	return rc < 0 ? AD_ENOMEM : 0;
}

int html_commit(html_page *p, struct html_group *g, size_t ng, const char *summary,
    aderr *err)
{
	struct afile af;
	char name[4096], *old = NULL;
	struct stat st;
	int rc = 0;

	if (ng > 1)
		qsort(g, ng, sizeof *g, cmp_group);
	snprintf(name, sizeof name, "%s/g", p->tmp);
	if (mkdir(name, 0777) < 0)
		rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s/g", p->tmp);
	for (size_t c = 0; rc == 0 && c * HTML_CHUNK < ng; c++) {
		struct chunk ch = { g, c * HTML_CHUNK, ng - c * HTML_CHUNK };

		if (ch.n > HTML_CHUNK)
			ch.n = HTML_CHUNK;
		snprintf(name, sizeof name, "g/%06zu.js", c);
		rc = put_text(p->tmp, name, build_chunk, &ch, err);
	}
	rc = shown(p, rc, err);
	if (rc == 0) {
		struct index x = { g, ng };

		rc = shown(p, put_text(p->tmp, "index.js", build_index, &x, err), err);
	}
	if (rc == 0 && afile_open(&af, p->path, err) < 0)
		rc = err->code;
	if (rc == 0) {
		errno = 0;
		rc = write_page(af.fp, p, g, ng, summary);
		if (rc < 0 || ferror(af.fp)) {
			int e = errno ? errno : EIO;

			afile_abort(&af);
			rc = rc == AD_ENOMEM ? aderr_set(err, rc, "out of memory") :
			    aderr_errno(err, aderr_from_errno(e), e, "%s", p->path);
		}
	}
	/* the folder into place: an earlier page's folder (it has the marker) is replaced */
	if (rc == 0 && lstat(p->dir, &st) == 0) {
		char mk[4096];

		snprintf(mk, sizeof mk, "%s/" MARKER, p->dir);
		if (!S_ISDIR(st.st_mode) || access(mk, F_OK) != 0)
			rc = aderr_set(err, AD_EEXIST, "%s: exists and is not a review folder of "
			    "dedupe --html: not replaced", p->dir);
		else if ((old = tmp_name_for(p->dir)) == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		else if (rename(p->dir, old) < 0)
			rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s", p->dir);
		if (rc < 0)
			afile_abort(&af);
	}
	if (rc == 0 && rename(p->tmp, p->dir) < 0) {
		rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s", p->dir);
		afile_abort(&af);
		if (old != NULL)
			rename(old, p->dir);
	}
	if (rc == 0) {
		free(p->tmp);
		p->tmp = NULL;
		rc = afile_commit(&af, err);
	}
	if (old != NULL) {
		remove_tree(old);
		free(old);
	}
	html_abort(p);
	return rc;
}
