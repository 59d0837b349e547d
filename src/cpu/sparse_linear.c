/* CPU: a sparse input X (CSR pattern g, values v) times a dense Linear weight, and the input dropout that feeds it.
 * Every output element is owned by one loop iteration (rows of y through g, columns of dw through g's transpose),
 * so sums run in one fixed order whatever the thread count, without atomics.
 *
 * The dropout draws exactly kp_dropout_fwd's mask bits: element k = row * ncols + col is kept when word k % 4 of
 * the Philox block offset + k / 4 satisfies (word >> 8) >= ceil(p * 2^24) (src/cpu/dropout.c). Only the blocks that
 * hold an entry are drawn, KP_SPX_LANES at a time in structure-of-arrays form so the rounds vectorise. */
#include <math.h>
#include <string.h>
#include "cpu/dropout_impl.h"
#include "cpu/sparse_linear.h"
#include "kprca/rng.h"

#define KP_SPX_LANES KP_DROP_GROUP /* Philox blocks computed together (kp_cpu_philox_lanes) */
#define KP_SPX_ROWS 64     /* rows per OpenMP work item */
#define KP_SPX_PAR 32768   /* below this much work a loop runs on one thread */

typedef struct drop_job {
  const int32_t *ip, *cols;
  const float *x0;
  float *v;
  int64_t ncols;
  float s;
  uint32_t thr;
  uint64_t offset;
  uint32_t key[10][2]; /* Philox round keys of the seed */
} drop_job;

/* Masks runs k < m of entries (a run: consecutive entries of one row in one Philox block, from first[k] to the next
 * run's first entry, the last run to end), the row of run k starting at element rbase[k]. */
static void mask_runs(const drop_job *j, uint64_t ctr[KP_SPX_LANES], const int64_t *first, const uint64_t *rbase, int m,
                      int64_t end) {
  uint32_t w[4][KP_SPX_LANES];
  for (int k = m; k < KP_SPX_LANES; k++) ctr[k] = ctr[0];
  kp_cpu_philox_lanes((const uint32_t(*)[2])j->key, ctr, w);
  for (int k = 0; k < m; k++) {
    int64_t stop = k + 1 < m ? first[k + 1] : end;
    for (int64_t q = first[k]; q < stop; q++) {
      uint64_t el = rbase[k] + (uint64_t)j->cols[q];
      j->v[q] = (w[el & 3][k] >> 8) >= j->thr ? j->x0[q] * j->s : 0.0f;
    }
  }
}

/* Rows [r0, r1): their runs listed KP_SPX_LANES at a time, each list's Philox blocks drawn together. */
static void drop_rows(const drop_job *j, int64_t r0, int64_t r1) {
  uint64_t ctr[KP_SPX_LANES], rbase[KP_SPX_LANES];
  int64_t first[KP_SPX_LANES];
  int m = 0;
  for (int64_t i = r0; i < r1; i++) {
    uint64_t base = (uint64_t)i * (uint64_t)j->ncols, last = UINT64_MAX;
    for (int32_t e = j->ip[i]; e < j->ip[i + 1]; e++) {
      uint64_t b = (base + (uint64_t)j->cols[e]) >> 2;
      if (b == last) continue;
      if (m == KP_SPX_LANES) {
        mask_runs(j, ctr, first, rbase, m, e);
        m = 0;
      }
      ctr[m] = j->offset + b;
      first[m] = e;
      rbase[m] = base;
      m++;
      last = b;
    }
  }
  if (m) mask_runs(j, ctr, first, rbase, m, j->ip[r1]);
}

kp_status kp_cpu_csr_dropout(kp_tensor *v, const kp_csr *g, const kp_tensor *x0, float p, uint64_t seed,
                             uint64_t offset) {
  int64_t R = g->nrows, nchunks = (R + KP_SPX_ROWS - 1) / KP_SPX_ROWS;
  if (p == 0.0f) {
    if (v->data != x0->data) memcpy(v->data, x0->data, sizeof(float) * (size_t)g->nnz);
    return KP_OK;
  }
  drop_job j = {g->indptr.data, g->indices.data, x0->data, v->data, g->ncols,
                1.0f / (1.0f - p), (uint32_t)ceil((double)p * 16777216.0), offset, {{0}}};
  kp_cpu_philox_keys(seed, j.key);
#pragma omp parallel for schedule(dynamic, 1) if (g->nnz > KP_SPX_PAR / 16)
  for (int64_t c = 0; c < nchunks; c++) {
    int64_t r0 = c * KP_SPX_ROWS, r1 = r0 + KP_SPX_ROWS < R ? r0 + KP_SPX_ROWS : R;
    drop_rows(&j, r0, r1);
  }
  return KP_OK;
}

kp_status kp_cpu_csr_linear_fwd(kp_tensor *y, kp_tensor *wt, const kp_csr *g, const kp_tensor *v, const kp_tensor *w) {
  int64_t R = g->nrows, C = g->ncols, M = w->shape[0];
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const float *pw = w->data, *pv = v->data;
  float *pt = wt->data, *py = y->data;
  /* wt = w^T in tiles of 64 columns */
#pragma omp parallel for schedule(static) if (M * C > KP_SPX_PAR)
  for (int64_t c0 = 0; c0 < C; c0 += 64) {
    int64_t c1 = c0 + 64 < C ? c0 + 64 : C;
    for (int64_t o = 0; o < M; o++)
      for (int64_t c = c0; c < c1; c++) pt[c * M + o] = pw[o * C + c];
  }
#pragma omp parallel for schedule(dynamic, 16) if ((g->nnz + R) * M > KP_SPX_PAR)
  for (int64_t i = 0; i < R; i++) {
    float *yo = py + i * M;
    for (int64_t o = 0; o < M; o++) yo[o] = 0.0f;
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
      float s = pv[e];
      if (s == 0.0f) continue; /* a dropped entry */
      const float *wr = pt + (int64_t)ix[e] * M;
      for (int64_t o = 0; o < M; o++) yo[o] += s * wr[o];
    }
  }
  return KP_OK;
}

#define KP_SPX_OUT 64 /* outputs accumulated together per column */

kp_status kp_cpu_csr_linear_bwd(kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *v) {
  int64_t C = g->ncols, M = dy->shape[1];
  const int32_t *tp = g->t_indptr.data, *tr = g->t_rows.data, *te = g->t_edge.data;
  const float *pv = v->data, *gy = dy->data;
  float *pdw = dw->data;
#pragma omp parallel for schedule(dynamic, 32) if ((g->nnz + C) * M > KP_SPX_PAR)
  for (int64_t c = 0; c < C; c++) {
    if (tp[c] == tp[c + 1]) continue;
    for (int64_t o0 = 0; o0 < M; o0 += KP_SPX_OUT) {
      int64_t mo = M - o0 < KP_SPX_OUT ? M - o0 : KP_SPX_OUT;
      float acc[KP_SPX_OUT] = {0};
      for (int32_t q = tp[c]; q < tp[c + 1]; q++) {
        float s = pv[te[q]];
        if (s == 0.0f) continue;
        const float *gr = gy + (int64_t)tr[q] * M + o0;
        for (int64_t o = 0; o < mo; o++) acc[o] += s * gr[o];
      }
      for (int64_t o = 0; o < mo; o++) pdw[(o0 + o) * C + c] += acc[o];
    }
  }
  return KP_OK;
}
