/* az_copy.c — copying a blob to another blob: server-side where the destination's
 * service may read the source (the same account, a public source, or a SAS that may
 * travel), else down through a local temporary and up again. */
#include "az_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
		rc = az_head_blob(a, blob, name, &e, &r, err);
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

/* Both storages are Azure containers: the dispatcher sends a copy between backends to
 * stor_across.c. */
int az_copy(stor *dst, const char *dstname, stor *src, const char *srcname, int flags,
    aderr *err)
{
	struct az *a = dst->impl, *sa = src->impl;
	struct stor_entry se;
	char *b = az_blob_name(a, dstname), *sb = az_blob_name(sa, srcname), *tmp = NULL;
	char ifm[80];
	int rc;

	if (b == NULL || sb == NULL) {
		free(sb);
		free(b);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	rc = az_head_blob(sa, sb, srcname, &se, NULL, err);
	if (rc == 0)
		rc = aderr_set(err, AD_ENOENT, "not found in the source");
	if (rc > 0)
		rc = az_check_dest(a, b, dstname, se.size, se.content_md5, flags, ifm, sizeof ifm, err);
	if (rc == 0 && (same_account(a, sa) || sa->auth == AUTH_NONE ||
	    (sa->auth == AUTH_SAS && sas_may_travel(a)))) {
		rc = server_copy(a, b, dstname, sa, sb, ifm, err);
		if (rc == AD_EEXIST)
			rc = az_settled(a, b, dstname, se.size, se.content_md5, rc) == 0 ? STOR_DONE : rc;
	} else if (rc == 0) {
		/* another account signed with its own key: through a local temporary */
		int fd;

		tmp = strdup("/tmp/azdedup-copy.XXXXXX");
		fd = tmp ? mkstemp(tmp) : -1;
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
	free(tmp);
	free(sb);
	free(b);
	return rc;
}
