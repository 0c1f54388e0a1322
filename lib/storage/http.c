/* http.c — pooled libcurl handles with a shared connection cache, one exchange at a
 * time per handle, and the retry timing. */
#include "http.h"

#include <ctype.h>
/* the calls below go through pointers (lc): gcc's type-checking macros of
 * curl_easy_setopt would not apply to them */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "timefmt.h"

static struct http_opts opts = { 8, 0, 30, 15, NULL };
static char *ca_copy;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
static CURLSH *share;
static CURL **pool;
static size_t npool, cap_pool;
static int init_failed;

/* libcurl is opened on the first request (dlopen), not linked: it and what it links
 * (GnuTLS, Kerberos, LDAP, SSH, ...) cost every start of a tool about 9 ms of CPU, and
 * most starts (featx, featstore, dedupe on a local folder, --spec, --version) never
 * make one.  Its functions, looked up by name with the header's types; below this the
 * file calls them by their own names (the defines after curl_load). */
#define CURL_FUNCS(X) \
	X(curl_global_init) X(curl_global_cleanup) X(curl_share_init) X(curl_share_setopt) \
	X(curl_share_cleanup) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) \
	X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror) \
	X(curl_slist_append) X(curl_slist_free_all)
#define CURL_FIELD(f) __typeof__(&f) f;
static struct {
	CURL_FUNCS(CURL_FIELD)
} lc;
static char curl_why[200];      /* why libcurl could not be opened */

/* Opens libcurl (soname libcurl.so.4 since curl 7.16; Debian's GnuTLS build of the same
 * interface as libcurl-gnutls.so.4), for good, and looks its functions up: 0, or -1
 * with the reason in curl_why. */
static int curl_load(void)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };
	const char *name = names[0], *why;
	void *h = NULL;

	for (size_t i = 0; h == NULL && i < sizeof names / sizeof names[0]; i++) {
		if ((h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL)) != NULL)
			name = names[i];
		else if (i == 0) {      /* the first one's reason is the one to give */
			why = dlerror();
			snprintf(curl_why, sizeof curl_why, "%s", why != NULL ? why : name);
		}
	}
	if (h == NULL)
		return -1;
#define CURL_LOOK(f) \
	if ((*(void **)&lc.f = dlsym(h, #f)) == NULL) { \
		snprintf(curl_why, sizeof curl_why, "%s has no %s", name, #f); \
		dlclose(h); \
		return -1; \
	}
	CURL_FUNCS(CURL_LOOK)
#undef CURL_LOOK
	return 0;
}

/* (curl.h has pass-through macros of its own for these three) */
#undef curl_share_setopt
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*lc.curl_global_init)
#define curl_global_cleanup (*lc.curl_global_cleanup)
#define curl_share_init (*lc.curl_share_init)
#define curl_share_setopt (*lc.curl_share_setopt)
#define curl_share_cleanup (*lc.curl_share_cleanup)
#define curl_easy_init (*lc.curl_easy_init)
#define curl_easy_cleanup (*lc.curl_easy_cleanup)
#define curl_easy_reset (*lc.curl_easy_reset)
#define curl_easy_setopt (*lc.curl_easy_setopt)
#define curl_easy_perform (*lc.curl_easy_perform)
#define curl_easy_getinfo (*lc.curl_easy_getinfo)
#define curl_easy_strerror (*lc.curl_easy_strerror)
#define curl_slist_append (*lc.curl_slist_append)
#define curl_slist_free_all (*lc.curl_slist_free_all)

static atomic_long n_requests, n_retries;
static atomic_llong n_in, n_out;

static pthread_mutex_t pace_mu = PTHREAD_MUTEX_INITIALIZER;
static double pace_next;

static void env_double(const char *name, double *v)
{
	const char *s = getenv(name);
	char *end;
	double d;

	if (s == NULL || *s == '\0')
		return;
	d = strtod(s, &end);
	if (*end == '\0' && d >= 0)
		*v = d;
}

void http_configure(const struct http_opts *o)
{
	static int env_done;
	const char *ca = NULL;

	/* the environment first, once; options given later win over it */
	if (!env_done) {
		double r = opts.retries;

		env_done = 1;
		env_double("AZDEDUP_RETRIES", &r);
		opts.retries = (int)r;
		env_double("AZDEDUP_RATE", &opts.rate);
		env_double("AZDEDUP_STALL", &opts.stall);
		ca = getenv("AZDEDUP_CA_BUNDLE");
	}
	if (o != NULL) {
		if (o->retries > 0)
			opts.retries = o->retries;
		if (o->retries < 0)           /* -1: explicitly none */
			opts.retries = 0;
		if (o->rate > 0)
			opts.rate = o->rate;
		if (o->stall > 0)
			opts.stall = o->stall;
		if (o->connect_timeout > 0)
			opts.connect_timeout = o->connect_timeout;
		if (o->ca_bundle != NULL)
			ca = o->ca_bundle;
	}
	if (ca != NULL && *ca != '\0') {
		free(ca_copy);
		ca_copy = strdup(ca);
		opts.ca_bundle = ca_copy;
	}
}

const struct http_opts *http_options(void)
{
	return &opts;
}

void http_counts(struct http_counts *c)
{
	c->requests = atomic_load(&n_requests);
	c->retries = atomic_load(&n_retries);
	c->bytes_in = atomic_load(&n_in);
	c->bytes_out = atomic_load(&n_out);
}

void http_count_retry(void)
{
	atomic_fetch_add(&n_retries, 1);
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
	(void)h, (void)a, (void)u;
	pthread_mutex_lock(&share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
	(void)h, (void)u;
	pthread_mutex_unlock(&share_mu[d]);
}

static void init_once(void)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	if (curl_load() < 0) {
		init_failed = 1;
		return;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_why, sizeof curl_why, "curl_global_init failed");
		init_failed = 1;
		return;
	}
	share = curl_share_init();
	if (share == NULL) {
		snprintf(curl_why, sizeof curl_why, "out of memory");
		init_failed = 1;
		return;
	}
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	atexit(http_cleanup);
}

