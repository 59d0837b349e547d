/* GNN models: a stack of convolutions ([dropout, conv, act] per layer) and, for graph
 * classification, a readout + MLP head; cross-entropy loss; explicit backward into the
 * flat gradient buffer. Dropout masks come from Philox at (drop_seed, drop_offset), and the
 * offset advances with every call, so a (seed, offset) pair fixes every mask of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/kprca.h"
#include "models/gnn_internal.h"

kp_gnn_config kp_gnn_config_default(kp_gnn_task task, kp_conv_type conv, int64_t in_dim, int64_t num_classes) {
  bool gat = conv == KP_CONV_GAT;
  kp_gnn_config c = {.task = task,
                     .conv = conv,
                     .in_dim = in_dim,
                     .hidden = gat ? 8 : 16,
                     .num_classes = num_classes,
                     .num_layers = 2,
                     .heads = gat ? 8 : 1,
                     .out_heads = 1,
                     .input_dropout = gat ? 0.6f : 0.5f,
                     .dropout = gat ? 0.6f : 0.5f,
                     .attn_dropout = gat ? 0.6f : 0.0f,
                     .act = gat ? KP_ACT_ELU : KP_ACT_RELU,
                     .act_alpha = 1.0f,
                     .negative_slope = 0.2f,
                     .bias = true,
                     .add_self_loops = true,
                     .normalize = true,
                     .root_weight = true,
                     .residual = false,
                     .readout = KP_REDUCE_MEAN,
                     .head_layers = 1,
                     .head_hidden = 64};
  if (task == KP_GNN_GRAPH) c.hidden = gat ? 16 : 64;
  return c;
}

static bool prob_ok(float p) { return p >= 0.0f && p < 1.0f; }

kp_status kp_gnn_config_check(const kp_gnn_config *c) {
  if (c->task != KP_GNN_NODE && c->task != KP_GNN_GRAPH) return kp_fail(KP_ERR_INVALID, "gnn: unknown task %d", c->task);
  if (c->conv != KP_CONV_GCN && c->conv != KP_CONV_SAGE && c->conv != KP_CONV_GAT)
    return kp_fail(KP_ERR_INVALID, "gnn: unknown conv %d", (int)c->conv);
  if (c->in_dim < 1) return kp_fail(KP_ERR_INVALID, "gnn: in_dim = %lld, must be >= 1", (long long)c->in_dim);
  if (c->hidden < 1) return kp_fail(KP_ERR_INVALID, "gnn: hidden = %lld, must be >= 1", (long long)c->hidden);
  if (c->num_classes < 1)
    return kp_fail(KP_ERR_INVALID, "gnn: num_classes = %lld, must be >= 1", (long long)c->num_classes);
  if (c->num_layers < 1 || c->num_layers > KP_GNN_MAX_LAYERS)
    return kp_fail(KP_ERR_INVALID, "gnn: num_layers = %d, must be in [1, %d]", c->num_layers, KP_GNN_MAX_LAYERS);
  if (c->conv == KP_CONV_GAT && (c->heads < 1 || c->out_heads < 1))
    return kp_fail(KP_ERR_INVALID, "gnn: heads = %d and out_heads = %d must be >= 1", c->heads, c->out_heads);
  if (!prob_ok(c->input_dropout)) return kp_fail(KP_ERR_INVALID, "gnn: input_dropout = %g, must be in [0, 1)",
                                                 (double)c->input_dropout);
  if (!prob_ok(c->dropout)) return kp_fail(KP_ERR_INVALID, "gnn: dropout = %g, must be in [0, 1)", (double)c->dropout);
  if (!prob_ok(c->attn_dropout))
    return kp_fail(KP_ERR_INVALID, "gnn: attn_dropout = %g, must be in [0, 1)", (double)c->attn_dropout);
  if ((int)c->act < KP_ACT_NONE || c->act > KP_ACT_TANH) return kp_fail(KP_ERR_INVALID, "gnn: unknown act %d", c->act);
  if (c->task == KP_GNN_GRAPH) {
    if (c->head_layers < 1 || c->head_layers > KP_HEAD_MAX_LAYERS)
      return kp_fail(KP_ERR_INVALID, "gnn: head_layers = %d, must be in [1, %d]", c->head_layers, KP_HEAD_MAX_LAYERS);
    if (c->head_layers > 1 && c->head_hidden < 1)
      return kp_fail(KP_ERR_INVALID, "gnn: head_hidden = %lld, must be >= 1", (long long)c->head_hidden);
    if (c->readout != KP_REDUCE_SUM && c->readout != KP_REDUCE_MEAN && c->readout != KP_REDUCE_MAX)
      return kp_fail(KP_ERR_INVALID, "gnn: unknown readout %d", (int)c->readout);
  }
  return KP_OK;
}

/* The options of conv layer l. */
static kp_conv_opts layer_opts(const kp_gnn_config *c, int l, int64_t in_dim) {
  bool out_layer = c->task == KP_GNN_NODE && l == c->num_layers - 1;
  kp_conv_opts o = kp_conv_defaults(c->conv, in_dim, out_layer ? c->num_classes : c->hidden);
  o.heads = c->conv == KP_CONV_GAT ? (out_layer ? c->out_heads : c->heads) : 1;
  o.concat = !out_layer; /* PyG's GAT examples average the output layer's heads */
  o.negative_slope = c->negative_slope;
  o.attn_dropout = c->attn_dropout;
  o.add_self_loops = c->conv == KP_CONV_GCN ? c->add_self_loops && c->normalize : c->add_self_loops;
  o.normalize = c->normalize;
  o.root_weight = c->root_weight;
  o.residual = c->residual;
  o.bias = c->bias;
  return o;
}

