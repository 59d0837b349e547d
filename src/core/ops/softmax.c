/* Dispatch for the masked row softmax. */
#include "core/check.h"

kp_status kp_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale) {
  const char *op = "softmax_fwd";
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_TRY(kp_check(op, "y", y, KP_F32, x->device));
  KP_TRY(kp_check_same_shape(op, "y", y, "x", x));
  if (x->ndim < 1) return kp_fail(KP_ERR_INVALID, "softmax_fwd: x must have at least one dimension");
  if (mask) {
    KP_TRY(kp_check(op, "mask", mask, KP_I32, x->device));
    int64_t rows = kp_tensor_rows(x), L = kp_tensor_cols(x);
    if (mask->ndim != 2 || mask->shape[1] != L || mask->shape[0] <= 0 || rows % mask->shape[0] != 0) {
      char a[64];
      return kp_fail(KP_ERR_INVALID, "softmax_fwd: mask is %s, expected i32 [B, %lld] with B dividing %lld rows", 
                     kp_tensor_str(mask, a, sizeof a), (long long)L, (long long)rows);
    }
  }
  KP_GET_BACKEND(op, x->device, softmax_fwd, be);
  return be->softmax_fwd(y, x, mask, scale);
}

kp_status kp_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale) {
  const char *op = "softmax_bwd";
  KP_TRY(kp_check(op, "y", y, KP_F32, y ? y->device : kp_cpu()));
  KP_TRY(kp_check(op, "dy", dy, KP_F32, y->device));
  KP_TRY(kp_check(op, "dx", dx, KP_F32, y->device));
  KP_TRY(kp_check_same_shape(op, "dy", dy, "y", y));
  KP_TRY(kp_check_same_shape(op, "dx", dx, "y", y));
  KP_GET_BACKEND(op, y->device, softmax_bwd, be);
  return be->softmax_bwd(dx, dy, y, scale);
}
