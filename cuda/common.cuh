/* Shared helpers of the CUDA backend: error checks that turn CUDA, cuBLAS and cuSPARSE
 * failures into kp_status values with the failing call named, launch helpers, and the
 * per-thread handles. */
#ifndef KPRCA_CUDA_COMMON_CUH
#define KPRCA_CUDA_COMMON_CUH
#include <cuda_runtime.h>
#include <stdint.h>
#include "core/ewmath.h"
#include "cuda_ops.h"

#define KP_CUDA_TRY(call)                                                                          \
  do {                                                                                             \
    cudaError_t kp_ce_ = (call);                                                                   \
    if (kp_ce_ != cudaSuccess)                                                                     \
      return kp_fail(kp_ce_ == cudaErrorMemoryAllocation ? KP_ERR_NOMEM : KP_ERR_DEVICE,           \
                     "%s:%d: %s failed: %s", __FILE__, __LINE__, #call, cudaGetErrorString(kp_ce_)); \
  } while (0)

/* After a kernel launch: report a launch error (bad configuration) at once. */
#define KP_CUDA_LAUNCH_CHECK(name)                                                                 \
  do {                                                                                             \
    cudaError_t kp_le_ = cudaGetLastError();                                                       \
    if (kp_le_ != cudaSuccess)                                                                     \
      return kp_fail(KP_ERR_DEVICE, "%s: kernel launch failed: %s", name, cudaGetErrorString(kp_le_)); \
  } while (0)

/* Make the tensor's GPU current (all ops run on the default per-thread stream of that GPU). */
#define KP_CUDA_SET_DEVICE(t) KP_CUDA_TRY(cudaSetDevice((t)->device.index))

static inline unsigned kp_cuda_blocks(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535LL * 32) b = 65535LL * 32; /* kernels use grid-stride loops */
  return (unsigned)b;
}

#endif
