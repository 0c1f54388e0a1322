/* test_kpmatch.c — kp_match gives the same answer with its AVX-512 passes (the nearest
 * neighbours, four keypoints at a time, lanes merged; RANSAC's hypotheses and inlier
 * counts, eight at a time, with the early stop; the grid of inside_share) as with the
 * plain ones (AZD_KP_KERNEL=plain), the transform and the contain share included: sets of many sizes (not multiples of eight),
 * copies turned, scaled and moved with bits of their descriptors turned, repeated and
 * nearly repeated descriptors (ties and close seconds, in one lane and across lanes),
 * and strangers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keypoints.h"
#include "splitmix.h"
#include "unit.h"

static uint64_t seed = 0x6b706d61746368ULL;

static double unit01(void)
{
	return (double)(splitmix64(&seed) >> 11) / 9007199254740992.0;
}

static void random_set(struct kp_set *s, int n, int w, int h)
{
	s->w = w;
	s->h = h;
	s->n = n;
	s->kp = calloc((size_t)(n ? n : 1), sizeof *s->kp);
	for (int i = 0; s->kp != NULL && i < n; i++) {
		s->kp[i].x = (float)(unit01() * (w - 1));
		s->kp[i].y = (float)(unit01() * (h - 1));
		for (int b = 0; b < 32; b++)
			s->kp[i].d[b] = (uint8_t)splitmix64(&seed);
		/* some descriptors repeated: ties for the nearest and the second best */
		if (i > 0 && i % 7 == 3)
			memcpy(s->kp[i].d, s->kp[i - 1].d, 32);
		/* and some nearly repeated eight places on (the same AVX-512 lane): a nearest and
		 * a close second in one lane */
		if (i >= 8 && i % 8 == 5) {
			memcpy(s->kp[i].d, s->kp[i - 8].d, 32);
			s->kp[i].d[splitmix64(&seed) % 32] ^= 0x11;
		}
	}
}

/* b: a seen turned by ang, scaled by sc, moved, with flip bits of each descriptor turned,
 * keep of its keypoints and extra of its own */
static void copy_set(struct kp_set *b, const struct kp_set *a, double ang, double sc, int flip,
    int keep, int extra)
{
	struct kp_set e;

	random_set(&e, extra, a->w, a->h);
	b->w = (int)(a->w * sc);
	b->h = (int)(a->h * sc);
	b->n = keep + extra;
	b->kp = calloc((size_t)(b->n ? b->n : 1), sizeof *b->kp);
	for (int i = 0; b->kp != NULL && i < keep; i++) {
		const struct kp *p = &a->kp[i % a->n];
		double x = p->x - a->w / 2.0, y = p->y - a->h / 2.0;

		b->kp[i] = *p;
		b->kp[i].x = (float)(sc * (cos(ang) * x - sin(ang) * y) + b->w / 2.0 + unit01());
		b->kp[i].y = (float)(sc * (sin(ang) * x + cos(ang) * y) + b->h / 2.0 + unit01());
		for (int f = 0; f < flip; f++)
			b->kp[i].d[splitmix64(&seed) % 32] ^= (uint8_t)(1u << (splitmix64(&seed) % 8));
	}
	for (int i = 0; b->kp != NULL && i < extra; i++)
		b->kp[keep + i] = e.kp[i];
	kp_free(&e);
}

static int same_both_ways(const struct kp_set *a, const struct kp_set *b)
{
	struct kp_match x, y;
	int rx, ry;

	setenv("AZD_KP_KERNEL", "plain", 1);
	rx = kp_match(a, b, &x);
	unsetenv("AZD_KP_KERNEL");
	ry = kp_match(a, b, &y);
	return rx == 0 && ry == 0 && x.matches == y.matches && x.inliers == y.inliers &&
	    x.scale == y.scale && x.angle_deg == y.angle_deg && x.cover == y.cover &&
	    x.contain == y.contain && memcmp(x.z, y.z, sizeof x.z) == 0 && x.tol == y.tol;
}

int main(void)
{
	static const int sizes[] = { 2, 3, 7, 8, 9, 15, 16, 17, 40, 63, 100, 256, 257 };
	int wide = 0, found = 0;

#if defined(__x86_64__) && defined(__GNUC__)
	wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
#endif
	if (!wide)
		SKIP("no AVX-512 on this CPU: only the plain passes run");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j += 2) {
			struct kp_set a, b, c;
			struct kp_match m;

			random_set(&a, sizes[i], 320, 427);
			copy_set(&b, &a, 0.3 * (double)j, 0.5 + 0.25 * (double)(j % 5), (int)(j % 12),
			    sizes[j] < sizes[i] ? sizes[j] : sizes[i], sizes[j] / 3);
			random_set(&c, sizes[j], 400, 300);
			CHECK(a.kp != NULL && b.kp != NULL && c.kp != NULL);
			CHECK(same_both_ways(&a, &b));
			CHECK(same_both_ways(&b, &a));
			CHECK(same_both_ways(&a, &c));
			CHECK(same_both_ways(&a, &a));
			if (kp_match(&a, &b, &m) == 0 && m.inliers >= 8)
				found++;
			kp_free(&a);
			kp_free(&b);
			kp_free(&c);
		}
	/* the copies are found at all (the comparison is not between two empty answers) */
	CHECK(found >= 20);
	return unit_done();
}
