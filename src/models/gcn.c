/* GCNConv (Kipf & Welling; PyG semantics): y = D^-1/2 (A + I) D^-1/2 x W^T + b, with the
 * normalised weights precomputed on the graph. The linear map runs first when it narrows the
 * features (PyG's order), else the aggregation does: the same result, fewer flops. */
#include "models/gnn_internal.h"

kp_status kp_gcn_init(kp_conv *c, kp_params *p, const char *prefix) {
  char name[KP_PARAM_NAME_MAX];
  int64_t ws[2] = {c->o.out_dim, c->o.in_dim};
  KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "lin.weight"), 2, ws, KP_INIT_UNIFORM,
                       kp_glorot_bound(c->o.in_dim, c->o.out_dim), &c->p_lin));
  if (c->o.bias) KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "bias"), 1, ws, KP_INIT_ZEROS, 0.0f,
                                      &c->p_bias));
  c->transform_first = c->o.out_dim <= c->o.in_dim;
  return KP_OK;
}

/* The adjacency and edge weights this layer aggregates with. */
static void pick(const kp_conv *c, const kp_gnn_graph *g, const kp_csr **a, const kp_tensor **w) {
  if (c->o.normalize) {
    *a = c->o.add_self_loops ? &g->adj_loop : &g->adj;
    *w = c->o.add_self_loops ? &g->loop_norm : &g->norm;
  } else {
    *a = &g->adj;
    *w = g->weight.ndim ? &g->weight : NULL;
  }
}

kp_status kp_gcn_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y) {
  const kp_csr *a;
  const kp_tensor *w;
  pick(c, g, &a, &w);
  KP_TRY(kp_conv_plan_hidden(c, g));
  kp_tensor W = kp_pv(p, c->p_lin), b = kp_pv(p, c->p_bias);
  if (c->transform_first) {
    KP_TRY(kp_conv_in_linear_fwd(c, &c->h, x, &W));
    KP_TRY(kp_spmm_fwd(y, a, w, &c->h, KP_REDUCE_SUM));
    if (c->p_bias >= 0) KP_TRY(kp_bias_add_fwd(y, y, &b));
    return KP_OK;
  }
  KP_TRY(kp_spmm_fwd(&c->h, a, w, x, KP_REDUCE_SUM));
  return kp_linear_fwd(y, NULL, &c->h, &W, c->p_bias >= 0 ? &b : NULL, KP_ACT_NONE, 0.0f);
}

kp_status kp_gcn_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                     kp_tensor *dx) {
  const kp_csr *a;
  const kp_tensor *w;
  pick(c, g, &a, &w);
  kp_tensor W = kp_pv(p, c->p_lin), dW = kp_pg(p, c->p_lin), db = kp_pg(p, c->p_bias);
  kp_tensor *pdb = c->p_bias >= 0 ? &db : NULL;
  KP_TRY(kp_tensor_fill(&c->dh, 0.0));
  if (c->transform_first) {
    if (pdb) KP_TRY(kp_bias_add_bwd(NULL, pdb, dy));
    KP_TRY(kp_spmm_bwd(&c->dh, NULL, dy, a, w, &c->h, KP_REDUCE_SUM));
    return kp_conv_in_linear_bwd(c, dx, &dW, &c->dh, x, &W);
  }
  KP_TRY(kp_linear_bwd(&c->dh, &dW, pdb, dy, NULL, &c->h, &W, KP_ACT_NONE, 0.0f));
  return dx ? kp_spmm_bwd(dx, NULL, &c->dh, a, w, x, KP_REDUCE_SUM) : KP_OK;
}
