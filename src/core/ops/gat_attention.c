/* Dispatch for the fused GAT attention: shape checks, then the backend's optional entry. */
#include "core/check.h"
#include "kprca/gat_attention.h"

bool kp_gat_attn_fused(kp_device d) {
  const kp_backend *be;
  return kp_backend_for(d, &be) == KP_OK && be->gat_attn_fwd && be->gat_attn_bwd;
}

/* The shapes every call shares: g square with N rows, h [N, H*C], alpha [E, H], s_src / s_dst [N, H]. */
static kp_status attn_check(const char *op, const kp_gat_attn *a, const kp_csr *g, const kp_tensor *h,
                            const kp_tensor *as, const kp_tensor *ad, int64_t *H_out, int64_t *C_out) {
  if (!a || !g) return kp_fail(KP_ERR_INVALID, "%s: attention state or graph is NULL", op);
  if (g->indptr.ndim != 1 || g->indptr.shape[0] != g->nrows + 1)
    return kp_fail(KP_ERR_INVALID, "%s: graph is not initialised (use kp_csr_init)", op);
  if (g->nrows != g->ncols)
    return kp_fail(KP_ERR_INVALID, "%s: graph is %lld x %lld, expected square", op, (long long)g->nrows,
                   (long long)g->ncols);
  kp_device dev = g->device;
  int64_t N = g->nrows;
  KP_TRY(kp_check(op, "alpha", &a->alpha, KP_F32, dev));
  if (a->alpha.ndim != 2 || a->alpha.shape[0] != g->nnz || a->alpha.shape[1] < 1)
    return kp_fail(KP_ERR_INVALID, "%s: alpha must be [%lld, H]", op, (long long)g->nnz);
  int64_t H = a->alpha.shape[1];
  int64_t hs[2] = {N, -1}, ns[2] = {N, H};
  KP_TRY(kp_check_shape(op, "h", h, KP_F32, dev, 2, hs));
  if (h->shape[1] % H != 0)
    return kp_fail(KP_ERR_INVALID, "%s: h has %lld features, not divisible by %lld heads", op,
                   (long long)h->shape[1], (long long)H);
  KP_TRY(kp_check_numel(op, "att_src", as, KP_F32, dev, h->shape[1]));
  KP_TRY(kp_check_numel(op, "att_dst", ad, KP_F32, dev, h->shape[1]));
  KP_TRY(kp_check_shape(op, "s_src", &a->s_src, KP_F32, dev, 2, ns));
  KP_TRY(kp_check_shape(op, "s_dst", &a->s_dst, KP_F32, dev, 2, ns));
  if (!(a->p >= 0.0f && a->p < 1.0f))
    return kp_fail(KP_ERR_INVALID, "%s: p = %g, allowed 0 <= p < 1", op, (double)a->p);
  if (a->p > 0.0f) {
    KP_TRY(kp_check(op, "alpha_drop", &a->alpha_drop, KP_F32, dev));
    KP_TRY(kp_check_same_shape(op, "alpha_drop", &a->alpha_drop, "alpha", &a->alpha));
  }
  *H_out = H;
  *C_out = h->shape[1] / H;
  return KP_OK;
}

/* y [N, H*C] (concat) or [N, C] (mean). */
static kp_status out_check(const char *op, const char *name, const kp_tensor *y, const kp_gat_attn *a,
                           const kp_csr *g, int64_t H, int64_t C) {
  int64_t ys[2] = {g->nrows, a->concat ? H * C : C};
  return kp_check_shape(op, name, y, KP_F32, g->device, 2, ys);
}

kp_status kp_gat_attn_fwd(kp_tensor *y, kp_gat_attn *a, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src,
                          const kp_tensor *att_dst) {
  int64_t H = 0, C = 0;
  KP_TRY(attn_check("gat_attn_fwd", a, g, h, att_src, att_dst, &H, &C));
  KP_TRY(out_check("gat_attn_fwd", "y", y, a, g, H, C));
  KP_GET_BACKEND("gat_attn_fwd", g->device, gat_attn_fwd, be);
  return be->gat_attn_fwd(y, a, g, h, att_src, att_dst);
}

kp_status kp_gat_attn_bwd(kp_tensor *dh, kp_tensor *datt_src, kp_tensor *datt_dst, kp_gat_attn *a, const kp_tensor *dy,
                          const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src, const kp_tensor *att_dst) {
  const char *op = "gat_attn_bwd";
  int64_t H = 0, C = 0;
  KP_TRY(attn_check(op, a, g, h, att_src, att_dst, &H, &C));
  KP_TRY(out_check(op, "dy", dy, a, g, H, C));
  KP_TRY(kp_check(op, "dh", dh, KP_F32, g->device));
  KP_TRY(kp_check_same_shape(op, "dh", dh, "h", h));
  KP_TRY(kp_check_numel(op, "datt_src", datt_src, KP_F32, g->device, H * C));
  KP_TRY(kp_check_numel(op, "datt_dst", datt_dst, KP_F32, g->device, H * C));
  KP_TRY(kp_check(op, "ds_src", &a->ds_src, KP_F32, g->device));
  KP_TRY(kp_check_same_shape(op, "ds_src", &a->ds_src, "s_src", &a->s_src));
  KP_TRY(kp_check(op, "ds_dst", &a->ds_dst, KP_F32, g->device));
  KP_TRY(kp_check_same_shape(op, "ds_dst", &a->ds_dst, "s_dst", &a->s_dst));
  KP_TRY(kp_check(op, "dscore", &a->dscore, KP_F32, g->device));
  KP_TRY(kp_check_same_shape(op, "dscore", &a->dscore, "alpha", &a->alpha));
  KP_GET_BACKEND(op, g->device, gat_attn_bwd, be);
  return be->gat_attn_bwd(dh, datt_src, datt_dst, a, dy, g, h, att_src, att_dst);
}
