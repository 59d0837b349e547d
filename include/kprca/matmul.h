/* Dense matrix products (OpenBLAS on CPU; cuBLAS / cuBLASLt on GPU).
 * All tensors f32, row-major, on one device. Backward functions ACCUMULATE into the
 * gradients they are given (+=); pass NULL for a gradient that is not needed. */
#ifndef KPRCA_MATMUL_H
#define KPRCA_MATMUL_H
#include <stdbool.h>
#include "kprca/activation.h"
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

/** c = alpha * op(a) @ op(b) + beta * c for 2-D a [M,K] (or [K,M] when trans_a), b [K,N] (or [N,K]), c [M,N]. */
kp_status kp_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool trans_a, bool trans_b,
                    float alpha, float beta);
/** Gradients of c = alpha * op(a) @ op(b): da += ..., db += ... (either may be NULL). */
kp_status kp_matmul_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dc, const kp_tensor *a,
                        const kp_tensor *b, bool trans_a, bool trans_b, float alpha);
/** Batched c[i] = alpha * op(a[i]) @ op(b[i]) + beta * c[i] for 3-D tensors with one batch size. */
kp_status kp_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool trans_a, bool trans_b,
                 float alpha, float beta);
/** Gradients of the batched product: da += ..., db += ... (either may be NULL). */
kp_status kp_bmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dc, const kp_tensor *a,
                     const kp_tensor *b, bool trans_a, bool trans_b, float alpha);
/** Linear layer y = act(x @ w^T + b): x [..., K], w [M, K] (PyTorch layout), b [M] or NULL, y [..., M];
 *  pre [..., M] receives x @ w^T + b when act != KP_ACT_NONE (needed by the backward). alpha: LeakyReLU slope / ELU alpha. */
kp_status kp_linear_fwd(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w,
                        const kp_tensor *b, kp_act act, float alpha);
/** Gradients of kp_linear_fwd: dx += ..., dw += ..., db += ... (any may be NULL); pre as saved by the forward. */
kp_status kp_linear_bwd(kp_tensor *dx, kp_tensor *dw, kp_tensor *db, const kp_tensor *dy,
                        const kp_tensor *pre, const kp_tensor *x, const kp_tensor *w, kp_act act, float alpha);

#ifdef __cplusplus
}
#endif
#endif
