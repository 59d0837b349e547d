/* Pointwise activations (f32, any shape). The math lives once in src/core/ewmath.h. */
#ifndef KPRCA_ACTIVATION_H
#define KPRCA_ACTIVATION_H
#include "kprca/tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum kp_act {
  KP_ACT_NONE = 0,       /* identity */
  KP_ACT_RELU = 1,       /* max(x, 0) */
  KP_ACT_LEAKY_RELU = 2, /* x > 0 ? x : alpha x   (PyG GAT uses alpha = 0.2) */
  KP_ACT_ELU = 3,        /* x > 0 ? x : alpha (e^x - 1) */
  KP_ACT_GELU = 4,       /* exact: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) */
  KP_ACT_TANH = 5
} kp_act;

/** Name of an activation ("relu", "gelu", ...). */
const char *kp_act_name(kp_act act);
/** y = act(x) elementwise; y may alias x. alpha: LeakyReLU slope or ELU alpha (ignored otherwise). */
kp_status kp_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha);
/** dx += act'(x) * dy, where x is the forward's input. */
kp_status kp_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha);

#ifdef __cplusplus
}
#endif
#endif
