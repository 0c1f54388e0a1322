/* dedupe — group exact and near-duplicate images and pick a keeper for each group. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/evp.h>

#include "group.h"
#include "report_html.h"
#include "hash.h"
#include "log.h"
#include "progress.h"
#include "rec.h"
#include "tool.h"

struct dd {
	FILE *spool;                /* every input record, in input order, as compact JSON,
	                             * a line each, in an unlinked temporary file: the report
	                             * streams them back, so memory holds only the items */
	char spool_dir[256];        /* where it is, for messages */
	long *item;                 /* record i's index in items, or -1 */
	size_t nrecs, cap;
	struct grp_item *items;
	size_t nitems;
	uint8_t (*colors)[48];      /* items' colour grids, allocated at the first one */
	const char **prefer;
	int nprefer;
	char formats[8][8];         /* --format-order, best first */
	int nformats;
	int rotations;
	const char *html;           /* --html FILE, or NULL */
	char **thumb;               /* per item, with --html: its thumbnail or NULL */
	long long *w, *h;
	int local;                  /* read keypoints (unless --no-local) */
	int keypoints;              /* strongest keypoints kept per image */
	int threads;                /* for reading, as for the search */
	struct kpcache *kps;        /* every image's keypoints, on disk and a bounded cache */
	int cache_mb;               /* --kp-cache */
	long failed_here, malformed, dropped;
};

static const char help[] =
    "usage: dedupe [-q] [--keep POLICY] [--prefer PREFIX]... [--phash-max N]\n"
    "              [--dhash-max N] [--whash-max N] [--exact-only] [--no-rotations]\n"
    "              [--mode star|clique|components] [--search all|index]\n"
    "              [--no-local] [--local-min N] [--keypoints N] [--kp-cache MB]\n"
    "              [--html FILE] [-j N] [--device DEV] [-i FILE] [-o FILE]\n"
    "Read feature records (from featx or featstore), group exact duplicates (same\n"
    "bytes), near duplicates (every hash within its distance) and local matches\n"
    "(crops and other copies whose keypoints agree on one transform), pick a keeper\n"
    "per group, and write each record with \"dup\" added (and its keypoints\n"
    "dropped), then one record per group and a summary.  A group is a star around\n"
    "its keeper: each member matches the keeper.\n\n"
    "      --keep POLICY   how keepers are chosen, a comma list of resolution, size,\n"
    "                      date, format, name (default resolution,date,size,name:\n"
    "                      most pixels, then oldest, then largest file)\n"
    "      --format-order LIST  formats best first, for the format key (default\n"
    "                      png,tiff,webp,jpeg,gif: lossless before lossy)\n"
    "      --prefer PREFIX names under PREFIX are kept first (may be repeated;\n"
    "                      earlier ones win)\n"
    "      --phash-max N   largest perceptual-hash distance of a near pair (12)\n"
    "      --dhash-max N   largest difference-hash distance (default 16)\n"
    "      --whash-max N   largest wavelet-hash distance (default 16)\n"
    "      --exact-only    only group byte-identical images\n"
    "      --no-local      ignore keypoints: no crop candidates, no verification\n"
    "      --local-min N   keypoint matches that make a local match (default 16)\n"
    "      --keypoints N   strongest keypoints used per image (default 128)\n"
    "      --kp-cache MB   memory for unpacked keypoints; the rest wait in a\n"
    "                      temporary file (default 256)\n"
    "      --html FILE     also write a page showing each group side by side (with\n"
    "                      the thumbnails featx makes on request), sortable\n"
    "      --rotations     also match mirrored and turned copies (90, 180, 270\n"
    "                      degrees, flips; needs featx's phash_orientations): the\n"
    "                      default\n"
    "      --no-rotations  match images only as they are turned\n"
    "      --mode MODE     star: each member matches its keeper (default); clique:\n"
    "                      every member matches every other; components: matches\n"
    "                      chain (A~B~C puts A with C)\n"
    "      --search HOW    index: find candidate pairs by multi-index hashing on the\n"
    "                      perceptual hash (default); all: compare every pair (same\n"
    "                      groups, for checking)\n"
    "  -j, --threads N     threads for the search and the keypoint checks (default:\n"
    "                      the number of cores)\n"
    "      --device DEV    cpu (default), or cuda[:N]: the hash search on CUDA GPU N\n";

/* "png,tiff,..." into d->formats; -1 after a usage error when malformed. */
static int parse_formats(struct dd *d, const char *list)
{
	const char *p = list;

	d->nformats = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof d->formats[0] || d->nformats == 8) {
			tool_usage("--format-order: expected a comma list of up to 8 formats, got '%s'", list);
			return -1;
		}
		memcpy(d->formats[d->nformats], p, n);
		d->formats[d->nformats++][n] = '\0';
		p += n + (p[n] == ',');
	}
	if (d->nformats == 0) {
		tool_usage("--format-order: empty list");
		return -1;
	}
	return 0;
}

