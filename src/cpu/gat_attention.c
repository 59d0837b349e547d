/* CPU fused GAT attention. The forward is two passes over the CSR (rows = destinations):
 * per-node terms, then per row the scores, LeakyReLU, max-shifted softmax and (without
 * dropout) the weighted sum of the sources' h; with dropout, alpha goes through the CPU
 * dropout (the same mask as kp_dropout_fwd over [E, H]) and a second row pass aggregates.
 * The backward is one row pass (gradient of the attention, softmax, LeakyReLU: the
 * destination-side terms) and one pass over the transpose (the source side: dh and the
 * per-node score gradient), so every output element is owned by one iteration: no atomics,
 * and sums run in one order whatever the threads.
 *
 * Each value is computed with the same float operations in the same order as the
 * composition in src/models/gat.c (sddmm, gather, add, act, edge softmax, dropout, spmm,
 * segment mean and their backwards), so the two paths agree to the last bit where no
 * -0.0 / +0.0 difference arises. Only alpha (and alpha after dropout) and the per-node
 * terms are saved: the LeakyReLU's input is recomputed, and the dropout mask is read back
 * from alpha_drop (kept elements are alpha / (1 - p), never 0 unless alpha is, and an
 * alpha of 0 gets a zero gradient either way). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/cpu.h"
#include "cpu/edge_softmax.h"

#define KP_GAT_PAR_MIN 32768 /* below this much work a loop runs on one thread */

#if defined(__GNUC__)
#define KP_GAT_INLINE static inline __attribute__((always_inline))
#else
#define KP_GAT_INLINE static inline
#endif

/* The rows of h (or of dy) that an edge loop reads next are scattered over memory: each loop asks for the row
 * KP_GAT_AHEAD edges ahead (all of its cache lines, also past the end of the current row: rows are short) while
 * it works on the current one. */
#define KP_GAT_AHEAD 6
KP_GAT_INLINE void prefetch_row(const float *r, int64_t F) {
#if defined(__GNUC__)
  for (int64_t f = 0; f < F; f += 16) __builtin_prefetch(r + f, 0, 3);
#else
  (void)r, (void)F;
#endif
}

/* Loops over one head's features run with a compile-time count for the common widths (8: Cora's GAT; 16:
 * configs/gat.yaml), so they unroll into a few vector operations; other widths take the generic copy. */
#define KP_GAT_BY_C(C, CALL) \
  do {                       \
    if ((C) == 8)            \
      CALL(8);               \
    else if ((C) == 16)      \
      CALL(16);              \
    else                     \
      CALL(C);               \
  } while (0)

/* Loops below read sizes from locals (never through a pointer that a float store could alias) and write through
 * restrict pointers, so the compiler keeps sizes in registers and vectorises the loops over heads and features. */

KP_GAT_INLINE float dotf(const float *restrict a, const float *restrict b, int64_t n) {
  float s = 0.0f;
  for (int64_t d = 0; d < n; d++) s += a[d] * b[d];
  return s;
}

/* alpha over row i (edges e0..e1): the softmax per head of LeakyReLU(s_src[col] + s_dst[i]), the same operations
 * in the same order as act + edge softmax. Heads outer, edges inner: each head's max and sum stay in a register
 * (a per-head array in memory would chain every edge's update through a store and a load). */
KP_GAT_INLINE void row_softmax(float *restrict al, const int32_t *restrict ix, int32_t e0, int32_t e1,
                               const float *restrict ss, const float *restrict sdi, int64_t H, float slope) {
  for (int64_t hh = 0; hh < H; hh++) {
    float di = sdi[hh], m = -INFINITY;
    for (int32_t e = e0; e < e1; e++) {
      float v = ss[(int64_t)ix[e] * H + hh] + di;
      v = v > 0.0f ? v : slope * v;
      al[(int64_t)e * H + hh] = v;
      m = v > m ? v : m;
    }
    kp_cpu_softmax_edges(al, al, e0, e1, H, hh, m);
  }
}

/* o [C] += s * x [C]: one head's share of an edge. Four lanes at a time where C allows (GCC / Clang vector
 * extensions: the same multiply, then add, per element, so the same bits as the scalar loop). */
