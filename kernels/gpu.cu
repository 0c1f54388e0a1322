/* gpu.cu — the device and runtime calls of azk.h that are not a kernel: finding and
 * choosing the device (lib/gpu.c's gpu_open). */
#include <cuda_runtime.h>
#include <stdio.h>

extern "C" {
#include "../lib/err.h"
}
#include "azk.h"

extern "C" int azk_device_count(int *n, char *msg)
{
	cudaError_t e = cudaGetDeviceCount(n);

	if (e == cudaErrorNoDevice || (e == cudaSuccess && *n == 0)) {
		*n = 0;
		snprintf(msg, AZK_MSG, "no CUDA device (%s)",
		    e == cudaSuccess ? "the driver lists none" : cudaGetErrorString(e));
		return AD_EUNSUP;
	}
	if (e != cudaSuccess) {
		*n = 0;
		snprintf(msg, AZK_MSG, "no CUDA device usable: %s", cudaGetErrorString(e));
		return AD_EUNSUP;
	}
	return 0;
}

extern "C" int azk_use_device(int device, char *name, size_t namelen, char *msg)
{
	cudaDeviceProp p;
	cudaError_t e = cudaSetDevice(device);

	if (e == cudaSuccess && name == NULL)
		return 0;
	if (e == cudaSuccess)
		e = cudaGetDeviceProperties(&p, device);
	if (e != cudaSuccess) {
		snprintf(msg, AZK_MSG, "CUDA device %d: %s", device, cudaGetErrorString(e));
		return AD_EUNSUP;
	}
	snprintf(name, namelen, "%s (sm_%d%d, %zu MiB)", p.name, p.major, p.minor,
	    p.totalGlobalMem >> 20);
	return 0;
}
