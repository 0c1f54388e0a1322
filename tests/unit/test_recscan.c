/* test_recscan.c — dedupe's reading of a record line in place (recscan, featrec_from_scan,
 * itemset_each_line) gives what the parsed record gives: the same item, colour grid,
 * message and text for the spool, for lines in jansson's compact form (written by
 * jansson here, reals, nested objects, dropped members and odd fields among them); and
 * leaves every other line (spaces, escapes, non-ASCII, "-0", reals jansson writes
 * otherwise, a name twice, malformed text, a record of an earlier report, one with an
 * error or without hashes, a real size) untouched to the parser.  With FILE arguments,
 * every line of each is checked the same way. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "itemset.h"
#include "recscan.h"
#include "unit.h"

static struct itemset fast, slow;
static long accepted, parsed;

/* What each_line makes of a copy of the line (or, when it leaves it, the parser and
 * itemset_each), into fast; the parser and itemset_each into slow; both collected. */
static void one(const char *line, int want_fast)
{
	size_t len = strlen(line), cap = 0, tl = 0;
	char *copy = strdup(line), *text = NULL, *stext = NULL;
	void *a = calloc(1, itemset_slot_size), *b = calloc(1, itemset_slot_size);
	json_t *ra = NULL, *rb = json_loadb(line, len, 0, NULL);
	aderr err = {0};
	int res, sres = FILTER_FAILED;

	res = itemset_each_line(&fast, copy, len, a, &text, &tl, &cap, &err);
	if (want_fast >= 0)
		CHECK_EQ_INT(res == FILTER_OK, want_fast);
	if (res == FILTER_PARSE) {
		CHECK(memcmp(copy, line, len + 1) == 0);        /* the line as it was */
		parsed++;
		ra = json_loadb(line, len, 0, NULL);
		if (ra != NULL && json_is_object(ra))
			res = itemset_each(&fast, ra, a, &err);
		else
			res = FILTER_FAILED;
	} else {
		accepted++;
	}
	if (rb != NULL && json_is_object(rb)) {
		sres = itemset_each(&slow, rb, b, &err);
		stext = json_dumps(rb, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	CHECK_EQ_INT(res, sres);
	if (ra == NULL && stext != NULL && res == FILTER_OK) {
		/* read in place: its text is the parsed record's, less "dup" and "local" */
		CHECK(tl == strlen(stext) && memcmp(text, stext, tl) == 0);
	}
	if (res != FILTER_DROP && sres != FILTER_DROP) {
		CHECK_EQ_INT(itemset_collect(&fast, ra, a, res, &err), 0);
		CHECK_EQ_INT(itemset_collect(&slow, rb, b, sres, &err), 0);
	} else {
		itemset_drop(&fast, a);
		itemset_drop(&slow, b);
	}
	json_decref(ra);
	json_decref(rb);
	free(stext);
	free(text);
	free(copy);
	free(a);
	free(b);
}

/* Both sets hold the same items. */
static void same_sets(void)
{
	itemset_finish(&fast);
	itemset_finish(&slow);
	CHECK_EQ_INT(fast.nitems, slow.nitems);
	CHECK_EQ_INT(fast.nrecs, slow.nrecs);
	for (size_t i = 0; i < fast.nrecs && i < slow.nrecs; i++)
		CHECK_EQ_INT(fast.item[i], slow.item[i]);
	for (size_t i = 0; i < fast.nitems && i < slow.nitems; i++) {
		struct grp_item x = fast.items[i], y = slow.items[i];

		CHECK_STR(x.name, y.name);
		CHECK_EQ_INT(x.color != NULL, y.color != NULL);
		if (x.color != NULL && y.color != NULL)
			CHECK(memcmp(x.color, y.color, 48) == 0);
		x.name = y.name;
		x.color = y.color;
		CHECK(memcmp(&x, &y, sizeof x) == 0);
	}
}

/* A record as featx writes it, by jansson: every field dedupe reads. */
static char *featx_line(int k)
{
	json_t *r = json_object(), *o = json_array(), *info = json_object();
	char hex[17], sha[65], col[97], *s;

	json_object_set_new(r, "name", json_sprintf("d/%03d.jpg", k));
	json_object_set_new(r, "size", json_integer(1000 + k));
	json_object_set_new(r, "mtime", json_string(k % 3 ? "2026-12-02T01:08:38Z" : "yesterday"));
	json_object_set_new(r, "format", json_string(k % 2 ? "png" : "jpeg"));
	json_object_set_new(r, "width", json_integer(640 + k));
	json_object_set_new(r, "height", json_integer(k % 4 ? 480 : -1));
	for (int i = 0; i < 64; i++)
		sha[i] = "0123456789abcdef"[(i * 7 + k) % 16];
	sha[64] = '\0';
	if (k % 5)
		json_object_set_new(r, "sha256", json_string(sha));
	json_object_set_new(r, "content_md5", json_string("1B2M2Y8AsgTpgAmY7PhCfg=="));
	snprintf(hex, sizeof hex, "%016llx", 0x9e3779b97f4a7c15ULL * (unsigned)(k + 1));
	json_object_set_new(r, "phash", json_string(hex));
	json_object_set_new(r, "dhash", json_string(hex));
	json_object_set_new(r, "whash", json_string(hex));
	for (int t = 0; t < (k % 7 == 3 ? 7 : 8); t++) {
		snprintf(hex, sizeof hex, "%016llx", 0xbf58476d1ce4e5b9ULL * (unsigned)(k + t + 2));
		json_array_append_new(o, k % 7 == 5 && t == 2 ? json_integer(7) : json_string(hex));
	}
	json_object_set_new(r, "phash_orientations", o);
	for (int i = 0; i < 96; i++)
		col[i] = "0123456789abcdef"[(i * 5 + k) % 16];
	col[96] = '\0';
	json_object_set_new(r, "color", json_string(col));
	json_object_set_new(info, "sharpness", json_real(0.1 * k + 1.0 / 3));
	json_object_set_new(info, "big", json_real(1e300 * k));
	json_object_set_new(info, "tiny", json_real(-1.5e-7));
	json_object_set_new(info, "flags", json_pack("[b,n,i,{}]", k % 2, k));
	json_object_set_new(r, "info", info);
	if (k % 4 == 1)
		json_object_set_new(r, "low_info", json_true());
	if (k % 8 == 1)
		json_object_set_new(r, "alpha", json_null());
	json_object_set_new(r, "local", json_string(k % 3 ? "AAAA" : "not base64!"));
	if (k % 2)
		json_object_set_new(r, "dup", json_pack("{s:s}", "role", "unique"));
	s = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(r);
	return s;
}

int main(int argc, char **argv)
{
	static const char *slow_lines[] = {
		"{\"name\": \"a\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\\\"b\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"\xc3\xa9\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"size\":-0,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"size\":1234567890123456789,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"x\":1.50,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"x\":1e5,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"size\":12.0,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"name\":\"b\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"x\":{\"k\":1,\"k\":2},\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"} ",
		"{\"name\":\"a\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"",
		"{\"name\":\"a\",\"phash\":\"0000000000000001\",}",
		"{\"name\":\"a\",\"x\":[1,2,],\"phash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"x\":01,\"phash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"x\":tru,\"phash\":\"0000000000000001\"}",
		"[1,2]",
		"not json",
		"{}",
		"{\"name\":\"a\",\"phash\":\"000000000000000g\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":1,\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"name\":\"a\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"type\":\"group\",\"group\":1,\"keeper\":\"a\"}",
		"{\"name\":\"a\",\"error\":{\"stage\":\"featx\",\"code\":\"decode\",\"message\":\"bad\"}}",
		"{\"name\":\"a\",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]],\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
	};
	static const char *fast_lines[] = {
		"{\"name\":\"a\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\"}",
		"{\"dup\":{\"role\":\"unique\"},\"name\":\"b\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\",\"local\":null}",
		"{\"name\":\"c\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\",\"size\":-12,\"x\":[],\"y\":{},\"z\":[\"\",0,-1.5,true,false,null],\"mtime\":3}",
		"{\"name\":\"d\",\"phash\":\"0000000000000001\",\"dhash\":\"0000000000000001\",\"whash\":\"0000000000000001\",\"sha256\":\"ab\",\"color\":7,\"low_info\":false,\"alpha\":1,\"phash_orientations\":\"x\"}",
	};

	itemset_formats(&fast, "png,tiff,webp,jpeg,gif", NULL);
	itemset_formats(&slow, "png,tiff,webp,jpeg,gif", NULL);
	fast.rotations = slow.rotations = 1;
	{
		static const char *prefer[] = { "d/00" };

		fast.prefer = slow.prefer = prefer;
		fast.nprefer = slow.nprefer = 1;
	}
	for (size_t i = 0; i < sizeof slow_lines / sizeof *slow_lines; i++)
		one(slow_lines[i], 0);
	for (size_t i = 0; i < sizeof fast_lines / sizeof *fast_lines; i++)
		one(fast_lines[i], 1);
	for (int k = 0; k < 40; k++) {
		char *s = featx_line(k);

		one(s, 1);
		free(s);
	}
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		CHECK(f != NULL);
		while (f != NULL && (n = getline(&line, &cap, f)) > 0) {
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			if (n > 0)
				one(line, -1);
		}
		free(line);
		if (f != NULL)
			fclose(f);
	}
	same_sets();
	printf("%ld lines read in place, %ld parsed\n", accepted, parsed);
	itemset_free(&fast);
	itemset_free(&slow);
	return unit_done();
}
