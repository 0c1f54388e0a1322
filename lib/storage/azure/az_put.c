/* az_put.c — uploading a local file as a blob: one Put Blob up to PUT_MAX, above it Put
 * Block for each PUT_MAX of the file and a Put Block List that makes them the blob.  Each
 * body goes with its MD5 (a damaged one is sent again), the write is conditional on what
 * the destination held when it was looked at, and the file's time goes along as the
 * blob's "mtime" metadata. */
#include "az_int.h"
#include "azure.h"
#include "codec.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUT_MAX (4u << 20)        /* larger files go up in blocks of this size */

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

static int put_done(const struct call *c, struct http_resp *r, aderr *err)
{
	int rc = 0;

	if (r->status == 412 || r->status == 409)
		rc = aderr_set(err, AD_EEXIST, "the destination changed while copying "
		    "(another writer?)");
	else if (az_md5_refused(r))
		rc = aderr_set(err, AD_ENET, "the service refused the data for its MD5 every "
		    "time (damaged on the way, after %d attempts)", http_options()->retries + 1);
	else if (r->status != 201)
		rc = az_fail(c, r, 0, NULL, 1, err);
	http_resp_free(r);
	return rc;
}

int az_put(stor *s, const char *name, const char *local, int flags, aderr *err)
{
	struct az *a = s->impl;
	char *b = az_blob_name(a, name), md5[32], ifm[80], mtime[48];
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
	time_format_iso(st.st_mtim.tv_sec, st.st_mtim.tv_nsec, mtime, sizeof mtime);
	rc = az_check_dest(a, b, name, (long long)st.st_size, md5, flags, ifm, sizeof ifm, err);
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
		rc = az_settled(a, b, name, (long long)st.st_size, md5, put_done(&c, &r, err));
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
			b64_encode(raw, strlen(raw), id);
			bc.body_len = k + 1 < nblk ? PUT_MAX : (size_t)st.st_size - k * PUT_MAX;
			bc.query[0] = "blockid", bc.query[1] = id;
			bc.query[2] = "comp", bc.query[3] = "block";
			/* the service checks each block against its MD5: a damaged one is sent again */
			if ((rc = az_md5_range(fd, bc.body_off, bc.body_off + (off_t)bc.body_len, bmd5,
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
			rc = az_settled(a, b, name, (long long)st.st_size, md5, put_done(&c, &r, err));
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
