/* hamming.cu — every pair of 64-bit hashes within a Hamming radius, by comparing all of
 * them on the GPU; lib/match/mih.c (and group.c's turned_pairs for the orientation variants)
 * is the reference, and the output is the same list in the same order.
 *
 * One thread per row hash i, a block per TILE consecutive rows; the block walks the
 * column hashes j >= its first row through shared memory, TILE at a time, and keeps
 * j > i within r.  Hits go to a device buffer of packed (i << 32 | j) keys through one
 * atomic add per warp and step.  Rows are done in chunks of about equal work; when a
 * chunk finds more pairs than the buffer holds (the counter keeps counting past the
 * end), the buffer grows to fit and the chunk runs again, or, when memory is short, the
 * chunk is halved.  Each chunk's keys are radix-sorted on the device: chunks come in row
 * order, so the concatenation is sorted by (i, j). */
#include <cuda_runtime.h>
#include <cub/device/device_radix_sort.cuh>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "../lib/base/err.h"
}
#include "azk.h"

#define TILE 256

/* Appends (i, j) for the lanes with hit set; every lane of the warp must call it. */
__device__ static void emit(bool hit, unsigned i, unsigned j, unsigned long long *out,
    unsigned long long cap, unsigned long long *count)
{
	unsigned mask = __ballot_sync(0xffffffffu, hit);
	int lane = threadIdx.x & 31;
	unsigned long long base = 0;

	if (mask == 0)
		return;
	if (lane == __ffs(mask) - 1)
		base = atomicAdd(count, (unsigned long long)__popc(mask));
	base = __shfl_sync(0xffffffffu, base, __ffs(mask) - 1);
	if (hit) {
		unsigned long long at = base + __popc(mask & ((1u << lane) - 1));

		if (at < cap)
			out[at] = (unsigned long long)i << 32 | j;
	}
}

__global__ void __launch_bounds__(TILE)
pairs1_kernel(const unsigned long long *h, unsigned n, unsigned i0, unsigned i1, int r,
    unsigned long long *out, unsigned long long cap, unsigned long long *count)
{
	__shared__ unsigned long long tile[TILE];
	unsigned first = i0 + blockIdx.x * TILE, i = first + threadIdx.x;
	bool live = i < i1;
	unsigned long long hi = live ? h[i] : 0;

	for (unsigned j0 = first; j0 < n; j0 += TILE) {
		unsigned m = n - j0 < TILE ? n - j0 : TILE;

		__syncthreads();
		if (threadIdx.x < m)
			tile[threadIdx.x] = h[j0 + threadIdx.x];
		__syncthreads();
		for (unsigned k = 0; k < m; k++) {
			unsigned j = j0 + k;

			emit(live && j > i && __popcll(hi ^ tile[k]) <= r, i, j, out, cap, count);
		}
	}
}

#define TILE8 128

__global__ void __launch_bounds__(TILE8)
pairs8_kernel(const unsigned long long *v, unsigned n, unsigned i0, unsigned i1, int r,
    unsigned long long *out, unsigned long long cap, unsigned long long *count)
{
	__shared__ unsigned long long tile[TILE8][8];
	unsigned first = i0 + blockIdx.x * TILE8, i = first + threadIdx.x;
	bool live = i < i1;
	unsigned long long hi[8];

	for (int k = 0; k < 8; k++)
		hi[k] = live ? v[(size_t)i * 8 + k] : 0;
	for (unsigned j0 = first; j0 < n; j0 += TILE8) {
		unsigned m = n - j0 < TILE8 ? n - j0 : TILE8;

		__syncthreads();
		for (unsigned p = threadIdx.x; p < m * 8; p += TILE8)
			tile[p >> 3][p & 7] = v[(size_t)j0 * 8 + p];
		__syncthreads();
		for (unsigned c = 0; c < m; c++) {
			unsigned j = j0 + c;
			int d = 64;

			/* own hash against each variant of the other, and the other way round */
			for (int k = 0; k < 8; k++) {
				int a = __popcll(hi[0] ^ tile[c][k]), b = __popcll(hi[k] ^ tile[c][0]);

				d = min(d, min(a, b));
			}
			emit(live && j > i && d <= r, i, j, out, cap, count);
		}
	}
}

