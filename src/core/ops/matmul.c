/* Dispatch for matmul, bmm and the linear layer. The backward passes are compositions of
 * the forward products (shared by every backend); linear_fwd uses a backend's fused
 * version (cuBLASLt epilogues) where it has one. */
#include "core/check.h"

static kp_status mm_dims(const char *op, const kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool ta,
                         bool tb, int nd) {
  kp_device dev = c ? c->device : a->device;
  KP_TRY(kp_check(op, "a", a, KP_F32, dev));
  KP_TRY(kp_check(op, "b", b, KP_F32, dev));
  if (a->ndim != nd || b->ndim != nd)
    return kp_fail(KP_ERR_INVALID, "%s: a and b must be %d-D (got %d-D and %d-D)", op, nd, a->ndim, b->ndim);
  int o = nd - 2;
  int64_t M = ta ? a->shape[o + 1] : a->shape[o], Ka = ta ? a->shape[o] : a->shape[o + 1];
  int64_t Kb = tb ? b->shape[o + 1] : b->shape[o], N = tb ? b->shape[o] : b->shape[o + 1];
  if (Ka != Kb)
    return kp_fail(KP_ERR_INVALID, "%s: inner dimensions differ (op(a) is %lldx%lld, op(b) is %lldx%lld)", op,
                   (long long)M, (long long)Ka, (long long)Kb, (long long)N);
  if (nd == 3 && a->shape[0] != b->shape[0])
    return kp_fail(KP_ERR_INVALID, "%s: batch sizes differ (%lld vs %lld)", op, (long long)a->shape[0],
                   (long long)b->shape[0]);
  if (c) {
    int64_t shape[3] = {a->shape[0], M, N};
    KP_TRY(kp_check_shape(op, "c", c, KP_F32, dev, nd, nd == 3 ? shape : shape + 1));
  }
  return KP_OK;
}

kp_status kp_matmul(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool trans_a, bool trans_b, float alpha,
                    float beta) {
  if (!c) return kp_fail(KP_ERR_INVALID, "matmul: c is NULL");
  KP_TRY(mm_dims("matmul", c, a, b, trans_a, trans_b, 2));
  KP_GET_BACKEND("matmul", c->device, matmul, be);
  return be->matmul(c, a, b, trans_a, trans_b, alpha, beta);
}

kp_status kp_bmm(kp_tensor *c, const kp_tensor *a, const kp_tensor *b, bool trans_a, bool trans_b, float alpha,
                 float beta) {
  if (!c) return kp_fail(KP_ERR_INVALID, "bmm: c is NULL");
  KP_TRY(mm_dims("bmm", c, a, b, trans_a, trans_b, 3));
  KP_GET_BACKEND("bmm", c->device, bmm, be);
  return be->bmm(c, a, b, trans_a, trans_b, alpha, beta);
}

typedef kp_status (*mm_fn)(kp_tensor *, const kp_tensor *, const kp_tensor *, bool, bool, float, float);

/* c = alpha op(a) op(b): dop(a) = alpha dc op(b)^T, dop(b) = alpha op(a)^T dc, transposed back where needed. */
static kp_status mm_bwd(mm_fn mm, kp_tensor *da, kp_tensor *db, const kp_tensor *dc, const kp_tensor *a,
                        const kp_tensor *b, bool ta, bool tb, float alpha) {
  if (da) KP_TRY(ta ? mm(da, b, dc, tb, true, alpha, 1.0f) : mm(da, dc, b, false, !tb, alpha, 1.0f));
  if (db) KP_TRY(tb ? mm(db, dc, a, true, ta, alpha, 1.0f) : mm(db, a, dc, !ta, false, alpha, 1.0f));
  return KP_OK;
}

kp_status kp_matmul_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dc, const kp_tensor *a, const kp_tensor *b,
                        bool trans_a, bool trans_b, float alpha) {
  KP_TRY(mm_dims("matmul_bwd", dc, a, b, trans_a, trans_b, 2));
  if (da) KP_TRY(kp_check_same_shape("matmul_bwd", "da", da, "a", a));
  if (db) KP_TRY(kp_check_same_shape("matmul_bwd", "db", db, "b", b));
  return mm_bwd(kp_matmul, da, db, dc, a, b, trans_a, trans_b, alpha);
}

kp_status kp_bmm_bwd(kp_tensor *da, kp_tensor *db, const kp_tensor *dc, const kp_tensor *a, const kp_tensor *b,
                     bool trans_a, bool trans_b, float alpha) {
  KP_TRY(mm_dims("bmm_bwd", dc, a, b, trans_a, trans_b, 3));
  if (da) KP_TRY(kp_check_same_shape("bmm_bwd", "da", da, "a", a));
  if (db) KP_TRY(kp_check_same_shape("bmm_bwd", "db", db, "b", b));
  return mm_bwd(kp_bmm, da, db, dc, a, b, trans_a, trans_b, alpha);
}

