/* CUDA optim ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v, const kp_adam_hparams *h, int64_t step) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "adam_step");
}

extern "C" kp_status kp_cuda_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h, int64_t step) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "sgd_step");
}

extern "C" kp_status kp_cuda_sumsq(const kp_tensor *x, double *out) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "sumsq");
}
