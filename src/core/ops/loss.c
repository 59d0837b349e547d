/* Dispatch for the losses. */
#include "core/check.h"

static kp_status ce_check(const char *op, const kp_tensor *logits_like, const kp_tensor *targets,
                          const kp_tensor *weights, float ls) {
  KP_TRY(kp_check(op, "logits", logits_like, KP_F32, logits_like ? logits_like->device : kp_cpu()));
  kp_device d = logits_like->device;
  if (logits_like->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: logits must be 2-D [N, C]", op);
  int64_t n1[1] = {logits_like->shape[0]};
  KP_TRY(kp_check_shape(op, "targets", targets, KP_I32, d, 1, n1));
  if (weights) KP_TRY(kp_check_numel(op, "weights", weights, KP_F32, d, logits_like->shape[1]));
  if (!(ls >= 0.0f && ls <= 1.0f))
    return kp_fail(KP_ERR_INVALID, "%s: label_smoothing = %g, allowed 0..1", op, (double)ls);
  return KP_OK;
}

kp_status kp_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets,
                               const kp_tensor *weights, float label_smoothing, int ignore_index) {
  const char *op = "cross_entropy_fwd";
  KP_TRY(ce_check(op, logits, targets, weights, label_smoothing));
  KP_TRY(kp_check_numel(op, "loss", loss, KP_F32, logits->device, 1));
  KP_TRY(kp_check(op, "probs", probs, KP_F32, logits->device));
  KP_TRY(kp_check_same_shape(op, "probs", probs, "logits", logits));
  KP_GET_BACKEND(op, logits->device, cross_entropy_fwd, be);
  return be->cross_entropy_fwd(loss, probs, logits, targets, weights, label_smoothing, ignore_index);
}

kp_status kp_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets,
                               const kp_tensor *weights, float label_smoothing, int ignore_index, float dloss) {
  const char *op = "cross_entropy_bwd";
  KP_TRY(ce_check(op, probs, targets, weights, label_smoothing));
  KP_TRY(kp_check(op, "dlogits", dlogits, KP_F32, probs->device));
  KP_TRY(kp_check_same_shape(op, "dlogits", dlogits, "probs", probs));
  KP_GET_BACKEND(op, probs->device, cross_entropy_bwd, be);
  return be->cross_entropy_bwd(dlogits, probs, targets, weights, label_smoothing, ignore_index, dloss);
}

static kp_status bce_check(const char *op, const kp_tensor *logits, const kp_tensor *targets,
                           const kp_tensor *pos_weight) {
  KP_TRY(kp_check(op, "logits", logits, KP_F32, logits ? logits->device : kp_cpu()));
  KP_TRY(kp_check(op, "targets", targets, KP_F32, logits->device));
  KP_TRY(kp_check_same_shape(op, "targets", targets, "logits", logits));
  if (pos_weight) KP_TRY(kp_check_numel(op, "pos_weight", pos_weight, KP_F32, logits->device, kp_tensor_cols(logits)));
  return KP_OK;
}

kp_status kp_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets,
                            const kp_tensor *pos_weight) {
  KP_TRY(bce_check("bce_logits_fwd", logits, targets, pos_weight));
  KP_TRY(kp_check_numel("bce_logits_fwd", "loss", loss, KP_F32, logits->device, 1));
  KP_GET_BACKEND("bce_logits_fwd", logits->device, bce_logits_fwd, be);
  return be->bce_logits_fwd(loss, logits, targets, pos_weight);
}

kp_status kp_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets,
                            const kp_tensor *pos_weight, float dloss) {
  KP_TRY(bce_check("bce_logits_bwd", logits, targets, pos_weight));
  KP_TRY(kp_check("bce_logits_bwd", "dlogits", dlogits, KP_F32, logits->device));
  KP_TRY(kp_check_same_shape("bce_logits_bwd", "dlogits", dlogits, "logits", logits));
  KP_GET_BACKEND("bce_logits_bwd", logits->device, bce_logits_bwd, be);
  return be->bce_logits_bwd(dlogits, logits, targets, pos_weight, dloss);
}
