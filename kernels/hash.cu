/* hash.cu — phash (all 8 orientations), dhash and whash of a batch of gray images, one
 * thread block per image; lib/features/hash.c and lib/image/image.c's img_resize are the reference.
 *
 * The kernel starts from the gray working image, not from CPU-made thumbnails: it does
 * img_resize's area average itself, computing each output pixel's taps with the same
 * double-precision formulas as image.c's taps_make and accumulating in float in the
 * same order (horizontal sum per input row, then the vertical sum, + 0.5, truncate), so
 * the 32x32, 9x8 and 64x64 thumbnails are the CPU's bytes.  The DCT sums in double in
 * hash.c's order with a cosine table computed on the host by the same expression (the
 * device's cos may differ in the last bit).  Every multiply and add that matters is
 * written with the _rn intrinsics, which nvcc never fuses into an FMA, and the file is
 * compiled with -fmad=false besides.  Medians come from ranks (count smaller and
 * not-greater elements) instead of a sort, which picks the same two middle values. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "../lib/base/err.h"
}
#include "azk.h"

#define THREADS 256

__constant__ double c_cosk[8 * 32];

/* One output pixel of img_resize(src, dw, dh) at (x, y). */
struct taps {
	int start, count;
	float w[2];             /* only for the bilinear case */
	double x0, x1, scale;   /* for the box case */
	int box;
};

/* Mirrors taps_make for output i of a src -> dst axis; box weights are made on the fly
 * by tap_box below (the same expression), the rest here. */
__device__ static void tap_setup(int src, int dst, int i, struct taps *t)
{
	double scale = (double)src / dst;

	t->scale = scale;
	t->box = 0;
	if (dst == src) {
		t->start = i;
		t->count = 1;
		t->w[0] = 1.0f;
	} else if (dst < src) {
		int maxn = (int)ceil(scale) + 1;
		double x0 = __dmul_rn((double)i, scale);
		double x1 = i == dst - 1 ? (double)src : __dmul_rn((double)(i + 1), scale);
		int j0 = (int)floor(x0), j1 = (int)ceil(x1), n = 0;

		if (j1 > src)
			j1 = src;
		/* count the accepted taps and move the start past skipped ones, as taps_make */
		for (int j = j0; j < j1 && n < maxn; j++) {
			double a = j > x0 ? j : x0, b = j + 1 < x1 ? j + 1 : x1;

			if (b > a)
				n++;
			else if (n == 0)
				j0++;
		}
		t->box = 1;
		t->x0 = x0;
		t->x1 = x1;
		t->start = j0;
		t->count = n;
	} else {
		double c = __dsub_rn(__dmul_rn((double)i + 0.5, scale), 0.5);
		int j;

		if (c < 0)
			c = 0;
		j = (int)floor(c);
		if (j >= src - 1) {
			t->start = src - 1;
			t->count = 1;
			t->w[0] = 1.0f;
		} else {
			t->start = j;
			t->count = 2;
			t->w[0] = (float)__dsub_rn(1.0, __dsub_rn(c, (double)j));
			t->w[1] = (float)__dsub_rn(c, (double)j);
		}
	}
}

/* Weight k of a tap: in the box case the k-th accepted input cell, which is cell
 * start + k (taps_make moves the start only before the first accepted cell). */
__device__ static float tap_w(const struct taps *t, int k)
{
	if (!t->box)
		return t->w[k];
	int j = t->start + k;
	double a = j > t->x0 ? j : t->x0, b = j + 1 < t->x1 ? j + 1 : t->x1;

	return (float)__ddiv_rn(__dsub_rn(b, a), t->scale);
}

__device__ static unsigned char resize_px(const unsigned char *px, int sw, int sh, int dw,
    int dh, int x, int y)
{
	struct taps tx, ty;
	float acc = 0;

	tap_setup(sw, dw, x, &tx);
	tap_setup(sh, dh, y, &ty);
	for (int ky = 0; ky < ty.count; ky++) {
		const unsigned char *row = px + (size_t)(ty.start + ky) * (size_t)sw + tx.start;
		float hs = 0;

		for (int kx = 0; kx < tx.count; kx++)
			hs = __fadd_rn(hs, __fmul_rn(tap_w(&tx, kx), (float)row[kx]));
		acc = __fadd_rn(acc, __fmul_rn(tap_w(&ty, ky), hs));
	}
	acc = __fadd_rn(acc, 0.5f);
	return acc <= 0 ? 0 : acc >= 255 ? 255 : (unsigned char)acc;
}

/* hash.c's op[] table: transpose, mirror rows (u), mirror columns (v). */
__constant__ int c_op[8][3] = {
	{ 0, 0, 0 }, { 0, 0, 1 }, { 0, 1, 1 }, { 0, 1, 0 },
	{ 1, 0, 0 }, { 1, 0, 1 }, { 1, 1, 1 }, { 1, 1, 0 },
};

