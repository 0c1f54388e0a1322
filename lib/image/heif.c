/* heif.c — the HEIF and AVIF decoder behind img_decode (libheif): the primary image
 * with its transforms, after the boxes libheif would follow without a limit are checked
 * (bmff.h); the pixel limit on the handle's and the coded size, libheif's own limit
 * lowered to it; AV1 through libaom where libheif has it; libheif's errors turned into
 * aderr codes. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libheif/heif.h>

#include "bmff.h"
#include "decode_int.h"

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

static int heif_fail(aderr *err, struct heif_error he, const char *fmt, int cut)
{
	const char *why = he.message != NULL && he.message[0] ? he.message : "unknown error";
	char msg[256];

	snprintf(msg, sizeof msg, "%s", why);
	dec_tidy_msg(msg);
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

int dec_heif(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
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

		if (bmff_grids_ok(buf, len, o->max_pixels, &gw, &gh) < 0)
			return dec_too_big(err, gw, gh, o->max_pixels);
	}
	switch (bmff_refs_ok(buf, len)) {
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
		rc = heif_fail(err, he, fmt, bmff_cut(buf, len));
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
	if (dec_over_limit((unsigned)w, (unsigned)hh, o->max_pixels)) {
		rc = dec_too_big(err, (unsigned)w, (unsigned)hh, o->max_pixels);
		goto out;
	}
	/* a crop box can hide a huge coded picture behind a small one */
	if (iw > 0 && ih > 0 && dec_over_limit((unsigned)iw, (unsigned)ih, o->max_pixels)) {
		rc = dec_too_big(err, (unsigned)iw, (unsigned)ih, o->max_pixels);
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
		rc = heif_fail(err, he, fmt, bmff_cut(buf, len));
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
