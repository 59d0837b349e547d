/* CUDA fills, casts and Philox random fills: the same values as src/cpu/memory.c (casts and
 * uniform fills bit for bit; normal fills up to the last bits of logf / cosf). */
#include <string.h>
#include "common.cuh"
#include "kprca/rng.h"

/* Every element of p[0..n) = v (the value already converted to the element type). */
template <typename U>
__global__ void fill_k(U *p, int64_t n, U v) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    p[i] = v;
}

template <typename U>
static kp_status fill_launch(void *p, int64_t n, U v) {
  fill_k<U><<<kp_cuda_blocks(n, 256), 256>>>((U *)p, n, v);
  KP_CUDA_LAUNCH_CHECK("fill");
  return KP_OK;
}

extern "C" kp_status kp_cuda_fill(kp_tensor *t, double v) {
  int64_t n = kp_tensor_numel(t);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(t);
  switch (t->dtype) { /* conversions on the host, exactly as the CPU fill does them */
    case KP_F32: return fill_launch<uint32_t>(t->data, n, kp_f32_bits((float)v));
    case KP_BF16: return fill_launch<uint16_t>(t->data, n, kp_f32_to_bf16((float)v));
    case KP_F16: return fill_launch<uint16_t>(t->data, n, kp_f32_to_f16((float)v));
    case KP_I32: return fill_launch<int32_t>(t->data, n, (int32_t)v);
    case KP_I64: return fill_launch<int64_t>(t->data, n, (int64_t)v);
  }
  return kp_fail(KP_ERR_INVALID, "fill: unknown dtype %d", (int)t->dtype);
}

/* Element i as a double / stored from a double: the CPU cast's load() and store(). */
__device__ __forceinline__ double cast_load(const void *p, kp_dtype dt, int64_t i) {
  switch (dt) {
    case KP_F32: return ((const float *)p)[i];
    case KP_BF16: return kp_bf16_to_f32(((const uint16_t *)p)[i]);
    case KP_F16: return kp_f16_to_f32(((const uint16_t *)p)[i]);
    case KP_I32: return ((const int32_t *)p)[i];
    case KP_I64: return (double)((const int64_t *)p)[i];
  }
  return 0;
}

__device__ __forceinline__ void cast_store(void *p, kp_dtype dt, int64_t i, double v) {
  switch (dt) {
    case KP_F32: ((float *)p)[i] = (float)v; break;
    case KP_BF16: ((uint16_t *)p)[i] = kp_f32_to_bf16((float)v); break;
    case KP_F16: ((uint16_t *)p)[i] = kp_f32_to_f16((float)v); break;
    case KP_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case KP_I64: ((int64_t *)p)[i] = (int64_t)v; break;
  }
}

__device__ __forceinline__ bool is_float(kp_dtype dt) { return dt == KP_F32 || dt == KP_BF16 || dt == KP_F16; }

/* Between float types the value goes through f32 only: the same number as via double, and a
 * NaN keeps its payload as it does on the CPU (the GPU's f32 -> f64 conversion may not).
 * The dtype pair is the same for every thread, so the switches do not diverge. */
__global__ void cast_k(void *dst, kp_dtype dd, const void *src, kp_dtype sd, int64_t n) {
  bool via_f32 = is_float(sd) && is_float(dd);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x) {
    if (!via_f32) {
      cast_store(dst, dd, i, cast_load(src, sd, i));
      continue;
    }
    float f = sd == KP_F32 ? ((const float *)src)[i]
              : sd == KP_BF16 ? kp_bf16_to_f32(((const uint16_t *)src)[i])
                              : kp_f16_to_f32(((const uint16_t *)src)[i]);
    if (dd == KP_F32) ((float *)dst)[i] = f;
    else if (dd == KP_BF16) ((uint16_t *)dst)[i] = kp_f32_to_bf16(f);
    else ((uint16_t *)dst)[i] = kp_f32_to_f16(f);
  }
}

extern "C" kp_status kp_cuda_cast(kp_tensor *dst, const kp_tensor *src) {
  int64_t n = kp_tensor_numel(src);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(src);
  if (dst->dtype == KP_I64 && src->dtype == KP_I64) { /* i64 does not fit a double exactly */
    KP_CUDA_TRY(cudaMemcpyAsync(dst->data, src->data, (size_t)n * 8, cudaMemcpyDeviceToDevice, 0));
    return KP_OK;
  }
  cast_k<<<kp_cuda_blocks(n, 256), 256>>>(dst->data, dst->dtype, src->data, src->dtype, n);
  KP_CUDA_LAUNCH_CHECK("cast");
  return KP_OK;
}

/* p[i] = lo + (hi - lo) u_i, rounded as the CPU rounds it (no fused multiply-add). */
__global__ void uniform_k(float *p, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  float w = hi - lo;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    p[i] = __fadd_rn(lo, __fmul_rn(w, kp_philox_uniform(seed, offset, (uint64_t)i)));
}

__global__ void normal_k(float *p, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    p[i] = __fadd_rn(mean, __fmul_rn(std, kp_philox_normal(seed, offset, (uint64_t)i)));
}

extern "C" kp_status kp_cuda_fill_uniform(kp_tensor *t, uint64_t seed, uint64_t offset, float lo, float hi) {
  int64_t n = kp_tensor_numel(t);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(t);
  uniform_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)t->data, n, seed, offset, lo, hi);
  KP_CUDA_LAUNCH_CHECK("fill_uniform");
  return KP_OK;
}

extern "C" kp_status kp_cuda_fill_normal(kp_tensor *t, uint64_t seed, uint64_t offset, float mean, float std) {
  int64_t n = kp_tensor_numel(t);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(t);
  normal_k<<<kp_cuda_blocks(n, 256), 256>>>((float *)t->data, n, seed, offset, mean, std);
  KP_CUDA_LAUNCH_CHECK("fill_normal");
  return KP_OK;
}
