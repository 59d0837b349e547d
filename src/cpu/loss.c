/* CPU loss ops (stubs: to be implemented). */
#include "cpu/cpu.h"

kp_status kp_cpu_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "cross_entropy_fwd");
}

kp_status kp_cpu_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index, float dloss) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "cross_entropy_bwd");
}

kp_status kp_cpu_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "bce_logits_fwd");
}

kp_status kp_cpu_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight, float dloss) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cpu backend", "bce_logits_bwd");
}