static CURL *take(void)
{
	CURL *h = NULL;

	pthread_once(&once, init_once);
	if (init_failed)
		return NULL;
	pthread_mutex_lock(&pool_mu);
	if (npool > 0)
		h = pool[--npool];
	pthread_mutex_unlock(&pool_mu);
	return h ? h : curl_easy_init();
}

static void give(CURL *h)
{
	pthread_mutex_lock(&pool_mu);
	if (npool == cap_pool) {
		size_t nc = cap_pool ? cap_pool * 2 : 16;
		CURL **np = realloc(pool, nc * sizeof *np);

		if (np == NULL) {
			pthread_mutex_unlock(&pool_mu);
			curl_easy_cleanup(h);
			return;
		}
		pool = np;
		cap_pool = nc;
	}
	pool[npool++] = h;
	pthread_mutex_unlock(&pool_mu);
}

void http_cleanup(void)
{
	pthread_mutex_lock(&pool_mu);
	for (size_t i = 0; i < npool; i++)
		curl_easy_cleanup(pool[i]);
	free(pool);
	pool = NULL;
	npool = cap_pool = 0;
	pthread_mutex_unlock(&pool_mu);
	if (share != NULL) {
		curl_share_cleanup(share);
		share = NULL;
		curl_global_cleanup();
	}
	free(ca_copy);
	ca_copy = NULL;
	opts.ca_bundle = NULL;
}