#if defined(__GNUC__)
typedef float kp_gat_v4 __attribute__((vector_size(16)));
#endif
KP_GAT_INLINE void axpy_head(float *restrict o, float s, const float *restrict x, int64_t C) {
#if defined(__GNUC__)
  if (C % 4 == 0) {
    kp_gat_v4 sv = {s, s, s, s};
    for (int64_t c = 0; c < C; c += 4) {
      kp_gat_v4 xv, ov;
      memcpy(&xv, x + c, sizeof xv);
      memcpy(&ov, o + c, sizeof ov);
      ov += sv * xv;
      memcpy(o + c, &ov, sizeof ov);
    }
    return;
  }
#endif
  for (int64_t c = 0; c < C; c++) o[c] += s * x[c];
}

/* acc [H*C] = sum over the edges e0..e1 of A[e, h] * h[col(e), h, :] (spmm's order). */
KP_GAT_INLINE void row_aggregate(float *restrict acc, const float *restrict A, const float *restrict ph,
                                 const int32_t *restrict ix, int32_t e0, int32_t e1, int64_t nnz, int64_t H, int64_t C) {
  int64_t F = H * C;
  for (int64_t f = 0; f < F; f++) acc[f] = 0.0f;
  for (int32_t e = e0; e < e1; e++) {
    const float *xr = ph + (int64_t)ix[e] * F, *ae = A + (int64_t)e * H;
    if (e + KP_GAT_AHEAD < nnz) prefetch_row(ph + (int64_t)ix[e + KP_GAT_AHEAD] * F, F);
    for (int64_t hh = 0; hh < H; hh++) axpy_head(acc + hh * C, ae[hh], xr + hh * C, C);
  }
}

/* yo [C] = the mean over heads of acc [H*C] (segment mean's order). */
KP_GAT_INLINE void head_mean(float *restrict yo, const float *restrict acc, int64_t H, int64_t C) {
  for (int64_t c = 0; c < C; c++) yo[c] = 0.0f;
  for (int64_t hh = 0; hh < H; hh++)
    for (int64_t c = 0; c < C; c++) yo[c] += acc[hh * C + c];
  if (H > 1)
    for (int64_t c = 0; c < C; c++) yo[c] /= (float)H;
}

kp_status kp_cpu_gat_attn_fwd(kp_tensor *y, kp_gat_attn *a, const kp_csr *g, const kp_tensor *h,
                              const kp_tensor *att_src, const kp_tensor *att_dst) {
  const int64_t N = g->nrows, E = g->nnz, H = a->alpha.shape[1], F = h->shape[1], C = F / H;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const float *ph = h->data, *as = att_src->data, *ad = att_dst->data;
  float *ss = a->s_src.data, *sd = a->s_dst.data, *al = a->alpha.data, *py = y->data;
  const bool drop = a->p > 0.0f, concat = a->concat;
  const float slope = a->negative_slope;
  const bool par = (E + N) * F > KP_GAT_PAR_MIN;
  /* per-thread scratch: acc [F] for the mean over heads */
  const int64_t scratch = F ? F : 1;
  int nomem = 0;
  /* per-node terms (the star-graph SDDMMs) */
#pragma omp parallel for schedule(static) if (par)
  for (int64_t n = 0; n < N; n++)
    for (int64_t hh = 0; hh < H; hh++) {
      const float *hr = ph + n * F + hh * C;
      ss[n * H + hh] = dotf(hr, as + hh * C, C);
      sd[n * H + hh] = dotf(hr, ad + hh * C, C);
    }
  /* without dropout the aggregation joins the softmax pass; with it, dropout runs between two row passes */
  for (int pass = 0; pass < (drop ? 2 : 1); pass++) {
    const float *A = pass == 0 ? al : a->alpha_drop.data;
    const bool soft = pass == 0, agg = !drop || pass == 1;
#pragma omp parallel if (par) reduction(| : nomem)
    {
      float *buf = malloc(sizeof(float) * (size_t)scratch);
      if (!buf) nomem = 1;
#pragma omp for schedule(dynamic, 16)
      for (int64_t i = 0; i < N; i++) {
        if (!buf) continue;
        int32_t e0 = ip[i], e1 = ip[i + 1];
        if (soft) row_softmax(al, ix, e0, e1, ss, sd + i * H, H, slope);
        if (!agg) continue;
        float *acc = buf;
#define KP_GAT_AGG(CC)                                         \
  do {                                                         \
    if (concat) {                                              \
      row_aggregate(py + i * F, A, ph, ix, e0, e1, E, H, (CC));   \
    } else {                                                   \
      row_aggregate(acc, A, ph, ix, e0, e1, E, H, (CC));     \
      head_mean(py + i * (CC), acc, H, (CC));                  \
    }                                                          \
  } while (0)
        KP_GAT_BY_C(C, KP_GAT_AGG);
#undef KP_GAT_AGG
      }
      free(buf);
    }
    if (nomem) return kp_fail(KP_ERR_NOMEM, "gat_attn_fwd: out of host memory");
    if (pass == 0 && drop) KP_TRY(kp_cpu_dropout_fwd(&a->alpha_drop, &a->alpha, a->p, a->seed, a->offset));
  }
  return KP_OK;
}

