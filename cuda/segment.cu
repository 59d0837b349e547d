/* CUDA segment ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "segment_fwd");
}

extern "C" kp_status kp_cuda_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "segment_bwd");
}
