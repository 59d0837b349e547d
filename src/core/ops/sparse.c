/* CSR construction (with its transpose, for race-free backward passes) and dispatch for
 * SpMM, SDDMM and edge softmax. */
#include <stdlib.h>
#include <string.h>
#include "core/check.h"

static kp_status upload_i32(kp_tensor *t, kp_device dev, const int32_t *src, int64_t n) {
  KP_TRY(kp_tensor_alloc(t, KP_I32, dev, 1, &n));
  kp_tensor h = kp_tensor_wrap((void *)src, KP_I32, kp_cpu(), 1, &n);
  return kp_tensor_copy(t, &h);
}

kp_status kp_csr_init(kp_csr *g, kp_device dev, int64_t nrows, int64_t ncols, const int32_t *indptr,
                      const int32_t *indices) {
  memset(g, 0, sizeof *g);
  if (nrows < 0 || ncols < 0 || nrows > INT32_MAX || ncols > INT32_MAX)
    return kp_fail(KP_ERR_INVALID, "csr: %lld x %lld is not a valid size", (long long)nrows, (long long)ncols);
  if (!indptr) return kp_fail(KP_ERR_INVALID, "csr: indptr is NULL");
  if (indptr[0] != 0) return kp_fail(KP_ERR_INVALID, "csr: indptr[0] = %d, expected 0", indptr[0]);
  for (int64_t i = 0; i < nrows; i++)
    if (indptr[i + 1] < indptr[i])
      return kp_fail(KP_ERR_INVALID, "csr: indptr decreases at row %lld (%d -> %d)", (long long)i, indptr[i],
                     indptr[i + 1]);
  int64_t nnz = indptr[nrows];
  if (nnz > 0 && !indices) return kp_fail(KP_ERR_INVALID, "csr: indices is NULL");
  for (int64_t e = 0; e < nnz; e++)
    if (indices[e] < 0 || indices[e] >= ncols)
      return kp_fail(KP_ERR_INVALID, "csr: edge %lld has column %d, outside [0, %lld)", (long long)e, indices[e],
                     (long long)ncols);
  int32_t *rows = malloc((size_t)(nnz ? nnz : 1) * sizeof *rows);
  int32_t *tptr = calloc((size_t)ncols + 1, sizeof *tptr);
  int32_t *trows = malloc((size_t)(nnz ? nnz : 1) * sizeof *trows);
  int32_t *tedge = malloc((size_t)(nnz ? nnz : 1) * sizeof *tedge);
  kp_status s = KP_OK;
  if (!rows || !tptr || !trows || !tedge) {
    s = kp_fail(KP_ERR_NOMEM, "csr: out of host memory for %lld edges", (long long)nnz);
    goto done;
  }
  for (int64_t i = 0; i < nrows; i++)
    for (int32_t e = indptr[i]; e < indptr[i + 1]; e++) rows[e] = (int32_t)i;
  for (int64_t e = 0; e < nnz; e++) tptr[indices[e] + 1]++;
  for (int64_t j = 0; j < ncols; j++) tptr[j + 1] += tptr[j];
  /* stable counting sort by column: edges of one column stay in row order */
  int32_t *fill = malloc((size_t)(ncols ? ncols : 1) * sizeof *fill);
  if (!fill) {
    s = kp_fail(KP_ERR_NOMEM, "csr: out of host memory");
    goto done;
  }
  memcpy(fill, tptr, (size_t)ncols * sizeof *fill);
  for (int64_t e = 0; e < nnz; e++) {
    int32_t p = fill[indices[e]]++;
    trows[p] = rows[e];
    tedge[p] = (int32_t)e;
  }
  free(fill);
  g->nrows = nrows;
  g->ncols = ncols;
  g->nnz = nnz;
  g->device = dev;
  if ((s = upload_i32(&g->indptr, dev, indptr, nrows + 1)) != KP_OK) goto done;
  if ((s = upload_i32(&g->indices, dev, indices ? indices : rows, nnz)) != KP_OK) goto done;
  if ((s = upload_i32(&g->rows, dev, rows, nnz)) != KP_OK) goto done;
  if ((s = upload_i32(&g->t_indptr, dev, tptr, ncols + 1)) != KP_OK) goto done;
  if ((s = upload_i32(&g->t_rows, dev, trows, nnz)) != KP_OK) goto done;
  s = upload_i32(&g->t_edge, dev, tedge, nnz);
done:
  free(rows);
  free(tptr);
  free(trows);
  free(tedge);
  if (s != KP_OK) kp_csr_free(g);
  return s;
}

void kp_csr_free(kp_csr *g) {
  if (!g) return;
  if (g->backend_cache) {
    const kp_backend *be;
    if (kp_backend_for(g->device, &be) == KP_OK && be->csr_release) be->csr_release(g);
    g->backend_cache = NULL;
  }
  kp_tensor_free(&g->indptr);
  kp_tensor_free(&g->indices);
  kp_tensor_free(&g->rows);
  kp_tensor_free(&g->t_indptr);
  kp_tensor_free(&g->t_rows);
  kp_tensor_free(&g->t_edge);
  memset(g, 0, sizeof *g);
}

