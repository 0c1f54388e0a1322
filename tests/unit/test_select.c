/* test_select.c — which listed names a run keeps (lib/storage/select.c): rclone's glob
 * patterns case by case (stars within and across segments, anchoring, alternatives,
 * classes, escapes, UTF-8 names, spaces, '#', '%', '?'), the rule order and rclone's
 * implied exclusion after an include, rule files with their line numbers, and the sizes
 * and ages with rclone's units. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "select.h"
#include "unit.h"

/* 1 match, 0 no match; a bad pattern fails the check */
static int m(const char *pattern, const char *name)
{
	aderr err = {0};
	int rc = sel_match(pattern, name, &err);

	if (rc < 0)
		fprintf(stderr, "pattern '%s': %s\n", pattern, err.msg);
	return rc;
}

static void test_stars(void)
{
	/* '*' stays inside a segment; an unanchored pattern matches at any depth, from the
	 * start of a segment */
	CHECK_EQ_INT(m("*.jpg", "b.jpg"), 1);
	CHECK_EQ_INT(m("*.jpg", "a/b.jpg"), 1);
	CHECK_EQ_INT(m("*.jpg", "a/b/c.jpg"), 1);
	CHECK_EQ_INT(m("*.jpg", "a/b.jpeg"), 0);
	CHECK_EQ_INT(m("*.jpg", "b.jpg/c.png"), 0);
	CHECK_EQ_INT(m("b.jpg", "a/b.jpg"), 1);
	CHECK_EQ_INT(m("b.jpg", "a/ab.jpg"), 0);
	CHECK_EQ_INT(m("b.jpg", "ab.jpg"), 0);
	CHECK_EQ_INT(m("a/*.jpg", "a/b.jpg"), 1);
	CHECK_EQ_INT(m("a/*.jpg", "x/a/b.jpg"), 1);
	CHECK_EQ_INT(m("a/*.jpg", "a/b/c.jpg"), 0);
	CHECK_EQ_INT(m("a/*.jpg", "xa/b.jpg"), 0);
	/* a leading '/' anchors at the root */
	CHECK_EQ_INT(m("/top/*", "top/a.jpg"), 1);
	CHECK_EQ_INT(m("/top/*", "top/sub/a.jpg"), 0);
	CHECK_EQ_INT(m("/top/*", "x/top/a.jpg"), 0);
	CHECK_EQ_INT(m("/*.jpg", "a.jpg"), 1);
	CHECK_EQ_INT(m("/*.jpg", "d/a.jpg"), 0);
	CHECK_EQ_INT(m("/top/**", "top/sub/deep/a.jpg"), 1);
	/* '**' crosses segments */
	CHECK_EQ_INT(m("dir/**", "dir/a"), 1);
	CHECK_EQ_INT(m("dir/**", "sub/dir/deeper/a"), 1);
	CHECK_EQ_INT(m("dir/**", "subdir/a"), 0);
	CHECK_EQ_INT(m("**/raw/**", "a/raw/b.jpg"), 1);
	CHECK_EQ_INT(m("**/raw/**", "a/b/raw/c/d.jpg"), 1);
	/* as in rclone, whose regexp for it is (^|/).*\/raw/.*$: a raw folder at the top
	 * is matched by raw followed by a slash and two stars */
	CHECK_EQ_INT(m("**/raw/**", "raw/b.jpg"), 0);
	CHECK_EQ_INT(m("raw/**", "raw/b.jpg"), 1);
	CHECK_EQ_INT(m("**/raw/**", "a/raw.jpg"), 0);
	CHECK_EQ_INT(m("**/raw/**", "a/rawx/b.jpg"), 0);
	CHECK_EQ_INT(m("**", "a/b/c"), 1);
	CHECK_EQ_INT(m("**.jpg", "a/b/c.jpg"), 1);
	CHECK_EQ_INT(m("a*b*c", "aXbYc"), 1);
	CHECK_EQ_INT(m("a*b*c", "aXb/Yc"), 0);
	CHECK_EQ_INT(m("a**c", "aX/b/Yc"), 1);
	/* a folder pattern ("P/"): every name under such a folder */
	CHECK_EQ_INT(m("cache/", "cache/a.jpg"), 1);
	CHECK_EQ_INT(m("cache/", "x/cache/y/a.jpg"), 1);
	CHECK_EQ_INT(m("cache/", "cache.jpg"), 0);
	CHECK_EQ_INT(m("/cache/", "x/cache/a.jpg"), 0);
	/* no exponential blow-up on many stars against a long name that fails */
	{
		char name[4001];

		memset(name, 'a', 4000);
		name[4000] = '\0';
		CHECK_EQ_INT(m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name), 0);
		CHECK_EQ_INT(m("**a**a**a**a**a**a**a**a**a**a**b", name), 0);
	}
}

