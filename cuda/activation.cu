/* CUDA activation ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "act_fwd");
}

extern "C" kp_status kp_cuda_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "act_bwd");
}
