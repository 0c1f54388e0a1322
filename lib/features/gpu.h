/* gpu.h — hashing and Hamming search on a CUDA GPU, with the CPU code as the reference.
 *
 * gpu_hash_batch gives the bits of hash_phash_dihedral, hash_dhash and hash_whash
 * (kernels/hash.cu); gpu_pairs and gpu_pairs8 give the pair lists of mih_pairs and of
 * dedupe --rotations (kernels/hamming.cu).  A gpu_batcher lets worker threads (featx's
 * filter callbacks) hand in one image each and wait for its hashes while a thread of its
 * own sends them to the GPU in batches.
 *
 * The CUDA code is a plugin (kernels/, azdedup-cuda.so) that gpu_open loads once, from
 * $AZDEDUP_CUDA_PLUGIN or ../lib/azdedup/ beside the executable; nothing else links the
 * CUDA runtime.  Built without CUDA (nvcc missing at build time) every function fails
 * with AD_EUNSUP and "built without CUDA (nvcc was not found at build time)"; on a
 * machine without a device or without the NVIDIA driver gpu_open fails with AD_EUNSUP
 * and a message starting "no CUDA device"; when the plugin (or the CUDA runtime it
 * needs) does not load, or CUDA fails otherwise, with AD_ECONFIG and the reason.
 *
 * Ownership: gpu_open's struct gpu is freed by gpu_close, after every batcher made from
 * it is freed.  The calls on one struct gpu are serialised by a lock inside it, so any
 * thread may make them; the batcher's calls are meant for many threads at once. */
#ifndef AZD_GPU_H
#define AZD_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "image.h"
#include "mih.h"

struct gpu;

/* The --device argument of featx and dedupe: "cpu" gives *device -1, "cuda" 0 and
 * "cuda:N" N.  0, or AD_EUSAGE with a message. */
int gpu_parse_device(const char *arg, int *device, aderr *err);

/* Opens CUDA device `device` (0 the first). */
int gpu_open(int device, struct gpu **out, aderr *err);
void gpu_close(struct gpu *g);
/* "NVIDIA H100 80GB HBM3 (sm_90, 81008 MiB)". */
const char *gpu_name(const struct gpu *g);

/* The hashes of n gray (ch 1) images: phash8[i] as hash_phash_dihedral, dhash[i] and
 * whash[i] as hash_dhash and hash_whash.  Any of the three outputs may be NULL.  An
 * image bigger than a batch buffer (32 MiB of pixels) is hashed on the CPU. */
int gpu_hash_batch(struct gpu *g, const struct img *const *grays, int n,
    uint64_t (*phash8)[8], uint64_t *dhash, uint64_t *whash, aderr *err);

/* What mih_pairs(h, n, r, ...) returns: every pair a < b with popcount(h[a] ^ h[b]) <= r,
 * sorted by a then b, in a malloc'd array the caller frees.  The distance of a pair is
 * hash_hamming(h[a], h[b]). */
int gpu_pairs(struct gpu *g, const uint64_t *h, size_t n, int r, struct mih_pair **pairs,
    size_t *npairs, aderr *err);
/* The candidates of dedupe --rotations (group.c's turned_pairs): v[i] holds item i's
 * phash for orientations 1..8 (all eight its phash when it has no variants), and a < b
 * pair when, for some k, hamming(v[a][0], v[b][k]) <= r or hamming(v[a][k], v[b][0]) <= r. */
int gpu_pairs8(struct gpu *g, const uint64_t (*v)[8], size_t n, int r,
    struct mih_pair **pairs, size_t *npairs, aderr *err);

struct gpu_batcher;

/* A batcher sending up to `batch` images at a time (0: 256), and a partial batch once
 * its first image has waited wait_us microseconds (0: 2000). */
int gpu_batcher_new(struct gpu *g, int batch, int wait_us, struct gpu_batcher **out,
    aderr *err);
/* Hashes one gray image as gpu_hash_batch would, blocking until they are back; safe to
 * call from many threads at once.  The image is copied before the call returns. */
int gpu_batcher_hash(struct gpu_batcher *b, const struct img *gray, uint64_t phash8[8],
    uint64_t *dhash, uint64_t *whash, aderr *err);
/* Waits for the images in flight, stops the batcher's thread, frees it. */
void gpu_batcher_free(struct gpu_batcher *b);

#endif