/* x [..., K] as [R, K]; y [..., M] as [R, M]. */
static kp_status as_rows(kp_tensor *v, const kp_tensor *t) {
  int64_t shape[2] = {kp_tensor_rows(t), kp_tensor_cols(t)};
  return kp_tensor_view(v, t, 2, shape);
}

static kp_status linear_check(const char *op, const kp_tensor *y, const kp_tensor *x, const kp_tensor *w,
                              const kp_tensor *b, kp_act act) {
  kp_device dev = x ? x->device : (kp_device){KP_DEV_CPU, 0};
  KP_TRY(kp_check(op, "x", x, KP_F32, dev));
  KP_TRY(kp_check(op, "w", w, KP_F32, dev));
  if (w->ndim != 2) return kp_fail(KP_ERR_INVALID, "%s: w must be 2-D [out, in] (got %d-D)", op, w->ndim);
  int64_t M = w->shape[0], K = w->shape[1];
  if (x->ndim < 1 || kp_tensor_cols(x) != K)
    return kp_fail(KP_ERR_INVALID, "%s: x has %lld features but w expects %lld", op, (long long)kp_tensor_cols(x),
                   (long long)K);
  KP_TRY(kp_check_numel(op, "y", y, KP_F32, dev, kp_tensor_rows(x) * M));
  if (kp_tensor_cols(y) != M) return kp_fail(KP_ERR_INVALID, "%s: y's last dimension must be %lld", op, (long long)M);
  if (b) KP_TRY(kp_check_numel(op, "b", b, KP_F32, dev, M));
  if ((int)act < 0 || act > KP_ACT_TANH) return kp_fail(KP_ERR_INVALID, "%s: unknown activation %d", op, (int)act);
  return KP_OK;
}

kp_status kp_linear_fwd(kp_tensor *y, kp_tensor *pre, const kp_tensor *x, const kp_tensor *w, const kp_tensor *b,
                        kp_act act, float alpha) {
  KP_TRY(linear_check("linear_fwd", y, x, w, b, act));
  if (act != KP_ACT_NONE) {
    if (!pre) return kp_fail(KP_ERR_INVALID, "linear_fwd: pre is required when an activation is fused");
    KP_TRY(kp_check_same_shape("linear_fwd", "pre", pre, "y", y));
    KP_TRY(kp_check("linear_fwd", "pre", pre, KP_F32, x->device));
  }
  const kp_backend *be;
  KP_TRY(kp_backend_for(x->device, &be));
  if (be->linear_fwd) return be->linear_fwd(y, pre, x, w, b, act, alpha);
  kp_tensor x2, z2;
  kp_tensor *z = act == KP_ACT_NONE ? y : pre;
  KP_TRY(as_rows(&x2, x));
  KP_TRY(as_rows(&z2, z));
  KP_TRY(kp_matmul(&z2, &x2, w, false, true, 1.0f, 0.0f));
  if (b) KP_TRY(kp_bias_add_fwd(z, z, b));
  if (act != KP_ACT_NONE) KP_TRY(kp_act_fwd(y, pre, act, alpha));
  return KP_OK;
}

kp_status kp_linear_bwd(kp_tensor *dx, kp_tensor *dw, kp_tensor *db, const kp_tensor *dy, const kp_tensor *pre,
                        const kp_tensor *x, const kp_tensor *w, kp_act act, float alpha) {
  KP_TRY(linear_check("linear_bwd", dy, x, w, db, act));
  if (dx) KP_TRY(kp_check_same_shape("linear_bwd", "dx", dx, "x", x));
  if (dw) KP_TRY(kp_check_same_shape("linear_bwd", "dw", dw, "w", w));
  kp_tensor dpre = {0};
  const kp_tensor *g = dy;
  if (act != KP_ACT_NONE) {
    if (!pre) return kp_fail(KP_ERR_INVALID, "linear_bwd: pre (saved by the forward) is required with an activation");
    KP_TRY(kp_check_same_shape("linear_bwd", "pre", pre, "dy", dy));
    KP_TRY(kp_tensor_zeros(&dpre, KP_F32, dy->device, dy->ndim, dy->shape));
    kp_status s = kp_act_bwd(&dpre, dy, pre, act, alpha);
    if (s != KP_OK) {
      kp_tensor_free(&dpre);
      return s;
    }
    g = &dpre;
  }
  kp_tensor g2, x2, dx2;
  kp_status s = as_rows(&g2, g);
  if (s == KP_OK && dx) {
    s = as_rows(&dx2, dx);
    if (s == KP_OK) s = kp_matmul(&dx2, &g2, w, false, false, 1.0f, 1.0f);
  }
  if (s == KP_OK && dw) {
    s = as_rows(&x2, x);
    if (s == KP_OK) s = kp_matmul(dw, &g2, &x2, true, false, 1.0f, 1.0f);
  }
  if (s == KP_OK && db) s = kp_bias_add_bwd(NULL, db, g);
  kp_tensor_free(&dpre);
  return s;
}