struct run {
	const unsigned long long *d_h;
	unsigned n;
	int nv, r;
	unsigned long long *d_out, *d_sorted, *d_count, cap;
	void *d_tmp;
	size_t tmp_bytes;
	unsigned long long *res;        /* host, sorted keys so far */
	size_t nres, capres;
	char *msg;
};

static int fail(char *msg, const char *what, cudaError_t e)
{
	snprintf(msg, AZK_MSG, "%s: %s", what, cudaGetErrorString(e));
	return e == cudaErrorMemoryAllocation ? AD_ENOMEM : AD_EIO;
}

static void free_buffers(struct run *u)
{
	cudaFree(u->d_out);
	cudaFree(u->d_sorted);
	cudaFree(u->d_tmp);
	u->d_out = u->d_sorted = NULL;
	u->d_tmp = NULL;
	u->cap = 0;
	u->tmp_bytes = 0;
}

/* A pair buffer of cap keys, its sort twin and the sort's scratch. */
static cudaError_t alloc_buffers(struct run *u, unsigned long long cap)
{
	cudaError_t e;
	size_t tb = 0;

	free_buffers(u);
	if ((e = cudaMalloc((void **)&u->d_out, cap * sizeof *u->d_out)) != cudaSuccess ||
	    (e = cudaMalloc((void **)&u->d_sorted, cap * sizeof *u->d_sorted)) != cudaSuccess ||
	    (e = cub::DeviceRadixSort::SortKeys(NULL, tb, u->d_out, u->d_sorted, (int64_t)cap)) != cudaSuccess ||
	    (e = cudaMalloc(&u->d_tmp, tb)) != cudaSuccess) {
		free_buffers(u);
		cudaGetLastError();     /* an allocation failure is not sticky; clear it */
		return e;
	}
	u->cap = cap;
	u->tmp_bytes = tb;
	return cudaSuccess;
}

/* Rows [a, b): 1 when the buffer was too small (then *need is the pair count), 0 when
 * the chunk's sorted pairs were appended, or a negative AD_E* code. */
static int chunk(struct run *u, unsigned a, unsigned b, unsigned long long *need)
{
	unsigned long long cnt = 0;
	int t = u->nv == 1 ? TILE : TILE8;
	unsigned blocks = (b - a + t - 1) / t;
	cudaError_t e;

	if ((e = cudaMemset(u->d_count, 0, sizeof *u->d_count)) != cudaSuccess)
		return fail(u->msg, "clearing the pair counter", e);
	if (u->nv == 1)
		pairs1_kernel<<<blocks, TILE>>>(u->d_h, u->n, a, b, u->r, u->d_out, u->cap, u->d_count);
	else
		pairs8_kernel<<<blocks, TILE8>>>(u->d_h, u->n, a, b, u->r, u->d_out, u->cap, u->d_count);
	if ((e = cudaGetLastError()) != cudaSuccess ||
	    (e = cudaMemcpy(&cnt, u->d_count, sizeof cnt, cudaMemcpyDeviceToHost)) != cudaSuccess)
		return fail(u->msg, "Hamming search kernel", e);
	if (cnt > u->cap) {
		*need = cnt;
		return 1;
	}
	if (cnt == 0)
		return 0;
	size_t tb = u->tmp_bytes;

	if ((e = cub::DeviceRadixSort::SortKeys(u->d_tmp, tb, u->d_out, u->d_sorted, (int64_t)cnt)) != cudaSuccess)
		return fail(u->msg, "sorting pairs", e);
	if (u->nres + cnt > u->capres) {
		size_t nc = u->capres ? u->capres : 1024;
		unsigned long long *p;

		while (nc < u->nres + cnt)
			nc *= 2;
		p = (unsigned long long *)realloc(u->res, nc * sizeof *p);
		if (p == NULL) {
			snprintf(u->msg, AZK_MSG, "out of memory collecting %zu pairs", (size_t)(u->nres + cnt));
			return AD_ENOMEM;
		}
		u->res = p;
		u->capres = nc;
	}
	if ((e = cudaMemcpy(u->res + u->nres, u->d_sorted, cnt * sizeof *u->res,
	    cudaMemcpyDeviceToHost)) != cudaSuccess)
		return fail(u->msg, "copying pairs from the GPU", e);
	u->nres += cnt;
	return 0;
}

