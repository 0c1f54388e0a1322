/* azk.h — the C interface of the CUDA kernels, for lib/features/gpu.c only.
 *
 * Everything that touches the CUDA runtime lives in the kernels/ .cu files behind these plain C
 * calls, so lib/features/gpu.c needs no CUDA headers.  The .cu files are built into a plugin,
 * azdedup-cuda.so, whose one exported symbol is azk_plugin: lib/features/gpu.c dlopens it and
 * makes every call through the table azk_plugin returns, so nothing else links cudart.  Calls return 0 or a negative AD_E* code
 * (err.h values) and then write a reason, without a trailing period, into msg (AZK_MSG
 * bytes).  A slot is one batch's worth of pinned host buffers, device buffers and its own
 * stream; it is used by one thread at a time. */
#ifndef AZD_AZK_H
#define AZD_AZK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AZK_MSG 256

/* Where one gray image lies in a slot's pixel buffer. */
struct azk_meta {
	uint64_t off;           /* byte offset of the first pixel */
	int32_t w, h;           /* rows packed, stride w */
};

/* Per image: phash of orientations 1..8, then dhash, then whash. */
#define AZK_HASH_WORDS 10

struct azk_hslot;

/* Number of CUDA devices; AD_EUNSUP with "no CUDA device ..." when there is none (or
 * no NVIDIA driver to find one with), AD_ECONFIG with the CUDA error on any other
 * failure (a driver too old for the runtime, a broken installation). */
int azk_device_count(int *n, char *msg);
/* Makes `device` current for the calling thread and, unless name is NULL, describes it
 * there. */
int azk_use_device(int device, char *name, size_t namelen, char *msg);
/* Copies the 8 x 32 DCT cosine table (computed on the host, see lib/features/gpu.c) to the
 * current device. */
int azk_hash_set_cos(const double cosk[8 * 32], char *msg);

int azk_hslot_new(int max_images, size_t max_bytes, struct azk_hslot **out, char *msg);
void azk_hslot_free(struct azk_hslot *s);
/* The slot's pinned host buffers: pixels in, image placement in, hashes out
 * (AZK_HASH_WORDS per image). */
void azk_hslot_host(struct azk_hslot *s, unsigned char **px, struct azk_meta **meta,
    uint64_t **out);
/* Queues the copies in, the kernel and the copy out of n images using `bytes` bytes of
 * pixels on the slot's stream, and returns at once. */
int azk_hslot_launch(struct azk_hslot *s, int n, size_t bytes, char *msg);
/* Waits for the slot's last launch; then its out buffer holds the hashes. */
int azk_hslot_wait(struct azk_hslot *s, char *msg);

/* All pairs a < b within Hamming distance r.  nv 1: codes holds n hashes and the
 * distance is popcount(codes[a] ^ codes[b]).  nv 8: codes holds 8 orientation variants
 * per item (variant 0 its own hash), and a pair needs some k with
 * hamming(v[a][0], v[b][k]) <= r or hamming(v[a][k], v[b][0]) <= r.  *pairs is malloc'd,
 * 2 * *npairs uint32_t: a, b, a, b, ... sorted by a then b. */
int azk_pairs(const uint64_t *codes, size_t n, int nv, int r, uint32_t **pairs,
    size_t *npairs, char *msg);

/* The plugin's table of the calls above.  abi is AZK_ABI of the plugin's build; a
 * caller built with another AZK_ABI must not use the table.  Bump AZK_ABI with any change
 * to this header's calls, structs or constants. */
#define AZK_ABI 1
#define AZK_PLUGIN_SYMBOL "azk_plugin"

struct azk_ops {
	int abi;
	int (*device_count)(int *n, char *msg);
	int (*use_device)(int device, char *name, size_t namelen, char *msg);
	int (*hash_set_cos)(const double cosk[8 * 32], char *msg);
	int (*hslot_new)(int max_images, size_t max_bytes, struct azk_hslot **out, char *msg);
	void (*hslot_free)(struct azk_hslot *s);
	void (*hslot_host)(struct azk_hslot *s, unsigned char **px, struct azk_meta **meta,
	    uint64_t **out);
	int (*hslot_launch)(struct azk_hslot *s, int n, size_t bytes, char *msg);
	int (*hslot_wait)(struct azk_hslot *s, char *msg);
	int (*pairs)(const uint64_t *codes, size_t n, int nv, int r, uint32_t **pairs,
	    size_t *npairs, char *msg);
};

typedef const struct azk_ops *azk_plugin_fn(void);
/* The table (static storage, valid while the plugin is loaded). */
azk_plugin_fn azk_plugin;

#ifdef __cplusplus
}
#endif

#endif
