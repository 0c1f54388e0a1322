/* report.c — dedupe's NDJSON report and the driving of its HTML page: the spooled
 * records with "dup" added, the group records, the summary. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decisions.h"
#include "rec.h"
#include "report_html.h"

/* What the writing needs besides the set: the HTML page's extras per item (a thumbnail
 * and the size in pixels, read back from the spooled records of grouped items) and the
 * failures by stage. */
struct rep {
	const struct itemset *s;
	const struct grp_item *items;
	const char *html;
	html_page *page;            /* the page being written, or NULL */
	char **sha, **url, **thumb; /* per item: the checksum, the original's URL, the key
	                             * of its thumbnail file (html_thumb) */
	long long *w, *h;
	json_t *by_stage;
};

static const char *stage_word(int st)
{
	return st == GRP_EXACT ? "exact" : st == GRP_LOCAL ? "local" : "near";
}

/* What tied a duplicate to its keeper: the bytes; the hashes, with the margin of the
 * pair's perceptual-hash distance below the nearest distinct neighbour; or the keypoints
 * (matches, inliers, the share of the picture they span, and whether the hashes matched
 * too in a crowded neighbourhood).  The colour-grid difference when both are colourful. */
static json_t *evidence_object(const struct rep *d, const struct grp_item *it)
{
	json_t *e;

	if (it->stage == GRP_EXACT)
		return json_pack("{s:s}", "kind", "exact");
	if (it->stage == GRP_LOCAL && it->captioned)
		e = json_pack("{s:s,s:s,s:i}", "kind", "caption", "on",
		    it->captioned == 1 ? "duplicate" : "keeper", "detail", it->caption_miss);
	else if (it->stage == GRP_LOCAL)
		e = json_pack("{s:s,s:i,s:i,s:f,s:b}", "kind", "keypoints", "inliers", it->inliers,
		    "matches", it->matches, "coverage", (double)(int)(it->cover * 1000 + 0.5) / 1000,
		    "hashes_matched", it->verified == 1);
	else if (it->margin >= GRP_MARGIN_OPEN)
		e = json_pack("{s:s,s:i,s:s}", "kind", "hash", "phash", it->dist[0], "margin", "open");
	else if (it->margin >= 0)
		e = json_pack("{s:s,s:i,s:i}", "kind", "hash", "phash", it->dist[0], "margin",
		    it->margin);
	else if (it->via >= 0)  /* star: through one member, by a sure link */
		e = json_pack("{s:s,s:i,s:s,s:s}", "kind", "chain", "phash", it->dist[0], "via",
		    d->items[it->via].name, "link", it->via_kp ? "keypoints" : "hashes");
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
	case KEEP_CENTER: return "center";
	case KEEP_DECISION: return "decision";
	default: return "name";
	}
}

/* A duplicate's fields after its distances (in its "dup" and in its group's members):
 * the turn that matched, the keypoint inliers, the evidence.  j, or NULL. */
static json_t *add_tie(json_t *j, const struct rep *d, const struct grp_item *it)
{
	if (j != NULL && it->orient != 1)
		json_object_set_new(j, "orientation", json_integer(it->orient));
	if (j != NULL && it->stage == GRP_LOCAL)
		json_object_set_new(j, "inliers", json_integer(it->inliers));
	if (j != NULL)
		json_object_set_new(j, "evidence", evidence_object(d, it));
	return j;
}

/* A decision kept it out of a group it matched: which image's. */
static json_t *add_released(json_t *j, const struct rep *d, const struct grp_item *it)
{
	if (j != NULL && it->apart_from >= 0) {
		json_object_set_new(j, "released_by", json_string("decision"));
		json_object_set_new(j, "apart_from", json_string(d->items[it->apart_from].name));
	}
	return j;
}

