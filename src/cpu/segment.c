/* CPU segment pooling (sum, mean, max) over ptr-delimited row ranges; one segment per iteration. */
#include <math.h>
#include "cpu/cpu.h"

#define KP_PAR_MIN 32768 /* below this many elements a loop runs on one thread */

/* ptr[0] = 0, non-decreasing, ptr[G] = N. */
static kp_status check_ptr(const char *op, const kp_tensor *ptr, int64_t N) {
  const int32_t *p = ptr->data;
  int64_t G = ptr->shape[0] - 1;
  if (p[0] != 0) return kp_fail(KP_ERR_INVALID, "%s: ptr[0] = %d, expected 0", op, p[0]);
  for (int64_t g = 0; g < G; g++)
    if (p[g + 1] < p[g])
      return kp_fail(KP_ERR_INVALID, "%s: ptr decreases at segment %lld (ptr[%lld] = %d > ptr[%lld] = %d)", op,
                     (long long)g, (long long)g, p[g], (long long)(g + 1), p[g + 1]);
  if (p[G] != N)
    return kp_fail(KP_ERR_INVALID, "%s: ptr[%lld] = %d, expected the row count %lld", op, (long long)G, p[G],
                   (long long)N);
  return KP_OK;
}

kp_status kp_cpu_segment_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *x, const kp_tensor *ptr, kp_reduce r) {
  int64_t N = x->shape[0], F = x->shape[1], G = ptr->shape[0] - 1;
  KP_TRY(check_ptr("segment_fwd", ptr, N));
  const int32_t *p = ptr->data;
  const float *px = x->data;
  float *py = y->data;
  int32_t *pa = arg ? arg->data : NULL;
#pragma omp parallel for schedule(dynamic, 4) if (N * F > KP_PAR_MIN)
  for (int64_t g = 0; g < G; g++) {
    float *yo = py + g * F;
    int32_t a = p[g], b = p[g + 1];
    if (r == KP_REDUCE_MAX) {
      int32_t *ao = pa + g * F;
      for (int64_t f = 0; f < F; f++) {
        float m = 0.0f;
        int32_t w = -1;
        for (int32_t i = a; i < b; i++) /* strict >: ties go to the first row */
          if (w < 0 || px[(int64_t)i * F + f] > m) {
            m = px[(int64_t)i * F + f];
            w = i;
          }
        yo[f] = m;
        ao[f] = w;
      }
      continue;
    }
    for (int64_t f = 0; f < F; f++) yo[f] = 0.0f;
    for (int32_t i = a; i < b; i++)
      for (int64_t f = 0; f < F; f++) yo[f] += px[(int64_t)i * F + f];
    if (r == KP_REDUCE_MEAN && b - a > 1)
      for (int64_t f = 0; f < F; f++) yo[f] /= (float)(b - a);
  }
  return KP_OK;
}

kp_status kp_cpu_segment_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *ptr,
                             kp_reduce r) {
  const char *op = "segment_bwd";
  int64_t N = dx->shape[0], F = dx->shape[1], G = ptr->shape[0] - 1;
  KP_TRY(check_ptr(op, ptr, N));
  const int32_t *p = ptr->data;
  const float *g = dy->data;
  float *pd = dx->data;
  if (r == KP_REDUCE_MAX) {
    /* each winner must lie inside its own segment, so segments write disjoint rows */
    const int32_t *pa = arg->data;
    for (int64_t s = 0; s < G; s++)
      for (int64_t f = 0; f < F; f++) {
        int32_t w = pa[s * F + f];
        if (w != -1 && (w < p[s] || w >= p[s + 1]))
          return kp_fail(KP_ERR_INVALID, "%s: arg[%lld, %lld] = %d outside segment rows [%d, %d)", op, (long long)s,
                         (long long)f, w, p[s], p[s + 1]);
      }
#pragma omp parallel for if (G * F > KP_PAR_MIN)
    for (int64_t s = 0; s < G; s++)
      for (int64_t f = 0; f < F; f++) {
        int32_t w = pa[s * F + f];
        if (w >= 0) pd[(int64_t)w * F + f] += g[s * F + f];
      }
    return KP_OK;
  }
#pragma omp parallel for schedule(dynamic, 4) if (N * F > KP_PAR_MIN)
  for (int64_t s = 0; s < G; s++) {
    int32_t a = p[s], b = p[s + 1];
    float sc = (r == KP_REDUCE_MEAN && b - a > 0) ? 1.0f / (float)(b - a) : 1.0f;
    for (int32_t i = a; i < b; i++)
      for (int64_t f = 0; f < F; f++) pd[(int64_t)i * F + f] += sc * g[s * F + f];
  }
  return KP_OK;
}
