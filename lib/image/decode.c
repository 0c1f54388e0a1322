/* decode.c — format sniffing and the JPEG, PNG, WebP, GIF, TIFF and HEIF/AVIF decoders
 * (see decode.h). */
#include "decode.h"
#include "bmp.h"

#include <ctype.h>
#include <limits.h>
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

/* ---- memory (decode.h) ---- */

/* the hold of the img_decode_held call running on this thread (the decoders' options
 * stay the plain struct every caller fills) */
static __thread struct mb_hold *cur_hold;

int img_decode_reserve(const struct img_decode_opts *o, double n, aderr *err)
{
	double all;

	(void)o;
	if (cur_hold == NULL)
		return 0;
	all = (double)cur_hold->base + n;
	return membudget_hold(cur_hold, all >= (double)SIZE_MAX ? SIZE_MAX : (size_t)all, err);
}

double img_decode_room(const struct img_decode_opts *o)
{
	size_t total;

	(void)o;
	if (cur_hold == NULL || cur_hold->b == NULL)
		return 1e300;
	total = membudget_total(cur_hold->b);
	return total > cur_hold->base ? (double)(total - cur_hold->base) : 0;
}

double img_decode_tail(const struct img_decode_opts *o, int w, int h, int ch)
{
	/* as img_decode converts at the end: RGBA output keeps what has alpha, else RGB */
	double want = o->color == 2 ? (ch == 2 || ch == 4 ? 4 : 3) : o->color ? 3 : 1,
	    n = (double)w * h;
	int sw = w, sh = h;

	img_working_size(w, h, o->min_side, &sw, &sh);
	return (ch != want ? n * want : 0) + 2.0 * sw * sh * want + 65536;
}

/* An img_resizer from sw x sh to w x h pixels of ch channels: its result, eight source
 * rows, the filter rows and taps (image.c). */
