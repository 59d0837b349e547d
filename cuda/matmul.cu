/* CUDA matmul ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "matmul");
}

extern "C" kp_status kp_cuda_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "bmm");
}

extern "C" kp_status kp_cuda_linear_fwd(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w, const kp_tensor *b, kp_act act, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "linear_fwd");
}
