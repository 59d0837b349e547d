/* The convolution interface: PyG's defaults, option checks and dispatch to GCN, SAGE, GAT. */
#include <string.h>
#include "models/gnn_internal.h"

kp_conv_opts kp_conv_defaults(kp_conv_type type, int64_t in_dim, int64_t out_dim) {
  kp_conv_opts o = {.type = type,
                    .in_dim = in_dim,
                    .out_dim = out_dim,
                    .heads = 1,
                    .concat = true,
                    .negative_slope = 0.2f,
                    .attn_dropout = 0.0f,
                    .add_self_loops = true,
                    .normalize = true,
                    .root_weight = true,
                    .residual = false,
                    .bias = true};
  return o;
}

const char *kp_conv_type_name(kp_conv_type t) {
  switch (t) {
    case KP_CONV_GCN:
      return "gcn";
    case KP_CONV_SAGE:
      return "sage";
    case KP_CONV_GAT:
      return "gat";
  }
  return "?";
}

unsigned kp_conv_graph_flags(const kp_conv_opts *o) {
  switch (o->type) {
    case KP_CONV_GCN:
      return (o->add_self_loops ? KP_GRAPH_SELF_LOOPS : 0u) | (o->normalize ? KP_GRAPH_GCN_NORM : 0u);
    case KP_CONV_SAGE:
      return 0;
    case KP_CONV_GAT:
      return (o->add_self_loops ? KP_GRAPH_SELF_LOOPS : 0u) | KP_GRAPH_STAR;
  }
  return 0;
}

static kp_status check_opts(const kp_conv_opts *o, const char *prefix) {
  const char *t = kp_conv_type_name(o->type);
  if (o->type != KP_CONV_GCN && o->type != KP_CONV_SAGE && o->type != KP_CONV_GAT)
    return kp_fail(KP_ERR_INVALID, "conv %s: unknown type %d", prefix, (int)o->type);
  if (o->in_dim < 1 || o->out_dim < 1)
    return kp_fail(KP_ERR_INVALID, "%s conv %s: in_dim %lld and out_dim %lld must be >= 1", t, prefix,
                   (long long)o->in_dim, (long long)o->out_dim);
  if (o->type == KP_CONV_GAT) {
    if (o->heads < 1) return kp_fail(KP_ERR_INVALID, "gat conv %s: heads = %d, must be >= 1", prefix, o->heads);
    if (!(o->attn_dropout >= 0.0f && o->attn_dropout < 1.0f))
      return kp_fail(KP_ERR_INVALID, "gat conv %s: attn_dropout = %g, must be in [0, 1)", prefix,
                     (double)o->attn_dropout);
    if (!(o->negative_slope >= 0.0f))
      return kp_fail(KP_ERR_INVALID, "gat conv %s: negative_slope = %g, must be >= 0", prefix,
                     (double)o->negative_slope);
  }
  if (o->type == KP_CONV_GCN && o->add_self_loops && !o->normalize)
    return kp_fail(KP_ERR_INVALID,
                   "gcn conv %s: add_self_loops needs normalize (PyG's GCNConv adds self loops only while normalising)",
                   prefix);
  return KP_OK;
}

kp_status kp_conv_init(kp_conv *c, kp_params *p, const char *prefix, const kp_conv_opts *o) {
  memset(c, 0, sizeof *c);
  c->p_lin = c->p_lin_r = c->p_bias = c->p_att_src = c->p_att_dst = c->p_res = -1;
  kp_arena_init(&c->arena);
  KP_TRY(check_opts(o, prefix ? prefix : ""));
  c->o = *o;
  if (o->type != KP_CONV_GAT) c->o.heads = 1;
  c->out_cols = o->type == KP_CONV_GAT && o->concat ? (int64_t)o->heads * o->out_dim : o->out_dim;
  switch (o->type) {
    case KP_CONV_GCN:
      return kp_gcn_init(c, p, prefix);
    case KP_CONV_SAGE:
      return kp_sage_init(c, p, prefix);
    case KP_CONV_GAT:
      return kp_gat_init(c, p, prefix);
  }
  return KP_ERR_INTERNAL;
}

void kp_conv_free(kp_conv *c) {
  if (c) kp_arena_free(&c->arena);
}

