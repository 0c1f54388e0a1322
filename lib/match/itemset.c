/* itemset.c — feature records into grp_items, on the workers, appended in input order. */
#include "itemset.h"
#include "ink.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "featrec.h"
#include "filter.h"
#include "keypoints.h"
#include "log.h"
#include "rec.h"
#include "recscan.h"

/* One record as a worker leaves it for the reading thread to append. */
struct slot {
	struct grp_item it; /* its features, when has_item */
	int has_item;
	uint8_t color[48];  /* its colour grid, when has_color */
	int has_color;
	unsigned char *raw; /* its packed keypoints, or NULL */
	size_t rawlen;
	int oom;
	char msg[1100];     /* what to say about it, in input order; "" for nothing */
};

const size_t itemset_slot_size = sizeof(struct slot);

static void item_from(const struct itemset *s, const struct featrec *fr, struct grp_item *it)
{
	memset(it, 0, sizeof *it);
	it->name = fr->name;
	it->phash = fr->phash;
	it->dhash = fr->dhash;
	it->whash = fr->whash;
	it->has8 = fr->has8;
	memcpy(it->phash8, fr->phash8, sizeof it->phash8);
	it->has_sha256 = fr->has_sha256;
	memcpy(it->sha256, fr->sha256, sizeof it->sha256);
	it->low_info = (int8_t)fr->low_info;
	/* until keypoints are read for it (itemset_collect) */
	it->unread = 1;
	it->varied = !(fr->info >= 0 && fr->info <= GRP_FLAT_INFO);
	if (fr->content_md5 != NULL && strlen(fr->content_md5) < sizeof it->content_md5)
		strcpy(it->content_md5, fr->content_md5);
	it->size = fr->size;
	it->pixels = fr->pixels;
	it->framed = fr->framed;
	it->area = fr->area;
	memcpy(it->wh, fr->wh, sizeof it->wh);
	for (int i = 0; i < 4; i++)
		it->band[i] = (uint16_t)(fr->band[i] < UINT16_MAX ? fr->band[i] : UINT16_MAX);
	memcpy(it->kpband, fr->kpband, sizeof it->kpband);
	memcpy(it->kpview, fr->kpview, sizeof it->kpview);
	it->mtime = fr->mtime;
	it->prefer = INT_MAX;
	it->format_rank = s->nformats;
	for (int i = 0; fr->format != NULL && i < s->nformats; i++)
		if (strcmp(fr->format, s->formats[i]) == 0) {
			it->format_rank = i;
			break;
		}
	for (int i = 0; i < s->nprefer; i++)
		if (strncmp(it->name, s->prefer[i], strlen(s->prefer[i])) == 0) {
			it->prefer = i;
			break;
		}
}

int itemset_formats(struct itemset *s, const char *list, aderr *err)
{
	const char *p = list;

	s->nformats = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof s->formats[0] || s->nformats == 8)
			return aderr_set(err, AD_EUSAGE, "--format-order: expected a comma list of up "
			    "to 8 formats, got '%s'", list);
		memcpy(s->formats[s->nformats], p, n);
		s->formats[s->nformats++][n] = '\0';
		p += n + (p[n] == ',');
	}
	if (s->nformats == 0)
		return aderr_set(err, AD_EUSAGE, "--format-order: empty list");
	return 0;
}

/* What a slot holds, when it is not kept. */
static void slot_free(struct slot *p)
{
	free(p->raw);
	if (p->has_item)
		free((char *)p->it.name);
	p->raw = NULL;
	p->has_item = 0;
}

/* The slot's item from a record read (either way), with a name of its own, since the
 * item outlives the record; lr 1 when its "local" field was not base64.  p->oom on
 * failure. */
static void slot_take(const struct itemset *s, struct slot *p, const struct featrec *fr,
    int lr)
{
	const char *name;

	if ((name = strdup(fr->name)) == NULL) {
		p->oom = 1;
		return;
	}
	item_from(s, fr, &p->it);
	p->it.name = name;
	p->has_color = fr->has_color;
	memcpy(p->color, fr->color, sizeof p->color);
	p->has_item = 1;
	if (lr == 1)
		snprintf(p->msg, sizeof p->msg, "%s: local: not base64 (keypoints ignored)", name);
}

/* One grid of the record (field, n characters of base64 in b64) into d; 1 when it is
 * one, else 0 (and said, the grid left out). */
