/* bmff.c — the ISO-BMFF boxes of a HEIF or AVIF file, read straight from the bytes before
 * libheif sees them (see bmff.h): the brands of the ftyp box, whether the top-level boxes
 * run past the end, and the item references and grid descriptors that libheif 1.15
 * would follow without a limit.  Every offset is checked against the length. */
#include "bmff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

/* 2: an AV1 brand, 1: an HEVC one, 0: "any codec" (mif1, msf1), -1: not a HEIF brand. */
static int heif_brand(const unsigned char *b)
{
	static const char *const avif[] = { "avif", "avis" };
	static const char *const hevc[] = { "heic", "heix", "hevc", "hevx", "heim", "heis" };
	size_t i;

	for (i = 0; i < sizeof avif / sizeof *avif; i++)
		if (memcmp(b, avif[i], 4) == 0)
			return 2;
	for (i = 0; i < sizeof hevc / sizeof *hevc; i++)
		if (memcmp(b, hevc[i], 4) == 0)
			return 1;
	return memcmp(b, "mif1", 4) == 0 || memcmp(b, "msf1", 4) == 0 ? 0 : -1;
}

/* Its major brand decides when it names a codec, then the compatible brands do (AV1
 * first: AVIF files also list mif1/miaf). */
enum img_format bmff_ftyp(const unsigned char *buf, size_t len)
{
	size_t end, i;
	int major, any, avif = 0;

	if (buf == NULL || len < 12 || memcmp(buf + 4, "ftyp", 4) != 0)
		return IMG_UNKNOWN;
	end = (size_t)dec_get32(buf, 1);
	major = heif_brand(buf + 8);
	any = major >= 0;
	if (major == 2)
		return IMG_AVIF;
	if (major == 1)
		return IMG_HEIF;
	if (end < 16 || end > len)
		end = len;
	if (end > 4096)
		end = 4096;
	for (i = 16; i + 4 <= end; i += 4) {
		int b = heif_brand(buf + i);

		avif |= b == 2;
		any |= b >= 0;
	}
	return avif ? IMG_AVIF : any ? IMG_HEIF : IMG_UNKNOWN;
}

/* Whether the top-level boxes claim more bytes than there are: libheif 1.15 reports
 * a box cut short as missing ("No 'meta' box"), not as the end of the data. */
int bmff_cut(const unsigned char *buf, size_t len)
{
	size_t pos = 0;

	while (len - pos >= 8) {
		uint64_t n = dec_get32(buf + pos, 1);

		if (n == 0)
			return 0;       /* runs to the end of the file */
		if (n == 1) {
			if (len - pos < 16)
				return 1;
			n = (uint64_t)dec_get32(buf + pos + 8, 1) << 32 | dec_get32(buf + pos + 12, 1);
		}
		if (n < 8)
			return 0;       /* nonsense, not a cut */
		if (n > len - pos)
			return 1;
		pos += (size_t)n;
	}
	return pos != len;
}

/* The box of that type among those in [p, end), or NULL; *n gets its size and *hdr its
 * header's (8, or 16 for a box whose size is written in 64 bits): its contents start
 * at the box + *hdr, a full box's (version, flags) the same way. */
static const unsigned char *bmff_find(const unsigned char *p, const unsigned char *end,
    const char *type, size_t *n, size_t *hdrlen)
{
	while (end - p >= 8) {
		size_t sz = dec_get32(p, 1), hdr = 8;

		if (sz == 1) {
			if (end - p < 16 || dec_get32(p + 8, 1) != 0)
				return NULL;
			sz = dec_get32(p + 12, 1);
			hdr = 16;
		} else if (sz == 0) {
			sz = (size_t)(end - p);
		}
		if (sz < hdr || sz > (size_t)(end - p))
			return NULL;
		if (memcmp(p + 4, type, 4) == 0) {
			*n = sz;
			*hdrlen = hdr;
			return p;
		}
		p += sz;
	}
	return NULL;
}

