/* png.c — the PNG decoder behind img_decode (libpng): a bomb refused from the IHDR
 * before libpng runs, rows shrunk as they come when not interlaced, Adam7 read whole
 * or, when that does not fit the memory budget, from its first passes only, the eXIf
 * orientation handed on, and libpng's errors turned into aderr codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "decode_int.h"

struct pngsrc {
	const unsigned char *buf;
	size_t len, pos;
	int truncated;
	char msg[256];
};

static void png_read_mem(png_structp png, png_bytep dst, size_t n)
{
	struct pngsrc *src = png_get_io_ptr(png);

	if (n > src->len - src->pos) {
		src->truncated = 1;
		png_error(png, "data ends early");
	}
	memcpy(dst, src->buf + src->pos, n);
	src->pos += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct pngsrc *src = png_get_error_ptr(png);

	snprintf(src->msg, sizeof src->msg, "%s", msg);
	dec_tidy_msg(src->msg);
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

int dec_png(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct pngsrc src = { buf, len, 0, 0, "" };
	png_structp png;
	png_infop pi = NULL;
	struct img *volatile im = NULL;
	struct img *volatile full = NULL;
	struct img_resizer *volatile rs = NULL;
	unsigned char *volatile row = NULL;
	unsigned char *volatile conv = NULL;
	png_uint_32 w, h;
	int depth, ctype, interlace, ch, want = o->color == 2 ? 4 : o->color ? 3 : 1, y, sw, sh, shrink;
	volatile int budget_rc = 0, step = 1;
	double need, rowmem;

	/* the IHDR sits at a fixed place: refuse a bomb before libpng sees it */
	if (len >= 24 && memcmp(buf + 12, "IHDR", 4) == 0 &&
	    dec_over_limit(dec_get32(buf + 16, 1), dec_get32(buf + 20, 1), o->max_pixels))
		return dec_too_big(err, dec_get32(buf + 16, 1), dec_get32(buf + 20, 1), o->max_pixels);
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
	if (png == NULL || (pi = png_create_info_struct(png)) == NULL) {
		png_destroy_read_struct(&png, NULL, NULL);
		return aderr_set(err, AD_ENOMEM, "out of memory decoding PNG");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &pi, NULL);
		img_free(im);
		img_free(full);
		img_resizer_free(rs);
		if (conv != row)
			free(conv);
		free(row);
		if (budget_rc < 0)
			return budget_rc;
		if (src.truncated)
			return aderr_set(err, AD_ETRUNC, "truncated: PNG data ends early");
		if (strstr(src.msg, "memory") != NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory decoding PNG");
		if (strstr(src.msg, "exceeds user limit") != NULL)
			return aderr_set(err, AD_ETOOBIG, "too large: PNG %s", src.msg);
		return aderr_set(err, AD_EFORMAT, "corrupt: PNG data error (%s)", src.msg);
	}
	png_set_read_fn(png, &src, png_read_mem);
	png_read_info(png, pi);
	png_get_IHDR(png, pi, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
	if (dec_over_limit(w, h, o->max_pixels)) {
		png_destroy_read_struct(&png, &pi, NULL);
		return dec_too_big(err, w, h, o->max_pixels);
	}
	info->width = (int)w;
	info->height = (int)h;
#ifdef PNG_eXIf_SUPPORTED
	{
		png_uint_32 nexif = 0;
		png_bytep exif = NULL;

		if (png_get_eXIf_1(png, pi, &nexif, &exif) != 0 && exif != NULL)
			info->orientation = img_exif_orientation(exif, nexif);
	}
#endif
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, pi, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (depth == 16)
		png_set_strip_16(png);
	/* the channels the transforms above give, needed before libpng is told how to
	 * read the passes */
	ch = ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : ctype == PNG_COLOR_TYPE_RGB_ALPHA ? 4 :
	    (ctype == PNG_COLOR_TYPE_GRAY ? 1 : 3) + (png_get_valid(png, pi, PNG_INFO_tRNS) != 0);
	rowmem = 5.0 * w * ch + 400000;        /* libpng's rows, zlib's window and state */
	shrink = img_working_size((int)w, (int)h, o->min_side, &sw, &sh);
	if (interlace != PNG_INTERLACE_NONE) {
		double whole = (double)w * h * (ch + want) + 8.0 * h + rowmem +
		    img_decode_tail(o, (int)w, (int)h, want);

		need = whole;
		/* Adam7 needs the whole image; when that does not fit, its first passes hold
		 * every second, fourth or eighth pixel: the finest grid that fits */
		if (whole > img_decode_room(o) && shrink && w >= 8 && h >= 8)
			for (step = 2; step <= 8; step *= 2) {
				double g = (double)((w + step - 1) / step) * ((h + step - 1) / step) * want +
				    rowmem + (double)sw * sh * want + img_decode_tail(o, sw, sh, want);
				int gs = (int)(((w < h ? w : h) + step - 1) / step);

				if (gs < (sw < sh ? sw : sh))
					break;
				if (g <= img_decode_room(o)) {
					need = g;
					break;
				}
			}
		if (need == whole)
			step = 1;
	} else if (shrink) {
		need = dec_resizer_mem((int)w, (int)h, want, sw, sh) + (double)w * (ch + want) + rowmem +
		    img_decode_tail(o, sw, sh, want);
	} else {
		need = (double)w * h * want + w * ch + rowmem + img_decode_tail(o, (int)w, (int)h, want);
	}
	if ((budget_rc = img_decode_reserve(o, need, err)) < 0)
		png_error(png, "over the memory budget");
	if (step == 1)
		png_set_interlace_handling(png);
	png_read_update_info(png, pi);
	if (png_get_channels(png, pi) != ch || png_get_rowbytes(png, pi) != (size_t)w * (size_t)ch)
		png_error(png, "unexpected row layout");
	if (step > 1) {
		/* passes 1..np of Adam7 (x0, y0, dx, dy): their pixels sit on the step grid */
		static const int pass[7][4] = { { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 },
			{ 2, 0, 4, 4 }, { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 } };
		int np = step == 8 ? 1 : step == 4 ? 3 : 5, gw = (int)((w + step - 1) / step);
		int gh = (int)((h + step - 1) / step);

		full = img_new(gw, gh, want);
		row = malloc((size_t)w * (size_t)ch);
		conv = malloc((size_t)w * (size_t)want);
		if (full == NULL || row == NULL || conv == NULL)
			png_error(png, "out of memory");
		for (int p = 0; p < np; p++) {
			int x0 = pass[p][0], y0 = pass[p][1], dx = pass[p][2], dy = pass[p][3];
			int cols = ((int)w - x0 + dx - 1) / dx, nrows = ((int)h - y0 + dy - 1) / dy;

			if (cols <= 0 || nrows <= 0)
				continue;       /* libpng skips an empty pass */
			for (y = 0; y < nrows; y++) {
				unsigned char *g = full->px + (size_t)((y0 + y * dy) / step) * (size_t)gw *
				    (size_t)want;

				png_read_row(png, row, NULL);
				dec_convert_row(row, ch, conv, want, cols);
				for (int k = 0; k < cols; k++)
					memcpy(g + (size_t)((x0 + k * dx) / step) * (size_t)want,
					    conv + (size_t)k * (size_t)want, (size_t)want);
			}
		}
		/* the passes left are not read, nor the chunks after them */
		im = img_resize(full, sw, sh);
		if (im == NULL)
			png_error(png, "out of memory");
		png_destroy_read_struct(&png, &pi, NULL);
		free(conv);
		free(row);
		img_free(full);
		*out = im;
		return 0;
	} else if (interlace != PNG_INTERLACE_NONE) {
		/* Adam7 fills rows over seven passes: it needs the whole image, and the common
		 * tail of img_decode shrinks it */
		png_bytep *rows;

		im = img_new((int)w, (int)h, want);
		full = im ? img_new((int)w, (int)h, ch) : NULL;
		rows = full ? malloc((size_t)h * sizeof *rows) : NULL;
		if (rows == NULL)
			png_error(png, "out of memory");
		for (y = 0; y < (int)h; y++)
			rows[y] = full->px + (size_t)y * (size_t)w * (size_t)ch;
		row = (unsigned char *)rows;
		png_read_image(png, rows);
		for (y = 0; y < (int)h; y++)
			dec_convert_row(rows[y], ch, im->px + (size_t)y * (size_t)w * (size_t)want, want,
			    (int)w);
	} else if (shrink) {
		/* shrunk row by row as it comes: the full-size image never exists */
		rs = img_resizer_new((int)w, (int)h, want, sw, sh);
		row = malloc((size_t)w * (size_t)ch);
		conv = ch == want ? row : malloc((size_t)w * (size_t)want);
		if (rs == NULL || row == NULL || conv == NULL)
			png_error(png, "out of memory");
		for (y = 0; y < (int)h; y++) {
			png_read_row(png, row, NULL);
			if (conv != row)
				dec_convert_row(row, ch, conv, want, (int)w);
			img_resizer_push(rs, conv);
		}
		im = img_resizer_finish(rs);
		rs = NULL;
		if (im == NULL)
			png_error(png, "out of memory");
	} else {
		im = img_new((int)w, (int)h, want);
		row = malloc((size_t)w * (size_t)ch);
		if (im == NULL || row == NULL)
			png_error(png, "out of memory");
		for (y = 0; y < (int)h; y++) {
			png_read_row(png, row, NULL);
			dec_convert_row(row, ch, im->px + (size_t)y * (size_t)w * (size_t)want, want,
			    (int)w);
		}
	}
	/* the trailing chunks: catches a bad final CRC or a missing IEND */
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &pi, NULL);
	if (conv != row)
		free(conv);
	free(row);
	img_free(full);
	*out = im;
	return 0;
}
