/* CPU row gather and scatter (sum, mean, max) by an i32 index. Scatters are made
 * deterministic and race-free by giving each thread a block of feature columns and
 * walking the index in order. */
#include <math.h>
#include "cpu/cpu.h"

#define KP_PAR_MIN 32768 /* below this many elements a loop runs on one thread */
#define KP_COLBLK 16     /* feature columns per thread in the scatter loops */

/* Every idx[k] lies in [0, n); counts (may be NULL) receives how many k hit each row. */
static kp_status check_idx(const char *op, const kp_tensor *idx, int64_t n, int32_t *counts) {
  const int32_t *p = idx->data;
  int64_t K = kp_tensor_numel(idx);
  for (int64_t k = 0; k < K; k++) {
    if (p[k] < 0 || p[k] >= n)
      return kp_fail(KP_ERR_INVALID, "%s: idx[%lld] = %d outside [0, %lld)", op, (long long)k, p[k], (long long)n);
    if (counts) counts[p[k]]++;
  }
  return KP_OK;
}

/* Per-row hit counts in a pooled scratch tensor (for mean). */
static kp_status counts_of(const char *op, const kp_tensor *idx, int64_t n, kp_tensor *cnt) {
  int64_t shape[1] = {n};
  KP_TRY(kp_tensor_zeros(cnt, KP_I32, kp_cpu(), 1, shape));
  kp_status s = check_idx(op, idx, n, cnt->data);
  if (s != KP_OK) kp_tensor_free(cnt);
  return s;
}

kp_status kp_cpu_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx) {
  int64_t N = x->shape[0], F = x->shape[1], K = idx->shape[0];
  KP_TRY(check_idx("gather_fwd", idx, N, NULL));
  const float *px = x->data;
  const int32_t *pi = idx->data;
  float *py = y->data;
#pragma omp parallel for if (K * F > KP_PAR_MIN)
  for (int64_t k = 0; k < K; k++)
    for (int64_t f = 0; f < F; f++) py[k * F + f] = px[(int64_t)pi[k] * F + f];
  return KP_OK;
}

/* dx[idx[k], :] += dy[k, :], column blocks in parallel, k in order within each. */
kp_status kp_cpu_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx) {
  int64_t N = dx->shape[0], F = dx->shape[1], K = idx->shape[0];
  KP_TRY(check_idx("gather_bwd", idx, N, NULL));
  const float *g = dy->data;
  const int32_t *pi = idx->data;
  float *pdx = dx->data;
  int64_t nblk = (F + KP_COLBLK - 1) / KP_COLBLK;
#pragma omp parallel for if (K * F > KP_PAR_MIN)
  for (int64_t b = 0; b < nblk; b++) {
    int64_t f0 = b * KP_COLBLK, f1 = f0 + KP_COLBLK < F ? f0 + KP_COLBLK : F;
    for (int64_t k = 0; k < K; k++) {
      float *d = pdx + (int64_t)pi[k] * F;
      const float *s = g + k * F;
      for (int64_t f = f0; f < f1; f++) d[f] += s[f];
    }
  }
  return KP_OK;
}

/* Max over the k of each row, ties to the smallest k (strict >, k ascending); empty rows 0 with arg -1. */
static void scatter_max(float *py, int32_t *pa, const float *ps, const int32_t *pi, int64_t N, int64_t F, int64_t K) {
  int64_t nblk = (F + KP_COLBLK - 1) / KP_COLBLK;
#pragma omp parallel for if (K * F > KP_PAR_MIN)
  for (int64_t b = 0; b < nblk; b++) {
    int64_t f0 = b * KP_COLBLK, f1 = f0 + KP_COLBLK < F ? f0 + KP_COLBLK : F;
    for (int64_t n = 0; n < N; n++)
      for (int64_t f = f0; f < f1; f++) {
        py[n * F + f] = -INFINITY;
        pa[n * F + f] = -1;
      }
    for (int64_t k = 0; k < K; k++) {
      int64_t o = (int64_t)pi[k] * F;
      for (int64_t f = f0; f < f1; f++)
        if (pa[o + f] < 0 || ps[k * F + f] > py[o + f]) {
          py[o + f] = ps[k * F + f];
          pa[o + f] = (int32_t)k;
        }
    }
    for (int64_t n = 0; n < N; n++)
      for (int64_t f = f0; f < f1; f++)
        if (pa[n * F + f] < 0) py[n * F + f] = 0.0f;
  }
}

