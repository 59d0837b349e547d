/* CPU losses: cross-entropy (fused log-softmax, weights, label smoothing, ignore_index) and
 * BCE with logits, reduction='mean', with PyTorch's semantics. Sums are taken in double over
 * a fixed number of row blocks combined in order, so results do not depend on the thread count. */
#include <math.h>
#include "cpu/cpu.h"

#define LOSS_BLOCKS 64

/* Checks every target is in [0, C) or equal to ignore_index. */
static kp_status check_targets(const char *op, const int32_t *y, int64_t n, int64_t c, int ignore_index) {
  for (int64_t i = 0; i < n; i++)
    if (y[i] != ignore_index && (y[i] < 0 || y[i] >= c))
      return kp_fail(KP_ERR_INVALID, "%s: targets[%lld] = %d outside [0, %lld) and not ignore_index (%d)", op,
                     (long long)i, (int)y[i], (long long)c, ignore_index);
  return KP_OK;
}

/* Rows [lo, hi) of the n rows split into LOSS_BLOCKS nearly equal blocks. */
static void block_range(int64_t n, int b, int64_t *lo, int64_t *hi) {
  *lo = n * b / LOSS_BLOCKS;
  *hi = n * (b + 1) / LOSS_BLOCKS;
}

/* sum_i w[y_i] over non-ignored rows (w = 1 when NULL), and the number of such rows. */
static double ce_norm(const int32_t *y, const float *w, int64_t n, int ignore_index, int64_t *counted) {
  double norm = 0.0;
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    if (y[i] == ignore_index) continue;
    norm += w ? (double)w[y[i]] : 1.0;
    k++;
  }
  *counted = k;
  return norm;
}

kp_status kp_cpu_cross_entropy_fwd(kp_tensor *loss, kp_tensor *probs, const kp_tensor *logits,
                                   const kp_tensor *targets, const kp_tensor *weights, float ls, int ignore_index) {
  const int64_t n = logits->shape[0], c = logits->shape[1];
  const float *x = (const float *)logits->data;
  const int32_t *y = (const int32_t *)targets->data;
  const float *w = weights ? (const float *)weights->data : NULL;
  float *p = (float *)probs->data;
  KP_TRY(check_targets("cross_entropy_fwd", y, n, c, ignore_index));
  if (c == 0) { /* only possible when every row is ignored */
    ((float *)loss->data)[0] = 0.0f;
    return KP_OK;
  }
  double part[LOSS_BLOCKS];
#pragma omp parallel for schedule(static) if (n * c > 32768)
  for (int b = 0; b < LOSS_BLOCKS; b++) {
    int64_t lo, hi;
    block_range(n, b, &lo, &hi);
    double acc = 0.0;
    for (int64_t i = lo; i < hi; i++) {
      const float *xi = x + i * c;
      float *pi = p + i * c;
      float mx = xi[0];
      for (int64_t k = 1; k < c; k++) mx = xi[k] > mx ? xi[k] : mx;
      double s = 0.0;
      for (int64_t k = 0; k < c; k++) s += exp((double)xi[k] - mx);
      const double lse = mx + log(s);
      for (int64_t k = 0; k < c; k++) pi[k] = (float)exp((double)xi[k] - lse);
      if (y[i] == ignore_index) continue;
      const double wy = w ? w[y[i]] : 1.0;
      double li = (1.0 - ls) * wy * (lse - xi[y[i]]);
      if (ls > 0.0f) {
        double sm = 0.0; /* sum_c w[c] (-log p_ic) */
        for (int64_t k = 0; k < c; k++) sm += (w ? (double)w[k] : 1.0) * (lse - xi[k]);
        li += (double)ls / (double)c * sm;
      }
      acc += li;
    }
    part[b] = acc;
  }
  double total = 0.0;
  for (int b = 0; b < LOSS_BLOCKS; b++) total += part[b];
  int64_t counted;
  const double norm = ce_norm(y, w, n, ignore_index, &counted);
  ((float *)loss->data)[0] = counted ? (float)(total / norm) : 0.0f;
  return KP_OK;
}

