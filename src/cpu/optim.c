/* CPU optim ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v, const kp_adam_hparams *h, int64_t step) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "adam_step");
}

kp_status kp_cpu_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h, int64_t step) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "sgd_step");
}

kp_status kp_cpu_sumsq(const kp_tensor *x, double *out) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "sumsq");
}
