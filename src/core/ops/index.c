/* Dispatch for embedding lookup, gather and scatter. An embedding lookup is a row gather
 * over the flattened ids, so both share the backends' gather kernels. */
#include "core/check.h"

const char *kp_reduce_name(kp_reduce r) {
  switch (r) {
    case KP_REDUCE_SUM: return "sum";
    case KP_REDUCE_MEAN: return "mean";
    case KP_REDUCE_MAX: return "max";
  }
  return "?";
}

static kp_status gather_check(const char *op, const kp_tensor *rows_k, const kp_tensor *x, const kp_tensor *idx) {
  KP_TRY(kp_check(op, "x", x, KP_F32, x ? x->device : kp_cpu()));
  kp_device d = x->device;
  if (x->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: x must be 2-D [N, F] (got %d-D)", op, x->ndim);
  KP_TRY(kp_check(op, "idx", idx, KP_I32, d));
  if (idx->ndim != 1) return kp_fail(KP_ERR_INVALID, "%s: idx must be 1-D (got %d-D)", op, idx->ndim);
  int64_t shape[2] = {idx->shape[0], x->shape[1]};
  return kp_check_shape(op, "rows", rows_k, KP_F32, d, 2, shape);
}

kp_status kp_gather_fwd(kp_tensor *y, const kp_tensor *x, const kp_tensor *idx) {
  KP_TRY(gather_check("gather_fwd", y, x, idx));
  KP_GET_BACKEND("gather_fwd", x->device, gather_fwd, be);
  return be->gather_fwd(y, x, idx);
}

kp_status kp_gather_bwd(kp_tensor *dx, const kp_tensor *dy, const kp_tensor *idx) {
  KP_TRY(gather_check("gather_bwd", dy, dx, idx));
  KP_GET_BACKEND("gather_bwd", dx->device, gather_bwd, be);
  return be->gather_bwd(dx, dy, idx);
}

/* ids of any shape -> [n]; rows [..., D] -> [n, D]. */
static kp_status emb_views(const char *op, const kp_tensor *ids, const kp_tensor *table, const kp_tensor *rows,
                           kp_tensor *ids1, kp_tensor *rows2) {
  KP_TRY(kp_check(op, "table", table, KP_F32, table ? table->device : kp_cpu()));
  if (table->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: table must be 2-D [V, D] (got %d-D)", op, table->ndim);
  KP_TRY(kp_check(op, "ids", ids, KP_I32, table->device));
  int64_t n = kp_tensor_numel(ids), D = table->shape[1];
  KP_TRY(kp_check_numel(op, "rows", rows, KP_F32, table->device, n * D));
  if (kp_tensor_cols(rows) != D) return kp_fail(KP_ERR_INVALID, "%s: last dimension must be %lld", op, (long long)D);
  int64_t s1[1] = {n}, s2[2] = {n, D};
  KP_TRY(kp_tensor_view(ids1, ids, 1, s1));
  return kp_tensor_view(rows2, rows, 2, s2);
}

kp_status kp_embedding_fwd(kp_tensor *y, const kp_tensor *ids, const kp_tensor *table) {
  kp_tensor ids1, y2;
  KP_TRY(emb_views("embedding_fwd", ids, table, y, &ids1, &y2));
  kp_status s = kp_gather_fwd(&y2, table, &ids1);
  return s == KP_OK ? s : kp_fail_context(s, "embedding_fwd (ids flattened)");
}

kp_status kp_embedding_bwd(kp_tensor *dtable, const kp_tensor *dy, const kp_tensor *ids) {
  kp_tensor ids1, dy2;
  KP_TRY(emb_views("embedding_bwd", ids, dtable, dy, &ids1, &dy2));
  kp_status s = kp_gather_bwd(dtable, &dy2, &ids1);
  return s == KP_OK ? s : kp_fail_context(s, "embedding_bwd (ids flattened)");
}

static kp_status scatter_check(const char *op, const kp_tensor *y, const kp_tensor *arg, const kp_tensor *src,
                               const kp_tensor *idx, kp_reduce r) {
  KP_TRY(kp_check(op, "src", src, KP_F32, src ? src->device : kp_cpu()));
  kp_device d = src->device;
  if (src->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: src must be 2-D [K, F] (got %d-D)", op, src->ndim);
  int64_t k1[1] = {src->shape[0]};
  KP_TRY(kp_check_shape(op, "idx", idx, KP_I32, d, 1, k1));
  int64_t ys[2] = {-1, src->shape[1]};
  KP_TRY(kp_check_shape(op, "y", y, KP_F32, d, 2, ys));
  if ((int)r < 0 || r > KP_REDUCE_MAX) return kp_fail(KP_ERR_INVALID, "%s: unknown reduction %d", op, (int)r);
  if (r == KP_REDUCE_MAX) {
    if (!arg) return kp_fail(KP_ERR_INVALID, "%s: arg is required for max", op);
    KP_TRY(kp_check_shape(op, "arg", arg, KP_I32, d, 2, y->shape));
  }
  return KP_OK;
}

kp_status kp_scatter_fwd(kp_tensor *y, kp_tensor *arg, const kp_tensor *src, const kp_tensor *idx, kp_reduce r) {
  KP_TRY(scatter_check("scatter_fwd", y, arg, src, idx, r));
  KP_GET_BACKEND("scatter_fwd", src->device, scatter_fwd, be);
  return be->scatter_fwd(y, r == KP_REDUCE_MAX ? arg : NULL, src, idx, r);
}

kp_status kp_scatter_bwd(kp_tensor *dsrc, const kp_tensor *dy, const kp_tensor *arg, const kp_tensor *idx,
                         kp_reduce r) {
  KP_TRY(scatter_check("scatter_bwd", dy, arg, dsrc, idx, r));
  KP_GET_BACKEND("scatter_bwd", dsrc->device, scatter_bwd, be);
  return be->scatter_bwd(dsrc, dy, r == KP_REDUCE_MAX ? arg : NULL, idx, r);
}
