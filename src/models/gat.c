/* GATConv (Velickovic et al.; PyG semantics): h = x W^T viewed [N, H, C];
 * e_ij = LeakyReLU(<h_j, a_src> + <h_i, a_dst>) per head for each edge j -> i;
 * alpha = softmax of e over the incoming edges of i; dropout on alpha when training;
 * out_i = sum_j alpha_ij h_j; heads concatenated [N, H*C] or averaged [N, C]; + res(x) + bias.
 *
 * The per-node terms <h_n, a> are SDDMMs on a "star" graph (every node linked to one column
 * holding a), the edge scores gather them along the CSR's source and destination arrays, and
 * the mean over heads is a segment mean over rows of h viewed [N*H, C]: compositions of ops.
 * Where the backend has the fused attention (kp_gat_attn_fwd / _bwd: the CPU), all of that
 * between h and the output runs as one op with the same values, saving only alpha (and
 * alpha after dropout) and the per-node terms. */
#include <stdlib.h>
#include "kprca/gat_attention.h"
#include "models/gnn_internal.h"

kp_status kp_gat_init(kp_conv *c, kp_params *p, const char *prefix) {
  char name[KP_PARAM_NAME_MAX];
  int64_t H = c->o.heads, C = c->o.out_dim, in = c->o.in_dim;
  int64_t ws[2] = {H * C, in}, as[3] = {1, H, C}, rs[2] = {c->out_cols, in}, bs[1] = {c->out_cols};
  KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "lin.weight"), 2, ws, KP_INIT_UNIFORM,
                       kp_glorot_bound(in, H * C), &c->p_lin));
  KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "att_src"), 3, as, KP_INIT_UNIFORM,
                       kp_glorot_bound(H, C), &c->p_att_src));
  KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "att_dst"), 3, as, KP_INIT_UNIFORM,
                       kp_glorot_bound(H, C), &c->p_att_dst));
  if (c->o.residual) KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "res.weight"), 2, rs,
                                          KP_INIT_UNIFORM, kp_glorot_bound(in, c->out_cols), &c->p_res));
  if (c->o.bias) KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "bias"), 1, bs, KP_INIT_ZEROS, 0.0f,
                                      &c->p_bias));
  return KP_OK;
}

static const kp_csr *adj_of(const kp_conv *c, const kp_gnn_graph *g) {
  return c->o.add_self_loops ? &g->adj_loop : &g->adj;
}

/* head_ptr[i] = i * H: row i of the mean over heads averages rows i*H .. i*H+H-1 of h viewed [N*H, C]. */
static kp_status fill_head_ptr(kp_conv *c, int64_t n) {
  int32_t *hp = malloc(sizeof(int32_t) * (size_t)(n + 1));
  if (!hp) return kp_fail(KP_ERR_NOMEM, "gat: out of host memory");
  for (int64_t i = 0; i <= n; i++) hp[i] = (int32_t)(i * c->o.heads);
  int64_t m = n + 1;
  kp_tensor h = kp_tensor_wrap(hp, KP_I32, kp_cpu(), 1, &m);
  kp_status s = kp_tensor_copy(&c->head_ptr, &h);
  free(hp);
  return s;
}

static kp_status plan(kp_conv *c, const kp_gnn_graph *g) {
  int64_t n = g->num_nodes, E = adj_of(c, g)->nnz, H = c->o.heads, HC = H * c->o.out_dim;
  /* fused: alpha, dscore (in ge1) and alpha_drop when there is attention dropout; composed: all five */
  bool fz = kp_gat_attn_fused(g->device);
  size_t neh = fz ? (c->o.attn_dropout > 0.0f ? 3 : 2) : 5;
  if (kp_arena_ready(&c->arena, n, E, 0)) return KP_OK;
  if (n * H > INT32_MAX) return kp_fail(KP_ERR_INVALID, "gat: %lld nodes x %lld heads exceed 2^31", (long long)n,
                                        (long long)H);
  for (;;) {
    kp_plan pl;
    bool again;
    kp_plan_begin(&pl, &c->arena, g->device);
    kp_tensor *nf[] = {&c->h, &c->dh}, *nh[] = {&c->sc_src, &c->sc_dst, &c->dsc_src, &c->dsc_dst};
    kp_tensor *eh[] = {&c->alpha, &c->ge1, &c->alpha_drop, &c->e, &c->ge2};
    for (size_t i = 0; i < sizeof nf / sizeof *nf; i++) kp_plan_take(&pl, nf[i], KP_F32, n, HC);
    for (size_t i = 0; i < sizeof nh / sizeof *nh; i++) kp_plan_take(&pl, nh[i], KP_F32, n, H);
    for (size_t i = 0; i < neh; i++) kp_plan_take(&pl, eh[i], KP_F32, E, H);
    if (!c->o.concat && !fz) {
      kp_plan_take(&pl, &c->agg, KP_F32, n, HC);
      kp_plan_take(&pl, &c->dagg, KP_F32, n, HC);
      kp_plan_take(&pl, &c->head_ptr, KP_I32, n + 1, -1);
    }
    KP_TRY(kp_plan_end(&pl, &again, n, E, 0));
    if (!again) break;
  }
  if (!c->o.concat && !fz) {
    kp_status s = fill_head_ptr(c, n);
    if (s != KP_OK) c->arena.n_planned = -1;
    return s;
  }
  return KP_OK;
}