void http_pace(void)
{
	double t, now;

	if (opts.rate <= 0)
		return;
	pthread_mutex_lock(&pace_mu);
	now = now_seconds();
	t = pace_next > now ? pace_next : now;
	pace_next = t + 1.0 / opts.rate;
	pthread_mutex_unlock(&pace_mu);
	if (t > now) {
		struct timespec ts = { (time_t)(t - now), (long)((t - now - (double)(time_t)(t - now)) * 1e9) };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

struct xfer {
	const struct http_req *req;
	struct http_resp *resp;
	CURL *h;
	size_t cap, sent;
	int to_sink;    /* -1 undecided, 0 memory, 1 sink */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	struct http_resp *r = x->resp;
	size_t len = size * n, k, e;
	struct http_hdr *nh;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the previous headers */
		for (size_t i = 0; i < r->nhdrs; i++) {
			free(r->hdrs[i].name);
			free(r->hdrs[i].value);
		}
		r->nhdrs = 0;
		return len;
	}
	for (k = 0; k < len && p[k] != ':'; k++)
		;
	if (k == len || k == 0)
		return len;
	nh = realloc(r->hdrs, (r->nhdrs + 1) * sizeof *nh);
	if (nh == NULL)
		return 0;
	r->hdrs = nh;
	e = len;
	while (e > k + 1 && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
		e--;
	{
		size_t v = k + 1;

		while (v < e && (p[v] == ' ' || p[v] == '\t'))
			v++;
		nh[r->nhdrs].name = strndup(p, k);
		nh[r->nhdrs].value = strndup(p + v, e - v);
	}
	if (nh[r->nhdrs].name == NULL || nh[r->nhdrs].value == NULL) {
		free(nh[r->nhdrs].name);
		free(nh[r->nhdrs].value);
		return 0;
	}
	for (char *c = nh[r->nhdrs].name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	r->nhdrs++;
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	struct http_resp *r = x->resp;
	size_t len = size * n, max = x->req->max_body ? x->req->max_body : (1u << 20);

	atomic_fetch_add(&n_in, (long long)len);
	if (x->to_sink < 0) {
		long st = 0;

		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
		x->to_sink = x->req->sink != NULL && st >= 200 && st < 300;
	}
	if (x->to_sink) {
		if (x->req->sink(x->req->sink_ud, p, len) < 0) {
			r->sink_failed = 1;
			return 0;
		}
		return len;
	}
	if (r->body_len + len > max)
		len = r->body_len < max ? max - r->body_len : 0;   /* keep the head, drop the rest */
	if (r->body_len + len + 1 > x->cap) {
		size_t nc = x->cap ? x->cap : 4096;
		char *nb;

		while (nc < r->body_len + len + 1)
			nc *= 2;
		nb = realloc(r->body, nc);
		if (nb == NULL)
			return 0;
		r->body = nb;
		x->cap = nc;
	}
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return size * n;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	const struct http_req *q = x->req;
	size_t want = size * n, left = q->body_len - x->sent;

	if (want > left)
		want = left;
	if (want == 0)
		return 0;
	if (q->body != NULL) {
		memcpy(p, (const char *)q->body + x->sent, want);
	} else {
		ssize_t got = pread(q->body_fd, p, want, q->body_off + (off_t)x->sent);

		if (got <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)got;
	}
	x->sent += want;
	atomic_fetch_add(&n_out, (long long)want);
	return want;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct xfer *x = ud;

	if (origin != SEEK_SET || off < 0 || (size_t)off > x->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

int http_once(const struct http_req *req, struct http_resp *resp, aderr *err)
{
	struct xfer x = { req, resp, NULL, 0, 0, -1 };
	struct curl_slist *hl = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	memset(resp, 0, sizeof *resp);
	x.h = take();
	if (x.h == NULL)
		return aderr_set(err, AD_EINTERNAL, "cannot start libcurl: %s",
		    init_failed ? curl_why : "out of memory");
	for (char **h = req->headers; h && *h; h++) {
		struct curl_slist *t = curl_slist_append(hl, *h);

		if (t == NULL) {
			curl_slist_free_all(hl);
			give(x.h);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		hl = t;
	}
	curl_easy_reset(x.h);
	curl_easy_setopt(x.h, CURLOPT_SHARE, share);
	curl_easy_setopt(x.h, CURLOPT_URL, req->url);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (opts.ca_bundle != NULL)
		curl_easy_setopt(x.h, CURLOPT_CAINFO, opts.ca_bundle);
	curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, (long)(opts.connect_timeout * 1000));
	/* a server that trickles a few bytes a second is as stuck as one that sends nothing:
	 * drop a transfer slower than HTTP_LOW_SPEED over the --timeout window, and retry */
	curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, (long)HTTP_LOW_SPEED);
	curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, (long)(opts.stall < 1 ? 1 : opts.stall));
	curl_easy_setopt(x.h, CURLOPT_TCP_KEEPALIVE, 1L);
	/* the shared cache keeps at most this many idle connections: room for every worker */
	curl_easy_setopt(x.h, CURLOPT_MAXCONNECTS, 128L);
	curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 256L * 1024);   /* fewer, larger writes */
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(x.h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(x.h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(x.h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x.h, CURLOPT_READDATA, &x);
		curl_easy_setopt(x.h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(x.h, CURLOPT_SEEKDATA, &x);
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(x.h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	http_pace();
	atomic_fetch_add(&n_requests, 1);
	cc = curl_easy_perform(x.h);
	curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hl);
	give(x.h);
	resp->curl_code = (int)cc;
	if (cc == CURLE_OK)
		return 0;
	snprintf(resp->curl_msg, sizeof resp->curl_msg, "%s",
	    errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (resp->sink_failed)
		return aderr_set(err, AD_EIO, "writing the download failed");
	/* a redirect or the like is not expected; anything else means no whole response */
	if (cc == CURLE_OUT_OF_MEMORY)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	resp->status = resp->status && cc != CURLE_PARTIAL_FILE && cc != CURLE_OPERATION_TIMEDOUT &&
	    cc != CURLE_RECV_ERROR ? resp->status : 0;
	return aderr_set(err, AD_ENET, "%s", resp->curl_msg);
}

void http_resp_free(struct http_resp *resp)
{
	for (size_t i = 0; i < resp->nhdrs; i++) {
		free(resp->hdrs[i].name);
		free(resp->hdrs[i].value);
	}
	free(resp->hdrs);
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

const char *http_header(const struct http_resp *resp, const char *name)
{
	for (size_t i = resp->nhdrs; i > 0; i--)
		if (strcmp(resp->hdrs[i - 1].name, name) == 0)
			return resp->hdrs[i - 1].value;
	return NULL;
}

int http_retryable(int rc, const struct http_resp *resp)
{
	if (rc < 0) {
		switch (resp->curl_code) {
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_OUT_OF_MEMORY:
		case CURLE_OK:
			return 0;
		default:
			return !resp->sink_failed;
		}
	}
	switch (resp->status) {
	case 408: case 429: case 500: case 502: case 503: case 504:
		return 1;
	default:
		return 0;
	}
}

static double jitter(void)
{
	static atomic_ulong seed;
	unsigned long s = atomic_fetch_add(&seed, 0x9e3779b97f4a7c15UL);

	if (s == 0) {
		s = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
		atomic_store(&seed, s);
	}
	s ^= s << 13, s ^= s >> 7, s ^= s << 17;
	return (double)(s >> 11) / (double)(1UL << 53);
}

void http_backoff(int attempt, const struct http_resp *resp)
{
	double window = 0.25, wait;
	const char *ra = resp ? http_header(resp, "retry-after") : NULL;
	struct timespec ts;

	for (int i = 1; i < attempt && window < 30; i++)
		window *= 2;
	if (window > 30)
		window = 30;
	wait = jitter() * window;
	if (ra != NULL) {
		char *end;
		double s = strtod(ra, &end);

		if (end == ra) {
			long long t = http_parse_date(ra);

			s = t >= 0 ? (double)(t - (long long)time(NULL)) : 0;
		}
		if (s > 120)
			s = 120;      /* a server asking for longer gets retried anyway */
		if (s > wait)
			wait = s;
	}
	http_count_retry();
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

char *http_escape(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(3 * n + 1), *q = o;

	if (o == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			*q++ = (char)*p;
		} else {
			*q++ = '%';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	}
	*q = '\0';
	return o;
}

long long http_parse_date(const char *s)
{
	long long t;

	return time_parse_http(s, &t) < 0 ? -1 : t;
}

char *http_redact(const char *url)
{
	const char *q = strchr(url, '?'), *at, *scheme = strstr(url, "://");
	size_t n = q ? (size_t)(q - url) : strlen(url);
	char *o;

	/* user:password@ in the authority */
	at = scheme ? memchr(scheme + 3, '@', n - (size_t)(scheme + 3 - url)) : NULL;
	if (at != NULL && memchr(scheme + 3, '/', (size_t)(at - scheme - 3)) != NULL)
		at = NULL;
	if (asprintf(&o, "%.*s%s%.*s%s", scheme && at ? (int)(scheme + 3 - url) : 0, url,
	    "", at ? (int)(n - (size_t)(at + 1 - url)) : (int)n, at ? at + 1 : url,
	    q && q[1] ? "?..." : "") < 0)
		return NULL;
	return o;
}

int http_parse_opt(int code, const char *arg, aderr *err)
{
	struct http_opts o = { 0 };
	char *end;
	double v;

	if (code < HTTP_OPT_RETRIES || code > HTTP_OPT_CA)
		return 0;
	if (code == HTTP_OPT_CA) {
		if (access(arg, R_OK) != 0)
			return aderr_errno(err, AD_EUSAGE, errno, "--ca-bundle %s", arg) < 0 ? -1 : -1;
		o.ca_bundle = arg;
		http_configure(&o);
		return 1;
	}
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || v < 0 || v > 1e9) {
		aderr_set(err, AD_EUSAGE, "--%s: expected a number >= 0, got '%s'",
		    code == HTTP_OPT_RETRIES ? "retries" : code == HTTP_OPT_RATE ? "rate" : "timeout", arg);
		return -1;
	}
	if (code == HTTP_OPT_RETRIES)
		o.retries = v == 0 ? -1 : (int)v;
	else if (code == HTTP_OPT_RATE)
		o.rate = v;
	else
		o.stall = v;
	http_configure(&o);
	return 1;
}

const char *http_received_note(void)
{
	static char buf[64];
	struct http_counts hc;

	http_counts(&hc);
	if (hc.bytes_in <= 0)
		return "";
	snprintf(buf, sizeof buf, ", %.1f MB received", (double)hc.bytes_in / 1e6);
	return buf;
}

const char *http_retry_note(void)
{
	static char buf[64];
	long n = atomic_load(&n_retries);

	if (n == 0)
		return "";
	snprintf(buf, sizeof buf, ", %ld retries", n);
	return buf;
}