unsigned kp_gnn_graph_flags(const kp_gnn_config *cfg) {
  kp_conv_opts o = layer_opts(cfg, 0, cfg->in_dim);
  return kp_conv_graph_flags(&o);
}

kp_status kp_gnn_init(kp_gnn *m, const kp_gnn_config *cfg, kp_device dev) {
  memset(m, 0, sizeof *m);
  kp_params_init(&m->params, dev);
  kp_arena_init(&m->arena);
  kp_arena_init(&m->head.arena);
  for (int l = 0; l < KP_GNN_MAX_LAYERS; l++) kp_arena_init(&m->convs[l].arena);
  KP_TRY(kp_gnn_config_check(cfg));
  m->cfg = *cfg;
  kp_status s = KP_OK;
  int64_t in = cfg->in_dim;
  for (int l = 0; l < cfg->num_layers && s == KP_OK; l++) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "convs.%d", l);
    kp_conv_opts o = layer_opts(cfg, l, in);
    s = kp_conv_init(&m->convs[l], &m->params, prefix, &o);
    m->num_convs = l + 1;
    in = m->convs[l].out_cols;
  }
  if (s == KP_OK && cfg->task == KP_GNN_GRAPH)
    s = kp_head_init(&m->head, &m->params, "head", cfg->readout, cfg->head_layers, in, cfg->head_hidden,
                     cfg->num_classes, cfg->act, cfg->act_alpha, cfg->dropout);
  if (s == KP_OK) s = kp_params_alloc(&m->params);
  if (s != KP_OK) kp_gnn_free(m);
  return s;
}

static void sparse_input_free(kp_gnn *m) {
  kp_csr_free(&m->sx.pattern);
  kp_tensor_free(&m->sx.values);
  kp_tensor_free(&m->sx.x_values);
  kp_tensor_free(&m->sx.wt);
  memset(&m->sx, 0, sizeof m->sx);
  m->sx_ready = false;
  if (m->num_convs > 0) m->convs[0].sparse_in = NULL;
}