static kp_status csr_check(const char *op, const kp_csr *g) {
  if (!g) return kp_fail(KP_ERR_INVALID, "%s: graph is NULL", op);
  if (g->indptr.ndim != 1 || g->indptr.shape[0] != g->nrows + 1)
    return kp_fail(KP_ERR_INVALID, "%s: graph is not initialised (use kp_csr_init)", op);
  return KP_OK;
}

/* Edge tensor [nnz] or [nnz, H]: returns H, or -1 with the message set. */
static int64_t edge_heads(const char *op, const char *name, const kp_tensor *t, const kp_csr *g) {
  if (kp_check(op, name, t, KP_F32, g->device) != KP_OK) return -1;
  if (t->ndim == 1 && t->shape[0] == g->nnz) return 1;
  if (t->ndim == 2 && t->shape[0] == g->nnz && t->shape[1] >= 1) return t->shape[1];
  char a[64];
  kp_fail(KP_ERR_INVALID, "%s: %s is %s, expected [%lld] or [%lld, H]", op, name, kp_tensor_str(t, a, sizeof a),
          (long long)g->nnz, (long long)g->nnz);
  return -1;
}

static kp_status node_check(const char *op, const char *name, const kp_tensor *t, const kp_csr *g, int64_t n,
                            int64_t F, int64_t H) {
  int64_t shape[2] = {n, F};
  KP_TRY(kp_check_shape(op, name, t, KP_F32, g->device, 2, shape));
  if (H > 0 && F % H != 0)
    return kp_fail(KP_ERR_INVALID, "%s: %s has %lld features, not divisible by %lld heads", op, name, (long long)F,
                   (long long)H);
  return KP_OK;
}

static kp_status spmm_check(const char *op, const kp_tensor *y, const kp_csr *g, const kp_tensor *w,
                            const kp_tensor *x, kp_reduce r) {
  KP_TRY(csr_check(op, g));
  if (r != KP_REDUCE_SUM && r != KP_REDUCE_MEAN)
    return kp_fail(KP_ERR_INVALID, "%s: reduction '%s' not supported (sum or mean)", op, kp_reduce_name(r));
  int64_t H = 1;
  if (w && (H = edge_heads(op, "w", w, g)) < 0) return KP_ERR_INVALID;
  KP_TRY(kp_check(op, "x", x, KP_F32, g->device));
  if (x->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: x must be 2-D [ncols, F]", op);
  KP_TRY(node_check(op, "x", x, g, g->ncols, x->shape[1], H));
  return node_check(op, "y", y, g, g->nrows, x->shape[1], H);
}

kp_status kp_spmm_fwd(kp_tensor *y, const kp_csr *g, const kp_tensor *w, const kp_tensor *x, kp_reduce r) {
  KP_TRY(spmm_check("spmm_fwd", y, g, w, x, r));
  KP_GET_BACKEND("spmm_fwd", g->device, spmm_fwd, be);
  return be->spmm_fwd(y, g, w, x, r);
}

kp_status kp_spmm_bwd(kp_tensor *dx, kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *w,
                      const kp_tensor *x, kp_reduce r) {
  KP_TRY(spmm_check("spmm_bwd", dy, g, w, x, r));
  if (dx) KP_TRY(kp_check_same_shape("spmm_bwd", "dx", dx, "x", x));
  if (dx) KP_TRY(kp_check("spmm_bwd", "dx", dx, KP_F32, g->device));
  if (dw) {
    if (!w) return kp_fail(KP_ERR_INVALID, "spmm_bwd: dw given but the forward had no weights");
    KP_TRY(kp_check("spmm_bwd", "dw", dw, KP_F32, g->device));
    KP_TRY(kp_check_same_shape("spmm_bwd", "dw", dw, "w", w));
  }
  KP_GET_BACKEND("spmm_bwd", g->device, spmm_bwd, be);
  return be->spmm_bwd(dx, dw, dy, g, w, x, r);
}

static kp_status sddmm_check(const char *op, const kp_tensor *out, const kp_csr *g, const kp_tensor *a,
                             const kp_tensor *b) {
  KP_TRY(csr_check(op, g));
  int64_t H = edge_heads(op, "out", out, g);
  if (H < 0) return KP_ERR_INVALID;
  KP_TRY(kp_check(op, "a", a, KP_F32, g->device));
  if (a->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: a must be 2-D [nrows, F]", op);
  KP_TRY(node_check(op, "a", a, g, g->nrows, a->shape[1], H));
  return node_check(op, "b", b, g, g->ncols, a->shape[1], H);
}

kp_status kp_sddmm_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *a, const kp_tensor *b) {
  KP_TRY(sddmm_check("sddmm_fwd", out, g, a, b));
  KP_GET_BACKEND("sddmm_fwd", g->device, sddmm_fwd, be);
  return be->sddmm_fwd(out, g, a, b);
}

kp_status kp_sddmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dout, const kp_csr *g, const kp_tensor *a,
                       const kp_tensor *b) {
  KP_TRY(sddmm_check("sddmm_bwd", dout, g, a, b));
  if (da) KP_TRY(kp_check("sddmm_bwd", "da", da, KP_F32, g->device));
  if (da) KP_TRY(kp_check_same_shape("sddmm_bwd", "da", da, "a", a));
  if (db) KP_TRY(kp_check("sddmm_bwd", "db", db, KP_F32, g->device));
  if (db) KP_TRY(kp_check_same_shape("sddmm_bwd", "db", db, "b", b));
  KP_GET_BACKEND("sddmm_bwd", g->device, sddmm_bwd, be);
  return be->sddmm_bwd(da, db, dout, g, a, b);
}

