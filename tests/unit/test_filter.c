/* test_filter.c — the record loop's collect mode: every record reaches collect() in input
 * order with what each_item() made of it (on 1 and on several threads), the kept records
 * come back from the spool as each_item() left them, and a stopped run frees what it made. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "filter.h"
#include "rec.h"
#include "unit.h"

#define N 3000

struct item {
	long n;             /* the record's "n" */
	char *name;         /* a copy of its name: what must be freed */
};

struct run {
	long seen[N + 10];  /* collect()'s n, in the order called; -1 for no item */
	int res[N + 10];
	size_t ncol;
	long stop_at;       /* collect() fails at this call, or -1 */
	atomic_long made, freed;
};

static int each_item(void *ud, json_t *rec, void *slot, aderr *err)
{
	struct run *r = ud;
	struct item *it = slot;

	(void)err;
	it->n = rec_int(rec, "n", -1);
	it->name = NULL;
	if (json_object_get(rec, "type") != NULL)
		return FILTER_DROP;
	json_object_del(rec, "x");      /* the spool keeps the record as left here */
	if (json_is_true(json_object_get(rec, "bad"))) {
		rec_set_error(rec, "test", "format", "bad");
		return FILTER_FAILED;
	}
	it->name = malloc(16);
	atomic_fetch_add(&r->made, 1);
	return FILTER_OK;
}

static int collect(void *ud, json_t *rec, void *slot, int res, aderr *err)
{
	struct run *r = ud;
	struct item *it = slot;

	(void)rec;
	if (it != NULL && it->name != NULL) {
		free(it->name);
		atomic_fetch_add(&r->freed, 1);
	}
	if ((long)r->ncol == r->stop_at)
		return aderr_set(err, AD_EIO, "stopped at %zu", r->ncol);
	r->seen[r->ncol] = it != NULL ? it->n : -1;
	r->res[r->ncol++] = res;
	return 0;
}

static void drop(void *ud, void *slot)
{
	struct run *r = ud;
	struct item *it = slot;

	if (it->name != NULL) {
		free(it->name);
		atomic_fetch_add(&r->freed, 1);
	}
}

/* N records: every 100th malformed, every 250th a report's group record, every 300th
 * failed upstream, every 7th one each_item() fails. */
static void make_input(const char *path)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	for (long i = 0; i < N; i++) {
		if (i % 100 == 50)
			fprintf(fp, "{not json %ld\n", i);
		else if (i % 250 == 10)
			fprintf(fp, "{\"type\":\"group\",\"n\":%ld}\n", i);
		else if (i % 300 == 20)
			fprintf(fp, "{\"name\":\"f%ld\",\"n\":%ld,\"error\":{\"stage\":\"featx\",\"code\":\"io\",\"message\":\"x\"}}\n", i, i);
		else
			fprintf(fp, "{\"name\":\"f%ld\",\"n\":%ld,\"x\":1%s}\n", i, i, i % 7 == 3 ? ",\"bad\":true" : "");
		if (i % 500 == 0)
			fputs("   \n", fp);   /* blank lines are skipped */
	}
	fclose(fp);
}

static void test_collect(const char *in, int threads, int see_errors)
{
	struct run *r = calloc(1, sizeof *r);
	struct filter f = { .in = in, .quiet = 1, .threads = threads, .see_errors = see_errors,
	    .item_size = sizeof(struct item), .each_item = each_item, .collect = collect,
	    .drop = drop, .keep = 1 };
	aderr err = {0};
	long want_failed = 0, kept = 0, malformed = 0, dropped = 0, upstream = 0;
	size_t k = 0;
	int order_ok = 1, spool_ok = 1;

	if (r == NULL)
		return;
	r->stop_at = -1;
	f.ud = r;
	CHECK_EQ_INT(filter_run(&f, "test", &err), 0);
	for (long i = 0; i < N; i++) {
		int bad = i % 100 == 50, group = !bad && i % 250 == 10;
		int up = !bad && !group && i % 300 == 20, fail = !bad && !group && !up && i % 7 == 3;

		malformed += bad;
		dropped += group;
		upstream += up && !see_errors;
		want_failed += bad || fail;
		kept += !group;
		/* a dropped record reaches collect() too, with its res */
		if (k >= r->ncol) {
			order_ok = 0;
			break;
		}
		if (bad || (up && !see_errors)) {
			order_ok &= r->seen[k] == -1 && r->res[k] == (bad ? FILTER_FAILED : FILTER_OK);
		} else {
			order_ok &= r->seen[k] == i;
			order_ok &= r->res[k] == (group ? FILTER_DROP : fail ? FILTER_FAILED : FILTER_OK);
		}
		k++;
	}
	CHECK(order_ok);
	CHECK_EQ_INT(r->ncol, N);
	CHECK_EQ_INT(f.records, N);
	CHECK_EQ_INT(f.malformed, malformed);
	CHECK_EQ_INT(f.dropped, dropped);
	CHECK_EQ_INT(f.upstream, upstream);
	CHECK_EQ_INT(f.failed, want_failed);
	CHECK_EQ_INT(filter_status(&f), 1);
	CHECK_EQ_INT(atomic_load(&r->made), atomic_load(&r->freed));
	/* the spool: every record not dropped, in order, as each_item() left it */
	CHECK(f.kept != NULL);
	if (f.kept != NULL) {
		const char *text;
		size_t len;
		long got = 0;

		CHECK_EQ_INT(spool_rewind(f.kept, &err), 0);
		while (spool_next(f.kept, &text, &len, &err) == 1) {
			json_t *rec = json_loads(text, 0, NULL);

			spool_ok &= rec != NULL && strlen(text) == len;
			spool_ok &= json_object_get(rec, "x") == NULL;
			spool_ok &= json_object_get(rec, "type") == NULL;
			json_decref(rec);
			got++;
		}
		CHECK(spool_ok);
		CHECK_EQ_INT(got, kept);
		/* a second pass reads the same */
		CHECK_EQ_INT(spool_rewind(f.kept, &err), 0);
		CHECK_EQ_INT(spool_next(f.kept, &text, &len, &err), 1);
		CHECK(strncmp(text, "{\"name\":\"f0\",\"n\":0}", len) == 0);
		spool_close(f.kept);
	}
	free(r);
}

