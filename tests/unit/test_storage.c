/* test_storage.c — the local-folder storage: listing order, prefix, get/put/copy rules,
 * delete and links, and what a copy would do (dst_plan). */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "dstsync.h"
#include "storage.h"
#include "unit.h"

static char dir[] = "/tmp/azd-stor.XXXXXX";

static void put_file(const char *rel, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	CHECK_EQ_INT(mkdir_parents(p, NULL), 0);
	fp = fopen(p, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

struct names {
	char buf[2048];
	int n;
};

static int collect(void *ud, const struct stor_entry *e)
{
	struct names *nm = ud;

	strcat(nm->buf, e->name);
	strcat(nm->buf, "|");
	nm->n++;
	return 0;
}

static void test_list(void)
{
	char root[512];
	struct names nm = {{0}, 0};
	aderr err = {0};
	stor *s;

	put_file("src/a/b.jpg", "1");
	put_file("src/a-b.jpg", "22");
	put_file("src/a.jpg", "333");
	put_file("src/z z/#1 %20?.png", "4444");
	put_file("src/.hidden.jpg", "x");
	put_file("src/caf\xc3\xa9/x.webp", "55555");
	snprintf(root, sizeof root, "%s/src", dir);
	s = stor_open(root, 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(stor_kind(s), "local");
	CHECK_EQ_INT(stor_list(s, "", collect, &nm, &err), 0);
	/* byte order of full names: '-' (0x2d) < '.' < '/' (0x2f) */
	CHECK_STR(nm.buf, "a-b.jpg|a.jpg|a/b.jpg|caf\xc3\xa9/x.webp|z z/#1 %20?.png|");
	nm.buf[0] = '\0';
	CHECK_EQ_INT(stor_list(s, "a/", collect, &nm, &err), 0);
	CHECK_STR(nm.buf, "a/b.jpg|");
	nm.buf[0] = '\0';
	CHECK_EQ_INT(stor_list(s, "z", collect, &nm, &err), 0);
	CHECK_STR(nm.buf, "z z/#1 %20?.png|");
	{
		struct stor_entry e;

		CHECK_EQ_INT(stor_stat(s, "z z/#1 %20?.png", &e, &err), 0);
		CHECK_EQ_INT(e.size, 4);
		CHECK(e.etag[0] != '\0');
		CHECK_EQ_INT(stor_stat(s, "nope.jpg", &e, &err), AD_ENOENT);
		CHECK(stor_stat(s, "../etc/passwd", &e, &err) < 0);
	}
	stor_close(s);
}

static void test_get_put_copy(void)
{
	char root[256], dst[256], local[256], other[600];
	aderr err = {0};
	stor *s, *d;
	struct stat a, b;

	snprintf(root, sizeof root, "%s/src", dir);
	snprintf(dst, sizeof dst, "%s/dst/deep", dir);
	snprintf(local, sizeof local, "%s/work/a/b.jpg", dir);
	s = stor_open(root, 0, &err);
	d = stor_open(dst, STOR_CREATE, &err);
	CHECK(s != NULL && d != NULL);
	if (s == NULL || d == NULL)
		return;
	/* get: a hard link when allowed, then recognised as present */
	CHECK_EQ_INT(stor_get(s, "a/b.jpg", local, STOR_LINK, NULL, &err), STOR_DONE);
	CHECK(stat(local, &a) == 0);
	snprintf(other, sizeof other, "%s/a/b.jpg", root);
	CHECK(stat(other, &b) == 0 && a.st_ino == b.st_ino);
	CHECK_EQ_INT(stor_get(s, "a/b.jpg", local, STOR_LINK, NULL, &err), STOR_SAME);
	/* copy: new, then same, then different content refused unless overwrite */
	CHECK_EQ_INT(stor_copy(d, "x/a.jpg", s, "a.jpg", 0, &err), STOR_DONE);
	CHECK_EQ_INT(stor_copy(d, "x/a.jpg", s, "a.jpg", 0, &err), STOR_SAME);
	CHECK_EQ_INT(stor_copy(d, "x/a.jpg", s, "a-b.jpg", 0, &err), AD_EEXIST);
	CHECK(strstr(err.msg, "--overwrite") != NULL);
	CHECK_EQ_INT(stor_copy(d, "x/a.jpg", s, "a-b.jpg", STOR_OVERWRITE, &err), STOR_DONE);
	snprintf(other, sizeof other, "%s/x/a.jpg", dst);
	CHECK(stat(other, &a) == 0 && a.st_size == 2);
	/* same-size, different bytes is still different */
	CHECK_EQ_INT(stor_put(d, "x/a.jpg", local, 0, &err), AD_EEXIST);
	CHECK_EQ_INT(stor_copy(d, "../escape.jpg", s, "a.jpg", 0, &err), AD_EUSAGE);
	CHECK_EQ_INT(stor_copy(d, "y.jpg", s, "missing.jpg", 0, &err), AD_ENOENT);
	stor_close(s);
	stor_close(d);
}

/* A destination cut short (the source's first bytes) is work not done: replaced without
 * --overwrite.  A shorter file with other bytes is someone's file: refused. */
static void test_cut_short(void)
{
	char root[256], dst[256], p[600];
	aderr err = {0};
	stor *s, *d;
	FILE *fp;

	put_file("cut/src/img.jpg", "0123456789");
	snprintf(root, sizeof root, "%s/cut/src", dir);
	snprintf(dst, sizeof dst, "%s/cut/dst", dir);
	put_file("cut/dst/img.jpg", "0123");
	put_file("cut/dst/other.jpg", "0124");
	s = stor_open(root, 0, &err);
	d = stor_open(dst, 0, &err);
	CHECK(s != NULL && d != NULL);
	if (s == NULL || d == NULL)
		return;
	CHECK_EQ_INT(stor_copy(d, "img.jpg", s, "img.jpg", 0, &err), STOR_DONE);
	snprintf(p, sizeof p, "%s/img.jpg", dst);
	fp = fopen(p, "r");
	CHECK(fp != NULL);
	if (fp) {
		char buf[32] = "";

		CHECK(fgets(buf, sizeof buf, fp) != NULL);
		CHECK_STR(buf, "0123456789");
		fclose(fp);
	}
	CHECK_EQ_INT(stor_copy(d, "other.jpg", s, "img.jpg", 0, &err), AD_EEXIST);
	stor_close(s);
	stor_close(d);
}

/* Every temporary name fits NAME_MAX whatever the target's length, and the fixed one is
 * the same for the same target (a rerun takes a killed run's over). */
static void test_temp_names(void)
{
	char path[600], name[NAME_MAX + 1];
	int long_ok = 1, stable = 1;

	for (int n = 1; n <= NAME_MAX; n++) {
		char *part, *tmp, *again;
		const char *b;

		memset(name, 'x', (size_t)n);
		name[n] = '\0';
		snprintf(path, sizeof path, "/some/dir/%s", name);
		part = partial_name_for(path);
		tmp = tmp_name_for(path);
		again = partial_name_for(path);
		if (part == NULL || tmp == NULL || again == NULL) {
			CHECK(!"out of memory");
			free(part), free(tmp), free(again);
			return;
		}
		b = strrchr(part, '/') + 1;
		if (strlen(b) + strlen(".etag") > NAME_MAX || strlen(strrchr(tmp, '/') + 1) > NAME_MAX ||
		    strncmp(part, "/some/dir/.", 11) != 0)
			long_ok = 0;
		if (strcmp(part, again) != 0)
			stable = 0;
		if (n == 3)
			CHECK_STR(part, "/some/dir/.xxx.partial");
		free(part);
		free(tmp);
		free(again);
	}
	CHECK(long_ok);
	CHECK(stable);
	{
		char *a, *b;

		memset(name, 'y', NAME_MAX);
		name[NAME_MAX] = '\0';
		snprintf(path, sizeof path, "/d/%s", name);
		a = partial_name_for(path);
		name[NAME_MAX - 1] = 'z';
		snprintf(path, sizeof path, "/d/%s", name);
		b = partial_name_for(path);
		CHECK(a != NULL && b != NULL && strcmp(a, b) != 0);
		free(a);
		free(b);
	}
}

static void test_open_errors(void)
{
	aderr err = {0};
	char f[512];

	CHECK(stor_open("/nonexistent/azd", 0, &err) == NULL);
	CHECK_EQ_INT(err.code, AD_ENOENT);
	snprintf(f, sizeof f, "%s/src/a.jpg", dir);
	CHECK(stor_open(f, 0, &err) == NULL);
	CHECK(strstr(err.msg, "not a folder") != NULL);
	CHECK(stor_open("gopher://x/y", 0, &err) == NULL);
	CHECK_EQ_INT(err.code, AD_EUSAGE);
	/* a container the service would turn down with a bare 400: said here, by name */
	{
		static const char *const bad[] = { "u1", "Photos", "my_photos", "a--b", "-ab",
			"ab-", "0123456789012345678901234567890123456789012345678901234567890123" };

		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			snprintf(f, sizeof f, "https://acct.blob.core.windows.net/%s/x?sv=1&sig=2", bad[i]);
			CHECK(stor_open(f, 0, &err) == NULL);
			CHECK_EQ_INT(err.code, AD_EUSAGE);
			CHECK(strstr(err.msg, "is not a container name") != NULL);
			CHECK(strstr(err.msg, bad[i]) != NULL);
			CHECK(strstr(err.msg, "sig=") == NULL);
		}
	}
	/* and the names it takes open (nothing is asked of the service until a call) */
	{
		static const char *const good[] = { "abc", "a-1", "photos-2026", "$root", "$web",
			"012345678901234567890123456789012345678901234567890123456789012" };

		for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
			stor *s;

			snprintf(f, sizeof f, "https://acct.blob.core.windows.net/%s/x?sv=1&sig=2", good[i]);
			s = stor_open(f, 0, &err);
			CHECK(s != NULL);
			stor_close(s);
		}
	}
}

static void test_names(void)
{
	CHECK(stor_name_ok("a/b c/#%?.jpg", NULL));
	CHECK(!stor_name_ok("/abs", NULL));
	CHECK(!stor_name_ok("a//b", NULL));
	CHECK(!stor_name_ok("a/../b", NULL));
	CHECK(!stor_name_ok("./a", NULL));
	CHECK(!stor_name_ok("a/", NULL));
	CHECK(!stor_name_ok("", NULL));
	CHECK(stor_name_ok("..a/b..", NULL));
	CHECK(stor_is_image_name("x/IMG_1.JPG"));
	CHECK(stor_is_image_name("a.webp"));
	CHECK(!stor_is_image_name("a.jpg/readme"));
	CHECK(!stor_is_image_name("notes.txt"));
}

/* stor_root: a local folder's absolute path with its links resolved, also through a
 * link to the folder; its display form is the same. */
static void test_root(void)
{
	char src[512], link[512], real[PATH_MAX];
	aderr err = {0};
	stor *s;

	put_file("rooted/a.jpg", "1");
	snprintf(src, sizeof src, "%s/rooted", dir);
	snprintf(link, sizeof link, "%s/rooted-link", dir);
	CHECK_EQ_INT(symlink(src, link), 0);
	CHECK(realpath(src, real) != NULL);
	s = stor_open(link, 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(stor_root(s), real);
	CHECK_STR(stor_display(s), real);
	stor_close(s);
}

/* stor_delete, stor_link and dst_plan between two local folders */
static void test_delete_link_plan(void)
{
	char sp[300], dp[300], buf[700], tgt[700], want[700];
	struct stat a, b;
	aderr err = {0};
	stor *src, *dst;
	ssize_t n;

	put_file("ls/one.jpg", "one");
	put_file("ls/sub/two.jpg", "two");
	snprintf(sp, sizeof sp, "%s/ls", dir);
	snprintf(dp, sizeof dp, "%s/ld", dir);
	src = stor_open(sp, 0, &err);
	CHECK(src != NULL);
	CHECK(stor_open(dp, STOR_WRITE, &err) == NULL);     /* STOR_WRITE creates nothing */
	CHECK_EQ_INT(err.code, AD_ENOENT);
	dst = stor_open(dp, STOR_CREATE, &err);
	CHECK(dst != NULL);
	if (src == NULL || dst == NULL)
		return;
	CHECK_EQ_INT(dst_plan(NULL, "one.jpg", src, NULL, 0, &err), STOR_DONE);
	CHECK_EQ_INT(dst_plan(dst, "one.jpg", src, NULL, 0, &err), STOR_DONE);
	CHECK_EQ_INT(stor_link(dst, "one.jpg", src, "one.jpg", 0, 0, &err), STOR_DONE);
	snprintf(buf, sizeof buf, "%s/one.jpg", dp);
	CHECK(stat(buf, &a) == 0);
	snprintf(buf, sizeof buf, "%s/one.jpg", sp);
	CHECK(stat(buf, &b) == 0 && a.st_ino == b.st_ino);
	CHECK_EQ_INT(stor_link(dst, "one.jpg", src, "one.jpg", 0, 0, &err), STOR_SAME);
	CHECK_EQ_INT(dst_plan(dst, "one.jpg", src, NULL, 0, &err), STOR_SAME);
	CHECK_EQ_INT(stor_link(dst, "one.jpg", src, "one.jpg", 1, 0, &err), AD_EEXIST);
	CHECK_EQ_INT(stor_link(dst, "sub/two.jpg", src, "sub/two.jpg", 1, 0, &err), STOR_DONE);
	snprintf(buf, sizeof buf, "%s/sub/two.jpg", dp);
	n = readlink(buf, tgt, sizeof tgt - 1);
	CHECK(n > 0);
	if (n > 0) {
		tgt[n] = '\0';
		snprintf(want, sizeof want, "%s/sub/two.jpg", stor_root(src));
		CHECK_STR(tgt, want);   /* the absolute path of the source file */
	}
	CHECK_EQ_INT(stor_link(dst, "sub/two.jpg", src, "sub/two.jpg", 1, 0, &err), STOR_SAME);
	CHECK_EQ_INT(stor_link(dst, "x.jpg", src, "none.jpg", 1, 0, &err), AD_ENOENT);
	put_file("ld/other.jpg", "oth");
	CHECK_EQ_INT(dst_plan(dst, "other.jpg", src, NULL, 0, &err), AD_ENOENT);  /* no such src */
	put_file("ls/other.jpg", "OTH");
	CHECK_EQ_INT(dst_plan(dst, "other.jpg", src, NULL, 0, &err), AD_EEXIST);
	CHECK_EQ_INT(dst_plan(dst, "other.jpg", src, NULL, STOR_OVERWRITE, &err), STOR_DONE);
	CHECK_EQ_INT(stor_delete(dst, "sub/two.jpg", &err), 0);
	CHECK(lstat(buf, &a) != 0);
	CHECK(stat(want, &a) == 0);          /* the link went, not what it led to */
	CHECK_EQ_INT(stor_delete(dst, "sub/two.jpg", &err), AD_ENOENT);
	CHECK_EQ_INT(stor_delete(dst, "../ls/one.jpg", &err), AD_EUSAGE);
	stor_close(src);
	stor_close(dst);
}

/* stor_read: a local folder's objects are files, read where they are (not into memory);
 * an unsafe name or a read without the listing's size and etag is refused before any
 * request. */
static void test_read(void)
{
	struct stor_entry e;
	char src[512], buf[4];
	aderr err = {0};
	stor *s;

	put_file("readable/a.jpg", "abc");
	snprintf(src, sizeof src, "%s/readable", dir);
	s = stor_open(src, 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(stor_stat(s, "a.jpg", &e, &err), 0);
	CHECK_EQ_INT(stor_read(s, "a.jpg", &e, buf, &err), AD_EUNSUP);
	CHECK(strstr(err.msg, "read as files") != NULL);
	CHECK_EQ_INT(stor_read(s, "../a.jpg", &e, buf, &err), AD_EUSAGE);
	stor_close(s);
	s = stor_open("http://127.0.0.1:1/devstoreaccount1/cont", 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(stor_read(s, "a.jpg", NULL, buf, &err), AD_EUSAGE);
	memset(&e, 0, sizeof e);
	e.size = 3;
	CHECK_EQ_INT(stor_read(s, "a.jpg", &e, buf, &err), AD_EUSAGE);
	CHECK(strstr(err.msg, "size and etag") != NULL);
	stor_close(s);
}

int main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 2;
	test_list();
	test_get_put_copy();
	test_cut_short();
	test_temp_names();
	test_open_errors();
	test_names();
	test_root();
	test_delete_link_plan();
	test_read();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done();
}
