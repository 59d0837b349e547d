/* Dispatch for optimizer steps and global-norm clipping. */
#include <math.h>
#include "core/check.h"

static kp_status same_f32(const char *op, const char *name, const kp_tensor *t, const kp_tensor *param) {
  KP_TRY(kp_check(op, name, t, KP_F32, param->device));
  return kp_check_same_shape(op, name, t, "param", param);
}

kp_status kp_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v, const kp_adam_hparams *h,
                       int64_t step) {
  const char *op = "adam_step";
  KP_TRY(kp_check(op, "param", param, KP_F32, param ? param->device : kp_cpu()));
  KP_TRY(same_f32(op, "grad", grad, param));
  KP_TRY(same_f32(op, "m", m, param));
  KP_TRY(same_f32(op, "v", v, param));
  if (!h) return kp_fail(KP_ERR_INVALID, "%s: hyper-parameters are NULL", op);
  if (step < 1) return kp_fail(KP_ERR_INVALID, "%s: step = %lld, must be >= 1", op, (long long)step);
  if (!(h->lr >= 0 && h->beta1 >= 0 && h->beta1 < 1 && h->beta2 >= 0 && h->beta2 < 1 && h->eps > 0 &&
        h->weight_decay >= 0))
    return kp_fail(KP_ERR_INVALID, "%s: need lr >= 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0", op);
  KP_GET_BACKEND(op, param->device, adam_step, be);
  return be->adam_step(param, grad, m, v, h, step);
}

kp_status kp_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h,
                      int64_t step) {
  const char *op = "sgd_step";
  KP_TRY(kp_check(op, "param", param, KP_F32, param ? param->device : kp_cpu()));
  KP_TRY(same_f32(op, "grad", grad, param));
  if (!h) return kp_fail(KP_ERR_INVALID, "%s: hyper-parameters are NULL", op);
  if (h->momentum != 0.0f) KP_TRY(same_f32(op, "buf", buf, param));
  if (step < 1) return kp_fail(KP_ERR_INVALID, "%s: step = %lld, must be >= 1", op, (long long)step);
  if (!(h->lr >= 0 && h->momentum >= 0 && h->weight_decay >= 0))
    return kp_fail(KP_ERR_INVALID, "%s: need lr, momentum, weight_decay >= 0", op);
  if (h->nesterov && (h->momentum <= 0 || h->dampening != 0))
    return kp_fail(KP_ERR_INVALID, "%s: nesterov needs momentum > 0 and dampening = 0", op);
  KP_GET_BACKEND(op, param->device, sgd_step, be);
  return be->sgd_step(param, grad, buf, h, step);
}

kp_status kp_sumsq(const kp_tensor *x, double *out) {
  KP_TRY(kp_check("sumsq", "x", x, KP_F32, x ? x->device : kp_cpu()));
  KP_GET_BACKEND("sumsq", x->device, sumsq, be);
  *out = 0.0;
  return kp_tensor_numel(x) ? be->sumsq(x, out) : KP_OK;
}

kp_status kp_clip_grad_norm(kp_tensor *const *grads, int n, float max_norm, float *total_norm) {
  double ss = 0.0;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    KP_TRY(kp_sumsq(grads[i], &s));
    ss += s;
  }
  double norm = sqrt(ss);
  if (total_norm) *total_norm = (float)norm;
  if (max_norm > 0.0f && norm > max_norm) {
    float coef = (float)(max_norm / (norm + 1e-6));
    for (int i = 0; i < n; i++) KP_TRY(kp_scale(grads[i], coef));
  }
  return KP_OK;
}