/* Coefficient i of orientation k, as hash_phash_dihedral builds e[]. */
__device__ static double variant(const double *d, int k, int i)
{
	int u = i >> 3, v = i & 7;
	double c = c_op[k][0] ? d[v * 8 + u] : d[u * 8 + v];

	if ((c_op[k][1] && (u & 1)) != (c_op[k][2] && (v & 1)))
		c = -c;
	return c == 0 ? 0 : c;
}

__global__ void __launch_bounds__(THREADS)
hash_kernel(const unsigned char *px, const struct azk_meta *meta, unsigned long long *out)
{
	__shared__ unsigned char s32[32 * 32], s98[9 * 8], s64[64 * 64];
	__shared__ double t[8][32], d[64], med[8][2];
	__shared__ long long sum[64], smed[2];
	__shared__ unsigned char bits[10][64];
	const struct azk_meta m = meta[blockIdx.x];
	const unsigned char *im = px + m.off;
	int tid = threadIdx.x;

	/* the three thumbnails */
	for (int p = tid; p < 32 * 32 + 9 * 8 + 64 * 64; p += THREADS) {
		if (p < 32 * 32)
			s32[p] = resize_px(im, m.w, m.h, 32, 32, p % 32, p / 32);
		else if (p < 32 * 32 + 72)
			s98[p - 1024] = resize_px(im, m.w, m.h, 9, 8, (p - 1024) % 9, (p - 1024) / 9);
		else
			s64[p - 1096] = resize_px(im, m.w, m.h, 64, 64, (p - 1096) % 64, (p - 1096) / 64);
	}
	__syncthreads();

	/* DCT along axis 0 (down the columns), the 8 lowest frequencies; with 8x32 = THREADS
	 * outputs each thread does one, summing in hash.c's order */
	{
		int u = tid >> 5, n = tid & 31;
		double acc = 0;

		for (int i = 0; i < 32; i++)
			acc = __dadd_rn(acc, __dmul_rn(c_cosk[u * 32 + i], (double)s32[i * 32 + n]));
		t[u][n] = acc;
	}
	/* whash block sums meanwhile (integers: order does not matter) */
	if (tid < 64) {
		int by = tid >> 3, bx = tid & 7;
		long long acc = 0;

		for (int y = 0; y < 8; y++)
			for (int x = 0; x < 8; x++)
				acc += s64[(by * 8 + y) * 64 + bx * 8 + x];
		sum[tid] = acc;
	}
	__syncthreads();
	if (tid < 64) {
		int u = tid >> 3, v = tid & 7;
		double acc = 0;

		for (int n = 0; n < 32; n++)
			acc = __dadd_rn(acc, __dmul_rn(c_cosk[v * 32 + n], t[u][n]));
		if (fabs(acc) < 1e-6)
			acc = 0;
		d[tid] = acc;
	} else if (tid < 128) {
		/* whash: the two middle values of the sorted sums, by rank */
		int i = tid - 64, lt = 0, le = 0, before = 0;
		long long x = sum[i];

		for (int j = 0; j < 64; j++) {
			lt += sum[j] < x;
			le += sum[j] <= x;
			before += j < i && sum[j] == x;
		}
		if (before == 0)
			for (int q = 31; q <= 32; q++)
				if (lt <= q && q < le)
					smed[q - 31] = x;
	} else if (tid < 192) {
		int i = tid - 128, r = i >> 3, c = i & 7;

		bits[8][i] = s98[r * 9 + c + 1] > s98[r * 9 + c];
	}
	__syncthreads();

	/* the medians of the 8 orientation variants */
	for (int p = tid; p < 8 * 64; p += THREADS) {
		int k = p >> 6, i = p & 63, lt = 0, le = 0, before = 0;
		double x = variant(d, k, i);

		for (int j = 0; j < 64; j++) {
			double y = variant(d, k, j);

			lt += y < x;
			le += y <= x;
			before += j < i && y == x;
		}
		if (before == 0)
			for (int q = 31; q <= 32; q++)
				if (lt <= q && q < le)
					med[k][q - 31] = x;
	}
	if (tid < 64)
		bits[9][tid] = 2 * sum[tid] > smed[0] + smed[1];
	__syncthreads();
	for (int p = tid; p < 8 * 64; p += THREADS) {
		int k = p >> 6, i = p & 63;
		double md = __ddiv_rn(__dadd_rn(med[k][0], med[k][1]), 2.0);

		bits[k][i] = variant(d, k, i) > md;
	}
	__syncthreads();
	if (tid < AZK_HASH_WORDS) {
		unsigned long long h = 0;

		for (int i = 0; i < 64; i++)
			h = h << 1 | bits[tid][i];
		out[(size_t)blockIdx.x * AZK_HASH_WORDS + tid] = h;
	}
}