/* An attention vector [1, H, C] seen as one row [1, H*C] (the star graph's single column). */
static kp_tensor att_row(kp_tensor t) {
  kp_tensor v;
  int64_t s[2] = {1, t.shape[1] * t.shape[2]};
  kp_tensor_view(&v, &t, 2, s);
  return v;
}

/* The per-head means [N, C] of rows of a [N, H*C] tensor, seen as [N*H, C]. */
static kp_tensor heads_view(const kp_conv *c, kp_tensor *t) {
  kp_tensor v;
  int64_t s[2] = {t->shape[0] * c->o.heads, c->o.out_dim};
  kp_tensor_view(&v, t, 2, s);
  return v;
}

/* The fused op's view of the layer's buffers: what it saves lives where the composed path keeps it. */
static kp_gat_attn attn_state(const kp_conv *c) {
  kp_gat_attn at = {0};
  at.concat = c->o.concat;
  at.negative_slope = c->o.negative_slope;
  at.p = c->dropped ? c->o.attn_dropout : 0.0f;
  at.seed = c->drop_seed;
  at.offset = c->drop_offset;
  at.s_src = c->sc_src;
  at.s_dst = c->sc_dst;
  at.alpha = c->alpha;
  at.alpha_drop = c->alpha_drop;
  at.ds_src = c->dsc_src;
  at.ds_dst = c->dsc_dst;
  at.dscore = c->ge1;
  return at;
}

/* y = the attention of c->h on the generic ops (backends without the fused op). */
static kp_status attn_fwd_composed(kp_conv *c, const kp_gnn_graph *g, kp_tensor *y, const kp_tensor *as,
                                   const kp_tensor *ad) {
  const kp_csr *a = adj_of(c, g);
  KP_TRY(kp_sddmm_fwd(&c->sc_src, &g->star, &c->h, as));
  KP_TRY(kp_sddmm_fwd(&c->sc_dst, &g->star, &c->h, ad));
  /* e = s_src[source] + s_dst[destination]; alpha serves as scratch until the softmax */
  KP_TRY(kp_gather_fwd(&c->e, &c->sc_src, &a->indices));
  KP_TRY(kp_gather_fwd(&c->alpha, &c->sc_dst, &a->rows));
  KP_TRY(kp_add_fwd(&c->e, &c->e, &c->alpha));
  KP_TRY(kp_act_fwd(&c->alpha_drop, &c->e, KP_ACT_LEAKY_RELU, c->o.negative_slope));
  KP_TRY(kp_edge_softmax_fwd(&c->alpha, a, &c->alpha_drop));
  if (c->dropped) KP_TRY(kp_dropout_fwd(&c->alpha_drop, &c->alpha, c->o.attn_dropout, c->drop_seed, c->drop_offset));
  const kp_tensor *A = c->dropped ? &c->alpha_drop : &c->alpha;
  if (c->o.concat) return kp_spmm_fwd(y, a, A, &c->h, KP_REDUCE_SUM);
  KP_TRY(kp_spmm_fwd(&c->agg, a, A, &c->h, KP_REDUCE_SUM));
  kp_tensor v = heads_view(c, &c->agg);
  return kp_segment_fwd(y, NULL, &v, &c->head_ptr, KP_REDUCE_MEAN);
}

/* c->dh = the gradient of the attention's input h (overwritten), and the attention vectors' gradients (+=), on
 * the generic ops. */
