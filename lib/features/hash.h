/* hash.h — 64-bit perceptual hashes of a gray image, following ImageHash.
 *
 * The three recipes are those of the Python ImageHash library (J. Buchner, 4.x) with
 * hash_size 8, so a hash printed by hash_to_hex reads like str(imagehash.xhash(img)):
 * 16 lowercase hex digits, the hash's first element (row 0, column 0) as the most
 * significant bit, then row by row (row-major, numpy's flatten order).
 *
 *   phash  resize to 32x32; 2-D DCT-II (scipy.fftpack.dct along axis 0 then axis 1);
 *          keep the top-left 8x8 block including the DC term (row = vertical
 *          frequency); bit = coefficient > median of those 64 (numpy median: the mean
 *          of the two middle values).  = imagehash.phash(img)
 *   dhash  resize to 9 wide x 8 high; bit (r, c) = pixel(r, c+1) > pixel(r, c), i.e.
 *          set where brightness rises to the right.  = imagehash.dhash(img)
 *   whash  resize to 64x64; Haar wavelet decomposition with the lowest LL (the image
 *          mean) removed, then the 8x8 LL band after 3 levels; bit = coefficient >
 *          median.  = imagehash.whash(img, image_scale=64) (ImageHash's default scale
 *          depends on the image size; ours is fixed so hashes compare across sizes).
 *          The LL band of a Haar transform is the 8x8 block sums, so the comparison
 *          is done exactly in integers.
 *
 * Differences from ImageHash: ImageHash resizes with PIL's Lanczos (ANTIALIAS)
 * filter, we with img_resize's area average, from a reduced-scale decode.  Measured
 * on the 280 files of make eval (the example photos and 27 transforms of each) against
 * ImageHash 4.3.2's code, from featx's 320-pixel working image: phash differs by 0.49
 * bits on average (max 4, equal for 216), whash 0.61 (max 5, equal for 202), dhash 6.9
 * (max 18) -- dhash compares neighbouring pixels of a 9x8 thumbnail, so it is the most
 * filter-sensitive.  And
 * PIL's convert("L") drops alpha, where we composite on white first.  Near-zero
 * DCT coefficients (|c| < 1e-6) are taken as exactly zero so that flat images hash
 * deterministically instead of on floating-point noise.
 *
 * Functions take a gray image (ch 1) and return 0, or AD_ENOMEM / AD_EINTERNAL. */
#ifndef AZD_HASH_H
#define AZD_HASH_H

#include <stdint.h>

#include "image.h"

int hash_phash(const struct img *gray, uint64_t *out);
/* The perceptual hash of the image as each EXIF orientation 1..8 would turn it (out[0]
 * is hash_phash), from one DCT: a mirror negates the odd frequencies along its axis and a
 * transpose swaps the axes, so the other seven cost a median each, not a decode. */
int hash_phash_dihedral(const struct img *gray, uint64_t out[8]);
/* An 8x8 bit grid (row-major, first bit on top) as EXIF orientation k turns it: the
 * wavelet hash of a turned image, from the hash of the image (its LL band is the grid of
 * block sums, and the median does not move). */
uint64_t hash_grid_orient(uint64_t h, int k);
/* The same turn for any n x n grid: the source cell (row-major index) of cell (r, c)
 * of the grid turned for EXIF orientation k (1..8; others leave it in place). */
int hash_cell_orient(int k, int n, int r, int c);
int hash_dhash(const struct img *gray, uint64_t *out);
int hash_whash(const struct img *gray, uint64_t *out);
/* hash_phash_dihedral, hash_dhash and hash_whash at once, their three shrinks made
 * together (img_resize_multi): the same bits.  0 or a negative AD_E* code. */
int hash_all(const struct img *gray, uint64_t phash8[8], uint64_t *dhash, uint64_t *whash);

/* Number of differing bits (inline: the grouping's search calls it in its inner loops).
 * Without the popcnt instruction in the build (-mpopcnt), __builtin_popcountll is a call
 * into libgcc that counts a byte at a time through a table (dedupe's first pass over
 * 300M candidate pairs, each compared in eight orientations, spent a third of its time
 * there): the instruction then where the CPU has it, else the bits counted in place. */
static inline int hash_hamming(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ b;

#ifdef __POPCNT__
	return __builtin_popcountll(x);
#else
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("popcnt")) {
		uint64_t c;

		__asm__("popcntq %1, %0" : "=r"(c) : "r"(x));
		return (int)c;
	}
#endif
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
#endif
}
/* 16 lowercase hex digits and a NUL. */
void hash_to_hex(uint64_t h, char out[17]);
/* Exactly 16 hex digits (either case); 0, or -1 leaving *out alone. */
int hash_from_hex(const char *s, uint64_t *out);

#endif
