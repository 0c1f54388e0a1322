/* az_get.c — downloading a blob to a local file, atomically and resumably: the bytes go
 * to a partial file that a retry or a later run resumes from while the blob's ETag still
 * matches, and the file takes its name only once its size and MD5 are right. */
#include "az_int.h"
#include "afile.h"
#include "codec.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RESUME_MIN (1 << 20)                /* smaller downloads start over rather than resume */
#define ETAG_XATTR "user.azdedup.etag"      /* the blob version a partial file holds */

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
int az_get(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err)
{
	struct az *a = s->impl;
	struct stor_entry info;
	char *b = az_blob_name(a, name), *part = NULL, *tagf = NULL, tag[80], md5[32];
	struct stat st;
	struct dl d = { -1, 0, NULL, 0 };
	int rc = 0, attempt, resumable = 0, sidecar = 0, refetch = 0;
	aderr neterr = {0};

	(void)flags;
	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (known == NULL || known->etag[0] == '\0' || known->size < 0) {
		rc = az_head_blob(a, b, name, &info, NULL, err);
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
		b64_encode(dg, dl, md5);
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

/* az_read: the blob's bytes into the caller's buffer of known->size bytes */
struct mem {
	unsigned char *buf;
	size_t pos, cap;
};

static int mem_sink(void *ud, const void *p, size_t n)
{
	struct mem *m = ud;

	/* more than the listing's size of an unchanged version: never, but refuse it */
	if (n > m->cap - m->pos)
		return -1;
	memcpy(m->buf + m->pos, p, n);
	m->pos += n;
	return 0;
}

/* The same conditional GET as az_get (If-Match the listed ETag, a range for the rest
 * after a transient failure, the whole blob again after a wrong MD5), into memory. */
int az_read(stor *s, const char *name, const struct stor_entry *known, void *buf, aderr *err)
{
	struct az *a = s->impl;
	char *b = az_blob_name(a, name), md5[32];
	struct mem m = { buf, 0, (size_t)known->size };
	int rc = 0, attempt, refetch = 0;
	aderr neterr = {0};

	if (b == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
fetch:
	for (attempt = 1; m.pos < m.cap; attempt++) {
		char range[64], ifm[80];
		struct call c = { .method = "GET", .container = a->container, .blob = b, .what = name,
		    .sink = mem_sink, .sink_ud = &m, .no_retry = 1 };
		struct http_resp r;
		size_t from = m.pos;
		int hi = 0;

		snprintf(range, sizeof range, "bytes=%zu-", m.pos);
		snprintf(ifm, sizeof ifm, "\"%s\"", known->etag);
		c.hdr[hi++] = (struct hv){ "If-Match", ifm };
		if (m.pos > 0)
			c.hdr[hi++] = (struct hv){ "x-ms-range", range };
		rc = az_call(a, &c, &r, &neterr);
		if (rc == 0 && (r.status == 200 || r.status == 206)) {
			if (r.status == 200 && from > 0) {
				http_resp_free(&r);
				rc = aderr_set(err, AD_EIO, "the server ignored the range request");
				goto out;
			}
			http_resp_free(&r);
			if (m.pos == m.cap)
				break;
			rc = aderr_set(&neterr, AD_ENET, "%zu of %zu bytes arrived", m.pos, m.cap);
			r.curl_code = CURLE_PARTIAL_FILE;
		}
		if (rc == 0 && r.status == 412) {
			http_resp_free(&r);
			rc = aderr_set(err, AD_EEXIST, "changed since it was listed (list it again)");
			goto out;
		}
		if (r.sink_failed) {
			/* more bytes than the listing's size: not the version that was listed */
			http_resp_free(&r);
			rc = aderr_set(err, AD_EEXIST, "more than the listed %zu bytes: changed since "
			    "it was listed (list it again)", m.cap);
			goto out;
		}
		if (!http_retryable(rc, &r) || attempt > http_options()->retries) {
			if (rc < 0)
				rc = aderr_set(err, neterr.code, "%s (after %d attempts)", neterr.msg, attempt);
			else
				rc = az_fail(&c, &r, 0, NULL, attempt, err);
			http_resp_free(&r);
			goto out;
		}
		http_backoff(attempt, rc == 0 ? &r : NULL);
		http_resp_free(&r);
		rc = 0;
	}
	if (m.pos != m.cap) {
		rc = aderr_set(err, AD_ETRUNC, "size %zu, expected %zu", m.pos, m.cap);
		goto out;
	}
	if (known->content_md5[0]) {
		unsigned char dg[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;

		if (!EVP_Digest(m.buf, m.cap, dg, &dl, EVP_md5(), NULL)) {
			rc = aderr_set(err, AD_EINTERNAL, "MD5 is not available");
			goto out;
		}
		b64_encode(dg, dl, md5);
		if (strcmp(md5, known->content_md5) != 0) {
			/* damaged on the way: fetch the whole blob again */
			if (refetch++ < http_options()->retries) {
				http_count_retry();
				m.pos = 0;
				goto fetch;
			}
			rc = aderr_set(err, AD_EFORMAT, "MD5 %s, the service says %s", md5,
			    known->content_md5);
			goto out;
		}
	}
	rc = 0;
out:
	free(b);
	return rc;
}
