/* Graph readout (PyG's global_add/mean/max_pool as a segment reduction over graph_ptr) and
 * the MLP head on the pooled vectors: [dropout, Linear, act] ... [dropout, Linear]. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "models/gnn_internal.h"

kp_status kp_head_init(kp_head *h, kp_params *p, const char *prefix, kp_reduce readout, int layers, int64_t in_dim,
                       int64_t hidden, int64_t classes, kp_act act, float act_alpha, float dropout) {
  memset(h, 0, sizeof *h);
  kp_arena_init(&h->arena);
  if (layers < 1 || layers > KP_HEAD_MAX_LAYERS)
    return kp_fail(KP_ERR_INVALID, "head: %d layers, must be in [1, %d]", layers, KP_HEAD_MAX_LAYERS);
  if (readout != KP_REDUCE_SUM && readout != KP_REDUCE_MEAN && readout != KP_REDUCE_MAX)
    return kp_fail(KP_ERR_INVALID, "head: unknown readout %d", (int)readout);
  if (in_dim < 1 || classes < 1 || (layers > 1 && hidden < 1))
    return kp_fail(KP_ERR_INVALID, "head: dimensions in %lld, hidden %lld, classes %lld must be >= 1",
                   (long long)in_dim, (long long)hidden, (long long)classes);
  if (!(dropout >= 0.0f && dropout < 1.0f))
    return kp_fail(KP_ERR_INVALID, "head: dropout %g must be in [0, 1)", (double)dropout);
  h->readout = readout;
  h->layers = layers;
  h->act = act;
  h->act_alpha = act_alpha;
  h->dropout = dropout;
  h->dims[0] = in_dim;
  for (int l = 1; l < layers; l++) h->dims[l] = hidden;
  h->dims[layers] = classes;
  for (int l = 0; l < layers; l++) {
    char base[KP_PARAM_NAME_MAX], name[KP_PARAM_NAME_MAX + 16];
    snprintf(base, sizeof base, "%d", l);
    kp_param_name(name, sizeof name, prefix, base);
    size_t k = strlen(name);
    int64_t ws[2] = {h->dims[l + 1], h->dims[l]};
    float bound = 1.0f / sqrtf((float)h->dims[l]); /* torch.nn.Linear's default init */
    snprintf(name + k, sizeof name - k, ".weight");
    KP_TRY(kp_params_add(p, name, 2, ws, KP_INIT_UNIFORM, bound, &h->p_w[l]));
    snprintf(name + k, sizeof name - k, ".bias");
    KP_TRY(kp_params_add(p, name, 1, ws, KP_INIT_UNIFORM, bound, &h->p_b[l]));
  }
  return KP_OK;
}

void kp_head_free(kp_head *h) {
  if (h) kp_arena_free(&h->arena);
}

static kp_status plan(kp_head *h, const kp_gnn_graph *g) {
  int64_t G = g->num_graphs;
  if (kp_arena_ready(&h->arena, 0, 0, G)) return KP_OK;
  for (;;) {
    kp_plan pl;
    bool again;
    kp_plan_begin(&pl, &h->arena, g->device);
    kp_plan_take(&pl, &h->pooled, KP_F32, G, h->dims[0]);
    kp_plan_take(&pl, &h->dpooled, KP_F32, G, h->dims[0]);
    kp_plan_take(&pl, &h->arg, KP_I32, G, h->dims[0]);
    for (int l = 0; l < h->layers; l++) {
      kp_plan_take(&pl, &h->in[l], KP_F32, G, h->dims[l]);
      kp_plan_take(&pl, &h->din[l], KP_F32, G, h->dims[l]);
      kp_plan_take(&pl, &h->pre[l], KP_F32, G, h->dims[l + 1]);
      kp_plan_take(&pl, &h->out[l], KP_F32, G, h->dims[l + 1]);
      kp_plan_take(&pl, &h->dout[l], KP_F32, G, h->dims[l + 1]);
    }
    KP_TRY(kp_plan_end(&pl, &again, 0, 0, G));
    if (!again) return KP_OK;
  }
}