/* Rows [a, b), growing the buffer or splitting the range when the pairs do not fit. */
static int rows(struct run *u, unsigned a, unsigned b)
{
	unsigned long long need = 0;
	int rc = chunk(u, a, b, &need);

	if (rc <= 0)
		return rc;
	if (alloc_buffers(u, need + need / 4) == cudaSuccess)
		return (rc = chunk(u, a, b, &need)) <= 0 ? rc : rows(u, a, b);
	if (b - a <= 1 || alloc_buffers(u, 1ull << 20) != cudaSuccess) {
		snprintf(u->msg, AZK_MSG, "GPU memory too small for the %llu pairs of one row range", need);
		return AD_ENOMEM;
	}
	rc = rows(u, a, a + (b - a) / 2);
	return rc < 0 ? rc : rows(u, a + (b - a) / 2, b);
}

extern "C" int azk_pairs(const uint64_t *codes, size_t n, int nv, int r, uint32_t **pairs,
    size_t *npairs, char *msg)
{
	struct run u;
	unsigned long long *d_h = NULL;
	cudaError_t e;
	int rc = 0;

	memset(&u, 0, sizeof u);
	*pairs = NULL;
	*npairs = 0;
	if (n >= 0x7fffffffu) {       /* keeps the kernels' unsigned column walk from wrapping */
		snprintf(msg, AZK_MSG, "too many hashes for one search (%zu)", n);
		return AD_ETOOBIG;
	}
	if (n < 2)
		return (*pairs = (uint32_t *)malloc(8)) ? 0 : AD_ENOMEM;
	u.n = (unsigned)n;
	u.nv = nv;
	u.r = r < 0 ? 0 : r;
	u.msg = msg;
	if ((e = cudaMalloc((void **)&d_h, n * nv * sizeof *d_h)) != cudaSuccess ||
	    (e = cudaMemcpy(d_h, codes, n * nv * sizeof *d_h, cudaMemcpyHostToDevice)) != cudaSuccess ||
	    (e = cudaMalloc((void **)&u.d_count, sizeof *u.d_count)) != cudaSuccess ||
	    (e = alloc_buffers(&u, 1ull << 24)) != cudaSuccess) {
		rc = fail(msg, "preparing the Hamming search", e);
		goto out;
	}
	u.d_h = d_h;
	/* chunks of about 2^33 comparisons (a few tenths of a second), whole tiles */
	for (size_t a = 0; a < n && rc == 0;) {
		size_t left = n - a, rowsn = ((size_t)1 << 33) / (left * (size_t)nv) + 1, b;

		rowsn = (rowsn + TILE - 1) / TILE * TILE;
		b = a + rowsn < n ? a + rowsn : n;
		rc = rows(&u, (unsigned)a, (unsigned)b);
		a = b;
	}
	if (rc == 0) {
		uint32_t *p = (uint32_t *)malloc((u.nres ? u.nres : 1) * 2 * sizeof *p);

		if (p == NULL) {
			snprintf(msg, AZK_MSG, "out of memory collecting %zu pairs", u.nres);
			rc = AD_ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < u.nres; k++) {
			p[2 * k] = (uint32_t)(u.res[k] >> 32);
			p[2 * k + 1] = (uint32_t)u.res[k];
		}
		*pairs = p;
		*npairs = u.nres;
	}
out:
	free(u.res);
	free_buffers(&u);
	cudaFree(u.d_count);
	cudaFree(d_h);
	return rc;
}