static int slot_grid(struct slot *p, const char *field, const char *b64, size_t n,
    unsigned char *d, size_t bytes)
{
	if (n != b64_len(bytes) || b64_decode(b64, n, d) != (long)bytes) {
		if (p->msg[0] == '\0')
			snprintf(p->msg, sizeof p->msg, "%s: %s: not %zu bytes of base64 (left out)",
			    p->it.name ? p->it.name : "(no name)", field, bytes);
		return 0;
	}
	return 1;
}

/* The record's grids (keypoints.h), the fields the report does not carry with
 * "local": each one's name and size in bytes, the detail first. */
enum { GRID_DETAIL, GRID_ALPHA, GRID_COLOR, GRID_FINE, GRID_INK, GRIDS };
static const struct {
	const char *field;
	size_t bytes;           /* 0: as long as it is (a page's ink, ink.h) */
} grid_field[GRIDS] = {
	{ "detail", KP_DETAIL_BYTES }, { "alpha_detail", KP_DETAIL_BYTES },
	{ "color_detail", KP_CHROMA_BYTES }, { "fine_detail", KP_FINE_BYTES }, { "ink", 0 },
};

/* A page's ink as base64 (n characters) into a new buffer (*out, *len), or *out NULL
 * (and said) when it is not one.  0, or -1 when out of memory. */
static int slot_ink(struct slot *p, const char *b64, size_t n, unsigned char **out,
    size_t *len)
{
	unsigned char *b = NULL;
	long got = -1;
	int w, h;

	*out = NULL;
	*len = 0;
	if (n >= 8 && n <= b64_len(INK_MAX_PACKED)) {
		if ((b = malloc(n / 4 * 3 + 3)) == NULL)
			return -1;
		got = b64_decode(b64, n, b);
	}
	/* the header here; the cells when a pair reads them (ink_unpack) */
	if (got < 0 || ink_size(b, (size_t)got, &w, &h) < 0) {
		free(b);
		if (p->msg[0] == '\0')
			snprintf(p->msg, sizeof p->msg, "%s: ink: not an ink packing in base64 (left out)",
			    p->it.name ? p->it.name : "(no name)");
		return 0;
	}
	*out = b;
	*len = (size_t)got;
	return 0;
}

/* The record's grids as base64, joined to the slot's keypoints (b64[k] NULL: grid k is
 * not there): the "detail" (kp_detail_of's grid) as one version-2 packing, with the
 * "alpha_detail" (the shape) as a version-3 one, with the "color_detail" (the colours)
 * as a version 4 or 5, with the "fine_detail" plus KP_PACKED_FINE, with a page's "ink"
 * plus KP_PACKED_INK; nothing without the detail.  A grid that is not one is left out, and said.  0, or -1 when out of memory. */
static int slot_detail(struct slot *p, const char *const b64[GRIDS], const size_t n[GRIDS])
{
	unsigned char g[GRID_INK][(KP_FINE_BYTES + 2) / 3 * 3 + 3], *v2, *ink = NULL;
	int have[GRID_INK];
	size_t len, inklen = 0;

	if (p->raw == NULL || b64[GRID_DETAIL] == NULL || kp_packed_count(p->raw, p->rawlen) < 0 ||
	    p->raw[0] != 1)
		return 0;
	for (int k = 0; k < GRID_INK; k++)
		have[k] = b64[k] != NULL &&
		    slot_grid(p, grid_field[k].field, b64[k], n[k], g[k], grid_field[k].bytes);
	if (!have[GRID_DETAIL])
		return 0;
	if (b64[GRID_INK] != NULL && slot_ink(p, b64[GRID_INK], n[GRID_INK], &ink, &inklen) < 0)
		return -1;
	v2 = kp_pack_detail(p->raw, p->rawlen, g[GRID_DETAIL],
	    have[GRID_ALPHA] ? g[GRID_ALPHA] : NULL, have[GRID_COLOR] ? g[GRID_COLOR] : NULL,
	    have[GRID_FINE] ? g[GRID_FINE] : NULL, ink, inklen, &len);
	free(ink);
	if (v2 == NULL)
		return -1;
	free(p->raw);
	p->raw = v2;
	p->rawlen = len;
	return 0;
}

