/* Losses with PyTorch's semantics and reduction='mean'. Logits f32; gradients accumulate (+=). */
#ifndef KPRCA_LOSS_H
#define KPRCA_LOSS_H
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** F.cross_entropy(logits, targets, weight, ignore_index, label_smoothing), fused with log-softmax:
 *  logits [N, C], targets i32 [N] in [0, C) or == ignore_index, weights [C] or NULL; loss f32 [1] receives
 *  sum_i [(1-ls) w[y_i] nll_i + ls/C sum_c w[c] (-log p_ic)] / sum_i w[y_i] (0 when every target is ignored);
 *  probs [N, C] receives the softmax for the backward. */
kp_status kp_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits, const kp_tensor *targets,
                               const kp_tensor *weights, float label_smoothing, int ignore_index);
/** dlogits += dloss * d(loss)/d(logits), from the forward's probs. */
kp_status kp_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets,
                               const kp_tensor *weights, float label_smoothing, int ignore_index, float dloss);
/** F.binary_cross_entropy_with_logits: loss f32 [1] = mean of -[pw y log s(x) + (1-y) log(1-s(x))] over every element;
 *  targets f32 like logits (values in [0, 1]); pos_weight NULL or [C] over the last dimension. Numerically stable. */
kp_status kp_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets,
                            const kp_tensor *pos_weight);
/** dlogits += dloss * d(loss)/d(logits). */
kp_status kp_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets,
                            const kp_tensor *pos_weight, float dloss);

#ifdef __cplusplus
}
#endif
#endif
