/* CPU masked row softmax: max-subtracted exponentials over the unmasked positions of each row. */
#include <math.h>
#include "cpu/cpu.h"

kp_status kp_cpu_softmax_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *mask, float scale) {
  int64_t R = kp_tensor_rows(x), L = kp_tensor_cols(x);
  if (R == 0 || L == 0) return KP_OK;
  int64_t per = mask ? R / mask->shape[0] : 1; /* rows sharing one mask row */
  const float *px = x->data;
  const int32_t *pm = mask ? mask->data : NULL;
  float *py = y->data; /* may alias px: each element is read before it is written */
#pragma omp parallel for if (R * L > 16384)
  for (int64_t r = 0; r < R; r++) {
    const float *xr = px + r * L;
    const int32_t *mr = pm ? pm + (r / per) * L : NULL;
    float *yr = py + r * L;
    float m = -INFINITY;
    for (int64_t j = 0; j < L; j++)
      if (!mr || mr[j]) m = fmaxf(m, scale * xr[j]);
    if (m == -INFINITY) { /* every position masked (or -inf): the row is all zero */
      for (int64_t j = 0; j < L; j++) yr[j] = 0.0f;
      continue;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < L; j++) {
      float e = (!mr || mr[j]) ? expf(scale * xr[j] - m) : 0.0f;
      yr[j] = e;
      sum += e;
    }
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < L; j++) yr[j] *= inv;
  }
  return KP_OK;
}

/* dx += scale * y * (dy - <dy, y>) per row; masked positions have y = 0 and get nothing. */
kp_status kp_cpu_softmax_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *y, float scale) {
  int64_t R = kp_tensor_rows(y), L = kp_tensor_cols(y);
  const float *py = y->data, *g = dy->data;
  float *pdx = dx->data;
#pragma omp parallel for if (R * L > 16384)
  for (int64_t r = 0; r < R; r++) {
    const float *yr = py + r * L, *gr = g + r * L;
    float *dr = pdx + r * L;
    float dot = 0.0f;
    for (int64_t j = 0; j < L; j++) dot += gr[j] * yr[j];
    for (int64_t j = 0; j < L; j++) dr[j] += scale * yr[j] * (gr[j] - dot);
  }
  return KP_OK;
}
