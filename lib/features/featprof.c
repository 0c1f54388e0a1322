/* featprof.c — the stage clock of featprof.h. */
#include "featprof.h"

#include <time.h>

__thread struct fprof *fprof_cur;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fprof_begin(struct fprof *p)
{
	fprof_cur = p;
	p->last = now_ns();
}

void fprof_end(void)
{
	fprof_cur = NULL;
}

void fprof_lap_on(int stage)
{
	uint64_t t = now_ns();

	if (stage >= 0 && stage < FP_NSTAGES) {
		fprof_cur->ns[stage] += (double)(t - fprof_cur->last);
		fprof_cur->n[stage]++;
	}
	fprof_cur->last = t;
}

const char *fprof_name(int stage)
{
	static const char *const names[FP_NSTAGES] = {
		"sha256", "decode", "flatten", "colour detail", "colour grid", "gray", "measure", "phash",
		"dhash", "whash", "pyramid", "fast", "harris", "nms+spread", "integral",
		"angle", "descriptors", "kp sort", "pack", "json+base64", "other",
	};

	return stage >= 0 && stage < FP_NSTAGES ? names[stage] : "?";
}
