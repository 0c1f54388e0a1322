/* test_decisions.c — the decisions file (dedupe --decisions): each op read, each kind of bad
 * line refused with its file and line, and the decisions applied by grp_run in every mode:
 * keepers, cannot-link pairs, reviewed groups, the counts. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decisions.h"
#include "group.h"
#include "unit.h"

/* checksum k: 64 hex digits of k's low nibble */
static const char *sum(int k)
{
	static char buf[8][65];
	static int at;
	char *s = buf[at++ % 8];

	memset(s, "0123456789abcdef"[k & 15], 64);
	s[64] = '\0';
	return s;
}

static int parse(struct dec_set *d, const char *line, aderr *err)
{
	return dec_parse(d, "dec.ndjson", 7, line, strlen(line), err);
}

/* the reason in err, after "dec.ndjson:7: " */
static int says(const aderr *err, const char *what)
{
	return strncmp(err->msg, "dec.ndjson:7: ", 14) == 0 && strstr(err->msg + 14, what) != NULL;
}

static void test_parse(void)
{
	struct dec_set *d = dec_new();
	char line[600];
	aderr err = {0};

	CHECK(d != NULL);
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":\"%s\",\"name\":\"a b.jpg\","
	    "\"at\":\"2026-12-01T10:00:00Z\",\"note\":\"sharper\",\"extra\":[1]}", sum(1));
	CHECK_EQ_INT(parse(d, line, &err), 0);
	snprintf(line, sizeof line, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}\r\n",
	    sum(2), sum(3));
	CHECK_EQ_INT(parse(d, line, &err), 0);
	snprintf(line, sizeof line, "{\"op\":\"split\",\"sha256\":[\"%s\",\"%s\"],\"from\":[\"%s\"]}",
	    sum(4), sum(5), sum(6));
	CHECK_EQ_INT(parse(d, line, &err), 0);
	snprintf(line, sizeof line, "{\"op\":\"reviewed\",\"group\":[\"%s\",\"%s\",\"%s\"]}", sum(7),
	    sum(8), sum(7));
	CHECK_EQ_INT(parse(d, line, &err), 0);
	CHECK_EQ_INT(parse(d, "", &err), 0);            /* blank lines are skipped */
	CHECK_EQ_INT(parse(d, " \t\n", &err), 0);
	CHECK_EQ_INT(dec_count(d), 4);
	CHECK_EQ_INT(dec_op(d, 0), DEC_KEEPER);
	CHECK_EQ_INT(dec_op(d, 1), DEC_NOT_DUPLICATE);
	CHECK_EQ_INT(dec_op(d, 2), DEC_SPLIT);
	CHECK_EQ_INT(dec_op(d, 3), DEC_REVIEWED);

	/* every bad line: an error naming the file, the line and the reason; nothing kept */
	CHECK(parse(d, "{\"op\":\"keeper\",", &err) == AD_EFORMAT && says(&err, "invalid JSON"));
	CHECK(parse(d, "[\"keeper\"]", &err) == AD_EFORMAT && says(&err, "not a JSON object"));
	CHECK(parse(d, "{\"sha256\":\"x\"}", &err) == AD_EFORMAT && says(&err, "\"op\" missing"));
	CHECK(parse(d, "{\"op\":3}", &err) == AD_EFORMAT && says(&err, "\"op\": expected a string"));
	snprintf(line, sizeof line, "{\"op\":\"merge\",\"sha256\":\"%s\"}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "unknown op \"merge\""));
	/* a hostile op is not echoed */
	CHECK(parse(d, "{\"op\":\"\\u001b[31m\"}", &err) == AD_EFORMAT && says(&err, "unknown op (") &&
	    strchr(err.msg, 0x1b) == NULL);
	CHECK(parse(d, "{\"op\":\"keeper\"}", &err) == AD_EFORMAT && says(&err, "\"sha256\" missing"));
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":\"%.63s\"}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "\"sha256\": not a checksum"));
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":\"%s0\"}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "\"sha256\": not a checksum"));
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":\"%s\"}",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "lower-case"));
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":[\"%s\"]}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "\"sha256\": expected a checksum"));
	snprintf(line, sizeof line, "{\"op\":\"keeper\",\"sha256\":\"%s\",\"name\":5}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "\"name\": expected a string"));
	snprintf(line, sizeof line, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\"}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "\"of\" missing"));
	snprintf(line, sizeof line, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
	    sum(1), sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "apart from itself"));
	snprintf(line, sizeof line, "{\"op\":\"split\",\"sha256\":[],\"from\":[\"%s\"]}", sum(1));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "an array of one or more"));
	snprintf(line, sizeof line, "{\"op\":\"split\",\"sha256\":[\"%s\",7],\"from\":[\"%s\"]}",
	    sum(1), sum(2));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "item 2 is not a checksum"));
	snprintf(line, sizeof line, "{\"op\":\"split\",\"sha256\":[\"%s\",\"%s\"],\"from\":[\"%s\"]}",
	    sum(1), sum(2), sum(2));
	CHECK(parse(d, line, &err) == AD_EFORMAT && says(&err, "both sides"));
	CHECK(parse(d, "{\"op\":\"reviewed\",\"group\":\"x\"}", &err) == AD_EFORMAT &&
	    says(&err, "\"group\": expected an array"));
	CHECK(parse(d, "{\"op\":\"keeper\",\"op\":\"split\"}", &err) == AD_EFORMAT &&
	    says(&err, "invalid JSON"));
	CHECK_EQ_INT(dec_count(d), 4);
	dec_free(d);
}

