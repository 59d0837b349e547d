/* CUDA layernorm ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x, const kp_tensor *gamma, const kp_tensor *beta, float eps) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "layernorm_fwd");
}

extern "C" kp_status kp_cuda_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy, const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd, const kp_tensor *gamma) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "layernorm_bwd");
}
