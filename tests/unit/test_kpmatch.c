/* test_kpmatch.c — kp_match gives the same answer with its AVX2 and its AVX-512 passes
 * (the nearest neighbours, lanes merged; RANSAC's hypotheses and inlier counts, four or
 * eight at a time, with the early stop, over the matches reordered with the best's
 * outliers first, which the plain pass does not do; the grid of inside_share) as with
 * the plain ones (AZD_KP_KERNEL=plain, avx2, avx512), the match count, the transform and
 * the contain share included: sets of many sizes (not multiples of four or eight),
 * copies turned, scaled and moved with bits of their descriptors turned, repeated and
 * nearly repeated descriptors (ties and close seconds, in one lane and across lanes),
 * strangers, and the keypoints of the example photos, whole, cut short, mirrored and
 * against each other.  And kp_shared (which reads only the cells of b's keypoints around
 * each place) against the whole of b read for every keypoint of a, as written out here,
 * and kp_shared_top's counts of the strongest few of each side, read in the same pass,
 * against the same reference on those few. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features.h"
#include "keypoints.h"
#include "splitmix.h"
#include "unit.h"

static uint64_t seed = 0x6b706d61746368ULL;
/* descriptors with one bit in sixteen set: nearer the all-zero padding past the end of
 * a vector's lanes than to each other, so a padded lane that counted would win */
static int sparse;
/* how far (pixels) a copy's keypoints stray: past the inlier tolerance some hypotheses
 * count all matches and some all but one, so where RANSAC stops shows */
static double jitter = 1;

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
			s->kp[i].d[b] = (uint8_t)(sparse ? splitmix64(&seed) & splitmix64(&seed) &
			    splitmix64(&seed) & splitmix64(&seed) : splitmix64(&seed));
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
		b->kp[i].x = (float)(sc * (cos(ang) * x - sin(ang) * y) + b->w / 2.0 + jitter * unit01());
		b->kp[i].y = (float)(sc * (sin(ang) * x + cos(ang) * y) + b->h / 2.0 + jitter * unit01());
		for (int f = 0; f < flip; f++)
			b->kp[i].d[splitmix64(&seed) % 32] ^= (uint8_t)(1u << (splitmix64(&seed) % 8));
	}
	for (int i = 0; b->kp != NULL && i < extra; i++)
		b->kp[keep + i] = e.kp[i];
	kp_free(&e);
}

static const char *const kernels[] = { "avx2", "avx512" };
static int have[2];
static int compared[2];
static int shared_checked, shared_agreeing;
/* matches where b's strongest repeat fewer of a's strongest than all of b does */
static int shared_top_checked;

/* kp_shared's count one way, every keypoint of b tried for each of a (keypoints.c's
 * BORDER is 16) */
static void ref_shared_one(const struct kp_set *a, const struct kp_set *b, const double z[4],
    double tol, int *in, int *rep, int *mid, int *mid_dead)
{
	double lo = 16, hx = b->w - 1 - 16, hy = b->h - 1 - 16;
	int has[4] = { 0 }, got[4] = { 0 };

	*in = *rep = 0;
	for (int i = 0; i < a->n; i++) {
		double x = z[0] * a->kp[i].x - z[1] * a->kp[i].y + z[2];
		double y = z[1] * a->kp[i].x + z[0] * a->kp[i].y + z[3];
		int cx = a->w > 0 ? (int)(a->kp[i].x * 4 / a->w) - 1 : -1;
		int cy = a->h > 0 ? (int)(a->kp[i].y * 4 / a->h) - 1 : -1;
		int c = cx >= 0 && cx < 2 && cy >= 0 && cy < 2 ? 2 * cy + cx : -1, hit = 0;

		if (x < lo || y < lo || x > hx || y > hy)
			continue;
		(*in)++;
		has[c >= 0 ? c : 0] += c >= 0;
		for (int j = 0; j < b->n && !hit; j++) {
			double dx = b->kp[j].x - x, dy = b->kp[j].y - y;

			hit = dx * dx + dy * dy <= tol * tol &&
			    kp_distance(a->kp[i].d, b->kp[j].d) <= KP_MATCH_MAX;
		}
		*rep += hit;
		got[c >= 0 ? c : 0] += c >= 0 && hit;
	}
	for (int c = 0; c < 4; c++) {
		*mid += has[c] >= KP_CELL_MIN;
		*mid_dead += has[c] >= KP_CELL_MIN && got[c] == 0;
	}
}