static void test_load(void)
{
	char path[] = "/tmp/test_decisions.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct dec_set *d = dec_new();
	aderr err = {0};
	char want[600];

	CHECK(f != NULL && d != NULL);
	if (f == NULL || d == NULL)
		return;
	fprintf(f, "{\"op\":\"keeper\",\"sha256\":\"%s\"}\n\n", sum(1));
	fprintf(f, "{\"op\":\"reviewed\",\"group\":[\"%s\"]}\n", sum(2));
	fprintf(f, "{\"op\":\"frobnicate\"}\n");
	fclose(f);
	CHECK_EQ_INT(dec_load(d, path, &err), AD_EFORMAT);
	snprintf(want, sizeof want, "%s:4: unknown op \"frobnicate\" (expected keeper, "
	    "not_duplicate, split or reviewed)", path);
	CHECK_STR(err.msg, want);
	CHECK_EQ_INT(dec_count(d), 0);                  /* a file whole or not at all */
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fprintf(f, "{\"op\":\"keeper\",\"sha256\":\"%s\"}\n", sum(1));
		fprintf(f, "{\"op\":\"reviewed\",\"group\":[\"%s\"]}", sum(2));  /* no newline */
		fclose(f);
	}
	CHECK_EQ_INT(dec_load(d, path, &err), 0);
	CHECK_EQ_INT(dec_load(d, path, &err), 0);       /* a second file appends */
	CHECK_EQ_INT(dec_count(d), 4);
	unlink(path);
	CHECK(dec_load(d, path, &err) == AD_ENOENT && strstr(err.msg, path) == err.msg);
	dec_free(d);
}

/* items: hash h (every hash), checksum k, pixels p */
static void item(struct grp_item *it, const char *name, uint64_t h, int k, long long pixels)
{
	memset(it, 0, sizeof *it);
	it->name = name;
	it->phash = it->dhash = it->whash = h;
	it->pixels = pixels;
	it->size = 1000;
	it->mtime = 0;
	it->prefer = INT_MAX;
	it->has_sha256 = 1;
	memset(it->sha256, (k & 15) * 0x11, sizeof it->sha256);
}

/* binds d (whose lines are given) to the items, groups, finishes */
static long apply(struct grp_item *it, size_t n, int mode, const char *const *lines, size_t nl,
    struct dec_counts *c)
{
	struct dec_set *d = dec_new();
	struct grp_opts o;
	aderr err = {0};
	long g = -1;

	grp_opts_default(&o);
	o.mode = mode;
	o.local = 0;
	for (size_t i = 0; i < nl; i++)
		CHECK_EQ_INT(dec_parse(d, "t", (long)i + 1, lines[i], strlen(lines[i]), &err), 0);
	if (dec_bind(d, it, n, &o.apart, &err) == 0 && (g = grp_run(it, n, &o, &err)) >= 0)
		CHECK_EQ_INT(dec_finish(d, it, n, c, &err), 0);
	dec_free(d);
	return g;
}

