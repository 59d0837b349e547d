/* CUDA index ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "gather_fwd");
}

extern "C" kp_status kp_cuda_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "gather_bwd");
}

extern "C" kp_status kp_cuda_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "scatter_fwd");
}

extern "C" kp_status kp_cuda_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "scatter_bwd");
}