/* kp_shared on m (a match of a and b) against the reference: 1 when they agree */
static int shared_ok(const struct kp_set *a, const struct kp_set *b, struct kp_match m)
{
	struct kp_match r = m;
	double s2 = m.z[0] * m.z[0] + m.z[1] * m.z[1], w[4];
	int ia, ra, ib, rb;

	if (m.inliers <= 0)
		return 1;
	kp_shared(a, b, &m);
	w[0] = m.z[0] / s2;
	w[1] = -m.z[1] / s2;
	w[2] = -(w[0] * m.z[2] - w[1] * m.z[3]);
	w[3] = -(w[1] * m.z[2] + w[0] * m.z[3]);
	r.mid = r.mid_dead = 0;
	ref_shared_one(a, b, m.z, m.tol, &ia, &ra, &r.mid, &r.mid_dead);
	ref_shared_one(b, a, w, m.tol / sqrt(s2), &ib, &rb, &r.mid, &r.mid_dead);
	r.shared = ia <= ib ? ia : ib;
	r.agree = ia <= ib ? ra : rb;
	shared_checked++;
	shared_agreeing += r.agree > 0;
	if (m.shared != r.shared || m.agree != r.agree || m.mid != r.mid ||
	    m.mid_dead != r.mid_dead) {
		fprintf(stderr, "kp_shared: shared %d agree %d mid %d dead %d, every keypoint "
		    "tried: %d %d %d %d\n", m.shared, m.agree, m.mid, m.mid_dead, r.shared,
		    r.agree, r.mid, r.mid_dead);
		return 0;
	}
	/* kp_shared_top: the same counts, and in the same pass those of the strongest n0 of
	 * each side (views of their first n0) against each other; and with b's keypoints in
	 * the opposite order, where a's strongest find their partners among b's weakest */
	for (int order = 0; order < 2; order++) {
		struct kp_set bo = *b;

		if (order == 1) {
			if ((bo.kp = malloc((size_t)(b->n ? b->n : 1) * sizeof *bo.kp)) == NULL)
				return 0;
			for (int j = 0; j < b->n; j++)
				bo.kp[j] = b->kp[b->n - 1 - j];
		}
		for (int n0 = 7; n0 <= 64; n0 *= 9) {
			struct kp_set va = *a, vb = bo;
			struct kp_match t = m;
			int dm = 0, dd = 0, ok;

			va.n = a->n < n0 ? a->n : n0;
			vb.n = bo.n < n0 ? bo.n : n0;
			kp_shared_top(a, &bo, n0, &t);
			ref_shared_one(&va, &vb, m.z, m.tol, &ia, &ra, &dm, &dd);
			ref_shared_one(&vb, &va, w, m.tol / sqrt(s2), &ib, &rb, &dm, &dd);
			ok = t.shared == r.shared && t.agree == r.agree &&
			    t.shared0 == (ia <= ib ? ia : ib) && t.agree0 == (ia <= ib ? ra : rb) &&
			    (order == 1 || (t.mid == r.mid && t.mid_dead == r.mid_dead));
			shared_top_checked += order == 1 && t.agree0 < t.agree;
			if (!ok) {
				fprintf(stderr, "kp_shared_top(%d)%s: shared %d agree %d, strongest "
				    "%d %d; every keypoint tried: %d %d, strongest %d %d\n", n0,
				    order ? " (b reversed)" : "", t.shared, t.agree, t.shared0,
				    t.agree0, r.shared, r.agree, ia <= ib ? ia : ib, ia <= ib ? ra : rb);
				if (order == 1)
					free(bo.kp);
				return 0;
			}
		}
		if (order == 1)
			free(bo.kp);
	}
	return 1;
}

/* Partners that stray about the tolerance: b's keypoints are a's through a transform,
 * each moved by up to 1.6 tolerances in any direction (every fifth by the tolerance
 * itself along a side), so which of them count turns on their distance alone.  kp_shared
 * reads only the cells of b around each place: those must hold every partner within the
 * tolerance, whatever its size against the picture's (from a third of a pixel to a
 * tenth of the side). */
