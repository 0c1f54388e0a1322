/* fuzz.c — libFuzzer targets for every decoder entry point: built once per target with
 * -DTARGET_JPEG, _PNG, _WEBP, _GIF, _TIFF, _HEIF, _BMP, _EXIF or _FEATURES (make fuzz).
 * The format targets put the format's signature in front of the fuzzer's bytes (when
 * missing) so the input reaches that decoder rather than the "not an image" answer; the
 * features target takes the bytes as they are, thumbnail included, as featx does.  The
 * HEIF seeds (seeds/heif) are chelsea.jpg at 64x43 through heif-enc -q 40, and -A with
 * alpha; the BMP seeds (seeds/bmp, the unit tests' fixtures too) are made by
 * seeds/bmp/make-bmp.py; the small decompression bombs (a 1999 x 1999 picture claimed by
 * a few hundred bytes) are tests/e2e/mkbombs.py's with SIDE 1999.
 *
 * The other inputs the tools read from outside (TARGET_REC, _STORE, _LISTING,
 * _KEYPOINTS), and the HEIF box walk on its own (TARGET_BMFF), seeded from
 * tests/fuzz/seeds/<target> only:
 *   rec        NDJSON lines through rec_reader (a file of the bytes) and rec_parse, and
 *              the accessors on what comes back; seeds are the tools' own records
 *   store      the bytes as a store's one segment (the segment header put in front when
 *              missing; when the first byte is odd, every entry's header and body
 *              checksums are made right first, so the inflate and JSON paths are
 *              reached), then featstore_open, featstore_each, featstore_get and the stats; the seed
 *              is a segment featstore put wrote from four of the unit tests' records
 *   listing    az_parse_listing on a List Blobs page; seeds are pages of Azurite's answers
 *   keypoints  kp_unpack of a packed set (as kpcache reads them back), kp_pack must give
 *              the same bytes back, and kp_match of the set against itself runs
 *   bmff       the bytes as they are through each step of lib/image/bmff.h's box walk
 *              (the ftyp brands, cut boxes, item reference chains, grid descriptors
 *              against three pixel limits), each answer one the header allows; seeds
 *              are the ftyp and meta boxes of the HEIF seeds and a few variants
 *              (seeds/bmff/make-bmff.py) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "azure.h"
#include "bmff.h"
#include "decode.h"
#include "features.h"
#include "image.h"
#include "keypoints.h"
#include "ink.h"
#include "rec.h"
#include "featstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int decode(const uint8_t *data, size_t size, const uint8_t *magic, size_t mlen)
{
	struct img_decode_opts o = { 64, 4000000, 0 };
	struct img_info info;
	struct img *im = NULL;
	aderr err = {0};
	uint8_t *buf;

	if (size >= mlen && memcmp(data, magic, mlen) == 0)
		mlen = 0;
	buf = malloc(size + mlen + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, magic, mlen);
	memcpy(buf + mlen, data, size);
	for (int color = 0; color < 3; color++) {
		/* the third time within a small budget: the ways of decoding with less
		 * (decode.h), and refusals */
		static struct membudget *mb;
		struct mb_hold h = { NULL, 0, 0 };

		if (color == 2 && mb == NULL && (mb = membudget_new((size_t)1 << 20)) == NULL)
			abort();
		h.b = color == 2 ? mb : NULL;
		o.color = color & 1;
		if (img_decode_held(buf, size + mlen, &o, &h, &im, &info, &err) == 0) {
			/* a decoded image must be what it says */
			if (im == NULL || im->w < 1 || im->h < 1 || (im->ch != 1 && im->ch != 3))
				abort();
			img_free(im);
			im = NULL;
		}
		if (h.held != 0)
			abort();        /* the budget is given back */
	}
	free(buf);
	return 0;
}

#if defined(TARGET_REC) || defined(TARGET_FEATSTORE)
/* A private folder for the target's files, made once (removed by nobody: it is tiny and
 * under TMPDIR). */
static const char *scratch(void)
{
	static char dir[256];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "%s/azd-fuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	return dir;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
}
#endif

#if defined(TARGET_REC)
static void rec_use(const json_t *rec)
{
	const char *stage, *name;

	if (rec == NULL || !json_is_object(rec))
		abort();        /* rec_parse gives an object, an error record at worst */
	name = rec_name(rec);
	if (name != NULL && strlen(name) > (size_t)-2)
		abort();
	(void)rec_has_error(rec);
	stage = rec_error_stage(rec);
	(void)stage;
	(void)rec_int(rec, "size", -1);
	(void)rec_str(rec, "etag");
}

