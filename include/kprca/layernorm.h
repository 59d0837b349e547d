/* Layer normalisation over the last dimension (PyTorch nn.LayerNorm semantics, biased variance). */
#ifndef KPRCA_LAYERNORM_H
#define KPRCA_LAYERNORM_H
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** y = (x - mean) * rstd * gamma + beta over the last dimension C of x; gamma, beta [C];
 *  mean, rstd [rows] receive the statistics (NULL at inference). y may alias x. */
kp_status kp_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x,
                           const kp_tensor *gamma, const kp_tensor *beta, float eps);
/** dx += ..., dgamma += ..., dbeta += ... (any may be NULL), from the forward's x, mean and rstd. */
kp_status kp_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy,
                           const kp_tensor *x, const kp_tensor *mean, const kp_tensor *rstd,
                           const kp_tensor *gamma);

#ifdef __cplusplus
}
#endif
#endif