static void near_tolerance(void)
{
	for (int t = 0; t < 12; t++) {
		struct kp_set a, b;
		struct kp_match m;
		double sc = t % 2 ? 0.9 : 1, ang = t % 2 ? 0.4 : 0, tol = 0.3 + 1.7 * t;

		memset(&m, 0, sizeof m);
		random_set(&a, 300, 200 + 61 * t, 150 + 97 * t);
		m.z[0] = sc * cos(ang);
		m.z[1] = sc * sin(ang);
		m.z[2] = t % 2 ? 60 : 0;
		m.z[3] = t % 2 ? -20 : 0;
		m.tol = tol;
		m.inliers = 1;
		b.w = (int)(a.w * sc) + 40;
		b.h = (int)(a.h * sc) + 80;
		b.n = a.n;
		b.kp = calloc((size_t)(a.n > 0 ? a.n : 1), sizeof *b.kp);
		CHECK(a.kp != NULL && b.kp != NULL);
		for (int i = 0; a.kp != NULL && b.kp != NULL && i < a.n; i++) {
			double x = m.z[0] * a.kp[i].x - m.z[1] * a.kp[i].y + m.z[2];
			double y = m.z[1] * a.kp[i].x + m.z[0] * a.kp[i].y + m.z[3];
			double r = i % 5 == 0 ? tol : 1.6 * tol * unit01(), d = 2 * M_PI * unit01();

			b.kp[i] = a.kp[i];
			b.kp[i].x = (float)(i % 5 == 0 ? x + r : x + r * cos(d));
			b.kp[i].y = (float)(i % 5 == 0 ? y : y + r * sin(d));
		}
		if (a.kp != NULL && b.kp != NULL)
			CHECK(shared_ok(&a, &b, m));
		kp_free(&a);
		kp_free(&b);
	}
}

/* kp_match(a, b) with each kernel this CPU has against the plain one: 1 when all agree */
static int same_all(const struct kp_set *a, const struct kp_set *b)
{
	struct kp_match x, y;
	int ok = 1;

	setenv("AZD_KP_KERNEL", "plain", 1);
	if (kp_match(a, b, &x) != 0 || !shared_ok(a, b, x))
		ok = 0;
	for (int k = 0; k < 2; k++) {
		if (!have[k])
			continue;
		setenv("AZD_KP_KERNEL", kernels[k], 1);
		/* kp_shared too: its popcount-instruction build against the reference */
		if (kp_match(a, b, &y) != 0 || !shared_ok(a, b, y) ||
		    x.matches != y.matches || x.inliers != y.inliers ||
		    x.scale != y.scale || x.angle_deg != y.angle_deg || x.cover != y.cover ||
		    x.contain != y.contain || memcmp(x.z, y.z, sizeof x.z) != 0 || x.tol != y.tol) {
			fprintf(stderr, "%s differs from plain: %d x %d keypoints, matches %d %d, "
			    "inliers %d %d\n", kernels[k], a->n, b->n, x.matches, y.matches,
			    x.inliers, y.inliers);
			ok = 0;
		}
		compared[k]++;
	}
	unsetenv("AZD_KP_KERNEL");
	return ok;
}

/* The example photos' keypoints, each whole and cut to sizes that are no multiple of
 * four or eight, against itself, its mirror and the others. */
static void real_sets(void)
{
	static const int cuts[] = { 2, 3, 5, 9, 13, 31, 61, 100, 203 };
	struct kp_set set[16];
	int n = 0, found = 0;
	DIR *d = opendir("examples/photos");
	struct dirent *e;

	CHECK(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL && n < 16) {
		char path[512];
		struct img *im = NULL;
		aderr err = {0};

		if (e->d_name[0] == '.' || strstr(e->d_name, ".md") != NULL)
			continue;
		snprintf(path, sizeof path, "examples/photos/%s", e->d_name);
		if (feat_work_gray(path, &im, &err) != 0)
			continue;
		if (kp_detect(im, KP_DEFAULT, &set[n]) == 0)
			n++;
		img_free(im);
	}
	if (d != NULL)
		closedir(d);
	CHECK(n >= 8);
	for (int i = 0; i < n; i++) {
		struct kp_set mir, cut;
		struct kp_match m;

		CHECK(same_all(&set[i], &set[i]));
		if (kp_mirror(&set[i], &mir) == 0) {
			CHECK(same_all(&mir, &set[i]));
			kp_free(&mir);
		}
		for (int j = 0; j < n; j++)
			if (j != i)
				CHECK(same_all(&set[i], &set[j]));
		/* a cut set is the strongest keypoints, a prefix of the whole */
		for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
			cut = set[i];
			cut.n = cuts[c] < set[i].n ? cuts[c] : set[i].n;
			CHECK(same_all(&cut, &set[i]));
			CHECK(same_all(&set[i], &cut));
			CHECK(same_all(&cut, &set[(i + 1) % n]));
			if (kp_match(&cut, &set[i], &m) == 0 && m.inliers >= 8)
				found++;
		}
	}
	fprintf(stderr, "example photos: %d sets, %d cut copies found\n", n, found);
	CHECK(found >= n);
	for (int i = 0; i < n; i++)
		kp_free(&set[i]);
}