kp_status kp_cpu_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r) {
  const char *op = "scatter_fwd";
  int64_t N = y->shape[0], F = y->shape[1], K = src->shape[0];
  const float *ps = src->data;
  const int32_t *pi = idx->data;
  float *py = y->data;
  if (r == KP_REDUCE_MAX) {
    KP_TRY(check_idx(op, idx, N, NULL));
    scatter_max(py, arg->data, ps, pi, N, F, K);
    return KP_OK;
  }
  kp_tensor cnt = {0};
  if (r == KP_REDUCE_MEAN)
    KP_TRY(counts_of(op, idx, N, &cnt));
  else
    KP_TRY(check_idx(op, idx, N, NULL));
  const int32_t *pc = cnt.data;
  int64_t nblk = (F + KP_COLBLK - 1) / KP_COLBLK;
#pragma omp parallel for if (K * F > KP_PAR_MIN)
  for (int64_t b = 0; b < nblk; b++) {
    int64_t f0 = b * KP_COLBLK, f1 = f0 + KP_COLBLK < F ? f0 + KP_COLBLK : F;
    for (int64_t n = 0; n < N; n++)
      for (int64_t f = f0; f < f1; f++) py[n * F + f] = 0.0f;
    for (int64_t k = 0; k < K; k++) {
      float *d = py + (int64_t)pi[k] * F;
      for (int64_t f = f0; f < f1; f++) d[f] += ps[k * F + f];
    }
    if (pc)
      for (int64_t n = 0; n < N; n++)
        if (pc[n] > 1)
          for (int64_t f = f0; f < f1; f++) py[n * F + f] /= (float)pc[n];
  }
  kp_tensor_free(&cnt);
  return KP_OK;
}

/* Max backward: each (n, f) routes dy to its winner arg[n, f], which must be a k with idx[k] = n
 * (so no two (n, f) write the same element). */
static kp_status scatter_max_bwd(float *pd, const float *g, const int32_t *pa, const int32_t *pi, int64_t N,
                                 int64_t F, int64_t K) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t f = 0; f < F; f++) {
      int32_t k = pa[n * F + f];
      if (k < -1 || k >= K || (k >= 0 && pi[k] != n))
        return kp_fail(KP_ERR_INVALID, "scatter_bwd: arg[%lld, %lld] = %d is not a source of row %lld",
                       (long long)n, (long long)f, k, (long long)n);
    }
#pragma omp parallel for if (N * F > KP_PAR_MIN)
  for (int64_t n = 0; n < N; n++)
    for (int64_t f = 0; f < F; f++) {
      int32_t k = pa[n * F + f];
      if (k >= 0) pd[(int64_t)k * F + f] += g[n * F + f];
    }
  return KP_OK;
}

kp_status kp_cpu_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx,
                             kp_reduce r) {
  const char *op = "scatter_bwd";
  int64_t N = dy->shape[0], F = dy->shape[1], K = dsrc->shape[0];
  const float *g = dy->data;
  const int32_t *pi = idx->data;
  float *pd = dsrc->data;
  if (r == KP_REDUCE_MAX) {
    KP_TRY(check_idx(op, idx, N, NULL));
    return scatter_max_bwd(pd, g, arg->data, pi, N, F, K);
  }
  kp_tensor cnt = {0};
  if (r == KP_REDUCE_MEAN)
    KP_TRY(counts_of(op, idx, N, &cnt));
  else
    KP_TRY(check_idx(op, idx, N, NULL));
  const int32_t *pc = cnt.data;
#pragma omp parallel for if (K * F > KP_PAR_MIN)
  for (int64_t k = 0; k < K; k++) {
    float s = pc ? 1.0f / (float)pc[pi[k]] : 1.0f;
    const float *gy = g + (int64_t)pi[k] * F;
    for (int64_t f = 0; f < F; f++) pd[k * F + f] += s * gy[f];
  }
  kp_tensor_free(&cnt);
  return KP_OK;
}
