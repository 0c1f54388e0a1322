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

#endif
