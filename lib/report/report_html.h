/* report_html.h — dedupe's visual report: one self-contained HTML page (thumbnails are
 * data: URIs from featx --thumb, the sorting is a few lines of inline script), showing
 * each group side by side with its keeper marked and each member's distances.
 * Groups come in the order given; the page sorts them by size (first), bytes saved or
 * keeper name, with buttons or a URL ending in #sort=size|saved|name.  Every string from the records is HTML-escaped; only data:image/jpeg URIs are
 * used as image sources.  Written atomically. */
#ifndef AZD_REPORT_HTML_H
#define AZD_REPORT_HTML_H

#include <stddef.h>
#include "err.h"

struct html_member {
	const char *name;
	const char *thumb;          /* data: URI or NULL */
	long long w, h, size;       /* -1 unknown */
	const char *stage;          /* "exact" or "near" for duplicates */
	int dist[3];                /* phash, dhash, whash distance to the keeper */
	int orient;                 /* EXIF orientation of a turned match, else 1 */
	const char *why;            /* the evidence (a duplicate) or why it was kept (the
	                             * keeper), plain text, or NULL */
};

struct html_group {
	long id;
	size_t n;                   /* members, the keeper first */
	struct html_member *m;
	long long saved;            /* bytes of the duplicates */
};

int html_write(const char *path, const struct html_group *g, size_t ng, const char *summary,
    aderr *err);

#endif