static json_t *dup_object(const struct rep *d, const struct grp_item *it)
{
	if (it->group == 0)
		return add_released(json_pack("{s:s}", "role", "unique"), d, it);
	if (it->keeper == it - d->items)
		return add_released(json_pack("{s:s,s:I,s:I,s:s,s:s}", "role", "keeper", "group",
		    (json_int_t)it->group, "count", (json_int_t)it->count, "kept_because",
		    kept_because(it), "over", it->runner_up >= 0 ? d->items[it->runner_up].name : ""),
		    d, it);
	{
		json_t *j = json_pack("{s:s,s:I,s:s,s:s,s:i,s:i,s:i}", "role", "duplicate",
		    "group", (json_int_t)it->group, "keeper", d->items[it->keeper].name,
		    "stage", stage_word(it->stage), "phash", it->dist[0], "dhash", it->dist[1],
		    "whash", it->dist[2]);

		return add_released(add_tie(j, d, it), d, it);
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

/* The evidence of a duplicate, or why a keeper was kept, as one line of text (malloc'd;
 * NULL when out of memory, and the page goes without it). */
static char *why_text(const struct rep *d, const struct grp_item *it)
{
	char *t = NULL;
	int rc;

	if (it->keeper == it - d->items)
		rc = asprintf(&t, "kept: %s%s, over %s", kept_because(it),
		    it->kept_by == KEEP_CENTER ? " (it lies nearest the rest of its group, as an "
		    "original lies between its copies)" : "",
		    it->runner_up >= 0 ? d->items[it->runner_up].name : "-");
	else if (it->stage == GRP_EXACT)
		rc = asprintf(&t, "same bytes");
	else if (it->stage == GRP_LOCAL && it->captioned)
		rc = asprintf(&t, "caption: the same picture but for a line of text %s carries "
		    "(the rest of the details %d gray levels apart)", it->captioned == 1 ?
		    "it" : "its keeper", it->caption_miss);
	else if (it->stage == GRP_LOCAL)
		rc = asprintf(&t, "keypoints: %d inliers of %d matches, coverage %.2f%s", it->inliers,
		    it->matches, it->cover, it->verified == 1 ? " (hashes matched in a crowded neighbourhood)" : "");
	else if (it->margin < 0 && it->via >= 0 && it->via_kp)
		rc = asprintf(&t, "joined through %s, whose keypoints match its own and whose "
		    "details agree through their transform (perceptual hash %d bits from the keeper)",
		    d->items[it->via].name, it->dist[0]);
	else if (it->margin < 0 && it->via >= 0)
		rc = asprintf(&t, "joined through %s, whose hashes match its own with the margin "
		    "(perceptual hash %d bits from the keeper)", d->items[it->via].name, it->dist[0]);
	else if (it->margin < 0)
		rc = asprintf(&t, "joined through another member (perceptual hash %d bits from the "
		    "keeper)", it->dist[0]);
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
static int write_html(struct rep *d, const size_t *order, size_t nin, const struct report_totals *t,
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
		g[ng].reviewed = d->items[order[a]].reviewed;
		for (; b < nin && d->items[order[b]].group == id; b++) {
			const struct grp_item *it = &d->items[order[b]];
			struct html_member *x = &m[b];

			x->name = it->name;
			x->sha256 = d->sha[order[b]];
			x->url = d->url[order[b]];
			x->thumb = d->thumb[order[b]];
			x->w = d->w[order[b]];
			x->h = d->h[order[b]];
			x->size = it->size;
			x->stage = stage_word(it->stage);
			x->kind = it->stage == GRP_EXACT ? "exact" : it->stage == GRP_LOCAL ?
			    (it->captioned ? "caption" : "keypoints") : it->margin >= 0 ? "hash" :
			    "chain";
			memcpy(x->dist, it->dist, sizeof x->dist);
			x->orient = it->orient;
			x->why = why[b] = why_text(d, it);
			if (b > a) {
				int r = html_rank(x->kind, it->margin >= GRP_MARGIN_OPEN ? -1 :
				    it->margin, it->inliers);

				g[ng].saved += it->size > 0 ? it->size : 0;
				g[ng].rank = b == a + 1 || r < g[ng].rank ? r : g[ng].rank;
			}
		}
		g[ng++].n = b - a;
		a = b;
	}
	if (asprintf(&summary, "%ld images: %ld groups, %ld duplicates (%ld exact, %ld near, "
	    "%ld local), %ld unique, %ld failed; %.1f MB to save", t->images, t->groups, t->dups,
	    t->exact, t->near, t->local, t->unique, t->failed, (double)t->saved / 1e6) < 0)
		summary = NULL;
	rc = summary ? html_commit(d->page, g, ng, summary, err) :
	    aderr_set(err, AD_ENOMEM, "out of memory");
	d->page = NULL;     /* html_commit freed it */
	free(summary);
	free(g);
	free(m);
	for (size_t i = 0; i < nin; i++)
		free(why[i]);
	free(why);
	return rc;
}

/* What the page shows of grouped item K besides its grouping, from its record's TEXT:
 * the checksum, the original's URL, the size in pixels, and its thumbnail, written to the
 * page's folder now (only its key is kept). */
static int page_item(struct rep *d, long k, const char *text, aderr *err)
{
	json_t *rec = json_loads(text, 0, NULL);
	const char *sha = rec_str(rec, "sha256"), *th = rec_str(rec, "thumb");
	char key[32];
	int rc = 0;

	if (sha != NULL && strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64 &&
	    (d->sha[k] = strdup(sha)) == NULL)
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
	d->url[k] = html_url(rec_str(rec, "src"), d->items[k].name);
	d->w[k] = rec_int(rec, "width", -1);
	d->h[k] = rec_int(rec, "height", -1);
	snprintf(key, sizeof key, "i%ld", k);
	if (rc == 0 && th != NULL) {
		rc = html_thumb(d->page, d->sha[k] ? d->sha[k] : key, th, err);
		if (rc == 0 && (d->thumb[k] = strdup(d->sha[k] ? d->sha[k] : key)) == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		rc = rc > 0 ? 0 : rc;
	}
	json_decref(rec);
	return rc;
}

/* A growing text; bad once something was added that jansson would write otherwise. */
struct sbuf {
	char *p;
	size_t n, cap;
	int oom, bad;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *t = b->oom ? NULL : realloc(b->p, cap);

		if (t == NULL) {
			b->oom = 1;
			return;
		}
		b->p = t;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* ,"key": (or without the comma first) */
static void sb_key(struct sbuf *b, const char *key)
{
	if (b->n > 1)
		sb_add(b, ",", 1);
	sb_add(b, "\"", 1);
	sb_add(b, key, strlen(key));
	sb_add(b, "\":", 2);
}

/* a string jansson writes as it is: printable ASCII without quotes or backslashes */
static void sb_str(struct sbuf *b, const char *key, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"' ||
		    s[i] == '\\')
			b->bad = 1;
	sb_key(b, key);
	sb_add(b, "\"", 1);
	sb_add(b, s, n);
	sb_add(b, "\"", 1);
}

static void sb_int(struct sbuf *b, const char *key, long long v)
{
	char t[32];

	sb_key(b, key);
	sb_add(b, t, (size_t)snprintf(t, sizeof t, "%lld", v));
}

/* dup_object's text as json_dumps writes it (compact, in order), without building it:
 * 0 with it in b, or 1 for jansson to write it (a local match's real coverage, a name
 * with characters it escapes or does not leave alone), or AD_ENOMEM. */
static int dup_text(const struct rep *d, const struct grp_item *it, struct sbuf *b)
{
	b->n = 0;
	b->bad = 0;
	if (it->stage == GRP_LOCAL && it->group != 0 && it->keeper != it - d->items)
		return 1;
	sb_add(b, "{", 1);
	if (it->group == 0) {
		sb_str(b, "role", "unique");
	} else if (it->keeper == it - d->items) {
		sb_str(b, "role", "keeper");
		sb_int(b, "group", it->group);
		sb_int(b, "count", it->count);
		sb_str(b, "kept_because", kept_because(it));
		sb_str(b, "over", it->runner_up >= 0 ? d->items[it->runner_up].name : "");
	} else {
		sb_str(b, "role", "duplicate");
		sb_int(b, "group", it->group);
		sb_str(b, "keeper", d->items[it->keeper].name);
		sb_str(b, "stage", stage_word(it->stage));
		sb_int(b, "phash", it->dist[0]);
		sb_int(b, "dhash", it->dist[1]);
		sb_int(b, "whash", it->dist[2]);
		if (it->orient != 1)
			sb_int(b, "orientation", it->orient);
		sb_key(b, "evidence");
		{
			struct sbuf e = { NULL, 0, 0, 0, 0 };

			sb_add(&e, "{", 1);
			if (it->stage == GRP_EXACT) {
				sb_str(&e, "kind", "exact");
			} else {
				sb_str(&e, "kind", it->margin >= 0 ? "hash" : "chain");
				sb_int(&e, "phash", it->dist[0]);
				if (it->margin >= GRP_MARGIN_OPEN)
					sb_str(&e, "margin", "open");
				else if (it->margin >= 0)
					sb_int(&e, "margin", it->margin);
				else if (it->via >= 0) {
					sb_str(&e, "via", d->items[it->via].name);
					sb_str(&e, "link", it->via_kp ? "keypoints" : "hashes");
				}
				if (it->color_diff >= 0)
					sb_int(&e, "color", it->color_diff);
			}
			sb_add(&e, "}", 1);
			if (!e.oom)
				sb_add(b, e.p, e.n);
			b->oom |= e.oom;
			b->bad |= e.bad;
			free(e.p);
		}
	}
	if (it->apart_from >= 0) {
		sb_str(b, "released_by", "decision");
		sb_str(b, "apart_from", d->items[it->apart_from].name);
	}
	sb_add(b, "}", 1);
	if (b->oom)
		return AD_ENOMEM;
	b->p[b->n] = '\0';
	return b->bad ? 1 : 0;
}

/* The record's text with "dup" added as its last field: the text is what jansson wrote
 * for the record (compact, with "dup" taken out), so this is the text jansson would
 * write for the record with "dup" set, without parsing it again. */
static int write_with_dup(rec_writer *w, const struct rep *d, const struct grp_item *it,
    const char *text, size_t len, char **line, size_t *cap, struct sbuf *sb, aderr *err)
{
	static const char unique[] = "{\"role\":\"unique\"}";
	json_t *j = NULL;
	char *dup = NULL;
	const char *dt = unique;
	size_t dl, need;
	int rc;

	if ((it->group != 0 || it->apart_from >= 0) && (rc = dup_text(d, it, sb)) <= 0) {
		if (rc < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory writing the report");
		dt = sb->p;
	} else if (it->group != 0 || it->apart_from >= 0) {
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

int report_write(const struct itemset *set, spool *kept, long ngroups, const struct grp_opts *o,
    const struct grp_stats *st, const char *out, const char *html, struct report_totals *t,
    aderr *err)
{
	struct rep rep = { .s = set, .items = set->items, .html = html }, *d = &rep;
	rec_writer *w = rec_writer_open(out, err);
	size_t *order = NULL, nin = 0, linecap = 0;
	char keep[128], *line = NULL;
	struct sbuf sb = { NULL, 0, 0, 0, 0 };
	json_t *j;
	int rc = 0;

	if (w == NULL)
		return err->code;
	if (d->html != NULL) {
		size_t n = d->s->nitems ? d->s->nitems : 1;

		d->thumb = calloc(n, sizeof *d->thumb);
		d->sha = calloc(n, sizeof *d->sha);
		d->url = calloc(n, sizeof *d->url);
		d->w = calloc(n, sizeof *d->w);
		d->h = calloc(n, sizeof *d->h);
		if (d->thumb == NULL || d->sha == NULL || d->url == NULL || d->w == NULL ||
		    d->h == NULL) {
			rec_writer_close(w, 0, NULL);
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			goto out;
		}
		if ((d->page = html_open(d->html, err)) == NULL) {
			rec_writer_close(w, 0, NULL);
			rc = err->code;
			goto out;
		}
	}
	d->by_stage = json_object();
	rc = spool_rewind(kept, err);
	for (size_t i = 0; i < d->s->nrecs && rc == 0; i++) {
		const char *text;
		size_t len;

		if ((rc = spool_next(kept, &text, &len, err)) <= 0) {
			rc = rc < 0 ? rc : aderr_set(err, AD_EIO, "reading back a temporary file: "
			    "ends early");
			break;
		}
		rc = 0;
		if (d->s->item[i] >= 0) {
			const struct grp_item *it = &d->items[d->s->item[i]];

			if (d->page != NULL && it->group != 0)
				rc = page_item(d, d->s->item[i], text, err);
			if (rc == 0)
				rc = write_with_dup(w, d, it, text, len, &line, &linecap, &sb, err);
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
				json_object_set_new(d->by_stage, stage, json_integer(
				    json_integer_value(json_object_get(d->by_stage, stage)) + 1));
			}
			json_decref(rec);
			rc = rec_write_raw(w, text, len, err);
		}
	}
	free(line);
	free(sb.p);
	t->groups = ngroups;

	/* one record per group, in group order (keeper-name order) */
	if (rc == 0 && ngroups > 0) {
		order = malloc(d->s->nitems * sizeof(*order));
		if (order == NULL)
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (rc == 0 && order != NULL) {
		for (size_t i = 0; i < d->s->nitems; i++)
			if (d->items[i].group != 0)
				order[nin++] = i;
		qsort_r(order, nin, sizeof(*order), cmp_member, (void *)d->items);
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

			json_array_append_new(members, add_tie(mj, d, m));
		}
		j = json_pack("{s:s,s:I,s:s,s:I,s:I,s:o}", "type", "group", "group",
		    (json_int_t)k->group, "keeper", k->name, "count", (json_int_t)k->count,
		    "bytes_saved", (json_int_t)saved, "members", members);
		if (j != NULL && k->reviewed)
			json_object_set_new(j, "reviewed", json_true());
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
	    "failed_by_stage", d->by_stage, "thresholds", "phash", o->phash_max,
	    "dhash", o->dhash_max, "whash", o->whash_max, "exact_only", o->exact_only,
	    "keep", keep);
	if (j != NULL)
		json_object_set_new(j, "mode", json_string(o->mode == GRP_MODE_CLIQUE ? "clique" :
		    o->mode == GRP_MODE_COMPONENTS ? "components" : "star")),
		json_object_set_new(j, "rotations", json_boolean(o->rotations)),
		json_object_set_new(j, "local", json_integer(t->local)),
		json_object_set_new(j, "exact_in_groups", json_integer(grp_exact_pairs(d->items,
		    d->s->nitems))),
		json_object_set_new(j, "low_info", json_integer((json_int_t)st->low_info)),
		json_object_set_new(j, "search", json_pack("{s:I,s:I,s:I,s:I}",
		    "candidates", (json_int_t)st->candidates,
		    "compared", (json_int_t)st->compared,
		    "local_candidates", (json_int_t)st->local_candidates,
		    "local_verified", (json_int_t)st->local_verified)),
		json_object_set_new(json_object_get(j, "search"), "ambiguous",
		    json_integer((json_int_t)st->ambiguous)),
		json_object_set_new(json_object_get(j, "search"), "local_crowded",
		    json_integer((json_int_t)st->local_crowded)),
		json_object_set_new(json_object_get(j, "search"), "hash_crowded",
		    json_integer((json_int_t)st->hash_crowded));
	if (j != NULL && st->decisions != NULL)
		json_object_set_new(j, "decisions", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
		    "total", (json_int_t)st->decisions->total,
		    "applied", (json_int_t)st->decisions->applied,
		    "unmatched", (json_int_t)st->decisions->unmatched,
		    "keepers", (json_int_t)st->decisions->keepers,
		    "released", (json_int_t)st->decisions->released,
		    "reviewed", (json_int_t)st->decisions->reviewed));
	if (rc == 0)
		rc = j ? rec_write(w, j, err) : aderr_set(err, AD_ENOMEM, "out of memory");
	json_decref(j);
	json_decref(d->by_stage);
	if (rc < 0)
		rec_writer_close(w, 0, NULL);
	else
		rc = rec_writer_close(w, 1, err);
out:
	html_abort(d->page);
	for (size_t i = 0; d->thumb && d->sha && d->url && i < d->s->nitems; i++) {
		free(d->thumb[i]);
		free(d->sha[i]);
		free(d->url[i]);
	}
	free(d->thumb);
	free(d->sha);
	free(d->url);
	free(d->w);
	free(d->h);
	return rc;
}