#define HEIF_MAX_DEPTH 16       /* real files: overlay -> grid -> tile -> alpha */
#define HEIF_MAX_REFS 65536

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* libheif 1.15 follows derivations (dimg: grid and overlay tiles) and alpha planes (auxl)
 * by recursion with no depth limit: an item that needs itself overflows the stack.
 * 0 when every chain of what an item needs to decode is short, -1 when not, -2 when
 * out of memory. */
int bmff_refs_ok(const unsigned char *buf, size_t len)
{
	const unsigned char *end = buf + len, *meta, *iref, *p, *ie;
	uint32_t (*e)[2] = NULL, *cur = NULL, *next = NULL;
	size_t n, mn, mh, ih, ne = 0, ncur = 0, i, k;
	int wide, depth, rc = 0;

	meta = bmff_find(buf, end, "meta", &mn, &mh);
	if (meta == NULL || mn < mh + 4)
		return 0;               /* libheif will say what is missing */
	iref = bmff_find(meta + mh + 4, meta + mn, "iref", &n, &ih);
	if (iref == NULL)
		return 0;
	e = malloc(HEIF_MAX_REFS * sizeof *e);
	cur = malloc(HEIF_MAX_REFS * sizeof *cur);
	next = malloc(HEIF_MAX_REFS * sizeof *next);
	if (e == NULL || cur == NULL || next == NULL) {
		rc = -2;
		goto out;
	}
	/* libheif reads the references one after the other, not going by each one's
	 * declared size: both readings are taken, and every iref box */
	for (; iref != NULL; iref = bmff_find(iref + n, meta + mn, "iref", &n, &ih)) {
		wide = n >= ih + 4 && iref[ih] != 0;
		ie = iref + n;
		for (int seq = 0; seq < 2; seq++)
			for (p = iref + ih + 4; ie - p >= 8; ) {
				size_t sz = dec_get32(p, 1), w = wide ? 4 : 2, cnt, need;
				int dimg = memcmp(p + 4, "dimg", 4) == 0, auxl = memcmp(p + 4, "auxl", 4) == 0;
				uint32_t from;

				if ((size_t)(ie - p) < 8 + w + 2)
					break;
				from = wide ? dec_get32(p + 8, 1) : dec_get16(p + 8, 1);
				cnt = dec_get16(p + 8 + w, 1);
				need = 8 + w + 2 + cnt * w;
				if (seq == 0 && (sz < 8 || sz > (size_t)(ie - p)))
					break;
				for (i = 0; (dimg || auxl) && i < cnt && 8 + w + 2 + (i + 1) * w <=
				    (seq ? (size_t)(ie - p) : sz); i++) {
					const unsigned char *q = p + 8 + w + 2 + i * w;
					uint32_t to = wide ? dec_get32(q, 1) : dec_get16(q, 1);

					if (ne == HEIF_MAX_REFS) {
						rc = -1;
						goto out;
					}
					/* "needs": a derived image its inputs, an image its alpha */
					e[ne][0] = dimg ? from : to;
					e[ne][1] = dimg ? to : from;
					ne++;
				}
				p += seq ? need : sz;
			}
	}
	/* walk every chain a step at a time: any still going after the limit is a loop
	 * or absurdly deep */
	for (k = 0; k < ne; k++)
		cur[ncur++] = e[k][0];
	for (depth = 0; ncur > 0; depth++) {
		size_t nn = 0;

		if (depth > HEIF_MAX_DEPTH) {
			rc = -1;
			break;
		}
		qsort(cur, ncur, sizeof *cur, id_cmp);
		for (k = 0; k < ne; k++)
			if (bsearch(&e[k][0], cur, ncur, sizeof *cur, id_cmp) != NULL)
				next[nn++] = e[k][1];
		memcpy(cur, next, nn * sizeof *cur);
		ncur = nn;
	}
out:
	free(e);
	free(cur);
	free(next);
	return rc;
}

/* A big-endian unsigned field of sz bytes (0, 2, 4 or 8) at *p, advancing it; -1 when it
 * would read past end. */