static int fuzz_rec(const uint8_t *data, size_t size)
{
	char path[512];
	rec_reader *r;
	aderr err = {0};
	json_t *rec;
	long bad = 0;
	char *line, *clean;

	snprintf(path, sizeof path, "%s/in.ndjson", scratch());
	write_file(path, data, size);
	if ((r = rec_reader_open(path, &err)) == NULL)
		abort();
	while (rec_read(r, &rec, &bad, &err) == 1) {
		rec_use(rec);
		json_decref(rec);
	}
	rec_reader_close(r);
	/* the whole input as one line, as the threaded readers hand lines to rec_parse */
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if ((rec = rec_parse("fuzz", 1, line, size, &bad)) != NULL) {
		rec_use(rec);
		json_decref(rec);
	}
	if ((clean = utf8_sanitize(line)) != NULL)
		free(clean);
	free(line);
	return 0;
}
#endif

#if defined(TARGET_FEATSTORE)
static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = (v >> 24) & 0xff;
}

/* Makes each entry's checksums right, walking the entries as the store does. */
static void fix_checksums(uint8_t *b, size_t n)
{
	size_t at = 16;

	while (at + 32 <= n && memcmp(b + at, "AZR1", 4) == 0) {
		size_t nl = b[at + 6] | (size_t)b[at + 7] << 8, el = b[at + 8] | (size_t)b[at + 9] << 8;
		size_t sl = b[at + 12] | (size_t)b[at + 13] << 8 | (size_t)b[at + 14] << 16 |
		    (size_t)b[at + 15] << 24;
		size_t body = nl + el + sl;

		put32le(b + at + 28, (uint32_t)crc32(0, b + at, 28));
		if (body > n - at - 32)
			break;
		put32le(b + at + 24, (uint32_t)crc32(0, b + at + 32, (uInt)body));
		put32le(b + at + 28, (uint32_t)crc32(0, b + at, 28));
		at += 32 + body;
	}
}

static int each_cb(void *ud, const char *name, json_t *rec, const aderr *bad)
{
	featstore *s = ud;
	json_t *again = NULL;
	aderr err = {0};

	if (name == NULL || (rec == NULL && bad == NULL))
		abort();
	if (rec != NULL && !json_is_object(rec))
		abort();
	if (featstore_get(s, name, &again, &err) == 1)
		json_decref(again);
	return 0;
}

static int fuzz_store(const uint8_t *data, size_t size)
{
	static const uint8_t head[16] = { 'A', 'Z', 'D', 'S', 'E', 'G', '1', '\n', 1, 0, 0, 0,
		1, 0, 0, 0 };
	static int made;        /* FORMAT is written once */
	char path[512];
	size_t hl = size >= 8 && memcmp(data, head, 8) == 0 ? 0 : sizeof head;
	uint8_t *b = malloc(size + hl);
	struct featstore_stats st;
	aderr err = {0};
	featstore *s;

	if (b == NULL)
		return 0;
	memcpy(b, head, hl);
	memcpy(b + hl, data, size);
	if (size > 0 && (data[0] & 1))
		fix_checksums(b, size + hl);
	if (!made) {
		snprintf(path, sizeof path, "%s/FORMAT", scratch());
		write_file(path, "azdedup feature store 1\n", 24);
		made = 1;
	}
	snprintf(path, sizeof path, "%s/00000001.seg", scratch());
	write_file(path, b, size + hl);
	free(b);
	if ((s = featstore_open(scratch(), 0, &err)) == NULL)
		return 0;
	featstore_stats(s, &st);
	if (st.names < 0 || st.entries < 0 || st.damaged < 0)
		abort();
	(void)featstore_each(s, NULL, each_cb, s, &err);
	(void)featstore_each(s, "a", each_cb, s, &err);
	featstore_close(s, &err);
	return 0;
}
#endif

#if defined(TARGET_LISTING)
static int listing_cb(void *ud, const struct stor_entry *e)
{
	(void)ud;
	if (e->name == NULL || e->size < -1 || memchr(e->etag, '\0', sizeof e->etag) == NULL ||
	    memchr(e->content_md5, '\0', sizeof e->content_md5) == NULL ||
	    memchr(e->content_type, '\0', sizeof e->content_type) == NULL)
		abort();
	(void)strlen(e->name);
	return 0;
}

static int fuzz_listing(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1), *next = NULL;
	aderr err = {0};

	if (xml == NULL)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	if (az_parse_listing(xml, size, listing_cb, NULL, &next, &err) == 0 && next != NULL)
		(void)strlen(next);
	free(next);
	free(xml);
	return 0;
}
#endif

