/* tiff.c — the TIFF decoder behind img_decode (libtiff): the first directory through
 * the RGBA reader a strip or a row of tiles at a time, or, when that does not fit the
 * memory budget and the file allows, a scanline at a time; libtiff's messages kept per
 * thread for the error, never printed. */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "decode_int.h"

static __thread char tiff_msg[200];

static void tiff_error(const char *module, const char *fmt, va_list ap)
{
	(void)module;
	vsnprintf(tiff_msg, sizeof tiff_msg, fmt, ap);
}

static void tiff_quiet(const char *module, const char *fmt, va_list ap)
{
	(void)module, (void)fmt, (void)ap;
}

static pthread_once_t tiff_once = PTHREAD_ONCE_INIT;

static void tiff_init(void)
{
	TIFFSetErrorHandler(tiff_error);
	TIFFSetWarningHandler(tiff_quiet);
}

static tmsize_t t_read(thandle_t h, void *to, tmsize_t n)
{
	return (tmsize_t)dec_memsrc_read(h, to, n);
}

static tmsize_t t_write(thandle_t h, void *from, tmsize_t n)
{
	(void)h, (void)from, (void)n;
	return -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
	struct dec_memsrc *m = h;
	unsigned long long base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;

	if (base + off < base)
		return (toff_t)-1;
	m->pos = (size_t)(base + off);
	return (toff_t)m->pos;
}

static int t_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t t_size(thandle_t h)
{
	return (toff_t)((struct dec_memsrc *)h)->len;
}

/* Whether the image can be read a row at a time as it is stored (a strip of many rows
 * that the RGBA reader would unpack whole) and give the same pixels that reader gives:
 * stripped, contiguous 8-bit RGB or gray with no extra samples, not turned upside down,
 * compressed with a codec that decodes row by row. */
static int tiff_scanlines_ok(TIFF *t, uint16_t spp, uint16_t bps)
{
	uint16_t photo = 0, planar = PLANARCONFIG_CONTIG, comp = COMPRESSION_NONE;
	uint16_t orient = ORIENTATION_TOPLEFT;

	if (TIFFIsTiled(t) || bps != 8 || !TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo))
		return 0;
	TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &comp);
	TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orient);
	return planar == PLANARCONFIG_CONTIG &&
	    ((photo == PHOTOMETRIC_RGB && spp == 3) || ((photo == PHOTOMETRIC_MINISBLACK ||
	    photo == PHOTOMETRIC_MINISWHITE) && spp == 1)) &&
	    (comp == COMPRESSION_NONE || comp == COMPRESSION_LZW || comp == COMPRESSION_DEFLATE ||
	    comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_PACKBITS) &&
	    (orient == ORIENTATION_TOPLEFT || orient == ORIENTATION_TOPRIGHT ||
	    orient == ORIENTATION_LEFTTOP || orient == ORIENTATION_RIGHTTOP);
}

/* tiff_scanlines_ok's images a row at a time into a new rowsink k: the pixels libtiff's
 * RGBA reader gives them (gray inverted for min-is-white, rows mirrored where the
 * orientation says so), with one row and the codec's state in memory. */
static int tiff_by_scanline(TIFF *t, const struct img_decode_opts *o, int w, int h,
    uint16_t spp, double raw, struct dec_rowsink *k, aderr *err)
{
	uint16_t photo = 0, orient = ORIENTATION_TOPLEFT;
	unsigned char *line;
	int rc, mirror;

	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orient);
	mirror = orient == ORIENTATION_TOPRIGHT || orient == ORIENTATION_RIGHTTOP;
	if ((rc = img_decode_reserve(o, 2.0 * w * spp + raw + 400000 + dec_sink_mem(o, w, h) +
	    img_decode_tail(o, w, h, o->color ? 3 : 1), err)) < 0)
		return rc;
	line = malloc((size_t)TIFFScanlineSize(t) + (size_t)w * spp);
	if (line == NULL || dec_sink_open(k, o, w, h) < 0) {
		free(line);
		return aderr_set(err, AD_ENOMEM, "out of memory decoding TIFF");
	}
	for (int y = 0; y < h; y++) {
		unsigned char *px = line + TIFFScanlineSize(t);

		if (TIFFReadScanline(t, line, (uint32_t)y, 0) < 0) {
			free(line);
			return aderr_set(err, AD_EFORMAT, "corrupt TIFF: %s",
			    tiff_msg[0] ? tiff_msg : "cannot read the image data");
		}
		for (int x = 0; x < w; x++) {
			const unsigned char *s = line + (size_t)(mirror ? w - 1 - x : x) * spp;

			for (int c = 0; c < spp; c++)
				px[(size_t)x * spp + (size_t)c] = photo == PHOTOMETRIC_MINISWHITE ?
				    (unsigned char)(255 - s[c]) : s[c];
		}
		dec_sink_push(k, px, spp);
	}
	free(line);
	return 0;
}

/* The first directory through libtiff's RGBA reader (every photometric and compression
 * it knows), a band at a time: a strip, or a row of tiles, whichever the file is made
 * of, with the file's orientation applied as TIFFReadRGBAImageOriented applies it
 * (flips only), each band's rows going into a rowsink.  A file stored as one strip is
 * still decoded whole. */
