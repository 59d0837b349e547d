/* SAGEConv with mean aggregation (PyG semantics, root_weight, no projection or normalisation):
 * y = lin_l(mean_{j -> i} x_j) + lin_r(x_i), lin_l with bias, lin_r without. As with GCN the
 * linear map runs before the (linear) mean when it narrows the features. */
#include <math.h>
#include "models/gnn_internal.h"

kp_status kp_sage_init(kp_conv *c, kp_params *p, const char *prefix) {
  char name[KP_PARAM_NAME_MAX];
  int64_t ws[2] = {c->o.out_dim, c->o.in_dim};
  float bound = 1.0f / sqrtf((float)c->o.in_dim); /* torch.nn.Linear's default (kaiming_uniform, a = sqrt 5) */
  KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "lin_l.weight"), 2, ws, KP_INIT_UNIFORM, bound,
                       &c->p_lin));
  if (c->o.bias) KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "lin_l.bias"), 1, ws,
                                      KP_INIT_UNIFORM, bound, &c->p_bias));
  if (c->o.root_weight) KP_TRY(kp_params_add(p, kp_param_name(name, sizeof name, prefix, "lin_r.weight"), 2, ws,
                                             KP_INIT_UNIFORM, bound, &c->p_lin_r));
  c->transform_first = c->o.out_dim < c->o.in_dim;
  return KP_OK;
}

kp_status kp_sage_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y) {
  KP_TRY(kp_conv_plan_hidden(c, g));
  kp_tensor Wl = kp_pv(p, c->p_lin), Wr = kp_pv(p, c->p_lin_r), b = kp_pv(p, c->p_bias);
  if (c->transform_first) {
    KP_TRY(kp_linear_fwd(&c->h, NULL, x, &Wl, NULL, KP_ACT_NONE, 0.0f));
    KP_TRY(kp_spmm_fwd(y, &g->adj, NULL, &c->h, KP_REDUCE_MEAN));
    if (c->p_bias >= 0) KP_TRY(kp_bias_add_fwd(y, y, &b));
  } else {
    KP_TRY(kp_spmm_fwd(&c->h, &g->adj, NULL, x, KP_REDUCE_MEAN));
    KP_TRY(kp_linear_fwd(y, NULL, &c->h, &Wl, c->p_bias >= 0 ? &b : NULL, KP_ACT_NONE, 0.0f));
  }
  if (c->p_lin_r >= 0) KP_TRY(kp_matmul(y, x, &Wr, false, true, 1.0f, 1.0f));
  return KP_OK;
}

kp_status kp_sage_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx) {
  kp_tensor Wl = kp_pv(p, c->p_lin), Wr = kp_pv(p, c->p_lin_r);
  kp_tensor dWl = kp_pg(p, c->p_lin), dWr = kp_pg(p, c->p_lin_r), db = kp_pg(p, c->p_bias);
  kp_tensor *pdb = c->p_bias >= 0 ? &db : NULL;
  if (c->p_lin_r >= 0) KP_TRY(kp_matmul_bwd(dx, &dWr, dy, x, &Wr, false, true, 1.0f));
  KP_TRY(kp_tensor_fill(&c->dh, 0.0));
  if (c->transform_first) {
    if (pdb) KP_TRY(kp_bias_add_bwd(NULL, pdb, dy));
    KP_TRY(kp_spmm_bwd(&c->dh, NULL, dy, &g->adj, NULL, &c->h, KP_REDUCE_MEAN));
    return kp_linear_bwd(dx, &dWl, NULL, &c->dh, NULL, x, &Wl, KP_ACT_NONE, 0.0f);
  }
  KP_TRY(kp_linear_bwd(&c->dh, &dWl, pdb, dy, NULL, &c->h, &Wl, KP_ACT_NONE, 0.0f));
  return dx ? kp_spmm_bwd(dx, NULL, &c->dh, &g->adj, NULL, x, KP_REDUCE_MEAN) : KP_OK;
}
