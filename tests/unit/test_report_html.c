/* test_report_html.c — the review page's pieces that need no browser: the originals'
 * URLs (percent-encoded, never a SAS), the evidence ranks, thumbnails as files and the
 * folder's replacement. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_html.h"
#include "unit.h"

static void url_is(const char *src, const char *name, const char *want)
{
	char *u = html_url(src, name);

	if (want == NULL)
		CHECK(u == NULL);
	else
		CHECK_STR(u, want);
	free(u);
}

int main(void)
{
	aderr err = { 0 };
	char dir[] = "/tmp/azd-unit-html.XXXXXX", path[256], cmd[512];
	struct stat st;

	url_is("/data/photos", "a b/100% sure?.jpg", "file:///data/photos/a%20b/100%25%20sure%3F.jpg");
	url_is("/data/my #1/", "x.jpg", "file:///data/my%20%231/x.jpg");
	url_is("/d", "caf\xc3\xa9 <b>.jpg", "file:///d/caf%C3%A9%20%3Cb%3E.jpg");
	url_is("https://acct.blob.core.windows.net/photos?sv=2024&sig=SECRET", "a/b.jpg",
	    "https://acct.blob.core.windows.net/photos/a/b.jpg");
	url_is("http://127.0.0.1:10000/devstoreaccount1/c#frag", "x", "http://127.0.0.1:10000/devstoreaccount1/c/x");
	url_is("file:///srv/x/", "y z", "file:///srv/x/y%20z");
	url_is("az://photos", "a.jpg", NULL);
	url_is("javascript:alert(1)", "a.jpg", NULL);
	url_is("/d", "", NULL);
	url_is(NULL, "a.jpg", NULL);

	CHECK(html_rank("chain", -1, 0) < html_rank("keypoints", 0, 20));
	CHECK(html_rank("chain", -1, 0) < html_rank("caption", 0, 0));
	CHECK(html_rank("caption", 0, 0) < html_rank("keypoints", 0, 0));
	CHECK(html_rank("keypoints", 0, 99) < html_rank("hash", 0, 0));
	CHECK(html_rank("hash", 3, 0) < html_rank("hash", 12, 0));
	CHECK(html_rank("hash", 98, 0) < html_rank("hash", -1, 0));
	CHECK(html_rank("hash", -1, 0) < html_rank("exact", 0, 0));

	if (mkdtemp(dir) == NULL) {
		SKIP("no temporary folder");
		return unit_done();
	}
	snprintf(path, sizeof path, "%s/r.html", dir);
	{
		html_page *p = html_open(path, &err);
		struct html_member m = { .name = "a/b.jpg", .thumb = "ab12", .w = 1, .h = 1,
		    .size = 5, .kind = "exact", .orient = 1 };
		struct html_member m2 = m;
		struct html_group g = { .id = 1, .n = 2, .saved = 5, .rank = 500 };
		struct html_member ms[2];

		CHECK(p != NULL);
		if (p == NULL)
			return unit_done();
		/* "\xff\xd8\xff\xe0" as base64 */
		CHECK_EQ_INT(html_thumb(p, "ab12", "data:image/jpeg;base64,/9j/4AAQ", &err), 0);
		CHECK_EQ_INT(html_thumb(p, "../x", "data:image/jpeg;base64,/9j/4AAQ", &err), 1);
		CHECK_EQ_INT(html_thumb(p, "cd34", "data:image/png;base64,iVBORw0K", &err), 1);
		CHECK_EQ_INT(html_thumb(p, "cd34", "data:image/jpeg;base64,iVBORw0K", &err), 1);
		m2.name = "a/c\xff\xf0\x9f\x98\x80\"</script>.jpg";
		ms[0] = m;
		ms[1] = m2;
		g.m = ms;
		CHECK_EQ_INT(html_commit(p, &g, 1, "1 group", &err), 0);
	}
	snprintf(path, sizeof path, "%s/r_files/t/ab/ab12.jpg", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 6);
	snprintf(path, sizeof path, "%s/r_files/g/000000.js", dir);
	CHECK(stat(path, &st) == 0);
	/* names as ASCII JSON: not UTF-8 replaced, astral as a pair, no markup */
	snprintf(cmd, sizeof cmd, "grep -qF '\"n\":\"a/c\\ufffd\\ud83d\\ude00\\\"\\u003c/script\\u003e.jpg\"' %s", path);
	CHECK(system(cmd) == 0);
	/* a second page replaces the folder whole */
	snprintf(path, sizeof path, "%s/r.html", dir);
	{
		html_page *p = html_open(path, &err);

		CHECK(p != NULL);
		if (p != NULL)
			CHECK_EQ_INT(html_commit(p, NULL, 0, "nothing", &err), 0);
	}
	snprintf(path, sizeof path, "%s/r_files/t", dir);
	CHECK(stat(path, &st) != 0);
	snprintf(path, sizeof path, "%s/r_files/index.js", dir);
	CHECK(stat(path, &st) == 0);
	/* an aborted page leaves nothing */
	snprintf(path, sizeof path, "%s/s.html", dir);
	html_abort(html_open(path, &err));
	snprintf(cmd, sizeof cmd, "test \"$(ls -A %s | tr '\\n' ' ')\" = 'r.html r_files '", dir);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return unit_done();
}
