/* CPU activation ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "act_fwd");
}

kp_status kp_cpu_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "act_bwd");
}
