/* CUDA loss ops (stubs: to be implemented). */
#include "common.cuh"

extern "C" kp_status kp_cuda_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "cross_entropy_fwd");
}

extern "C" kp_status kp_cuda_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index, float dloss) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "cross_entropy_bwd");
}

extern "C" kp_status kp_cuda_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "bce_logits_fwd");
}

extern "C" kp_status kp_cuda_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets, const kp_tensor *pos_weight, float dloss) {
  return kp_fail(KP_ERR_UNSUPPORTED, "%s: not implemented yet on the cuda backend", "bce_logits_bwd");
}