int itemset_each(void *ud, json_t *rec, void *slot, aderr *err)
{
	const struct itemset *s = ud;
	struct slot *p = slot;
	struct featrec fr;
	aderr why = {0};
	int rc = FILTER_OK;

	(void)err;
	memset(&p->it, 0, sizeof p->it);
	p->raw = NULL;
	p->rawlen = 0;
	p->has_item = p->has_color = p->oom = 0;
	p->msg[0] = '\0';
	if (json_object_get(rec, "type") != NULL)
		return FILTER_DROP;
	json_object_del(rec, "dup");
	if (!rec_has_error(rec)) {
		int lr = 0;

		if (featrec_from_json(rec, s->rotations, &fr, &why) < 0) {
			const char *name = rec_name(rec);

			snprintf(p->msg, sizeof p->msg, "%s: %s", name ? name : "(no name)", why.msg);
			p->oom = rec_set_error(rec, "dedupe", aderr_name(why.code), why.msg) < 0;
			rc = FILTER_FAILED;
		} else if (s->local && (lr = featrec_local(rec, &p->raw, &p->rawlen)) < 0) {
			p->oom = 1;
		} else {
			const char *b64[GRIDS];
			size_t n[GRIDS];

			for (int k = 0; k < GRIDS; k++) {
				b64[k] = rec_str(rec, grid_field[k].field);
				n[k] = b64[k] ? strlen(b64[k]) : 0;
			}
			slot_take(s, p, &fr, lr);
			if (p->has_item && slot_detail(p, b64, n) < 0)
				p->oom = 1;
		}
	}
	/* the keypoints are in the item now; the report does not carry them */
	json_object_del(rec, "local");
	for (int k = 0; k < GRIDS; k++)
		json_object_del(rec, grid_field[k].field);
	if (p->oom)
		slot_free(p);
	return rc;
}

/* itemset_each on the line itself, when it is in jansson's compact form (recscan.h):
 * the same item, message and text, without the record (most of the time of reading was
 * jansson's, building, taking apart and writing again every record). */
int itemset_each_line(void *ud, char *line, size_t len, void *slot, char **text,
    size_t *textlen, size_t *cap, aderr *err)
{
	const struct itemset *s = ud;
	struct slot *p = slot;
	struct rscan_member m[64];
	const struct rscan_member *loc;
	struct featrec fr;
	size_t need = 2, at = 0;
	int n, lr = 0;

	(void)err;
	if (!rscan_object(line, len, m, 64, &n) || rscan_get(m, n, "type") != NULL ||
	    rscan_get(m, n, "error") != NULL)
		return FILTER_PARSE;
	/* the text: the line less "dup", "local" and the grids, which the report does not
	 * carry */
	for (int i = 0; i < n; i++)
		need += m[i].span + 1;
	if (need > *cap) {
		char *t = realloc(*text, need + need / 2);

		if (t == NULL)
			return FILTER_PARSE;        /* its out of memory said there */
		*text = t;
		*cap = need + need / 2;
	}
	(*text)[at++] = '{';
	for (int i = 0; i < n; i++) {
		int grid = 0;

		for (int k = 0; k < GRIDS; k++)
			grid |= m[i].klen == strlen(grid_field[k].field) &&
			    memcmp(m[i].key, grid_field[k].field, m[i].klen) == 0;
		if (grid || (m[i].klen == 3 && memcmp(m[i].key, "dup", 3) == 0) ||
		    (m[i].klen == 5 && memcmp(m[i].key, "local", 5) == 0))
			continue;
		if (at > 1)
			(*text)[at++] = ',';
		memcpy(*text + at, m[i].at, m[i].span);
		at += m[i].span;
	}
	(*text)[at++] = '}';
	memset(&p->it, 0, sizeof p->it);
	p->raw = NULL;
	p->rawlen = 0;
	p->has_item = p->has_color = p->oom = 0;
	p->msg[0] = '\0';
	loc = rscan_get(m, n, "local");
	if (featrec_from_scan(m, n, s->rotations, &fr) < 0)
		return FILTER_PARSE;
	*textlen = at;
	if (s->local && loc != NULL && loc->v.type == RSCAN_STRING &&
	    (lr = featrec_local_text(loc->v.p, loc->v.len, &p->raw, &p->rawlen)) < 0) {
		p->oom = 1;
	} else {
		const char *b64[GRIDS];
		size_t gn[GRIDS];

		for (int k = 0; k < GRIDS; k++) {
			const struct rscan_member *g = rscan_get(m, n, grid_field[k].field);
			int str = g != NULL && g->v.type == RSCAN_STRING;

			b64[k] = str ? g->v.p : NULL;
			gn[k] = str ? g->v.len : 0;
		}
		slot_take(s, p, &fr, lr);
		if (p->has_item && slot_detail(p, b64, gn) < 0)
			p->oom = 1;
	}
	if (p->oom)
		slot_free(p);
	return FILTER_OK;
}

