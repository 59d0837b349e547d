/* CPU matmul ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "matmul");
}

kp_status kp_cpu_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta, bool tb, float alpha, float beta) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "bmm");
}
