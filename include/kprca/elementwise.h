/* Bias add, residual add and scaled accumulation (f32). */
#ifndef KPRCA_ELEMENTWISE_H
#define KPRCA_ELEMENTWISE_H
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** y = x + b with b [C] broadcast over the last dimension C of x; y may alias x. */
kp_status kp_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b);
/** dx += dy; db += dy summed over all rows (either may be NULL). */
kp_status kp_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy);
/** Residual add y = a + b (same shape); y may alias a or b. */
kp_status kp_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b);
/** da += dy; db += dy (either may be NULL). */
kp_status kp_add_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dy);
/** y += alpha * x (same shape). */
kp_status kp_axpy(kp_tensor *y, float alpha, const kp_tensor *x);
/** x *= alpha. */
kp_status kp_scale(kp_tensor *x, float alpha);

#ifdef __cplusplus
}
#endif
#endif
