/* az_blob.c — one blob's properties: its full name under the storage's prefix, what a
 * HEAD says of it (stat), whether a destination blob may be written, and removing it
 * (Delete Blob, signed and retried like every request). */
#include "az_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *az_blob_name(const struct az *a, const char *name)
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
	if ((v = http_header(r, "x-ms-meta-mtime")) != NULL && (e->mtime = az_parse_rfc3339(v, &e->mtime_nsec)) >= 0)
		;    /* the original's time, kept by the uploader */
	else if ((v = http_header(r, "last-modified")) != NULL)
		e->mtime = http_parse_date(v);
	az_set_etag(e->etag, sizeof e->etag, http_header(r, "etag"));
	if ((v = http_header(r, "content-md5")) != NULL)
		snprintf(e->content_md5, sizeof e->content_md5, "%s", v);
	if ((v = http_header(r, "content-type")) != NULL)
		snprintf(e->content_type, sizeof e->content_type, "%s", v);
}

int az_head_blob(struct az *a, const char *blob, const char *what, struct stor_entry *e,
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

int az_stat(stor *s, const char *name, struct stor_entry *e, aderr *err)
{
	struct az *a = s->impl;
	char *b = az_blob_name(a, name);
	int rc;

	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = az_head_blob(a, b, name, e, NULL, err);
	free(b);
	if (rc == 0)
		return aderr_set(err, AD_ENOENT, "not found");
	return rc < 0 ? rc : 0;
}

int az_check_dest(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int flags, char *ifmatch, size_t n, aderr *err)
{
	struct stor_entry e;
	int rc = az_head_blob(a, blob, name, &e, NULL, err);

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
int az_settled(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int rc)
{
	char ifm[80];
	aderr e2 = {0};

	if (rc != AD_EEXIST || md5 == NULL || *md5 == '\0')
		return rc;
	if (az_check_dest(a, blob, name, size, md5, 0, ifm, sizeof ifm, &e2) == STOR_SAME)
		return 0;
	return rc;
}

int az_delete(stor *s, const char *name, aderr *err)
{
	struct az *a = s->impl;
	char *b = az_blob_name(a, name);
	struct call c = { .method = "DELETE", .container = a->container, .what = name };
	struct http_resp r;
	int rc;

	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	c.blob = b;
	rc = az_call(a, &c, &r, err);
	if (rc == 0) {
		const char *code = http_header(&r, "x-ms-error-code");

		/* gone already: a retry after a lost answer, or another remover */
		if (r.status == 404 && code != NULL && strcmp(code, "BlobNotFound") == 0)
			rc = aderr_set(err, AD_ENOENT, "not found");
		else if (r.status != 202)
			rc = az_fail(&c, &r, 0, NULL, 1, err);
		http_resp_free(&r);
	}
	free(b);
	return rc;
}
