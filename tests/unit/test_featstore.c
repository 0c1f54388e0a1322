/* test_featstore.c — the feature store: put/get, latest wins, order, reopen, segments, the
 * writer's lock, and damage: torn tails cut away, bad checksums never served as data. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec.h"
#include "featstore.h"
#include "fsops.h"
#include "unit.h"

static char top[] = "/tmp/azd-store.XXXXXX";

static json_t *mk(const char *name, const char *etag, const char *phash)
{
	json_t *r = json_pack("{s:s, s:i}", "name", name, "size", 1234);

	if (etag)
		json_object_set_new(r, "etag", json_string(etag));
	if (phash)
		json_object_set_new(r, "phash", json_string(phash));
	/* an unknown field must survive the round trip as it is */
	json_object_set_new(r, "x_custom", json_pack("[i, s, {s:b}]", 1, "two", "three", 1));
	return r;
}

static int put(featstore *s, const char *name, const char *etag, const char *phash)
{
	json_t *r = mk(name, etag, phash);
	aderr err = {0};
	int rc = featstore_put(s, r, &err);

	json_decref(r);
	if (rc < 0)
		fprintf(stderr, "put %s: %s\n", name, err.msg);
	return rc;
}

/* The stored phash of name, "" when not stored, "ERR" when refused. */
static const char *phash_of(featstore *s, const char *name)
{
	static char buf[64];
	aderr err = {0};
	json_t *r;
	int rc = featstore_get(s, name, &r, &err);

	if (rc < 0)
		return "ERR";
	if (rc == 0)
		return "";
	snprintf(buf, sizeof buf, "%s", rec_str(r, "phash") ? rec_str(r, "phash") : "(none)");
	json_decref(r);
	return buf;
}

static char *path(const char *sub, const char *file)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s%s%s", top, sub, file ? "/" : "", file ? file : "");
	return p[k];
}

