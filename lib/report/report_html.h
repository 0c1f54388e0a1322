/* report_html.h — dedupe's review page: FILE, a small page that opens at once, and a
 * folder next to it (FILE without .html/.htm, plus "_files") that holds the groups in
 * chunks of HTML_CHUNK, loaded by the page with <script src> as the reader pages (the
 * page works opened from file:// with no server), an index of every group for sorting
 * and filtering, and each thumbnail (featx --thumb) as a JPEG file named by the image's
 * checksum, loaded by <img> only when shown.  The groups are written in the order of
 * what needs attention: weakest evidence first, then most bytes saved, then largest.
 * The page's script and style are lib/report/review.js and review.css, embedded at build
 * time.  Every string from the records reaches the page as JSON and is shown as text;
 * the folder is written under a temporary name and renamed into place with the page. */
#ifndef AZD_REPORT_HTML_H
#define AZD_REPORT_HTML_H

#include <stddef.h>
#include "err.h"

#define HTML_CHUNK 64           /* groups per data file */

struct html_member {
	const char *name;
	const char *sha256;         /* 64 lower-case hex digits, or NULL */
	const char *url;            /* the original as a URL (file:// or the blob's, never a
	                             * secret), or NULL when it cannot be reached */
	const char *thumb;          /* the key given to html_thumb, or NULL */
	long long w, h, size;       /* -1 unknown */
	const char *stage;          /* "exact", "near" or "local" for duplicates */
	const char *kind;           /* the evidence: "exact", "hash", "chain", "keypoints" */
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
	int rank;                   /* the weakest evidence among the duplicates: lower
	                             * needs more attention (html_rank) */
	int reviewed;               /* a reviewer's decision said this group is right
	                             * (dedupe --decisions, on an earlier review) */
};

typedef struct html_page html_page;

/* The evidence of one duplicate as a rank, lower is weaker: a chain (joined through
 * others) 0, keypoints 100 + inliers (to 99), hashes 200 + the margin (to 99) or 400 with
 * no distinct neighbour, the same bytes 500. */
int html_rank(const char *kind, int margin, int inliers);

/* The URL of an original: SRC (a folder, a file:// or http(s):// URL, as in the records'
 * "src") joined with NAME, every byte of NAME outside [A-Za-z0-9-._~/] %-encoded, a
 * URL's query and fragment (a SAS) dropped.  NULL for other sources (az://) or when out
 * of memory.  malloc'd. */
char *html_url(const char *src, const char *name);

/* Starts a page at PATH: makes its folder under a temporary name.  NULL on error. */
html_page *html_open(const char *path, aderr *err);

/* Writes the thumbnail DATA_URI (data:image/jpeg;base64,...) as the file of KEY (a
 * checksum or other [0-9a-z] name of 2 to 80 characters).  0 when written, 1 when it was
 * not a JPEG data: URI or KEY is not a plain name (the page shows a placeholder), < 0 on
 * error. */
int html_thumb(html_page *p, const char *key, const char *data_uri, aderr *err);

/* Sorts the groups by attention, writes the data, the index and the page, and renames
 * the folder into place (a folder already there from an earlier page is replaced; any
 * other folder of that name is an error).  Frees P. */
int html_commit(html_page *p, struct html_group *g, size_t ng, const char *summary,
    aderr *err);

/* Removes what html_open and html_thumb wrote.  Frees P. */
void html_abort(html_page *p);

#endif
