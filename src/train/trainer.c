/* The trainer: from a resolved config to data, model, optimizer and schedule (kp_trainer_create),
 * plus what --dry-run prints (kp_trainer_describe). Training is in trainer_loop.c, scoring in
 * trainer_eval.c; the state, checkpoints and epoch loop it shares with the line trainer in train_*.c. */
#include <stdlib.h>
#include <string.h>

#include "kprca/split.h"
#include "train/trainer_internal.h"

const char *kp_split_name(int split) {
  return split == KP_SPLIT_TRAIN ? "train" : split == KP_SPLIT_VAL ? "val" : split == KP_SPLIT_TEST ? "test" : "none";
}

static kp_status parse_act(const char *s, kp_act *a, float *alpha) {
  *alpha = 1.0f;
  if (!strcmp(s, "relu"))
    *a = KP_ACT_RELU;
  else if (!strcmp(s, "elu"))
    *a = KP_ACT_ELU;
  else if (!strcmp(s, "gelu"))
    *a = KP_ACT_GELU;
  else if (!strcmp(s, "tanh"))
    *a = KP_ACT_TANH;
  else if (!strcmp(s, "leaky_relu"))
    *a = KP_ACT_LEAKY_RELU, *alpha = 0.01f; /* torch's default slope */
  else
    return kp_fail(KP_ERR_INVALID, "model.activation = '%s' is not known", s);
  return KP_OK;
}

static kp_reduce parse_reduce(const char *s) {
  return !strcmp(s, "sum") ? KP_REDUCE_SUM : !strcmp(s, "max") ? KP_REDUCE_MAX : KP_REDUCE_MEAN;
}

/* model.* -> the model library's config; what the library cannot build yet is a clear error. */
static kp_status model_config(kp_trainer *t, kp_gnn_config *mc) {
  const kp_config *c = t->st.cfg;
  const char *name = kp_config_string(c, "model.name");
  kp_conv_type conv;
  if (!strcmp(name, "gcn"))
    conv = KP_CONV_GCN;
  else if (!strcmp(name, "sage"))
    conv = KP_CONV_SAGE;
  else if (!strcmp(name, "gat"))
    conv = KP_CONV_GAT;
  else
    return kp_fail(KP_ERR_UNSUPPORTED, "model.name = %s is not supported yet by kprca-train (use gcn, sage or gat)",
                   name);
  *mc = kp_gnn_config_default(t->task, conv, t->data.num_features, t->num_classes);
  mc->hidden = kp_config_int(c, "model.hidden");
  int64_t layers = kp_config_int(c, "model.layers"), heads = kp_config_int(c, "model.heads"),
          out_heads = kp_config_int(c, "model.out_heads"), head_layers = kp_config_int(c, "model.head_layers");
  if (layers > KP_GNN_MAX_LAYERS)
    return kp_fail(KP_ERR_INVALID, "model.layers = %lld: at most %d", (long long)layers, KP_GNN_MAX_LAYERS);
  if (heads > 1024 || out_heads > 1024) return kp_fail(KP_ERR_INVALID, "model.heads / model.out_heads: at most 1024");
  mc->num_layers = (int)layers;
  mc->heads = conv == KP_CONV_GAT ? (int)heads : 1;
  mc->out_heads = conv == KP_CONV_GAT ? (int)out_heads : 1;
  if (conv == KP_CONV_GAT && !kp_config_bool(c, "model.concat"))
    return kp_fail(KP_ERR_UNSUPPORTED, "model.concat = false (averaged hidden GAT heads) is not supported yet");
  if (conv == KP_CONV_SAGE && strcmp(kp_config_string(c, "model.aggr"), "mean"))
    return kp_fail(KP_ERR_UNSUPPORTED, "model.aggr = %s is not supported yet (SAGE aggregates by mean)",
                   kp_config_string(c, "model.aggr"));
  mc->input_dropout = mc->dropout = (float)kp_config_float(c, "model.dropout");
  mc->attn_dropout = conv == KP_CONV_GAT ? (float)kp_config_float(c, "model.attn_dropout") : 0.0f;
  mc->negative_slope = (float)kp_config_float(c, "model.negative_slope");
  KP_TRY(parse_act(kp_config_string(c, "model.activation"), &mc->act, &mc->act_alpha));
  mc->bias = kp_config_bool(c, "model.bias");
  mc->add_self_loops = kp_config_bool(c, "model.self_loops");
  mc->normalize = kp_config_bool(c, "model.normalize");
  mc->root_weight = kp_config_bool(c, "model.root_weight");
  mc->readout = parse_reduce(kp_config_string(c, "model.readout"));
  if (t->task == KP_GNN_NODE) {
    if (head_layers > 0)
      return kp_fail(KP_ERR_UNSUPPORTED, "model.head_layers = %lld with model.task node is not supported yet (use 0)",
                     (long long)head_layers);
  } else {
    if (head_layers > KP_HEAD_MAX_LAYERS)
      return kp_fail(KP_ERR_INVALID, "model.head_layers = %lld: at most %d", (long long)head_layers,
                     KP_HEAD_MAX_LAYERS);
    mc->head_layers = head_layers < 1 ? 1 : (int)head_layers; /* graph task: readout, then at least one Linear */
    mc->head_hidden = mc->hidden * mc->heads;
  }
  return kp_gnn_config_check(mc);
}

