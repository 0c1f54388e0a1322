/* az_request.c — one request to the Blob service: its URL, its SharedKey signature (or
 * SAS, or bearer token), and the retries around it.  Every request of the backend goes
 * through az_call, which signs each attempt afresh, retries what may heal (no answer,
 * 408, 429, 5xx, a body damaged on the way) and reads a renewed token file once when the
 * token is refused.  Nothing secret goes into a message: errors name the blob or the
 * container and the service's error code, never the URL's query. */
#include "az_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define AZ_VERSION "2021-08-06"

/* The bytes were damaged on the way, and sending them again may heal it (Azurite says
 * InvalidOperation). */
int az_md5_refused(const struct http_resp *r)
{
	const char *code = http_header(r, "x-ms-error-code");

	return r->status == 400 && code != NULL && (strcmp(code, "Md5Mismatch") == 0 ||
	    (strcmp(code, "InvalidOperation") == 0 && r->body && strstr(r->body, "MD5") != NULL));
}


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

int az_fail(const struct call *c, const struct http_resp *r, int rc, const aderr *neterr,
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

int az_call(struct az *a, struct call *c, struct http_resp *r, aderr *err)
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

		time_format_http((long long)time(NULL), date, sizeof date);
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
		if (!(http_retryable(rc, r) || (rc == 0 && az_md5_refused(r))) ||
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
