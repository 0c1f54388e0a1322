/* decode.c — format sniffing and the JPEG, PNG, WebP, GIF, TIFF and HEIF/AVIF decoders
 * (see decode.h). */
#include "decode.h"
#include "bmp.h"

#include <ctype.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <gif_lib.h>
#include <pthread.h>
#include <tiffio.h>
#include <libheif/heif.h>

static unsigned get16(const unsigned char *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t get32(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

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

/* An ISO-BMFF ftyp box at the start: its major brand decides when it names a codec,
 * then the compatible brands do (AV1 first: AVIF files also list mif1/miaf). */
static enum img_format sniff_ftyp(const unsigned char *buf, size_t len)
{
	size_t end = (size_t)get32(buf, 1), i;
	int major = heif_brand(buf + 8), any = major >= 0, avif = 0;

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

enum img_format img_sniff(const unsigned char *buf, size_t len)
{
	static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (buf == NULL)
		return IMG_UNKNOWN;
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return IMG_JPEG;
	if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
		return IMG_PNG;
	if (len >= 12 && memcmp(buf, "RIFF", 4) == 0 && memcmp(buf + 8, "WEBP", 4) == 0)
		return IMG_WEBP;
	if (len >= 6 && (memcmp(buf, "GIF87a", 6) == 0 || memcmp(buf, "GIF89a", 6) == 0))
		return IMG_GIF;
	if (len >= 4 && (memcmp(buf, "II*\0", 4) == 0 || memcmp(buf, "MM\0*", 4) == 0))
		return IMG_TIFF;
	if (len >= 14 && buf[0] == 'B' && buf[1] == 'M')
		return IMG_BMP;
	if (len >= 12 && memcmp(buf + 4, "ftyp", 4) == 0)
		return sniff_ftyp(buf, len);
	return IMG_UNKNOWN;
}

const char *img_format_name(enum img_format f)
{
	switch (f) {
	case IMG_JPEG: return "jpeg";
	case IMG_PNG: return "png";
	case IMG_WEBP: return "webp";
	case IMG_GIF: return "gif";
	case IMG_TIFF: return "tiff";
	case IMG_BMP: return "bmp";
	case IMG_HEIF: return "heif";
	case IMG_AVIF: return "avif";
	default: return "unknown";
	}
}

int img_exif_orientation(const unsigned char *t, size_t len)
{
	uint32_t off;
	unsigned n, i, v;
	int be;

	if (t == NULL || len < 8)
		return 1;
	if (t[0] == 'M' && t[1] == 'M')
		be = 1;
	else if (t[0] == 'I' && t[1] == 'I')
		be = 0;
	else
		return 1;
	if (get16(t + 2, be) != 42)
		return 1;
	off = get32(t + 4, be);
	if (off < 8 || off > len - 2)
		return 1;
	n = get16(t + off, be);
	for (i = 0; i < n; i++) {
		size_t e = (size_t)off + 2 + (size_t)i * 12;

		if (e + 12 > len)
			break;
		if (get16(t + e, be) != 0x0112)
			continue;
		/* SHORT, count 1: the value sits in the first two bytes of the value field */
		if (get16(t + e + 2, be) != 3 || get32(t + e + 4, be) < 1)
			return 1;
		v = get16(t + e + 8, be);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

/* Lower-cases the first letter of a library message unless it starts an acronym. */
static void tidy_msg(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static int too_big(aderr *err, unsigned long long w, unsigned long long h,
    unsigned long long max)
{
	return aderr_set(err, AD_ETOOBIG, "too large: %llux%llu pixels is over the %llu limit "
	    "(--max-pixels)", w, h, max);
}

static int over_limit(unsigned long long w, unsigned long long h, unsigned long long max)
{
	return max != 0 && w * h > max;
}

/* Converts one row of ch-channel pixels to gray (want 1), RGB (want 3) or RGBA with the
 * colours as they are (want 4; opaque when the source has no alpha). */
static void convert_row(const unsigned char *s, int ch, unsigned char *d, int want, int w)
{
	int x;

	for (x = 0; x < w; x++, s += ch) {
		unsigned r, g, b;

		if (want == 4) {
			d[0] = s[0];
			d[1] = ch >= 3 ? s[1] : s[0];
			d[2] = ch >= 3 ? s[2] : s[0];
			d[3] = ch == 2 ? s[1] : ch == 4 ? s[3] : 255;
			d += 4;
			continue;
		}
		switch (ch) {
		case 1: r = g = b = s[0]; break;
		case 2: r = g = b = img_over_white(s[0], s[1]); break;
		case 3: r = s[0]; g = s[1]; b = s[2]; break;
		default:
			r = img_over_white(s[0], s[3]);
			g = img_over_white(s[1], s[3]);
			b = img_over_white(s[2], s[3]);
			break;
		}
		if (want == 1) {
			*d++ = ch <= 2 ? (unsigned char)r : img_luma(r, g, b);
		} else {
			*d++ = (unsigned char)r;
			*d++ = (unsigned char)g;
			*d++ = (unsigned char)b;
		}
	}
}

/* A new image with want channels from any image; frees the source. */
static struct img *to_channels(struct img *im, int want)
{
	struct img *o;
	int y;

	if (im->ch == want)
		return im;
	o = img_new(im->w, im->h, want);
	if (o != NULL)
		for (y = 0; y < im->h; y++)
			convert_row(im->px + (size_t)y * (size_t)im->w * (size_t)im->ch, im->ch,
			    o->px + (size_t)y * (size_t)im->w * (size_t)want, want, im->w);
	img_free(im);
	return o;
}

/* ---- JPEG ---- */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int code;
	char msg[JMSG_LENGTH_MAX];
};

static void j_fail(j_common_ptr c, int code)
{
	struct jerr *e = (struct jerr *)c->err;

	e->code = code;
	(*c->err->format_message)(c, e->msg);
	tidy_msg(e->msg);
	longjmp(e->jb, 1);
}

static void j_error_exit(j_common_ptr c)
{
	switch (c->err->msg_code) {
	case JERR_BAD_PRECISION:
	case JERR_SOF_UNSUPPORTED:
	case JERR_NOTIMPL:
	case JERR_ARITH_NOTIMPL:
	case JERR_CONVERSION_NOTIMPL:
		j_fail(c, AD_EUNSUP);
		break;
	case JERR_OUT_OF_MEMORY:
		j_fail(c, AD_ENOMEM);
		break;
	case JERR_INPUT_EMPTY:
	case JERR_INPUT_EOF:
		j_fail(c, AD_ETRUNC);
		break;
	default:
		j_fail(c, AD_EFORMAT);
		break;
	}
}

/* Warnings that mean the picture is damaged end the decode at once; the harmless
 * ones (extraneous bytes before a marker, odd JFIF versions) are ignored. */
static void j_emit_message(j_common_ptr c, int level)
{
	if (level >= 0)
		return;
	switch (c->err->msg_code) {
	case JWRN_JPEG_EOF:
		j_fail(c, AD_ETRUNC);
		break;
	case JWRN_HIT_MARKER:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
	case JWRN_MUST_RESYNC:
	case JWRN_NOT_SEQUENTIAL:
		j_fail(c, AD_EFORMAT);
		break;
	default:
		c->err->num_warnings++;
		break;
	}
}

/* A progressive file can hold any number of scans; past this many it is hostile. */
#define JPEG_MAX_SCANS 1000

static void j_progress(j_common_ptr c)
{
	if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS) {
		struct jerr *e = (struct jerr *)c->err;

		e->code = AD_EFORMAT;
		snprintf(e->msg, sizeof e->msg, "more than %d scans", JPEG_MAX_SCANS);
		longjmp(e->jb, 2);
	}
}

static int jpeg_orientation(j_decompress_ptr c)
{
	jpeg_saved_marker_ptr m;

	for (m = c->marker_list; m != NULL; m = m->next)
		if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 &&
		    memcmp(m->data, "Exif\0\0", 6) == 0)
			return img_exif_orientation(m->data + 6, m->data_length - 6);
	return 1;
}

static int decode_jpeg(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct jpeg_decompress_struct c;
	struct jpeg_progress_mgr prog;
	struct jerr je;
	struct img *volatile im = NULL;
	int want = o->color ? 3 : 1, ch, n, s, rc;

	memset(&c, 0, sizeof c);
	c.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = j_error_exit;
	je.pub.emit_message = j_emit_message;
	je.code = 0;
	je.msg[0] = '\0';
	if (setjmp(je.jb)) {
		img_free(im);
		jpeg_destroy_decompress(&c);
		switch (je.code) {
		case AD_ETRUNC:
			return aderr_set(err, AD_ETRUNC, "truncated: JPEG data ends early");
		case AD_EUNSUP:
			return aderr_set(err, AD_EUNSUP, "unsupported: JPEG %s", je.msg);
		case AD_ENOMEM:
			return aderr_set(err, AD_ENOMEM, "out of memory decoding JPEG");
		default:
			return aderr_set(err, AD_EFORMAT, "corrupt: JPEG data error (%s)", je.msg);
		}
	}
	jpeg_create_decompress(&c);
	prog.progress_monitor = j_progress;
	c.progress = &prog;
	jpeg_mem_src(&c, buf, (unsigned long)len);
	jpeg_save_markers(&c, JPEG_APP0 + 1, 0xffff);
	if (jpeg_read_header(&c, TRUE) != JPEG_HEADER_OK) {
		jpeg_destroy_decompress(&c);
		return aderr_set(err, AD_EFORMAT, "corrupt: JPEG has tables but no image");
	}
	if (c.data_precision != 8) {
		jpeg_destroy_decompress(&c);
		return aderr_set(err, AD_EUNSUP, "unsupported: %d-bit JPEG", c.data_precision);
	}
	if (over_limit(c.image_width, c.image_height, o->max_pixels)) {
		rc = too_big(err, c.image_width, c.image_height, o->max_pixels);
		jpeg_destroy_decompress(&c);
		return rc;
	}
	info->orientation = jpeg_orientation(&c);
	info->width = (int)c.image_width;
	info->height = (int)c.image_height;
	s = info->width < info->height ? info->width : info->height;
	for (n = 1; n < 8 && o->min_side > 0; n++)
		if ((s * n + 7) / 8 >= o->min_side)
			break;
	if (o->min_side <= 0)
		n = 8;
	c.scale_num = (unsigned)n;
	c.scale_denom = 8;
	c.dct_method = JDCT_ISLOW;
	switch (c.jpeg_color_space) {
	case JCS_GRAYSCALE:
	case JCS_YCbCr:
		c.out_color_space = want == 1 ? JCS_GRAYSCALE : JCS_RGB;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		c.out_color_space = JCS_CMYK;
		break;
	default:
		c.out_color_space = JCS_RGB;
		break;
	}
	jpeg_start_decompress(&c);
	ch = (int)c.output_components;
	if (ch != 1 && ch != 3 && ch != 4)
		j_fail((j_common_ptr)&c, AD_EUNSUP);
	im = img_new((int)c.output_width, (int)c.output_height, ch);
	if (im == NULL)
		j_fail((j_common_ptr)&c, AD_ENOMEM);
	while (c.output_scanline < c.output_height) {
		JSAMPROW row = im->px + (size_t)c.output_scanline * (size_t)im->w * (size_t)ch;

		jpeg_read_scanlines(&c, &row, 1);
	}
	if (c.out_color_space == JCS_CMYK) {
		/* Adobe writes CMYK inverted (0 = full ink); plain CMYK is not */
		size_t i, np = (size_t)im->w * (size_t)im->h;
		unsigned char *p = im->px;
		int inv = c.saw_Adobe_marker;

		for (i = 0; i < np; i++, p += 4) {
			unsigned cc = inv ? p[0] : 255u - p[0], m = inv ? p[1] : 255u - p[1];
			unsigned y = inv ? p[2] : 255u - p[2], k = inv ? p[3] : 255u - p[3];

			p[0] = (unsigned char)((cc * k + 127) / 255);
			p[1] = (unsigned char)((m * k + 127) / 255);
			p[2] = (unsigned char)((y * k + 127) / 255);
			p[3] = 255;
		}
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	*out = im;
	return 0;
}

/* ---- PNG ---- */

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
	tidy_msg(src->msg);
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int decode_png(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
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
	int depth, ctype, interlace, ch, want = o->color == 2 ? 4 : o->color ? 3 : 1, y, sw, sh;

	/* the IHDR sits at a fixed place: refuse a bomb before libpng sees it */
	if (len >= 24 && memcmp(buf + 12, "IHDR", 4) == 0 &&
	    over_limit(get32(buf + 16, 1), get32(buf + 20, 1), o->max_pixels))
		return too_big(err, get32(buf + 16, 1), get32(buf + 20, 1), o->max_pixels);
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
	if (over_limit(w, h, o->max_pixels)) {
		png_destroy_read_struct(&png, &pi, NULL);
		return too_big(err, w, h, o->max_pixels);
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
	png_set_interlace_handling(png);
	png_read_update_info(png, pi);
	ch = png_get_channels(png, pi);
	if (ch < 1 || ch > 4 || png_get_rowbytes(png, pi) != (size_t)w * (size_t)ch)
		png_error(png, "unexpected row layout");
	if (interlace != PNG_INTERLACE_NONE) {
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
			convert_row(rows[y], ch, im->px + (size_t)y * (size_t)w * (size_t)want, want,
			    (int)w);
	} else if (img_working_size((int)w, (int)h, o->min_side, &sw, &sh)) {
		/* shrunk row by row as it comes: the full-size image never exists */
		rs = img_resizer_new((int)w, (int)h, want, sw, sh);
		row = malloc((size_t)w * (size_t)ch);
		conv = ch == want ? row : malloc((size_t)w * (size_t)want);
		if (rs == NULL || row == NULL || conv == NULL)
			png_error(png, "out of memory");
		for (y = 0; y < (int)h; y++) {
			png_read_row(png, row, NULL);
			if (conv != row)
				convert_row(row, ch, conv, want, (int)w);
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
			convert_row(row, ch, im->px + (size_t)y * (size_t)w * (size_t)want, want,
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

/* ---- WebP ---- */

static int webp_status(aderr *err, VP8StatusCode st, const char *what)
{
	switch (st) {
	case VP8_STATUS_NOT_ENOUGH_DATA:
		return aderr_set(err, AD_ETRUNC, "truncated: WebP data ends early");
	case VP8_STATUS_OUT_OF_MEMORY:
		return aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
	case VP8_STATUS_UNSUPPORTED_FEATURE:
		return aderr_set(err, AD_EUNSUP, "unsupported: WebP feature in %s", what);
	default:
		return aderr_set(err, AD_EFORMAT, "corrupt: WebP data error in %s (status %d)",
		    what, (int)st);
	}
}

static int decode_webp_anim(const unsigned char *buf, size_t len, struct img **out,
    aderr *err)
{
	WebPData data = { buf, len };
	WebPAnimDecoderOptions ao;
	WebPAnimDecoder *dec;
	WebPAnimInfo ai;
	uint8_t *frame;
	int ts;
	struct img *im;

	if (!WebPAnimDecoderOptionsInit(&ao))
		return aderr_set(err, AD_EINTERNAL, "libwebp version mismatch");
	ao.color_mode = MODE_RGBA;
	ao.use_threads = 0;
	dec = WebPAnimDecoderNew(&data, &ao);
	if (dec == NULL) {
		WebPDemuxState state;
		WebPDemuxer *dmx = WebPDemuxPartial(&data, &state);

		WebPDemuxDelete(dmx);
		if (state == WEBP_DEMUX_PARSING_HEADER || state == WEBP_DEMUX_PARSED_HEADER)
			return aderr_set(err, AD_ETRUNC, "truncated: WebP animation ends early");
		return aderr_set(err, AD_EFORMAT, "corrupt: cannot read WebP animation");
	}
	if (!WebPAnimDecoderGetInfo(dec, &ai) || ai.canvas_width < 1 || ai.canvas_height < 1 ||
	    !WebPAnimDecoderGetNext(dec, &frame, &ts)) {
		WebPAnimDecoderDelete(dec);
		return aderr_set(err, AD_EFORMAT, "corrupt: cannot decode the first WebP frame");
	}
	im = img_new((int)ai.canvas_width, (int)ai.canvas_height, 4);
	if (im == NULL) {
		WebPAnimDecoderDelete(dec);
		return aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
	}
	memcpy(im->px, frame, (size_t)im->w * (size_t)im->h * 4);
	WebPAnimDecoderDelete(dec);
	*out = im;
	return 0;
}

static int decode_webp(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	WebPDecoderConfig cfg;
	VP8StatusCode st;
	struct img *im;
	int sw, sh, ch;

	if (!WebPInitDecoderConfig(&cfg))
		return aderr_set(err, AD_EINTERNAL, "libwebp version mismatch");
	st = WebPGetFeatures(buf, len, &cfg.input);
	if (st != VP8_STATUS_OK)
		return webp_status(err, st, "header");
	if (cfg.input.width < 1 || cfg.input.height < 1)
		return aderr_set(err, AD_EFORMAT, "corrupt: WebP image has no pixels");
	if (over_limit((unsigned)cfg.input.width, (unsigned)cfg.input.height, o->max_pixels))
		return too_big(err, (unsigned)cfg.input.width, (unsigned)cfg.input.height,
		    o->max_pixels);
	info->width = cfg.input.width;
	info->height = cfg.input.height;
	if (cfg.input.has_animation) {
		info->animated = 1;
		return decode_webp_anim(buf, len, out, err);
	}
	img_scaled_size(cfg.input.width, cfg.input.height, o->min_side, &sw, &sh);
	if (sw != cfg.input.width || sh != cfg.input.height) {
		cfg.options.use_scaling = 1;
		cfg.options.scaled_width = sw;
		cfg.options.scaled_height = sh;
	}
	ch = cfg.input.has_alpha ? 4 : 3;
	im = img_new(sw, sh, ch);
	if (im == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
	cfg.output.colorspace = ch == 4 ? MODE_RGBA : MODE_RGB;
	cfg.output.is_external_memory = 1;
	cfg.output.u.RGBA.rgba = im->px;
	cfg.output.u.RGBA.stride = sw * ch;
	cfg.output.u.RGBA.size = (size_t)sw * (size_t)sh * (size_t)ch;
	st = WebPDecode(buf, len, &cfg);
	WebPFreeDecBuffer(&cfg.output);
	if (st != VP8_STATUS_OK) {
		img_free(im);
		return webp_status(err, st, "image data");
	}
	*out = im;
	return 0;
}

/* ---- GIF (giflib): the first frame ---- */

struct memsrc {
	const unsigned char *p;
	size_t len, pos;
};

static int gif_read(GifFileType *g, GifByteType *to, int n)
{
	struct memsrc *m = g->UserData;
	size_t k = n < 0 ? 0 : (size_t)n;

	if (k > m->len - m->pos)
		k = m->len - m->pos;
	memcpy(to, m->p + m->pos, k);
	m->pos += k;
	return (int)k;
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

static int decode_gif(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct memsrc m = { buf, len, 0 };
	GifFileType *g;
	struct img *im = NULL;
	GifByteType *line = NULL, *ext;
	int e = 0, rc = 0, type, transparent = -1, done = 0, code;

	g = DGifOpen(&m, gif_read, &e);
	if (g == NULL)
		return gif_fail(err, e);
	if (g->SWidth < 1 || g->SHeight < 1) {
		DGifCloseFile(g, &e);
		return aderr_set(err, AD_EFORMAT, "corrupt GIF: no pixels");
	}
	if (over_limit((unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels)) {
		rc = too_big(err, (unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels);
		DGifCloseFile(g, &e);
		return rc;
	}
	info->width = g->SWidth;
	info->height = g->SHeight;
	im = img_new(g->SWidth, g->SHeight, 3);
	line = malloc((size_t)g->SWidth + 1);
	if (im == NULL || line == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding GIF");
		goto out;
	}
	memset(im->px, 255, (size_t)im->w * (size_t)im->h * 3);     /* white canvas */
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
			int passes, w, h;

			if (DGifGetImageDesc(g) == GIF_ERROR) {
				rc = gif_fail(err, g->Error);
				break;
			}
			d = &g->Image;
			cm = d->ColorMap ? d->ColorMap : g->SColorMap;
			w = d->Width;
			h = d->Height;
			if (cm == NULL || w < 1 || h < 1 || w > g->SWidth + 65536) {
				rc = aderr_set(err, AD_EFORMAT, "corrupt GIF: %s",
				    cm == NULL ? "no colour table" : "bad frame size");
				break;
			}
			if (w > g->SWidth) {
				GifByteType *nl = realloc(line, (size_t)w + 1);

				if (nl == NULL) {
					rc = aderr_set(err, AD_ENOMEM, "out of memory decoding GIF");
					break;
				}
				line = nl;
			}
			passes = d->Interlace ? 4 : 1;
			for (int p = 0; p < passes && rc == 0; p++)
				for (int y = d->Interlace ? start[p] : 0; y < h && rc == 0;
				    y += d->Interlace ? step[p] : 1) {
					int row = d->Top + y;

					if (DGifGetLine(g, line, w) == GIF_ERROR) {
						rc = gif_fail(err, g->Error);
						break;
					}
					if (row < 0 || row >= im->h)
						continue;        /* off the screen: clipped */
					for (int x = 0; x < w; x++) {
						int col = d->Left + x, c = line[x];
						unsigned char *px;

						if (col < 0 || col >= im->w || c == transparent || c >= cm->ColorCount)
							continue;
						px = im->px + ((size_t)row * (size_t)im->w + (size_t)col) * 3;
						px[0] = cm->Colors[c].Red;
						px[1] = cm->Colors[c].Green;
						px[2] = cm->Colors[c].Blue;
					}
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
out:
	free(line);
	DGifCloseFile(g, &e);
	if (rc < 0) {
		img_free(im);
		return rc;
	}
	*out = im;
	return 0;
}

/* ---- TIFF (libtiff): the first directory, through its RGBA reader ---- */

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
	struct memsrc *m = h;
	size_t k = n < 0 ? 0 : (size_t)n;

	if (m->pos > m->len)
		return 0;
	if (k > m->len - m->pos)
		k = m->len - m->pos;
	memcpy(to, m->p + m->pos, k);
	m->pos += k;
	return (tmsize_t)k;
}

static tmsize_t t_write(thandle_t h, void *from, tmsize_t n)
{
	(void)h, (void)from, (void)n;
	return -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
	struct memsrc *m = h;
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
	return (toff_t)((struct memsrc *)h)->len;
}

static int decode_tiff(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct memsrc m = { buf, len, 0 };
	TIFF *t;
	uint32_t w = 0, h = 0, *raster = NULL;
	struct img *im = NULL;
	int rc = 0;

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
	if (over_limit(w, h, o->max_pixels)) {
		rc = too_big(err, w, h, o->max_pixels);
		goto out;
	}
	info->width = (int)w;
	info->height = (int)h;
	raster = malloc((size_t)w * (size_t)h * sizeof *raster);
	im = img_new((int)w, (int)h, 4);
	if (raster == NULL || im == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding TIFF");
		goto out;
	}
	if (!TIFFReadRGBAImageOriented(t, w, h, raster, ORIENTATION_TOPLEFT, 0)) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt TIFF: %s",
		    tiff_msg[0] ? tiff_msg : "cannot read the image data");
		goto out;
	}
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		im->px[4 * i] = (unsigned char)TIFFGetR(raster[i]);
		im->px[4 * i + 1] = (unsigned char)TIFFGetG(raster[i]);
		im->px[4 * i + 2] = (unsigned char)TIFFGetB(raster[i]);
		im->px[4 * i + 3] = (unsigned char)TIFFGetA(raster[i]);
	}
out:
	free(raster);
	TIFFClose(t);
	if (rc < 0) {
		img_free(im);
		return rc;
	}
	*out = im;
	return 0;
}

/* ---- HEIF and AVIF (libheif): the primary image ---- */

/* libheif's own default limit on each side; ours only ever lowers it */
#define HEIF_MAX_SIDE 32768

static pthread_once_t heif_once = PTHREAD_ONCE_INIT;
static int heif_have_aom;

/* dav1d, libheif's first choice for AV1, logs stream errors to stderr and libheif 1.15
 * gives it no logger: libaom's decoder is used where it is there, as it never prints. */
static void heif_start(void)
{
	const struct heif_decoder_descriptor *d[16];
	int i, n;

	heif_init(NULL);        /* registers the built-in codecs; held for the process */
	n = heif_get_decoder_descriptors(heif_compression_AV1, d, 16);
	for (i = 0; i < n; i++)
		if (strcmp(heif_decoder_descriptor_get_id_name(d[i]), "aom") == 0)
			heif_have_aom = 1;
}

/* Whether the top-level boxes claim more bytes than there are: libheif 1.15 reports
 * a box cut short as missing ("No 'meta' box"), not as the end of the data. */
static int heif_cut(const unsigned char *buf, size_t len)
{
	size_t pos = 0;

	while (len - pos >= 8) {
		uint64_t n = get32(buf + pos, 1);

		if (n == 0)
			return 0;       /* runs to the end of the file */
		if (n == 1) {
			if (len - pos < 16)
				return 1;
			n = (uint64_t)get32(buf + pos + 8, 1) << 32 | get32(buf + pos + 12, 1);
		}
		if (n < 8)
			return 0;       /* nonsense, not a cut */
		if (n > len - pos)
			return 1;
		pos += (size_t)n;
	}
	return pos != len;
}

/* The box of that type among those in [p, end), or NULL; *n gets its size. */
static const unsigned char *bmff_find(const unsigned char *p, const unsigned char *end,
    const char *type, size_t *n)
{
	while (end - p >= 8) {
		size_t sz = get32(p, 1), hdr = 8;

		if (sz == 1) {
			if (end - p < 16 || get32(p + 8, 1) != 0)
				return NULL;
			sz = get32(p + 12, 1);
			hdr = 16;
		} else if (sz == 0) {
			sz = (size_t)(end - p);
		}
		if (sz < hdr || sz > (size_t)(end - p))
			return NULL;
		if (memcmp(p + 4, type, 4) == 0) {
			*n = sz;
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
static int heif_refs_ok(const unsigned char *buf, size_t len)
{
	const unsigned char *end = buf + len, *meta, *iref, *p, *ie;
	uint32_t (*e)[2] = NULL, *cur = NULL, *next = NULL;
	size_t n, mn, ne = 0, ncur = 0, i, k;
	int wide, depth, rc = 0;

	meta = bmff_find(buf, end, "meta", &mn);
	if (meta == NULL || mn < 12)
		return 0;               /* libheif will say what is missing */
	iref = bmff_find(meta + 12, meta + mn, "iref", &n);
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
	for (; iref != NULL; iref = bmff_find(iref + n, meta + mn, "iref", &n)) {
		wide = n >= 12 && iref[8] != 0;
		ie = iref + n;
		for (int seq = 0; seq < 2; seq++)
			for (p = iref + 12; ie - p >= 8; ) {
				size_t sz = get32(p, 1), w = wide ? 4 : 2, cnt, need;
				int dimg = memcmp(p + 4, "dimg", 4) == 0, auxl = memcmp(p + 4, "auxl", 4) == 0;
				uint32_t from;

				if ((size_t)(ie - p) < 8 + w + 2)
					break;
				from = wide ? get32(p + 8, 1) : get16(p + 8, 1);
				cnt = get16(p + 8 + w, 1);
				need = 8 + w + 2 + cnt * w;
				if (seq == 0 && (sz < 8 || sz > (size_t)(ie - p)))
					break;
				for (i = 0; (dimg || auxl) && i < cnt && 8 + w + 2 + (i + 1) * w <=
				    (seq ? (size_t)(ie - p) : sz); i++) {
					const unsigned char *q = p + 8 + w + 2 + i * w;
					uint32_t to = wide ? get32(q, 1) : get16(q, 1);

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

#define HEIF_MAX_GRIDS 64

/* libheif 1.15 sizes a grid image by its descriptor (in idat or mdat), not by the ispe
 * property the handle reports, so a grid can claim 25000x30000 pixels behind a 78x43
 * handle and have libheif allocate gigabytes.  The descriptor of every grid item is read
 * here first: 0 when all are within max_pixels (or cannot be read: libheif then reports
 * the damage), -1 with *w, *h set when one is not. */
static int heif_grids_ok(const unsigned char *buf, size_t len, unsigned long long max_pixels,
    uint64_t *gw, uint64_t *gh)
{
	const unsigned char *end = buf + len, *meta, *body, *mend, *box, *p, *bend, *idat;
	uint32_t grid[HEIF_MAX_GRIDS];
	size_t n, mn, idn = 0;
	int ng = 0, ver;
	uint64_t cnt;

	if (max_pixels == 0 || (meta = bmff_find(buf, end, "meta", &mn)) == NULL || mn < 12)
		return 0;
	body = meta + 12;
	mend = meta + mn;
	/* iinf: the ids of the grid items */
	if ((box = bmff_find(body, mend, "iinf", &n)) == NULL || n < 14)
		return 0;
	ver = box[8];
	p = box + 12;
	bend = box + n;
	if (bmff_uint(&p, bend, ver == 0 ? 2 : 4, &cnt) < 0)
		return 0;
	while (bend - p >= 12 && ng < HEIF_MAX_GRIDS) {
		size_t sz = get32(p, 1);
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
	idat = bmff_find(body, mend, "idat", &idn);
	/* iloc: where each grid's descriptor is */
	if ((box = bmff_find(body, mend, "iloc", &n)) == NULL || n < 16)
		return 0;
	ver = box[8];
	p = box + 12;
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
				d = idat + 8;
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

static int heif_fail(aderr *err, struct heif_error he, const char *fmt, int cut)
{
	const char *why = he.message != NULL && he.message[0] ? he.message : "unknown error";
	char msg[256];

	snprintf(msg, sizeof msg, "%s", why);
	tidy_msg(msg);
	if ((he.code == heif_error_Invalid_input && he.subcode == heif_suberror_End_of_data) ||
	    (cut && (he.code == heif_error_Invalid_input || he.code == heif_error_Usage_error ||
	    he.code == heif_error_Decoder_plugin_error)))
		return aderr_set(err, AD_ETRUNC, "truncated: %s data ends early", fmt);
	switch (he.code) {
	case heif_error_Unsupported_feature:
		if (he.subcode == heif_suberror_Unsupported_codec)
			return aderr_set(err, AD_EUNSUP, "unsupported: %s coded with a codec this "
			    "libheif cannot decode (%s)", fmt, msg);
		return aderr_set(err, AD_EUNSUP, "unsupported: %s (%s)", fmt, msg);
	case heif_error_Unsupported_filetype:
	case heif_error_Plugin_loading_error:
		return aderr_set(err, AD_EUNSUP, "unsupported: %s (%s)", fmt, msg);
	case heif_error_Memory_allocation_error:
		if (he.subcode == heif_suberror_Security_limit_exceeded)
			return aderr_set(err, AD_ETOOBIG, "too large: %s over libheif's limits (%s)",
			    fmt, msg);
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	default:
		/* the codec refused the stream, or an item refers to one not there */
		return aderr_set(err, AD_EFORMAT, "corrupt: %s data error (%s)", fmt, msg);
	}
}

static int decode_heif(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	const char *fmt = info->format == IMG_AVIF ? "AVIF" : "HEIF";
	struct heif_context *ctx;
	struct heif_image_handle *h = NULL;
	struct heif_decoding_options *dopt = NULL;
	struct heif_image *hi = NULL;
	struct heif_error he;
	const uint8_t *plane;
	struct img *im = NULL;
	int rc = 0, w, hh, iw, ih, alpha, ch, stride, y;

	pthread_once(&heif_once, heif_start);
	{
		uint64_t gw = 0, gh = 0;

		if (heif_grids_ok(buf, len, o->max_pixels, &gw, &gh) < 0)
			return aderr_set(err, AD_ETOOBIG, "too large: %llux%llu pixels is over the %llu "
			    "limit (--max-pixels)", (unsigned long long)gw, (unsigned long long)gh,
			    o->max_pixels);
	}
	switch (heif_refs_ok(buf, len)) {
	case -1:
		return aderr_set(err, AD_EFORMAT, "corrupt: %s items refer to each other in a loop",
		    fmt);
	case -2:
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	}
	if (info->format == IMG_AVIF && !heif_have_decoder_for_format(heif_compression_AV1))
		return aderr_set(err, AD_EUNSUP, "unsupported: AVIF (libheif has no AV1 decoder)");
	ctx = heif_context_alloc();
	if (ctx == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	/* a side longer than max_pixels is over it whatever the other side is */
	if (o->max_pixels > 0 && o->max_pixels < HEIF_MAX_SIDE)
		heif_context_set_maximum_image_size_limit(ctx, (int)o->max_pixels);
	/* tiles in this thread: featx already decodes several images at once */
	heif_context_set_max_decoding_threads(ctx, 0);
	he = heif_context_read_from_memory_without_copy(ctx, buf, len, NULL);
	if (he.code == heif_error_Ok)
		he = heif_context_get_primary_image_handle(ctx, &h);
	if (he.code != heif_error_Ok) {
		rc = heif_fail(err, he, fmt, heif_cut(buf, len));
		goto out;
	}
	/* the size after libheif's transforms (clap, irot, imir): the upright picture */
	w = heif_image_handle_get_width(h);
	hh = heif_image_handle_get_height(h);
	iw = heif_image_handle_get_ispe_width(h);
	ih = heif_image_handle_get_ispe_height(h);
	if (w < 1 || hh < 1) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt: %s image has no pixels", fmt);
		goto out;
	}
	if (over_limit((unsigned)w, (unsigned)hh, o->max_pixels)) {
		rc = too_big(err, (unsigned)w, (unsigned)hh, o->max_pixels);
		goto out;
	}
	/* a crop box can hide a huge coded picture behind a small one */
	if (iw > 0 && ih > 0 && over_limit((unsigned)iw, (unsigned)ih, o->max_pixels)) {
		rc = too_big(err, (unsigned)iw, (unsigned)ih, o->max_pixels);
		goto out;
	}
	info->width = w;
	info->height = hh;
	/* always RGB: libheif 1.15 cannot convert YCbCr without an nclx box to gray, and
	 * img_decode makes gray of it as it does for every other format */
	alpha = heif_image_handle_has_alpha_channel(h);
	ch = alpha ? 4 : 3;
	dopt = heif_decoding_options_alloc();
	if (dopt == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
		goto out;
	}
	dopt->ignore_transformations = 0;
	if (dopt->version >= 2)
		dopt->convert_hdr_to_8bit = 1;
	if (dopt->version >= 4 && info->format == IMG_AVIF && heif_have_aom)
		dopt->decoder_id = "aom";
	he = heif_decode_image(h, &hi, heif_colorspace_RGB, alpha ? heif_chroma_interleaved_RGBA :
	    heif_chroma_interleaved_RGB, dopt);
	if (he.code != heif_error_Ok) {
		rc = heif_fail(err, he, fmt, heif_cut(buf, len));
		goto out;
	}
	plane = heif_image_get_plane_readonly(hi, heif_channel_interleaved, &stride);
	if (plane == NULL || heif_image_get_primary_width(hi) != w ||
	    heif_image_get_primary_height(hi) != hh ||
	    heif_image_get_bits_per_pixel(hi, heif_channel_interleaved) != 8 * ch ||
	    stride < w * ch) {
		rc = aderr_set(err, AD_EUNSUP, "unsupported: %s decodes to an unexpected layout", fmt);
		goto out;
	}
	im = img_new(w, hh, ch);
	if (im == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
		goto out;
	}
	for (y = 0; y < hh; y++)
		memcpy(im->px + (size_t)y * (size_t)w * (size_t)ch, plane + (size_t)y * (size_t)stride,
		    (size_t)w * (size_t)ch);
out:
	heif_image_release(hi);
	heif_decoding_options_free(dopt);
	heif_image_handle_release(h);
	heif_context_free(ctx);
	if (rc < 0) {
		img_free(im);
		return rc;
	}
	*out = im;
	return 0;
}

int img_decode(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct img_decode_opts dflt = { 0, 0, 0 };
	struct img *im = NULL, *t;
	int rc, sw, sh, want;

	*out = NULL;
	if (o == NULL)
		o = &dflt;
	want = o->color ? 3 : 1;
	memset(info, 0, sizeof *info);
	info->orientation = 1;
	if (buf == NULL || len == 0)
		return aderr_set(err, AD_EEMPTY, "empty file");
	info->format = img_sniff(buf, len);
	switch (info->format) {
	case IMG_JPEG: rc = decode_jpeg(buf, len, o, &im, info, err); break;
	case IMG_PNG: rc = decode_png(buf, len, o, &im, info, err); break;
	case IMG_WEBP: rc = decode_webp(buf, len, o, &im, info, err); break;
	case IMG_GIF: rc = decode_gif(buf, len, o, &im, info, err); break;
	case IMG_TIFF: rc = decode_tiff(buf, len, o, &im, info, err); break;
	case IMG_HEIF:
	case IMG_AVIF: rc = decode_heif(buf, len, o, &im, info, err); break;
	case IMG_BMP: rc = bmp_decode(buf, len, o, &im, info, err); break;
	default: return aderr_set(err, AD_ENOTIMG, "not an image: unrecognised format");
	}
	if (rc < 0)
		return rc;
	if (o->color == 2)
		want = im->ch == 2 || im->ch == 4 ? 4 : 3;
	if ((im = to_channels(im, want)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	/* PNG and BMP may have shrunk while decoding: then this finds nothing to do */
	if (img_working_size(im->w, im->h, o->min_side, &sw, &sh)) {
		t = img_resize(im, sw, sh);
		img_free(im);
		if ((im = t) == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	if (info->orientation > 1) {
		t = img_orient(im, info->orientation);
		img_free(im);
		if ((im = t) == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		if (info->orientation >= 5) {
			int tmp = info->width;

			info->width = info->height;
			info->height = tmp;
		}
	}
	*out = im;
	return 0;
}
