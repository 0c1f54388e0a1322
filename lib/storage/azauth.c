/* azauth.c — credential binding and SharedKey signing for the Azure backend (azauth.h). */
#include "azauth.h"
#include "codec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEV_ACCOUNT "devstoreaccount1"
/* the emulator's published, well-known development key (not a secret) */
static const char dev_key[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/* ---- endpoints ---- */

/* ACCOUNT.blob.SUFFIX, or a DNS-zone endpoint ACCOUNT.zNN.blob.storage.azure.net */
static int is_dns_account_host(const char *host)
{
	const char *dot = strchr(host, '.');

	return dot != NULL && dot > host && ((strncmp(dot, ".blob.", 6) == 0 && dot[6] != '\0') ||
	    azauth_azure_host(host));
}

int azauth_parse(const char *url, struct az_ep *ep, const char **rest, aderr *err)
{
	const char *hs, *he, *hend, *p;
	size_t hn;

	memset(ep, 0, sizeof *ep);
	if (strncasecmp(url, "https://", 8) == 0) {
		strcpy(ep->scheme, "https");
		ep->port = 443;
		hs = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		strcpy(ep->scheme, "http");
		ep->port = 80;
		hs = url + 7;
	} else {
		return aderr_set(err, AD_EUSAGE, "not an http or https URL");
	}
	he = hs + strcspn(hs, "/");
	if (memchr(hs, '@', (size_t)(he - hs)) != NULL)
		return aderr_set(err, AD_EUSAGE, "credentials in the URL's host part are not supported");
	if (*hs == '[') {
		const char *close = memchr(hs, ']', (size_t)(he - hs));

		if (close == NULL)
			return aderr_set(err, AD_EUSAGE, "%.*s: bad host", (int)(he - url), url);
		hend = close + 1;
	} else {
		const char *colon = memchr(hs, ':', (size_t)(he - hs));

		hend = colon ? colon : he;
	}
	hn = (size_t)(hend - hs);
	if (hn == 0 || hn >= sizeof ep->host)
		return aderr_set(err, AD_EUSAGE, "%.*s: bad host", (int)(he - url), url);
	for (size_t i = 0; i < hn; i++)
		ep->host[i] = (char)tolower((unsigned char)hs[i]);
	if (hend < he) {
		long port = 0;

		if (*hend != ':' || hend + 1 == he)
			return aderr_set(err, AD_EUSAGE, "%.*s: bad port", (int)(he - url), url);
		for (p = hend + 1; p < he; p++) {
			if (!isdigit((unsigned char)*p) || (port = port * 10 + (*p - '0')) > 65535)
				return aderr_set(err, AD_EUSAGE, "%.*s: bad port", (int)(he - url), url);
		}
		if (port == 0)
			return aderr_set(err, AD_EUSAGE, "%.*s: bad port", (int)(he - url), url);
		ep->port = (int)port;
	}
	if (is_dns_account_host(ep->host)) {
		size_t an = (size_t)(strchr(ep->host, '.') - ep->host);

		if (an >= sizeof ep->account)
			return aderr_set(err, AD_EUSAGE, "%.*s: account name too long", (int)(he - url), url);
		memcpy(ep->account, ep->host, an);
		ep->account[an] = '\0';
		if (rest != NULL)
			*rest = *he == '/' ? he + 1 : "";
		return 0;
	}
	/* path style (the emulator, private endpoints): the first segment is the account */
	if (*he != '/' || he[1] == '\0' || he[1] == '/')
		return aderr_set(err, AD_EUSAGE, "%.*s: expected http://HOST:PORT/ACCOUNT/CONTAINER",
		    (int)(he - url), url);
	{
		const char *as = he + 1;
		size_t an = strcspn(as, "/");

		if (an >= sizeof ep->account)
			return aderr_set(err, AD_EUSAGE, "%.*s: account name too long", (int)(he - url), url);
		memcpy(ep->account, as, an);
		ep->account[an] = '\0';
		ep->path_style = 1;
		if (rest != NULL)
			*rest = as[an] == '/' ? as + an + 1 : "";
	}
	return 0;
}

int azauth_same_ep(const struct az_ep *a, const struct az_ep *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
	    a->port == b->port && strcmp(a->account, b->account) == 0 &&
	    a->path_style == b->path_style;
}

int azauth_loopback(const char *host)
{
	struct in_addr v4;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0)
		return 1;
	return inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

int azauth_azure_host(const char *host)
{
	static const char *const suffix[] = {
		".blob.core.windows.net", ".blob.core.chinacloudapi.cn",
		".blob.core.usgovcloudapi.net", ".blob.storage.azure.net", NULL
	};
	size_t n = strlen(host);

	for (int i = 0; suffix[i]; i++) {
		size_t sn = strlen(suffix[i]);

		if (n > sn && strcasecmp(host + n - sn, suffix[i]) == 0)
			return 1;
	}
	return 0;
}

/* ---- the environment ---- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v ? v : NULL;
}

/* A field of a connection string: 1 and *out (malloc'd) when present, 0 when not, -1 when
 * out of memory. */
static int conn_get(const char *cs, const char *key, char **out)
{
	size_t kl = strlen(key);

	*out = NULL;
	for (const char *p = cs; p && *p; ) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		if (n > kl && strncasecmp(p, key, kl) == 0 && p[kl] == '=') {
			*out = strndup(p + kl + 1, n - kl - 1);
			return *out ? 1 : -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int conn_true(const char *cs, const char *key)
{
	char *v = NULL;
	int yes = cs != NULL && conn_get(cs, key, &v) > 0 && strcasecmp(v, "true") == 0;

	free(v);
	return yes;
}

/* The blob endpoint a connection string names, as a URL without a trailing '/'. */
static char *conn_endpoint(const char *cs)
{
	char *ep = NULL, *acct = NULL, *proto = NULL, *suffix = NULL;

	if (cs == NULL)
		return NULL;
	if (conn_get(cs, "BlobEndpoint", &ep) > 0) {
		;
	} else if (conn_true(cs, "UseDevelopmentStorage")) {
		ep = strdup("http://127.0.0.1:10000/" DEV_ACCOUNT);
	} else if (conn_get(cs, "AccountName", &acct) > 0) {
		conn_get(cs, "DefaultEndpointsProtocol", &proto);
		conn_get(cs, "EndpointSuffix", &suffix);
		if (asprintf(&ep, "%s://%s.blob.%s", proto ? proto : "https", acct,
		    suffix ? suffix : "core.windows.net") < 0)
			ep = NULL;
	}
	free(acct);
	free(proto);
	free(suffix);
	while (ep != NULL && *ep && ep[strlen(ep) - 1] == '/')
		ep[strlen(ep) - 1] = '\0';
	return ep;
}

int azauth_resolve(const char *url, char **out, aderr *err)
{
	const char *cs = env("AZURE_STORAGE_CONNECTION_STRING"), *acct;
	char *ep;

	*out = NULL;
	if (strncasecmp(url, "az://", 5) != 0) {
		*out = strdup(url);
		return *out ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
	}
	ep = conn_endpoint(cs);
	if (ep == NULL && (acct = env("AZURE_STORAGE_ACCOUNT")) != NULL &&
	    asprintf(&ep, "https://%s.blob.core.windows.net", acct) < 0)
		ep = NULL;
	if (ep == NULL)
		return aderr_set(err, AD_EUSAGE, "%s: az:// needs AZURE_STORAGE_CONNECTION_STRING "
		    "or AZURE_STORAGE_ACCOUNT", url);
	if (asprintf(out, "%s/%s", ep, url + 5) < 0)
		*out = NULL;
	free(ep);
	return *out ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
}

/* A URL the user named outside the records (AZDEDUP_SRC, AZDEDUP_DST): its endpoint,
 * container and SAS. */
struct named {
	int set;
	struct az_ep ep;
	char container[64];
	char *sas;
};

static void named_load(const char *var, struct named *n)
{
	const char *v = env(var), *rest = "";
	char *url = NULL, *q;
	aderr e;

	memset(n, 0, sizeof *n);
	if (v == NULL || strstr(v, "://") == NULL || azauth_resolve(v, &url, &e) < 0)
		return;
	if ((q = strchr(url, '?')) != NULL)
		*q++ = '\0';
	if (azauth_parse(url, &n->ep, &rest, &e) == 0) {
		size_t cn = strcspn(rest, "/");

		if (cn > 0 && cn < sizeof n->container) {
			memcpy(n->container, rest, cn);
			n->set = 1;
			if (q != NULL && *q)
				n->sas = strdup(q);
		}
	}
	memset(url, 0, strlen(url) + (q ? strlen(q) + 1 : 0));
	free(url);
}

static void named_free(struct named *n)
{
	if (n->sas != NULL)
		memset(n->sas, 0, strlen(n->sas));
	free(n->sas);
}

/* What azauth_pick knows about the settings while it decides. */
struct ctx {
	const struct az_ep *ep;
	int flags;
	const char *cs;
	int have_cs_ep;
	struct az_ep cs_ep;
	char cs_account[64];
	struct named src, dst;
};

/* 1 when the user named this endpoint: on the command line, in AZDEDUP_SRC or
 * AZDEDUP_DST, or as the connection string's endpoint. */
static int named_ep(const struct ctx *x)
{
	return (x->flags & AZAUTH_NAMED) || (x->src.set && azauth_same_ep(x->ep, &x->src.ep)) ||
	    (x->dst.set && azauth_same_ep(x->ep, &x->dst.ep)) ||
	    (x->have_cs_ep && azauth_same_ep(x->ep, &x->cs_ep));
}

/* 1 when a credential of account acct may go to the endpoint: a URL with that account
 * that the user named (the connection string's endpoint among them), or, for an account
 * named by AZURE_STORAGE_ACCOUNT (global), its https://ACCT.blob.core.windows.net.  An
 * account of a connection string may live in another cloud, where the same name is
 * somebody else's account in the public one. */
static int account_ep(const struct ctx *x, const char *acct, int global)
{
	const struct az_ep *ep = x->ep;
	char host[256];

	if (acct == NULL || *acct == '\0' || strcmp(ep->account, acct) != 0)
		return 0;
	snprintf(host, sizeof host, "%s.blob.core.windows.net", acct);
	if (global && !ep->path_style && strcmp(ep->scheme, "https") == 0 && ep->port == 443 &&
	    strcasecmp(ep->host, host) == 0)
		return 1;
	return named_ep(x);
}

/* A bearer token only over https (or plain http to this machine), and only to the
 * Blob service's hosts or an endpoint the user named. */
static int token_ep(const struct ctx *x)
{
	const struct az_ep *ep = x->ep;

	if (strcmp(ep->scheme, "https") == 0)
		return (!ep->path_style && azauth_azure_host(ep->host)) || named_ep(x);
	return azauth_loopback(ep->host) && named_ep(x);
}

/* 1 when sas is the one that came with SRC or DST (with or without its '?') */
static int same_sas(const char *sas, const struct named *n)
{
	return n->sas != NULL && strcmp(sas[0] == '?' ? sas + 1 : sas, n->sas) == 0;
}

static int set_sas(struct az_cred *c, const char *sas, const char *from, aderr *err)
{
	c->sas = strdup(sas[0] == '?' ? sas + 1 : sas);
	if (c->sas == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	c->kind = AZCRED_SAS;
	c->from = from;
	return 0;
}

static int set_key(struct az_cred *c, const char *b64, const char *from, aderr *err)
{
	c->keylen = azauth_key_decode(b64, c->key, (int)sizeof c->key);
	if (c->keylen <= 0)
		return aderr_set(err, AD_EAUTH, "%s: the account key is not valid base64", from);
	c->kind = AZCRED_KEY;
	c->from = from;
	return 0;
}

int azauth_read_token_file(const char *path, char **out, aderr *err)
{
	FILE *fp = fopen(path, "r");
	char buf[16384];
	size_t n;

	if (fp == NULL)
		return aderr_errno(err, AD_EAUTH, errno, "AZURE_STORAGE_TOKEN_FILE %s", path);
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");     /* the first line is the token */
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n == 0)
		return aderr_set(err, AD_EAUTH, "AZURE_STORAGE_TOKEN_FILE %s: empty", path);
	*out = strdup(buf);
	memset(buf, 0, sizeof buf);
	return *out ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
}

/* The account a connection string is for, from AccountName or its endpoint. */
static void conn_account(struct ctx *x)
{
	char *v = NULL;

	if (x->cs == NULL)
		return;
	if (conn_get(x->cs, "AccountName", &v) > 0)
		snprintf(x->cs_account, sizeof x->cs_account, "%s", v);
	else if (x->have_cs_ep)
		snprintf(x->cs_account, sizeof x->cs_account, "%s", x->cs_ep.account);
	free(v);
}

static int pick(struct ctx *x, const char *container, const char *url_sas, struct az_cred *c,
    aderr *err)
{
	const struct az_ep *ep = x->ep;
	const char *v, *acct = env("AZURE_STORAGE_ACCOUNT");
	const struct named *first = (x->flags & AZAUTH_WRITE) ? &x->dst : &x->src;
	const struct named *second = (x->flags & AZAUTH_WRITE) ? &x->src : &x->dst;
	char *s = NULL;
	int rc, own_sas = 0;    /* AZURE_STORAGE_SAS_TOKEN is SRC's or DST's SAS again */

	if (url_sas != NULL && *url_sas)
		return set_sas(c, url_sas, "the URL", err);
	/* SRC's and DST's own SAS: for their own container only */
	for (const struct named *n = first; n != NULL; n = n == first ? second : NULL)
		if (n->sas != NULL && azauth_same_ep(ep, &n->ep) && strcmp(container, n->container) == 0)
			return set_sas(c, n->sas, n == &x->src ? "AZDEDUP_SRC" : "AZDEDUP_DST", err);
	if ((v = env("AZURE_STORAGE_SAS_TOKEN")) != NULL &&
	    !(own_sas = same_sas(v, &x->src) || same_sas(v, &x->dst))) {
		/* (SRC's or DST's own SAS, exported again, is still only theirs: taken above) */
		const char *for_acct = acct ? acct : x->cs_account[0] ? x->cs_account : NULL;

		if (for_acct != NULL ? account_ep(x, for_acct, acct != NULL) :
		    (x->flags & AZAUTH_NAMED) != 0)
			return set_sas(c, v, "AZURE_STORAGE_SAS_TOKEN", err);
	}
	if ((v = env("AZURE_STORAGE_TOKEN")) != NULL || env("AZURE_STORAGE_TOKEN_FILE") != NULL) {
		if (token_ep(x)) {
			if (v != NULL) {
				c->token = strdup(v);
				c->from = "AZURE_STORAGE_TOKEN";
			} else {
				v = env("AZURE_STORAGE_TOKEN_FILE");
				if ((rc = azauth_read_token_file(v, &c->token, err)) < 0)
					return rc;
				c->token_file = strdup(v);
				c->from = "AZURE_STORAGE_TOKEN_FILE";
				if (c->token_file == NULL)
					return aderr_set(err, AD_ENOMEM, "out of memory");
			}
			if (c->token == NULL)
				return aderr_set(err, AD_ENOMEM, "out of memory");
			c->kind = AZCRED_BEARER;
			return 0;
		}
	}
	if (x->cs != NULL) {
		if (conn_true(x->cs, "UseDevelopmentStorage")) {
			if (strcmp(ep->account, DEV_ACCOUNT) == 0 && azauth_loopback(ep->host))
				return set_key(c, dev_key, "AZURE_STORAGE_CONNECTION_STRING", err);
		} else if (account_ep(x, x->cs_account, 0)) {
			if (conn_get(x->cs, "AccountKey", &s) > 0) {
				rc = set_key(c, s, "AZURE_STORAGE_CONNECTION_STRING", err);
				memset(s, 0, strlen(s));
				free(s);
				return rc;
			}
			if (conn_get(x->cs, "SharedAccessSignature", &s) > 0) {
				rc = set_sas(c, s, "AZURE_STORAGE_CONNECTION_STRING", err);
				memset(s, 0, strlen(s));
				free(s);
				return rc;
			}
		}
	}
	if (acct != NULL && (v = env("AZURE_STORAGE_KEY")) != NULL && account_ep(x, acct, 1))
		return set_key(c, v, "AZURE_STORAGE_KEY", err);
	/* the emulator's published key, when nothing else is configured: it is no secret */
	if (strcmp(ep->account, DEV_ACCOUNT) == 0 && ep->path_style && azauth_loopback(ep->host) &&
	    x->cs == NULL && env("AZURE_STORAGE_KEY") == NULL &&
	    (env("AZURE_STORAGE_SAS_TOKEN") == NULL || own_sas) && env("AZURE_STORAGE_TOKEN") == NULL &&
	    env("AZURE_STORAGE_TOKEN_FILE") == NULL)
		return set_key(c, dev_key, "emulator", err);
	c->kind = AZCRED_NONE;    /* public containers can still be read */
	return 0;
}

int azauth_pick(const struct az_ep *ep, const char *container, const char *url_sas, int flags,
    struct az_cred *c, aderr *err)
{
	struct ctx x;
	char *ce;
	int rc;

	memset(c, 0, sizeof *c);
	memset(&x, 0, sizeof x);
	x.ep = ep;
	x.flags = flags;
	x.cs = env("AZURE_STORAGE_CONNECTION_STRING");
	if ((ce = conn_endpoint(x.cs)) != NULL) {
		aderr e;

		x.have_cs_ep = azauth_parse(ce, &x.cs_ep, NULL, &e) == 0;
		free(ce);
	}
	conn_account(&x);
	named_load("AZDEDUP_SRC", &x.src);
	named_load("AZDEDUP_DST", &x.dst);
	rc = pick(&x, container, url_sas, c, err);
	named_free(&x.src);
	named_free(&x.dst);
	if (rc < 0)
		azauth_cred_free(c);
	return rc;
}

void azauth_cred_free(struct az_cred *c)
{
	if (c->sas != NULL)
		memset(c->sas, 0, strlen(c->sas));
	free(c->sas);
	if (c->token != NULL)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->token_file);
	memset(c, 0, sizeof *c);
}

/* ---- SharedKey ---- */

int azauth_key_decode(const char *in, unsigned char *out, int max)
{
	size_t n = strlen(in);
	unsigned char tmp[256];
	int len, pad = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof tmp)
		return -1;
	len = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	len -= pad;
	if (len > max)
		len = -1;
	else
		memcpy(out, tmp, (size_t)len);
	memset(tmp, 0, sizeof tmp);
	return len;
}

static const char *hget(const struct az_hv *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return "";
}

static int cmp_hvp(const void *a, const void *b)
{
	return strcasecmp((*(const struct az_hv *const *)a)->name,
	    (*(const struct az_hv *const *)b)->name);
}

char *azauth_string_to_sign(const char *method, const char *resource, const char *const *query,
    const struct az_hv *h, size_t nh)
{
	char *sts = NULL;
	size_t cap = 0, nx = 0;
	const struct az_hv **xms = malloc((nh ? nh : 1) * sizeof *xms);
	const char *cl = hget(h, nh, "Content-Length");
	FILE *fp;

	if (xms == NULL || (fp = open_memstream(&sts, &cap)) == NULL) {
		free(xms);
		return NULL;
	}
	/* a zero Content-Length is signed as empty (2015-02-21 and later) */
	fprintf(fp, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n", method,
	    hget(h, nh, "Content-Encoding"), hget(h, nh, "Content-Language"),
	    strcmp(cl, "0") == 0 ? "" : cl, hget(h, nh, "Content-MD5"),
	    hget(h, nh, "Content-Type"), hget(h, nh, "Date"), hget(h, nh, "If-Modified-Since"),
	    hget(h, nh, "If-Match"), hget(h, nh, "If-None-Match"),
	    hget(h, nh, "If-Unmodified-Since"), hget(h, nh, "Range"));
	for (size_t i = 0; i < nh; i++)
		if (strncasecmp(h[i].name, "x-ms-", 5) == 0)
			xms[nx++] = &h[i];
	qsort(xms, nx, sizeof *xms, cmp_hvp);
	for (size_t i = 0; i < nx; i++) {
		for (const char *p = xms[i]->name; *p; p++)
			fputc(tolower((unsigned char)*p), fp);
		fprintf(fp, ":%s\n", xms[i]->value);
	}
	fputs(resource, fp);
	for (size_t i = 0; query != NULL && query[i]; i += 2)
		fprintf(fp, "\n%s:%s", query[i], query[i + 1]);
	free(xms);
	if (fclose(fp) != 0) {
		free(sts);
		return NULL;
	}
	return sts;
}

int azauth_sharedkey(const unsigned char *key, int keylen, const char *account, const char *sts,
    char *out, size_t outn)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char b64[B64_LEN(EVP_MAX_MD_SIZE)];

	if (HMAC(EVP_sha256(), key, keylen, (const unsigned char *)sts, strlen(sts), mac,
	    &maclen) == NULL)
		return -1;
	b64_encode(mac, maclen, b64);
	if ((size_t)snprintf(out, outn, "SharedKey %s:%s", account, b64) >= outn)
		return -1;
	return 0;
}
