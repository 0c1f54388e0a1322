/* err.c — filling aderr values. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 0)))
static void vset(aderr *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int aderr_set(aderr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int aderr_errno(aderr *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (e == NULL)
		return code;
	va_start(ap, fmt);
	vset(e, code, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, "%s%s", n ? ": " : "", strerror(errnum));
	return code;
}

const char *aderr_name(int code)
{
	switch (code) {
	case AD_OK: return "ok";
	case AD_EIO: return "io";
	case AD_ENOENT: return "not_found";
	case AD_EFORMAT: return "corrupt";
	case AD_EUNSUP: return "unsupported";
	case AD_ETOOBIG: return "too_large";
	case AD_ETRUNC: return "truncated";
	case AD_EEMPTY: return "empty";
	case AD_EUSAGE: return "usage";
	case AD_EAUTH: return "auth";
	case AD_ENOMEM: return "no_memory";
	case AD_EEXIST: return "exists";
	case AD_ENET: return "network";
	case AD_EPERM: return "permission";
	case AD_ENOTIMG: return "not_image";
	case AD_ECONFIG: return "config";
	default: return "internal";
	}
}

int aderr_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT: case ENOTDIR: return AD_ENOENT;
	case EACCES: case EPERM: return AD_EPERM;
	case ENOMEM: return AD_ENOMEM;
	case EEXIST: return AD_EEXIST;
	case EFBIG: return AD_ETOOBIG;
	default: return AD_EIO;
	}
}

int aderr_fatal(int code)
{
	return code == AD_EAUTH || code == AD_ECONFIG;
}
