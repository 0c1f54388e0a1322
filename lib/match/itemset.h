/* itemset.h — the images dedupe groups, collected from feature records in input order.
 *
 * Runs as the collect mode of the record loop (filter.h): itemset_each() reads a record
 * into a slot on the loop's workers, itemset_collect() appends it on the reading thread:
 * one grp_item per record with usable features (the keeper keys --prefer and
 * --format-order rank it by set here), its colour grid, its keypoints into the cache,
 * and for every record its item's index or -1, which the report walks.  The set owns
 * the items' names and its arrays; itemset_free releases them. */
#ifndef AZD_ITEMSET_H
#define AZD_ITEMSET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "group.h"

struct itemset {
	/* settings, from the options */
	const char **prefer;        /* --prefer prefixes, earlier ones win */
	int nprefer;
	char formats[8][8];         /* --format-order, best first */
	int nformats;
	int rotations;              /* read phash_orientations */
	int local;                  /* read the keypoints into kps */
	int keypoints;              /* strongest keypoints used per image */
	struct kpcache *kps;
	/* what was collected */
	struct grp_item *items;
	size_t nitems;
	long *item;                 /* record i's index in items, or -1 */
	size_t nrecs, cap;
	uint8_t (*colors)[48];      /* items' colour grids, allocated at the first one */
};

/* --format-order: "png,tiff,..." (up to 8, best first) into s; AD_EUSAGE when malformed. */
int itemset_formats(struct itemset *s, const char *list, aderr *err);
/* The bytes of the loop's slot (filter.item_size). */
extern const size_t itemset_slot_size;
/* The loop's each_item, collect and drop (ud: the set).  A record of an earlier report
 * (a "type" field: group or summary) is dropped; one without usable features becomes an
 * error record.  Messages about records are said on the reading thread, in input order. */
int itemset_each(void *ud, json_t *rec, void *slot, aderr *err);
int itemset_collect(void *ud, json_t *rec, void *slot, int res, aderr *err);
/* The loop's each_line: itemset_each on a line in jansson's compact form, read in place
 * (the same item and text); FILTER_PARSE for any other line. */
int itemset_each_line(void *ud, char *line, size_t len, void *slot, char **text,
    size_t *textlen, size_t *cap, aderr *err);
void itemset_drop(void *ud, void *slot);
/* After the last record: points the items at their colour grids. */
void itemset_finish(struct itemset *s);
void itemset_free(struct itemset *s);

#endif