struct azk_hslot {
	int max_images;
	size_t max_bytes;
	cudaStream_t st;
	unsigned char *h_px, *d_px;
	struct azk_meta *h_meta, *d_meta;
	uint64_t *h_out;
	unsigned long long *d_out;
};

static int fail(char *msg, const char *what, cudaError_t e)
{
	snprintf(msg, AZK_MSG, "%s: %s", what, cudaGetErrorString(e));
	return e == cudaErrorMemoryAllocation ? AD_ENOMEM : AD_EIO;
}

extern "C" int azk_hash_set_cos(const double cosk[8 * 32], char *msg)
{
	cudaError_t e = cudaMemcpyToSymbol(c_cosk, cosk, 8 * 32 * sizeof *cosk);

	return e == cudaSuccess ? 0 : fail(msg, "copying the DCT table", e);
}

extern "C" void azk_hslot_free(struct azk_hslot *s)
{
	if (s == NULL)
		return;
	if (s->st)
		cudaStreamSynchronize(s->st);
	cudaFreeHost(s->h_px);
	cudaFreeHost(s->h_meta);
	cudaFreeHost(s->h_out);
	cudaFree(s->d_px);
	cudaFree(s->d_meta);
	cudaFree(s->d_out);
	if (s->st)
		cudaStreamDestroy(s->st);
	free(s);
}

extern "C" int azk_hslot_new(int max_images, size_t max_bytes, struct azk_hslot **out,
    char *msg)
{
	struct azk_hslot *s = (struct azk_hslot *)calloc(1, sizeof *s);
	size_t nm = (size_t)max_images * sizeof(struct azk_meta);
	size_t no = (size_t)max_images * AZK_HASH_WORDS * sizeof(uint64_t);
	cudaError_t e;

	*out = NULL;
	if (s == NULL) {
		snprintf(msg, AZK_MSG, "out of memory");
		return AD_ENOMEM;
	}
	s->max_images = max_images;
	s->max_bytes = max_bytes;
	if ((e = cudaStreamCreateWithFlags(&s->st, cudaStreamNonBlocking)) != cudaSuccess ||
	    (e = cudaHostAlloc((void **)&s->h_px, max_bytes, cudaHostAllocDefault)) != cudaSuccess ||
	    (e = cudaHostAlloc((void **)&s->h_meta, nm, cudaHostAllocDefault)) != cudaSuccess ||
	    (e = cudaHostAlloc((void **)&s->h_out, no, cudaHostAllocDefault)) != cudaSuccess ||
	    (e = cudaMalloc((void **)&s->d_px, max_bytes)) != cudaSuccess ||
	    (e = cudaMalloc((void **)&s->d_meta, nm)) != cudaSuccess ||
	    (e = cudaMalloc((void **)&s->d_out, no)) != cudaSuccess) {
		int rc = fail(msg, "allocating a hash batch", e);

		azk_hslot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

extern "C" void azk_hslot_host(struct azk_hslot *s, unsigned char **px, struct azk_meta **meta,
    uint64_t **out)
{
	*px = s->h_px;
	*meta = s->h_meta;
	*out = s->h_out;
}

extern "C" int azk_hslot_launch(struct azk_hslot *s, int n, size_t bytes, char *msg)
{
	cudaError_t e;

	if (n <= 0)
		return 0;
	if (n > s->max_images || bytes > s->max_bytes) {
		snprintf(msg, AZK_MSG, "hash batch over its buffers (%d images, %zu bytes)", n, bytes);
		return AD_EINTERNAL;
	}
	if ((e = cudaMemcpyAsync(s->d_px, s->h_px, bytes, cudaMemcpyHostToDevice, s->st)) != cudaSuccess ||
	    (e = cudaMemcpyAsync(s->d_meta, s->h_meta, (size_t)n * sizeof *s->h_meta,
	        cudaMemcpyHostToDevice, s->st)) != cudaSuccess)
		return fail(msg, "copying images to the GPU", e);
	hash_kernel<<<n, THREADS, 0, s->st>>>(s->d_px, s->d_meta, s->d_out);
	if ((e = cudaGetLastError()) != cudaSuccess)
		return fail(msg, "starting the hash kernel", e);
	e = cudaMemcpyAsync(s->h_out, s->d_out, (size_t)n * AZK_HASH_WORDS * sizeof *s->h_out,
	    cudaMemcpyDeviceToHost, s->st);
	return e == cudaSuccess ? 0 : fail(msg, "copying hashes from the GPU", e);
}

extern "C" int azk_hslot_wait(struct azk_hslot *s, char *msg)
{
	cudaError_t e = cudaStreamSynchronize(s->st);

	return e == cudaSuccess ? 0 : fail(msg, "hash kernel", e);
}
