/* CUDA activations: the shared math of src/core/ewmath.h, one kernel instance per activation. */
#include "common.cuh"

template <int A>
__global__ void act_fwd_k(float *y, const float *x, float alpha, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    y[i] = kp_act_apply((kp_act)A, x[i], alpha);
}

/* dx += act'(x) dy, the product and the sum rounded separately as on the CPU. */
template <int A>
__global__ void act_bwd_k(float *dx, const float *dy, const float *x, float alpha, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)blockDim.x * gridDim.x)
    dx[i] = __fadd_rn(dx[i], __fmul_rn(kp_act_grad((kp_act)A, x[i], alpha), dy[i]));
}

template <int A>
static void launch_fwd(float *y, const float *x, float alpha, int64_t n) {
  act_fwd_k<A><<<kp_cuda_blocks(n, 256), 256>>>(y, x, alpha, n);
}

template <int A>
static void launch_bwd(float *dx, const float *dy, const float *x, float alpha, int64_t n) {
  act_bwd_k<A><<<kp_cuda_blocks(n, 256), 256>>>(dx, dy, x, alpha, n);
}

extern "C" kp_status kp_cuda_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  float *py = (float *)y->data;
  const float *px = (const float *)x->data;
  switch (act) {
    case KP_ACT_NONE:
      if (py != px) KP_CUDA_TRY(cudaMemcpyAsync(py, px, (size_t)n * sizeof(float), cudaMemcpyDeviceToDevice, 0));
      return KP_OK;
    case KP_ACT_RELU: launch_fwd<KP_ACT_RELU>(py, px, alpha, n); break;
    case KP_ACT_LEAKY_RELU: launch_fwd<KP_ACT_LEAKY_RELU>(py, px, alpha, n); break;
    case KP_ACT_ELU: launch_fwd<KP_ACT_ELU>(py, px, alpha, n); break;
    case KP_ACT_GELU: launch_fwd<KP_ACT_GELU>(py, px, alpha, n); break;
    case KP_ACT_TANH: launch_fwd<KP_ACT_TANH>(py, px, alpha, n); break;
    default: return kp_fail(KP_ERR_INVALID, "act_fwd: unknown activation %d", (int)act);
  }
  KP_CUDA_LAUNCH_CHECK("act_fwd");
  return KP_OK;
}

extern "C" kp_status kp_cuda_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  int64_t n = kp_tensor_numel(x);
  if (n == 0) return KP_OK;
  KP_CUDA_SET_DEVICE(x);
  float *pdx = (float *)dx->data;
  const float *pdy = (const float *)dy->data, *px = (const float *)x->data;
  switch (act) {
    case KP_ACT_NONE: launch_bwd<KP_ACT_NONE>(pdx, pdy, px, alpha, n); break;
    case KP_ACT_RELU: launch_bwd<KP_ACT_RELU>(pdx, pdy, px, alpha, n); break;
    case KP_ACT_LEAKY_RELU: launch_bwd<KP_ACT_LEAKY_RELU>(pdx, pdy, px, alpha, n); break;
    case KP_ACT_ELU: launch_bwd<KP_ACT_ELU>(pdx, pdy, px, alpha, n); break;
    case KP_ACT_GELU: launch_bwd<KP_ACT_GELU>(pdx, pdy, px, alpha, n); break;
    case KP_ACT_TANH: launch_bwd<KP_ACT_TANH>(pdx, pdy, px, alpha, n); break;
    default: return kp_fail(KP_ERR_INVALID, "act_bwd: unknown activation %d", (int)act);
  }
  KP_CUDA_LAUNCH_CHECK("act_bwd");
  return KP_OK;
}