kp_status kp_cpu_cross_entropy_bwd(kp_tensor *dlogits, const kp_tensor *probs, const kp_tensor *targets,
                                   const kp_tensor *weights, float ls, int ignore_index, float dloss) {
  const int64_t n = probs->shape[0], c = probs->shape[1];
  const float *p = (const float *)probs->data;
  const int32_t *y = (const int32_t *)targets->data;
  const float *w = weights ? (const float *)weights->data : NULL;
  float *dx = (float *)dlogits->data;
  KP_TRY(check_targets("cross_entropy_bwd", y, n, c, ignore_index));
  int64_t counted;
  const double norm = ce_norm(y, w, n, ignore_index, &counted);
  if (!counted) return KP_OK; /* every row ignored: the loss is the constant 0 */
  double wsum = 0.0;
  for (int64_t k = 0; k < c; k++) wsum += w ? (double)w[k] : 1.0;
  const float scale = (float)((double)dloss / norm);
  const float lsc = ls / (float)c, wsc = (float)wsum;
#pragma omp parallel for schedule(static) if (n * c > 32768)
  for (int64_t i = 0; i < n; i++) {
    if (y[i] == ignore_index) continue;
    const float *pi = p + i * c;
    float *di = dx + i * c;
    const float wy = w ? w[y[i]] : 1.0f;
    const float pc = (1.0f - ls) * wy + lsc * wsc; /* coefficient of p_ik */
    for (int64_t k = 0; k < c; k++) {
      float g = pi[k] * pc - lsc * (w ? w[k] : 1.0f);
      if (k == y[i]) g -= (1.0f - ls) * wy;
      di[k] += scale * g;
    }
  }
  return KP_OK;
}

/* log(1 + exp(z)) without overflow. */
static double softplus(double z) { return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z))); }

/* 1 / (1 + exp(-x)) without overflow. */
static float sigmoidf_stable(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

/* l = pw y softplus(-x) + (1 - y) softplus(x), since log s(x) = -softplus(-x), log(1 - s(x)) = -softplus(x). */
kp_status kp_cpu_bce_logits_fwd(kp_tensor *loss, const kp_tensor *logits, const kp_tensor *targets,
                                const kp_tensor *pos_weight) {
  const int64_t total = kp_tensor_numel(logits), c = kp_tensor_cols(logits);
  const float *x = (const float *)logits->data, *t = (const float *)targets->data;
  const float *pw = pos_weight ? (const float *)pos_weight->data : NULL;
  double part[LOSS_BLOCKS];
#pragma omp parallel for schedule(static) if (total > 32768)
  for (int b = 0; b < LOSS_BLOCKS; b++) {
    int64_t lo, hi;
    block_range(total, b, &lo, &hi);
    double acc = 0.0;
    for (int64_t i = lo; i < hi; i++) {
      const double xi = x[i], yi = t[i], wi = pw ? pw[i % c] : 1.0;
      acc += wi * yi * softplus(-xi) + (1.0 - yi) * softplus(xi);
    }
    part[b] = acc;
  }
  double sum = 0.0;
  for (int b = 0; b < LOSS_BLOCKS; b++) sum += part[b];
  ((float *)loss->data)[0] = total ? (float)(sum / (double)total) : 0.0f;
  return KP_OK;
}

/* dl/dx = -pw y (1 - s(x)) + (1 - y) s(x) = (pw y + 1 - y) s(x) - pw y, divided by the element count. */
kp_status kp_cpu_bce_logits_bwd(kp_tensor *dlogits, const kp_tensor *logits, const kp_tensor *targets,
                                const kp_tensor *pos_weight, float dloss) {
  const int64_t total = kp_tensor_numel(logits), c = kp_tensor_cols(logits);
  if (!total) return KP_OK;
  const float *x = (const float *)logits->data, *t = (const float *)targets->data;
  const float *pw = pos_weight ? (const float *)pos_weight->data : NULL;
  float *dx = (float *)dlogits->data;
  const float scale = (float)((double)dloss / (double)total);
#pragma omp parallel for schedule(static) if (total > 32768)
  for (int64_t i = 0; i < total; i++) {
    const float pwy = (pw ? pw[i % c] : 1.0f) * t[i];
    dx[i] += scale * ((pwy + 1.0f - t[i]) * sigmoidf_stable(x[i]) - pwy);
  }
  return KP_OK;
}
