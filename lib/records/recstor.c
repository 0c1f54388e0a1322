/* recstor.c — a record's size, ETag, Content-MD5 and mtime as a stor_entry (recstor.h). */
#include "recstor.h"

#include <string.h>

#include "rec.h"
#include "timefmt.h"

const struct stor_entry *rec_stor_entry(const json_t *rec, struct stor_entry *e,
    int need_mtime)
{
	const char *v;

	memset(e, 0, sizeof *e);
	e->size = rec_int(rec, "size", -1);
	if ((v = rec_str(rec, "etag")) == NULL || e->size < 0 || strlen(v) >= sizeof e->etag)
		return NULL;
	strcpy(e->etag, v);
	if (need_mtime && (time_parse_iso(rec_str(rec, "mtime"), &e->mtime, &v) < 0 || *v != 'Z'))
		return NULL;
	if ((v = rec_str(rec, "content_md5")) != NULL && strlen(v) < sizeof e->content_md5)
		strcpy(e->content_md5, v);
	return e;
}
