/* azure.c — Azure Blob Storage as a storage: opening a container from its URL with the
 * credentials bound to it, and the table of operations the other modules of this folder
 * implement (README.md).
 *
 * A storage root is a container and an optional folder prefix inside it.  Requests are
 * signed per attempt (SharedKey), or carry a SAS or a bearer token (az_request.c); the
 * root and display form never hold a secret. */
#include "az_int.h"
#include "azure.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX 5000             /* the most blobs List Blobs returns in a page */

/* scheme://host[:port]/rest: splits out the endpoint and account; rest is what follows
 * the account ("container/prefix"). */
static int parse_url(struct az *a, const char *url, const char **rest, aderr *err)
{
	int rc = azauth_parse(url, &a->ep, rest, err);
	size_t hn;

	if (rc < 0)
		return rc;
	/* the endpoint as the URL spells it: scheme://host[:port], and the account for path style */
	hn = (size_t)(strstr(url, "://") + 3 - url) + strcspn(strstr(url, "://") + 3, "/");
	if (a->ep.path_style)
		hn += 1 + strlen(a->ep.account);
	a->account = strdup(a->ep.account);
	a->endpoint = strndup(url, hn);
	if (a->account == NULL || a->endpoint == NULL ||
	    asprintf(&a->canon, "/%s%s%s", a->account, a->ep.path_style ? "/" : "",
	    a->ep.path_style ? a->account : "") < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
}

static void az_free(struct az *a)
{
	if (a == NULL)
		return;
	free(a->endpoint);
	free(a->canon);
	free(a->account);
	free(a->container);
	free(a->prefix);
	if (a->sas)
		memset(a->sas, 0, strlen(a->sas));
	free(a->sas);
	if (a->token)
		memset(a->token, 0, strlen(a->token));
	free(a->token);
	free(a->token_file);
	pthread_mutex_destroy(&a->token_mu);
	memset(a->key, 0, sizeof a->key);
	free(a);
}

static void az_close(stor *s)
{
	az_free(s->impl);
	s->impl = NULL;
}

static const struct stor_ops stor_azure_ops = {
	.kind = "azure",
	.list = az_list,
	.stat = az_stat,
	.get = az_get,
	.read = az_read,
	.put = az_put,
	.copy = az_copy,
	.del = az_delete,
	.close = az_close,
};

static int make_container(struct az *a, aderr *err)
{
	struct call c = { .method = "PUT", .container = a->container, .what = a->container };
	struct http_resp r;
	int rc;

	c.query[0] = "restype", c.query[1] = "container";
	rc = az_call(a, &c, &r, err);
	if (rc < 0)
		return rc;
	if (r.status != 201 && !(r.status == 409 &&
	    strcmp(http_header(&r, "x-ms-error-code") ? http_header(&r, "x-ms-error-code") : "",
	    "ContainerAlreadyExists") == 0))
		rc = az_fail(&c, &r, 0, NULL, 1, err);
	http_resp_free(&r);
	return rc;
}

/* 1 for a name the Blob service takes for a container: 3 to 63 lower-case letters,
 * digits and hyphens, beginning and ending with a letter or digit, no two hyphens in a
 * row; or one of the service's own ($root, $web, $logs).  The service answers others
 * with a bare 400 that names neither the container nor the rule. */
static int container_name_ok(const char *c)
{
	size_t n = strlen(c);

	if (strcmp(c, "$root") == 0 || strcmp(c, "$web") == 0 || strcmp(c, "$logs") == 0)
		return 1;
	if (n < 3 || n > 63 || c[0] == '-' || c[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') ||
		    (c[i] == '-' && c[i + 1] != '-')))
			return 0;
	return 1;
}

int stor_azure_open(stor *s, const char *url, int flags, aderr *err)
{
	struct az *a = calloc(1, sizeof *a);
	const char *rest = "", *sl;
	char *base = NULL, *sas = NULL, *q;
	int rc;

	if (a == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	pthread_mutex_init(&a->token_mu, NULL);
	a->page_max = PAGE_MAX;
	{
		const char *pm = getenv("AZDEDUP_PAGE_SIZE");    /* for tests: small pages */

		if (pm != NULL && atoi(pm) > 0 && atoi(pm) <= PAGE_MAX)
			a->page_max = atoi(pm);
	}
	/* az://CONTAINER/PREFIX on the account of the connection string or the environment */
	if ((rc = azauth_resolve(url, &base, err)) < 0) {
		az_free(a);
		return rc;
	}
	if ((q = strchr(base, '?')) != NULL) {
		*q = '\0';
		sas = q + 1;
	}
	if ((rc = parse_url(a, base, &rest, err)) < 0)
		goto fail;
	sl = strchr(rest, '/');
	a->container = sl ? strndup(rest, (size_t)(sl - rest)) : strdup(rest);
	if (a->container == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto fail;
	}
	if (a->container[0] == '\0') {
		rc = aderr_set(err, AD_EUSAGE, "%s: no container in the URL", base);
		goto fail;
	}
	{
		const char *p = sl ? sl + 1 : "";
		size_t n = strlen(p);

		while (n > 0 && p[n - 1] == '/')
			n--;
		if (asprintf(&a->prefix, "%.*s%s", (int)n, p, n ? "/" : "") < 0) {
			a->prefix = NULL;
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			goto fail;
		}
		if (az_pct_decode(a->prefix) < 0 || az_pct_decode(a->container) < 0) {
			rc = aderr_set(err, AD_EUSAGE, "bad %%-escape in the URL");
			goto fail;
		}
	}
	if (!container_name_ok(a->container)) {
		rc = aderr_set(err, AD_EUSAGE, "%s: \"%s\" is not a container name (3 to 63 "
		    "lower-case letters, digits and single hyphens, from a letter or digit to "
		    "one)", base, a->container);
		goto fail;
	}
	{
		struct az_cred c;

		rc = azauth_pick(&a->ep, a->container, sas, ((flags & STOR_NAMED) ? AZAUTH_NAMED : 0) |
		    ((flags & (STOR_CREATE | STOR_WRITE)) ? AZAUTH_WRITE : 0), &c, err);
		if (rc < 0)
			goto fail;
		a->auth = c.kind;
		memcpy(a->key, c.key, sizeof a->key);
		a->keylen = c.keylen;
		a->sas = c.sas;
		a->token = c.token;
		a->token_file = c.token_file;
		c.sas = c.token = c.token_file = NULL;
		azauth_cred_free(&c);
	}
	/* root: the URL without its query, the display form (what records carry) the same */
	s->root = strdup(base);
	s->display = strdup(base);
	if (s->root == NULL || s->display == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto fail;
	}
	memset(base, 0, strlen(base) + (sas ? strlen(sas) + 1 : 0));
	free(base);
	base = NULL;
	s->ops = &stor_azure_ops;
	s->impl = a;
	http_configure(NULL);
	if ((flags & STOR_CREATE) && (rc = make_container(a, err)) < 0) {
		s->impl = NULL;
		goto fail;
	}
	return 0;
fail:
	if (base != NULL)
		memset(base, 0, strlen(base) + (sas ? strlen(sas) + 1 : 0));
	free(base);
	free(s->root);
	free(s->display);
	s->root = s->display = NULL;
	az_free(a);
	return rc;
}
