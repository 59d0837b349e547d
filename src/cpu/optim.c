/* CPU optimizer steps with torch.optim's update rules (Adam, AdamW, SGD), and a
 * deterministic double-precision sum of squares for global-norm clipping. */
#include <math.h>
#include "cpu/cpu.h"

#define OPTIM_PAR 32768 /* parallelise loops longer than this */
#define SUMSQ_BLOCKS 64

/* Same arithmetic as torch.optim.Adam/AdamW's single-tensor path: scalars in double, rounded to
 * f32 once; m by lerp; denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom. */
kp_status kp_cpu_adam_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *m, kp_tensor *v,
                           const kp_adam_hparams *h, int64_t step) {
  const int64_t n = kp_tensor_numel(param);
  float *p = (float *)param->data, *mm = (float *)m->data, *vv = (float *)v->data;
  const float *g = (const float *)grad->data;
  const double bc1 = 1.0 - pow((double)h->beta1, (double)step);
  const double bc2 = 1.0 - pow((double)h->beta2, (double)step);
  const float step_size = (float)((double)h->lr / bc1);
  const float bc2_sqrt = (float)sqrt(bc2);
  const float b2 = h->beta2, one_m_b1 = (float)(1.0 - (double)h->beta1), one_m_b2 = (float)(1.0 - (double)h->beta2);
  const float eps = h->eps, wd = h->weight_decay;
  const float decay = (float)(1.0 - (double)h->lr * (double)h->weight_decay); /* AdamW's p *= 1 - lr*wd */
  const int coupled = !h->decoupled && wd != 0.0f, decoupled = h->decoupled && wd != 0.0f;
#pragma omp parallel for schedule(static) if (n > OPTIM_PAR)
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (coupled) gi += wd * p[i];
    if (decoupled) p[i] *= decay;
    mm[i] += one_m_b1 * (gi - mm[i]);
    vv[i] = vv[i] * b2 + one_m_b2 * gi * gi;
    const float denom = sqrtf(vv[i]) / bc2_sqrt + eps;
    p[i] -= step_size * (mm[i] / denom);
  }
  return KP_OK;
}

/* torch.optim.SGD: g += wd p; buf = g at step 1, else momentum buf + (1 - dampening) g;
 * nesterov uses g + momentum buf, otherwise buf; p -= lr g. */
kp_status kp_cpu_sgd_step(kp_tensor *param, const kp_tensor *grad, kp_tensor *buf, const kp_sgd_hparams *h,
                          int64_t step) {
  const int64_t n = kp_tensor_numel(param);
  float *p = (float *)param->data;
  const float *g = (const float *)grad->data;
  float *b = h->momentum != 0.0f ? (float *)buf->data : NULL;
  const float lr = h->lr, mom = h->momentum, wd = h->weight_decay;
  const float keep = (float)(1.0 - (double)h->dampening);
  const int first = step == 1, nesterov = h->nesterov;
#pragma omp parallel for schedule(static) if (n > OPTIM_PAR)
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (wd != 0.0f) gi += wd * p[i];
    if (b) {
      b[i] = first ? gi : mom * b[i] + keep * gi;
      gi = nesterov ? gi + mom * b[i] : b[i];
    }
    p[i] -= lr * gi;
  }
  return KP_OK;
}

/* Fixed blocks summed serially in double, then combined in order: the same bits for any thread count. */
kp_status kp_cpu_sumsq(const kp_tensor *x, double *out) {
  const int64_t n = kp_tensor_numel(x);
  const float *a = (const float *)x->data;
  double part[SUMSQ_BLOCKS];
#pragma omp parallel for schedule(static) if (n > OPTIM_PAR)
  for (int b = 0; b < SUMSQ_BLOCKS; b++) {
    const int64_t lo = n * b / SUMSQ_BLOCKS, hi = n * (b + 1) / SUMSQ_BLOCKS;
    double s = 0.0;
    for (int64_t i = lo; i < hi; i++) s += (double)a[i] * (double)a[i];
    part[b] = s;
  }
  double s = 0.0;
  for (int b = 0; b < SUMSQ_BLOCKS; b++) s += part[b];
  *out = s;
  return KP_OK;
}
