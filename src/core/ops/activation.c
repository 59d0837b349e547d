/* Dispatch for activations. */
#include "core/check.h"

const char *kp_act_name(kp_act act) {
  switch (act) {
    case KP_ACT_NONE: return "none";
    case KP_ACT_RELU: return "relu";
    case KP_ACT_LEAKY_RELU: return "leaky_relu";
    case KP_ACT_ELU: return "elu";
    case KP_ACT_GELU: return "gelu";
    case KP_ACT_TANH: return "tanh";
  }
  return "?";
}

static kp_status act_check(const char *op, const kp_tensor *out, const kp_tensor *x, kp_act act) {
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_TRY(kp_check(op, "output", out, KP_F32, x->device));
  KP_TRY(kp_check_same_shape(op, "output", out, "x", x));
  if ((int)act < 0 || act > KP_ACT_TANH) return kp_fail(KP_ERR_INVALID, "%s: unknown activation %d", op, (int)act);
  return KP_OK;
}

kp_status kp_act_fwd(kp_tensor *y, const kp_tensor *x, kp_act act, float alpha) {
  KP_TRY(act_check("act_fwd", y, x, act));
  KP_GET_BACKEND("act_fwd", x->device, act_fwd, be);
  return be->act_fwd(y, x, act, alpha);
}

kp_status kp_act_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *x, kp_act act, float alpha) {
  KP_TRY(act_check("act_bwd", dx, x, act));
  KP_TRY(kp_check("act_bwd", "dy", dy, KP_F32, x->device));
  KP_TRY(kp_check_same_shape("act_bwd", "dy", dy, "x", x));
  KP_GET_BACKEND("act_bwd", x->device, act_bwd, be);
  return be->act_bwd(dx, dy, x, act, alpha);
}
