/* decode.c — img_decode (see decode.h): the format told from the bytes, the dispatch to
 * its decoder (one file a format: jpeg.c, png.c, webp.c, gif.c, tiff.c, heif.c, bmp.c),
 * the memory budget's hold for the call, the common tail (channels, working size,
 * orientation), and the helpers every decoder shares (decode_int.h). */
#include "decode.h"
#include "decode_int.h"
#include "bmff.h"
#include "bmp.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	return bmff_ftyp(buf, len);
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

/* ---- what the decoders share (decode_int.h) ---- */

void dec_tidy_msg(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = '\0';
}

int dec_too_big(aderr *err, unsigned long long w, unsigned long long h,
    unsigned long long max)
{
	return aderr_set(err, AD_ETOOBIG, "too large: %llux%llu pixels is over the %llu limit "
	    "(--max-pixels)", w, h, max);
}

size_t dec_memsrc_read(struct dec_memsrc *m, void *to, long long n)
{
	size_t k = n < 0 ? 0 : (size_t)n;

	if (m->pos > m->len)
		return 0;
	if (k > m->len - m->pos)
		k = m->len - m->pos;
	memcpy(to, m->p + m->pos, k);
	m->pos += k;
	return k;
}

double dec_resizer_mem(int sw, int sh, int ch, int w, int h)
{
	/* the result, eight source rows, the rows of floats, the taps, and the columns of
	 * the vector pass (image.c: at least 1024, 32 bytes each) */
	return (double)w * h * ch + 8.0 * sw * ch + 12.0 * w * ch * sizeof(float) +
	    16.0 * ((double)sw + sh + w + h) + 32.0 * (1024 + ((double)sw / w + 3) * ch);
}

void dec_convert_row(const unsigned char *s, int ch, unsigned char *d, int want, int w)
{
	int x;

	/* the common cases first, as the loop below would do them: a copy, and opaque RGB
	 * to RGBA */
	if (ch == want) {
		memcpy(d, s, (size_t)w * (size_t)ch);
		return;
	}
	if (ch == 3 && want == 4) {
		for (x = 0; x < w; x++, s += 3, d += 4) {
			d[0] = s[0];
			d[1] = s[1];
			d[2] = s[2];
			d[3] = 255;
		}
		return;
	}
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

/* ---- the row sink (decode_int.h) ---- */

double dec_sink_mem(const struct img_decode_opts *o, int w, int h)
{
	int want = o->color ? 3 : 1, sw, sh;

	if (img_working_size(w, h, o->min_side, &sw, &sh))
		return dec_resizer_mem(w, h, want, sw, sh) + (double)w * want;
	return (double)w * h * want;
}

int dec_sink_open(struct dec_rowsink *k, const struct img_decode_opts *o, int w, int h)
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

void dec_sink_push(struct dec_rowsink *k, const unsigned char *row, int ch)
{
	if (k->y >= k->h)
		return;
	if (k->rs != NULL) {
		dec_convert_row(row, ch, k->conv, k->want, k->w);
		img_resizer_push(k->rs, k->conv);
	} else {
		dec_convert_row(row, ch, k->im->px + (size_t)k->y * (size_t)k->w * (size_t)k->want,
		    k->want, k->w);
	}
	k->y++;
}

struct img *dec_sink_finish(struct dec_rowsink *k)
{
	struct img *im = k->im;

	if (k->rs != NULL)
		im = img_resizer_finish(k->rs);
	free(k->conv);
	memset(k, 0, sizeof *k);
	return im;
}

void dec_sink_free(struct dec_rowsink *k)
{
	img_resizer_free(k->rs);
	img_free(k->im);
	free(k->conv);
	memset(k, 0, sizeof *k);
}

int dec_sink_end(struct dec_rowsink *k, int rc, struct img **out, const char *fmt,
    aderr *err)
{
	if (rc < 0) {
		dec_sink_free(k);
		return rc;
	}
	if ((*out = dec_sink_finish(k)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory decoding %s", fmt);
	return 0;
}

/* ---- img_decode: the dispatch and the common tail ---- */

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
			dec_convert_row(im->px + (size_t)y * (size_t)im->w * (size_t)im->ch, im->ch,
			    o->px + (size_t)y * (size_t)im->w * (size_t)want, want, im->w);
	img_free(im);
	return o;
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
	case IMG_JPEG: rc = dec_jpeg(buf, len, o, &im, info, err); break;
	case IMG_PNG: rc = dec_png(buf, len, o, &im, info, err); break;
	case IMG_WEBP: rc = dec_webp(buf, len, o, &im, info, err); break;
	case IMG_GIF: rc = dec_gif(buf, len, o, &im, info, err); break;
	case IMG_TIFF: rc = dec_tiff(buf, len, o, &im, info, err); break;
	case IMG_HEIF:
	case IMG_AVIF: rc = dec_heif(buf, len, o, &im, info, err); break;
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
