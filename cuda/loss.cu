/* CUDA losses (PyTorch semantics, reduction = mean; see include/kprca/loss.h). Each row or block
 * writes its partial sum in double, and one block adds the partials in a fixed order, so the
 * loss has the same bits on every run (no atomics). Targets are validated by the CPU backend
 * only: on the GPU a target outside [0, C) that is not ignore_index is treated as ignored. */
#include "dreduce.cuh"
#include "scratch.cuh"

#define KP_LOSS_THREADS 256 /* 8 warps: one row per warp */
#define KP_LOSS_MAX_PARTS 1024

__device__ __forceinline__ int64_t kp_lwarp() { return (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) >> 5; }
__device__ __forceinline__ int64_t kp_lwarps() { return ((int64_t)gridDim.x * blockDim.x) >> 5; }
__device__ __forceinline__ bool ce_counts(int32_t t, int64_t C, int ignore) {
  return t != ignore && t >= 0 && t < C;
}

/* One warp per row: probs = softmax(logits); rnum[i] = (1-ls) w[y] nll + ls/C sum_c w[c] (-log p_c), rden[i] = w[y]
 * (both 0 for ignored rows). */
__global__ void k_ce_fwd_rows(float *__restrict__ probs, double *__restrict__ rnum, double *__restrict__ rden,
                              const float *__restrict__ logits, const int32_t *__restrict__ tg,
                              const float *__restrict__ wts, int64_t N, int64_t C, float ls, int ignore) {
  const int lane = threadIdx.x & 31;
  for (int64_t i = kp_lwarp(); i < N; i += kp_lwarps()) {
    const float *x = logits + i * C;
    float *pr = probs + i * C;
    float m = -INFINITY;
    for (int64_t c = lane; c < C; c += 32) m = fmaxf(m, x[c]);
    m = kp_warp_max(m);
    float z = 0.0f;
    for (int64_t c = lane; c < C; c += 32) z += expf(x[c] - m);
    z = kp_warp_sum(z);
    for (int64_t c = lane; c < C; c += 32) pr[c] = expf(x[c] - m) / z;
    const float lse = m + logf(z);
    const int32_t t = tg[i];
    if (!ce_counts(t, C, ignore)) { /* uniform over the warp */
      if (lane == 0) rnum[i] = rden[i] = 0.0;
      continue;
    }
    float smooth = 0.0f;
    if (ls > 0.0f) {
      for (int64_t c = lane; c < C; c += 32) smooth += (wts ? wts[c] : 1.0f) * (lse - x[c]);
      smooth = kp_warp_sum(smooth);
    }
    if (lane == 0) {
      const double wy = wts ? (double)wts[t] : 1.0;
      rnum[i] = (1.0 - (double)ls) * wy * (double)(lse - x[t]) + (double)ls / (double)C * (double)smooth;
      rden[i] = wy;
    }
  }
}

/* One block: loss = sum rnum / sum rden (0 when the denominator is 0). */
__global__ void k_ce_final(float *__restrict__ loss, const double *__restrict__ rnum, const double *__restrict__ rden,
                           int64_t N) {
  __shared__ double sh[32];
  const double num = kp_block_sum_array_d(rnum, N, sh);
  const double den = kp_block_sum_array_d(rden, N, sh);
  if (threadIdx.x == 0) loss[0] = den != 0.0 ? (float)(num / den) : 0.0f;
}

/* One block: out[0] = sum of w[y_i] over counted rows, out[1] = sum of the class weights (C without weights). */
__global__ void k_ce_den(double *__restrict__ out, const int32_t *__restrict__ tg, const float *__restrict__ wts,
                         int64_t N, int64_t C, int ignore) {
  __shared__ double sh[32];
  double d = 0.0, s = 0.0;
  for (int64_t i = threadIdx.x; i < N; i += blockDim.x) {
    const int32_t t = tg[i];
    if (ce_counts(t, C, ignore)) d += wts ? (double)wts[t] : 1.0;
  }
  if (wts)
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += (double)wts[c];
  d = kp_block_sum_d(d, sh);
  s = kp_block_sum_d(s, sh);
  if (threadIdx.x == 0) {
    out[0] = d;
    out[1] = wts ? s : (double)C;
  }
}

/* One warp per counted row: dl[i, c] += dloss / den * [(1-ls) w[y] (p_c - [c = y]) + ls/C (sum_w p_c - w[c])]. */
__global__ void k_ce_bwd_rows(float *__restrict__ dl, const float *__restrict__ probs, const int32_t *__restrict__ tg,
                              const float *__restrict__ wts, int64_t N, int64_t C, float ls, int ignore, float dloss,
                              const double *__restrict__ den2) {
  const int lane = threadIdx.x & 31;
  const double den = den2[0];
  if (den == 0.0) return;
  const float scale = (float)((double)dloss / den), sw = (float)den2[1], b = ls / (float)C;
  for (int64_t i = kp_lwarp(); i < N; i += kp_lwarps()) {
    const int32_t t = tg[i];
    if (!ce_counts(t, C, ignore)) continue;
    const float a = (1.0f - ls) * (wts ? wts[t] : 1.0f);
    for (int64_t c = lane; c < C; c += 32) {
      const float p = probs[i * C + c];
      float g = a * (c == t ? p - 1.0f : p);
      if (ls > 0.0f) g += b * (sw * p - (wts ? wts[c] : 1.0f));
      dl[i * C + c] += scale * g;
    }
  }
}

