/* az_int.h — what the Azure backend's modules share, and nothing outside this folder
 * includes: the open container (struct az), one request to the service (struct call)
 * and the calls the modules make of each other.
 *
 * Ownership: a struct az belongs to its storage (impl), freed when the storage closes; a
 * call's strings are the caller's, borrowed for the length of az_call. */
#ifndef AZD_AZ_INT_H
#define AZD_AZ_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>
#include "azauth.h"
#include "http.h"
#include "stor_int.h"

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

/* ---- small helpers (az_util.c) ---- */

/* Copies an ETag without its quotes into dst[n]; "" for NULL. */
void az_set_etag(char *dst, size_t n, const char *v);
/* Decodes %-escapes in place: 0, or -1 on a malformed one. */
int az_pct_decode(char *s);
/* RFC 3339 UTC ("2019-06-01T10:00:00.123456789Z", the form rclone keeps in the blob's
 * "mtime" metadata): seconds since the epoch, or -1. */
long long az_parse_rfc3339(const char *s, long *nsec);
/* The same form, with nine digits of nanoseconds. */
/* MD5 of the bytes off..end of a file, base64 (the form of Content-MD5). */
int az_md5_range(int fd, off_t off, off_t end, char out[32], aderr *err);

/* ---- requests (az_request.c) ---- */

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

/* Performs the call, retrying what may heal.  0 with *r filled for any final response
 * (the caller judges the status), negative when no response came after the retries. */
int az_call(struct az *a, struct call *c, struct http_resp *r, aderr *err);
/* A one-line reason for a response that failed, with the service's error code. */
int az_fail(const struct call *c, const struct http_resp *r, int rc, const aderr *neterr,
    int attempts, aderr *err);
/* The service refused a body whose Content-MD5 did not match. */
int az_md5_refused(const struct http_resp *r);

/* ---- single blobs (az_blob.c) ---- */

/* The blob's full name: the storage's prefix and name (malloc'd), NULL out of memory. */
char *az_blob_name(const struct az *a, const char *name);
/* 1 and e filled when the blob exists, 0 when not, negative on error; keep (may be NULL)
 * gets the response when it exists, for its other headers. */
int az_head_blob(struct az *a, const char *blob, const char *what, struct stor_entry *e,
    struct http_resp *keep, aderr *err);
/* What the destination holds: STOR_SAME when it has the same size and MD5, 0 when it may
 * be written (absent, or overwrite allowed: *ifmatch then holds its ETag), or an error. */
int az_check_dest(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int flags, char *ifmatch, size_t n, aderr *err);
/* A conditional write refused with AD_EEXIST: 0 when the destination now holds exactly
 * the content being written, else rc. */
int az_settled(struct az *a, const char *blob, const char *name, long long size,
    const char *md5, int rc);

/* ---- the storage operations (az_listing.c, az_blob.c, az_get.c, az_put.c, az_copy.c) */

stor_list_fn az_list;
stor_stat_fn az_stat;
stor_get_fn az_get;
stor_read_fn az_read;
stor_put_fn az_put;
stor_copy_fn az_copy;
stor_delete_fn az_delete;

#endif