static kp_status attn_bwd_composed(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *dy) {
  const kp_csr *a = adj_of(c, g);
  /* gradient of the aggregated heads [N, H*C] */
  const kp_tensor *dout = dy;
  if (!c->o.concat) {
    KP_TRY(kp_tensor_fill(&c->dagg, 0.0));
    kp_tensor v = heads_view(c, &c->dagg);
    KP_TRY(kp_segment_bwd(&v, dy, NULL, &c->head_ptr, KP_REDUCE_MEAN));
    dout = &c->dagg;
  }
  /* through out = A h: dh, and the gradient of the (dropped) attention into ge1 */
  KP_TRY(kp_tensor_fill(&c->dh, 0.0));
  KP_TRY(kp_tensor_fill(&c->ge1, 0.0));
  const kp_tensor *A = c->dropped ? &c->alpha_drop : &c->alpha;
  KP_TRY(kp_spmm_bwd(&c->dh, &c->ge1, dout, a, A, &c->h, KP_REDUCE_SUM));
  kp_tensor *cur = &c->ge1, *spare = &c->ge2, *t;
  if (c->dropped) {
    KP_TRY(kp_tensor_fill(spare, 0.0));
    KP_TRY(kp_dropout_bwd(spare, cur, c->o.attn_dropout, c->drop_seed, c->drop_offset));
    t = cur, cur = spare, spare = t;
  }
  /* softmax, then LeakyReLU */
  KP_TRY(kp_tensor_fill(spare, 0.0));
  KP_TRY(kp_edge_softmax_bwd(spare, cur, a, &c->alpha));
  t = cur, cur = spare, spare = t;
  KP_TRY(kp_tensor_fill(spare, 0.0));
  KP_TRY(kp_act_bwd(spare, cur, &c->e, KP_ACT_LEAKY_RELU, c->o.negative_slope));
  cur = spare;
  /* scatter the edge-score gradient back to the per-node terms */
  KP_TRY(kp_tensor_fill(&c->dsc_src, 0.0));
  KP_TRY(kp_tensor_fill(&c->dsc_dst, 0.0));
  KP_TRY(kp_gather_bwd(&c->dsc_src, cur, &a->indices));
  KP_TRY(kp_gather_bwd(&c->dsc_dst, cur, &a->rows));
  kp_tensor as = att_row(kp_pv(p, c->p_att_src)), ad = att_row(kp_pv(p, c->p_att_dst));
  kp_tensor das = att_row(kp_pg(p, c->p_att_src)), dad = att_row(kp_pg(p, c->p_att_dst));
  KP_TRY(kp_sddmm_bwd(&c->dh, &das, &c->dsc_src, &g->star, &c->h, &as));
  return kp_sddmm_bwd(&c->dh, &dad, &c->dsc_dst, &g->star, &c->h, &ad);
}

kp_status kp_gat_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                     bool training, uint64_t seed, uint64_t *offset) {
  const kp_csr *a = adj_of(c, g);
  KP_TRY(plan(c, g));
  kp_tensor W = kp_pv(p, c->p_lin), as = att_row(kp_pv(p, c->p_att_src)), ad = att_row(kp_pv(p, c->p_att_dst));
  KP_TRY(kp_conv_in_linear_fwd(c, &c->h, x, &W));
  c->dropped = training && c->o.attn_dropout > 0.0f;
  if (c->dropped) {
    if (!offset) return kp_fail(KP_ERR_INVALID, "gat fwd: attention dropout needs a dropout offset");
    c->drop_seed = seed;
    c->drop_offset = *offset;
  }
  if (kp_gat_attn_fused(g->device)) {
    kp_gat_attn at = attn_state(c);
    KP_TRY(kp_gat_attn_fwd(y, &at, a, &c->h, &as, &ad));
  } else {
    KP_TRY(attn_fwd_composed(c, g, y, &as, &ad));
  }
  if (c->dropped) *offset += kp_philox_blocks((uint64_t)kp_tensor_numel(&c->alpha));
  if (c->p_res >= 0) {
    kp_tensor R = kp_pv(p, c->p_res);
    KP_TRY(kp_matmul(y, x, &R, false, true, 1.0f, 1.0f));
  }
  if (c->p_bias >= 0) {
    kp_tensor b = kp_pv(p, c->p_bias);
    KP_TRY(kp_bias_add_fwd(y, y, &b));
  }
  return KP_OK;
}

kp_status kp_gat_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                     kp_tensor *dx) {
  const kp_csr *a = adj_of(c, g);
  if (!kp_arena_ready(&c->arena, g->num_nodes, a->nnz, 0))
    return kp_fail(KP_ERR_INVALID, "gat bwd: the graph differs from the forward's");
  if (c->p_bias >= 0) {
    kp_tensor db = kp_pg(p, c->p_bias);
    KP_TRY(kp_bias_add_bwd(NULL, &db, dy));
  }
  if (c->p_res >= 0) {
    kp_tensor R = kp_pv(p, c->p_res), dR = kp_pg(p, c->p_res);
    KP_TRY(kp_matmul_bwd(dx, &dR, dy, x, &R, false, true, 1.0f));
  }
  if (kp_gat_attn_fused(g->device)) {
    kp_gat_attn at = attn_state(c);
    kp_tensor as = att_row(kp_pv(p, c->p_att_src)), ad = att_row(kp_pv(p, c->p_att_dst));
    kp_tensor das = att_row(kp_pg(p, c->p_att_src)), dad = att_row(kp_pg(p, c->p_att_dst));
    KP_TRY(kp_gat_attn_bwd(&c->dh, &das, &dad, &at, dy, a, &c->h, &as, &ad));
  } else {
    KP_TRY(attn_bwd_composed(c, p, g, dy));
  }
  kp_tensor W = kp_pv(p, c->p_lin), dW = kp_pg(p, c->p_lin);
  return kp_conv_in_linear_bwd(c, dx, &dW, &c->dh, x, &W);
}