static int bmff_uint(const unsigned char **p, const unsigned char *end, int sz, uint64_t *v)
{
	*v = 0;
	if (end - *p < sz)
		return -1;
	for (int i = 0; i < sz; i++)
		*v = *v << 8 | (*p)[i];
	*p += sz;
	return 0;
}

/* Every extent of every item in the iloc box of the top-level meta box lies inside its
 * data (the file for construction method 0, the idat box for 1): 0 when so (or the boxes
 * cannot be read: libheif reports the damage), -1 when one reaches past it.  libheif
 * 1.15 allocates an item's extents as their lengths claim before it reads them, so a
 * 1 kB file whose extent claims 3 GB past its end has it allocate gigabytes. */
int bmff_extents_ok(const unsigned char *buf, size_t len)
{
	const unsigned char *end = buf + len, *meta, *body, *mend, *box, *p, *bend, *idat;
	size_t n, mn, hdr, idn = 0, idh = 8;
	uint64_t cnt;
	int ver, osz, lsz, bsz, isz;

	if ((meta = bmff_find(buf, end, "meta", &mn, &hdr)) == NULL || mn < hdr + 4)
		return 0;
	body = meta + hdr + 4;
	mend = meta + mn;
	idat = bmff_find(body, mend, "idat", &idn, &idh);
	if ((box = bmff_find(body, mend, "iloc", &n, &hdr)) == NULL || n < hdr + 8)
		return 0;
	ver = box[hdr];
	p = box + hdr + 4;
	bend = box + n;
	osz = p[0] >> 4;
	lsz = p[0] & 15;
	bsz = p[1] >> 4;
	isz = ver == 1 || ver == 2 ? p[1] & 15 : 0;
	if (osz > 8 || lsz > 8 || bsz > 8 || isz > 8)
		return 0;
	p += 2;
	if (bmff_uint(&p, bend, ver < 2 ? 2 : 4, &cnt) < 0)
		return 0;
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t id, cm = 0, base, nex, x, size;

		if (bmff_uint(&p, bend, ver < 2 ? 2 : 4, &id) < 0 ||
		    ((ver == 1 || ver == 2) && bmff_uint(&p, bend, 2, &cm) < 0) ||
		    bmff_uint(&p, bend, 2, &x) < 0 || bmff_uint(&p, bend, bsz, &base) < 0 ||
		    bmff_uint(&p, bend, 2, &nex) < 0)
			return 0;
		cm &= 15;
		/* method 2 (another item's data) is that item's extents, checked as its own */
		size = cm == 0 ? len : cm == 1 && idat != NULL ? idn - idh : UINT64_MAX;
		for (uint64_t e = 0; e < nex; e++) {
			uint64_t eo, el;

			if (bmff_uint(&p, bend, isz, &x) < 0 || bmff_uint(&p, bend, osz, &eo) < 0 ||
			    bmff_uint(&p, bend, lsz, &el) < 0)
				return 0;
			if (size != UINT64_MAX && (base > size || eo > size - base ||
			    el > size - base - eo))
				return -1;
		}
	}
	return 0;
}

#define HEIF_MAX_GRIDS 64

/* libheif 1.15 sizes a grid image by its descriptor (in idat or mdat), not by the ispe
 * property the handle reports, so a grid can claim 25000x30000 pixels behind a 78x43
 * handle and have libheif allocate gigabytes.  The descriptor of every grid item is read
 * here first: 0 when all are within max_pixels (or cannot be read: libheif then reports
 * the damage), -1 with *w, *h set when one is not. */