#if defined(TARGET_KEYPOINTS)
static int fuzz_keypoints(const uint8_t *data, size_t size)
{
	struct kp_set set;
	struct kp_match m;
	unsigned char *back;
	size_t blen = 0;

	if (kp_unpack(data, size, &set) != 0)
		return 0;
	if (set.n < 0 || set.n > KP_MAX || (set.n > 0 && set.kp == NULL))
		abort();
	/* a detail exactly when the packing is version 2 to 5, a shape when it is 3 or 5,
	 * colours when it is 4 or 5, a fine detail with KP_PACKED_FINE, a page's ink with
	 * KP_PACKED_INK (whatever its bytes: a pair reads them with ink_unpack, which must
	 * say no to what is not a grid) */
	{
		int v = data[0] & ~(KP_PACKED_FINE | KP_PACKED_INK);

		if ((set.detail != NULL) != (v >= 2) || (set.alpha != NULL) != (v == 3 || v == 5) ||
		    (set.chroma != NULL) != (v >= 4) ||
		    (set.fine != NULL) != ((data[0] & KP_PACKED_FINE) != 0) ||
		    (set.ink != NULL) != ((data[0] & KP_PACKED_INK) != 0) ||
		    (set.ink != NULL && (set.inklen == 0 || set.inklen > INK_MAX_PACKED)))
			abort();
		if (set.ink != NULL) {
			uint8_t *cells = malloc((size_t)INK_SIDE * INK_SIDE);
			int w = 0, h = 0;

			if (cells == NULL)
				abort();
			if (ink_unpack(set.ink, set.inklen, cells, &w, &h) == 0 &&
			    (w < 1 || h < 1 || w > INK_SIDE || h > INK_SIDE))
				abort();
			free(cells);
		}
	}
	/* what was read packs back to the same bytes (the cache relies on one form): as
	 * version 1, and with its grids as the version they came in */
	if ((back = kp_pack(&set, &blen)) == NULL)
		abort();
	if (set.detail != NULL) {
		unsigned char *v2 = kp_pack_detail(back, blen, set.detail, set.alpha, set.chroma,
		    set.fine, set.ink, set.inklen, &blen);

		free(back);
		if ((back = v2) == NULL)
			abort();
	}
	if (blen != size || memcmp(back, data, size) != 0)
		abort();
	free(back);
	memset(&m, 0, sizeof m);
	(void)kp_match(&set, &set, &m);
	kp_free(&set);
	return 0;
}
#endif

#if defined(TARGET_BMFF)
static int fuzz_bmff(const uint8_t *data, size_t size)
{
	static const unsigned long long limits[] = { 0, 1, 4000000 };
	enum img_format f = bmff_ftyp(data, size);
	int r;

	if (f != IMG_UNKNOWN && f != IMG_HEIF && f != IMG_AVIF)
		abort();
	if ((r = bmff_cut(data, size)) != 0 && r != 1)
		abort();
	if ((r = bmff_refs_ok(data, size)) != 0 && r != -1 && r != -2)
		abort();
	if ((r = bmff_extents_ok(data, size)) != 0 && r != -1)
		abort();
	for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
		uint64_t gw = 0, gh = 0;

		r = bmff_grids_ok(data, size, limits[i], &gw, &gh);
		/* over the limit only when there is one and the size it names is over it */
		if (r != 0 && (r != -1 || limits[i] == 0 || gw * gh <= limits[i]))
			abort();
	}
	return 0;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(TARGET_REC)
	return fuzz_rec(data, size);
#elif defined(TARGET_FEATSTORE)
	return fuzz_store(data, size);
#elif defined(TARGET_LISTING)
	return fuzz_listing(data, size);
#elif defined(TARGET_KEYPOINTS)
	return fuzz_keypoints(data, size);
#elif defined(TARGET_BMFF)
	return fuzz_bmff(data, size);
#elif defined(TARGET_JPEG)
	static const uint8_t m[] = { 0xff, 0xd8, 0xff };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_PNG)
	static const uint8_t m[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_WEBP)
	/* RIFF <size> WEBP, the size from the input so that it is sometimes a lie */
	uint8_t m[12] = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P' };
	uint32_t n = (uint32_t)size + 4;

	if (size > 0 && (data[0] & 1))
		n ^= data[0];
	memcpy(m + 4, &n, 4);
	return decode(data, size, m, sizeof m);
#elif defined(TARGET_GIF)
	static const uint8_t m[] = { 'G', 'I', 'F', '8', '9', 'a' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_TIFF)
	static const uint8_t m[] = { 'I', 'I', '*', 0 };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_BMP)
	static const uint8_t m[] = { 'B', 'M' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_HEIF)
	/* an ftyp box naming HEIC or AVIF (the first byte picks), unless one is there */
	static const uint8_t heic[24] = { 0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c',
		0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c' };
	static const uint8_t avif[24] = { 0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f',
		0, 0, 0, 0, 'm', 'i', 'f', '1', 'm', 'i', 'a', 'f' };

	if (size >= 8 && memcmp(data + 4, "ftyp", 4) == 0)
		return decode(data, size, heic, 0);
	return decode(data, size, size > 0 && (data[0] & 1) ? avif : heic, sizeof heic);
#elif defined(TARGET_EXIF)
	int r = img_exif_orientation(data, size);

	if (r < 1 || r > 8)
		abort();
	return 0;
#elif defined(TARGET_FEATURES)
	struct feat_opts o;
	struct feat f;
	aderr err = {0};

	feat_opts_default(&o);
	o.max_pixels = 4000000;
	o.thumb = 32;
	if (feat_buffer(data, size, &o, &f, &err) == 0)
		feat_clear(&f);
	return 0;
#else
#error "define one TARGET_*"
#endif
}
