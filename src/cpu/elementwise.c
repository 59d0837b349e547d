/* CPU bias add (and its column-sum backward), residual add, axpy and scale. */
#include "cpu/cpu.h"

#define KP_PAR_MIN 32768 /* below this many elements a loop runs on one thread */

kp_status kp_cpu_bias_add_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *b) {
  int64_t R = kp_tensor_rows(x), C = kp_tensor_cols(x);
  const float *px = x->data, *pb = b->data;
  float *py = y->data; /* may alias px: each element is read then written by one iteration */
#pragma omp parallel for if (R * C > KP_PAR_MIN)
  for (int64_t r = 0; r < R; r++)
    for (int64_t j = 0; j < C; j++) py[r * C + j] = px[r * C + j] + pb[j];
  return KP_OK;
}

/* dx += dy; db[j] += sum over rows of dy[r, j], each column summed in row order by one thread (deterministic). */
kp_status kp_cpu_bias_add_bwd(kp_tensor *dx, kp_tensor *db, const kp_tensor *dy) {
  int64_t R = kp_tensor_rows(dy), C = kp_tensor_cols(dy);
  const float *g = dy->data;
  if (dx) KP_TRY(kp_cpu_axpy(dx, 1.0f, dy));
  if (!db) return KP_OK;
  float *pdb = db->data;
  /* Columns in blocks of 16 so that each thread walks rows with contiguous reads. */
  int64_t nblk = (C + 15) / 16;
#pragma omp parallel for if (R * C > KP_PAR_MIN)
  for (int64_t k = 0; k < nblk; k++) {
    int64_t j0 = k * 16, j1 = j0 + 16 < C ? j0 + 16 : C;
    float acc[16] = {0};
    for (int64_t r = 0; r < R; r++)
      for (int64_t j = j0; j < j1; j++) acc[j - j0] += g[r * C + j];
    for (int64_t j = j0; j < j1; j++) pdb[j] += acc[j - j0];
  }
  return KP_OK;
}

kp_status kp_cpu_add_fwd(kp_tensor *y, const kp_tensor *a, const kp_tensor *b) {
  int64_t n = kp_tensor_numel(a);
  const float *pa = a->data, *pb = b->data;
  float *py = y->data;
#pragma omp parallel for if (n > KP_PAR_MIN)
  for (int64_t i = 0; i < n; i++) py[i] = pa[i] + pb[i];
  return KP_OK;
}

kp_status kp_cpu_axpy(kp_tensor *y, float alpha, const kp_tensor *x) {
  int64_t n = kp_tensor_numel(x);
  const float *px = x->data;
  float *py = y->data;
#pragma omp parallel for if (n > KP_PAR_MIN)
  for (int64_t i = 0; i < n; i++) py[i] += alpha * px[i];
  return KP_OK;
}

kp_status kp_cpu_scale(kp_tensor *x, float alpha) {
  int64_t n = kp_tensor_numel(x);
  float *px = x->data;
#pragma omp parallel for if (n > KP_PAR_MIN)
  for (int64_t i = 0; i < n; i++) px[i] *= alpha;
  return KP_OK;
}