void kp_gnn_free(kp_gnn *m) {
  if (!m) return;
  sparse_input_free(m);
  for (int l = 0; l < m->num_convs; l++) kp_conv_free(&m->convs[l]);
  kp_head_free(&m->head);
  kp_arena_free(&m->arena);
  kp_params_free(&m->params);
  m->num_convs = 0;
}

kp_status kp_gnn_reset_parameters(kp_gnn *m, kp_rng *r) { return kp_params_init_values(&m->params, r); }

static bool node_task(const kp_gnn *m) { return m->cfg.task == KP_GNN_NODE; }
static float in_dropout(const kp_gnn *m, int l) { return l == 0 ? m->cfg.input_dropout : m->cfg.dropout; }

kp_status kp_gnn_attach_sparse_input(kp_gnn *m, const kp_tensor *x, double max_density, bool *used) {
  if (used) *used = false;
  sparse_input_free(m);
  if (m->num_convs < 1 || !x || x->ndim != 2 || x->dtype != KP_F32 || x->shape[1] != m->cfg.in_dim ||
      x->device.type != KP_DEV_CPU || !kp_device_eq(x->device, m->params.device))
    return KP_OK;
  const kp_conv *c = &m->convs[0];
  bool fits = (c->o.type == KP_CONV_GCN && c->transform_first) || (c->o.type == KP_CONV_GAT && c->p_res < 0);
  if (!fits || !kp_csr_linear_supported(x->device)) return KP_OK;
  int64_t N = x->shape[0], F = x->shape[1], nnz = 0;
  const float *px = x->data;
  for (int64_t k = 0; k < N * F; k++) nnz += px[k] != 0.0f;
  if ((double)nnz > max_density * (double)N * (double)F || nnz > INT32_MAX || N > INT32_MAX) return KP_OK;
  int32_t *indptr = malloc(sizeof(int32_t) * (size_t)(N + 1)), *indices = malloc(sizeof(int32_t) * (size_t)(nnz ? nnz : 1));
  kp_status s = KP_OK;
  if (!indptr || !indices) s = kp_fail(KP_ERR_NOMEM, "gnn sparse input: out of host memory for %lld non-zeros",
                                       (long long)nnz);
  if (s == KP_OK) {
    int32_t e = 0;
    indptr[0] = 0;
    for (int64_t i = 0; i < N; i++) {
      for (int64_t j = 0; j < F; j++)
        if (px[i * F + j] != 0.0f) indices[e++] = (int32_t)j;
      indptr[i + 1] = e;
    }
    s = kp_csr_init(&m->sx.pattern, x->device, N, F, indptr, indices);
  }
  if (s == KP_OK) s = kp_tensor_alloc(&m->sx.x_values, KP_F32, x->device, 1, &nnz);
  if (s == KP_OK) { /* on the CPU (checked above): fill it in place */
    float *xv = m->sx.x_values.data;
    for (int64_t i = 0; i < N; i++)
      for (int64_t e = indptr[i]; e < indptr[i + 1]; e++) xv[e] = px[i * F + indices[e]];
  }
  free(indptr);
  free(indices);
  int64_t M = kp_pv(&m->params, c->p_lin).shape[0], ts[2] = {F, M};
  if (s == KP_OK) s = kp_tensor_alloc(&m->sx.values, KP_F32, x->device, 1, &nnz);
  if (s == KP_OK) s = kp_tensor_alloc(&m->sx.wt, KP_F32, x->device, 2, ts);
  if (s != KP_OK) {
    sparse_input_free(m);
    return s;
  }
  m->sx.x = x;
  m->sx_ready = true;
  if (used) *used = true;
  return KP_OK;
}

