/* CUDA segment pooling over ptr (graph g owns rows ptr[g] .. ptr[g+1]-1). Forward: one block per
 * segment with a fixed reduction order (seg_reduce.cuh). Backward: each row of dx belongs to one
 * segment, so the writes never collide and no atomics are needed. */
#include "seg_reduce.cuh"

/* dx[p, f] += dy[g, f] (/ size for MEAN) for the rows p of segment g; one block per segment. */
__global__ void k_segment_bwd_spread(float *__restrict__ dx, const float *__restrict__ dy,
                                     const int32_t *__restrict__ ptr, int64_t G, int64_t F, int64_t N, bool mean) {
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  for (int64_t g = blockIdx.x; g < G; g += gridDim.x) {
    int64_t s = ptr[g], e = ptr[g + 1];
    s = s < 0 ? 0 : (s > N ? N : s);
    e = e < s ? s : (e > N ? N : e);
    if (e == s) continue;
    const float inv = mean ? 1.0f / (float)(e - s) : 1.0f;
    for (int64_t f = tx; f < F; f += 32) {
      const float v = mean ? dy[g * F + f] * inv : dy[g * F + f];
      for (int64_t p = s + ty; p < e; p += KP_SEG_GROUPS) dx[p * F + f] += v;
    }
  }
}

/* dx[arg[g, f], f] += dy[g, f]: the winner of each (segment, feature) takes the whole gradient. */
__global__ void k_segment_bwd_max(float *__restrict__ dx, const float *__restrict__ dy,
                                  const int32_t *__restrict__ arg, int64_t GF, int64_t F, int64_t N) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < GF; i += (int64_t)gridDim.x * blockDim.x) {
    const int32_t a = arg[i];
    if (a >= 0 && a < N) dx[(int64_t)a * F + i % F] += dy[i];
  }
}

extern "C" kp_status kp_cuda_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr,
                                         kp_reduce r) {
  const int64_t G = ptr->shape[0] - 1, F = x->shape[1], N = x->shape[0];
  if (G == 0 || F == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  return kp_seg_reduce((float *)y->data, r == KP_REDUCE_MAX && arg ? (int32_t *)arg->data : NULL,
                       (const float *)x->data, (const int32_t *)ptr->data, NULL, G, F, N, r, false);
}

extern "C" kp_status kp_cuda_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg,
                                         const kp_tensor *ptr, kp_reduce r) {
  const int64_t G = ptr->shape[0] - 1, F = dx->shape[1], N = dx->shape[0];
  if (G == 0 || F == 0 || N == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(dx);
  if (r == KP_REDUCE_MAX) {
    if (!arg) return kp_fail(KP_ERR_INVALID, "segment_bwd: arg is required for max");
    const int64_t GF = G * F;
    k_segment_bwd_max<<<kp_cuda_blocks(GF, 256), 256>>>((float *)dx->data, (const float *)dy->data,
                                                        (const int32_t *)arg->data, GF, F, N);
    KP_CUDA_LAUNCH_CHECK("segment_bwd");
    return KP_OK;
  }
  const unsigned blocks = (unsigned)(G < 65535LL * 4 ? G : 65535LL * 4);
  k_segment_bwd_spread<<<blocks, KP_SEG_THREADS>>>((float *)dx->data, (const float *)dy->data,
                                                   (const int32_t *)ptr->data, G, F, N, r == KP_REDUCE_MEAN);
  KP_CUDA_LAUNCH_CHECK("segment_bwd");
  return KP_OK;
}
