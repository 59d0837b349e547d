/* Row softmax with an optional padding mask (attention over keys). */
#ifndef KPRCA_SOFTMAX_H
#define KPRCA_SOFTMAX_H
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** y = softmax(scale * x) over the last dimension L of x (rows = numel / L).
 *  mask: NULL or i32 [B, L] with B dividing rows; row r uses mask row r / (rows / B); 0 = padding.
 *  Masked positions get 0; a row whose positions are all masked is all 0 (not NaN). y may alias x. */
kp_status kp_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale);
/** dx += scale * y * (dy - sum(dy * y)) per row, with y the forward's output. */
kp_status kp_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale);

#ifdef __cplusplus
}
#endif
#endif