static kp_status plan(kp_gnn *m, const kp_gnn_graph *g) {
  int64_t n = g->num_nodes, G = g->num_graphs, C = m->cfg.num_classes, L = m->num_convs;
  if (kp_arena_ready(&m->arena, n, 0, G)) return KP_OK;
  for (;;) {
    kp_plan pl;
    bool again;
    kp_plan_begin(&pl, &m->arena, g->device);
    for (int l = 0; l < L; l++) {
      int64_t in = m->convs[l].o.in_dim, out = m->convs[l].out_cols;
      bool drops = in_dropout(m, l) > 0.0f;
      kp_plan_take(&pl, &m->xin[l], KP_F32, drops ? n : 0, in);
      kp_plan_take(&pl, &m->dxin[l], KP_F32, drops ? n : 0, in);
      kp_plan_take(&pl, &m->z[l], KP_F32, n, out);
      kp_plan_take(&pl, &m->dz[l], KP_F32, n, out);
      bool has_act = !(node_task(m) && l == L - 1);
      kp_plan_take(&pl, &m->act[l], KP_F32, has_act ? n : 0, out);
      kp_plan_take(&pl, &m->dact[l], KP_F32, has_act ? n : 0, out);
    }
    int64_t rows = node_task(m) ? n : G;
    if (!node_task(m)) kp_plan_take(&pl, &m->logits, KP_F32, rows, C);
    kp_plan_take(&pl, &m->dlogits, KP_F32, rows, C);
    kp_plan_take(&pl, &m->probs, KP_F32, rows, C);
    kp_plan_take(&pl, &m->loss, KP_F32, 1, -1);
    KP_TRY(kp_plan_end(&pl, &again, n, 0, G));
    if (!again) break;
  }
  if (node_task(m)) m->logits = m->z[L - 1];
  return KP_OK;
}

/* The input of conv l as its forward saw it. */
static const kp_tensor *conv_input(const kp_gnn *m, int l) {
  if (l == 0 && m->convs[0].sparse_in) return m->fwd_x; /* its linear reads the CSR values instead */
  if (m->dropped[l]) return &m->xin[l];
  return l == 0 ? m->fwd_x : &m->act[l - 1];
}

kp_status kp_gnn_forward(kp_gnn *m, const kp_gnn_graph *g, const kp_tensor *x, bool training) {
  if (!g || !x) return kp_fail(KP_ERR_INVALID, "gnn forward: graph and x are required");
  if (!kp_device_eq(g->device, m->params.device) || !kp_device_eq(x->device, m->params.device))
    return kp_fail(KP_ERR_INVALID, "gnn forward: graph, x and the model must be on one device");
  if (!node_task(m) && g->num_graphs < 1)
    return kp_fail(KP_ERR_INVALID, "gnn forward: graph classification needs a graph_ptr");
  KP_TRY(plan(m, g));
  m->fwd_graph = NULL;
  m->fwd_x = x;
  const kp_tensor *cur = x;
  uint64_t seed = m->fwd_seed = m->drop_seed;
  m->convs[0].sparse_in = m->sx_ready && x == m->sx.x ? &m->sx : NULL;
  for (int l = 0; l < m->num_convs; l++) {
    float p = in_dropout(m, l);
    m->dropped[l] = training && p > 0.0f;
    if (l == 0 && m->convs[0].sparse_in) { /* the same masks, drawn and applied at x's non-zeros only */
      m->drop_at[l] = m->drop_offset;
      KP_TRY(kp_csr_dropout(&m->sx.values, &m->sx.pattern, &m->sx.x_values, m->dropped[l] ? p : 0.0f, seed, m->drop_offset));
      if (m->dropped[l]) m->drop_offset += kp_philox_blocks((uint64_t)kp_tensor_numel(x));
    } else if (m->dropped[l]) {
      m->drop_at[l] = m->drop_offset;
      KP_TRY(kp_dropout_fwd(&m->xin[l], cur, p, seed, m->drop_offset));
      m->drop_offset += kp_philox_blocks((uint64_t)kp_tensor_numel(&m->xin[l]));
    }
    KP_TRY(kp_conv_fwd(&m->convs[l], &m->params, g, conv_input(m, l), &m->z[l], training, seed, &m->drop_offset));
    if (node_task(m) && l == m->num_convs - 1) break;
    KP_TRY(kp_act_fwd(&m->act[l], &m->z[l], m->cfg.act, m->cfg.act_alpha));
    cur = &m->act[l];
  }
  if (!node_task(m))
    KP_TRY(kp_head_fwd(&m->head, &m->params, g, cur, &m->logits, training, seed, &m->drop_offset));
  m->fwd_graph = g;
  return KP_OK;
}