/* Destination side of row i: the attention's gradient <dout_i, h_j> per edge and head (through the dropout: kept
 * where A != 0, times 1 / (1 - p)), the softmax and LeakyReLU backward into dscore, and its row sums into ds_dst.
 * Per-edge work covers all heads (one read of h_j); the per-head sums then run heads outer, in registers. */
KP_GAT_INLINE void row_bwd(float *restrict dsc, float *restrict dsdi, const float *restrict go,
                           const float *restrict ph, const float *restrict al, const float *restrict A,
                           const float *restrict ss, const float *restrict sdi, const int32_t *restrict ix, int32_t e0,
                           int32_t e1, int64_t nnz, int64_t H, int64_t C, bool drop, float scale, float slope) {
  int64_t F = H * C;
  for (int32_t e = e0; e < e1; e++) {
    const float *xr = ph + (int64_t)ix[e] * F;
    int64_t k0 = (int64_t)e * H;
    if (e + KP_GAT_AHEAD < nnz) prefetch_row(ph + (int64_t)ix[e + KP_GAT_AHEAD] * F, F);
    for (int64_t hh = 0; hh < H; hh++) {
      float gk = dotf(go + hh * C, xr + hh * C, C);
      if (drop) gk = A[k0 + hh] != 0.0f ? gk * scale : 0.0f;
      dsc[k0 + hh] = gk;
    }
  }
  for (int64_t hh = 0; hh < H; hh++) {
    float dv = 0.0f, rs = 0.0f, di = sdi[hh];
    for (int32_t e = e0; e < e1; e++) dv += dsc[(int64_t)e * H + hh] * al[(int64_t)e * H + hh];
    for (int32_t e = e0; e < e1; e++) {
      int64_t k = (int64_t)e * H + hh;
      float ds = al[k] * (dsc[k] - dv);
      float v = ss[(int64_t)ix[e] * H + hh] + di;
      ds = (v > 0.0f ? 1.0f : slope) * ds;
      dsc[k] = ds;
      rs += ds;
    }
    dsdi[hh] = rs;
  }
}

/* Source side of node j through the transpose: xo [F] = sum over j's out-edges (e into i) of A[e, h] * dout_i,
 * then + ds_src[j] att_src + ds_dst[j] att_dst per head; dssj [H] = the sum of dscore over those edges. */
KP_GAT_INLINE void node_bwd(float *restrict xo, float *restrict dssj, const float *restrict dsdj,
                            const float *restrict gy, const float *restrict A, const float *restrict dsc,
                            const float *restrict as, const float *restrict ad, const int32_t *restrict tr,
                            const int32_t *restrict te, int32_t p0, int32_t p1, int64_t nnz, int64_t H, int64_t C, bool concat) {
  int64_t F = H * C;
  const float sc = 1.0f / (float)H;
  for (int64_t f = 0; f < F; f++) xo[f] = 0.0f;
  for (int32_t p = p0; p < p1; p++) {
    int64_t e = te[p], i = tr[p];
    const float *ae = A + e * H;
    if (p + KP_GAT_AHEAD < nnz) {
      int64_t e2 = te[p + KP_GAT_AHEAD], i2 = tr[p + KP_GAT_AHEAD];
      prefetch_row(concat ? gy + i2 * F : gy + i2 * C, concat ? F : C);
      __builtin_prefetch(A + e2 * H, 0, 3);
      __builtin_prefetch(dsc + e2 * H, 0, 3);
    }
    if (concat) {
      const float *gr = gy + i * F;
      for (int64_t hh = 0; hh < H; hh++) axpy_head(xo + hh * C, ae[hh], gr + hh * C, C);
    } else {
      const float *gr = gy + i * C;
      for (int64_t hh = 0; hh < H; hh++) {
        float s = ae[hh];
        float *o = xo + hh * C;
        for (int64_t c = 0; c < C; c++) o[c] += s * (sc * gr[c]);
      }
    }
  }
  for (int64_t hh = 0; hh < H; hh++) {
    float acc = 0.0f;
    for (int32_t p = p0; p < p1; p++) acc += dsc[(int64_t)te[p] * H + hh];
    dssj[hh] = acc;
  }
  for (int64_t hh = 0; hh < H; hh++) {
    float s = dssj[hh];
    for (int64_t c = hh * C; c < (hh + 1) * C; c++) xo[c] += s * as[c];
  }
  for (int64_t hh = 0; hh < H; hh++) {
    float s = dsdj[hh];
    for (int64_t c = hh * C; c < (hh + 1) * C; c++) xo[c] += s * ad[c];
  }
}

