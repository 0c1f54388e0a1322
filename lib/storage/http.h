/* http.h — one HTTP exchange over libcurl, and the retry policy around it.
 *
 * Easy handles are pooled and share one connection cache, so the worker threads of a
 * tool reuse connections; any number of threads may call http_once at the same time.
 * This layer knows nothing of Azure: the caller builds the request (and signs it again
 * for each attempt), http_once performs it once, http_retryable says whether a failure
 * may heal, and http_backoff sleeps for the next attempt (exponential with full jitter,
 * never less than a Retry-After).  Options and counters are process-wide. */
#ifndef AZD_HTTP_H
#define AZD_HTTP_H

#include <stddef.h>
#include <sys/types.h>
#include "err.h"

struct http_opts {
	int retries;            /* attempts after the first (default 8) */
	double rate;            /* requests per second over all threads; 0: no cap */
	double stall;           /* seconds under HTTP_LOW_SPEED before a transfer is dropped (30) */
	double connect_timeout; /* seconds (15) */
	const char *ca_bundle;  /* CA file for TLS verification; NULL: the system's */
};

/* Bytes per second below which a transfer counts as stalled (over opts.stall seconds). */
#define HTTP_LOW_SPEED 1024

/* Sets the options; fields left 0/NULL keep their defaults, and the environment
 * (AZDEDUP_RETRIES, AZDEDUP_RATE, AZDEDUP_STALL, AZDEDUP_CA_BUNDLE) fills those too. */
void http_configure(const struct http_opts *o);
const struct http_opts *http_options(void);

/* Counters over the whole process, for the tools' summaries. */
struct http_counts {
	long requests, retries;
	long long bytes_in, bytes_out;
};
void http_counts(struct http_counts *c);
void http_count_retry(void);

struct http_hdr {
	char *name, *value;     /* name lower-case */
};

struct http_req {
	const char *method;     /* GET HEAD PUT DELETE */
	const char *url;
	char **headers;         /* "Name: value" strings, NULL-terminated */
	/* request body: from memory, or from a file range, or none */
	const void *body;
	int body_fd;            /* used when body is NULL and body_len > 0 */
	off_t body_off;
	size_t body_len;
	/* response body: to sink when set (2xx only), else kept in memory up to max_body */
	int (*sink)(void *ud, const void *p, size_t n);
	void *sink_ud;
	size_t max_body;        /* 0: 1 MiB */
};

struct http_resp {
	long status;            /* 0 when no response came */
	int curl_code;          /* CURLE_* of the transfer */
	char curl_msg[256];
	struct http_hdr *hdrs;
	size_t nhdrs;
	char *body;             /* NUL-terminated; the error body when a sink was set */
	size_t body_len;
	int sink_failed;        /* the sink refused data (its own error) */
};

/* Performs req once.  Returns 0 when a response was received (any status), a negative
 * code when none was (connection refused, reset, timeout, truncated body: resp->curl_*
 * say which) or on local failures.  resp must be released with http_resp_free. */
int http_once(const struct http_req *req, struct http_resp *resp, aderr *err);
void http_resp_free(struct http_resp *resp);
/* The last value of a response header (name lower-case), or NULL. */
const char *http_header(const struct http_resp *resp, const char *name);

/* 1 when the outcome may heal on a retry: no response (except TLS and DNS failures, which
 * will not), 408, 429, 500, 502, 503, 504. */
int http_retryable(int rc, const struct http_resp *resp);
/* Sleeps before retry number attempt (1-based): full jitter over an exponential window,
 * at least the response's Retry-After (seconds or an HTTP date).  Counts the retry. */
void http_backoff(int attempt, const struct http_resp *resp);
/* Waits for a slot under the request-rate cap. */
void http_pace(void);

/* The network options every transferring tool takes, as getopt_long entries with these
 * codes: --retries N, --rate N, --timeout S, --ca-bundle FILE. */
enum { HTTP_OPT_RETRIES = 0x1001, HTTP_OPT_RATE, HTTP_OPT_TIMEOUT, HTTP_OPT_CA };
#define HTTP_LONG_OPTS \
	{ "retries", required_argument, NULL, HTTP_OPT_RETRIES }, \
	{ "rate", required_argument, NULL, HTTP_OPT_RATE }, \
	{ "timeout", required_argument, NULL, HTTP_OPT_TIMEOUT }, \
	{ "ca-bundle", required_argument, NULL, HTTP_OPT_CA }
#define HTTP_OPTS_HELP \
	"      --retries N    retry a failed request up to N times (default 8)\n" \
	"      --rate N       at most N requests per second in all\n" \
	"      --timeout S    drop a transfer that moves under 1 KiB/s for S seconds\n" \
	"                     (default 30)\n" \
	"      --ca-bundle F  verify TLS servers against the CA certificates in F\n"
/* Handles one of those options: 1 when it was one, 0 when not, -1 (err filled) when its
 * value is bad. */
int http_parse_opt(int code, const char *arg, aderr *err);
/* ", N retries" when there were any, for summaries. */
const char *http_retry_note(void);
/* ", N.N MB received" when any response body bytes came, for summaries. */
const char *http_received_note(void);

/* Frees the pooled handles; registered with atexit when the pool is first set up. */
void http_cleanup(void);

/* Percent-encodes s for a URL path (keep '/') or a query value (keep nothing else). */
char *http_escape(const char *s, int keep_slash);
/* RFC 7231 date to seconds since the epoch; -1 when malformed. */
long long http_parse_date(const char *s);
/* A copy of url that is safe to print: the query string replaced by "?..." when it holds
 * a signature or token, and user:password removed. */
char *http_redact(const char *url);

#endif
