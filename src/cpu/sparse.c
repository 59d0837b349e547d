/* CPU SpMM, SDDMM and edge softmax on a CSR graph. Every output row is owned by one
 * iteration (rows of the CSR, or columns through its transpose), so results are race-free
 * and sums run in a fixed order. */
#include <math.h>
#include "cpu/cpu.h"
#include "cpu/edge_softmax.h"

#define KP_PAR_MIN 32768 /* below this much work a loop runs on one thread */

/* Heads of an edge tensor laid out [nnz] (1 head) or [nnz, H]. */
static int64_t heads_of(const kp_tensor *t) { return t && t->ndim == 2 ? t->shape[1] : 1; }

/* 1 / degree of row i for MEAN (1 for SUM or an empty row). */
static float row_scale(const int32_t *ip, int64_t i, kp_reduce r) {
  int32_t deg = ip[i + 1] - ip[i];
  return r == KP_REDUCE_MEAN && deg > 0 ? 1.0f / (float)deg : 1.0f;
}

static float dotf(const float *a, const float *b, int64_t n) {
  float s = 0.0f;
  for (int64_t d = 0; d < n; d++) s += a[d] * b[d];
  return s;
}

kp_status kp_cpu_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  int64_t R = g->nrows, F = x->shape[1], H = heads_of(w), D = H ? F / H : 0;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const float *pw = w ? w->data : NULL, *px = x->data;
  float *py = y->data;
#pragma omp parallel for schedule(dynamic, 16) if ((g->nnz + R) * F > KP_PAR_MIN)
  for (int64_t i = 0; i < R; i++) {
    float *yo = py + i * F;
    for (int64_t f = 0; f < F; f++) yo[f] = 0.0f;
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
      const float *xr = px + (int64_t)ix[e] * F;
      for (int64_t h = 0; h < H; h++) {
        float s = pw ? pw[(int64_t)e * H + h] : 1.0f;
        for (int64_t d = h * D; d < (h + 1) * D; d++) yo[d] += s * xr[d];
      }
    }
    float sc = row_scale(ip, i, r);
    if (sc != 1.0f)
      for (int64_t f = 0; f < F; f++) yo[f] *= sc;
  }
  return KP_OK;
}

kp_status kp_cpu_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w,
                          const kp_tensor *x, kp_reduce r) {
  int64_t R = g->nrows, C = g->ncols, F = x->shape[1], H = heads_of(w), D = H ? F / H : 0;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const int32_t *tp = g->t_indptr.data, *tr = g->t_rows.data, *te = g->t_edge.data;
  const float *pw = w ? w->data : NULL, *px = x->data, *gy = dy->data;
  if (dx) {
    /* dx[j] += sum over the edges into column j, walked through the transpose */
    float *pdx = dx->data;
#pragma omp parallel for schedule(dynamic, 16) if ((g->nnz + C) * F > KP_PAR_MIN)
    for (int64_t j = 0; j < C; j++) {
      float *xo = pdx + j * F;
      for (int32_t p = tp[j]; p < tp[j + 1]; p++) {
        int64_t e = te[p], i = tr[p];
        float sc = row_scale(ip, i, r);
        const float *gr = gy + i * F;
        for (int64_t h = 0; h < H; h++) {
          float s = sc * (pw ? pw[e * H + h] : 1.0f);
          for (int64_t d = h * D; d < (h + 1) * D; d++) xo[d] += s * gr[d];
        }
      }
    }
  }
  if (dw) {
    float *pdw = dw->data;
#pragma omp parallel for schedule(dynamic, 16) if (g->nnz * F > KP_PAR_MIN)
    for (int64_t i = 0; i < R; i++) {
      float sc = row_scale(ip, i, r);
      const float *gr = gy + i * F;
      for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
        const float *xr = px + (int64_t)ix[e] * F;
        for (int64_t h = 0; h < H; h++) pdw[(int64_t)e * H + h] += sc * dotf(gr + h * D, xr + h * D, D);
      }
    }
  }
  return KP_OK;
}

