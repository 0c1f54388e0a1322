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
/* kps_harris of the corners xs[0 .. n) of row y, into r (the form chosen once a row). */
void kps_harris_row(const unsigned char *im, int w, int y, const int *xs, int n, int64_t *r);

/* The integral image of a w x h level: (w + 1) x (h + 1) sums, the first row and column
 * 0, ii[(y + 1) * (w + 1) + x + 1] the sum of the pixels above and left of (x, y)
 * inclusive (mod 2^32, as plain C's uint32 additions). */
void kps_integral(const unsigned char *im, int w, int h, uint32_t *ii);

/* The intensity moments of the disc around (x, y) whose half width at |dy| is half[|dy|]
 * (dy from -r to r, r <= 15): *m10 = sum of dx * pixel, *m01 = sum of dy * pixel. */
void kps_moments(const unsigned char *im, int w, int x, int y, const int *half, int r,
    int64_t *m10, int64_t *m01);

/* The 5x5 box sums of a w x h level (w, h >= 5), for the descriptors: box[y * w + x] is
 * the sum of the pixels x .. x + 4 of rows y .. y + 4 (the box centred at (x + 2, y + 2))
 * for x <= w - 5, y <= h - 5; the last four entries of each of those rows are 0.  box
 * holds (h - 4) * w + 1 entries (the vector descriptor reads 32 bits at a sum). */
void kps_box5(const unsigned char *im, int w, int h, uint16_t *box);

/* The 256 descriptor bits at (x, y) from kps_box5's sums (stride w): bit i is set when
 * the box at offset offa[i] sums to less than the one at offb[i], an offset being
 * dy * w + dx for the box centred at (x + dx, y + dy).  The same bits as
 * keypoints.c's describe from the integral image, as the sums are the same whole
 * numbers. */
void kps_describe_box(const uint16_t *box, int w, int x, int y, const int32_t *offa,
    const int32_t *offb, uint8_t d[32]);

#endif
