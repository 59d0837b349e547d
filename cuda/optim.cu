/* CUDA optimizer steps with torch.optim's update rules (Adam/AdamW, SGD), one thread per
 * element, and the sum of squares for gradient clipping as a two-pass double reduction
 * (block partials, then one block in a fixed order: the same bits on every run). */
#include <math.h>
#include "dreduce.cuh"
#include "scratch.cuh"

#define KP_SUMSQ_MAX_PARTS 1024

/* torch.lerp(a, b, w) as ATen writes it (exact at both ends). */
__device__ __forceinline__ float kp_lerp(float a, float b, float w) {
  return w < 0.5f ? a + w * (b - a) : b - (b - a) * (1.0f - w);
}

__global__ void k_adam(float *__restrict__ p, const float *__restrict__ g, float *__restrict__ m,
                       float *__restrict__ v, int64_t n, float b1, float b2, float eps, float wd, bool decoupled,
                       float decay, float step_size, float bc2_sqrt) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    float pi = p[i], gi = g[i];
    if (wd != 0.0f) {
      if (decoupled) pi *= decay; /* AdamW: p *= 1 - lr wd */
      else gi += wd * pi;         /* Adam: g += wd p */
    }
    const float mi = kp_lerp(m[i], gi, 1.0f - b1);
    const float vi = v[i] * b2 + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) / bc2_sqrt + eps;
    p[i] = pi - step_size * (mi / denom);
  }
}

__global__ void k_sgd(float *__restrict__ p, const float *__restrict__ g, float *__restrict__ buf, int64_t n, float lr,
                      float mom, float keep, float wd, bool nesterov, bool first) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    float gi = g[i];
    if (wd != 0.0f) gi += wd * p[i];
    if (mom != 0.0f) {
      const float b = first ? gi : buf[i] * mom + keep * gi; /* keep = 1 - dampening */
      buf[i] = b;
      gi = nesterov ? gi + mom * b : b;
    }
    p[i] -= lr * gi;
  }
}

__global__ void k_sumsq_parts(double *__restrict__ part, const float *__restrict__ x, int64_t n) {
  __shared__ double sh[32];
  double s = 0.0;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const double xi = (double)x[i];
    s += xi * xi;
  }
  s = kp_block_sum_d(s, sh);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void k_sumsq_final(double *__restrict__ out, const double *__restrict__ part, int64_t nparts) {
  __shared__ double sh[32];
  const double s = kp_block_sum_array_d(part, nparts, sh);
  if (threadIdx.x == 0) out[0] = s;
}

extern "C" kp_status kp_cuda_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v,
                                       const kp_adam_hparams *h, int64_t step) {
  const int64_t n = kp_tensor_numel(param);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(param);
  /* scalars as torch computes them: in double on the host, then used as f32 */
  const double bc1 = 1.0 - pow((double)h->beta1, (double)step), bc2 = 1.0 - pow((double)h->beta2, (double)step);
  const float step_size = (float)((double)h->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
  const float decay = (float)(1.0 - (double)h->lr * (double)h->weight_decay);
  k_adam<<<kp_cuda_blocks(n, 256), 256>>>((float *)param->data, (const float *)grad->data, (float *)m->data,
                                          (float *)v->data, n, h->beta1, h->beta2, h->eps, h->weight_decay,
                                          h->decoupled, decay, step_size, bc2_sqrt);
  KP_CUDA_LAUNCH_CHECK("adam_step");
  return KP_OK;
}

extern "C" kp_status kp_cuda_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h,
                                      int64_t step) {
  const int64_t n = kp_tensor_numel(param);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(param);
  if (h->momentum != 0.0f && !buf) return kp_fail(KP_ERR_INVALID, "sgd_step: momentum needs a buffer");
  k_sgd<<<kp_cuda_blocks(n, 256), 256>>>((float *)param->data, (const float *)grad->data,
                                         h->momentum != 0.0f ? (float *)buf->data : NULL, n, h->lr, h->momentum,
                                         (float)(1.0 - (double)h->dampening), h->weight_decay, h->nesterov,
                                         step == 1);
  KP_CUDA_LAUNCH_CHECK("sgd_step");
  return KP_OK;
}

extern "C" kp_status kp_cuda_sumsq(const kp_tensor *x, double *out) {
  const int64_t n = kp_tensor_numel(x);
  *out = 0.0;
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  unsigned parts = kp_cuda_blocks(n, 256); /* depends on n only, so the summation order is fixed */
  if (parts > KP_SUMSQ_MAX_PARTS) parts = KP_SUMSQ_MAX_PARTS;
  KpScratch part(x->device);
  KP_TRY(part.alloc<double>((int64_t)parts + 1));
  double *pp = part.as<double>();
  k_sumsq_parts<<<parts, 256>>>(pp + 1, (const float *)x->data, n);
  KP_CUDA_LAUNCH_CHECK("sumsq");
  k_sumsq_final<<<1, 1024>>>(pp, pp + 1, parts);
  KP_CUDA_LAUNCH_CHECK("sumsq reduce");
  KP_CUDA_TRY(cudaMemcpy(out, pp, sizeof(double), cudaMemcpyDeviceToHost));
  return KP_OK;
}
