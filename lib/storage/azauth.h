/* azauth.h — which Azure credential a storage may send, and SharedKey signing.
 *
 * A credential is bound to the endpoint it was given for: scheme, host, port and account
 * (and, for a SAS that came with AZDEDUP_SRC or AZDEDUP_DST, that URL's container).  A
 * storage gets a credential only when its own URL lies inside that binding; anything else
 * is sent unsigned.  azdedup(7), SECURITY, states the rules for users; azauth_pick is the
 * one place that applies them.  The SharedKey string-to-sign lives here too, so that the
 * unit tests can hold it against the service's published vectors.
 *
 * Ownership: azauth_pick fills a struct az_cred whose strings the caller frees with
 * azauth_cred_free (which also wipes them); azauth_string_to_sign and azauth_resolve
 * return malloc'd strings. */
#ifndef AZD_AZAUTH_H
#define AZD_AZAUTH_H

#include <stddef.h>
#include "err.h"

/* Where a storage lives, as far as credentials are concerned. */
struct az_ep {
	char scheme[8];         /* "http" or "https" */
	char host[256];         /* lower case; an IPv6 literal keeps its brackets */
	int port;               /* the scheme's default when the URL names none */
	char account[64];
	int path_style;         /* the account is the first path segment, not in the host */
};

/* Splits an http(s) URL without its query into its endpoint; *rest (when rest is not
 * NULL) points at what follows the account: "container/prefix". */
int azauth_parse(const char *url, struct az_ep *ep, const char **rest, aderr *err);
/* 1 when both name the same scheme, host, port and account. */
int azauth_same_ep(const struct az_ep *a, const struct az_ep *b);
/* 1 for 127.0.0.0/8, ::1 and localhost. */
int azauth_loopback(const char *host);
/* 1 for a host of the Azure Blob service (ACCOUNT.blob.core.windows.net and the
 * national clouds' and DNS-zone forms). */
int azauth_azure_host(const char *host);
/* az://CONTAINER/... on the account of AZURE_STORAGE_CONNECTION_STRING or
 * AZURE_STORAGE_ACCOUNT, as its http(s) URL; other URLs are copied as they are. */
int azauth_resolve(const char *url, char **out, aderr *err);

enum { AZCRED_NONE, AZCRED_KEY, AZCRED_SAS, AZCRED_BEARER };

struct az_cred {
	int kind;
	unsigned char key[96];  /* AZCRED_KEY: the decoded account key */
	int keylen;
	char *sas;              /* AZCRED_SAS: the query without '?' */
	char *token;            /* AZCRED_BEARER */
	char *token_file;       /* where the token came from, to read again when refused */
	const char *from;       /* the setting it came from, e.g. "AZURE_STORAGE_KEY" */
};

enum {
	AZAUTH_NAMED = 1 << 0,  /* the user gave this URL on the command line */
	AZAUTH_WRITE = 1 << 1   /* a destination: prefer DST's SAS over SRC's */
};

/* The credential for the storage at ep/container (container as in the URL), url_sas
 * being the SAS that came in its own URL (NULL or "" when none).  Reads the environment:
 * AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY,
 * AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_TOKEN, AZURE_STORAGE_TOKEN_FILE, AZDEDUP_SRC,
 * AZDEDUP_DST.  AZCRED_NONE when nothing is bound to it.  Fails (AD_EAUTH) only on a
 * credential that is bound to it but unusable: a key that is not base64, a token file
 * that cannot be read. */
int azauth_pick(const struct az_ep *ep, const char *container, const char *url_sas, int flags,
    struct az_cred *c, aderr *err);
void azauth_cred_free(struct az_cred *c);
/* The first line of a token file, trimmed. */
int azauth_read_token_file(const char *path, char **out, aderr *err);

/* One request header; x-ms-* names in lower case. */
struct az_hv {
	const char *name;
	const char *value;
};

/* The SharedKey string-to-sign (service version 2015-02-21 and later) of a request:
 * resource is "/ACCOUNT" followed by the URL's path exactly as it is sent (percent-encoded;
 * path-style URLs repeat the account), query the name/value pairs (names lower case,
 * sorted; values not encoded), NULL-terminated.  NULL when out of memory. */
char *azauth_string_to_sign(const char *method, const char *resource, const char *const *query,
    const struct az_hv *h, size_t nh);
/* "SharedKey ACCOUNT:SIGNATURE" of a string-to-sign into out. */
int azauth_sharedkey(const unsigned char *key, int keylen, const char *account, const char *sts,
    char *out, size_t outn);
/* Decodes a base64 account key into out[max]: its length, or -1. */
int azauth_key_decode(const char *b64, unsigned char *out, int max);

#endif