/* buf (an array) printed to, as an expression */
#define FMT(buf, ...) (snprintf(buf, sizeof buf, __VA_ARGS__), buf)

/* a (best), b and c near a, c2 a byte copy of c; x unrelated */
static size_t setup(struct grp_item *it)
{
	item(&it[0], "a.jpg", 0, 1, 4000);
	item(&it[1], "b.jpg", 0x3, 2, 3000);
	item(&it[2], "c.jpg", 0x30, 3, 2000);
	item(&it[3], "copies/c.jpg", 0x30, 3, 2000);
	item(&it[4], "x.jpg", ~0ULL, 4, 5000);
	return 5;
}

static void test_apply(void)
{
	static const int modes[] = { GRP_MODE_STAR, GRP_MODE_CLIQUE, GRP_MODE_COMPONENTS };
	struct grp_item it[5];
	struct dec_counts c;
	char l1[400], l2[400], l3[400];
	const char *lines[3];
	size_t n = setup(it);

	/* no decisions: one group around a */
	CHECK_EQ_INT(apply(it, n, GRP_MODE_STAR, NULL, 0, &c), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[3].keeper, 0);
	CHECK_EQ_INT(c.total, 0);

	for (size_t m = 0; m < 3; m++) {
		/* keeper: c's copies rank first; the named copy keeps */
		lines[0] = FMT(l1, "{\"op\":\"keeper\",\"sha256\":\"%s\",\"name\":\"%s\"}",
		    sum(3), "copies/c.jpg");
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 1, &c), 1);
		CHECK_EQ_INT(it[3].keeper, 3);
		CHECK_EQ_INT(it[2].keeper, 3);
		CHECK_EQ_INT(it[2].stage, GRP_EXACT);
		CHECK_EQ_INT(it[0].keeper, 3);
		CHECK_EQ_INT(it[3].kept_by, KEEP_DECISION);
		CHECK_EQ_INT(c.applied, 1);
		CHECK_EQ_INT(c.keepers, 1);
		/* a later keeper decision for a wins over it; an absent checksum is unmatched */
		lines[1] = FMT(l2, "{\"op\":\"keeper\",\"sha256\":\"%s\"}", sum(1));
		lines[2] = FMT(l3, "{\"op\":\"keeper\",\"sha256\":\"%s\"}", sum(9));
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 3, &c), 1);
		CHECK_EQ_INT(it[0].keeper, 0);
		CHECK_EQ_INT(it[3].keeper, 0);
		CHECK_EQ_INT(it[0].kept_by, KEEP_DECISION);
		CHECK(c.total == 3 && c.applied == 2 && c.unmatched == 1 && c.keepers == 1);

		/* not_duplicate: b leaves a's group and is unique, released from a */
		lines[0] = FMT(l1, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
		    sum(2), sum(1));
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 1, &c), 1);
		CHECK_EQ_INT(it[1].group, 0);
		CHECK_EQ_INT(it[1].apart_from, 0);
		CHECK_EQ_INT(it[2].keeper, 0);
		CHECK_EQ_INT(it[3].keeper, 0);
		CHECK_EQ_INT(it[2].apart_from, -1);
		CHECK(c.applied == 1 && c.released == 1 && c.keepers == 0);

		/* split {c} from {a, b}: the copies of c form their own group */
		lines[0] = FMT(l1, "{\"op\":\"split\",\"sha256\":[\"%s\"],\"from\":[\"%s\",",
		    sum(3), sum(1));
		strcat(l1, "\"");
		strcat(l1, sum(2));
		strcat(l1, "\"]}");
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 1, &c), 2);
		CHECK_EQ_INT(it[1].keeper, 0);
		CHECK_EQ_INT(it[2].keeper, 2);
		CHECK_EQ_INT(it[3].keeper, 2);
		CHECK(it[2].group != it[0].group && it[2].group > 0);
		CHECK_EQ_INT(it[2].apart_from, 0);
		CHECK_EQ_INT(c.released, 2);

		/* reviewed: exactly the group's checksums (a copy counted once) */
		lines[0] = FMT(l1, "{\"op\":\"reviewed\",\"group\":[\"%s\",\"%s\",", sum(1),
		    sum(2));
		strcat(l1, "\"");
		strcat(l1, sum(3));
		strcat(l1, "\"]}");
		lines[1] = FMT(l2, "{\"op\":\"reviewed\",\"group\":[\"%s\",\"%s\"]}", sum(1),
		    sum(2));
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 1, &c), 1);
		CHECK_EQ_INT(it[0].reviewed, 1);
		CHECK_EQ_INT(c.reviewed, 1);
		/* a subset is not the group */
		CHECK_EQ_INT(apply(it, n, modes[m], lines + 1, 1, &c), 1);
		CHECK_EQ_INT(it[0].reviewed, 0);
		CHECK(c.reviewed == 0 && c.applied == 1);
		/* after b is taken out, the subset is the group */
		lines[0] = FMT(l1, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
		    sum(2), sum(1));
		lines[1] = FMT(l2, "{\"op\":\"reviewed\",\"group\":[\"%s\",\"%s\"]}", sum(1),
		    sum(3));
		CHECK_EQ_INT(apply(it, n, modes[m], lines, 2, &c), 1);
		CHECK_EQ_INT(it[0].reviewed, 1);
		CHECK_EQ_INT(c.reviewed, 1);
	}
}

