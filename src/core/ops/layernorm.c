/* Dispatch for layernorm. */
#include "core/check.h"

kp_status kp_layernorm_fwd(kp_tensor *y, kp_tensor *mean, kp_tensor *rstd, const kp_tensor *x, const kp_tensor *gamma,
                           const kp_tensor *beta, float eps) {
  const char *op = "layernorm_fwd";
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  kp_device d = x->device;
  int64_t C = kp_tensor_cols(x), R = kp_tensor_rows(x);
  KP_TRY(kp_check(op, "y", y, KP_F32, d));
  KP_TRY(kp_check_same_shape(op, "y", y, "x", x));
  KP_TRY(kp_check_numel(op, "gamma", gamma, KP_F32, d, C));
  KP_TRY(kp_check_numel(op, "beta", beta, KP_F32, d, C));
  if ((mean == NULL) != (rstd == NULL)) return kp_fail(KP_ERR_INVALID, "%s: give both mean and rstd or neither", op);
  if (mean) KP_TRY(kp_check_numel(op, "mean", mean, KP_F32, d, R));
  if (rstd) KP_TRY(kp_check_numel(op, "rstd", rstd, KP_F32, d, R));
  if (!(eps > 0.0f)) return kp_fail(KP_ERR_INVALID, "%s: eps = %g, must be > 0", op, (double)eps);
  KP_GET_BACKEND(op, d, layernorm_fwd, be);
  return be->layernorm_fwd(y, mean, rstd, x, gamma, beta, eps);
}

kp_status kp_layernorm_bwd(kp_tensor *dx, kp_tensor *dgamma, kp_tensor *dbeta, const kp_tensor *dy, const kp_tensor *x,
                           const kp_tensor *mean, const kp_tensor *rstd, const kp_tensor *gamma) {
  const char *op = "layernorm_bwd";
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  kp_device d = x->device;
  int64_t C = kp_tensor_cols(x), R = kp_tensor_rows(x);
  KP_TRY(kp_check(op, "dy", dy, KP_F32, d));
  KP_TRY(kp_check_same_shape(op, "dy", dy, "x", x));
  if (dx) {
    KP_TRY(kp_check(op, "dx", dx, KP_F32, d));
    KP_TRY(kp_check_same_shape(op, "dx", dx, "x", x));
  }
  KP_TRY(kp_check_numel(op, "gamma", gamma, KP_F32, d, C));
  KP_TRY(kp_check_numel(op, "mean", mean, KP_F32, d, R));
  KP_TRY(kp_check_numel(op, "rstd", rstd, KP_F32, d, R));
  if (dgamma) KP_TRY(kp_check_numel(op, "dgamma", dgamma, KP_F32, d, C));
  if (dbeta) KP_TRY(kp_check_numel(op, "dbeta", dbeta, KP_F32, d, C));
  KP_GET_BACKEND(op, d, layernorm_bwd, be);
  return be->layernorm_bwd(dx, dgamma, dbeta, dy, x, mean, rstd, gamma);
}