static long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* 1 when both files can be read and hold the same bytes */
static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa != NULL && fb != NULL;

	while (same && ((ca = getc(fa)) != EOF) | ((cb = getc(fb)) != EOF))
		same = ca == cb;
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Offsets of the entries of a segment, walking the documented headers. */
static int entries(const char *seg, long *off, int max)
{
	unsigned char h[32];
	long pos = 16, size = fsize(seg);
	int fd = open(seg, O_RDONLY), n = 0;

	while (fd >= 0 && n < max && pos + 32 <= size && pread(fd, h, 32, pos) == 32) {
		long len = 32 + (h[6] | h[7] << 8) + (h[8] | h[9] << 8) +
		    (long)(h[12] | h[13] << 8 | h[14] << 16 | (unsigned long)h[15] << 24);

		off[n++] = pos;
		pos += len;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static void poke(const char *file, long off, int xor)
{
	int fd = open(file, O_RDWR);
	unsigned char c;

	CHECK(fd >= 0 && pread(fd, &c, 1, off) == 1);
	c ^= (unsigned char)xor;
	CHECK(pwrite(fd, &c, 1, off) == 1);
	close(fd);
}

struct walk {
	char names[512];
	int n, bad;
};

static int walk_cb(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	struct walk *w = ud;

	strcat(w->names, name);
	strcat(w->names, rec ? "|" : "!|");
	w->n++;
	w->bad += bad != NULL;
	if (rec)
		CHECK_STR(rec_name(rec), name);
	return 0;
}

static void test_basic(void)
{
	aderr err = {0};
	struct featstore_info si;
	struct walk w = {{0}, 0, 0};
	json_t *r, *e;
	featstore *s = featstore_open(path("basic", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);

	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "open: %s\n", err.msg);
		return;
	}
	CHECK_EQ_INT(put(s, "b.jpg", "e1", "b1"), 1);
	CHECK_EQ_INT(put(s, "a.jpg", "e2", "a1"), 1);
	CHECK_EQ_INT(put(s, "dir/c.jpg", NULL, "c1"), 1);
	CHECK_EQ_INT(put(s, "dir-d.jpg", "e4", "d1"), 1);
	CHECK_EQ_INT(put(s, "b.jpg", "e1b", "b2"), 1);          /* overwrite: latest wins */
	CHECK_EQ_INT(put(s, "b.jpg", "e1b", "b2"), 0);          /* same bytes: not appended */
	CHECK_EQ_INT(featstore_count(s), 4);
	CHECK_STR(phash_of(s, "b.jpg"), "b2");
	CHECK_STR(phash_of(s, "a.jpg"), "a1");
	CHECK_STR(phash_of(s, "zzz"), "");
	CHECK_EQ_INT(featstore_lookup(s, "b.jpg", &si), 1);
	CHECK_STR(si.etag, "e1b");
	CHECK_EQ_INT(si.is_error, 0);
	CHECK_EQ_INT(featstore_lookup(s, "dir/c.jpg", &si), 1);
	CHECK(si.etag == NULL);
	CHECK_EQ_INT(featstore_lookup(s, "nope", &si), 0);

	/* the whole record comes back, unknown fields and their order included */
	CHECK_EQ_INT(featstore_get(s, "a.jpg", &r, &err), 1);
	e = mk("a.jpg", "e2", "a1");
	CHECK(json_equal(r, e));
	{
		char *x = json_dumps(r, JSON_COMPACT), *y = json_dumps(e, JSON_COMPACT);

		CHECK_STR(x, y);
		free(x);
		free(y);
	}
	json_decref(r);
	json_decref(e);

	/* a failed record is stored, and known as one */
	r = mk("bad.png", "e9", NULL);
	json_object_set_new(r, "error", json_pack("{s:s,s:s,s:s}", "stage", "featx", "code",
	    "corrupt", "message", "bad PNG"));
	CHECK_EQ_INT(featstore_put(s, r, &err), 1);
	json_decref(r);
	CHECK_EQ_INT(featstore_lookup(s, "bad.png", &si), 1);
	CHECK_EQ_INT(si.is_error, 1);

	/* a record with no name is refused */
	r = json_pack("{s:i}", "size", 3);
	CHECK_EQ_INT(featstore_put(s, r, &err), AD_EFORMAT);
	json_decref(r);

	/* checks used by `has` and `get` */
	r = json_pack("{s:s,s:s}", "name", "b.jpg", "etag", "e1b");
	CHECK_EQ_INT(featstore_check(s, r, &si), FEATSTORE_SAME);
	json_object_set_new(r, "etag", json_string("other"));
	CHECK_EQ_INT(featstore_check(s, r, &si), FEATSTORE_STALE);
	json_decref(r);
	r = json_pack("{s:s}", "name", "a.jpg");
	CHECK_EQ_INT(featstore_check(s, r, &si), FEATSTORE_SAME);   /* no etag: name alone */
	json_decref(r);
	r = json_pack("{s:s}", "name", "new.jpg");
	CHECK_EQ_INT(featstore_check(s, r, &si), FEATSTORE_NONE);
	json_decref(r);

	/* name order, and prefixes, before and after reopening */
	CHECK_EQ_INT(featstore_each(s, NULL, walk_cb, &w, &err), 0);
	CHECK_STR(w.names, "a.jpg|b.jpg|bad.png|dir-d.jpg|dir/c.jpg|");
	CHECK_EQ_INT(featstore_close(s, &err), 0);

	s = featstore_open(path("basic", NULL), 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(featstore_count(s), 5);
	CHECK_STR(phash_of(s, "b.jpg"), "b2");
	CHECK_STR(phash_of(s, "dir/c.jpg"), "c1");
	memset(&w, 0, sizeof w);
	CHECK_EQ_INT(featstore_each(s, "dir", walk_cb, &w, &err), 0);
	CHECK_STR(w.names, "dir-d.jpg|dir/c.jpg|");
	memset(&w, 0, sizeof w);
	CHECK_EQ_INT(featstore_each(s, "dir/", walk_cb, &w, &err), 0);
	CHECK_STR(w.names, "dir/c.jpg|");
	r = json_pack("{s:s}", "name", "x");
	CHECK(featstore_put(s, r, &err) < 0);                       /* read-only handle */
	json_decref(r);
	featstore_close(s, NULL);
}

static void test_sha256_check(void)
{
	aderr err = {0};
	featstore *s = featstore_open(path("sha", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	json_t *r;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	r = json_pack("{s:s,s:s}", "name", "p.jpg", "sha256", "abc");
	CHECK_EQ_INT(featstore_put(s, r, &err), 1);
	CHECK_EQ_INT(featstore_check(s, r, NULL), FEATSTORE_SAME);
	json_object_set_new(r, "sha256", json_string("def"));
	CHECK_EQ_INT(featstore_check(s, r, NULL), FEATSTORE_STALE);
	json_decref(r);
	featstore_close(s, NULL);
}

static void test_lock_and_folders(void)
{
	aderr err = {0};
	featstore *w, *w2, *r;
	FILE *fp;

	w = featstore_open(path("lock", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_EQ_INT(put(w, "one", "1", "p1"), 1);
	CHECK_EQ_INT(featstore_flush(w, 0, &err), 0);
	w2 = featstore_open(path("lock", NULL), FEATSTORE_WRITE, &err);
	CHECK(w2 == NULL);
	CHECK_EQ_INT(err.code, AD_EEXIST);
	CHECK(strstr(err.msg, "in use by another writer (pid ") != NULL);
	featstore_close(w2, NULL);
	/* readers take no lock, and see what the writer has handed to the kernel */
	r = featstore_open(path("lock", NULL), 0, &err);
	CHECK(r != NULL);
	CHECK_STR(phash_of(r, "one"), "p1");
	featstore_close(r, NULL);
	featstore_close(w, NULL);

	/* a folder with other things in it is not taken over */
	mkdir(path("photos", NULL), 0755);
	fp = fopen(path("photos", "a.jpg"), "w");
	if (fp)
		fclose(fp);
	w = featstore_open(path("photos", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	CHECK(w == NULL);
	CHECK_EQ_INT(err.code, AD_EFORMAT);
	CHECK(strstr(err.msg, ": not a feature store") != NULL);
	CHECK(access(path("photos", "LOCK"), F_OK) != 0);
	r = featstore_open(path("photos", NULL), 0, &err);
	CHECK(r == NULL);
	CHECK_EQ_INT(err.code, AD_EFORMAT);

	/* missing: an error, unless the caller says an empty store will do */
	r = featstore_open(path("missing", NULL), 0, &err);
	CHECK(r == NULL);
	CHECK_EQ_INT(err.code, AD_ENOENT);
	r = featstore_open(path("missing", NULL), FEATSTORE_MISSING_OK, &err);
	CHECK(r != NULL);
	CHECK_EQ_INT(featstore_count(r), 0);
	CHECK_STR(phash_of(r, "x"), "");
	featstore_close(r, NULL);
	CHECK(access(path("missing", NULL), F_OK) != 0);

	/* an empty folder becomes a store, parents are made */
	mkdir(path("empty", NULL), 0755);
	w = featstore_open(path("empty", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	CHECK(w != NULL);
	featstore_close(w, NULL);
	w = featstore_open(path("deep/er/store", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	CHECK(w != NULL);
	featstore_close(w, NULL);
	CHECK(access(path("deep/er/store", "FORMAT"), F_OK) == 0);
}

static void test_segments(void)
{
	aderr err = {0};
	featstore *s = featstore_open(path("segs", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	char name[32], ph[32];
	struct walk w = {{0}, 0, 0};
	int ok = 1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	featstore_set_segment_max(s, 400);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "n%02d", i % 10);
		snprintf(ph, sizeof ph, "v%d", i);
		ok &= put(s, name, "e", ph) == 1;
	}
	CHECK(ok);
	CHECK_EQ_INT(featstore_close(s, &err), 0);
	CHECK(access(path("segs", "00000005.seg"), F_OK) == 0);
	s = featstore_open(path("segs", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(featstore_count(s), 10);
	CHECK_STR(phash_of(s, "n00"), "v30");
	CHECK_STR(phash_of(s, "n09"), "v39");
	CHECK_EQ_INT(featstore_each(s, "n0", walk_cb, &w, &err), 0);
	CHECK_EQ_INT(w.n, 10);
	CHECK_EQ_INT(w.bad, 0);
	CHECK_EQ_INT(put(s, "n00", "e", "v40"), 1);
	CHECK_STR(phash_of(s, "n00"), "v40");
	featstore_close(s, NULL);
}

/* rm appends tombstones that survive a reopen; compact keeps exactly the live names,
 * in fewer bytes, and a removed name stays removed even when an older segment that
 * held it is the one left behind by a crash. */
static void test_rm_compact(void)
{
	aderr err = {0};
	struct featstore_compact_result cr;
	featstore *s = featstore_open(path("rmc", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	char name[32], ph[32];
	int ok = 1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	featstore_set_segment_max(s, 400);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof name, "n%02d", i % 10);
		snprintf(ph, sizeof ph, "v%d", i);
		ok &= put(s, name, "e", ph) == 1;
	}
	CHECK(ok);
	CHECK_EQ_INT(featstore_rm(s, "n03", &err), 1);
	CHECK_EQ_INT(featstore_rm(s, "n03", &err), 0);
	CHECK_EQ_INT(featstore_rm(s, "nope", &err), 0);
	CHECK_STR(phash_of(s, "n03"), "");
	CHECK_EQ_INT(featstore_count(s), 9);
	CHECK_EQ_INT(featstore_close(s, &err), 0);

	s = featstore_open(path("rmc", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(phash_of(s, "n03"), "");
	CHECK_EQ_INT(featstore_count(s), 9);
	/* a removed name can come back */
	CHECK_EQ_INT(put(s, "n04", "e", "back"), 1);
	CHECK_EQ_INT(featstore_rm(s, "n05", &err), 1);
	CHECK_EQ_INT(featstore_compact(s, &cr, &err), 0);
	CHECK_EQ_INT(cr.kept, 8);
	CHECK(cr.dropped > 0);
	CHECK(cr.bytes_after < cr.bytes_before);
	CHECK_STR(phash_of(s, "n04"), "back");
	CHECK_STR(phash_of(s, "n09"), "v29");
	CHECK_STR(phash_of(s, "n05"), "");
	CHECK_EQ_INT(featstore_close(s, &err), 0);
	CHECK(access(path("rmc", "00000001.seg"), F_OK) != 0);

	s = featstore_open(path("rmc", NULL), 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_INT(featstore_count(s), 8);
	CHECK_STR(phash_of(s, "n00"), "v20");
	CHECK_STR(phash_of(s, "n03"), "");
	CHECK_STR(phash_of(s, "n04"), "back");
	featstore_close(s, NULL);
}

/* Four entries: a (v1), b, c, a (v2); then damage, reopen, look. */
static featstore *fresh(const char *sub, char **seg, long *size)
{
	aderr err = {0};
	featstore *s = featstore_open(path(sub, NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);

	if (s == NULL)
		return NULL;
	put(s, "a", "1", "a1");
	put(s, "b", "1", "b1");
	put(s, "c", "1", "c1");
	put(s, "a", "2", "a2");
	featstore_close(s, &err);
	*seg = path(sub, "00000001.seg");
	*size = fsize(*seg);
	return featstore_open(path(sub, NULL), 0, &err);
}

static void test_torn_tail(void)
{
	aderr err = {0};
	long size, off[8];
	char *seg;
	featstore *s = fresh("garbage", &seg, &size);
	FILE *fp;

	CHECK(s != NULL);
	featstore_close(s, NULL);
	/* garbage after the last entry: readers ignore it, a writer cuts it away */
	fp = fopen(seg, "a");
	CHECK(fp != NULL);
	if (fp) {
		fputs("AZR1 this is not an entry, just the junk a crash leaves", fp);
		fclose(fp);
	}
	s = featstore_open(path("garbage", NULL), 0, &err);
	CHECK(s != NULL);
	CHECK_STR(phash_of(s, "a"), "a2");
	CHECK_STR(phash_of(s, "c"), "c1");
	featstore_close(s, NULL);
	CHECK(fsize(seg) > size);
	s = featstore_open(path("garbage", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(fsize(seg), size);
	CHECK_EQ_INT(put(s, "d", "1", "d1"), 1);
	featstore_close(s, NULL);
	s = featstore_open(path("garbage", NULL), 0, &err);
	CHECK_STR(phash_of(s, "a"), "a2");
	CHECK_STR(phash_of(s, "d"), "d1");
	CHECK_EQ_INT(featstore_count(s), 4);
	featstore_close(s, NULL);

	/* the last entry cut in half (killed mid-write): it is gone, the one before it stands */
	s = fresh("cut", &seg, &size);
	featstore_close(s, NULL);
	CHECK_EQ_INT(entries(seg, off, 8), 4);
	CHECK_EQ_INT(truncate(seg, (off[3] + size) / 2), 0);
	s = featstore_open(path("cut", NULL), 0, &err);
	CHECK(s != NULL);
	CHECK_STR(phash_of(s, "a"), "a1");
	CHECK_STR(phash_of(s, "b"), "b1");
	CHECK_STR(phash_of(s, "c"), "c1");
	featstore_close(s, NULL);
	s = featstore_open(path("cut", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(fsize(seg), off[3]);
	CHECK_EQ_INT(put(s, "a", "3", "a3"), 1);
	CHECK_EQ_INT(put(s, "e", "1", "e1"), 1);
	featstore_close(s, NULL);
	s = featstore_open(path("cut", NULL), 0, &err);
	CHECK_STR(phash_of(s, "a"), "a3");
	CHECK_STR(phash_of(s, "e"), "e1");
	CHECK_EQ_INT(featstore_count(s), 4);
	featstore_close(s, NULL);

	/* cut inside the header of the last entry */
	s = fresh("cuthdr", &seg, &size);
	featstore_close(s, NULL);
	entries(seg, off, 8);
	CHECK_EQ_INT(truncate(seg, off[3] + 10), 0);
	s = featstore_open(path("cuthdr", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(fsize(seg), off[3]);
	CHECK_STR(phash_of(s, "a"), "a1");
	featstore_close(s, NULL);

	/* a segment a writer died creating, before its header was whole */
	s = fresh("newseg", &seg, &size);
	featstore_close(s, NULL);
	{
		int fd = open(path("newseg", "00000002.seg"), O_WRONLY | O_CREAT, 0644);

		CHECK(fd >= 0 && write(fd, "AZD", 3) == 3);
		close(fd);
	}
	s = featstore_open(path("newseg", NULL), 0, &err);
	CHECK(s != NULL);
	CHECK_STR(phash_of(s, "a"), "a2");
	featstore_close(s, NULL);
	s = featstore_open(path("newseg", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(put(s, "f", "1", "f1"), 1);
	featstore_close(s, NULL);
	CHECK(fsize(path("newseg", "00000002.seg")) > 16);
	s = featstore_open(path("newseg", NULL), 0, &err);
	CHECK_STR(phash_of(s, "f"), "f1");
	CHECK_STR(phash_of(s, "a"), "a2");
	featstore_close(s, NULL);
}

static void test_checksums(void)
{
	aderr err = {0};
	struct featstore_info si;
	struct walk w = {{0}, 0, 0};
	long size, off[8];
	char *seg;
	json_t *r;
	featstore *s = fresh("crc", &seg, &size);

	featstore_close(s, NULL);
	CHECK_EQ_INT(entries(seg, off, 8), 4);
	/* one byte of b's compressed payload (its last byte) flipped: detected, not served */
	poke(seg, off[2] - 1, 0x40);
	s = featstore_open(path("crc", NULL), 0, &err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(phash_of(s, "b"), "ERR");
	CHECK_EQ_INT(featstore_get(s, "b", &r, &err), AD_EFORMAT);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "b: stored record is damaged") != NULL);
	CHECK_EQ_INT(featstore_lookup(s, "b", &si), 1);
	CHECK_EQ_INT(si.is_bad, 1);
	CHECK_STR(phash_of(s, "a"), "a2");
	CHECK_STR(phash_of(s, "c"), "c1");
	CHECK_EQ_INT(featstore_each(s, NULL, walk_cb, &w, &err), 0);
	CHECK_STR(w.names, "a|b!|c|");
	CHECK_EQ_INT(w.bad, 1);
	featstore_close(s, NULL);

	/* a writer keeps the damaged entry (entries after it are good) and a new put of
	 * the name replaces it */
	s = featstore_open(path("crc", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(fsize(seg), size);
	CHECK_EQ_INT(put(s, "b", "1", "b2"), 1);
	CHECK_STR(phash_of(s, "b"), "b2");
	featstore_close(s, NULL);

	/* damage in a header's length: its checksum catches it, the scan finds the next
	 * entry past it, and a writer keeps what follows (it is not a tail) */
	s = fresh("crchdr", &seg, &size);
	featstore_close(s, NULL);
	entries(seg, off, 8);
	poke(seg, off[1] + 13, 0x01);
	s = featstore_open(path("crchdr", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_EQ_INT(fsize(seg), size);
	CHECK_STR(phash_of(s, "a"), "a2");
	CHECK_STR(phash_of(s, "b"), "");
	CHECK_STR(phash_of(s, "c"), "c1");
	CHECK_EQ_INT(put(s, "b", "1", "b3"), 1);
	featstore_close(s, NULL);
	s = featstore_open(path("crchdr", NULL), 0, &err);
	CHECK_STR(phash_of(s, "b"), "b3");
	CHECK_EQ_INT(featstore_count(s), 3);
	featstore_close(s, NULL);

	/* damage under an open reader is caught on read too */
	s = fresh("crclate", &seg, &size);
	CHECK_STR(phash_of(s, "c"), "c1");
	entries(seg, off, 8);
	poke(seg, off[3] - 1, 0x01);
	CHECK_STR(phash_of(s, "c"), "ERR");
	featstore_close(s, NULL);

	/* a bad checksum in the very last entry is a torn tail: dropped, the older a stands */
	s = fresh("crclast", &seg, &size);
	featstore_close(s, NULL);
	entries(seg, off, 8);
	poke(seg, size - 1, 0x01);
	s = featstore_open(path("crclast", NULL), FEATSTORE_WRITE, &err);
	CHECK(s != NULL);
	CHECK_STR(phash_of(s, "a"), "a1");
	CHECK_EQ_INT(fsize(seg), off[3]);
	featstore_close(s, NULL);
}

/* The text paths against the parsed ones: featstore_put_text stores the bytes
 * featstore_put stores, and fsops_join_text makes the text fsops_join's record dumps to,
 * with the input's fields over the stored ones in the stored order, fields only the input
 * has after them, and whatever it cannot read in place (a stale etag, another spec, a
 * name to escape) left to fsops_join. */
static void test_text_paths(void)
{
	static const char *stored[] = {
		"{\"name\":\"a.jpg\",\"size\":10,\"etag\":\"e1\",\"phash\":\"00ff\","
		    "\"info\":74.900000000000006,\"o\":[\"x\",{\"y\":null}],\"feat_spec\":\"S\"}",
		"{\"name\":\"b.jpg\",\"etag\":\"e2\",\"error\":{\"stage\":\"featx\","
		    "\"code\":\"corrupt\",\"message\":\"bad\"}}",
		"{\"name\":\"c.jpg\",\"etag\":\"e3\",\"feat_spec\":\"T\"}",
		"{\"name\":\"d.jpg\",\"sha256\":\"ab\",\"feat_spec\":\"S\"}",
	};
	static const char *inputs[] = {
		"{\"name\":\"a.jpg\",\"etag\":\"e1\"}",
		"{\"name\":\"a.jpg\",\"size\":11,\"etag\":\"e1\",\"z\":{\"k\":[1,2.5]},\"m\":\"\\u00e9\"}",
		"{\"z\":true,\"name\":\"a.jpg\",\"etag\":\"e1\",\"phash\":null}",
		"{\"name\":\"a.jpg\",\"etag\":\"e1\",\"q\\\"k\":1}",
		"{\"name\":\"a.jpg\",\"etag\":\"old\"}",
		"{\"name\":\"b.jpg\",\"etag\":\"e2\",\"x\":2}",
		"{\"name\":\"c.jpg\",\"etag\":\"e3\"}",
		"{\"name\":\"d.jpg\",\"sha256\":\"ab\"}",
		"{\"name\":\"nothere.jpg\",\"etag\":\"e9\"}",
	};
	aderr err = {0};
	featstore *s = featstore_open(path("text", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	featstore *p = featstore_open(path("parsed", NULL), FEATSTORE_WRITE | FEATSTORE_CREATE, &err);
	char *text = NULL, *want, *st_name;
	size_t len, cap = 0, read_in_place = 0;
	const char *t;
	int stored_error;

	CHECK(s != NULL && p != NULL);
	if (s == NULL || p == NULL) {
		featstore_close(s, NULL);
		featstore_close(p, NULL);
		return;
	}
	for (size_t i = 0; i < sizeof stored / sizeof *stored; i++) {
		json_t *r = json_loads(stored[i], 0, NULL);
		const char *etag = rec_str(r, "etag");

		st_name = strdup(rec_name(r));
		CHECK_EQ_INT(featstore_put_text(s, st_name, etag, rec_has_error(r), stored[i],
		    strlen(stored[i]), &err), 1);
		CHECK_EQ_INT(featstore_put(p, r, &err), 1);
		/* the same record again is no new entry, either way */
		CHECK_EQ_INT(featstore_put_text(s, st_name, etag, rec_has_error(r), stored[i],
		    strlen(stored[i]), &err), 0);
		CHECK(featstore_get_text(s, st_name, &t, &len, &err) == 1 && len == strlen(stored[i]) &&
		    memcmp(t, stored[i], len) == 0);
		free(st_name);
		json_decref(r);
	}
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		json_t *a = json_loads(inputs[i], 0, NULL), *b = json_loads(inputs[i], 0, NULL);
		aderr ea = {0}, eb = {0};
		int ra = fsops_join_text(s, a, "S", &text, &len, &cap, &stored_error, &ea);
		int rb = fsops_join(p, b, "S", &eb);

		CHECK_EQ_INT(ra, rb);
		CHECK_STR(ea.msg, eb.msg);
		want = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (len > 0) {
			read_in_place++;
			text[len] = '\0';
			CHECK_STR(text, want);
			CHECK_EQ_INT(stored_error, rec_has_error(b));
		} else {
			char *got = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);

			CHECK_STR(got, want);
			free(got);
		}
		free(want);
		json_decref(a);
		json_decref(b);
	}
	/* a.jpg three times, b.jpg and d.jpg (no etag: its sha256 agrees) read in place */
	CHECK_EQ_INT(read_in_place, 5);
	{
		/* a record of keypoints' size (base64 of bytes that repeat nothing, deflated
		 * with Huffman codes only) comes back as it went in, and smaller on disk */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		char big[12001];
		uint32_t x = 12345;
		long before = fsize(path("text", "00000001.seg"));
		json_t *r;

		for (int i = 0; i < 12000; i++) {
			x = x * 1103515245u + 12345u;
			big[i] = b64[(x >> 16) & 63];
		}
		big[12000] = '\0';
		r = json_pack("{s:s, s:s, s:s}", "name", "big.jpg", "etag", "e5", "local", big);
		want = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
		CHECK_EQ_INT(featstore_put(s, r, &err), 1);
		CHECK(featstore_get_text(s, "big.jpg", &t, &len, &err) == 1 && len == strlen(want) &&
		    memcmp(t, want, len) == 0);
		CHECK(featstore_flush(s, 0, &err) == 0);
		CHECK(fsize(path("text", "00000001.seg")) - before < (long)strlen(want) * 8 / 10);
		free(want);
		json_decref(r);
		CHECK_EQ_INT(featstore_put(p, (r = json_pack("{s:s, s:s, s:s}", "name", "big.jpg",
		    "etag", "e5", "local", big)), &err), 1);
		json_decref(r);
	}
	free(text);
	featstore_close(s, NULL);
	featstore_close(p, NULL);
	/* and the two stores hold the same bytes */
	CHECK(same_file(path("text", "00000001.seg"), path("parsed", "00000001.seg")));
}

int main(void)
{
	char cmd[600];

	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_sha256_check();
	test_lock_and_folders();
	test_segments();
	test_rm_compact();
	test_torn_tail();
	test_checksums();
	test_text_paths();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	return unit_done();
}