int bmff_grids_ok(const unsigned char *buf, size_t len, unsigned long long max_pixels,
    uint64_t *gw, uint64_t *gh)
{
	const unsigned char *end = buf + len, *meta, *body, *mend, *box, *p, *bend, *idat;
	uint32_t grid[HEIF_MAX_GRIDS];
	size_t n, mn, idn = 0, hdr, idh = 8;
	int ng = 0, ver;
	uint64_t cnt;

	if (max_pixels == 0 || (meta = bmff_find(buf, end, "meta", &mn, &hdr)) == NULL ||
	    mn < hdr + 4)
		return 0;
	body = meta + hdr + 4;
	mend = meta + mn;
	/* iinf: the ids of the grid items */
	if ((box = bmff_find(body, mend, "iinf", &n, &hdr)) == NULL || n < hdr + 6)
		return 0;
	ver = box[hdr];
	p = box + hdr + 4;
	bend = box + n;
	if (bmff_uint(&p, bend, ver == 0 ? 2 : 4, &cnt) < 0)
		return 0;
	while (bend - p >= 12 && ng < HEIF_MAX_GRIDS) {
		size_t sz = dec_get32(p, 1);
		int iv = p[8];

		if (sz < 12 || sz > (size_t)(bend - p))
			return 0;
		if (memcmp(p + 4, "infe", 4) == 0 && iv >= 2) {
			const unsigned char *q = p + 12;
			uint64_t id, prot;

			if (bmff_uint(&q, p + sz, iv == 2 ? 2 : 4, &id) == 0 &&
			    bmff_uint(&q, p + sz, 2, &prot) == 0 && p + sz - q >= 4 &&
			    memcmp(q, "grid", 4) == 0)
				grid[ng++] = (uint32_t)id;
		}
		p += sz;
	}
	if (ng == 0)
		return 0;
	idat = bmff_find(body, mend, "idat", &idn, &idh);
	/* iloc: where each grid's descriptor is */
	if ((box = bmff_find(body, mend, "iloc", &n, &hdr)) == NULL || n < hdr + 8)
		return 0;
	ver = box[hdr];
	p = box + hdr + 4;
	bend = box + n;
	{
		int osz = p[0] >> 4, lsz = p[0] & 15, bsz = p[1] >> 4;
		int isz = ver == 1 || ver == 2 ? p[1] & 15 : 0;

		p += 2;
		if (bmff_uint(&p, bend, ver < 2 ? 2 : 4, &cnt) < 0)
			return 0;
		for (uint64_t i = 0; i < cnt; i++) {
			uint64_t id, cm = 0, base, nex, off = 0, ln = 0, x;
			const unsigned char *d, *dend;
			int is_grid = 0;

			if (bmff_uint(&p, bend, ver < 2 ? 2 : 4, &id) < 0 ||
			    ((ver == 1 || ver == 2) && bmff_uint(&p, bend, 2, &cm) < 0) ||
			    bmff_uint(&p, bend, 2, &x) < 0 || bmff_uint(&p, bend, bsz, &base) < 0 ||
			    bmff_uint(&p, bend, 2, &nex) < 0)
				return 0;
			for (uint64_t e = 0; e < nex; e++) {
				uint64_t eo, el;

				if (bmff_uint(&p, bend, isz, &x) < 0 || bmff_uint(&p, bend, osz, &eo) < 0 ||
				    bmff_uint(&p, bend, lsz, &el) < 0)
					return 0;
				if (e == 0) {
					off = eo;
					ln = el;
				}
			}
			for (int g = 0; g < ng; g++)
				is_grid |= grid[g] == id;
			if (!is_grid || nex == 0)
				continue;
			cm &= 15;
			if (cm == 0) {
				d = buf;
				dend = end;
			} else if (cm == 1 && idat != NULL) {
				d = idat + idh;
				dend = idat + idn;
			} else {
				continue;
			}
			if (base > (uint64_t)(dend - d) || off > (uint64_t)(dend - d) - base)
				continue;
			d += base + off;
			if (ln != 0 && ln < (uint64_t)(dend - d))
				dend = d + ln;
			if (dend - d < 8)
				continue;
			{
				const unsigned char *q = d + 4;
				int wide = d[1] & 1;

				if (bmff_uint(&q, dend, wide ? 4 : 2, gw) < 0 ||
				    bmff_uint(&q, dend, wide ? 4 : 2, gh) < 0)
					continue;
				if (*gw * *gh > max_pixels)
					return -1;
			}
		}
	}
	return 0;
}