static void test_any_class_alt(void)
{
	/* '?' is one character but '/', a whole UTF-8 character */
	CHECK_EQ_INT(m("*.t?t", "file.txt"), 1);
	CHECK_EQ_INT(m("*.t?t", "file.tt"), 0);
	CHECK_EQ_INT(m("a?b", "a/b"), 0);
	CHECK_EQ_INT(m("caf?.jpg", "caf\xc3\xa9.jpg"), 1);    /* café: é is two bytes */
	CHECK_EQ_INT(m("caf??.jpg", "caf\xc3\xa9.jpg"), 0);
	CHECK_EQ_INT(m("?.jpg", "\xf0\x9f\x93\xb7.jpg"), 1);  /* 📷: four bytes */
	/* classes */
	CHECK_EQ_INT(m("*.[a-z]", "file.a"), 1);
	CHECK_EQ_INT(m("*.[a-z]", "file.0"), 0);
	CHECK_EQ_INT(m("img[0-9][0-9].jpg", "img42.jpg"), 1);
	CHECK_EQ_INT(m("img[0-9][0-9].jpg", "img4x.jpg"), 0);
	CHECK_EQ_INT(m("img[!0-9].jpg", "imgx.jpg"), 1);
	CHECK_EQ_INT(m("img[!0-9].jpg", "img4.jpg"), 0);
	CHECK_EQ_INT(m("img[^0-9].jpg", "img4.jpg"), 0);
	CHECK_EQ_INT(m("a[!x]b", "a/b"), 0);                    /* a class never matches '/' */
	CHECK_EQ_INT(m("[[:upper:]]*", "Photo.jpg"), 1);
	CHECK_EQ_INT(m("[[:upper:]]*", "photo.jpg"), 0);
	CHECK_EQ_INT(m("*.\\d\\d\\d", "file.012"), 1);
	CHECK_EQ_INT(m("*.\\d\\d\\d", "file.abc"), 0);
	CHECK_EQ_INT(m("[\\d_]*", "_x"), 1);
	CHECK_EQ_INT(m("[\xc3\xa0-\xc3\xbf]*", "\xc3\xa9t\xc3\xa9.jpg"), 1);   /* [à-ÿ]: été */
	CHECK_EQ_INT(m("[\xc3\xa0-\xc3\xbf]*", "ete.jpg"), 0);
	CHECK_EQ_INT(m("[a\\-z]", "-"), 1);
	CHECK_EQ_INT(m("[a\\-z]", "b"), 0);
	CHECK_EQ_INT(m("[a-]", "-"), 1);
	CHECK_EQ_INT(m("[\\]]", "]"), 1);
	/* alternatives */
	CHECK_EQ_INT(m("*.{jpg,png}", "a.jpg"), 1);
	CHECK_EQ_INT(m("*.{jpg,png}", "d/a.png"), 1);
	CHECK_EQ_INT(m("*.{jpg,png}", "a.gif"), 0);
	CHECK_EQ_INT(m("{a,b}/*", "b/x"), 1);
	CHECK_EQ_INT(m("{a,b}/*", "c/x"), 0);
	CHECK_EQ_INT(m("/{dir1/**,dir2/**}", "dir2/x/y"), 1);
	CHECK_EQ_INT(m("/{dir1/**,dir2/**}", "dir3/x"), 0);
	CHECK_EQ_INT(m("x{a,{b,c}d}y", "xcdy"), 1);
	CHECK_EQ_INT(m("x{a,{b,c}d}y", "xay"), 1);
	CHECK_EQ_INT(m("x{a,{b,c}d}y", "xcy"), 0);
	CHECK_EQ_INT(m("a{,.bak}", "a"), 1);
	CHECK_EQ_INT(m("a{,.bak}", "a.bak"), 1);
	CHECK_EQ_INT(m("a,b", "a,b"), 1);               /* a comma outside braces is itself */
	CHECK_EQ_INT(m("[{]x", "{x"), 1);               /* a brace inside a class is itself */
}

