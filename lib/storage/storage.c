/* storage.c — opening a storage from its URL and dispatching to the backend. */
#include "storage.h"
#include "stor_int.h"
#include "azure.h"
#include "stor_across.h"
#include "storage_local.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

stor *stor_open(const char *url, int flags, aderr *err)
{
	stor *s;
	int rc;

	if (url == NULL || *url == '\0') {
		aderr_set(err, AD_EUSAGE, "empty storage location");
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	if (strncasecmp(url, "file://", 7) == 0) {
		rc = stor_local_open(s, url + 7, flags, err);
	} else if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0 ||
	    strncasecmp(url, "az://", 5) == 0) {
		rc = stor_azure_open(s, url, flags, err);
	} else if (strstr(url, "://") != NULL) {
		rc = aderr_set(err, AD_EUSAGE, "%s: unknown URL scheme", url);
	} else {
		rc = stor_local_open(s, url, flags, err);
	}
	if (rc < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void stor_close(stor *s)
{
	if (s == NULL)
		return;
	if (s->ops && s->ops->close)
		s->ops->close(s);
	free(s->root);
	free(s->display);
	free(s);
}

const char *stor_kind(const stor *s)
{
	return s->ops->kind;
}

const char *stor_display(const stor *s)
{
	return s->display ? s->display : s->root;
}

const char *stor_root(const stor *s)
{
	return s->root;
}

int stor_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err)
{
	return s->ops->list(s, prefix ? prefix : "", cb, ud, err);
}

int stor_stat(stor *s, const char *name, struct stor_entry *e, aderr *err)
{
	if (!stor_name_ok(name, err))
		return err ? err->code : AD_EUSAGE;
	return s->ops->stat(s, name, e, err);
}

int stor_get(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err)
{
	if (!stor_name_ok(name, err))
		return err ? err->code : AD_EUSAGE;
	return s->ops->get(s, name, local, flags, known, err);
}

int stor_read(stor *s, const char *name, const struct stor_entry *known, void *buf,
    aderr *err)
{
	if (!stor_name_ok(name, err))
		return err ? err->code : AD_EUSAGE;
	if (s->ops->read == NULL)
		return aderr_set(err, AD_EUNSUP, "a %s storage is read as files, not into memory",
		    s->ops->kind);
	if (known == NULL || known->size < 0 || known->etag[0] == '\0')
		return aderr_set(err, AD_EUSAGE, "reading into memory needs the size and etag "
		    "a listing gives");
	return s->ops->read(s, name, known, buf, err);
}

int stor_put(stor *s, const char *name, const char *local, int flags, aderr *err)
{
	if (!stor_name_ok(name, err))
		return err ? err->code : AD_EUSAGE;
	return s->ops->put(s, name, local, flags, err);
}

int stor_copy(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err)
{
	if (!stor_name_ok(dstname, err) || !stor_name_ok(srcname, err))
		return err ? err->code : AD_EUSAGE;
	if (dst->ops != src->ops)
		return stor_copy_across(dst, dstname, src, srcname, flags, err);
	return dst->ops->copy(dst, dstname, src, srcname, flags, err);
}

int stor_delete(stor *s, const char *name, aderr *err)
{
	if (!stor_name_ok(name, err))
		return err ? err->code : AD_EUSAGE;
	return s->ops->del(s, name, err);
}

int stor_link(stor *dst, const char *dstname, stor *src, const char *srcname, int sym,
    int flags, aderr *err)
{
	if (!stor_name_ok(dstname, err) || !stor_name_ok(srcname, err))
		return err ? err->code : AD_EUSAGE;
	if (dst->ops != &stor_local_ops || src->ops != &stor_local_ops)
		return aderr_set(err, AD_EUSAGE, "links are made only between local folders "
		    "(%s to %s)", stor_display(src), stor_display(dst));
	return stor_local_link(dst, dstname, src, srcname, sym, flags, err);
}

/* A root in a comparable form: for a URL the scheme and host in lower case, %-escapes of
 * the path decoded; no trailing '/' (but a lone "/" stays).  NULL when out of memory. */
static char *root_key(const char *root, int url)
{
	char *k = strdup(root), *p, *o;
	size_t n;

	if (k == NULL)
		return NULL;
	if (url && (p = strstr(k, "://")) != NULL) {
		char *path = strchr(p + 3, '/');

		for (o = k; o < (path ? path : k + strlen(k)); o++)
			*o = (char)tolower((unsigned char)*o);
		for (p = o = path ? path : k + strlen(k); *p; p++) {
			if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
				char hex[3] = { p[1], p[2], '\0' };

				*o++ = (char)strtol(hex, NULL, 16);
				p += 2;
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
	}
	n = strlen(k);
	while (n > 1 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

int stor_within(const stor *inner, const stor *outer)
{
	int url = strcmp(stor_kind(inner), "local") != 0;
	char *a, *b;
	size_t n;
	int in;

	if (strcmp(stor_kind(inner), stor_kind(outer)) != 0)
		return 0;
	a = root_key(inner->root, url);
	b = root_key(outer->root, url);
	/* out of memory: say "inside", the caller refuses rather than risk a loop */
	in = a == NULL || b == NULL;
	if (!in) {
		n = strlen(b);
		in = strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
	}
	free(a);
	free(b);
	return in;
}

int stor_name_ok(const char *name, aderr *err)
{
	const char *p = name, *seg;

	if (name == NULL || *name == '\0') {
		aderr_set(err, AD_EUSAGE, "empty name");
		return 0;
	}
	if (*name == '/') {
		aderr_set(err, AD_EUSAGE, "unsafe name (absolute path)");
		return 0;
	}
	for (seg = p; ; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) {
				aderr_set(err, AD_EUSAGE, "unsafe name (empty, '.' or '..' component)");
				return 0;
			}
			if (*p == '\0')
				break;
			seg = p + 1;
		}
	}
	return 1;
}

int stor_is_image_name(const char *name)
{
	static const char *const ext[] = {
		"jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "tif", "tiff",
		"heic", "heif", "avif"
	};
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');

	if (dot == NULL || (slash && dot < slash))
		return 0;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (strcasecmp(dot + 1, ext[i]) == 0)
			return 1;
	return 0;
}

struct stor_pool {
	char *url;
	stor *s;
	struct stor_pool *next;   /* the head node is a sentinel with url NULL */
};

stor_pool *stor_pool_new(void)
{
	return calloc(1, sizeof(struct stor_pool));
}

stor *stor_pool_get(stor_pool *p, const char *url, int flags, aderr *err)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct stor_pool *n;
	stor *s = NULL;

	/* worker threads share the pool: one opens a storage, the others wait for it */
	pthread_mutex_lock(&mu);
	for (n = p->next; n; n = n->next)
		if (strcmp(n->url, url) == 0) {
			s = n->s;
			goto out;
		}
	n = calloc(1, sizeof *n);
	if (n == NULL || (n->url = strdup(url)) == NULL) {
		free(n);
		aderr_set(err, AD_ENOMEM, "out of memory");
		goto out;
	}
	n->s = stor_open(url, flags, err);
	if (n->s == NULL) {
		free(n->url);
		free(n);
		goto out;
	}
	n->next = p->next;
	p->next = n;
	s = n->s;
out:
	pthread_mutex_unlock(&mu);
	return s;
}

void stor_pool_free(stor_pool *p)
{
	while (p) {
		struct stor_pool *next = p->next;

		stor_close(p->s);
		free(p->url);
		free(p);
		p = next;
	}
}
