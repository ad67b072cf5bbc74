// cuda_preinit.c — CUDA's driver initialised before the program's main, for scripts/gpu-bench.sh's
// elimination: loaded with LD_PRELOAD into Deno, its constructor runs cuInit(0) and retains device
// 0's primary context (the one the CUDA runtime, hence libtorch, uses) before V8 starts, so the
// driver's threads and mappings are made with the process's first rights and signal handlers.
// It opens libcuda.so.1 itself (no CUDA headers or libraries at build time) and says on stderr
// what each call returned; without the driver it says so and does nothing.
//
//   gcc -O2 -fPIC -shared -o cuda_preinit.so cuda_preinit.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

typedef int (*cu_init_t)(unsigned int flags);
typedef int (*cu_device_get_t)(int *device, int ordinal);
typedef int (*cu_ctx_retain_t)(void **ctx, int device);

__attribute__((constructor)) static void cuda_preinit(void) {
  void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (cuda == NULL) {
    fprintf(stderr, "cuda_preinit: no driver, nothing done (pid %d): %s\n", (int)getpid(), dlerror());
    return;
  }
  cu_init_t init = (cu_init_t)dlsym(cuda, "cuInit");
  cu_device_get_t device_get = (cu_device_get_t)dlsym(cuda, "cuDeviceGet");
  cu_ctx_retain_t retain = (cu_ctx_retain_t)dlsym(cuda, "cuDevicePrimaryCtxRetain");
  if (init == NULL || device_get == NULL || retain == NULL) {
    fprintf(stderr, "cuda_preinit: expected cuInit, cuDeviceGet and cuDevicePrimaryCtxRetain in "
                    "libcuda.so.1, found %p %p %p\n", (void *)init, (void *)device_get,
            (void *)retain);
    return;
  }
  int device = -1;
  void *ctx = NULL;
  int rc_init = init(0);
  int rc_get = rc_init == 0 ? device_get(&device, 0) : -1;
  int rc_retain = rc_get == 0 ? retain(&ctx, device) : -1;
  fprintf(stderr,
          "cuda_preinit: cuInit %d, cuDeviceGet %d, cuDevicePrimaryCtxRetain %d (context %p, pid %d)\n",
          rc_init, rc_get, rc_retain, ctx, (int)getpid());
}