static long long parse_mtime(const char *s)
{
	struct tm tm;
	int n = 0;

	if (s == NULL)
		return LLONG_MAX;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return LLONG_MAX;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_sha256(const char *hex, unsigned char out[32])
{
	if (hex == NULL)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[64] == '\0' ? 0 : -1;
}

/* The record's "local" field (base64 of kp_pack) as bytes, in *raw (malloc'd) and
 * *rawlen; *raw stays NULL when there is none, or when it is not base64 (then said in
 * warn).  0, or AD_ENOMEM.  The bytes go to the keypoint cache, which checks them. */
static int local_from_rec(const json_t *rec, const char *name, unsigned char **raw,
    size_t *rawlen, char *warn, size_t wlen)
{
	const char *b64 = rec_str(rec, "local");
	size_t len = b64 ? strlen(b64) : 0;
	int n;

	*raw = NULL;
	*rawlen = 0;
	if (b64 == NULL)
		return 0;
	if (len % 4 != 0 || len > (size_t)INT_MAX / 2) {
		snprintf(warn, wlen, "%s: local: not base64 (keypoints ignored)", name);
		return 0;
	}
	if ((*raw = malloc(len / 4 * 3 + 1)) == NULL)
		return AD_ENOMEM;
	n = EVP_DecodeBlock(*raw, (const unsigned char *)b64, (int)len);
	if (n >= 0 && len >= 1 && b64[len - 1] == '=')
		n -= 1 + (len >= 2 && b64[len - 2] == '=');
	if (n < 0) {
		snprintf(warn, wlen, "%s: local: not base64 (keypoints ignored)", name);
		free(*raw);
		*raw = NULL;
		return 0;
	}
	*rawlen = (size_t)n;
	return 0;
}

/* Fills it from rec; -1 (with a message in err) when the record has no usable features.
 * Runs on the reading threads. */
static int item_from_rec(const struct dd *d, const json_t *rec, struct grp_item *it,
    uint8_t color[48], int *has_color, aderr *err)
{
	const char *md5 = rec_str(rec, "content_md5");
	long long w = rec_int(rec, "width", -1), h = rec_int(rec, "height", -1);

	memset(it, 0, sizeof(*it));
	it->name = rec_name(rec);
	if (it->name == NULL)
		return aderr_set(err, AD_EFORMAT, "record has no name");
	if (hash_from_hex(rec_str(rec, "phash"), &it->phash) < 0 ||
	    hash_from_hex(rec_str(rec, "dhash"), &it->dhash) < 0 ||
	    hash_from_hex(rec_str(rec, "whash"), &it->whash) < 0)
		return aderr_set(err, AD_EFORMAT, "no features (run featx first)");
	it->has_sha256 = parse_sha256(rec_str(rec, "sha256"), it->sha256) == 0;
	if (d->rotations) {
		const json_t *a = json_object_get(rec, "phash_orientations");

		it->has8 = json_array_size(a) == 8;
		for (size_t k = 0; it->has8 && k < 8; k++)
			it->has8 = hash_from_hex(json_string_value(json_array_get(a, k)), &it->phash8[k]) == 0;
	}
	{
		const char *col = rec_str(rec, "color");

		*has_color = col != NULL && strlen(col) == 2 * 48;
		for (size_t k = 0; *has_color && k < 48; k++) {
			int hi = hexval(col[2 * k]), lo = hexval(col[2 * k + 1]);

			*has_color = hi >= 0 && lo >= 0;
			color[k] = (uint8_t)(hi << 4 | (lo & 15));
		}
	}
	it->low_info = (int8_t)json_is_true(json_object_get(rec, "low_info"));
	if (md5 != NULL && strlen(md5) < sizeof(it->content_md5))
		strcpy(it->content_md5, md5);
	it->size = rec_int(rec, "size", -1);
	it->pixels = w > 0 && h > 0 ? w * h : -1;
	it->mtime = parse_mtime(rec_str(rec, "mtime"));
	it->prefer = INT_MAX;
	it->format_rank = d->nformats;
	{
		const char *f = rec_str(rec, "format");

		for (int i = 0; f != NULL && i < d->nformats; i++)
			if (strcmp(f, d->formats[i]) == 0) {
				it->format_rank = i;
				break;
			}
	}
	for (int i = 0; i < d->nprefer; i++) {
		if (strncmp(it->name, d->prefer[i], strlen(d->prefer[i])) == 0) {
			it->prefer = i;
			break;
		}
	}
	return 0;
}

/* One input line as a reading thread leaves it for the main thread to append. */
struct parsed {
	char *text;         /* the record as compact JSON, less "local" and "dup"; NULL for a
	                     * group or summary record of an earlier report (dropped) */
	struct grp_item it; /* its features, when has_item */
	int has_item;
	uint8_t color[48];  /* its colour grid, when has_color */
	int has_color;
	unsigned char *raw; /* its packed keypoints, or NULL */
	size_t rawlen;
	int failed;         /* a record without usable features, now an error record */
	int oom;
	long bad;           /* the line number of a malformed line, else 0 */
	char msg[1100];     /* what to say about it, in input order; "" for nothing */
};

/* Lines are read on the main thread in batches and parsed on all threads: jansson's
 * parser is most of dedupe's time on a million records. */
#define BATCH_LINES 8192

struct batch {
	const struct dd *d;
	const char *label;
	char *text;         /* the batch's lines, each NUL-terminated */
	size_t *off, *len;
	long *lineno;
	struct parsed *out;
	size_t n, next;
	pthread_mutex_t mu;
};

static void parse_line(const struct dd *d, const char *label, long lineno, const char *line,
    size_t len, struct parsed *p)
{
	json_t *rec = rec_parse(label, lineno, line, len, &p->bad);
	char warn[400];

	warn[0] = '\0';
	memset(&p->it, 0, sizeof p->it);
	p->text = NULL;
	p->raw = NULL;
	p->rawlen = 0;
	p->has_item = p->failed = p->oom = 0;
	p->msg[0] = '\0';
	if (rec == NULL) {
		p->oom = 1;
		return;
	}
	if (json_object_get(rec, "type") != NULL) {
		json_decref(rec);
		return;
	}
	if (p->bad)
		snprintf(p->msg, sizeof p->msg, "%s", json_string_value(json_object_get(
		    json_object_get(rec, "error"), "message")));
	json_object_del(rec, "dup");
	if (!rec_has_error(rec)) {
		aderr why = {0};

		if (item_from_rec(d, rec, &p->it, p->color, &p->has_color, &why) < 0) {
			const char *name = rec_name(rec);

			snprintf(p->msg, sizeof p->msg, "%s: %s", name ? name : "(no name)", why.msg);
			p->oom = rec_set_error(rec, "dedupe", aderr_name(why.code), why.msg) < 0;
			p->failed = 1;
		} else if (d->local && local_from_rec(rec, p->it.name, &p->raw, &p->rawlen, warn,
		    sizeof warn) < 0) {
			p->oom = 1;
		} else if ((p->it.name = strdup(p->it.name)) == NULL) {
			/* the item outlives the record: it keeps its own name */
			p->oom = 1;
		} else {
			p->has_item = 1;
			if (warn[0] != '\0')
				snprintf(p->msg, sizeof p->msg, "%s", warn);
		}
	}
	/* the keypoints are in the item now; the report does not carry them */
	json_object_del(rec, "local");
	if (!p->oom && (p->text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		p->oom = 1;
	if (p->oom) {
		if (p->has_item)
			free((char *)p->it.name);
		free(p->raw);
		p->raw = NULL;
		p->has_item = 0;
	}
	json_decref(rec);
}

static void *parse_worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		size_t from, to;

		pthread_mutex_lock(&b->mu);
		from = b->next;
		to = from + 64 < b->n ? from + 64 : b->n;
		b->next = to;
		pthread_mutex_unlock(&b->mu);
		if (from >= b->n)
			return NULL;
		for (size_t i = from; i < to; i++)
			parse_line(b->d, b->label, b->lineno[i], b->text + b->off[i], b->len[i],
			    &b->out[i]);
	}
}

static int grow(struct dd *d)
{
	size_t cap = d->cap ? d->cap * 2 : 1024;
	long *it;
	struct grp_item *gi;

	if ((it = realloc(d->item, cap * sizeof(*it))) == NULL)
		return -1;
	d->item = it;
	if ((gi = realloc(d->items, cap * sizeof(*gi))) == NULL)
		return -1;
	d->items = gi;
	if (d->colors != NULL) {
		uint8_t (*c)[48] = realloc(d->colors, cap * sizeof *c);

		if (c == NULL)
			return -1;
		d->colors = c;
	}
	d->cap = cap;
	return 0;
}

/* The spool: a temporary file in $TMPDIR (or /tmp), unlinked at once so that nothing
 * is left behind whatever happens to the run. */
static int spool_open(struct dd *d, aderr *err)
{
	const char *dir = getenv("TMPDIR");
	char path[300];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(d->spool_dir, sizeof d->spool_dir, "%s", dir);
	if ((size_t)snprintf(path, sizeof path, "%s/dedupe.XXXXXX", dir) >= sizeof path)
		return aderr_set(err, AD_EUSAGE, "TMPDIR: path too long");
	if ((fd = mkstemp(path)) < 0)
		return aderr_errno(err, AD_EIO, errno, "a temporary file in %s", dir);
	unlink(path);
	if ((d->spool = fdopen(fd, "w+")) == NULL) {
		int e = errno;

		close(fd);
		return aderr_errno(err, AD_ENOMEM, e, "a temporary file in %s", dir);
	}
	return 0;
}

/* What a parsed line holds, when it is not kept. */
static void drop_parsed(struct parsed *p)
{
	free(p->text);
	free(p->raw);
	if (p->has_item)
		free((char *)p->it.name);
	p->text = NULL;
	p->raw = NULL;
	p->has_item = 0;
}

/* Appends a parsed line in input order: its item to d, its text to the spool, its
 * keypoints to the cache.  0, or -1 with err set (the line is freed either way). */
static int append(struct dd *d, struct parsed *p, struct progress *pr, aderr *err)
{
	size_t len;

	if (p->oom)
		return aderr_set(err, AD_ENOMEM, "out of memory after %zu records", d->nrecs);
	if (p->text == NULL) {
		d->dropped++;
		return 0;
	}
	len = strlen(p->text);
	p->text[len] = '\n';
	if (fwrite(p->text, 1, len + 1, d->spool) != len + 1) {
		int e = errno;

		drop_parsed(p);
		return aderr_errno(err, AD_EIO, e ? e : EIO, "writing a temporary file in %s "
		    "(set TMPDIR to a folder with room)", d->spool_dir);
	}
	free(p->text);
	p->text = NULL;
	if (d->nrecs == d->cap && grow(d) < 0) {
		drop_parsed(p);
		return aderr_set(err, AD_ENOMEM, "out of memory after %zu records", d->nrecs);
	}
	if (p->msg[0] != '\0')
		log_err("%s", p->msg);
	if (p->raw != NULL) {
		aderr e = {0};
		int rc = kpcache_add(d->kps, p->raw, p->rawlen, &p->it.kp_id, &e);

		if (rc == AD_EFORMAT) {
			log_err("%s: local: not a keypoint packing (keypoints ignored)", p->it.name);
		} else if (rc < 0) {
			drop_parsed(p);
			*err = e;
			return rc;
		} else {
			size_t n = (p->rawlen - KP_PACKED_HEAD) / KP_PACKED_SIZE;

			p->it.has_kp = n > 0;
			p->it.nkp = n < (size_t)d->keypoints ? (int)n : d->keypoints;
		}
		free(p->raw);
		p->raw = NULL;
	}
	d->malformed += p->bad != 0;
	d->failed_here += p->failed;
	d->item[d->nrecs] = -1;
	if (p->has_item && p->has_color && d->colors == NULL &&
	    (d->colors = malloc(d->cap * sizeof *d->colors)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (p->has_item) {
		if (p->has_color)
			memcpy(d->colors[d->nitems], p->color, sizeof p->color);
		/* a mark for now: the grid's place is set once every item is in (the array
		 * moves as it grows) */
		p->it.color = p->has_color ? p->color : NULL;
		d->items[d->nitems] = p->it;
		d->item[d->nrecs] = (long)d->nitems++;
	}
	d->nrecs++;
	progress_tick(pr, p->bad != 0);
	return 0;
}

static int read_all(struct dd *d, const char *in, struct progress *pr, aderr *err)
{
	rec_reader *r = rec_reader_open(in, err);
	struct batch b = { d, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t tcap = 1 << 20, tlen;
	int got = 1, rc = 0, nt = d->threads < 1 ? 1 : d->threads > 64 ? 64 : d->threads;
	pthread_t tid[64];

	if (r == NULL)
		return err->code;
	if (spool_open(d, err) < 0) {
		rec_reader_close(r);
		return err->code;
	}
	/* counting the lines reads the input twice: only for a progress line on screen */
	if (pr->tty)
		pr->total = rec_reader_total(r);
	b.label = rec_reader_label(r);
	b.text = malloc(tcap);
	b.off = malloc(BATCH_LINES * sizeof *b.off);
	b.len = malloc(BATCH_LINES * sizeof *b.len);
	b.lineno = malloc(BATCH_LINES * sizeof *b.lineno);
	b.out = malloc(BATCH_LINES * sizeof *b.out);
	if (b.text == NULL || b.off == NULL || b.len == NULL || b.lineno == NULL || b.out == NULL)
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
	/* jansson seeds its hash function on first use; do it before the threads race to */
	json_object_seed(0);
	while (rc == 0 && got > 0) {
		int started = 0;

		for (b.n = b.next = 0, tlen = 0; b.n < BATCH_LINES; b.n++) {
			const char *line;
			size_t len;

			if ((got = rec_read_line(r, &line, &len, err)) <= 0)
				break;
			if (tlen + len + 1 > tcap) {
				char *t;

				while (tlen + len + 1 > tcap)
					tcap *= 2;
				if ((t = realloc(b.text, tcap)) == NULL) {
					got = aderr_set(err, AD_ENOMEM, "out of memory");
					break;
				}
				b.text = t;
			}
			memcpy(b.text + tlen, line, len + 1);
			b.off[b.n] = tlen;
			b.len[b.n] = len;
			b.lineno[b.n] = rec_reader_line(r);
			tlen += len + 1;
		}
		if (got < 0) {
			rc = got;
			break;
		}
		for (int t = 1; t < nt && (size_t)t * 256 < b.n; t++)
			if (pthread_create(&tid[started], NULL, parse_worker, &b) == 0)
				started++;
		parse_worker(&b);
		for (int t = 0; t < started; t++)
			pthread_join(tid[t], NULL);
		for (size_t i = 0; i < b.n; i++)
			if (rc == 0)
				rc = append(d, &b.out[i], pr, err);
			else    /* after a failure, the rest of the batch is freed, not kept */
				drop_parsed(&b.out[i]);
	}
	free(b.text);
	free(b.off);
	free(b.len);
	free(b.lineno);
	free(b.out);
	rec_reader_close(r);
	return rc;
}

static const char *stage_word(int st)
{
	return st == GRP_EXACT ? "exact" : st == GRP_LOCAL ? "local" : "near";
}

/* What tied a duplicate to its keeper: the bytes; the hashes, with the margin of the
 * pair's perceptual-hash distance below the nearest distinct neighbour; or the keypoints
 * (matches, inliers, the share of the picture they span, and whether the hashes matched
 * too in a crowded neighbourhood).  The colour-grid difference when both are colourful. */
static json_t *evidence_object(const struct grp_item *it)
{
	json_t *e;

	if (it->stage == GRP_EXACT)
		return json_pack("{s:s}", "kind", "exact");
	if (it->stage == GRP_LOCAL)
		e = json_pack("{s:s,s:i,s:i,s:f,s:b}", "kind", "keypoints", "inliers", it->inliers,
		    "matches", it->matches, "coverage", (double)(int)(it->cover * 1000 + 0.5) / 1000,
		    "hashes_matched", it->verified == 1);
	else if (it->margin >= GRP_MARGIN_OPEN)
		e = json_pack("{s:s,s:i,s:s}", "kind", "hash", "phash", it->dist[0], "margin", "open");
	else if (it->margin >= 0)
		e = json_pack("{s:s,s:i,s:i}", "kind", "hash", "phash", it->dist[0], "margin",
		    it->margin);
	else    /* components: joined through other members */
		e = json_pack("{s:s,s:i}", "kind", "chain", "phash", it->dist[0]);
	if (e != NULL && it->color_diff >= 0)
		json_object_set_new(e, "color", json_integer(it->color_diff));
	return e;
}

/* Why a keeper was kept, in words: the key that put it before its best-ranked member. */
static const char *kept_because(const struct grp_item *k)
{
	switch (k->kept_by) {
	case KEEP_PREFER: return "prefer";
	case KEEP_RESOLUTION: return "resolution";
	case KEEP_SIZE: return "size";
	case KEEP_DATE: return "date";
	case KEEP_FORMAT: return "format";
	default: return "name";
	}
}

static json_t *dup_object(const struct dd *d, const struct grp_item *it)
{
	if (it->group == 0)
		return json_pack("{s:s}", "role", "unique");
	if (it->keeper == it - d->items)
		return json_pack("{s:s,s:I,s:I,s:s,s:s}", "role", "keeper", "group",
		    (json_int_t)it->group, "count", (json_int_t)it->count, "kept_because",
		    kept_because(it), "over", it->runner_up >= 0 ? d->items[it->runner_up].name : "");
	{
		json_t *j = json_pack("{s:s,s:I,s:s,s:s,s:i,s:i,s:i}", "role", "duplicate",
		    "group", (json_int_t)it->group, "keeper", d->items[it->keeper].name,
		    "stage", stage_word(it->stage), "phash", it->dist[0], "dhash", it->dist[1],
		    "whash", it->dist[2]);

		if (j != NULL && it->orient != 1)
			json_object_set_new(j, "orientation", json_integer(it->orient));
		if (j != NULL && it->stage == GRP_LOCAL)
			json_object_set_new(j, "inliers", json_integer(it->inliers));
		if (j != NULL)
			json_object_set_new(j, "evidence", evidence_object(it));
		return j;
	}
}

static int cmp_member(const void *pa, const void *pb, void *ud)
{
	const struct grp_item *items = ud;
	const struct grp_item *a = &items[*(const size_t *)pa], *b = &items[*(const size_t *)pb];

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	/* the keeper first, then the members by name */
	if ((a->keeper == a - items) != (b->keeper == b - items))
		return a->keeper == a - items ? -1 : 1;
	return strcmp(a->name, b->name);
}

struct totals {
	long images, unique, groups, dups, exact, near, local, failed;
	long long saved;
	json_t *by_stage;
};

/* The evidence of a duplicate, or why a keeper was kept, as one line of text (malloc'd;
 * NULL when out of memory, and the page goes without it). */
static char *why_text(const struct dd *d, const struct grp_item *it)
{
	char *t = NULL;
	int rc;

	if (it->keeper == it - d->items)
		rc = asprintf(&t, "kept: %s, over %s", kept_because(it),
		    it->runner_up >= 0 ? d->items[it->runner_up].name : "-");
	else if (it->stage == GRP_EXACT)
		rc = asprintf(&t, "same bytes");
	else if (it->stage == GRP_LOCAL)
		rc = asprintf(&t, "keypoints: %d inliers of %d matches, coverage %.2f%s", it->inliers,
		    it->matches, it->cover, it->verified == 1 ? " (hashes matched in a crowded neighbourhood)" : "");
	else if (it->margin >= GRP_MARGIN_OPEN)
		rc = asprintf(&t, "hashes: no distinct neighbour within reach%s",
		    it->verified == 2 ? " (taken on a neighbourhood of verified copies)" : "");
	else
		rc = asprintf(&t, "hashes: %d bits below the nearest distinct neighbour%s", it->margin,
		    it->verified == 2 ? " (taken on a neighbourhood of verified copies)" : "");
	if (rc >= 0 && it->color_diff >= 0 && it->keeper != it - d->items) {
		char *u = NULL;

		if (asprintf(&u, "%s; colour difference %d", t, it->color_diff) >= 0) {
			free(t);
			t = u;
		}
	}
	return rc < 0 ? NULL : t;
}

/* The visual report: the groups in order (order[0..nin) sorted by group, keeper first). */
static int write_html(struct dd *d, const size_t *order, size_t nin, const struct totals *t,
    aderr *err)
{
	struct html_group *g = calloc(t->groups ? (size_t)t->groups : 1, sizeof *g);
	struct html_member *m = calloc(nin ? nin : 1, sizeof *m);
	char **why = calloc(nin ? nin : 1, sizeof *why);
	size_t ng = 0;
	char *summary = NULL;
	int rc;

	if (g == NULL || m == NULL || why == NULL) {
		free(g);
		free(m);
		free(why);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	for (size_t a = 0; a < nin; ) {
		size_t b = a;
		long id = d->items[order[a]].group;

		g[ng].id = id;
		g[ng].m = &m[a];
		for (; b < nin && d->items[order[b]].group == id; b++) {
			const struct grp_item *it = &d->items[order[b]];
			struct html_member *x = &m[b];

			x->name = it->name;
			x->thumb = d->thumb[order[b]];
			x->w = d->w[order[b]];
			x->h = d->h[order[b]];
			x->size = it->size;
			x->stage = stage_word(it->stage);
			memcpy(x->dist, it->dist, sizeof x->dist);
			x->orient = it->orient;
			x->why = why[b] = why_text(d, it);
			if (b > a)
				g[ng].saved += it->size > 0 ? it->size : 0;
		}
		g[ng++].n = b - a;
		a = b;
	}
	if (asprintf(&summary, "%ld images: %ld groups, %ld duplicates (%ld exact, %ld near, "
	    "%ld local), %ld unique, %ld failed; %.1f MB to save", t->images, t->groups, t->dups,
	    t->exact, t->near, t->local, t->unique, t->failed, (double)t->saved / 1e6) < 0)
		summary = NULL;
	rc = summary ? html_write(d->html, g, ng, summary, err) :
	    aderr_set(err, AD_ENOMEM, "out of memory");
	free(summary);
	free(g);
	free(m);
	for (size_t i = 0; i < nin; i++)
		free(why[i]);
	free(why);
	return rc;
}

/* The record's text with "dup" added as its last field: the text is what jansson wrote
 * for the record (compact, with "dup" taken out), so this is the text jansson would
 * write for the record with "dup" set, without parsing it again. */
static int write_with_dup(rec_writer *w, const struct dd *d, const struct grp_item *it,
    const char *text, size_t len, char **line, size_t *cap, aderr *err)
{
	static const char unique[] = "{\"role\":\"unique\"}";
	json_t *j = NULL;
	char *dup = NULL;
	const char *dt = unique;
	size_t dl, need;
	int rc;

	if (it->group != 0) {
		if ((j = dup_object(d, it)) == NULL ||
		    (dup = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
			json_decref(j);
			return aderr_set(err, AD_ENOMEM, "out of memory writing the report");
		}
		json_decref(j);
		dt = dup;
	}
	dl = strlen(dt);
	need = len + dl + 16;
	if (need > *cap) {
		char *t = realloc(*line, need);

		if (t == NULL) {
			free(dup);
			return aderr_set(err, AD_ENOMEM, "out of memory writing the report");
		}
		*line = t;
		*cap = need;
	}
	/* text is "{...}": drop its "}", add [,]"dup":DUP} */
	memcpy(*line, text, len - 1);
	need = len - 1;
	if (len > 2)
		(*line)[need++] = ',';
	memcpy(*line + need, "\"dup\":", 6);
	need += 6;
	memcpy(*line + need, dt, dl);
	need += dl;
	(*line)[need++] = '}';
	rc = rec_write_raw(w, *line, need, err);
	free(dup);
	return rc;
}

static int write_report(struct dd *d, long ngroups, const struct grp_opts *o,
    const struct grp_stats *st, const char *out, struct totals *t, aderr *err)
{
	rec_writer *w = rec_writer_open(out, err);
	size_t *order = NULL, nin = 0, linecap = 0, textcap = 0;
	char keep[128], *line = NULL, *text = NULL;
	json_t *j;
	int rc = 0;

	if (w == NULL)
		return err->code;
	if (d->html != NULL) {
		d->thumb = calloc(d->nitems ? d->nitems : 1, sizeof *d->thumb);
		d->w = calloc(d->nitems ? d->nitems : 1, sizeof *d->w);
		d->h = calloc(d->nitems ? d->nitems : 1, sizeof *d->h);
		if (d->thumb == NULL || d->w == NULL || d->h == NULL) {
			rec_writer_close(w, 0, NULL);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
	}
	t->by_stage = json_object();
	if (fflush(d->spool) != 0 || ferror(d->spool) || fseek(d->spool, 0, SEEK_SET) != 0)
		rc = aderr_errno(err, AD_EIO, errno ? errno : EIO, "a temporary file in %s",
		    d->spool_dir);
	for (size_t i = 0; i < d->nrecs && rc == 0; i++) {
		ssize_t got = getline(&text, &textcap, d->spool);
		size_t len;

		if (got < 2 || text[got - 1] != '\n') {
			rc = aderr_errno(err, AD_EIO, errno ? errno : EIO, "reading back a temporary "
			    "file in %s", d->spool_dir);
			break;
		}
		text[got - 1] = '\0';
		len = (size_t)got - 1;
		if (d->item[i] >= 0) {
			const struct grp_item *it = &d->items[d->item[i]];

			if (d->thumb != NULL && it->group != 0) {
				json_t *rec = json_loads(text, 0, NULL);
				const char *th = rec_str(rec, "thumb");
				long k = d->item[i];

				d->thumb[k] = th ? strdup(th) : NULL;
				d->w[k] = rec_int(rec, "width", -1);
				d->h[k] = rec_int(rec, "height", -1);
				json_decref(rec);
			}
			rc = write_with_dup(w, d, it, text, len, &line, &linecap, err);
			t->images++;
			if (it->group == 0)
				t->unique++;
			if (it->group != 0 && it->keeper != it - d->items) {
				t->dups++;
				*(it->stage == GRP_EXACT ? &t->exact : it->stage == GRP_LOCAL ? &t->local :
				    &t->near) += 1;
				t->saved += it->size > 0 ? it->size : 0;
			}
		} else {
			json_t *rec = json_loads(text, 0, NULL);

			if (rec_has_error(rec)) {
				const char *stage = rec_error_stage(rec);

				stage = stage ? stage : "unknown";
				t->failed++;
				json_object_set_new(t->by_stage, stage, json_integer(
				    json_integer_value(json_object_get(t->by_stage, stage)) + 1));
			}
			json_decref(rec);
			rc = rec_write_raw(w, text, len, err);
		}
	}
	free(text);
	free(line);
	t->groups = ngroups;

	/* one record per group, in group order (keeper-name order) */
	if (rc == 0 && ngroups > 0) {
		order = malloc(d->nitems * sizeof(*order));
		if (order == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (rc == 0 && order != NULL) {
		for (size_t i = 0; i < d->nitems; i++)
			if (d->items[i].group != 0)
				order[nin++] = i;
		qsort_r(order, nin, sizeof(*order), cmp_member, d->items);
	}
	for (size_t a = 0; rc == 0 && a < nin;) {
		const struct grp_item *k = &d->items[order[a]];
		json_t *members = json_array();
		long long saved = 0;
		size_t b;

		for (b = a + 1; b < nin && d->items[order[b]].group == k->group; b++) {
			const struct grp_item *m = &d->items[order[b]];

			saved += m->size > 0 ? m->size : 0;
			json_t *mj = json_pack("{s:s,s:s,s:i,s:i,s:i,s:I}",
			    "name", m->name, "stage", stage_word(m->stage), "phash", m->dist[0],
			    "dhash", m->dist[1], "whash", m->dist[2], "size", (json_int_t)m->size);

			if (mj != NULL && m->orient != 1)
				json_object_set_new(mj, "orientation", json_integer(m->orient));
			if (mj != NULL && m->stage == GRP_LOCAL)
				json_object_set_new(mj, "inliers", json_integer(m->inliers));
			if (mj != NULL)
				json_object_set_new(mj, "evidence", evidence_object(m));
			json_array_append_new(members, mj);
		}
		j = json_pack("{s:s,s:I,s:s,s:I,s:I,s:o}", "type", "group", "group",
		    (json_int_t)k->group, "keeper", k->name, "count", (json_int_t)k->count,
		    "bytes_saved", (json_int_t)saved, "members", members);
		if (j == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		else
			rc = rec_write(w, j, err);
		json_decref(j);
		a = b;
	}
	if (rc == 0 && d->html != NULL)
		rc = write_html(d, order, nin, t, err);
	free(order);

	grp_keep_string(o, keep, sizeof(keep));
	j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:{s:i,s:i,s:i,s:b},s:s}",
	    "type", "summary", "images", (json_int_t)t->images, "unique", (json_int_t)t->unique,
	    "groups", (json_int_t)t->groups, "duplicates", (json_int_t)t->dups,
	    "exact", (json_int_t)t->exact, "near", (json_int_t)t->near,
	    "bytes_saved", (json_int_t)t->saved, "failed", (json_int_t)t->failed,
	    "failed_by_stage", t->by_stage, "thresholds", "phash", o->phash_max,
	    "dhash", o->dhash_max, "whash", o->whash_max, "exact_only", o->exact_only,
	    "keep", keep);
	if (j != NULL)
		json_object_set_new(j, "mode", json_string(o->mode == GRP_MODE_CLIQUE ? "clique" :
		    o->mode == GRP_MODE_COMPONENTS ? "components" : "star")),
		json_object_set_new(j, "rotations", json_boolean(o->rotations)),
		json_object_set_new(j, "local", json_integer(t->local)),
		json_object_set_new(j, "exact_in_groups", json_integer(grp_exact_pairs(d->items,
		    d->nitems))),
		json_object_set_new(j, "low_info", json_integer((json_int_t)st->low_info)),
		json_object_set_new(j, "search", json_pack("{s:I,s:I,s:I,s:I}",
		    "candidates", (json_int_t)st->candidates,
		    "compared", (json_int_t)st->compared,
		    "local_candidates", (json_int_t)st->local_candidates,
		    "local_verified", (json_int_t)st->local_verified)),
		json_object_set_new(json_object_get(j, "search"), "ambiguous",
		    json_integer((json_int_t)st->ambiguous));
	if (rc == 0)
		rc = j ? rec_write(w, j, err) : aderr_set(err, AD_ENOMEM, "out of memory");
	json_decref(j);
	json_decref(t->by_stage);
	if (rc < 0) {
		rec_writer_close(w, 0, NULL);
		return rc;
	}
	return rec_writer_close(w, 1, err);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "prefer", required_argument, NULL, 'p' },
		{ "format-order", required_argument, NULL, 'F' },
		{ "phash-max", required_argument, NULL, 'P' },
		{ "dhash-max", required_argument, NULL, 'D' },
		{ "whash-max", required_argument, NULL, 'W' },
		{ "exact-only", no_argument, NULL, 'x' },
		{ "search", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "rotations", no_argument, NULL, 'R' },
		{ "no-rotations", no_argument, NULL, 'r' },
		{ "html", required_argument, NULL, 'H' },
		{ "no-local", no_argument, NULL, 'N' },
		{ "device", required_argument, NULL, 'G' },
		{ "local-min", required_argument, NULL, 'M' },
		{ "keypoints", required_argument, NULL, 'K' },
		{ "kp-cache", required_argument, NULL, 'C' },
		TOOL_LONG_THREADS,
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool tl = { .help = help, .col = 22, .flags = TOOL_IN | TOOL_OUT | TOOL_THREADS,
	    .threads = tool_cores() };
	struct dd d = {0};
	struct grp_opts o;
	struct totals t = {0};
	struct progress pr;
	const char *in, *out;
	aderr err = {0};
	int quiet, c, status = 0, go = TOOL_GO;
	struct grp_stats st;
	struct gpu *gpu = NULL;
	int device = -1;
	long ngroups;

	tool_init(argv);
	grp_opts_default(&o);
	d.rotations = o.rotations;
	d.local = o.local;
	d.keypoints = 128;
	d.cache_mb = 256;
	parse_formats(&d, "png,tiff,webp,jpeg,gif");
	d.prefer = calloc((size_t)argc, sizeof(*d.prefer));
	if (d.prefer == NULL) {
		log_err("out of memory");
		return TOOL_ERROR;
	}
	while (go == TOOL_GO && (c = getopt_long(argc, argv, "j:i:o:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "all") == 0)
				o.search = GRP_SEARCH_ALL;
			else if (strcmp(optarg, "index") == 0)
				o.search = GRP_SEARCH_INDEX;
			else
				go = tool_usage("--search: expected all or index, got '%s'", optarg);
			break;
		case 'R': o.rotations = d.rotations = 1; break;
		case 'r': o.rotations = d.rotations = 0; break;
		case 'F':
			if (parse_formats(&d, optarg) < 0)
				go = TOOL_ERROR;
			break;
		case 'H': d.html = optarg; break;
		case 'N': o.local = d.local = 0; break;
		case 'G':
			if (gpu_parse_device(optarg, &device, &err) < 0)
				go = tool_usage("%s", err.msg);
			break;
		case 'M': if (tool_int("--local-min", optarg, 2, 1000, &o.local_min)) go = TOOL_ERROR; break;
		case 'K': if (tool_int("--keypoints", optarg, 2, KP_MAX, &d.keypoints)) go = TOOL_ERROR; break;
		case 'C': if (tool_int("--kp-cache", optarg, 0, 1 << 20, &d.cache_mb)) go = TOOL_ERROR; break;
		case 'm':
			if (strcmp(optarg, "star") == 0)
				o.mode = GRP_MODE_STAR;
			else if (strcmp(optarg, "clique") == 0)
				o.mode = GRP_MODE_CLIQUE;
			else if (strcmp(optarg, "components") == 0)
				o.mode = GRP_MODE_COMPONENTS;
			else
				go = tool_usage("--mode: expected star, clique or components, got '%s'",
				    optarg);
			break;
		case 'k':
			if (grp_parse_keep(&o, optarg, &err) < 0)
				go = tool_usage("%s", err.msg);
			break;
		case 'p':
			if (*optarg == '\0')
				go = tool_usage("--prefer: empty prefix");
			d.prefer[d.nprefer++] = optarg;
			break;
		case 'P': if (tool_int("--phash-max", optarg, 0, 64, &o.phash_max)) go = TOOL_ERROR; break;
		case 'D': if (tool_int("--dhash-max", optarg, 0, 64, &o.dhash_max)) go = TOOL_ERROR; break;
		case 'W': if (tool_int("--whash-max", optarg, 0, 64, &o.whash_max)) go = TOOL_ERROR; break;
		case 'x': o.exact_only = 1; break;
		default: go = tool_opt(&tl, c, optarg); break;
		}
	}
	if (go == TOOL_GO && tool_operands(argc, argv, 0) != TOOL_OK)
		go = TOOL_ERROR;
	if (go != TOOL_GO) {
		free(d.prefer);
		return go;
	}
	in = tl.in;
	out = tl.out;
	quiet = tl.quiet;
	o.threads = tl.threads;

	if (device >= 0 && gpu_open(device, &gpu, &err) < 0) {
		log_err("--device cuda:%d: %s", device, err.msg);
		free(d.prefer);
		return 2;
	}
	o.gpu = gpu;
	d.threads = o.threads;
	if (d.local && (d.kps = kpcache_open((size_t)d.cache_mb << 20, d.keypoints, NULL,
	    &err)) == NULL) {
		log_err("%s", err.msg);
		free(d.prefer);
		gpu_close(gpu);
		return 2;
	}
	o.kps = d.kps;
	progress_init(&pr, log_prog(), -1, quiet);
	if (read_all(&d, in, &pr, &err) < 0) {
		log_err("%s", err.msg);
		status = 2;
		goto done;
	}
	for (size_t i = 0; i < d.nitems; i++)
		d.items[i].color = d.items[i].color != NULL ? d.colors[i] : NULL;
	if ((ngroups = grp_run_stats(d.items, d.nitems, &o, &st, &err)) < 0 ||
	    write_report(&d, ngroups, &o, &st, out, &t, &err) < 0) {
		log_err("%s", err.msg);
		status = 2;
	} else {
		progress_done(&pr, "%ld images, %ld groups, %ld duplicates (%ld exact, %ld near, "
		    "%ld local), %ld unique, %ld failed", t.images, t.groups, t.dups, t.exact,
		    t.near, t.local, t.unique, t.failed);
		status = d.failed_here || d.malformed ? 1 : 0;
	}
done:
	if (d.spool != NULL)
		fclose(d.spool);
	for (size_t i = 0; i < d.nitems; i++)
		free((char *)d.items[i].name);
	kpcache_close(d.kps);
	if (d.thumb != NULL)
		for (size_t i = 0; i < d.nitems; i++)
			free(d.thumb[i]);
	free(d.thumb);
	free(d.w);
	free(d.h);
	free(d.item);
	free(d.items);
	free(d.colors);
	free(d.prefer);
	gpu_close(gpu);
	return status;
}