/* collect() stops the run: filter_run says why, and what each_item() made for the
 * records after it is freed through drop(). */
static void test_stop(const char *in, int threads)
{
	struct run *r = calloc(1, sizeof *r);
	struct filter f = { .in = in, .quiet = 1, .threads = threads, .item_size = sizeof(struct item),
	    .each_item = each_item, .collect = collect, .drop = drop, .keep = 1 };
	aderr err = {0};

	if (r == NULL)
		return;
	r->stop_at = 1234;
	f.ud = r;
	CHECK_EQ_INT(filter_run(&f, "test", &err), AD_EIO);
	CHECK_STR(err.msg, "stopped at 1234");
	CHECK_EQ_INT(r->ncol, 1234);
	CHECK_EQ_INT(atomic_load(&r->made), atomic_load(&r->freed));
	spool_close(f.kept);
	free(r);
}

/* The spool keeps jansson's compact text of each record as each_item() left it, whatever
 * the input's spacing and escapes, and a long record after short ones (a slot's text
 * buffer grows) and a short one after it come back whole. */
static void test_spool_text(const char *dir, int threads)
{
	const char *lines[] = {
		"{ \"name\" : \"a\\/b\", \"n\": 1, \"x\": 2, \"u\": \"\\u00e9\\u0001\" }",
		"{\"name\":\"s\",\"n\":2,\"f\":1.50,\"e\":1e3}",
		NULL,       /* a long one, made below */
		"{\"name\":\"t\",\"n\":4,\"x\":[1,2]}",
	};
	enum { NL = sizeof lines / sizeof lines[0], LONG = 200000 };
	struct run *r = calloc(1, sizeof *r);
	struct filter f = { .quiet = 1, .threads = threads, .item_size = sizeof(struct item),
	    .each_item = each_item, .collect = collect, .drop = drop, .keep = 1 };
	char path[80], *big = malloc(LONG + 64);
	aderr err = {0};
	FILE *fp;
	int ok = 1, h;

	if (r == NULL || big == NULL) {
		free(r);
		free(big);
		return;
	}
	snprintf(path, sizeof path, "%s/text.ndjson", dir);
	h = snprintf(big, 64, "{\"name\":\"l\",\"n\":3,\"v\":\"");
	memset(big + h, 'q', LONG);
	strcpy(big + h + LONG, "\"}");
	lines[2] = big;
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp == NULL) {
		free(r);
		free(big);
		return;
	}
	/* enough copies that the slots are used again, long after short and short after long */
	for (int k = 0; k < 300; k++)
		for (int i = 0; i < NL; i++)
			fprintf(fp, "%s\n", lines[i]);
	fclose(fp);
	r->stop_at = -1;
	f.ud = r;
	f.in = path;
	CHECK_EQ_INT(filter_run(&f, "test", &err), 0);
	CHECK(f.kept != NULL);
	if (f.kept != NULL) {
		const char *text;
		size_t len;
		long got = 0;

		CHECK_EQ_INT(spool_rewind(f.kept, &err), 0);
		while (spool_next(f.kept, &text, &len, &err) == 1) {
			json_t *want = json_loads(lines[got % NL], 0, NULL);
			char *w;

			json_object_del(want, "x");
			w = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
			ok &= w != NULL && strlen(w) == len && memcmp(w, text, len) == 0;
			free(w);
			json_decref(want);
			got++;
		}
		CHECK(ok);
		CHECK_EQ_INT(got, 300 * NL);
		spool_close(f.kept);
	}
	CHECK_EQ_INT(atomic_load(&r->made), atomic_load(&r->freed));
	unlink(path);
	free(big);
	free(r);
}

int main(void)
{
	char dir[] = "/tmp/azd-filter.XXXXXX", in[64];

	if (mkdtemp(dir) == NULL) {
		SKIP("no temporary folder");
		return unit_done();
	}
	snprintf(in, sizeof in, "%s/in.ndjson", dir);
	make_input(in);
	/* the malformed lines are said on stderr: not this test's business */
	if (freopen("/dev/null", "w", stderr) == NULL)
		CHECK(0);
	test_collect(in, 1, 0);
	test_collect(in, 4, 0);
	test_collect(in, 4, 1);
	test_collect(in, 16, 1);
	test_stop(in, 1);
	test_stop(in, 6);
	test_spool_text(dir, 1);
	test_spool_text(dir, 4);
	unlink(in);
	rmdir(dir);
	return unit_done();
}
