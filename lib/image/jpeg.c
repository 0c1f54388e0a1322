/* jpeg.c — the JPEG decoder behind img_decode (libjpeg-turbo): DCT scaling to the
 * smallest n/8 that keeps min_side, the memory a progressive file's coefficients take
 * reserved from the headers, CMYK made RGB, the EXIF orientation of APP1 handed on, and
 * libjpeg's errors and damaging warnings turned into aderr codes. */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "decode_int.h"

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
	dec_tidy_msg(e->msg);
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

int dec_jpeg(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
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
	if (dec_over_limit(c.image_width, c.image_height, o->max_pixels)) {
		rc = dec_too_big(err, c.image_width, c.image_height, o->max_pixels);
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