static void test_escapes_odd_names(void)
{
	/* escapes make the special characters themselves */
	CHECK_EQ_INT(m("*.\\?\\?\\?", "file.???"), 1);
	CHECK_EQ_INT(m("*.\\?\\?\\?", "file.abc"), 0);
	CHECK_EQ_INT(m("\\*.jpg", "*.jpg"), 1);
	CHECK_EQ_INT(m("\\*.jpg", "a.jpg"), 0);
	CHECK_EQ_INT(m("*\\[{JP,KR}\\]*", "song [JP].jpg"), 1);
	CHECK_EQ_INT(m("*\\[{JP,KR}\\]*", "song [US].jpg"), 0);
	CHECK_EQ_INT(m("\\{a,b\\}.jpg", "{a,b}.jpg"), 1);
	CHECK_EQ_INT(m("\\{a,b\\}.jpg", "a.jpg"), 0);
	CHECK_EQ_INT(m("a\\\\b", "a\\b"), 1);
	CHECK_EQ_INT(m("dir\\/", "x/dir/a"), 0);        /* an escaped '/' ends no folder */
	/* names with spaces, '#', '%', '?', UTF-8 */
	CHECK_EQ_INT(m("my photos/*.jpg", "2024/my photos/a b.jpg"), 1);
	CHECK_EQ_INT(m("* *.jpg", "a b.jpg"), 1);
	CHECK_EQ_INT(m("* *.jpg", "ab.jpg"), 0);
	CHECK_EQ_INT(m("#1.jpg", "x/#1.jpg"), 1);
	CHECK_EQ_INT(m("*#*", "a#b.jpg"), 1);
	CHECK_EQ_INT(m("100%.jpg", "d/100%.jpg"), 1);
	CHECK_EQ_INT(m("*%20*", "a%20b.jpg"), 1);
	CHECK_EQ_INT(m("*%20*", "a b.jpg"), 0);
	CHECK_EQ_INT(m("why\\?.jpg", "why?.jpg"), 1);
	CHECK_EQ_INT(m("why\\?.jpg", "whyX.jpg"), 0);
	CHECK_EQ_INT(m("why?.jpg", "why?.jpg"), 1);
	CHECK_EQ_INT(m("\xe5\x86\x99\xe7\x9c\x9f/*", "\xe5\x86\x99\xe7\x9c\x9f/a.jpg"), 1);
	CHECK_EQ_INT(m("\xe5\x86\x99\xe7\x9c\x9f/*", "\xe5\x86\x99/a.jpg"), 0);
	CHECK_EQ_INT(m("Caf\xc3\xa9*", "cafe.jpg"), 0);     /* case-sensitive, no folding */
	CHECK_EQ_INT(m("*.JPG", "a.jpg"), 0);
}