/* -[pw y log s(x) + (1-y) log(1-s(x))] = (1-y) x + (1 + (pw-1) y) softplus(-x), written stably. */
__device__ __forceinline__ float bce_elem(float x, float y, float pw) {
  const float lw = (pw - 1.0f) * y + 1.0f;
  return (1.0f - y) * x + lw * (log1pf(expf(-fabsf(x))) + fmaxf(-x, 0.0f));
}

__device__ __forceinline__ float kp_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

/* Block partial sums (double) of the element losses; the grid size depends on n only. */
__global__ void k_bce_parts(double *__restrict__ part, const float *__restrict__ x, const float *__restrict__ y,
                            const float *__restrict__ pw, int64_t n, int64_t C) {
  __shared__ double sh[32];
  double s = 0.0;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    s += (double)bce_elem(x[i], y[i], pw ? pw[i % C] : 1.0f);
  s = kp_block_sum_d(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void k_bce_final(float *__restrict__ loss, const double *__restrict__ part, int64_t nparts, int64_t n) {
  __shared__ double sh[32];
  const double s = kp_block_sum_array_d(part, nparts, sh);
  if (threadIdx.x == 0) loss[0] = (float)(s / (double)n);
}

__global__ void k_bce_bwd(float *__restrict__ dl, const float *__restrict__ x, const float *__restrict__ y,
                          const float *__restrict__ pw, int64_t n, int64_t C, float scale) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float s = kp_sigmoid(x[i]), p = pw ? pw[i % C] : 1.0f;
    dl[i] += scale * ((1.0f - y[i]) * s + p * y[i] * (s - 1.0f));
  }
}

static unsigned row_blocks(int64_t rows) { return kp_cuda_blocks(rows * 32, KP_LOSS_THREADS); }

extern "C" kp_status kp_cuda_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits,
                                               const kp_tensor *targets, const kp_tensor *weights, float ls,
                                               int ignore_index) {
  const int64_t N = logits->shape[0], C = logits->shape[1];
  KP_CUDA_SET_DEVICE(logits);
  if (N == 0 || C == 0) { /* nothing counts: loss 0 */
    KP_CUDA_TRY(cudaMemsetAsync(loss->data, 0, sizeof(float), 0));
    return KP_OK;
  }
  KpScratch rows(logits->device);
  KP_TRY(rows.alloc<double>(2 * N));
  double *rnum = rows.as<double>(), *rden = rnum + N;
  k_ce_fwd_rows<<<row_blocks(N), KP_LOSS_THREADS>>>((float *)probs->data, rnum, rden, (const float *)logits->data,
                                                    (const int32_t *)targets->data,
                                                    weights ? (const float *)weights->data : NULL, N, C, ls,
                                                    ignore_index);
  KP_CUDA_LAUNCH_CHECK("cross_entropy_fwd");
  k_ce_final<<<1, 1024>>>((float *)loss->data, rnum, rden, N);
  KP_CUDA_LAUNCH_CHECK("cross_entropy_fwd reduce");
  return KP_OK;
}

extern "C" kp_status kp_cuda_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets,
                                               const kp_tensor *weights, float ls, int ignore_index, float dloss) {
  const int64_t N = probs->shape[0], C = probs->shape[1];
  if (N == 0 || C == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(probs);
  KpScratch den(probs->device);
  KP_TRY(den.alloc<double>(2));
  const float *w = weights ? (const float *)weights->data : NULL;
  const int32_t *tg = (const int32_t *)targets->data;
  k_ce_den<<<1, 1024>>>(den.as<double>(), tg, w, N, C, ignore_index);
  KP_CUDA_LAUNCH_CHECK("cross_entropy_bwd reduce");
  k_ce_bwd_rows<<<row_blocks(N), KP_LOSS_THREADS>>>((float *)dlogits->data, (const float *)probs->data, tg, w, N, C,
                                                    ls, ignore_index, dloss, den.as<double>());
  KP_CUDA_LAUNCH_CHECK("cross_entropy_bwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets,
                                            const kp_tensor *pos_weight) {
  const int64_t n = kp_tensor_numel(logits), C = kp_tensor_cols(logits);
  KP_CUDA_SET_DEVICE(logits);
  if (n == 0) { /* the mean of nothing: 0 */
    KP_CUDA_TRY(cudaMemsetAsync(loss->data, 0, sizeof(float), 0));
    return KP_OK;
  }
  unsigned parts = kp_cuda_blocks(n, 256);
  if (parts > KP_LOSS_MAX_PARTS) parts = KP_LOSS_MAX_PARTS;
  KpScratch part(logits->device);
  KP_TRY(part.alloc<double>(parts));
  k_bce_parts<<<parts, 256>>>(part.as<double>(), (const float *)logits->data, (const float *)targets->data,
                              pos_weight ? (const float *)pos_weight->data : NULL, n, C);
  KP_CUDA_LAUNCH_CHECK("bce_logits_fwd");
  k_bce_final<<<1, 1024>>>((float *)loss->data, part.as<double>(), parts, n);
  KP_CUDA_LAUNCH_CHECK("bce_logits_fwd reduce");
  return KP_OK;
}

extern "C" kp_status kp_cuda_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets,
                                            const kp_tensor *pos_weight, float dloss) {
  const int64_t n = kp_tensor_numel(logits), C = kp_tensor_cols(logits);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(logits);
  k_bce_bwd<<<kp_cuda_blocks(n, 256), 256>>>((float *)dlogits->data, (const float *)logits->data,
                                             (const float *)targets->data,
                                             pos_weight ? (const float *)pos_weight->data : NULL, n, C,
                                             (float)((double)dloss / (double)n));
  KP_CUDA_LAUNCH_CHECK("bce_logits_bwd");
  return KP_OK;
}
