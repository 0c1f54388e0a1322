/* gpu.cu — the device and runtime calls of azk.h that are not a kernel: finding and
 * choosing the device (lib/features/gpu.c's gpu_open), and the plugin's table of every call. */
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdio.h>

extern "C" {
#include "../lib/base/err.h"
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
	if (e == cudaErrorInsufficientDriver) {
		/* the runtime says this when it finds no driver at all, too: that is a machine
		 * without a GPU; a driver that loads but is too old is a setup to fix */
		void *drv = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);

		*n = 0;
		if (drv == NULL) {
			snprintf(msg, AZK_MSG, "no CUDA device (no NVIDIA driver: libcuda.so.1 does "
			    "not load; cudaGetDeviceCount: %s)", cudaGetErrorName(e));
			return AD_EUNSUP;
		}
		dlclose(drv);
	}
	if (e != cudaSuccess) {
		*n = 0;
		snprintf(msg, AZK_MSG, "CUDA does not start: %s (%s)", cudaGetErrorString(e),
		    cudaGetErrorName(e));
		return AD_ECONFIG;
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

static const struct azk_ops ops = {
	AZK_ABI,
	azk_device_count,
	azk_use_device,
	azk_hash_set_cos,
	azk_hslot_new,
	azk_hslot_free,
	azk_hslot_host,
	azk_hslot_launch,
	azk_hslot_wait,
	azk_pairs,
};

/* The plugin's one exported symbol (the .cu files are compiled -fvisibility=hidden). */
extern "C" __attribute__((visibility("default"))) const struct azk_ops *azk_plugin(void)
{
	return &ops;
}