static kp_status create(kp_trainer *t, const kp_config *c) {
  kp_train_state_config(&t->st, c);
  t->st.eval_last = true;
  t->task = !strcmp(kp_config_string(c, "model.task"), "graph") ? KP_GNN_GRAPH : KP_GNN_NODE;
  t->data_path = kp_config_string(c, "data.path");
  t->shuffle = kp_config_bool(c, "data.shuffle");
  size_t nf;
  const int64_t *fanouts = kp_config_ints(c, "data.fanouts", &nf);
  t->sampling = nf > 0 && t->task == KP_GNN_NODE;
  KP_TRY(kp_device_parse(kp_config_string(c, "device"), &t->st.dev));
  KP_TRY(kp_trainer_load_data(t));
  if (t->st.patience > 0 && t->st.nids[KP_SPLIT_VAL] == 0)
    return kp_fail(KP_ERR_INVALID, "train.patience = %d needs a validation split, and %s has none", t->st.patience,
                   t->data_path);
  if (t->task == KP_GNN_GRAPH) {
    int64_t bs = kp_config_int(c, "data.batch_size"), ntr = t->st.nids[KP_SPLIT_TRAIN];
    t->batch_size = bs == 0 || bs > ntr ? ntr : bs;
    t->eval_batch = bs == 0 ? t->num_items : bs;
    t->st.steps_per_epoch = (ntr + t->batch_size - 1) / t->batch_size;
  } else if (t->sampling) { /* mini-batches of target nodes, each with its sampled neighbourhood */
    int64_t bs = kp_config_int(c, "data.batch_size"), ntr = t->st.nids[KP_SPLIT_TRAIN];
    t->batch_size = bs == 0 || bs > ntr ? ntr : bs;
    t->st.steps_per_epoch = (ntr + t->batch_size - 1) / t->batch_size;
    t->sample_seed = kp_train_stream_seed(t->st.seed, 4);
    KP_TRY(kp_sampler_init(&t->sampler, t->data.num_nodes, t->data.indptr, t->data.indices, fanouts, (int)nf));
  } else {
    t->st.steps_per_epoch = 1;
  }
  kp_gnn_config mc;
  KP_TRY(model_config(t, &mc));
  t->graph_flags = kp_gnn_graph_flags(&mc);
  KP_TRY(kp_trainer_prepare_device_data(t));
  KP_TRY(kp_gnn_init(&t->model, &mc, t->st.dev));
  t->model_ready = true;
  /* a bag-of-words x on the CPU: layer 0 works on its non-zeros (same masks, sums in another order) */
  if (t->task == KP_GNN_NODE) KP_TRY(kp_gnn_attach_sparse_input(&t->model, &t->x, KP_GNN_SPARSE_INPUT_DENSITY, NULL));
  kp_rng init = kp_rng_make(kp_train_stream_seed(t->st.seed, 1));
  KP_TRY(kp_gnn_reset_parameters(&t->model, &init));
  t->st.params = &t->model.params;
  t->st.drop_seed = &t->model.drop_seed;
  t->st.drop_offset = &t->model.drop_offset;
  t->st.model_name = kp_conv_type_name(t->model.cfg.conv);
  t->st.labels = &t->data.label_names;
  bool first_layer = !strcmp(kp_config_string(c, "optim.weight_decay_scope"), "first_layer");
  return kp_train_state_start(&t->st, first_layer ? "convs.0." : NULL);
}

kp_status kp_trainer_create(const kp_config *cfg, kp_trainer **out) {
  *out = NULL;
  kp_trainer *t = calloc(1, sizeof *t);
  if (!t) return kp_fail(KP_ERR_NOMEM, "trainer: out of memory");
  kp_status s = create(t, cfg);
  if (s != KP_OK) {
    kp_trainer_free(t);
    return s;
  }
  *out = t;
  return KP_OK;
}

