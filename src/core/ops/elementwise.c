/* Dispatch for bias add, residual add, axpy and scale. */
#include "core/check.h"

kp_status kp_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b) {
  const char *op = "bias_add_fwd";
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_TRY(kp_check(op, "y", y, KP_F32, x->device));
  KP_TRY(kp_check_same_shape(op, "y", y, "x", x));
  KP_TRY(kp_check_numel(op, "b", b, KP_F32, x->device, kp_tensor_cols(x)));
  KP_GET_BACKEND(op, x->device, bias_add_fwd, be);
  return be->bias_add_fwd(y, x, b);
}

kp_status kp_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy) {
  const char *op = "bias_add_bwd";
  KP_TRY(kp_check(op, "dy", dy, KP_F32, dy ? dy->device : kp_cpu()));
  if (dx) {
    KP_TRY(kp_check(op, "dx", dx, KP_F32, dy->device));
    KP_TRY(kp_check_same_shape(op, "dx", dx, "dy", dy));
  }
  if (db) KP_TRY(kp_check_numel(op, "db", db, KP_F32, dy->device, kp_tensor_cols(dy)));
  KP_GET_BACKEND(op, dy->device, bias_add_bwd, be);
  if (!db) return dx ? be->axpy(dx, 1.0f, dy) : KP_OK;
  return be->bias_add_bwd(dx, db, dy);
}

kp_status kp_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b) {
  const char *op = "add_fwd";
  KP_TRY(kp_check(op, "a", a, KP_F32, a ? a->device : kp_cpu()));
  KP_TRY(kp_check(op, "b", b, KP_F32, a->device));
  KP_TRY(kp_check(op, "y", y, KP_F32, a->device));
  KP_TRY(kp_check_same_shape(op, "a", a, "b", b));
  KP_TRY(kp_check_same_shape(op, "y", y, "a", a));
  KP_GET_BACKEND(op, a->device, add_fwd, be);
  return be->add_fwd(y, a, b);
}

kp_status kp_add_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dy) {
  if (da) KP_TRY(kp_axpy(da, 1.0f, dy));
  if (db) KP_TRY(kp_axpy(db, 1.0f, dy));
  return KP_OK;
}

kp_status kp_axpy(kp_tensor *y, float alpha, const kp_tensor *x) {
  const char *op = "axpy";
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_TRY(kp_check(op, "y", y, KP_F32, x->device));
  KP_TRY(kp_check_same_shape(op, "y", y, "x", x));
  KP_GET_BACKEND(op, x->device, axpy, be);
  return be->axpy(y, alpha, x);
}

kp_status kp_scale(kp_tensor *x, float alpha) {
  KP_TRY(kp_check("scale", "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_GET_BACKEND("scale", x->device, scale, be);
  return be->scale(x, alpha);
}