/* dat [F] += sum over the nodes in order of ds[n, h] * h[n, h, :] (one order whatever the threads). */
static void att_grad(float *restrict dat, const float *restrict ds, const float *restrict ph, int64_t N, int64_t H,
                     int64_t C) {
  int64_t F = H * C;
  for (int64_t n = 0; n < N; n++)
    for (int64_t hh = 0; hh < H; hh++) {
      float s = ds[n * H + hh];
      const float *x = ph + n * F + hh * C;
      float *o = dat + hh * C;
      for (int64_t c = 0; c < C; c++) o[c] += s * x[c];
    }
}

kp_status kp_cpu_gat_attn_bwd(kp_tensor *dh, kp_tensor *datt_src, kp_tensor *datt_dst, kp_gat_attn *a,
                              const kp_tensor *dy, const kp_csr *g, const kp_tensor *h, const kp_tensor *att_src,
                              const kp_tensor *att_dst) {
  const int64_t N = g->nrows, E = g->nnz, H = a->alpha.shape[1], F = h->shape[1], C = F / H;
  const int32_t *ip = g->indptr.data, *ix = g->indices.data;
  const int32_t *tp = g->t_indptr.data, *tr = g->t_rows.data, *te = g->t_edge.data;
  const float *ph = h->data, *as = att_src->data, *ad = att_dst->data, *gy = dy->data;
  const float *ss = a->s_src.data, *sd = a->s_dst.data, *al = a->alpha.data;
  const bool drop = a->p > 0.0f, concat = a->concat;
  const float *A = drop ? a->alpha_drop.data : al;
  const float scale = drop ? 1.0f / (1.0f - a->p) : 1.0f, slope = a->negative_slope, sc = 1.0f / (float)H;
  float *dsc = a->dscore.data, *dss = a->ds_src.data, *dsd = a->ds_dst.data, *pdh = dh->data;
  const bool par = (E + N) * F > KP_GAT_PAR_MIN;
  int nomem = 0;
#pragma omp parallel if (par) reduction(| : nomem)
  {
    float *buf = concat ? NULL : malloc(sizeof(float) * (size_t)(F ? F : 1)); /* dout_i [F] for the mean */
    if (!concat && !buf) nomem = 1;
#pragma omp for schedule(dynamic, 16)
    for (int64_t i = 0; i < N; i++) {
      if (!concat && !buf) continue;
      const float *go = gy + i * F;
      if (!concat) {
        float *gm = buf;
        for (int64_t hh = 0; hh < H; hh++)
          for (int64_t c = 0; c < C; c++) gm[hh * C + c] = sc * gy[i * C + c];
        go = gm;
      }
#define KP_GAT_ROW(CC) \
  row_bwd(dsc, dsd + i * H, go, ph, al, A, ss, sd + i * H, ix, ip[i], ip[i + 1], E, H, (CC), drop, scale, slope)
      KP_GAT_BY_C(C, KP_GAT_ROW);
#undef KP_GAT_ROW
    }
    free(buf);
  }
  if (nomem) return kp_fail(KP_ERR_NOMEM, "gat_attn_bwd: out of host memory");
#pragma omp parallel for schedule(dynamic, 16) if (par)
  for (int64_t j = 0; j < N; j++) {
#define KP_GAT_NODE(CC) \
  node_bwd(pdh + j * F, dss + j * H, dsd + j * H, gy, A, dsc, as, ad, tr, te, tp[j], tp[j + 1], E, H, (CC), concat)
    KP_GAT_BY_C(C, KP_GAT_NODE);
#undef KP_GAT_NODE
  }
  att_grad(datt_src->data, dss, ph, N, H, C);
  att_grad(datt_dst->data, dsd, ph, N, H, C);
  return KP_OK;
}
