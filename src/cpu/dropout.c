/* CPU dropout ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "dropout_fwd");
}

kp_status kp_cpu_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "dropout_bwd");
}