static int grow(struct itemset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	long *it;
	struct grp_item *gi;

	if ((it = realloc(s->item, cap * sizeof(*it))) == NULL)
		return -1;
	s->item = it;
	if ((gi = realloc(s->items, cap * sizeof(*gi))) == NULL)
		return -1;
	s->items = gi;
	if (s->colors != NULL) {
		uint8_t (*c)[48] = realloc(s->colors, cap * sizeof *c);

		if (c == NULL)
			return -1;
		s->colors = c;
	}
	s->cap = cap;
	return 0;
}

int itemset_collect(void *ud, json_t *rec, void *slot, int res, aderr *err)
{
	struct itemset *s = ud;
	static struct slot none;   /* for a malformed line: no item (only this thread reads it) */
	struct slot *p = slot;

	(void)rec;
	if (res == FILTER_DROP)
		return 0;
	if (p == NULL)      /* a malformed line: no item */
		p = &none;
	if (p->oom)
		return aderr_set(err, AD_ENOMEM, "out of memory after %zu records", s->nrecs);
	if (s->nrecs == s->cap && grow(s) < 0) {
		slot_free(p);
		return aderr_set(err, AD_ENOMEM, "out of memory after %zu records", s->nrecs);
	}
	if (p->msg[0] != '\0')
		log_err("%s", p->msg);
	if (p->raw != NULL) {
		aderr e = {0};
		int rc = kpcache_add(s->kps, p->raw, p->rawlen, &p->it.kp_id, &e);

		if (rc == AD_EFORMAT) {
			log_err("%s: local: not a keypoint packing (keypoints ignored)", p->it.name);
		} else if (rc < 0) {
			slot_free(p);
			*err = e;
			return rc;
		} else {
			long n = kp_packed_count(p->raw, p->rawlen);

			p->it.has_kp = n > 0;
			p->it.kp_cached = 1;
			/* featx looked for keypoints: they tell a mark from noise */
			p->it.unread = 0;
			p->it.varied = 0;
			/* none found where there was room to find some (a small icon has none
			 * for want of room, not for want of corners) */
			p->it.smooth = n == 0 && p->rawlen >= KP_PACKED_HEAD &&
			    (p->raw[1] | p->raw[2] << 8) >= GRP_SMOOTH_SIDE &&
			    (p->raw[3] | p->raw[4] << 8) >= GRP_SMOOTH_SIDE;
			p->it.nkp = n < (long)s->keypoints ? (int)n : s->keypoints;
			/* the keypoints' view against the part of the picture it shows (kpview):
			 * featx enlarges a small one */
			if (p->rawlen >= KP_PACKED_HEAD && p->it.area > 0) {
				double va = (double)(p->raw[1] | p->raw[2] << 8) *
				    (p->raw[3] | p->raw[4] << 8);
				double shown = (double)p->it.area *
				    (p->it.kpview[2] - p->it.kpview[0]) / 65535.0 *
				    (p->it.kpview[3] - p->it.kpview[1]) / 65535.0;

				if (shown > 0 && va > shown)
					p->it.kp_enlarge = (float)(va / shown);
			}
		}
		free(p->raw);
		p->raw = NULL;
	}
	s->item[s->nrecs] = -1;
	if (p->has_item && p->has_color && s->colors == NULL &&
	    (s->colors = malloc(s->cap * sizeof *s->colors)) == NULL) {
		slot_free(p);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (p->has_item) {
		if (p->has_color)
			memcpy(s->colors[s->nitems], p->color, sizeof p->color);
		/* a mark for now: the grid's place is set once every item is in (the array
		 * moves as it grows) */
		p->it.color = p->has_color ? p->color : NULL;
		s->items[s->nitems] = p->it;
		s->item[s->nrecs] = (long)s->nitems++;
		p->has_item = 0;
	}
	s->nrecs++;
	return 0;
}

void itemset_drop(void *ud, void *slot)
{
	(void)ud;
	slot_free(slot);
}

void itemset_finish(struct itemset *s)
{
	for (size_t i = 0; i < s->nitems; i++)
		s->items[i].color = s->items[i].color != NULL ? s->colors[i] : NULL;
}

void itemset_free(struct itemset *s)
{
	for (size_t i = 0; i < s->nitems; i++)
		free((char *)s->items[i].name);
	free(s->items);
	free(s->item);
	free(s->colors);
	s->items = NULL;
	s->item = NULL;
	s->colors = NULL;
	s->nitems = s->nrecs = s->cap = 0;
}