static void test_bad_patterns(void)
{
	static const char *bad[] = { "", "/", "a[b", "a]b", "[]", "{a,b", "a}b", "***",
	    "*.{{jpe?g}}", "a\\", "[z-a]", "\\q", "[[:nope:]]", "x{a,{b}" };
	aderr err = {0};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		CHECK_EQ_INT(sel_match(bad[i], "a", &err), AD_EUSAGE);
		CHECK(err.msg[0] != '\0');
	}
	CHECK_EQ_INT(sel_match("a[b", "a", &err), AD_EUSAGE);
	CHECK_STR(err.msg, "unmatched '['");
	CHECK_EQ_INT(sel_match("*.{{x}}", "a", &err), AD_EUSAGE);
	CHECK(strstr(err.msg, "regular expressions") != NULL);
	/* 2^11 alternatives: refused, not spelled out */
	CHECK_EQ_INT(sel_match("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "a", &err),
	    AD_EUSAGE);
	CHECK(strstr(err.msg, "too many alternatives") != NULL);
}

static void test_rules(void)
{
	aderr err = {0};
	sel *s = sel_new();

	CHECK(s != NULL);
	CHECK_EQ_INT(sel_active(s), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "anything"), 1);
	/* excludes only: what no rule matches is kept */
	CHECK_EQ_INT(sel_add(s, 0, "*.bak", &err), 0);
	CHECK_EQ_INT(sel_active(s), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "a.jpg"), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "d/a.bak"), 0);
	sel_free(s);

	/* first match wins, in the order given; an include implies "- **" at the end */
	s = sel_new();
	CHECK_EQ_INT(sel_add(s, 0, "/private/**", &err), 0);
	CHECK_EQ_INT(sel_add(s, 1, "*.jpg", &err), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "a.jpg"), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "x/private/a.jpg"), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "private/a.jpg"), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "a.png"), 0);
	sel_free(s);
	s = sel_new();
	CHECK_EQ_INT(sel_add(s, 1, "*.jpg", &err), 0);
	CHECK_EQ_INT(sel_add(s, 0, "/private/**", &err), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "private/a.jpg"), 1);
	CHECK_EQ_INT(sel_add(s, 0, "a[", &err), AD_EUSAGE);
	sel_free(s);

	/* sizes and times, inclusive */
	s = sel_new();
	sel_size(s, 100, 200);
	sel_mtime(s, 1000, 2000);
	CHECK_EQ_INT(sel_active(s), 1);
	CHECK_EQ_INT(sel_keeps(s, "a", 100, 1500), 1);
	CHECK_EQ_INT(sel_keeps(s, "a", 200, 1500), 1);
	CHECK_EQ_INT(sel_keeps(s, "a", 99, 1500), 0);
	CHECK_EQ_INT(sel_keeps(s, "a", 201, 1500), 0);
	CHECK_EQ_INT(sel_keeps(s, "a", 150, 1000), 1);
	CHECK_EQ_INT(sel_keeps(s, "a", 150, 2000), 1);
	CHECK_EQ_INT(sel_keeps(s, "a", 150, 999), 0);
	CHECK_EQ_INT(sel_keeps(s, "a", 150, 2001), 0);
	sel_free(s);
	sel_free(NULL);
}

static void test_rule_file(void)
{
	char path[] = "/tmp/test_select_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	aderr err = {0};
	sel *s = sel_new();

	CHECK(f != NULL);
	if (f == NULL) {
		sel_free(s);
		return;
	}
	fputs("# photos only\n\n  *.jpg  \r\n; rclone's other comment\n*.png\n   \n", f);
	fclose(f);
	CHECK_EQ_INT(sel_add_file(s, 1, path, &err), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "a/b.jpg"), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "b.png"), 1);
	CHECK_EQ_INT(sel_keeps_name(s, "# photos only"), 0);
	CHECK_EQ_INT(sel_keeps_name(s, "b.gif"), 0);
	sel_free(s);

	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		char want[600];

		fputs("# ok\n*.jpg\n\n*.{png\n", f);
		fclose(f);
		s = sel_new();
		CHECK_EQ_INT(sel_add_file(s, 0, path, &err), AD_EUSAGE);
		snprintf(want, sizeof want, "%s:4: unmatched '{'", path);
		CHECK_STR(err.msg, want);
		sel_free(s);
	}
	unlink(path);
	s = sel_new();
	CHECK_EQ_INT(sel_add_file(s, 0, path, &err), AD_EUSAGE);     /* gone now */
	CHECK(strstr(err.msg, path) != NULL);
	sel_free(s);
}

