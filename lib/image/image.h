/* image.h — the 8-bit pixel buffer every decoder fills and every hash reads.
 *
 * An image is w x h pixels of ch interleaved 8-bit channels (1 gray, 2 gray+alpha,
 * 3 RGB, 4 RGBA), rows packed with no padding (stride = w * ch).
 *
 * Ownership: every function that returns a struct img * returns a new image that the
 * caller frees with img_free; the source is only read.  NULL means out of memory or
 * an invalid argument.  All operations are deterministic: the same input gives the
 * same bytes on every run and every machine (no threads; the vector forms of
 * img_simd compute the same floats in the same order as the plain C). */
#ifndef AZD_IMAGE_H
#define AZD_IMAGE_H

#include <stddef.h>

struct img {
	int w, h, ch;
	unsigned char *px;
};

/* Uninitialised pixels; NULL if w, h or ch are out of range or memory is short. */
struct img *img_new(int w, int h, int ch);
void img_free(struct img *im);

/* Gray (ch 1) copy.  RGB becomes ITU-R BT.601 luma with the same integer formula as
 * PIL's convert("L"); alpha is composited on white first. */
struct img *img_to_gray(const struct img *im);

/* Resampled copy of size w x h, any number of channels.  Along an axis that shrinks,
 * each output pixel is the area-weighted mean of the input pixels it covers (box
 * filter); along an axis that grows, bilinear interpolation between pixel centres. */
struct img *img_resize(const struct img *im, int w, int h);
/* img_resize of one image to n sizes (ws[i] x hs[i], up to IMG_MULTI_MAX, each a shrink
 * of both sides) into out[i], the vector forms turning the source's rows into floats once
 * for all of them: the same bytes as n calls of img_resize.  0, or -1 (out all NULL). */
#define IMG_MULTI_MAX 4
int img_resize_multi(const struct img *im, int n, const int *ws, const int *hs,
    struct img **out);

/* img_resize one source row at a time, for decoders that should never hold the whole
 * source: img_resizer_new(sw, sh, ch, w, h) for an sw x sh source of ch channels and a
 * w x h result; img_resizer_push each of the sh source rows (sw * ch bytes, copied)
 * top to bottom; img_resizer_finish gives the result, the same bytes img_resize gives.
 * It holds the result, eight source rows and a few rows of floats of the result's
 * width, never the whole source.  new returns NULL when out of memory or given bad
 * sizes; push returns -1 past the last row; finish returns NULL when rows are missing,
 * and frees the resizer either way.  img_resizer_free drops one not finished. */
struct img_resizer;
struct img_resizer *img_resizer_new(int sw, int sh, int ch, int w, int h);
int img_resizer_push(struct img_resizer *rs, const unsigned char *row);
struct img *img_resizer_finish(struct img_resizer *rs);
void img_resizer_free(struct img_resizer *rs);

/* The forms of the pixel loops (img_resize's and the resizer's passes, and the FAST and
 * Harris loops of keypoints.h), all giving the same bytes: plain C, or x86 SSE2 or
 * AVX2, the widest this CPU has chosen at run time.  img_simd(form) forces one for tests
 * (IMG_SIMD_AUTO: back to the choice): 0, or -1 when this CPU or build lacks it.  Not
 * to be called while other threads work on images.  img_simd_form says which is in use. */
enum { IMG_SIMD_AUTO = -1, IMG_SIMD_NONE = 0, IMG_SIMD_SSE2 = 1, IMG_SIMD_AVX2 = 2 };
int img_simd(int form);
int img_simd_form(void);

/* w x h with the short side scaled to about min_side (rounded, at least 1) when it is
 * longer, else unchanged: the size a scaling decoder (JPEG, WebP) aims for. */
void img_scaled_size(int w, int h, int min_side, int *sw, int *sh);
/* The size img_decode brings a w x h image to for a short side of about min_side
 * (rounded, at least 1): returns 1 and sets *sw x *sh when the short side is over
 * 2 * min_side (and min_side > 0), else returns 0 with *sw x *sh = w x h. */
int img_working_size(int w, int h, int min_side, int *sw, int *sh);

/* Copy turned upright for an EXIF orientation 1..8 (2 mirror, 3 rotate 180, 4 flip,
 * 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise);
 * 5..8 swap width and height.  Other values are treated as 1. */
struct img *img_orient(const struct img *im, int orientation);

/* The composite of one pixel value v with alpha a over white. */
static inline unsigned char img_over_white(unsigned v, unsigned a)
{
	return (unsigned char)((v * a + 255u * (255u - a) + 127u) / 255u);
}

/* PIL's L = R*299/1000 + G*587/1000 + B*114/1000 in 16-bit fixed point. */
static inline unsigned char img_luma(unsigned r, unsigned g, unsigned b)
{
	return (unsigned char)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

#endif
