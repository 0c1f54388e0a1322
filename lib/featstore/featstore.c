/* featstore.c — the feature store: segment files, their in-memory index, the writer's lock.
 * The format is described in store.h. */
#include "featstore.h"
#include "afile.h"
#include "fnv.h"
#include "progress.h"
#include "rec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FORMAT_NAME "FORMAT"
#define FORMAT_TEXT "azdedup feature store 1\n"
#define FORMAT_VERSION 1
#define SEG_MAGIC "AZDSEG1\n"
#define SEG_VERSION 1
#define SEG_HDR 16
#define ENT_MAGIC "AZR1"
#define ENT_HDR 32
#define MAX_RAW (64u << 20)          /* a record is a few hundred bytes; refuse runaways */
#define WBUF_FLUSH (256u << 10)      /* hand appends to the kernel past this many bytes */
#define SCAN_CHUNK (1u << 20)

/* entry flags (on disk) */
#define EF_ERROR 1u                  /* the record carries an "error" object */
#define EF_ETAG 2u                   /* the record has a string "etag" (it may be empty) */
#define EF_DELETED 4u                /* a tombstone: the name was removed (no body) */
/* index-only flag */
#define IF_BAD 0x80u                 /* checksum failed: never hand this entry out */

/* codecs */
#define CODEC_RAW 0
#define CODEC_ZLIB 1
#define CODEC_ZDICT1 2               /* zlib with dict1 preset */

/* Preset dictionary for CODEC_ZDICT1: each record is deflated alone, and without this a
 * few hundred bytes of JSON barely shrink.  The commonest strings come last, as deflate
 * likes.  Never change it: a different dictionary is a new codec. */
static const char dict1[] =
	"\"error\":{\"stage\":\"featx\",\"code\":\"corrupt\",\"message\":\"not_found\"},"
	"\"format\":\"png\",\"format\":\"webp\",\"thumb\":\"data:image/jpeg;base64,"
	"\"content_md5\":\"\",\"content_type\":\"image/jpeg\",\"mtime_nsec\":"
	"\"src\":\"https://.blob.core.windows.net/\",\"src\":\"file:///\","
	"{\"name\":\"photos/IMG_.jpg\",\"size\":,\"mtime\":,\"etag\":\"0x8D\",\"src\":\"/"
	"\",\"path\":\"/work/files/.jpg\",\"format\":\"jpeg\",\"width\":,\"height\":,"
	"\"sha256\":\"\",\"phash\":\"\",\"dhash\":\"\",\"whash\":\"\"}";

struct ient {
	char *name;                  /* "name\0etag\0", one block */
	uint32_t seg;                /* index into s->segs */
	uint32_t len;                /* whole entry, header included */
	uint64_t off;                /* entry start in its segment */
	uint32_t raw_len, raw_crc;
	uint8_t flags;               /* EF_*, IF_BAD */
};

struct seg {
	uint32_t num;
	int fd;
	uint64_t end;                /* end of the valid entries (the writer's: on disk) */
};

struct featstore {
	char *dir;
	int flags;
	int lock_fd;
	struct seg *segs;
	size_t nsegs, capsegs;
	/* index: entries, and an open-addressing table of entry numbers + 1 */
	struct ient *ents;
	size_t nents, capents;
	uint32_t *slots;
	size_t nslots;
	/* writer */
	unsigned char *wbuf;
	size_t wlen, wcap;
	uint64_t seg_max;
	long unsynced;
	double last_sync;
	int broken;                  /* a write failed: the tail is unknown, refuse more */
	/* what the last load found, for featstore_stats */
	long long st_disk, st_skipped, st_tail;
	long st_entries, st_bad;
	/* scratch */
	unsigned char *rbuf, *zbuf;
	size_t rcap, zcap;
	z_stream dz, iz;
	int dz_ok, iz_ok;
};

static void put16(unsigned char *p, unsigned v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = (v >> 24) & 0xff;
}
static unsigned get16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc(uint32_t c, const void *p, size_t n)
{
	return (uint32_t)crc32(c, p, (uInt)n);
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (q == NULL)
		return AD_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static char *seg_path(const featstore *s, uint32_t num)
{
	char *p;

	return asprintf(&p, "%s/%08u.seg", s->dir, (unsigned)num) < 0 ? NULL : p;
}

/* ---- the index ---- */

static uint64_t hash_name(const char *p, size_t n)
{
	uint64_t h = fnv1a(FNV1A_BASIS_AZD, p, n);

	return h ^ (h >> 29);
}

/* The slot holding name, or the empty slot where it would go. */
static size_t idx_slot(const featstore *s, const char *name, size_t n)
{
	size_t mask = s->nslots - 1, i = (size_t)hash_name(name, n) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t e = s->slots[i];

		if (e == 0)
			return i;
		if (strncmp(s->ents[e - 1].name, name, n) == 0 && s->ents[e - 1].name[n] == '\0')
			return i;
	}
}

static struct ient *idx_find(const featstore *s, const char *name)
{
	uint32_t e;

	if (s->nslots == 0)
		return NULL;
	e = s->slots[idx_slot(s, name, strlen(name))];
	return e ? &s->ents[e - 1] : NULL;
}

/* The latest entry of name unless it is a tombstone. */
static struct ient *idx_live(const featstore *s, const char *name)
{
	struct ient *e = idx_find(s, name);

	return e && !(e->flags & EF_DELETED) ? e : NULL;
}

static int idx_rehash(featstore *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 1024;
	uint32_t *old = s->slots;

	s->slots = calloc(n, sizeof *s->slots);
	if (s->slots == NULL) {
		s->slots = old;
		return AD_ENOMEM;
	}
	free(old);
	s->nslots = n;
	for (size_t i = 0; i < s->nents; i++)
		s->slots[idx_slot(s, s->ents[i].name, strlen(s->ents[i].name))] = (uint32_t)(i + 1);
	return 0;
}