/* a decision for an image that is not in the run binds nothing and counts as unmatched */
static void test_unmatched(void)
{
	struct grp_item it[5];
	struct dec_counts c;
	char l1[400], l2[400];
	const char *lines[2];
	size_t n = setup(it);

	lines[0] = FMT(l1, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
	    sum(2), sum(9));
	lines[1] = FMT(l2, "{\"op\":\"reviewed\",\"group\":[\"%s\",\"%s\"]}", sum(1),
	    sum(9));
	CHECK_EQ_INT(apply(it, n, GRP_MODE_STAR, lines, 2, &c), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK(c.total == 2 && c.applied == 0 && c.unmatched == 2 && c.released == 0);
}

/* components: a chain a~b~c~d with a apart from d breaks where d would join; the
 * members with partners are followed through every join */
static void test_chain(void)
{
	struct grp_item it[5];
	struct dec_counts c;
	char l1[400];
	const char *lines[1];

	/* each link 6 bits, two links 12 (within 12/16/16), three 18 (out) */
	item(&it[0], "a.jpg", 0, 1, 4000);
	item(&it[1], "b.jpg", 0x3fULL, 2, 3000);
	item(&it[2], "c.jpg", 0xfffULL, 3, 2000);
	item(&it[3], "d.jpg", 0x3ffffULL, 4, 1000);
	item(&it[4], "e.jpg", 0xffffffffff000000ULL, 5, 500);
	CHECK_EQ_INT(apply(it, 5, GRP_MODE_COMPONENTS, NULL, 0, &c), 1);
	CHECK_EQ_INT(it[3].keeper, 0);                  /* chained in without decisions */
	lines[0] = FMT(l1, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
	    sum(4), sum(1));
	CHECK_EQ_INT(apply(it, 5, GRP_MODE_COMPONENTS, lines, 1, &c), 1);
	CHECK_EQ_INT(it[1].keeper, 0);
	CHECK_EQ_INT(it[2].keeper, 0);
	CHECK_EQ_INT(it[3].group, 0);
	CHECK_EQ_INT(it[3].apart_from, 0);
	CHECK_EQ_INT(c.released, 1);
	/* apart from b, the chain's middle: d still stays out, through c */
	lines[0] = FMT(l1, "{\"op\":\"not_duplicate\",\"sha256\":\"%s\",\"of\":\"%s\"}",
	    sum(4), sum(2));
	CHECK_EQ_INT(apply(it, 5, GRP_MODE_COMPONENTS, lines, 1, &c), 1);
	CHECK_EQ_INT(it[2].keeper, 0);
	CHECK_EQ_INT(it[3].group, 0);
	CHECK_EQ_INT(it[3].apart_from, 0);
}

int main(void)
{
	test_parse();
	test_load();
	test_apply();
	test_unmatched();
	test_chain();
	return unit_done();
}