/* random sets of every pair of sizes: a against its copy, the copy against a, a against a
 * stranger and against itself; how many copies were found */
static int random_sets(void)
{
	static const int sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 40, 63, 100, 256, 257 };
	int found = 0;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
			struct kp_set a, b, c;
			struct kp_match m;

			random_set(&a, sizes[i], 320, 427);
			copy_set(&b, &a, 0.3 * (double)j, 0.5 + 0.25 * (double)(j % 5), (int)(j % 12),
			    sizes[j] < sizes[i] ? sizes[j] : sizes[i], sizes[j] / 3);
			random_set(&c, sizes[j], 400, 300);
			CHECK(a.kp != NULL && b.kp != NULL && c.kp != NULL);
			CHECK(same_all(&a, &b));
			CHECK(same_all(&b, &a));
			CHECK(same_all(&a, &c));
			CHECK(same_all(&a, &a));
			if (kp_match(&a, &b, &m) == 0 && m.inliers >= 8)
				found++;
			kp_free(&a);
			kp_free(&b);
			kp_free(&c);
		}
	return found;
}

/* A copy that lies on its original (half size, its keypoints a pixel off at most):
 * the transform is the plain scaling, exactly, on every kernel; a copy turned by a
 * degree keeps its turn. */
static void aligned_sets(void)
{
	struct kp_set a, b, c;
	struct kp_match m;

	random_set(&a, 300, 512, 384);
	copy_set(&b, &a, 0, 0.5, 0, 300, 0);
	copy_set(&c, &a, 0.0175, 1, 0, 300, 0);
	for (int k = -1; k < 2; k++) {
		if (k >= 0 && !have[k])
			continue;
		setenv("AZD_KP_KERNEL", k < 0 ? "plain" : kernels[k], 1);
		CHECK_EQ_INT(kp_match(&a, &b, &m), 0);
		CHECK(m.inliers >= 200 && m.inliers == m.matches);
		CHECK(m.z[0] == 0.5 && m.z[1] == 0 && m.z[2] == 0 && m.z[3] == 0);
		CHECK_EQ_INT(kp_match(&a, &c, &m), 0);
		CHECK(m.inliers >= 200 && m.inliers == m.matches);
		CHECK(fabs(m.angle_deg - 1) < 0.2);
	}
	unsetenv("AZD_KP_KERNEL");
	kp_free(&a);
	kp_free(&b);
	kp_free(&c);
}

int main(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	have[0] = __builtin_cpu_supports("avx2");
	have[1] = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
#endif
	if (!have[0])
		SKIP("no AVX2 on this CPU: the AVX2 passes are not compared");
	if (!have[1])
		SKIP("no AVX-512 on this CPU: the AVX-512 passes are not compared");
	/* each kernel asked for is the one that runs (not plain against plain) */
	setenv("AZD_KP_KERNEL", "plain", 1);
	CHECK_STR(kp_kernel_name(), "plain");
	for (int k = 0; k < 2; k++) {
		setenv("AZD_KP_KERNEL", kernels[k], 1);
		if (have[k])
			CHECK_STR(kp_kernel_name(), kernels[k]);
	}
	unsetenv("AZD_KP_KERNEL");
	CHECK_STR(kp_kernel_name(), have[1] ? "avx512" : have[0] ? "avx2" : "plain");
	/* the copies are found at all (the comparison is not between two empty answers) */
	CHECK(random_sets() >= 40);
	jitter = 6;
	CHECK(random_sets() >= 20);
	jitter = 1;
	sparse = 1;
	CHECK(random_sets() >= 40);
	real_sets();
	aligned_sets();
	near_tolerance();
	fprintf(stderr, "compared with plain: avx2 %d, avx512 %d\n", compared[0], compared[1]);
	/* kp_shared was tried on many matches, and on ones where keypoints agree */
	fprintf(stderr, "kp_shared against every keypoint tried: %d matches, %d agreeing\n",
	    shared_checked, shared_agreeing);
	CHECK(shared_checked >= 100 && shared_agreeing >= 50);
	/* and kp_shared_top where a's strongest find partners past b's strongest */
	fprintf(stderr, "kp_shared_top, b reversed, fewer repeated among b's strongest: %d\n",
	    shared_top_checked);
	CHECK(shared_top_checked >= 20);
	return unit_done();
}