/* Makes e (name and etag given by length, not terminated) the latest entry of its name. */
static int idx_set(featstore *s, const char *name, size_t nl, const char *etag, size_t el,
    const struct ient *e)
{
	struct ient *cur;
	size_t slot;
	char *key;

	if ((s->nents + 1) * 10 >= s->nslots * 7 && idx_rehash(s) < 0)
		return AD_ENOMEM;
	slot = idx_slot(s, name, nl);
	cur = s->slots[slot] ? &s->ents[s->slots[slot] - 1] : NULL;
	key = malloc(nl + el + 2);
	if (key == NULL)
		return AD_ENOMEM;
	memcpy(key, name, nl);
	key[nl] = '\0';
	memcpy(key + nl + 1, etag, el);
	key[nl + 1 + el] = '\0';
	if (cur == NULL) {
		if (s->nents >= UINT32_MAX - 1 || grow(&s->ents, &s->capents, s->nents + 1, sizeof *s->ents) < 0) {
			free(key);
			return AD_ENOMEM;
		}
		cur = &s->ents[s->nents++];
		s->slots[slot] = (uint32_t)s->nents;
	} else {
		free(cur->name);
	}
	*cur = *e;
	cur->name = key;
	return 0;
}

/* ---- entries ---- */

/* Checks an entry header; 0 when sane, with the entry's whole length in *len. */
static int hdr_check(const unsigned char *h, uint32_t *len)
{
	uint64_t n;

	if (memcmp(h, ENT_MAGIC, 4) != 0 || get32(h + 28) != crc(0, h, 28))
		return -1;
	if (get16(h + 6) == 0 || h[5] > CODEC_ZDICT1 || get32(h + 16) > MAX_RAW ||
	    get32(h + 12) > MAX_RAW + (MAX_RAW >> 4) + 64)
		return -1;
	n = (uint64_t)ENT_HDR + get16(h + 6) + get16(h + 8) + get32(h + 12);
	*len = (uint32_t)n;
	return 0;
}

static uint32_t body_crc(const unsigned char *h)
{
	uint32_t len = (uint32_t)get16(h + 6) + get16(h + 8) + get32(h + 12);

	return crc(0, h + ENT_HDR, len);
}

/* Indexes the entry whose bytes (header and body) are at h. */
static int index_entry(featstore *s, uint32_t segi, uint64_t off, const unsigned char *h, int bad)
{
	struct ient e = {0};
	unsigned nl = get16(h + 6), el = get16(h + 8);

	e.seg = segi;
	e.off = off;
	e.len = (uint32_t)(ENT_HDR + nl + el + get32(h + 12));
	e.raw_len = get32(h + 16);
	e.raw_crc = get32(h + 20);
	e.flags = (uint8_t)((h[4] & (EF_ERROR | EF_ETAG | EF_DELETED)) | (bad ? IF_BAD : 0));
	if (bad)
		s->st_bad++;
	else
		s->st_entries++;
	return idx_set(s, (const char *)h + ENT_HDR, nl, (const char *)h + ENT_HDR + nl, el, &e);
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (int)(got == n);
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t put = 0;

	while (put < n) {
		ssize_t r = pwrite(fd, (const char *)buf + put, n - put, (off_t)(off + put));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		put += (size_t)r;
	}
	return 0;
}

/* Indexes entries that failed their checksum but were followed by good ones: damage in
 * the middle of a segment, kept in the index so the name is not served stale data from
 * an older entry. */
