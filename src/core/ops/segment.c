/* Dispatch for segment pooling. */
#include "core/check.h"

static kp_status seg_check(const char *op, const kp_tensor *y, const kp_tensor *arg, const kp_tensor *x,
                           const kp_tensor *ptr, kp_reduce r) {
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  kp_device d = x->device;
  if (x->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: x must be 2-D [N, F] (got %d-D)", op, x->ndim);
  KP_TRY(kp_check(op, "ptr", ptr, KP_I32, d));
  if (ptr->ndim != 1 || ptr->shape[0] < 1)
    return kp_fail(KP_ERR_INVALID, "%s: ptr must be 1-D [G+1] with G >= 0", op);
  int64_t ys[2] = {ptr->shape[0] - 1, x->shape[1]};
  KP_TRY(kp_check_shape(op, "y", y, KP_F32, d, 2, ys));
  if ((int)r < 0 || r > KP_REDUCE_MAX) return kp_fail(KP_ERR_INVALID, "%s: unknown reduction %d", op, (int)r);
  if (r == KP_REDUCE_MAX) {
    if (!arg) return kp_fail(KP_ERR_INVALID, "%s: arg is required for max", op);
    KP_TRY(kp_check_shape(op, "arg", arg, KP_I32, d, 2, ys));
  }
  return KP_OK;
}

kp_status kp_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r) {
  KP_TRY(seg_check("segment_fwd", y, arg, x, ptr, r));
  KP_GET_BACKEND("segment_fwd", x->device, segment_fwd, be);
  return be->segment_fwd(y, r == KP_REDUCE_MAX ? arg : NULL, x, ptr, r);
}

kp_status kp_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr, kp_reduce r) {
  KP_TRY(seg_check("segment_bwd", dy, arg, dx, ptr, r));
  KP_GET_BACKEND("segment_bwd", dx->device, segment_bwd, be);
  return be->segment_bwd(dx, dy, r == KP_REDUCE_MAX ? arg : NULL, ptr, r);
}
