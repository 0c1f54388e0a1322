/* err.h — the error value every library call fills in.
 *
 * Library code never prints or exits: it returns a negative code and describes the
 * failure in an aderr that the caller owns (usually on its stack) and the tool prints
 * as "prog: subject: reason".  The short code names travel in error records. */
#ifndef AZD_ERR_H
#define AZD_ERR_H

enum {
	AD_OK = 0,
	AD_EIO = -1,        /* read/write failure on a file or socket */
	AD_ENOENT = -2,     /* no such file, blob or record */
	AD_EFORMAT = -3,    /* bytes are not what they claim: corrupt image, bad JSON */
	AD_EUNSUP = -4,     /* understood but not supported (12-bit JPEG, odd format) */
	AD_ETOOBIG = -5,    /* over a configured limit: pixels, bytes */
	AD_ETRUNC = -6,     /* data ends early */
	AD_EEMPTY = -7,     /* zero-byte input */
	AD_EUSAGE = -8,     /* bad option or argument */
	AD_EAUTH = -9,      /* credentials refused or missing */
	AD_ENOMEM = -10,
	AD_EEXIST = -11,    /* destination exists with different content */
	AD_ENET = -12,      /* network failure after retries */
	AD_EPERM = -13,     /* permission denied */
	AD_ENOTIMG = -14,   /* not an image at all */
	AD_EINTERNAL = -15,
	AD_ECONFIG = -16    /* the setup is wrong for every record: no such container */
};

typedef struct aderr {
	int code;
	char msg[512];
} aderr;

/* Sets code and a printf-style message; returns code so callers can `return aderr_set(...)`. */
int aderr_set(aderr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with ": strerror(errnum)" appended. */
int aderr_errno(aderr *e, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Short stable name of a code for error records: "io", "not_found", "corrupt", ... */
const char *aderr_name(int code);
/* 1 when an error will fail every record alike (refused credentials, a missing
 * container): the tool stops with exit status 2 instead of failing records one by one. */
int aderr_fatal(int code);
/* Maps an errno value to the closest AD_E* code. */
int aderr_from_errno(int errnum);

#endif
