/* CPU index ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "gather_fwd");
}

kp_status kp_cpu_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "gather_bwd");
}

kp_status kp_cpu_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "scatter_fwd");
}

kp_status kp_cpu_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "scatter_bwd");
}
