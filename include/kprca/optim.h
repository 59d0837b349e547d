/* Optimizer steps on (flat) f32 parameter buffers, with PyTorch's update rules, and
 * global-norm gradient clipping as torch.nn.utils.clip_grad_norm_. */
#ifndef KPRCA_OPTIM_H
#define KPRCA_OPTIM_H
#include <stdbool.h>
#include <stdint.h>
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_adam_hparams {
  float lr, beta1, beta2, eps, weight_decay;
  bool decoupled; /* true: AdamW (p -= lr*wd*p before the update); false: Adam (g += wd*p) */
} kp_adam_hparams;

typedef struct kp_sgd_hparams {
  float lr, momentum, dampening, weight_decay;
  bool nesterov;
} kp_sgd_hparams;

/** One Adam/AdamW step (step >= 1 is the 1-based count used for bias correction); m, v are the moment buffers. */
kp_status kp_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v,
                       const kp_adam_hparams *h, int64_t step);
/** One SGD step (torch.optim.SGD); buf is the momentum buffer, initialised to the gradient at step 1. */
kp_status kp_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h,
                      int64_t step);
/** Sum of squares of x, accumulated in double. */
kp_status kp_sumsq(const kp_tensor *x, double *out);
/** Global L2 norm over n gradient tensors; when it exceeds max_norm (> 0) scales all by max_norm / (norm + 1e-6). */
kp_status kp_clip_grad_norm(kp_tensor *const *grads, int n, float max_norm, float *total_norm);

#ifdef __cplusplus
}
#endif
#endif
