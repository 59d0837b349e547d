/* CUDA masked row softmax: one block per row (grid-stride over rows), max-subtracted
 * exponentials over the unmasked positions; a fully masked row is all zero. */
#include <math.h>
#include "common.cuh"
#include "warp.cuh"

/* Threads per row block: L rounded up to a warp multiple, between 32 and 512. */
static int row_threads(int64_t L) {
  int64_t t = (L + 31) / 32 * 32;
  return (int)(t < 32 ? 32 : (t > 512 ? 512 : t));
}

/* Block max padded with -inf (kp_block_max pads with -FLT_MAX, which would hide a row of -inf). */
__device__ __forceinline__ float block_max_inf(float v, float *shared) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = kp_warp_max(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < nwarps ? shared[lane] : -INFINITY;
  return kp_warp_max(v);
}

static unsigned row_blocks(int64_t rows) { return (unsigned)(rows < (1 << 20) ? rows : (1 << 20)); }

/* y may alias x: every element is read in the first two passes and in the third by the
 * thread that then writes it, and the block reductions separate the passes. */
__global__ void softmax_fwd_k(float *y, const float *x, const int32_t *mask, int64_t R, int64_t L, int64_t per,
                              float scale) {
  __shared__ float sh[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const float *xr = x + r * L;
    const int32_t *mr = mask ? mask + (r / per) * L : NULL;
    float *yr = y + r * L;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < L; j += blockDim.x)
      if (!mr || mr[j]) m = fmaxf(m, scale * xr[j]);
    m = block_max_inf(m, sh);
    if (m == -INFINITY) { /* every position masked (or -inf): zeros, as on the CPU */
      for (int64_t j = threadIdx.x; j < L; j += blockDim.x) yr[j] = 0.0f;
      continue;
    }
    float s = 0.0f;
    for (int64_t j = threadIdx.x; j < L; j += blockDim.x)
      if (!mr || mr[j]) s += expf(scale * xr[j] - m);
    float inv = 1.0f / kp_block_sum(s, sh);
    for (int64_t j = threadIdx.x; j < L; j += blockDim.x)
      yr[j] = (!mr || mr[j]) ? expf(scale * xr[j] - m) * inv : 0.0f;
  }
}

extern "C" kp_status kp_cuda_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale) {
  int64_t R = kp_tensor_rows(x), L = kp_tensor_cols(x);
  if (R == 0 || L == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  int64_t per = mask ? R / mask->shape[0] : 1; /* rows sharing one mask row */
  softmax_fwd_k<<<row_blocks(R), row_threads(L)>>>((float *)y->data, (const float *)x->data,
                                                   mask ? (const int32_t *)mask->data : NULL, R, L, per, scale);
  KP_CUDA_LAUNCH_CHECK("softmax_fwd");
  return KP_OK;
}

/* dx += scale y (dy - <dy, y>) per row. */
__global__ void softmax_bwd_k(float *dx, const float *dy, const float *y, int64_t R, int64_t L, float scale) {
  __shared__ float sh[32];
  for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
    const float *yr = y + r * L, *gr = dy + r * L;
    float *dr = dx + r * L;
    float d = 0.0f;
    for (int64_t j = threadIdx.x; j < L; j += blockDim.x) d += gr[j] * yr[j];
    d = kp_block_sum(d, sh);
    for (int64_t j = threadIdx.x; j < L; j += blockDim.x) dr[j] += scale * yr[j] * (gr[j] - d);
  }
}

extern "C" kp_status kp_cuda_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale) {
  int64_t R = kp_tensor_rows(y), L = kp_tensor_cols(y);
  if (R == 0 || L == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(y);
  softmax_bwd_k<<<row_blocks(R), row_threads(L)>>>((float *)dx->data, (const float *)dy->data, (const float *)y->data,
                                                   R, L, scale);
  KP_CUDA_LAUNCH_CHECK("softmax_bwd");
  return KP_OK;
}
