/* heif.c — the HEIF and AVIF decoder behind img_decode (libheif): the primary image
 * with its transforms, after the boxes libheif would follow without a limit are checked
 * (bmff.h); the pixel limit on the handle's and the coded size, libheif's own limit
 * lowered to it; AV1 through libaom where libheif has it; libheif's errors turned into
 * aderr codes.  libheif itself is opened on the first such file (dlopen), not linked. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libheif/heif.h>

#include "bmff.h"
#include "decode_int.h"

/* libheif's own default limit on each side; ours only ever lowers it */
#define HEIF_MAX_SIDE 32768

/* libheif is opened on the first HEIF or AVIF file, not linked: loading it and the
 * codecs it links (libde265, libx265, libaom, dav1d, libstdc++) cost each process about
 * 8 ms of CPU at start, and featx is started several times a run mostly on files that are
 * never HEIF.  The functions used here, looked up by name; their types are the header's,
 * so a call through lh checks its arguments as a direct call would. */
#define HEIF_FUNCS(X) \
	X(heif_init) X(heif_get_decoder_descriptors) X(heif_decoder_descriptor_get_id_name) \
	X(heif_have_decoder_for_format) X(heif_context_alloc) X(heif_context_free) \
	X(heif_context_set_maximum_image_size_limit) X(heif_context_set_max_decoding_threads) \
	X(heif_context_read_from_memory_without_copy) \
	X(heif_context_get_primary_image_handle) X(heif_image_handle_get_width) \
	X(heif_image_handle_get_height) X(heif_image_handle_get_ispe_width) \
	X(heif_image_handle_get_ispe_height) X(heif_image_handle_has_alpha_channel) \
	X(heif_image_handle_release) X(heif_decoding_options_alloc) \
	X(heif_decoding_options_free) X(heif_decode_image) X(heif_image_get_plane_readonly) \
	X(heif_image_get_primary_width) X(heif_image_get_primary_height) \
	X(heif_image_get_bits_per_pixel) X(heif_image_release)
#define HEIF_FIELD(f) __typeof__(&f) f;
static struct {
	HEIF_FUNCS(HEIF_FIELD)
} lh;

static pthread_once_t heif_once = PTHREAD_ONCE_INIT;
static int heif_loaded;
static int heif_have_aom;
static char heif_why[200];      /* why libheif could not be opened */

/* Opens the libheif of the major version built against (libheif.so.1 for 1.x), in the
 * process for good, and looks its functions up; leaves heif_loaded 0 with the reason in
 * heif_why when it or one of them is missing.  Then, as before: dav1d, libheif's first
 * choice for AV1, logs stream errors to stderr and libheif 1.15 gives it no logger:
 * libaom's decoder is used where it is there, as it never prints. */
static void heif_start(void)
{
	const struct heif_decoder_descriptor *d[16];
	char name[32];
	const char *why;
	void *h;
	int i, n;

	snprintf(name, sizeof name, "libheif.so.%d", (int)(LIBHEIF_NUMERIC_VERSION >> 24));
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(heif_why, sizeof heif_why, "%s", why != NULL ? why : name);
		dec_tidy_msg(heif_why);
		return;
	}
#define HEIF_LOOK(f) \
	if ((*(void **)&lh.f = dlsym(h, #f)) == NULL) { \
		snprintf(heif_why, sizeof heif_why, "%s has no %s", name, #f); \
		dlclose(h); \
		return; \
	}
	HEIF_FUNCS(HEIF_LOOK)
#undef HEIF_LOOK
	heif_loaded = 1;
	lh.heif_init(NULL);     /* registers the built-in codecs; held for the process */
	n = lh.heif_get_decoder_descriptors(heif_compression_AV1, d, 16);
	for (i = 0; i < n; i++)
		if (strcmp(lh.heif_decoder_descriptor_get_id_name(d[i]), "aom") == 0)
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
	if (bmff_extents_ok(buf, len) < 0)
		return bmff_cut(buf, len) ?
		    aderr_set(err, AD_ETRUNC, "truncated: %s data ends early", fmt) :
		    aderr_set(err, AD_EFORMAT, "corrupt: %s item data lies past the end of its box "
		    "or the file", fmt);
	switch (bmff_refs_ok(buf, len)) {
	case -1:
		return aderr_set(err, AD_EFORMAT, "corrupt: %s items refer to each other in a loop",
		    fmt);
	case -2:
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	}
	if (!heif_loaded)
		return aderr_set(err, AD_EUNSUP, "unsupported: %s (cannot load libheif: %s)", fmt,
		    heif_why);
	if (info->format == IMG_AVIF && !lh.heif_have_decoder_for_format(heif_compression_AV1))
		return aderr_set(err, AD_EUNSUP, "unsupported: AVIF (libheif has no AV1 decoder)");
	ctx = lh.heif_context_alloc();
	if (ctx == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	/* a side longer than max_pixels is over it whatever the other side is */
	if (o->max_pixels > 0 && o->max_pixels < HEIF_MAX_SIDE)
		lh.heif_context_set_maximum_image_size_limit(ctx, (int)o->max_pixels);
	/* tiles in this thread: featx already decodes several images at once */
	lh.heif_context_set_max_decoding_threads(ctx, 0);
	he = lh.heif_context_read_from_memory_without_copy(ctx, buf, len, NULL);
	if (he.code == heif_error_Ok)
		he = lh.heif_context_get_primary_image_handle(ctx, &h);
	if (he.code != heif_error_Ok) {
		rc = heif_fail(err, he, fmt, bmff_cut(buf, len));
		goto out;
	}
	/* the size after libheif's transforms (clap, irot, imir): the upright picture */
	w = lh.heif_image_handle_get_width(h);
	hh = lh.heif_image_handle_get_height(h);
	iw = lh.heif_image_handle_get_ispe_width(h);
	ih = lh.heif_image_handle_get_ispe_height(h);
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
	alpha = lh.heif_image_handle_has_alpha_channel(h);
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
	dopt = lh.heif_decoding_options_alloc();
	if (dopt == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
		goto out;
	}
	dopt->ignore_transformations = 0;
	if (dopt->version >= 2)
		dopt->convert_hdr_to_8bit = 1;
	if (dopt->version >= 4 && info->format == IMG_AVIF && heif_have_aom)
		dopt->decoder_id = "aom";
	he = lh.heif_decode_image(h, &hi, heif_colorspace_RGB, alpha ? heif_chroma_interleaved_RGBA :
	    heif_chroma_interleaved_RGB, dopt);
	if (he.code != heif_error_Ok) {
		rc = heif_fail(err, he, fmt, bmff_cut(buf, len));
		goto out;
	}
	plane = lh.heif_image_get_plane_readonly(hi, heif_channel_interleaved, &stride);
	if (plane == NULL || lh.heif_image_get_primary_width(hi) != w ||
	    lh.heif_image_get_primary_height(hi) != hh ||
	    lh.heif_image_get_bits_per_pixel(hi, heif_channel_interleaved) != 8 * ch ||
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
	lh.heif_image_release(hi);
	lh.heif_decoding_options_free(dopt);
	lh.heif_image_handle_release(h);
	lh.heif_context_free(ctx);
	if (rc < 0) {
		img_free(im);
		return rc;
	}
	*out = im;
	return 0;
}
