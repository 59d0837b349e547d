/* Dispatch for dropout. */
#include "core/check.h"

static kp_status drop_check(const char *op, const kp_tensor *out, const kp_tensor *in, float p) {
  KP_TRY(kp_check(op, "input", in, KP_F32, in ? in->device : kp_cpu()));
  KP_TRY(kp_check(op, "output", out, KP_F32, in->device));
  KP_TRY(kp_check_same_shape(op, "output", out, "input", in));
  if (!(p >= 0.0f && p < 1.0f)) return kp_fail(KP_ERR_INVALID, "%s: p = %g, allowed 0 <= p < 1", op, (double)p);
  return KP_OK;
}

kp_status kp_dropout_fwd(kp_tensor *y, const kp_tensor *x, float p, uint64_t seed, uint64_t offset) {
  KP_TRY(drop_check("dropout_fwd", y, x, p));
  KP_GET_BACKEND("dropout_fwd", x->device, dropout_fwd, be);
  return be->dropout_fwd(y, x, p, seed, offset);
}

kp_status kp_dropout_bwd(kp_tensor *dx, const kp_tensor *dy, float p, uint64_t seed, uint64_t offset) {
  KP_TRY(drop_check("dropout_bwd", dx, dy, p));
  KP_GET_BACKEND("dropout_bwd", dy->device, dropout_bwd, be);
  return be->dropout_bwd(dx, dy, p, seed, offset);
}
