/* CUDA inverted dropout: the same keep mask as the CPU (element i kept when
 * kp_philox_uniform(seed, offset, i) >= p), regenerated in the backward. Each thread draws
 * one Philox block and uses its four words for elements 4q .. 4q+3, as kp_philox_u32 maps them. */
#include "common.cuh"
#include "kprca/rng.h"

/* y = keep ? x s : 0 (y may alias x: each element is read, then written, by one thread). */
__global__ void dropout_fwd_k(float *y, const float *x, int64_t n, float p, float s, uint64_t seed, uint64_t offset) {
  int64_t nq = (n + 3) / 4;
  for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < nq; q += (int64_t)blockDim.x * gridDim.x) {
    kp_u32x4 r = kp_philox_block(seed, offset + (uint64_t)q);
    for (int w = 0; w < 4; w++) {
      int64_t i = 4 * q + w;
      if (i < n) y[i] = kp_u32_to_uniform(r.v[w]) >= p ? __fmul_rn(x[i], s) : 0.0f;
    }
  }
}

/* dx += keep ? dy s : 0 */
__global__ void dropout_bwd_k(float *dx, const float *dy, int64_t n, float p, float s, uint64_t seed, uint64_t offset) {
  int64_t nq = (n + 3) / 4;
  for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < nq; q += (int64_t)blockDim.x * gridDim.x) {
    kp_u32x4 r = kp_philox_block(seed, offset + (uint64_t)q);
    for (int w = 0; w < 4; w++) {
      int64_t i = 4 * q + w;
      if (i < n && kp_u32_to_uniform(r.v[w]) >= p) dx[i] = __fadd_rn(dx[i], __fmul_rn(dy[i], s));
    }
  }
}

extern "C" kp_status kp_cuda_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  int64_t n = kp_tensor_numel(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  if (p == 0.0f) {
    if (y->data != x->data)
      KP_CUDA_TRY(cudaMemcpyAsync(y->data, x->data, (size_t)n * sizeof(float), cudaMemcpyDeviceToDevice, 0));
    return KP_OK;
  }
  float s = 1.0f / (1.0f - p); /* on the host, as the CPU computes it */
  dropout_fwd_k<<<kp_cuda_blocks((n + 3) / 4, 256), 256>>>((float *)y->data, (const float *)x->data, n, p, s, seed,
                                                          offset);
  KP_CUDA_LAUNCH_CHECK("dropout_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  int64_t n = kp_tensor_numel(dy);
  if (n == 0) return KP_OK;
  if (p == 0.0f) return kp_cuda_axpy(dx, 1.0f, dy);
  KP_CUDA_SET_DEVICE(dy);
  float s = 1.0f / (1.0f - p);
  dropout_bwd_k<<<kp_cuda_blocks((n + 3) / 4, 256), 256>>>((float *)dx->data, (const float *)dy->data, n, p, s, seed,
                                                          offset);
  KP_CUDA_LAUNCH_CHECK("dropout_bwd");
  return KP_OK;
}