kp_status kp_edge_softmax_fwd(kp_tensor *out, const kp_csr *g, const kp_tensor *scores) {
  KP_TRY(csr_check("edge_softmax_fwd", g));
  if (edge_heads("edge_softmax_fwd", "scores", scores, g) < 0) return KP_ERR_INVALID;
  KP_TRY(kp_check("edge_softmax_fwd", "out", out, KP_F32, g->device));
  KP_TRY(kp_check_same_shape("edge_softmax_fwd", "out", out, "scores", scores));
  KP_GET_BACKEND("edge_softmax_fwd", g->device, edge_softmax_fwd, be);
  return be->edge_softmax_fwd(out, g, scores);
}

kp_status kp_edge_softmax_bwd(kp_tensor *dscores, const kp_tensor *dout, const kp_csr *g, const kp_tensor *out) {
  const char *op = "edge_softmax_bwd";
  KP_TRY(csr_check(op, g));
  if (edge_heads(op, "out", out, g) < 0) return KP_ERR_INVALID;
  KP_TRY(kp_check(op, "dout", dout, KP_F32, g->device));
  KP_TRY(kp_check(op, "dscores", dscores, KP_F32, g->device));
  KP_TRY(kp_check_same_shape(op, "dout", dout, "out", out));
  KP_TRY(kp_check_same_shape(op, "dscores", dscores, "out", out));
  KP_GET_BACKEND(op, g->device, edge_softmax_bwd, be);
  return be->edge_softmax_bwd(dscores, dout, g, out);
}

/* ---- sparse input X (pattern g, values v [nnz]) times a dense Linear weight ---- */

static kp_status values_check(const char *op, const kp_csr *g, const kp_tensor *v) {
  KP_TRY(csr_check(op, g));
  int64_t shape[1] = {g->nnz};
  return kp_check_shape(op, "v", v, KP_F32, g->device, 1, shape);
}

kp_status kp_csr_dropout(kp_tensor *v, const kp_csr *g, const kp_tensor *x0, float p, uint64_t seed, uint64_t offset) {
  const char *op = "csr_dropout";
  KP_TRY(values_check(op, g, v));
  KP_TRY(kp_check_same_shape(op, "x0", x0, "v", v));
  KP_TRY(kp_check(op, "x0", x0, KP_F32, g->device));
  if (!(p >= 0.0f && p < 1.0f)) return kp_fail(KP_ERR_INVALID, "%s: p = %g, must be in [0, 1)", op, (double)p);
  KP_GET_BACKEND(op, g->device, csr_dropout, be);
  return be->csr_dropout(v, g, x0, p, seed, offset);
}

kp_status kp_csr_linear_fwd(kp_tensor *y, kp_tensor *wt, const kp_csr *g, const kp_tensor *v, const kp_tensor *w) {
  const char *op = "csr_linear_fwd";
  KP_TRY(values_check(op, g, v));
  int64_t ws[2] = {-1, g->ncols};
  KP_TRY(kp_check_shape(op, "w", w, KP_F32, g->device, 2, ws));
  int64_t M = w->shape[0], ts[2] = {g->ncols, M}, ys[2] = {g->nrows, M};
  KP_TRY(kp_check_shape(op, "wt", wt, KP_F32, g->device, 2, ts));
  KP_TRY(kp_check_shape(op, "y", y, KP_F32, g->device, 2, ys));
  KP_GET_BACKEND(op, g->device, csr_linear_fwd, be);
  return be->csr_linear_fwd(y, wt, g, v, w);
}

kp_status kp_csr_linear_bwd(kp_tensor *dw, const kp_tensor *dy, const kp_csr *g, const kp_tensor *v) {
  const char *op = "csr_linear_bwd";
  KP_TRY(values_check(op, g, v));
  int64_t ys[2] = {g->nrows, -1};
  KP_TRY(kp_check_shape(op, "dy", dy, KP_F32, g->device, 2, ys));
  int64_t ws[2] = {dy->shape[1], g->ncols};
  KP_TRY(kp_check_shape(op, "dw", dw, KP_F32, g->device, 2, ws));
  KP_GET_BACKEND(op, g->device, csr_linear_bwd, be);
  return be->csr_linear_bwd(dw, dy, g, v);
}

bool kp_csr_linear_supported(kp_device dev) {
  const kp_backend *be;
  if (kp_backend_for(dev, &be) != KP_OK) return false;
  return be->csr_dropout && be->csr_linear_fwd && be->csr_linear_bwd;
}
