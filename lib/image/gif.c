/* gif.c — the GIF decoder behind img_decode (giflib): the first frame on a white
 * logical screen, transparency honoured, the screen going a row at a time into a row
 * sink; more frames after it mark the image animated. */
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "decode_int.h"

static int gif_read(GifFileType *g, GifByteType *to, int n)
{
	return (int)dec_memsrc_read(g->UserData, to, n);
}

static int gif_fail(aderr *err, int code)
{
	const char *why = GifErrorString(code);

	if (code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON)
		return aderr_set(err, AD_ETRUNC, "truncated: GIF data ends early");
	if (code == D_GIF_ERR_NOT_ENOUGH_MEM)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding GIF");
	return aderr_set(err, AD_EFORMAT, "corrupt GIF: %s", why ? why : "unknown error");
}

/* One row of the logical screen: white, with the frame's pixels where its line (NULL
 * for none) covers it, clipped to the screen. */
static void gif_row(unsigned char *rgb, int sw, const GifByteType *line, int left, int w,
    const ColorMapObject *cm, int transparent)
{
	memset(rgb, 255, (size_t)sw * 3);
	if (line == NULL)
		return;
	for (int x = 0; x < w; x++) {
		int col = left + x, c = line[x];
		unsigned char *px;

		if (col < 0 || col >= sw || c == transparent || c >= cm->ColorCount)
			continue;
		px = rgb + (size_t)col * 3;
		px[0] = cm->Colors[c].Red;
		px[1] = cm->Colors[c].Green;
		px[2] = cm->Colors[c].Blue;
	}
}

/* The first frame on a white logical screen.  The screen goes a row at a time into a
 * rowsink as the frame's lines come (an interlaced frame keeps its lines' colour
 * indices, a byte a pixel, until the last pass), so a 9999 x 9999 screen around a small
 * frame costs little. */
int dec_gif(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct dec_memsrc m = { buf, len, 0 };
	GifFileType *g;
	struct dec_rowsink k;
	GifByteType *line = NULL, *ext, *idx = NULL;
	unsigned char *rgb = NULL;
	int e = 0, rc = 0, type, transparent = -1, done = 0, code;

	memset(&k, 0, sizeof k);
	g = DGifOpen(&m, gif_read, &e);
	if (g == NULL)
		return gif_fail(err, e);
	if (g->SWidth < 1 || g->SHeight < 1) {
		DGifCloseFile(g, &e);
		return aderr_set(err, AD_EFORMAT, "corrupt GIF: no pixels");
	}
	if (dec_over_limit((unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels)) {
		rc = dec_too_big(err, (unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels);
		DGifCloseFile(g, &e);
		return rc;
	}
	info->width = g->SWidth;
	info->height = g->SHeight;
	while (!done && rc == 0) {
		if (DGifGetRecordType(g, (GifRecordType *)&type) == GIF_ERROR) {
			rc = gif_fail(err, g->Error);
			break;
		}
		switch (type) {
		case EXTENSION_RECORD_TYPE:
			if (DGifGetExtension(g, &code, &ext) == GIF_ERROR) {
				rc = gif_fail(err, g->Error);
				break;
			}
			if (code == GRAPHICS_EXT_FUNC_CODE && ext != NULL && ext[0] >= 4 && (ext[1] & 1))
				transparent = ext[4];
			while (rc == 0 && ext != NULL)
				if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
					rc = gif_fail(err, g->Error);
			break;
		case IMAGE_DESC_RECORD_TYPE: {
			static const int start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
			GifImageDesc *d;
			ColorMapObject *cm;
			int passes, w, h, vis, sy = 0;

			if (DGifGetImageDesc(g) == GIF_ERROR) {
				rc = gif_fail(err, g->Error);
				break;
			}
			d = &g->Image;
			cm = d->ColorMap ? d->ColorMap : g->SColorMap;
			w = d->Width;
			h = d->Height;
			if (cm == NULL || w < 1 || h < 1) {
				rc = aderr_set(err, AD_EFORMAT, "corrupt GIF: %s",
				    cm == NULL ? "no colour table" : "bad frame size");
				break;
			}
			/* a frame is decoded whole even where it leaves the screen: its
			 * pixels count against the limit as the screen's do */
			if (dec_over_limit((unsigned)w, (unsigned)h, o->max_pixels)) {
				rc = dec_too_big(err, (unsigned)w, (unsigned)h, o->max_pixels);
				break;
			}
			/* an interlaced frame keeps only its rows that land on the screen */
			vis = d->Top >= g->SHeight ? 0 : h < g->SHeight - d->Top ? h : g->SHeight - d->Top;
			if ((rc = img_decode_reserve(o, (d->Interlace ? (double)w * vis : 0) + 2.0 * w +
			    3.0 * g->SWidth + dec_sink_mem(o, g->SWidth, g->SHeight) +
			    img_decode_tail(o, g->SWidth, g->SHeight, o->color ? 3 : 1), err)) < 0)
				break;
			line = malloc((size_t)w + 1);
			rgb = malloc((size_t)g->SWidth * 3);
			idx = d->Interlace && vis > 0 ? malloc((size_t)w * (size_t)vis) : NULL;
			if (line == NULL || rgb == NULL || (d->Interlace && vis > 0 && idx == NULL) ||
			    dec_sink_open(&k, o, g->SWidth, g->SHeight) < 0) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory decoding GIF");
				break;
			}
			passes = d->Interlace ? 4 : 1;
			for (int p = 0; p < passes && rc == 0; p++)
				for (int y = d->Interlace ? start[p] : 0; y < h && rc == 0;
				    y += d->Interlace ? step[p] : 1) {
					GifByteType *to = d->Interlace && y < vis ?
					    idx + (size_t)y * (size_t)w : line;

					if (DGifGetLine(g, to, w) == GIF_ERROR) {
						rc = gif_fail(err, g->Error);
						break;
					}
					if (d->Interlace)
						continue;
					/* the screen's rows down to this line's */
					for (; sy < d->Top + y && sy < g->SHeight; sy++) {
						gif_row(rgb, g->SWidth, NULL, 0, 0, cm, transparent);
						dec_sink_push(&k, rgb, 3);
					}
					if (sy == d->Top + y && sy < g->SHeight) {
						gif_row(rgb, g->SWidth, line, d->Left, w, cm, transparent);
						dec_sink_push(&k, rgb, 3);
						sy++;
					}
				}
			for (; rc == 0 && sy < g->SHeight; sy++) {
				int fy = sy - d->Top;

				gif_row(rgb, g->SWidth, idx != NULL && fy >= 0 && fy < vis ?
				    idx + (size_t)fy * (size_t)w : NULL, d->Left, w, cm, transparent);
				dec_sink_push(&k, rgb, 3);
			}
			done = 1;
			/* more frames after this one make it an animation; not read */
			break;
		}
		case TERMINATE_RECORD_TYPE:
			rc = aderr_set(err, AD_EFORMAT, "corrupt GIF: no image in it");
			break;
		default:
			break;
		}
	}
	if (rc == 0 && DGifGetRecordType(g, (GifRecordType *)&type) != GIF_ERROR)
		info->animated = type == IMAGE_DESC_RECORD_TYPE || type == EXTENSION_RECORD_TYPE;
	free(line);
	free(rgb);
	free(idx);
	DGifCloseFile(g, &e);
	return dec_sink_end(&k, rc, out, "GIF", err);
}