static kp_status check_io(const kp_conv *c, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *y,
                          const char *op) {
  const char *t = kp_conv_type_name(c->o.type);
  if (!g || !x || !y) return kp_fail(KP_ERR_INVALID, "%s %s: graph, x and y are required", t, op);
  unsigned need = kp_conv_graph_flags(&c->o);
  if ((g->flags & need) != need)
    return kp_fail(KP_ERR_INVALID, "%s %s: the graph lacks parts this layer needs (flags 0x%x, has 0x%x)", t, op, need,
                   g->flags);
  if (x->ndim != 2 || x->shape[0] != g->num_nodes || x->shape[1] != c->o.in_dim || x->dtype != KP_F32)
    return kp_fail(KP_ERR_INVALID, "%s %s: x must be f32 [%lld, %lld]", t, op, (long long)g->num_nodes,
                   (long long)c->o.in_dim);
  if (y->ndim != 2 || y->shape[0] != g->num_nodes || y->shape[1] != c->out_cols || y->dtype != KP_F32)
    return kp_fail(KP_ERR_INVALID, "%s %s: %s must be f32 [%lld, %lld]", t, op, !strcmp(op, "fwd") ? "y" : "dy",
                   (long long)g->num_nodes, (long long)c->out_cols);
  return KP_OK;
}

kp_status kp_conv_fwd(kp_conv *c, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                      bool training, uint64_t seed, uint64_t *offset) {
  KP_TRY(check_io(c, g, x, y, "fwd"));
  switch (c->o.type) {
    case KP_CONV_GCN:
      return kp_gcn_fwd(c, p, g, x, y);
    case KP_CONV_SAGE:
      return kp_sage_fwd(c, p, g, x, y);
    case KP_CONV_GAT:
      return kp_gat_fwd(c, p, g, x, y, training, seed, offset);
  }
  return KP_ERR_INTERNAL;
}

kp_status kp_conv_bwd(kp_conv *c, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx) {
  KP_TRY(check_io(c, g, x, dy, "bwd"));
  if (!kp_arena_ready(&c->arena, g->num_nodes, c->arena.e_planned, c->arena.g_planned))
    return kp_fail(KP_ERR_INVALID, "%s bwd: no forward on a graph of this size was run",
                   kp_conv_type_name(c->o.type));
  switch (c->o.type) {
    case KP_CONV_GCN:
      return kp_gcn_bwd(c, p, g, x, dy, dx);
    case KP_CONV_SAGE:
      return kp_sage_bwd(c, p, g, x, dy, dx);
    case KP_CONV_GAT:
      return kp_gat_bwd(c, p, g, x, dy, dx);
  }
  return KP_ERR_INTERNAL;
}

/* Workspace of GCN and SAGE: h and dh of the width the layer propagates (in or out, whichever is first). */
kp_status kp_conv_plan_hidden(kp_conv *c, const kp_gnn_graph *g) {
  int64_t n = g->num_nodes, width = c->transform_first ? c->o.out_dim : c->o.in_dim;
  if (kp_arena_ready(&c->arena, n, 0, 0)) return KP_OK;
  for (;;) {
    kp_plan pl;
    bool again;
    kp_plan_begin(&pl, &c->arena, g->device);
    kp_plan_take(&pl, &c->h, KP_F32, n, width);
    kp_plan_take(&pl, &c->dh, KP_F32, n, width);
    KP_TRY(kp_plan_end(&pl, &again, n, 0, 0));
    if (!again) return KP_OK;
  }
}

kp_status kp_conv_in_linear_fwd(const kp_conv *c, kp_tensor *h, const kp_tensor *x, const kp_tensor *W) {
  const kp_sparse_input *s = c->sparse_in;
  if (!s) return kp_linear_fwd(h, NULL, x, W, NULL, KP_ACT_NONE, 0.0f);
  kp_tensor wt = s->wt;
  return kp_csr_linear_fwd(h, &wt, &s->pattern, &s->values, W);
}

kp_status kp_conv_in_linear_bwd(const kp_conv *c, kp_tensor *dx, kp_tensor *dW, const kp_tensor *dh,
                                const kp_tensor *x, const kp_tensor *W) {
  const kp_sparse_input *s = c->sparse_in;
  if (!s) return kp_linear_bwd(dx, dW, NULL, dh, NULL, x, W, KP_ACT_NONE, 0.0f);
  KP_TRY(kp_csr_linear_bwd(dW, dh, &s->pattern, &s->values));
  return dx ? kp_linear_bwd(dx, NULL, NULL, dh, NULL, x, W, KP_ACT_NONE, 0.0f) : KP_OK;
}