kp_status kp_gnn_loss(kp_gnn *m, const kp_tensor *targets, const kp_tensor *class_weights, float *loss) {
  if (!m->fwd_graph) return kp_fail(KP_ERR_INVALID, "gnn loss: no forward was run");
  KP_TRY(kp_cross_entropy_fwd(&m->loss, &m->probs, &m->logits, targets, class_weights, 0.0f, KP_GNN_IGNORE));
  if (!loss) return KP_OK;
  int64_t one = 1;
  kp_tensor h = kp_tensor_wrap(loss, KP_F32, kp_cpu(), 1, &one);
  return kp_tensor_copy(&h, &m->loss);
}

kp_status kp_gnn_backward(kp_gnn *m, const kp_tensor *targets, const kp_tensor *class_weights, kp_tensor *dx) {
  if (!m->fwd_graph) return kp_fail(KP_ERR_INVALID, "gnn backward: no forward was run");
  KP_TRY(kp_tensor_fill(&m->dlogits, 0.0));
  KP_TRY(kp_cross_entropy_bwd(&m->dlogits, &m->probs, targets, class_weights, 0.0f, KP_GNN_IGNORE, 1.0f));
  return kp_gnn_backward_from(m, &m->dlogits, dx);
}

kp_status kp_gnn_backward_from(kp_gnn *m, const kp_tensor *dlogits, kp_tensor *dx) {
  const kp_gnn_graph *g = m->fwd_graph;
  if (!g) return kp_fail(KP_ERR_INVALID, "gnn backward: no forward was run");
  int L = m->num_convs;
  const kp_tensor *gz = dlogits; /* gradient of z[l] */
  if (!node_task(m)) {
    KP_TRY(kp_tensor_fill(&m->dact[L - 1], 0.0));
    KP_TRY(kp_head_bwd(&m->head, &m->params, g, &m->act[L - 1], dlogits, &m->dact[L - 1]));
    KP_TRY(kp_tensor_fill(&m->dz[L - 1], 0.0));
    KP_TRY(kp_act_bwd(&m->dz[L - 1], &m->dact[L - 1], &m->z[L - 1], m->cfg.act, m->cfg.act_alpha));
    gz = &m->dz[L - 1];
  }
  for (int l = L - 1; l >= 0; l--) {
    /* where the gradient of this conv's input goes before (undoing) its dropout */
    kp_tensor *before = l == 0 ? dx : &m->dact[l - 1];
    if (before && l > 0) KP_TRY(kp_tensor_fill(before, 0.0));
    kp_tensor *gin = before;
    if (m->dropped[l] && before) {
      gin = &m->dxin[l];
      KP_TRY(kp_tensor_fill(gin, 0.0));
    }
    KP_TRY(kp_conv_bwd(&m->convs[l], &m->params, g, conv_input(m, l), gz, gin));
    if (m->dropped[l] && before)
      KP_TRY(kp_dropout_bwd(before, gin, in_dropout(m, l), m->fwd_seed, m->drop_at[l]));
    if (l > 0) {
      KP_TRY(kp_tensor_fill(&m->dz[l - 1], 0.0));
      KP_TRY(kp_act_bwd(&m->dz[l - 1], &m->dact[l - 1], &m->z[l - 1], m->cfg.act, m->cfg.act_alpha));
      gz = &m->dz[l - 1];
    }
  }
  return KP_OK;
}
