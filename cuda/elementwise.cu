/* CUDA elementwise ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "bias_add_fwd");
}

extern "C" kp_status kp_cuda_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "bias_add_bwd");
}

extern "C" kp_status kp_cuda_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "add_fwd");
}

extern "C" kp_status kp_cuda_axpy(kp_tensor *y, float alpha, const kp_tensor *x) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "axpy");
}

extern "C" kp_status kp_cuda_scale(kp_tensor *x, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "scale");
}