static int index_bad(featstore *s, uint32_t segi, const uint64_t *offs, size_t n, aderr *err)
{
	unsigned char h[ENT_HDR];
	unsigned char *key;
	uint32_t len;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (pread_all(s->segs[segi].fd, h, ENT_HDR, offs[i]) != 1 || hdr_check(h, &len) < 0)
			continue;
		key = malloc(ENT_HDR + get16(h + 6) + get16(h + 8));
		if (key == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		memcpy(key, h, ENT_HDR);
		if (pread_all(s->segs[segi].fd, key + ENT_HDR, get16(h + 6) + get16(h + 8),
		    offs[i] + ENT_HDR) == 1)
			rc = index_entry(s, segi, offs[i], key, 1);
		else
			rc = 0;
		free(key);
		if (rc < 0)
			return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	return 0;
}

/* The offset of the first whole, valid entry at or after from, or 0 when there is none:
 * how a scan steps over damage in the middle of a segment (a header checksum that fails
 * leaves the lengths untrustworthy, so the next entry has to be searched for). */
static uint64_t resync(featstore *s, uint32_t segi, uint64_t from, uint64_t size)
{
	int fd = s->segs[segi].fd;
	unsigned char *buf = malloc(SCAN_CHUNK), *ent;
	uint64_t at = from, found = 0;

	while (buf && !found && at + ENT_HDR <= size) {
		size_t n = size - at < SCAN_CHUNK ? (size_t)(size - at) : SCAN_CHUNK;

		if (pread_all(fd, buf, n, at) != 1)
			break;
		for (size_t i = 0; i + ENT_HDR <= n && !found; i++) {
			uint32_t len;

			if (buf[i] != 'A' || memcmp(buf + i, ENT_MAGIC, 4) != 0 ||
			    hdr_check(buf + i, &len) < 0 || at + i + len > size)
				continue;
			if ((ent = malloc(len)) == NULL)
				break;
			if (pread_all(fd, ent, len, at + i) == 1 && body_crc(ent) == get32(ent + 24))
				found = at + i;
			free(ent);
		}
		/* a header may straddle chunks: the next starts where this one's last could */
		at += n - ENT_HDR + 1;
	}
	free(buf);
	return found;
}

/* Reads segment segi from the start, indexing its entries and finding where its valid
 * entries end.  Entries that fail their body checksum but are followed by good ones are
 * indexed as damaged; in the newest segment, everything past the last good entry is the
 * torn tail (a power cut can leave zeroed pages under a grown file size). */
static int scan_seg(featstore *s, uint32_t segi, int newest, uint64_t size, aderr *err)
{
	struct seg *sg = &s->segs[segi];
	uint64_t pos = SEG_HDR, good_end = SEG_HDR, bstart = 0, *bad = NULL;
	size_t blen = 0, nbad = 0, capbad = 0;
	unsigned char *buf = s->rbuf;
	int rc = 0;

	for (;;) {
		uint32_t len;
		unsigned char *h;
		int got;

		/* make [pos, pos + ENT_HDR) and then the whole entry present in buf */
		if (pos + ENT_HDR > size)
			break;
		if (pos < bstart || pos + ENT_HDR > bstart + blen) {
			size_t want = size - pos < SCAN_CHUNK ? (size_t)(size - pos) : SCAN_CHUNK;

			if (grow(&s->rbuf, &s->rcap, want, 1) < 0) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			buf = s->rbuf;
			if ((got = pread_all(sg->fd, buf, want, pos)) != 1) {
				if (got < 0)
					rc = aderr_errno(err, AD_EIO, -got, "%s", s->dir);
				break;        /* else it shrank under us: the rest is tail */
			}
			bstart = pos;
			blen = want;
		}
		h = buf + (pos - bstart);
		if (hdr_check(h, &len) < 0) {
			uint64_t next = resync(s, segi, pos + 1, size);

			if (next == 0)
				break;
			s->st_skipped += (long long)(next - pos);
			pos = next;
			blen = 0;
			continue;
		}
		if (pos + len > size)
			break;
		if (pos + len > bstart + blen) {
			if (grow(&s->rbuf, &s->rcap, len > SCAN_CHUNK ? len : SCAN_CHUNK, 1) < 0) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			buf = s->rbuf;
			blen = size - pos < s->rcap ? (size_t)(size - pos) : s->rcap;
			if ((got = pread_all(sg->fd, buf, blen, pos)) != 1) {
				if (got < 0)
					rc = aderr_errno(err, AD_EIO, -got, "%s", s->dir);
				break;
			}
			bstart = pos;
			h = buf;
		}
		if (body_crc(h) != get32(h + 24)) {
			if (grow(&bad, &capbad, nbad + 1, sizeof *bad) < 0) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			bad[nbad++] = pos;
		} else {
			if (nbad && (rc = index_bad(s, segi, bad, nbad, err)) < 0)
				break;
			nbad = 0;
			if (index_entry(s, segi, pos, h, 0) < 0) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			good_end = pos + len;
		}
		pos += len;
	}
	if (rc == 0) {
		s->st_disk += (long long)size;
		if (newest)
			s->st_tail += (long long)(size - good_end);
		else if (size > pos)
			s->st_skipped += (long long)(size - pos);
		if (newest)
			sg->end = good_end;
		else if (nbad == 0 || (rc = index_bad(s, segi, bad, nbad, err)) == 0)
			sg->end = pos;
	}
	free(bad);
	return rc;
}

/* ---- compression ---- */

/* Records at least this long are deflated with Huffman codes only (Z_HUFFMAN_ONLY): they
 * are mostly base64 (keypoints, thumbnails) of bytes that repeat nothing, where looking
 * for matches costs half of put's time and saves about 4% of the size; shorter ones (a
 * failure, features without keypoints) are mostly repeated names the dictionary finds.
 * Either stream inflates the same way. */
#define HUFFMAN_ONLY_FROM 4096

static int deflate_json(featstore *s, const char *json, size_t n, size_t *out, aderr *err)
{
	int strategy = n >= HUFFMAN_ONLY_FROM ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY;
	size_t bound;
	int zr;

	if (!s->dz_ok) {
		if (deflateInit(&s->dz, Z_DEFAULT_COMPRESSION) != Z_OK)
			return aderr_set(err, AD_ENOMEM, "cannot start zlib");
		s->dz_ok = 1;
	} else if (deflateReset(&s->dz) != Z_OK) {
		return aderr_set(err, AD_EINTERNAL, "zlib reset failed");
	}
	/* nothing is deflated yet after a reset: the new strategy needs no flush */
	if (deflateParams(&s->dz, Z_DEFAULT_COMPRESSION, strategy) != Z_OK)
		return aderr_set(err, AD_EINTERNAL, "zlib parameters refused");
	if (deflateSetDictionary(&s->dz, (const Bytef *)dict1, sizeof dict1 - 1) != Z_OK)
		return aderr_set(err, AD_EINTERNAL, "zlib dictionary refused");
	bound = deflateBound(&s->dz, (uLong)n) + 16;
	if (grow(&s->zbuf, &s->zcap, bound, 1) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	s->dz.next_in = (Bytef *)(uintptr_t)json;
	s->dz.avail_in = (uInt)n;
	s->dz.next_out = s->zbuf;
	s->dz.avail_out = (uInt)s->zcap;
	zr = deflate(&s->dz, Z_FINISH);
	if (zr != Z_STREAM_END)
		return aderr_set(err, AD_EINTERNAL, "zlib deflate failed (%d)", zr);
	*out = s->dz.total_out;
	return 0;
}

/* Inflates n bytes at p into s->zbuf, which then holds raw_len bytes and a NUL. */
static int inflate_json(featstore *s, int codec, const unsigned char *p, size_t n, size_t raw_len)
{
	int zr;

	if (grow(&s->zbuf, &s->zcap, raw_len + 1, 1) < 0)
		return AD_ENOMEM;
	if (codec == CODEC_RAW) {
		if (n != raw_len)
			return AD_EFORMAT;
		memcpy(s->zbuf, p, n);
		s->zbuf[n] = '\0';
		return 0;
	}
	if (!s->iz_ok) {
		if (inflateInit(&s->iz) != Z_OK)
			return AD_ENOMEM;
		s->iz_ok = 1;
	} else if (inflateReset(&s->iz) != Z_OK) {
		return AD_EINTERNAL;
	}
	s->iz.next_in = (Bytef *)(uintptr_t)p;
	s->iz.avail_in = (uInt)n;
	s->iz.next_out = s->zbuf;
	s->iz.avail_out = (uInt)raw_len + 1;
	zr = inflate(&s->iz, Z_FINISH);
	if (zr == Z_NEED_DICT && codec == CODEC_ZDICT1) {
		if (inflateSetDictionary(&s->iz, (const Bytef *)dict1, sizeof dict1 - 1) != Z_OK)
			return AD_EFORMAT;
		zr = inflate(&s->iz, Z_FINISH);
	}
	if (zr != Z_STREAM_END || s->iz.total_out != raw_len)
		return AD_EFORMAT;
	s->zbuf[raw_len] = '\0';
	return 0;
}

/* ---- writing ---- */

static int flush_buf(featstore *s, aderr *err)
{
	struct seg *sg;

	if (s->wlen == 0)
		return 0;
	sg = &s->segs[s->nsegs - 1];
	if (pwrite_all(sg->fd, s->wbuf, s->wlen, sg->end) < 0) {
		int e = errno, rc;
		char *p = seg_path(s, sg->num);

		/* (ENOSPC, EIO) cut off what part of the entries got there, so the segment ends
		 * with its last whole entry and readers find no torn tail; the entries still in
		 * the buffer are lost with this run, and the writer takes no more */
		s->broken = 1;
		if (ftruncate(sg->fd, (off_t)sg->end) == 0)
			fdatasync(sg->fd);
		rc = aderr_errno(err, aderr_from_errno(e), e, "%s", p ? p : s->dir);
		free(p);
		return rc;
	}
	sg->end += s->wlen;
	s->wlen = 0;
	return 0;
}

int featstore_flush(featstore *s, int sync, aderr *err)
{
	if (s == NULL || !(s->flags & FEATSTORE_WRITE) || s->nsegs == 0)
		return 0;
	if (s->broken)
		return aderr_set(err, AD_EIO, "%s: an earlier write failed", s->dir);
	if (flush_buf(s, err) < 0)
		return err ? err->code : AD_EIO;
	if (sync) {
		if (fdatasync(s->segs[s->nsegs - 1].fd) != 0) {
			s->broken = 1;
			return aderr_errno(err, AD_EIO, errno, "%s: fsync", s->dir);
		}
		s->unsynced = 0;
		s->last_sync = now_seconds();
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Starts segment number num: header written and synced, then the folder synced. */
static int new_seg(featstore *s, uint32_t num, aderr *err)
{
	unsigned char h[SEG_HDR];
	char *path = seg_path(s, num);
	int fd;

	if (path == NULL || grow(&s->segs, &s->capsegs, s->nsegs + 1, sizeof *s->segs) < 0) {
		free(path);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		aderr_errno(err, aderr_from_errno(errno), errno, "%s", path);
		free(path);
		return err ? err->code : AD_EIO;
	}
	memcpy(h, SEG_MAGIC, 8);
	put32(h + 8, SEG_VERSION);
	put32(h + 12, num);
	if (pwrite_all(fd, h, SEG_HDR, 0) < 0 || fsync(fd) != 0 || sync_dir(s->dir) != 0) {
		aderr_errno(err, AD_EIO, errno, "%s", path);
		close(fd);
		free(path);
		return err ? err->code : AD_EIO;
	}
	free(path);
	s->segs[s->nsegs].num = num;
	s->segs[s->nsegs].fd = fd;
	s->segs[s->nsegs].end = SEG_HDR;
	s->nsegs++;
	return 0;
}

static int read_raw(featstore *s, const struct ient *e, aderr *err);

/* Starts a new segment when the current one would grow past the limit. */
static int room_for(featstore *s, size_t total, aderr *err)
{
	struct seg *sg = &s->segs[s->nsegs - 1];
	int rc;

	if (sg->end + s->wlen > SEG_HDR && sg->end + s->wlen + total > s->seg_max) {
		if ((rc = featstore_flush(s, 1, err)) < 0 || (rc = new_seg(s, sg->num + 1, err)) < 0)
			return rc;
	}
	if (grow(&s->wbuf, &s->wcap, s->wlen + total, 1) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
}

/* Hands buffered entries to the kernel, and to the disk, as often as the policy says. */
static int after_append(featstore *s, aderr *err)
{
	s->unsynced++;
	if (s->unsynced >= FEATSTORE_SYNC_RECORDS || now_seconds() - s->last_sync >= FEATSTORE_SYNC_SECONDS)
		return featstore_flush(s, 1, err);
	if (s->wlen >= WBUF_FLUSH)
		return flush_buf(s, err);
	return 0;
}

/* Appends an entry (header built here) and makes it the latest of its name. */
static int append_entry(featstore *s, const char *name, size_t nl, const char *etag, size_t el,
    unsigned flags, unsigned codec, const void *body, size_t blen, uint32_t raw_len,
    uint32_t rcrc, aderr *err)
{
	size_t total = ENT_HDR + nl + el + blen;
	struct ient ne = {0};
	unsigned char *h;
	int rc;

	if ((rc = room_for(s, total, err)) < 0)
		return rc;
	h = s->wbuf + s->wlen;
	memcpy(h, ENT_MAGIC, 4);
	h[4] = (unsigned char)flags;
	h[5] = (unsigned char)codec;
	put16(h + 6, (unsigned)nl);
	put16(h + 8, (unsigned)el);
	put16(h + 10, 0);
	put32(h + 12, (uint32_t)blen);
	put32(h + 16, raw_len);
	put32(h + 20, rcrc);
	memcpy(h + ENT_HDR, name, nl);
	if (el)
		memcpy(h + ENT_HDR + nl, etag, el);
	if (blen)
		memcpy(h + ENT_HDR + nl + el, body, blen);
	put32(h + 24, body_crc(h));
	put32(h + 28, crc(0, h, 28));

	ne.seg = (uint32_t)(s->nsegs - 1);
	ne.off = s->segs[s->nsegs - 1].end + s->wlen;
	ne.len = (uint32_t)total;
	ne.raw_len = raw_len;
	ne.raw_crc = rcrc;
	ne.flags = h[4];
	s->wlen += total;
	if (idx_set(s, name, nl, etag ? etag : "", el, &ne) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = after_append(s, err);
	return rc < 0 ? rc : 1;
}

/* The checks both forms of put make before they encode anything. */
static int put_ok(featstore *s, const char *name, size_t nl, size_t el, aderr *err)
{
	if (!(s->flags & FEATSTORE_WRITE))
		return aderr_set(err, AD_EUSAGE, "%s: opened for reading only", s->dir);
	if (s->broken)
		return aderr_set(err, AD_EIO, "%s: an earlier write failed", s->dir);
	if (name == NULL || nl == 0)
		return aderr_set(err, AD_EFORMAT, "record has no name");
	if (nl > 0xffff || el > 0xffff)
		return aderr_set(err, AD_ETOOBIG, "%s: name or etag longer than 65535 bytes", name);
	return 0;
}

/* put with the record's text in hand: json[0, jlen) is its compact dump. */
static int put_text(featstore *s, const char *name, size_t nl, const char *etag, size_t el,
    int is_error, const char *json, size_t jlen, aderr *err)
{
	struct ient *old;
	uint32_t rcrc;
	size_t zlen = 0;
	int rc;

	if (jlen > MAX_RAW)
		return aderr_set(err, AD_ETOOBIG, "%s: record larger than %u bytes", name, MAX_RAW);
	rcrc = crc(0, json, jlen);

	/* the same bytes again (a rerun of put): keep the store from growing */
	old = idx_live(s, name);
	if (old && !(old->flags & IF_BAD) && old->raw_len == jlen && old->raw_crc == rcrc &&
	    read_raw(s, old, NULL) == 0 && memcmp(s->zbuf, json, jlen) == 0)
		return 0;

	if ((rc = deflate_json(s, json, jlen, &zlen, err)) < 0)
		return rc;
	return append_entry(s, name, nl, etag, el,
	    (is_error ? EF_ERROR : 0) | (etag ? EF_ETAG : 0), CODEC_ZDICT1, s->zbuf, zlen,
	    (uint32_t)jlen, rcrc, err);
}

int featstore_put(featstore *s, const json_t *rec, aderr *err)
{
	const char *name = rec_name(rec), *etag = rec_str(rec, "etag");
	size_t nl = name ? strlen(name) : 0, el = etag ? strlen(etag) : 0;
	char *json;
	int rc;

	if ((rc = put_ok(s, name, nl, el, err)) < 0)
		return rc;
	json = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (json == NULL)
		return aderr_set(err, AD_ENOMEM, "%s: cannot encode the record", name);
	rc = put_text(s, name, nl, etag, el, rec_has_error(rec), json, strlen(json), err);
	free(json);
	return rc;
}

int featstore_put_text(featstore *s, const char *name, const char *etag, int is_error,
    const char *json, size_t jlen, aderr *err)
{
	size_t nl = name ? strlen(name) : 0, el = etag ? strlen(etag) : 0;
	int rc;

	if ((rc = put_ok(s, name, nl, el, err)) < 0)
		return rc;
	return put_text(s, name, nl, etag, el, is_error, json, jlen, err);
}

int featstore_rm(featstore *s, const char *name, aderr *err)
{
	if (!(s->flags & FEATSTORE_WRITE))
		return aderr_set(err, AD_EUSAGE, "%s: opened for reading only", s->dir);
	if (s->broken)
		return aderr_set(err, AD_EIO, "%s: an earlier write failed", s->dir);
	if (name == NULL || idx_live(s, name) == NULL)
		return 0;
	return append_entry(s, name, strlen(name), NULL, 0, EF_DELETED, CODEC_RAW, NULL, 0, 0,
	    crc(0, "", 0), err);
}

struct byname {
	const char *name;
	uint32_t i;
};

static int cmp_byname(const void *a, const void *b)
{
	return strcmp(((const struct byname *)a)->name, ((const struct byname *)b)->name);
}

/* Rewrites the latest entry of every live name into new segments, then removes the old
 * segments, oldest first.  A crash before the removals leaves the same records twice
 * (the copies, being newer, win); a crash during them leaves only segments whose
 * entries are superseded by the copies or are tombstones of names not copied.  Readers
 * that open the store while it runs may fail to find a segment and must retry. */
int featstore_compact(featstore *s, struct featstore_compact_result *res, aderr *err)
{
	size_t nold, n = 0, keep = 0;
	struct byname *v;
	unsigned char *buf = NULL;
	size_t bcap = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!(s->flags & FEATSTORE_WRITE))
		return aderr_set(err, AD_EUSAGE, "%s: opened for reading only", s->dir);
	if ((rc = featstore_flush(s, 1, err)) < 0)
		return rc;
	for (size_t i = 0; i < s->nsegs; i++)
		res->bytes_before += (long long)s->segs[i].end;
	nold = s->nsegs;
	if ((rc = new_seg(s, s->segs[nold - 1].num + 1, err)) < 0)
		return rc;
	v = malloc((s->nents ? s->nents : 1) * sizeof *v);
	if (v == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nents; i++) {
		if (s->ents[i].flags & (EF_DELETED | IF_BAD)) {
			res->dropped++;
			continue;
		}
		v[n].name = s->ents[i].name;
		v[n++].i = (uint32_t)i;
	}
	qsort(v, n, sizeof *v, cmp_byname);
	for (size_t k = 0; k < n && rc == 0; k++) {
		struct ient *e = &s->ents[v[k].i];
		int got;

		if (grow(&buf, &bcap, e->len, 1) < 0) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			break;
		}
		got = pread_all(s->segs[e->seg].fd, buf, e->len, e->off);
		if (got < 0) {
			rc = aderr_errno(err, AD_EIO, -got, "%s", s->dir);
			break;
		}
		if (got != 1 || get32(buf + 28) != crc(0, buf, 28) || body_crc(buf) != get32(buf + 24)) {
			e->flags |= IF_BAD;    /* damaged since the scan: not worth copying */
			res->dropped++;
			continue;
		}
		if ((rc = room_for(s, e->len, err)) < 0)
			break;
		memcpy(s->wbuf + s->wlen, buf, e->len);
		e->seg = (uint32_t)(s->nsegs - 1);
		e->off = s->segs[s->nsegs - 1].end + s->wlen;
		s->wlen += e->len;
		res->kept++;
		if (s->wlen >= WBUF_FLUSH && (rc = flush_buf(s, err)) < 0)
			break;
	}
	free(buf);
	free(v);
	if (rc == 0)
		rc = featstore_flush(s, 1, err);
	if (rc == 0 && sync_dir(s->dir) != 0)
		rc = aderr_errno(err, AD_EIO, errno, "%s", s->dir);
	if (rc < 0) {
		s->broken = 1;     /* the index points at copies that did not all get there */
		return rc;         /* the old segments are intact: nothing is lost */
	}

	/* the copies are on disk: the old segments go, oldest first */
	for (size_t i = 0; i < nold; i++) {
		char *p = seg_path(s, s->segs[i].num);

		if (p == NULL || unlink(p) != 0) {
			rc = p == NULL ? aderr_set(err, AD_ENOMEM, "out of memory") :
			    aderr_errno(err, AD_EIO, errno, "%s", p);
			free(p);
			return rc;
		}
		free(p);
		close(s->segs[i].fd);
		s->segs[i].fd = -1;
	}
	sync_dir(s->dir);
	memmove(s->segs, s->segs + nold, (s->nsegs - nold) * sizeof *s->segs);
	s->nsegs -= nold;
	/* the index keeps only what was copied */
	for (size_t i = 0; i < s->nents; i++) {
		if (s->ents[i].flags & (EF_DELETED | IF_BAD)) {
			free(s->ents[i].name);
			continue;
		}
		s->ents[i].seg -= (uint32_t)nold;
		s->ents[keep++] = s->ents[i];
	}
	s->nents = keep;
	memset(s->slots, 0, s->nslots * sizeof *s->slots);
	for (size_t i = 0; i < s->nents; i++)
		s->slots[idx_slot(s, s->ents[i].name, strlen(s->ents[i].name))] = (uint32_t)(i + 1);
	for (size_t i = 0; i < s->nsegs; i++)
		res->bytes_after += (long long)s->segs[i].end;
	res->segments = (long)s->nsegs;
	return 0;
}

/* ---- reading ---- */

/* Reads entry e, checks it, and leaves its JSON in s->zbuf (NUL-terminated). */
static int read_raw(featstore *s, const struct ient *e, aderr *err)
{
	struct seg *sg = &s->segs[e->seg];
	const char *name = e->name;
	unsigned char *h;
	uint32_t len;
	int got, zr;

	if (e->flags & IF_BAD)
		goto damaged;
	if ((s->flags & FEATSTORE_WRITE) && e->seg == s->nsegs - 1 && e->off + e->len > sg->end &&
	    flush_buf(s, err) < 0)
		return err ? err->code : AD_EIO;
	if (grow(&s->rbuf, &s->rcap, e->len, 1) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	h = s->rbuf;
	got = pread_all(sg->fd, h, e->len, e->off);
	if (got < 0)
		return aderr_errno(err, AD_EIO, -got, "%s/%08u.seg", s->dir, (unsigned)sg->num);
	if (got == 0 || hdr_check(h, &len) < 0 || len != e->len || body_crc(h) != get32(h + 24) ||
	    get16(h + 6) != strlen(name) || memcmp(h + ENT_HDR, name, strlen(name)) != 0)
		goto damaged;
	zr = inflate_json(s, h[5], h + ENT_HDR + get16(h + 6) + get16(h + 8), get32(h + 12),
	    get32(h + 16));
	if (zr == AD_ENOMEM)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (zr < 0 || crc(0, s->zbuf, get32(h + 16)) != get32(h + 20))
		goto damaged;
	return 0;
damaged:
	return aderr_set(err, AD_EFORMAT, "%s: stored record is damaged (checksum mismatch in "
	    "%08u.seg at offset %llu)", name, (unsigned)sg->num, (unsigned long long)e->off);
}

static int read_entry(featstore *s, const struct ient *e, json_t **out, aderr *err)
{
	json_error_t je;
	int rc;

	*out = NULL;
	if ((rc = read_raw(s, e, err)) < 0)
		return rc;
	*out = json_loadb((const char *)s->zbuf, e->raw_len, 0, &je);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return aderr_set(err, AD_EFORMAT, "%s: stored record is not a JSON object", e->name);
	}
	return 0;
}

int featstore_lookup(featstore *s, const char *name, struct featstore_info *info)
{
	struct ient *e = name ? idx_live(s, name) : NULL;

	if (e == NULL)
		return 0;
	if (info) {
		info->etag = (e->flags & EF_ETAG) ? e->name + strlen(e->name) + 1 : NULL;
		info->is_error = (e->flags & EF_ERROR) != 0;
		info->is_bad = (e->flags & IF_BAD) != 0;
	}
	return 1;
}

int featstore_check(featstore *s, const json_t *rec, struct featstore_info *info)
{
	struct featstore_info si;
	const char *etag = rec_str(rec, "etag"), *sha = rec_str(rec, "sha256"), *old;
	json_t *stored;
	int rc;

	if (info == NULL)
		info = &si;
	if (!featstore_lookup(s, rec_name(rec), info))
		return FEATSTORE_NONE;
	if (etag != NULL)
		return info->etag && strcmp(info->etag, etag) == 0 ? FEATSTORE_SAME : FEATSTORE_STALE;
	if (sha == NULL || info->is_bad)
		return FEATSTORE_SAME;
	/* no etag (a listing that has none): the checksum is the next best witness */
	if (featstore_get(s, rec_name(rec), &stored, NULL) != 1) {
		info->is_bad = 1;
		return FEATSTORE_SAME;
	}
	old = rec_str(stored, "sha256");
	rc = old == NULL || strcmp(old, sha) == 0 ? FEATSTORE_SAME : FEATSTORE_STALE;
	json_decref(stored);
	return rc;
}

int featstore_get(featstore *s, const char *name, json_t **out, aderr *err)
{
	struct ient *e = name ? idx_live(s, name) : NULL;
	int rc;

	*out = NULL;
	if (e == NULL)
		return 0;
	rc = read_entry(s, e, out, err);
	return rc < 0 ? rc : 1;
}

int featstore_get_text(featstore *s, const char *name, const char **text, size_t *len,
    aderr *err)
{
	struct ient *e = name ? idx_live(s, name) : NULL;
	int rc;

	*text = NULL;
	*len = 0;
	if (e == NULL)
		return 0;
	if ((rc = read_raw(s, e, err)) < 0)
		return rc;
	*text = (const char *)s->zbuf;
	*len = e->raw_len;
	return 1;
}

int featstore_each(featstore *s, const char *prefix, featstore_each_fn cb, void *ud, aderr *err)
{
	size_t pl = prefix ? strlen(prefix) : 0, n = 0;
	struct byname *v;
	int rc = 0;

	v = malloc((s->nents ? s->nents : 1) * sizeof *v);
	if (v == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nents; i++) {
		if (s->ents[i].flags & EF_DELETED)
			continue;
		if (pl == 0 || strncmp(s->ents[i].name, prefix, pl) == 0) {
			v[n].name = s->ents[i].name;
			v[n++].i = (uint32_t)i;
		}
	}
	qsort(v, n, sizeof *v, cmp_byname);
	for (size_t i = 0; i < n && rc == 0; i++) {
		aderr bad = {0};
		json_t *rec = NULL;

		if (read_entry(s, &s->ents[v[i].i], &rec, &bad) < 0) {
			if (bad.code == AD_ENOMEM || bad.code == AD_EIO) {
				rc = aderr_set(err, bad.code, "%s", bad.msg);
				break;
			}
			rc = cb(ud, v[i].name, NULL, &bad);
		} else {
			rc = cb(ud, v[i].name, rec, NULL);
			json_decref(rec);
		}
	}
	free(v);
	return rc;
}

void featstore_stats(const featstore *s, struct featstore_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->segments = (long)s->nsegs;
	st->disk_bytes = s->st_disk;
	st->entries = s->st_entries;
	st->damaged_entries = s->st_bad;
	st->skipped_bytes = s->st_skipped;
	st->tail_bytes = s->st_tail;
	for (size_t i = 0; i < s->nents; i++) {
		if (s->ents[i].flags & EF_DELETED)
			continue;
		st->names++;
		st->errors += (s->ents[i].flags & EF_ERROR) != 0;
		st->damaged += (s->ents[i].flags & IF_BAD) != 0;
	}
}

long featstore_count(const featstore *s)
{
	long n = 0;

	for (size_t i = 0; i < s->nents; i++)
		n += !(s->ents[i].flags & EF_DELETED);
	return n;
}

void featstore_set_segment_max(featstore *s, long bytes)
{
	s->seg_max = bytes > SEG_HDR ? (uint64_t)bytes : SEG_HDR + 1;
}

const char *featstore_dir(const featstore *s)
{
	return s->dir;
}

/* ---- opening and closing ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The numbers of the segment files, sorted; *empty says whether the folder holds nothing
 * but what a store's creation may have left (LOCK, FORMAT's temporary). */
static int list_dir(featstore *s, uint32_t **nums, size_t *n, int *empty, aderr *err)
{
	DIR *d = opendir(s->dir);
	struct dirent *de;
	size_t cap = 0;

	*nums = NULL;
	*n = 0;
	*empty = 1;
	if (d == NULL)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", s->dir);
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t l = strlen(nm), k;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if (strcmp(nm, "LOCK") != 0 && strncmp(nm, "." FORMAT_NAME, sizeof FORMAT_NAME) != 0)
			*empty = 0;
		for (k = 0; k < l && nm[k] >= '0' && nm[k] <= '9'; k++)
			;
		if (k != 8 || l != 12 || strcmp(nm + 8, ".seg") != 0)
			continue;
		if (grow(nums, &cap, *n + 1, sizeof **nums) < 0) {
			closedir(d);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		(*nums)[(*n)++] = (uint32_t)strtoul(nm, NULL, 10);
	}
	closedir(d);
	if (*n > 1)
		qsort(*nums, *n, sizeof **nums, cmp_u32);
	return 0;
}

/* 1: FORMAT says this is a store we read; 0: no FORMAT; negative: refused. */
static int check_format(featstore *s, aderr *err)
{
	char *p, buf[128];
	ssize_t n;
	int fd, ver;

	if (asprintf(&p, "%s/%s", s->dir, FORMAT_NAME) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s/%s", s->dir, FORMAT_NAME);
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "azdedup feature store %d", &ver) != 1)
		return aderr_set(err, AD_EFORMAT, "%s: not a feature store", s->dir);
	if (ver > FORMAT_VERSION)
		return aderr_set(err, AD_EUNSUP, "%s: feature store format %d is newer than this "
		    "program (%d)", s->dir, ver, FORMAT_VERSION);
	return 1;
}

static int write_format(featstore *s, aderr *err)
{
	struct afile af;
	char *p;
	int rc;

	if (asprintf(&p, "%s/%s", s->dir, FORMAT_NAME) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = afile_open(&af, p, err);
	free(p);
	if (rc < 0)
		return rc;
	if (fputs(FORMAT_TEXT, af.fp) == EOF) {
		afile_abort(&af);
		return aderr_errno(err, AD_EIO, errno, "%s/%s", s->dir, FORMAT_NAME);
	}
	rc = afile_commit(&af, err);
	if (rc == 0)
		sync_dir(s->dir);
	return rc;
}

static int take_lock(featstore *s, aderr *err)
{
	char *p, pid[32];
	int fd, n;

	if (asprintf(&p, "%s/LOCK", s->dir) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(p);
	if (fd < 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s/LOCK", s->dir);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			/* the holder wrote its pid there: name it, so the user knows whom to wait for */
			n = (int)pread(fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(fd);
			return aderr_set(err, AD_EEXIST, "%s: in use by another writer%s%s%s", s->dir,
			    *pid ? " (pid " : "", pid, *pid ? ")" : "");
		}
		close(fd);
		return aderr_errno(err, AD_EIO, e, "%s/LOCK", s->dir);
	}
	/* the pid is only a courtesy to a second writer's error message: failing is fine */
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		n = (int)pwrite(fd, pid, (size_t)n, 0);
	s->lock_fd = fd;
	return 0;
}

/* The next slot of s->segs (room made by the caller) for segment num open on fd, with
 * only its header read so far. */
static struct seg *add_seg(featstore *s, uint32_t num, int fd)
{
	struct seg *sg = &s->segs[s->nsegs++];

	sg->num = num;
	sg->fd = fd;
	sg->end = SEG_HDR;
	return sg;
}

/* Opens every segment and indexes it; the writer truncates a torn tail and opens the
 * newest segment for appending (or starts the first one). */
static int load(featstore *s, aderr *err)
{
	uint32_t *nums;
	size_t n;
	int empty, rc;
	int wr = (s->flags & FEATSTORE_WRITE) != 0;

	if ((rc = list_dir(s, &nums, &n, &empty, err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int newest = i == n - 1;
		char *p = seg_path(s, nums[i]);
		unsigned char h[SEG_HDR];
		struct stat st;
		struct seg *sg;
		int fd;

		if (p == NULL || grow(&s->segs, &s->capsegs, s->nsegs + 1, sizeof *s->segs) < 0) {
			free(p);
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			break;
		}
		fd = open(p, ((wr && newest) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			rc = aderr_errno(err, aderr_from_errno(errno), errno, "%s", p);
			if (fd >= 0)
				close(fd);
			free(p);
			break;
		}
		if (st.st_size < SEG_HDR && newest) {
			/* a writer died creating it (a writer still writing the header looks the
			 * same to a reader, which sees no entries either way) */
			if (wr) {
				close(fd);
				rc = unlink(p) == 0 ? new_seg(s, nums[i], err) :
				    aderr_errno(err, AD_EIO, errno, "%s", p);
				free(p);
				break;
			}
			add_seg(s, nums[i], fd);
			free(p);
			continue;
		}
		if (pread_all(fd, h, SEG_HDR, 0) != 1 || memcmp(h, SEG_MAGIC, 8) != 0 ||
		    get32(h + 8) != SEG_VERSION) {
			rc = aderr_set(err, AD_EFORMAT, "%s: not a segment of a feature store", p);
			close(fd);
			free(p);
			break;
		}
		sg = add_seg(s, nums[i], fd);
		rc = scan_seg(s, (uint32_t)(s->nsegs - 1), newest, (uint64_t)st.st_size, err);
		if (rc == 0 && wr && newest && (uint64_t)st.st_size > sg->end) {
			/* the torn tail of a writer that died: drop it before appending after it */
			if (ftruncate(fd, (off_t)sg->end) != 0 || fsync(fd) != 0)
				rc = aderr_errno(err, AD_EIO, errno, "%s: cannot truncate its torn tail", p);
		}
		free(p);
	}
	free(nums);
	if (rc == 0 && wr && s->nsegs == 0)
		rc = new_seg(s, 1, err);
	return rc;
}

featstore *featstore_open(const char *dir, int flags, aderr *err)
{
	featstore *s = calloc(1, sizeof *s);
	struct stat st;
	int rc, wr = (flags & FEATSTORE_WRITE) != 0;

	if (s == NULL || (s->dir = strdup(dir)) == NULL) {
		free(s);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	s->flags = flags;
	s->lock_fd = -1;
	s->seg_max = FEATSTORE_SEGMENT_MAX;
	s->last_sync = now_seconds();
	if (stat(dir, &st) != 0) {
		int e = errno;

		if (e != ENOENT) {
			aderr_errno(err, aderr_from_errno(e), e, "%s", dir);
			goto fail;
		}
		if (!wr && (flags & FEATSTORE_MISSING_OK))
			return s;
		if (!wr || !(flags & FEATSTORE_CREATE)) {
			aderr_set(err, AD_ENOENT, "%s: no such feature store", dir);
			goto fail;
		}
		{
			char *f;

			if (asprintf(&f, "%s/%s", dir, FORMAT_NAME) < 0) {
				aderr_set(err, AD_ENOMEM, "out of memory");
				goto fail;
			}
			rc = mkdir_parents(f, err);
			free(f);
			if (rc < 0)
				goto fail;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		aderr_set(err, AD_EFORMAT, "%s: not a feature store", dir);
		goto fail;
	}
	if ((rc = check_format(s, err)) < 0)
		goto fail;
	if (rc == 0) {
		uint32_t *nums;
		size_t n;
		int empty;

		/* only an empty folder becomes a store: never take over someone's photos */
		if (list_dir(s, &nums, &n, &empty, err) < 0)
			goto fail;
		free(nums);
		if (!empty || (wr && !(flags & FEATSTORE_CREATE))) {
			aderr_set(err, AD_EFORMAT, "%s: not a feature store", dir);
			goto fail;
		}
		if (!wr) {
			if (flags & FEATSTORE_MISSING_OK)
				return s;
			aderr_set(err, AD_EFORMAT, "%s: not a feature store", dir);
			goto fail;
		}
	}
	if (wr) {
		if (take_lock(s, err) < 0)
			goto fail;
		/* a writer that got the lock first may have made it a store meanwhile */
		if ((rc = check_format(s, err)) < 0 || (rc == 0 && write_format(s, err) < 0))
			goto fail;
	}
	if (load(s, err) < 0)
		goto fail;
	return s;
fail:
	featstore_close(s, NULL);
	return NULL;
}

int featstore_close(featstore *s, aderr *err)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	if ((s->flags & FEATSTORE_WRITE) && s->nsegs)
		rc = featstore_flush(s, 1, err);
	for (size_t i = 0; i < s->nsegs; i++)
		close(s->segs[i].fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (size_t i = 0; i < s->nents; i++)
		free(s->ents[i].name);
	if (s->dz_ok)
		deflateEnd(&s->dz);
	if (s->iz_ok)
		inflateEnd(&s->iz);
	free(s->ents);
	free(s->slots);
	free(s->segs);
	free(s->wbuf);
	free(s->rbuf);
	free(s->zbuf);
	free(s->dir);
	free(s);
	return rc;
}
