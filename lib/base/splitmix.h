/* splitmix.h — a small, fixed pseudo-random sequence (Steele, Lea and Flood's
 * SplitMix64) for the patterns and samples that must be the same on every machine: the
 * keypoint descriptor pattern and the descriptor index's bit samples. */
#ifndef AZD_SPLITMIX_H
#define AZD_SPLITMIX_H

#include <stdint.h>

/* The next value of the sequence whose state is *s. */
static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
