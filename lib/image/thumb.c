/* thumb.c — a small JPEG of an image, as a data: URI, for the visual report. */
#include "thumb.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "codec.h"
#include "decode.h"
#include "image.h"

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
};

static void on_error(j_common_ptr c)
{
	longjmp(((struct jerr *)c->err)->jb, 1);
}

static void no_output(j_common_ptr c)
{
	(void)c;
}

/* JPEG bytes of an RGB or gray image; 0 or AD_ENOMEM. */
static int encode(const struct img *im, int quality, unsigned char **out, unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jerr je;
	/* volatile: read after longjmp */
	unsigned char *volatile mem = NULL;
	unsigned long size = 0;

	memset(&c, 0, sizeof c);
	c.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = on_error;
	je.pub.output_message = no_output;
	if (setjmp(je.jb)) {
		jpeg_destroy_compress(&c);
		free(mem);
		return AD_ENOMEM;
	}
	jpeg_create_compress(&c);
	{
		unsigned char *m = NULL;

		jpeg_mem_dest(&c, &m, &size);
		mem = m;
		c.image_width = (JDIMENSION)im->w;
		c.image_height = (JDIMENSION)im->h;
		c.input_components = im->ch;
		c.in_color_space = im->ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
		jpeg_set_defaults(&c);
		jpeg_set_quality(&c, quality, TRUE);
		jpeg_start_compress(&c, TRUE);
		while (c.next_scanline < c.image_height) {
			JSAMPROW row = im->px + (size_t)c.next_scanline * (size_t)im->w * (size_t)im->ch;

			jpeg_write_scanlines(&c, &row, 1);
		}
		jpeg_finish_compress(&c);
		mem = m;
	}
	jpeg_destroy_compress(&c);
	*out = mem;
	*len = size;
	return 0;
}

int thumb_data_uri(const unsigned char *buf, size_t len, int side,
    unsigned long long max_pixels, char **uri, aderr *err)
{
	struct img_decode_opts o = { side, max_pixels, 1 };
	struct img_info info;
	struct img *im = NULL, *sm = NULL, *rgb = NULL;
	unsigned char *jpg = NULL;
	unsigned long jlen = 0;
	int rc, w, h;
	static const char pre[] = "data:image/jpeg;base64,";

	*uri = NULL;
	if (side < 8 || side > 1024)
		return aderr_set(err, AD_EUSAGE, "thumbnail size %d out of 8..1024", side);
	if ((rc = img_decode(buf, len, &o, &im, &info, err)) < 0)
		return rc;
	/* the long side becomes `side`, never larger than the decode */
	if (im->w >= im->h) {
		w = im->w < side ? im->w : side;
		h = (int)((long long)im->h * w / im->w);
	} else {
		h = im->h < side ? im->h : side;
		w = (int)((long long)im->w * h / im->h);
	}
	w = w < 1 ? 1 : w;
	h = h < 1 ? 1 : h;
	rgb = im->ch == 3 || im->ch == 1 ? im : img_to_gray(im);
	sm = rgb ? img_resize(rgb, w, h) : NULL;
	rc = sm ? encode(sm, 80, &jpg, &jlen) : AD_ENOMEM;
	if (rc == 0) {
		size_t n = 4 * ((jlen + 2) / 3);

		*uri = malloc(sizeof pre + n + 1);
		if (*uri == NULL) {
			rc = AD_ENOMEM;
		} else {
			memcpy(*uri, pre, sizeof pre - 1);
			b64_encode(jpg, jlen, *uri + sizeof pre - 1);
		}
	}
	if (rc < 0)
		aderr_set(err, rc, "out of memory making the thumbnail");
	free(jpg);
	img_free(sm);
	if (rgb != im)
		img_free(rgb);
	img_free(im);
	return rc;
}
