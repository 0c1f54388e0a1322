/* kpsimd.h — the pixel loops of keypoints.c, in plain C and in x86 vector forms that
 * give the same numbers (integer arithmetic throughout), one chosen at run time.
 *
 *   kps_fast_row   the x of every FAST-9 corner (keypoints.h) in one row of a level,
 *                  x0 <= x < x1, in increasing order
 *   kps_harris     the Harris response times 25 over the 7x7 window, exact in 64 bits
 *
 * The caller keeps x0 >= 16, x1 <= w - 16 and 16 <= y < h - 16 (the keypoints' border):
 * the vector forms (image.h: img_simd) read up to 34 bytes past x1 on rows y - 3 .. y + 3, which stays inside
 * the image. */
#ifndef AZD_KPSIMD_H
#define AZD_KPSIMD_H

#include <stdint.h>

#include "keypoints.h"

/* Writes the corners' x into xs (room for x1 - x0), returns how many. */
int kps_fast_row(const unsigned char *im, int w, int y, int x0, int x1, int t, int *xs);
int64_t kps_harris(const unsigned char *im, int w, int x, int y);

/* The integral image of a w x h level: (w + 1) x (h + 1) sums, the first row and column
 * 0, ii[(y + 1) * (w + 1) + x + 1] the sum of the pixels above and left of (x, y)
 * inclusive (mod 2^32, as plain C's uint32 additions). */
void kps_integral(const unsigned char *im, int w, int h, uint32_t *ii);

/* The intensity moments of the disc around (x, y) whose half width at |dy| is half[|dy|]
 * (dy from -r to r, r <= 15): *m10 = sum of dx * pixel, *m01 = sum of dy * pixel. */
void kps_moments(const unsigned char *im, int w, int x, int y, const int *half, int r,
    int64_t *m10, int64_t *m01);

/* The 256 descriptor bits at (x, y) of the integral image ii (stride iw): bit i is set
 * when the 5x5 box sum at offset offa[i] is less than the one at offb[i], an offset
 * being (dy - 2) * iw + (dx - 2) for the box centred at (x + dx, y + dy).  0, or -1
 * when this form has no vector version of it (the caller does it in plain C). */
int kps_describe(const uint32_t *ii, int iw, int x, int y, const int32_t *offa,
    const int32_t *offb, uint8_t d[32]);

#endif