static void test_sizes(void)
{
	static const struct { const char *s; long long v; } good[] = {
		{ "100k", 100 * 1024LL }, { "100K", 100 * 1024LL }, { "100Ki", 100 * 1024LL },
		{ "100KiB", 100 * 1024LL }, { "5M", 5 * 1048576LL }, { "1G", 1073741824LL },
		{ "2T", 2 * 1099511627776LL }, { "1P", 1125899906842624LL }, { "1.5M", 1572864 },
		{ "10b", 10 }, { "10B", 10 }, { "0", 0 }, { "100", 100 * 1024LL }, { "off", -1 }
	};
	static const char *bad[] = { "", "k", "-1", "1x", "1 k", "1kk", "1.k", ".5k", "1e3",
	    "99999999999999999999", "9000000P", "1Kx" };
	aderr err = {0};
	long long v;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = 7;
		CHECK_EQ_INT(sel_parse_size(good[i].s, &v, &err), 0);
		CHECK_EQ_INT(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		CHECK_EQ_INT(sel_parse_size(bad[i], &v, &err), AD_EUSAGE);
		CHECK_EQ_INT(v, 7);
	}
	CHECK(strstr(err.msg, "'1Kx'") != NULL);
}

static void test_ages(void)
{
	static const struct { const char *s; long long back; } good[] = {
		{ "30m", 1800 }, { "12h", 43200 }, { "7d", 604800 }, { "2w", 1209600 },
		{ "90", 90 }, { "90s", 90 }, { "1h30m", 5400 }, { "1.5h", 5400 }, { "1M", 2592000 },
		{ "1y", 31536000 }, { "1500ms", 1 }
	};
	static const char *bad[] = { "", "d", "7x", "-7d", "7 d", "7dd", "h1", "2026-13-01",
	    "2026-02-30", "2026-01-01X", "2026-01-01T25:00", "26-01-01", "1d2" };
	time_t now = 1800000000;
	aderr err = {0};
	long long v;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK_EQ_INT(sel_parse_age(good[i].s, now, &v, &err), 0);
		CHECK_EQ_INT(v, now - good[i].back);
	}
	CHECK_EQ_INT(sel_parse_age("2026-01-31T12:00:00Z", now, &v, &err), 0);
	CHECK_EQ_INT(v, 1769860800);
	CHECK_EQ_INT(sel_parse_age("2026-01-31T14:00:00+02:00", now, &v, &err), 0);
	CHECK_EQ_INT(v, 1769860800);
	CHECK_EQ_INT(sel_parse_age("2026-01-31 12:00:00.250Z", now, &v, &err), 0);
	CHECK_EQ_INT(v, 1769860800);
	/* without a zone: local time; TZ=UTC makes it comparable */
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ_INT(sel_parse_age("2026-01-31", now, &v, &err), 0);
	CHECK_EQ_INT(v, 1769817600);
	CHECK_EQ_INT(sel_parse_age("2026-01-31T12:00", now, &v, &err), 0);
	CHECK_EQ_INT(v, 1769860800);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		CHECK_EQ_INT(sel_parse_age(bad[i], now, &v, &err), AD_EUSAGE);
		CHECK_EQ_INT(v, 7);
	}
	CHECK(strstr(err.msg, "'1d2'") != NULL);
}

int main(void)
{
	test_stars();
	test_any_class_alt();
	test_escapes_odd_names();
	test_bad_patterns();
	test_rules();
	test_rule_file();
	test_sizes();
	test_ages();
	return unit_done();
}
