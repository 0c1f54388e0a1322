/* featprof.h — where featx's time goes, stage by stage, for the bench's breakdown
 * (tests/helpers/featprof, tests/bench/featx_stages.sh).
 *
 * Off unless a thread turns it on: fprof_begin(p) makes this thread add the time of each
 * stage it runs to p->ns[stage] (and count it in p->n[stage]) until fprof_end().  The
 * code being timed calls fprof_lap(stage) where a stage ends: the time since the last
 * lap (or fprof_begin) goes to that stage.  When off, a lap is one test of a
 * thread-local pointer, and laps sit between stages (per image, per pyramid level),
 * never inside a pixel loop. */
#ifndef AZD_FEATPROF_H
#define AZD_FEATPROF_H

#include <stddef.h>
#include <stdint.h>

enum fprof_stage {
	FP_SHA256,      /* the checksum of the file's bytes */
	FP_DECODE,      /* the decoder to a working-size RGB(A) image (incl. its resize) */
	FP_FLATTEN,     /* alpha composited on white or black */
	FP_CHROMA,      /* the colour detail of the keypoints' view, and the shape of a picture
	                 * with transparency (resizes) */
	FP_GRID,        /* the 4x4 colour grid (a resize) */
	FP_GRAY,        /* RGB to gray */
	FP_MEASURE,     /* histogram, contrast, dominant gray */
	FP_PHASH,       /* the three hashes' resizes (32x32, 9x8, 64x64, made together:
	                 * hash_all), DCT, the 8 orientations */
	FP_DHASH,       /* dhash from its 9x8 */
	FP_WHASH,       /* whash from its 64x64: block sums, median */
	FP_PYRAMID,     /* the keypoints' levels (resizes) */
	FP_FAST,        /* FAST-9 over every pixel of every level */
	FP_HARRIS,      /* Harris responses of the FAST corners */
	FP_NMS,         /* 3x3 non-maximum suppression, ranking, spreading */
	FP_INTEGRAL,    /* the integral image for the descriptor boxes */
	FP_ANGLE,       /* the intensity-centroid angles of the kept corners */
	FP_DESCRIBE,    /* their 256-bit descriptors */
	FP_KPSORT,      /* the kept keypoints strongest first */
	FP_PACK,        /* kp_pack */
	FP_JSON,        /* the record: feat_to_json and the line of JSON */
	FP_OTHER,       /* the rest: allocation, copies between the stages */
	FP_NSTAGES
};

struct fprof {
	double ns[FP_NSTAGES];
	long n[FP_NSTAGES];
	uint64_t last;
};

extern __thread struct fprof *fprof_cur;

void fprof_begin(struct fprof *p);
void fprof_end(void);
void fprof_lap_on(int stage);
const char *fprof_name(int stage);

static inline void fprof_lap(int stage)
{
	if (__builtin_expect(fprof_cur != NULL, 0))
		fprof_lap_on(stage);
}

#endif