static double resizer_mem(int sw, int sh, int ch, int w, int h)
{
	return (double)w * h * ch + 8.0 * sw * ch + 12.0 * w * ch * sizeof(float) +
	    16.0 * ((double)sw + sh + w + h);
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

/* Where a decoder that makes its rows top to bottom puts them: shrunk as they come to
 * the working size when img_decode would shrink the image (the same bytes as the full
 * image through to_channels and img_resize), else kept whole; in o->color's channels. */
struct rowsink {
	struct img_resizer *rs;
	struct img *im;
	unsigned char *conv;
	int w, h, y, want;
};

static double sink_mem(const struct img_decode_opts *o, int w, int h)
{
	int want = o->color ? 3 : 1, sw, sh;

	if (img_working_size(w, h, o->min_side, &sw, &sh))
		return resizer_mem(w, h, want, sw, sh) + (double)w * want;
	return (double)w * h * want;
}

static int sink_open(struct rowsink *k, const struct img_decode_opts *o, int w, int h)
{
	int sw, sh;

	memset(k, 0, sizeof *k);
	k->w = w;
	k->h = h;
	k->want = o->color ? 3 : 1;
	if (img_working_size(w, h, o->min_side, &sw, &sh)) {
		k->rs = img_resizer_new(w, h, k->want, sw, sh);
		k->conv = malloc((size_t)w * (size_t)k->want);
		return k->rs != NULL && k->conv != NULL ? 0 : -1;
	}
	k->im = img_new(w, h, k->want);
	return k->im != NULL ? 0 : -1;
}

/* The next row, w pixels of ch channels. */
static void sink_push(struct rowsink *k, const unsigned char *row, int ch)
{
	if (k->y >= k->h)
		return;
	if (k->rs != NULL) {
		convert_row(row, ch, k->conv, k->want, k->w);
		img_resizer_push(k->rs, k->conv);
	} else {
		convert_row(row, ch, k->im->px + (size_t)k->y * (size_t)k->w * (size_t)k->want,
		    k->want, k->w);
	}
	k->y++;
}

/* The image once every row is in; NULL when out of memory.  Frees the sink. */
static struct img *sink_finish(struct rowsink *k)
{
	struct img *im = k->im;

	if (k->rs != NULL)
		im = img_resizer_finish(k->rs);
	free(k->conv);
	memset(k, 0, sizeof *k);
	return im;
}

static void sink_free(struct rowsink *k)
{
	img_resizer_free(k->rs);
	img_free(k->im);
	free(k->conv);
	memset(k, 0, sizeof *k);
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
	case JERR_NO_BACKING_STORE:
		j_fail(c, AD_ETOOBIG);   /* over mem->max_memory_to_use: the budget */
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
		case AD_ETOOBIG:
			return aderr_set(err, AD_ETOOBIG, "too large: JPEG needs more memory than "
			    "the budget allows (--max-memory)");
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
	/* a progressive or multi-scan file keeps every coefficient of the image until the
	 * last scan: two bytes a sample at full size, whatever the scaling */
	jpeg_calc_output_dimensions(&c);
	{
		double need = 65536 + 48.0 * c.image_width * c.num_components, coef = 0, room;
		int i;

		if (jpeg_has_multiple_scans(&c))
			for (i = 0; i < c.num_components; i++) {
				jpeg_component_info *ci = &c.comp_info[i];
				double bw = ((ci->width_in_blocks + ci->h_samp_factor - 1) /
				    ci->h_samp_factor) * ci->h_samp_factor;
				double bh = ((ci->height_in_blocks + ci->v_samp_factor - 1) /
				    ci->v_samp_factor) * ci->v_samp_factor;

				coef += bw * bh * DCTSIZE2 * sizeof(JCOEF);
			}
		need += coef + (double)c.output_width * c.output_height * c.out_color_components +
		    img_decode_tail(o, (int)c.output_width, (int)c.output_height,
		    c.out_color_components);
		if ((rc = img_decode_reserve(o, need, err)) < 0) {
			jpeg_destroy_decompress(&c);
			return rc;
		}
		/* and libjpeg itself stops at what the budget has room for */
		room = img_decode_room(o);
		if (room < (double)LONG_MAX)
			c.mem->max_memory_to_use = (long)room;
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
	int depth, ctype, interlace, ch, want = o->color == 2 ? 4 : o->color ? 3 : 1, y, sw, sh, shrink;
	volatile int budget_rc = 0, step = 1;
	double need, rowmem;

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
		need = resizer_mem((int)w, (int)h, want, sw, sh) + (double)w * (ch + want) + rowmem +
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
				convert_row(row, ch, conv, want, cols);
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
			convert_row(rows[y], ch, im->px + (size_t)y * (size_t)w * (size_t)want, want,
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

/* What libwebp holds decoding a w x h picture of this kind (beside the output): a
 * lossless one (format 2, or 0 when it cannot tell) all its pixels as 32-bit ARGB, a lossy
 * one with alpha its alpha plane, a lossy one a few macroblock rows. */
static double webp_mem(int w, int h, int format, int alpha)
{
	double rows = 256.0 * w + 200000;

	if (format != 1)
		return 4.0 * w * h + rows;
	return (alpha ? (double)w * h : 0) + rows;
}

/* The first frame when its full-size decode does not fit the budget: libwebp scales it
 * while decoding straight into its place on a canvas already at the scaling decoders'
 * size (sw x sh for a cw x ch canvas), cleared to transparent; the features are then a
 * little different from a full decode's, as for a still WebP. */
static int webp_frame_scaled(const WebPIterator *it, WebPDecoderConfig *cfg,
    const struct img_decode_opts *o, int cw, int ch, int sw, int sh, struct img **out,
    aderr *err)
{
	double sx = (double)sw / cw, sy = (double)sh / ch;
	int x0 = (int)(it->x_offset * sx + 0.5), y0 = (int)(it->y_offset * sy + 0.5);
	int x1 = (int)((it->x_offset + it->width) * sx + 0.5);
	int y1 = (int)((it->y_offset + it->height) * sy + 0.5);
	struct img *im;
	VP8StatusCode st;
	int rc;

	/* at least a pixel, inside the canvas */
	if (x0 > sw - 1)
		x0 = sw - 1;
	if (y0 > sh - 1)
		y0 = sh - 1;
	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0)
		y1 = y0 + 1;
	if (x1 > sw)
		x1 = sw;
	if (y1 > sh)
		y1 = sh;
	if ((rc = img_decode_reserve(o, webp_mem(it->width, it->height, cfg->input.format,
	    cfg->input.has_alpha) + 16.0 * it->width * 4 + (double)sw * sh * 4 +
	    img_decode_tail(o, sw, sh, 4), err)) < 0)
		return rc;
	if ((im = img_new(sw, sh, 4)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
	memset(im->px, 0, (size_t)sw * (size_t)sh * 4);
	cfg->options.use_scaling = 1;
	cfg->options.scaled_width = x1 - x0;
	cfg->options.scaled_height = y1 - y0;
	cfg->output.colorspace = MODE_RGBA;
	cfg->output.is_external_memory = 1;
	cfg->output.u.RGBA.rgba = im->px + ((size_t)y0 * (size_t)sw + (size_t)x0) * 4;
	cfg->output.u.RGBA.stride = sw * 4;
	cfg->output.u.RGBA.size = (size_t)(y1 - y0 - 1) * (size_t)sw * 4 + (size_t)(x1 - x0) * 4;
	st = WebPDecode(it->fragment.bytes, it->fragment.size, cfg);
	WebPFreeDecBuffer(&cfg->output);
	if (st != VP8_STATUS_OK) {
		img_free(im);
		return aderr_set(err, AD_EFORMAT, "corrupt: cannot decode the first WebP frame");
	}
	*out = im;
	return 0;
}

/* An animation's first frame on its canvas, as WebPAnimDecoder makes it (the canvas
 * cleared to transparent black, the frame decoded into its rectangle, nothing blended
 * under it), but only the frame is decoded whole: the canvas goes a row at a time into
 * a rowsink, so a canvas of 9999 x 9999 pixels around a 1 x 1 frame costs no more than
 * the frame. */
static int decode_webp_anim(const unsigned char *buf, size_t len,
    const struct img_decode_opts *o, struct img **out, aderr *err)
{
	WebPData data = { buf, len };
	WebPDemuxer *dmx;
	WebPIterator it;
	WebPDecoderConfig cfg;
	VP8StatusCode st;
	struct rowsink k;
	unsigned char *frame = NULL, *row = NULL;
	int cw, chh, fw, fh, fx, fy, y, rc = 0, sw, sh;
	double need;

	dmx = WebPDemux(&data);
	if (dmx == NULL) {
		WebPDemuxState state;

		dmx = WebPDemuxPartial(&data, &state);
		WebPDemuxDelete(dmx);
		if (state == WEBP_DEMUX_PARSING_HEADER || state == WEBP_DEMUX_PARSED_HEADER)
			return aderr_set(err, AD_ETRUNC, "truncated: WebP animation ends early");
		return aderr_set(err, AD_EFORMAT, "corrupt: cannot read WebP animation");
	}
	cw = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH);
	chh = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
	if (cw < 1 || chh < 1 || !WebPDemuxGetFrame(dmx, 1, &it)) {
		WebPDemuxDelete(dmx);
		return aderr_set(err, AD_EFORMAT, "corrupt: cannot decode the first WebP frame");
	}
	fw = it.width;
	fh = it.height;
	fx = it.x_offset;
	fy = it.y_offset;
	if (!WebPInitDecoderConfig(&cfg)) {
		rc = aderr_set(err, AD_EINTERNAL, "libwebp version mismatch");
		goto out;
	}
	if (fw < 1 || fh < 1 || fx < 0 || fy < 0 || fx > cw - fw || fy > chh - fh ||
	    WebPGetFeatures(it.fragment.bytes, it.fragment.size, &cfg.input) != VP8_STATUS_OK ||
	    cfg.input.width != fw || cfg.input.height != fh) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt: cannot decode the first WebP frame");
		goto out;
	}
	need = 4.0 * fw * fh + webp_mem(fw, fh, cfg.input.format, cfg.input.has_alpha) + 8.0 * cw +
	    sink_mem(o, cw, chh) + img_decode_tail(o, cw, chh, o->color ? 3 : 1);
	img_scaled_size(cw, chh, o->min_side, &sw, &sh);
	if (need > img_decode_room(o) && (sw < cw || sh < chh)) {
		rc = webp_frame_scaled(&it, &cfg, o, cw, chh, sw, sh, out, err);
		goto out;
	}
	if ((rc = img_decode_reserve(o, need, err)) < 0)
		goto out;
	frame = malloc((size_t)fw * (size_t)fh * 4);
	row = malloc((size_t)cw * 4);
	if (frame == NULL || row == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
		goto out;
	}
	cfg.output.colorspace = MODE_RGBA;
	cfg.output.is_external_memory = 1;
	cfg.output.u.RGBA.rgba = frame;
	cfg.output.u.RGBA.stride = fw * 4;
	cfg.output.u.RGBA.size = (size_t)fw * (size_t)fh * 4;
	st = WebPDecode(it.fragment.bytes, it.fragment.size, &cfg);
	WebPFreeDecBuffer(&cfg.output);
	if (st != VP8_STATUS_OK) {
		rc = aderr_set(err, AD_EFORMAT, "corrupt: cannot decode the first WebP frame");
		goto out;
	}
	if (sink_open(&k, o, cw, chh) < 0) {
		sink_free(&k);
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
		goto out;
	}
	memset(row, 0, (size_t)cw * 4);
	for (y = 0; y < chh; y++) {
		if (y >= fy && y < fy + fh)
			memcpy(row + (size_t)fx * 4, frame + (size_t)(y - fy) * (size_t)fw * 4,
			    (size_t)fw * 4);
		else if (y == fy + fh)
			memset(row + (size_t)fx * 4, 0, (size_t)fw * 4);
		sink_push(&k, row, 4);
	}
	if ((*out = sink_finish(&k)) == NULL)
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding WebP");
out:
	WebPDemuxReleaseIterator(&it);
	WebPDemuxDelete(dmx);
	free(frame);
	free(row);
	return rc;
}

static int decode_webp(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	WebPDecoderConfig cfg;
	VP8StatusCode st;
	struct img *im;
	int sw, sh, ch, rc;

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
		return decode_webp_anim(buf, len, o, out, err);
	}
	img_scaled_size(cfg.input.width, cfg.input.height, o->min_side, &sw, &sh);
	if (sw != cfg.input.width || sh != cfg.input.height) {
		cfg.options.use_scaling = 1;
		cfg.options.scaled_width = sw;
		cfg.options.scaled_height = sh;
	}
	ch = cfg.input.has_alpha ? 4 : 3;
	if ((rc = img_decode_reserve(o, webp_mem(cfg.input.width, cfg.input.height,
	    cfg.input.format, cfg.input.has_alpha) + 16.0 * sw * ch + (double)sw * sh * ch +
	    img_decode_tail(o, sw, sh, ch), err)) < 0)
		return rc;
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
static int decode_gif(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct memsrc m = { buf, len, 0 };
	GifFileType *g;
	struct rowsink k;
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
	if (over_limit((unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels)) {
		rc = too_big(err, (unsigned)g->SWidth, (unsigned)g->SHeight, o->max_pixels);
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
			if (over_limit((unsigned)w, (unsigned)h, o->max_pixels)) {
				rc = too_big(err, (unsigned)w, (unsigned)h, o->max_pixels);
				break;
			}
			/* an interlaced frame keeps only its rows that land on the screen */
			vis = d->Top >= g->SHeight ? 0 : h < g->SHeight - d->Top ? h : g->SHeight - d->Top;
			if ((rc = img_decode_reserve(o, (d->Interlace ? (double)w * vis : 0) + 2.0 * w +
			    3.0 * g->SWidth + sink_mem(o, g->SWidth, g->SHeight) +
			    img_decode_tail(o, g->SWidth, g->SHeight, o->color ? 3 : 1), err)) < 0)
				break;
			line = malloc((size_t)w + 1);
			rgb = malloc((size_t)g->SWidth * 3);
			idx = d->Interlace && vis > 0 ? malloc((size_t)w * (size_t)vis) : NULL;
			if (line == NULL || rgb == NULL || (d->Interlace && vis > 0 && idx == NULL) ||
			    sink_open(&k, o, g->SWidth, g->SHeight) < 0) {
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
						sink_push(&k, rgb, 3);
					}
					if (sy == d->Top + y && sy < g->SHeight) {
						gif_row(rgb, g->SWidth, line, d->Left, w, cm, transparent);
						sink_push(&k, rgb, 3);
						sy++;
					}
				}
			for (; rc == 0 && sy < g->SHeight; sy++) {
				int fy = sy - d->Top;

				gif_row(rgb, g->SWidth, idx != NULL && fy >= 0 && fy < vis ?
				    idx + (size_t)fy * (size_t)w : NULL, d->Left, w, cm, transparent);
				sink_push(&k, rgb, 3);
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
	if (rc < 0) {
		sink_free(&k);
		return rc;
	}
	if ((*out = sink_finish(&k)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding GIF");
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
    uint16_t spp, double raw, struct rowsink *k, aderr *err)
{
	uint16_t photo = 0, orient = ORIENTATION_TOPLEFT;
	unsigned char *line;
	int rc, mirror;

	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orient);
	mirror = orient == ORIENTATION_TOPRIGHT || orient == ORIENTATION_RIGHTTOP;
	if ((rc = img_decode_reserve(o, 2.0 * w * spp + raw + 400000 + sink_mem(o, w, h) +
	    img_decode_tail(o, w, h, o->color ? 3 : 1), err)) < 0)
		return rc;
	line = malloc((size_t)TIFFScanlineSize(t) + (size_t)w * spp);
	if (line == NULL || sink_open(k, o, w, h) < 0) {
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
		sink_push(k, px, spp);
	}
	free(line);
	return 0;
}

/* The first directory through libtiff's RGBA reader (every photometric and compression
 * it knows), a band at a time: a strip, or a row of tiles, whichever the file is made
 * of, with the file's orientation applied as TIFFReadRGBAImageOriented applies it
 * (flips only), each band's rows going into a rowsink.  A file stored as one strip is
 * still decoded whole. */
static int decode_tiff(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err)
{
	struct memsrc m = { buf, len, 0 };
	TIFF *t;
	TIFFRGBAImage ri;
	struct rowsink k;
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
	if (over_limit(w, h, o->max_pixels)) {
		rc = too_big(err, w, h, o->max_pixels);
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
	need = 4.0 * w * band + unpacked + raw + 400000 + 4.0 * w + sink_mem(o, (int)w, (int)h) +
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
	if (raster == NULL || row == NULL || sink_open(&k, o, (int)w, (int)h) < 0) {
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
			sink_push(&k, row, 4);
		}
	}
out:
	free(raster);
	free(row);
	if (begun)
		TIFFRGBAImageEnd(&ri);
	TIFFClose(t);
	if (rc < 0) {
		sink_free(&k);
		return rc;
	}
	if ((*out = sink_finish(&k)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding TIFF");
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
	/* libheif decodes the whole picture: its planes (up to 16 bits a sample, chroma and
	 * alpha), the interleaved RGB it converts them to, and our copy */
	{
		double n = (double)w * hh;

		if (iw > 0 && ih > 0 && (double)iw * ih > n)
			n = (double)iw * ih;
		if ((rc = img_decode_reserve(o, n * (8 + 2.0 * ch) + img_decode_tail(o, w, hh, ch),
		    err)) < 0)
			goto out;
	}
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
	return img_decode_held(buf, len, o, NULL, out, info, err);
}

static int decode_any(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct img **out, struct img_info *info, aderr *err);

int img_decode_held(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
    struct mb_hold *hold, struct img **out, struct img_info *info, aderr *err)
{
	aderr ignore;
	int rc;

	if (hold != NULL)
		hold->base = hold->held;
	cur_hold = hold;
	rc = decode_any(buf, len, o, out, info, err);
	cur_hold = NULL;
	if (hold != NULL)
		membudget_hold(hold, hold->base, &ignore);     /* a shrink: never waits */
	return rc;
}

static int decode_any(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
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