kp_status kp_cpu_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  int64_t R = g->nrows, F = a->shape[1], H = heads_of(out), D = F / H;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const float *pa = a->data, *pb = b->data;
  float *po = out->data;
#pragma omp parallel for schedule(dynamic, 16) if (g->nnz * F > KP_PAR_MIN)
  for (int64_t i = 0; i < R; i++)
    for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
      const float *ar = pa + i * F, *br = pb + (int64_t)ix[e] * F;
      for (int64_t h = 0; h < H; h++) po[(int64_t)e * H + h] = dotf(ar + h * D, br + h * D, D);
    }
  return KP_OK;
}

kp_status kp_cpu_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a,
                           const kp_tensor *b) {
  int64_t R = g->nrows, C = g->ncols, F = a->shape[1], H = heads_of(dout), D = F / H;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const int32_t *tp = g->t_indptr.data, *tr = g->t_rows.data, *te = g->t_edge.data;
  const float *pa = a->data, *pb = b->data, *go = dout->data;
  if (da) {
    float *pda = da->data;
#pragma omp parallel for schedule(dynamic, 16) if ((g->nnz + R) * F > KP_PAR_MIN)
    for (int64_t i = 0; i < R; i++) {
      float *ao = pda + i * F;
      for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
        const float *br = pb + (int64_t)ix[e] * F;
        for (int64_t h = 0; h < H; h++) {
          float s = go[(int64_t)e * H + h];
          for (int64_t d = h * D; d < (h + 1) * D; d++) ao[d] += s * br[d];
        }
      }
    }
  }
  if (db) {
    float *pdb = db->data;
#pragma omp parallel for schedule(dynamic, 16) if ((g->nnz + C) * F > KP_PAR_MIN)
    for (int64_t j = 0; j < C; j++) {
      float *bo = pdb + j * F;
      for (int32_t p = tp[j]; p < tp[j + 1]; p++) {
        const float *ar = pa + (int64_t)tr[p] * F;
        for (int64_t h = 0; h < H; h++) {
          float s = go[(int64_t)te[p] * H + h];
          for (int64_t d = h * D; d < (h + 1) * D; d++) bo[d] += s * ar[d];
        }
      }
    }
  }
  return KP_OK;
}

/* Max-shifted softmax over each row's edges per head; out may alias scores. */
kp_status kp_cpu_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores) {
  int64_t R = g->nrows, H = heads_of(scores);
  const int32_t *ip = g->indptr.data;
  const float *ps = scores->data;
  float *po = out->data;
#pragma omp parallel for schedule(dynamic, 16) if (g->nnz * H > KP_PAR_MIN)
  for (int64_t i = 0; i < R; i++) {
    int32_t e0 = ip[i], e1 = ip[i + 1];
    for (int64_t h = 0; h < H; h++) {
      float m = -INFINITY;
      for (int32_t e = e0; e < e1; e++) m = fmaxf(m, ps[(int64_t)e * H + h]);
      kp_cpu_softmax_edges(ps, po, e0, e1, H, h, m);
    }
  }
  return KP_OK;
}

kp_status kp_cpu_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out) {
  int64_t R = g->nrows, H = heads_of(out);
  const int32_t *ip = g->indptr.data;
  const float *po = out->data, *go = dout->data;
  float *pd = dscores->data;
#pragma omp parallel for schedule(dynamic, 16) if (g->nnz * H > KP_PAR_MIN)
  for (int64_t i = 0; i < R; i++)
    for (int64_t h = 0; h < H; h++) {
      float dotv = 0.0f;
      for (int32_t e = ip[i]; e < ip[i + 1]; e++) dotv += go[(int64_t)e * H + h] * po[(int64_t)e * H + h];
      for (int32_t e = ip[i]; e < ip[i + 1]; e++) {
        int64_t k = (int64_t)e * H + h;
        pd[k] += po[k] * (go[k] - dotv);
      }
    }
  return KP_OK;
}
