/* test_report.c — each record's "dup" in dedupe's report is the text jansson writes for
 * it (compact, in order), whichever way it was written: for keepers, duplicates by bytes,
 * by hashes (an open margin, a margin, a chain through a member, a colour difference, a
 * turn), by keypoints, uniques, items a decision released, and names jansson escapes or
 * that are not ASCII. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "unit.h"

int main(void)
{
	static const char *names[] = { "k1", "d1", "a\"b\\c", "\xc3\xa9t\xc3\xa9.jpg", "k3", "d3",
	    "d4", "d5", "u1", "u2", "d6", "k4", "tab\there" };
	enum { N = sizeof names / sizeof *names };
	static struct grp_item it[N];
	static long item[N];
	struct itemset s = { 0 };
	struct grp_opts o;
	struct grp_stats st = { 0 };
	struct report_totals t = { 0 };
	aderr err = { 0 };
	/* the report as jansson wrote every "dup" before dedupe wrote the common ones itself */
	static const char *want[] = {
		"{\"n\":0,\"dup\":{\"role\":\"keeper\",\"group\":1,\"count\":2,\"kept_because\":\"resolution\",\"over\":\"d1\"}}",
		"{\"n\":1,\"dup\":{\"role\":\"duplicate\",\"group\":1,\"keeper\":\"k1\",\"stage\":\"near\",\"phash\":3,\"dhash\":5,\"whash\":7,\"evidence\":{\"kind\":\"hash\",\"phash\":3,\"margin\":\"open\"}}}",
		"{\"n\":2,\"dup\":{\"role\":\"keeper\",\"group\":2,\"count\":3,\"kept_because\":\"name\",\"over\":\"\xc3""\xa9""t\xc3""\xa9"".jpg\"}}",
		"{\"n\":3,\"dup\":{\"role\":\"duplicate\",\"group\":2,\"keeper\":\"a\\\"b\\\\c\",\"stage\":\"exact\",\"phash\":0,\"dhash\":0,\"whash\":0,\"evidence\":{\"kind\":\"exact\"}}}",
		"{\"n\":4,\"dup\":{\"role\":\"keeper\",\"group\":3,\"count\":5,\"kept_because\":\"date\",\"over\":\"d3\",\"released_by\":\"decision\",\"apart_from\":\"u2\"}}",
		"{\"n\":5,\"dup\":{\"role\":\"duplicate\",\"group\":3,\"keeper\":\"k3\",\"stage\":\"near\",\"phash\":12,\"dhash\":0,\"whash\":0,\"orientation\":5,\"evidence\":{\"kind\":\"hash\",\"phash\":12,\"margin\":7,\"color\":12}}}",
		"{\"n\":6,\"dup\":{\"role\":\"duplicate\",\"group\":3,\"keeper\":\"k3\",\"stage\":\"near\",\"phash\":9,\"dhash\":0,\"whash\":0,\"evidence\":{\"kind\":\"chain\",\"phash\":9,\"via\":\"d3\",\"link\":\"hashes\"}}}",
		"{\"n\":7,\"dup\":{\"role\":\"duplicate\",\"group\":3,\"keeper\":\"k3\",\"stage\":\"local\",\"phash\":0,\"dhash\":0,\"whash\":0,\"orientation\":3,\"inliers\":30,\"evidence\":{\"kind\":\"keypoints\",\"inliers\":30,\"matches\":50,\"coverage\":0.56699999999999995,\"hashes_matched\":true,\"color\":2}}}",
		"{\"n\":8,\"dup\":{\"role\":\"unique\",\"released_by\":\"decision\",\"apart_from\":\"k1\"}}",
		"{\"n\":9,\"dup\":{\"role\":\"unique\"}}",
		"{\"n\":10,\"dup\":{\"role\":\"duplicate\",\"group\":3,\"keeper\":\"k3\",\"stage\":\"near\",\"phash\":0,\"dhash\":0,\"whash\":0,\"evidence\":{\"kind\":\"hash\",\"phash\":0,\"margin\":0},\"released_by\":\"decision\",\"apart_from\":\"k1\"}}",
		"{\"n\":11,\"dup\":{\"role\":\"keeper\",\"group\":4,\"count\":1,\"kept_because\":\"size\",\"over\":\"\"}}",
		"{\"n\":12,\"dup\":{\"role\":\"duplicate\",\"group\":2,\"keeper\":\"a\\\"b\\\\c\",\"stage\":\"near\",\"phash\":0,\"dhash\":0,\"whash\":0,\"orientation\":6,\"evidence\":{\"kind\":\"hash\",\"phash\":0,\"margin\":8,\"color\":4}}}",
		"{\"type\":\"group\",\"group\":1,\"keeper\":\"k1\",\"count\":2,\"bytes_saved\":101,\"members\":[{\"name\":\"d1\",\"stage\":\"near\",\"phash\":3,\"dhash\":5,\"whash\":7,\"size\":101,\"evidence\":{\"kind\":\"hash\",\"phash\":3,\"margin\":\"open\"}}]}",
		"{\"type\":\"group\",\"group\":2,\"keeper\":\"a\\\"b\\\\c\",\"count\":3,\"bytes_saved\":215,\"members\":[{\"name\":\"tab\\there\",\"stage\":\"near\",\"phash\":0,\"dhash\":0,\"whash\":0,\"size\":112,\"orientation\":6,\"evidence\":{\"kind\":\"hash\",\"phash\":0,\"margin\":8,\"color\":4}},{\"name\":\"\xc3""\xa9""t\xc3""\xa9"".jpg\",\"stage\":\"exact\",\"phash\":0,\"dhash\":0,\"whash\":0,\"size\":103,\"evidence\":{\"kind\":\"exact\"}}]}",
		"{\"type\":\"group\",\"group\":3,\"keeper\":\"k3\",\"count\":5,\"bytes_saved\":428,\"members\":[{\"name\":\"d3\",\"stage\":\"near\",\"phash\":12,\"dhash\":0,\"whash\":0,\"size\":105,\"orientation\":5,\"evidence\":{\"kind\":\"hash\",\"phash\":12,\"margin\":7,\"color\":12}},{\"name\":\"d4\",\"stage\":\"near\",\"phash\":9,\"dhash\":0,\"whash\":0,\"size\":106,\"evidence\":{\"kind\":\"chain\",\"phash\":9,\"via\":\"d3\",\"link\":\"hashes\"}},{\"name\":\"d5\",\"stage\":\"local\",\"phash\":0,\"dhash\":0,\"whash\":0,\"size\":107,\"orientation\":3,\"inliers\":30,\"evidence\":{\"kind\":\"keypoints\",\"inliers\":30,\"matches\":50,\"coverage\":0.56699999999999995,\"hashes_matched\":true,\"color\":2}},{\"name\":\"d6\",\"stage\":\"near\",\"phash\":0,\"dhash\":0,\"whash\":0,\"size\":110,\"evidence\":{\"kind\":\"hash\",\"phash\":0,\"margin\":0}}]}",
		"{\"type\":\"group\",\"group\":4,\"keeper\":\"k4\",\"count\":1,\"bytes_saved\":0,\"members\":[]}",
		"{\"type\":\"summary\",\"images\":13,\"unique\":2,\"groups\":4,\"duplicates\":7,\"exact\":1,\"near\":5,\"bytes_saved\":744,\"failed\":0,\"failed_by_stage\":{},\"thresholds\":{\"phash\":12,\"dhash\":16,\"whash\":16,\"exact_only\":false},\"keep\":\"resolution,date,center,size,name\",\"mode\":\"star\",\"rotations\":true,\"local\":1,\"exact_in_groups\":0,\"low_info\":0,\"search\":{\"candidates\":0,\"compared\":0,\"local_candidates\":0,\"local_verified\":0,\"ambiguous\":0,\"local_crowded\":0,\"hash_crowded\":0}}",
	};
	char out[] = "/tmp/test_report.XXXXXX", line[4096];
	spool *sp = spool_open(&err);
	FILE *f;
	int fd = mkstemp(out), nrec = 0;

	CHECK(sp != NULL && fd >= 0);
	if (sp == NULL || fd < 0)
		return unit_done();
	close(fd);
	grp_opts_default(&o);
	for (int i = 0; i < N; i++) {
		char text[128];

		it[i].name = names[i];
		it[i].keeper = -1;
		it[i].runner_up = -1;
		it[i].apart_from = -1;
		it[i].via = -1;
		it[i].orient = 1;
		it[i].color_diff = -1;
		it[i].size = 100 + i;
		item[i] = i;
		snprintf(text, sizeof text, "{\"n\":%d}", i);
		CHECK_EQ_INT(spool_add(sp, text, strlen(text), &err), 0);
	}
	/* group 1: k1 keeps over d1 (hashes, open margin) */
	it[0].group = it[1].group = 1;
	it[0].keeper = it[1].keeper = 0;
	it[0].count = 2;
	it[0].runner_up = 1;
	it[0].kept_by = KEEP_RESOLUTION;
	it[1].stage = GRP_NEAR;
	it[1].dist[0] = 3, it[1].dist[1] = 5, it[1].dist[2] = 7;
	it[1].margin = GRP_MARGIN_OPEN;
	/* group 2: a name with a quote and a backslash keeps over a non-ASCII one (bytes),
	 * and a tab in a name (a member by hashes, turned, its colour compared) */
	it[2].group = it[3].group = it[12].group = 2;
	it[2].keeper = it[3].keeper = it[12].keeper = 2;
	it[2].count = 3;
	it[2].runner_up = 3;
	it[2].kept_by = KEEP_NAME;
	it[3].stage = GRP_EXACT;
	it[12].stage = GRP_NEAR;
	it[12].margin = 8;
	it[12].orient = 6;
	it[12].color_diff = 4;
	/* group 3: k3 over a margin with colour, a chain, keypoints, a turn, a release */
	for (int i = 4; i <= 7; i++) {
		it[i].group = 3;
		it[i].keeper = 4;
	}
	it[10].group = 3;
	it[10].keeper = 4;
	it[4].count = 5;
	it[4].runner_up = 5;
	it[4].kept_by = KEEP_DATE;
	it[4].apart_from = 9;
	it[5].stage = GRP_NEAR;
	it[5].margin = 7;
	it[5].color_diff = 12;
	it[5].orient = 5;
	it[5].dist[0] = 12;
	it[6].stage = GRP_NEAR;
	it[6].margin = -1;
	it[6].dist[0] = 9;
	it[6].via = 5;      /* joined through d3 */
	it[7].stage = GRP_LOCAL;
	it[7].inliers = 30;
	it[7].matches = 50;
	it[7].cover = 0.5671f;
	it[7].verified = 1;
	it[7].orient = 3;
	it[7].color_diff = 2;
	it[10].stage = GRP_NEAR;
	it[10].margin = 0;
	it[10].apart_from = 0;
	/* group 4: a keeper of one, no runner-up */
	it[11].group = 4;
	it[11].keeper = 11;
	it[11].count = 1;
	it[11].kept_by = KEEP_SIZE;
	/* u1 released from k1's group; u2 unique */
	it[8].apart_from = 0;
	s.items = it;
	s.nitems = N;
	s.item = item;
	s.nrecs = N;
	CHECK_EQ_INT(report_write(&s, sp, 4, &o, &st, out, NULL, &t, &err), 0);
	f = fopen(out, "r");
	CHECK(f != NULL);
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		CHECK(nrec < (int)(sizeof want / sizeof *want));
		if (nrec < (int)(sizeof want / sizeof *want)) {
			CHECK_STR(line, want[nrec]);
			/* and what jansson writes for it: compact, in order */
			json_t *r = json_loads(line, 0, NULL);
			char *again = r ? json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

			CHECK_STR(again, line);
			free(again);
			json_decref(r);
		}
		nrec++;
	}
	CHECK_EQ_INT(nrec, (int)(sizeof want / sizeof *want));
	if (f != NULL)
		fclose(f);
	unlink(out);
	spool_close(sp);
	return unit_done();
}
