/* webp.c — the WebP decoder behind img_decode (libwebp): a still picture scaled while
 * it decodes; an animation's first frame composed onto its canvas a row at a time
 * (libwebpdemux), or scaled while it decodes when the full frame does not fit the
 * memory budget. */
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "decode_int.h"

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
	struct dec_rowsink k;
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
	    dec_sink_mem(o, cw, chh) + img_decode_tail(o, cw, chh, o->color ? 3 : 1);
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
	if (dec_sink_open(&k, o, cw, chh) < 0) {
		dec_sink_free(&k);
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
		dec_sink_push(&k, row, 4);
	}
	rc = dec_sink_end(&k, rc, out, "WebP", err);
out:
	WebPDemuxReleaseIterator(&it);
	WebPDemuxDelete(dmx);
	free(frame);
	free(row);
	return rc;
}

int dec_webp(const unsigned char *buf, size_t len, const struct img_decode_opts *o,
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
	if (dec_over_limit((unsigned)cfg.input.width, (unsigned)cfg.input.height, o->max_pixels))
		return dec_too_big(err, (unsigned)cfg.input.width, (unsigned)cfg.input.height,
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
