/* CPU segment ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "segment_fwd");
}

kp_status kp_cpu_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "segment_bwd");
}
