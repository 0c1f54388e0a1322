/* test_rec.c — NDJSON reading, writing, pass-through and atomic output. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec.h"
#include "unit.h"

static char dir[] = "/tmp/azd-rec.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void test_read_and_passthrough(void)
{
	char in[256], out[256], buf[1024];
	rec_reader *r;
	rec_writer *w;
	json_t *rec;
	long bad;
	aderr err = {0};
	int n = 0, nbad = 0;
	FILE *fp;
	size_t got;

	snprintf(in, sizeof in, "%s/in.ndjson", dir);
	snprintf(out, sizeof out, "%s/out.ndjson", dir);
	write_file(in,
	    "{\"name\":\"a.jpg\",\"zeta\":1,\"alpha\":{\"x\":[1,2]}}\n"
	    "\n"
	    "{\"name\":\"b.jpg\"\n"
	    "[1,2,3]\n"
	    "{\"name\":\"c\\u00e9.png\",\"size\":12345678901}");
	r = rec_reader_open(in, &err);
	CHECK(r != NULL);
	CHECK_EQ_INT(rec_reader_total(r), 5);
	w = rec_writer_open(out, &err);
	CHECK(w != NULL);
	while (rec_read(r, &rec, &bad, &err) > 0) {
		n++;
		if (bad) {
			nbad++;
			CHECK(rec_has_error(rec));
			CHECK_STR(rec_error_stage(rec), "input");
			CHECK(rec_str(rec, "raw") != NULL);
		}
		if (n == 1)
			rec_set_str(rec, "path", "/w/a.jpg");
		CHECK_EQ_INT(rec_write(w, rec, &err), 0);
		json_decref(rec);
	}
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(nbad, 2);
	CHECK_EQ_INT(rec_reader_line(r), 5);
	rec_reader_close(r);
	/* not visible before commit */
	CHECK(access(out, F_OK) != 0);
	CHECK_EQ_INT(rec_writer_close(w, 1, &err), 0);
	CHECK(access(out, F_OK) == 0);
	fp = fopen(out, "r");
	got = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
	buf[got] = '\0';
	if (fp)
		fclose(fp);
	/* unknown fields kept in their order, new field appended */
	CHECK(strncmp(buf, "{\"name\":\"a.jpg\",\"zeta\":1,\"alpha\":{\"x\":[1,2]},\"path\":\"/w/a.jpg\"}\n", 60) == 0);
	CHECK(strstr(buf, "\"size\":12345678901") != NULL);
	CHECK(strstr(buf, "line 3") == NULL);   /* messages use FILE:LINE */
	CHECK(strstr(buf, "in.ndjson:3: invalid JSON") != NULL);
	CHECK(strstr(buf, "in.ndjson:4: record is not a JSON object") != NULL);
}

static void test_abort(void)
{
	char out[256];
	rec_writer *w;
	json_t *rec = json_pack("{s:s}", "name", "x");
	aderr err = {0};

	snprintf(out, sizeof out, "%s/aborted.ndjson", dir);
	w = rec_writer_open(out, &err);
	CHECK(w != NULL);
	CHECK_EQ_INT(rec_write(w, rec, &err), 0);
	rec_writer_close(w, 0, NULL);
	CHECK(access(out, F_OK) != 0);
	json_decref(rec);
}

static void test_helpers(void)
{
	json_t *rec = json_pack("{s:s, s:I, s:f}", "name", "n", "size", (json_int_t)42, "ratio", 2.5);
	char *clean;

	CHECK_STR(rec_name(rec), "n");
	CHECK_EQ_INT(rec_int(rec, "size", -1), 42);
	CHECK_EQ_INT(rec_int(rec, "ratio", -1), 2);
	CHECK_EQ_INT(rec_int(rec, "none", -1), -1);
	/* a real past what a long long holds is no number (the fuzzer's 7.41e85) */
	{
		json_t *big = json_pack("{s:f, s:f, s:f}", "size", 7.41e85, "width", -1e19,
		    "height", 4.0e18);

		CHECK_EQ_INT(rec_int(big, "size", -1), -1);
		CHECK_EQ_INT(rec_int(big, "width", -1), -1);
		CHECK(rec_int(big, "height", -1) == 4000000000000000000LL);
		json_decref(big);
	}
	CHECK(rec_str(rec, "size") == NULL);
	CHECK(!rec_has_error(rec));
	rec_set_error(rec, "featx", "corrupt", "bad huffman table");
	CHECK(rec_has_error(rec));
	CHECK_STR(rec_error_stage(rec), "featx");
	/* invalid UTF-8 is replaced, not dropped */
	CHECK_EQ_INT(rec_set_str(rec, "odd", "a\xff" "b"), 0);
	CHECK_STR(rec_str(rec, "odd"), "a\xef\xbf\xbd" "b");
	clean = utf8_sanitize("caf\xc3\xa9");
	CHECK_STR(clean, "caf\xc3\xa9");
	free(clean);
	json_decref(rec);
}

static void test_missing_input(void)
{
	aderr err = {0};
	rec_reader *r = rec_reader_open("/nonexistent/in.ndjson", &err);

	CHECK(r == NULL);
	CHECK_EQ_INT(err.code, AD_ENOENT);
	CHECK(strstr(err.msg, "/nonexistent/in.ndjson") != NULL);
}

/* An output that is no regular file (-o /dev/null, a FIFO) is written in place: the
 * temporary-and-rename of a regular file would replace the node itself (as root, -o
 * /dev/null turned /dev/null into a regular file).  A FIFO stands for the device here:
 * it needs no privilege and a rename replaces it just the same. */
static void test_special_output(void)
{
	char fifo[256], buf[256];
	struct stat st;
	rec_writer *w;
	json_t *rec = json_pack("{s:s}", "name", "a.jpg");
	aderr err = {0};
	int rfd;
	ssize_t n;

	snprintf(fifo, sizeof fifo, "%s/out.fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	/* a reader first, so that the writer's open does not wait */
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0);
	w = rec_writer_open(fifo, &err);
	CHECK(w != NULL);
	if (w != NULL) {
		CHECK_EQ_INT(rec_write(w, rec, &err), 0);
		CHECK_EQ_INT(rec_writer_close(w, 1, &err), 0);
	}
	CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	n = rfd >= 0 ? read(rfd, buf, sizeof buf - 1) : -1;
	if (n >= 0)
		buf[n] = '\0';
	CHECK(n > 0 && strcmp(buf, "{\"name\":\"a.jpg\"}\n") == 0);
	if (rfd >= 0)
		close(rfd);
	json_decref(rec);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	test_read_and_passthrough();
	test_abort();
	test_helpers();
	test_missing_input();
	test_special_output();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_done();
}
