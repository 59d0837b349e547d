/* CPU elementwise ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "bias_add_fwd");
}

kp_status kp_cpu_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "bias_add_bwd");
}

kp_status kp_cpu_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "add_fwd");
}

kp_status kp_cpu_axpy(kp_tensor *y, float alpha, const kp_tensor *x) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "axpy");
}

kp_status kp_cpu_scale(kp_tensor *x, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "scale");
}
