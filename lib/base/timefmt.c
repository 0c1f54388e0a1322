/* timefmt.c — strptime/strftime in the C locale's fixed formats, timegm for UTC. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int time_parse_iso(const char *s, long long *t, const char **end)
{
	struct tm tm;
	const char *p;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	*t = (long long)timegm(&tm);
	if (end != NULL)
		*end = p;
	return 0;
}

int time_parse_http(const char *s, long long *t)
{
	struct tm tm;
	const char *p;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL || *p != '\0')
		return -1;
	*t = (long long)timegm(&tm);
	return 0;
}

void time_format_iso(long long t, long nsec, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char base[32];

	gmtime_r(&tt, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nsec >= 0)
		snprintf(out, n, "%s.%09ldZ", base, nsec);
	else
		snprintf(out, n, "%sZ", base);
}

void time_format_http(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