int dec_tiff(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct dec_memsrc m = { buf, len, 0 };
	TIFF *t;
	TIFFRGBAImage ri;
	struct dec_rowsink k;
	uint32_t w = 0, h = 0, band = 0, *raster = NULL;
	uint16_t spp = 1, bps = 8;
	unsigned char *row = NULL;
	char emsg[1024] = "";
	int rc = 0, begun = 0, bottom;
	double raw = 0, unpacked, need;

	memset(&k, 0, sizeof k);
	pthread_once(&tiff_once, tiff_init);
	tiff_msg[0] = '\0';
	/* "m": no memory mapping, the bytes are already in memory */
	t = TIFFClientOpen("tiff", "rm", &m, t_read, t_write, t_seek, t_close, t_size, NULL, NULL);
	if (t == NULL)
		return aderr_set(err, m.pos >= len ? AD_ETRUNC : AD_EFORMAT, "corrupt TIFF: %s",
		    tiff_msg[0] ? tiff_msg : "cannot read the header");
	if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h) ||
	    w < 1 || h < 1) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt TIFF: no image size");
		goto out;
	}
	if (dec_over_limit(w, h, o->max_pixels)) {
		rc = dec_too_big(err, w, h, o->max_pixels);
		goto out;
	}
	info->width = (int)w;
	info->height = (int)h;
	if (w > INT_MAX || h > INT_MAX) {
		rc = aderr_set(err, AD_EUNSUP, "unsupported: TIFF of %ux%u pixels", (unsigned)w,
		    (unsigned)h);
		goto out;
	}
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	if (TIFFIsTiled(t)) {
		uint32_t tw = 0, th = 0;

		if (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(t, TIFFTAG_TILELENGTH,
		    &th) || tw < 1 || th < 1) {
			rc = aderr_set(err, AD_EFORMAT, "corrupt TIFF: no tile size");
			goto out;
		}
		band = th;
		unpacked = (double)tw * th * spp * (bps + 7) / 8 + 4.0 * tw * th;
	} else {
		TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &band);
		if (band < 1 || band > h)
			band = h;
		unpacked = (double)w * band * spp * (bps + 7) / 8;
	}
	for (uint32_t i = 0; i < TIFFNumberOfStrips(t) && i < 1000000; i++)
		if ((double)TIFFGetStrileByteCount(t, i) > raw)
			raw = (double)TIFFGetStrileByteCount(t, i);
	if (raw > (double)len)
		raw = (double)len;
	need = 4.0 * w * band + unpacked + raw + 400000 + 4.0 * w + dec_sink_mem(o, (int)w, (int)h) +
	    img_decode_tail(o, (int)w, (int)h, o->color ? 3 : 1);
	if (need > img_decode_room(o) && tiff_scanlines_ok(t, spp, bps)) {
		rc = tiff_by_scanline(t, o, (int)w, (int)h, spp, raw, &k, err);
		goto out;
	}
	if ((rc = img_decode_reserve(o, need, err)) < 0)
		goto out;
	if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&ri, t, 0, emsg)) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt TIFF: %s", tiff_msg[0] ? tiff_msg :
		    emsg[0] ? emsg : "cannot read the image data");
		goto out;
	}
	begun = 1;
	ri.req_orientation = ORIENTATION_TOPLEFT;
	/* flipped upside down: the bands from the last, each already upright */
	bottom = ri.orientation == ORIENTATION_BOTRIGHT || ri.orientation == ORIENTATION_RIGHTBOT ||
	    ri.orientation == ORIENTATION_BOTLEFT || ri.orientation == ORIENTATION_LEFTBOT;
	raster = malloc((size_t)w * (size_t)band * sizeof *raster);
	row = malloc((size_t)w * 4);
	if (raster == NULL || row == NULL || dec_sink_open(&k, o, (int)w, (int)h) < 0) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding TIFF");
		goto out;
	}
	for (uint32_t b = 0; b < (h + band - 1) / band; b++) {
		uint32_t y0 = (bottom ? (h + band - 1) / band - 1 - b : b) * band;
		uint32_t n = h - y0 < band ? h - y0 : band;

		ri.row_offset = (int)y0;
		ri.col_offset = 0;
		if (!TIFFRGBAImageGet(&ri, raster, w, n)) {
			rc = aderr_set(err, AD_EFORMAT, "corrupt TIFF: %s",
			    tiff_msg[0] ? tiff_msg : "cannot read the image data");
			goto out;
		}
		for (uint32_t y = 0; y < n; y++) {
			const uint32_t *s = raster + (size_t)y * w;

			for (uint32_t x = 0; x < w; x++) {
				row[4 * x] = (unsigned char)TIFFGetR(s[x]);
				row[4 * x + 1] = (unsigned char)TIFFGetG(s[x]);
				row[4 * x + 2] = (unsigned char)TIFFGetB(s[x]);
				row[4 * x + 3] = (unsigned char)TIFFGetA(s[x]);
			}
			dec_sink_push(&k, row, 4);
		}
	}
out:
	free(raster);
	free(row);
	if (begun)
		TIFFRGBAImageEnd(&ri);
	TIFFClose(t);
	return dec_sink_end(&k, rc, out, "TIFF", err);
}