/* The input of Linear l as the forward saw it, and the buffer for the gradient before its dropout. */
static kp_tensor *layer_input(kp_head *h, int l) {
  if (h->dropped[l]) return &h->in[l];
  return l == 0 ? &h->pooled : &h->out[l - 1];
}
static kp_tensor *input_grad(kp_head *h, int l) { return l == 0 ? &h->dpooled : &h->dout[l - 1]; }

kp_status kp_head_fwd(kp_head *h, const kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, kp_tensor *y,
                      bool training, uint64_t seed, uint64_t *offset) {
  if (!g || g->graph_ptr.ndim != 1) return kp_fail(KP_ERR_INVALID, "head fwd: the graph has no graph_ptr");
  if (!x || x->ndim != 2 || x->shape[1] != h->dims[0])
    return kp_fail(KP_ERR_INVALID, "head fwd: x must be [N, %lld]", (long long)h->dims[0]);
  KP_TRY(plan(h, g));
  KP_TRY(kp_segment_fwd(&h->pooled, h->readout == KP_REDUCE_MAX ? &h->arg : NULL, x, &g->graph_ptr, h->readout));
  h->drop_seed = seed;
  const kp_tensor *cur = &h->pooled;
  for (int l = 0; l < h->layers; l++) {
    h->dropped[l] = training && h->dropout > 0.0f;
    if (h->dropped[l]) {
      if (!offset) return kp_fail(KP_ERR_INVALID, "head fwd: dropout needs a dropout offset");
      h->drop_offset[l] = *offset;
      KP_TRY(kp_dropout_fwd(&h->in[l], cur, h->dropout, seed, *offset));
      *offset += kp_philox_blocks((uint64_t)kp_tensor_numel(&h->in[l]));
    }
    kp_tensor W = kp_pv(p, h->p_w[l]), b = kp_pv(p, h->p_b[l]);
    bool last = l == h->layers - 1;
    KP_TRY(kp_linear_fwd(last ? y : &h->out[l], last ? NULL : &h->pre[l], layer_input(h, l), &W, &b,
                         last ? KP_ACT_NONE : h->act, h->act_alpha));
    cur = &h->out[l];
  }
  return KP_OK;
}

kp_status kp_head_bwd(kp_head *h, kp_params *p, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *dy,
                      kp_tensor *dx) {
  if (!kp_arena_ready(&h->arena, 0, 0, g->num_graphs))
    return kp_fail(KP_ERR_INVALID, "head bwd: no forward on this batch size was run");
  const kp_tensor *gy = dy;
  for (int l = h->layers - 1; l >= 0; l--) {
    bool last = l == h->layers - 1;
    kp_tensor W = kp_pv(p, h->p_w[l]), dW = kp_pg(p, h->p_w[l]), db = kp_pg(p, h->p_b[l]);
    kp_tensor *gin = h->dropped[l] ? &h->din[l] : input_grad(h, l);
    KP_TRY(kp_tensor_fill(gin, 0.0));
    KP_TRY(kp_linear_bwd(gin, &dW, &db, gy, last ? NULL : &h->pre[l], layer_input(h, l), &W,
                         last ? KP_ACT_NONE : h->act, h->act_alpha));
    if (h->dropped[l]) {
      KP_TRY(kp_tensor_fill(input_grad(h, l), 0.0));
      KP_TRY(kp_dropout_bwd(input_grad(h, l), gin, h->dropout, h->drop_seed, h->drop_offset[l]));
    }
    gy = input_grad(h, l);
  }
  if (!dx) return KP_OK;
  return kp_segment_bwd(dx, &h->dpooled, h->readout == KP_REDUCE_MAX ? &h->arg : NULL, &g->graph_ptr, h->readout);
}