void kp_trainer_free(kp_trainer *t) {
  if (!t) return;
  if (t->model_ready) kp_gnn_free(&t->model);
  kp_train_state_free(&t->st);
  kp_tensor_free(&t->class_w);
  kp_tensor_free(&t->loss_sum);
  for (int s = 0; s < 3; s++) kp_tensor_free(&t->targets[s]);
  if (t->graph_ready) kp_gnn_graph_free(&t->graph);
  kp_tensor_free(&t->x);
  kp_graph_batch_free(&t->batch);
  kp_sampler_free(&t->sampler);
  kp_subgraph_free(&t->sub);
  free(t->sub_x), free(t->sub_w), free(t->sub_y);
  free(t->order);
  free(t->split);
  kp_graph_data_free(&t->data);
  free(t);
}

void kp_trainer_describe(const kp_trainer *t, kp_trainer_info *info) {
  memset(info, 0, sizeof *info);
  const kp_graph_data *d = &t->data;
  const kp_gnn_config *mc = &t->model.cfg;
  info->task = t->task == KP_GNN_GRAPH ? "graph" : "node";
  info->model = kp_conv_type_name(mc->conv);
  kp_device_str(t->st.dev, info->device, sizeof info->device);
  info->num_nodes = d->num_nodes;
  info->num_edges = d->num_edges;
  info->num_graphs = d->num_graphs;
  info->num_features = d->num_features;
  info->num_classes = t->num_classes;
  for (int s = 0; s < 3; s++) info->split_counts[s] = t->st.nids[s];
  info->batches_per_epoch = t->st.steps_per_epoch;
  info->num_params = kp_params_numel(&t->model.params);
  info->param_bytes = kp_train_state_param_bytes(&t->st);
  /* rows and edges of one step: the whole graph, or an average batch of graphs */
  double rows = (double)d->num_nodes, edges = (double)d->num_edges;
  if (t->task == KP_GNN_GRAPH && d->num_graphs > 0) {
    double share = (double)t->batch_size / (double)d->num_graphs;
    rows *= share;
    edges *= share;
  }
  if (t->sampling) { /* an upper bound: every target reaches its full fan-out at each hop */
    size_t nf;
    const int64_t *fo = kp_config_ints(t->st.cfg, "data.fanouts", &nf);
    double frontier = (double)t->batch_size, total = frontier, e = 0.0;
    for (size_t h = 0; h < nf; h++) {
      double deg = d->num_nodes ? (double)d->num_edges / (double)d->num_nodes : 0.0;
      double k = fo[h] < 0 ? deg * 4 : (double)fo[h];
      e += frontier * k;
      frontier *= k;
      total += frontier;
    }
    rows = total < (double)d->num_nodes ? total : (double)d->num_nodes;
    edges = e < (double)d->num_edges ? e : (double)d->num_edges;
  }
  edges += rows; /* self loops */
  info->data_bytes = (int64_t)(rows * (double)d->num_features * 4 + edges * 4 * 5 + rows * 4 * 3);
  double act = 0.0;
  int64_t in = d->num_features;
  for (int l = 0; l < t->model.num_convs; l++) {
    const kp_conv *cv = &t->model.convs[l];
    act += rows * (double)(2 * in + 6 * cv->out_cols) * 4; /* dropped input, z, act and their gradients, h, dh */
    if (mc->conv == KP_CONV_GAT) act += edges * (double)cv->o.heads * 5 * 4;
    in = cv->out_cols;
  }
  info->activation_bytes = (int64_t)act;
}

const kp_params *kp_trainer_params(const kp_trainer *t) { return &t->model.params; }
const kp_gnn *kp_trainer_model(const kp_trainer *t) { return &t->model; }
const kp_graph_data *kp_trainer_data(const kp_trainer *t) { return &t->data; }
const int8_t *kp_trainer_split(const kp_trainer *t, int64_t *n) {
  if (n) *n = t->num_items;
  return t->split;
}
int kp_trainer_epoch(const kp_trainer *t) { return t->st.epoch; }
kp_device kp_trainer_device(const kp_trainer *t) { return t->st.dev; }
const kp_config *kp_trainer_config(const kp_trainer *t) { return t->st.cfg; }

kp_status kp_trainer_save_checkpoint(kp_trainer *t, const char *path, bool final) {
  return kp_train_save_checkpoint(&t->st, path, final);
}
kp_status kp_trainer_load_checkpoint(kp_trainer *t, const char *path, bool *finished) {
  return kp_train_load_checkpoint(&t->st, path, finished);
}
kp_status kp_trainer_load_weights(kp_trainer *t, const char *path) { return kp_train_load_weights(&t->st, path); }
