/* CUDA softmax ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "softmax_fwd");
}

extern "C" kp_status kp_cuda_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "softmax_bwd");
}
