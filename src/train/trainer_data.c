/* The trainer's data: load the kprca.graph file named by data.path, check it fits the config,
 * apply data.split (the file's split or stratified fractions seeded by train.seed) and
 * data.normalize_features, compute class weights, and put a node task's graph on the device. */
#include <stdlib.h>
#include <string.h>

#include "kprca/class_weights.h"
#include "kprca/split.h"
#include "train/trainer_internal.h"

static kp_status oom(const char *what) { return kp_fail(KP_ERR_NOMEM, "trainer: out of host memory for %s", what); }

/* The label of item i (node or graph). */
static int32_t item_label(const kp_trainer *t, int64_t i) {
  return t->task == KP_GNN_NODE ? t->data.y[i] : t->data.graph_y[i];
}

static kp_status split_from_file(kp_trainer *t) {
  const kp_graph_data *d = &t->data;
  if (t->task == KP_GNN_NODE) {
    if (!d->train_mask)
      return kp_fail(KP_ERR_INVALID, "%s has no train_mask: set data.split to fractions, e.g. data.split=[0.6,0.2,0.2]",
                     t->data_path);
    for (int64_t i = 0; i < t->num_items; i++)
      t->split[i] = d->train_mask[i]                    ? KP_SPLIT_TRAIN
                    : (d->val_mask && d->val_mask[i])   ? KP_SPLIT_VAL
                    : (d->test_mask && d->test_mask[i]) ? KP_SPLIT_TEST
                                                        : KP_SPLIT_NONE;
  } else {
    if (!d->graph_split)
      return kp_fail(KP_ERR_INVALID,
                     "%s has no graph_split: set data.split to fractions, e.g. data.split=[0.8,0.1,0.1]", t->data_path);
    memcpy(t->split, d->graph_split, (size_t)t->num_items);
  }
  return KP_OK;
}

static kp_status split_from_fractions(kp_trainer *t, const double *fr) {
  int64_t n = t->num_items, m = 0;
  int32_t *lab = malloc(sizeof(int32_t) * (size_t)(n ? n : 1)), *where = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  int8_t *sp = malloc((size_t)(n ? n : 1));
  if (!lab || !where || !sp) {
    free(lab), free(where), free(sp);
    return oom("the split");
  }
  for (int64_t i = 0; i < n; i++) {
    t->split[i] = KP_SPLIT_NONE;
    int32_t y = item_label(t, i);
    if (y < 0) continue; /* unlabelled nodes take no part */
    lab[m] = y;
    where[m++] = (int32_t)i;
  }
  kp_status s = kp_split_stratified(lab, m, fr[1], fr[2], t->st.seed, sp);
  if (s == KP_OK)
    for (int64_t k = 0; k < m; k++) t->split[where[k]] = sp[k];
  free(lab), free(where), free(sp);
  return s;
}

static kp_status make_ids(kp_trainer *t) {
  for (int s = 0; s < 3; s++) {
    int64_t c = 0;
    for (int64_t i = 0; i < t->num_items; i++) c += t->split[i] == s;
    t->st.ids[s] = malloc(sizeof(int32_t) * (size_t)(c ? c : 1));
    if (!t->st.ids[s]) return oom("split indices");
    t->st.nids[s] = 0;
    for (int64_t i = 0; i < t->num_items; i++)
      if (t->split[i] == s) t->st.ids[s][t->st.nids[s]++] = (int32_t)i;
  }
  if (t->st.nids[KP_SPLIT_TRAIN] == 0)
    return kp_fail(KP_ERR_INVALID, "%s: the training split is empty (data.split)", t->data_path);
  return KP_OK;
}

/* train.class_weights over the training items (class_weights.h). */
static kp_status class_weights(kp_trainer *t) {
  int64_t n = t->st.nids[KP_SPLIT_TRAIN];
  int32_t *y = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (!y) return oom("class counts");
  for (int64_t k = 0; k < n; k++) y[k] = item_label(t, t->st.ids[KP_SPLIT_TRAIN][k]);
  kp_status s = kp_class_weights_from_config(t->st.cfg, y, n, t->num_classes, t->data_path, t->st.dev, &t->class_w,
                                             &t->use_cw);
  free(y);
  return s;
}

kp_status kp_trainer_load_data(kp_trainer *t) {
  kp_status s = kp_graph_data_load(t->data_path, &t->data);
  if (s != KP_OK) return s;
  const kp_graph_data *d = &t->data;
  kp_gnn_task want = t->task;
  if ((d->task == KP_TASK_GRAPH) != (want == KP_GNN_GRAPH))
    return kp_fail(KP_ERR_INVALID, "%s holds a %s-classification dataset (task %s) but model.task is '%s'",
                   t->data_path, d->task == KP_TASK_GRAPH ? "graph" : "node", kp_graph_task_name(d->task),
                   want == KP_GNN_GRAPH ? "graph" : "node");
  if (d->num_features < 1) return kp_fail(KP_ERR_INVALID, "%s: the nodes have no features (x is empty)", t->data_path);
  if (want == KP_GNN_NODE && !d->y) return kp_fail(KP_ERR_INVALID, "%s: no node labels 'y'", t->data_path);
  t->num_classes = d->label_names.n;
  t->num_items = want == KP_GNN_NODE ? d->num_nodes : d->num_graphs;
  t->split = malloc((size_t)(t->num_items ? t->num_items : 1));
  if (!t->split) return oom("the split");
  if (kp_config_is_list(t->st.cfg, "data.split")) {
    size_t n;
    const double *fr = kp_config_floats(t->st.cfg, "data.split", &n);
    KP_TRY(split_from_fractions(t, fr));
  } else {
    KP_TRY(split_from_file(t));
  }
  KP_TRY(make_ids(t));
  if (kp_config_bool(t->st.cfg, "data.normalize_features"))
    kp_graph_normalize_features(t->data.x, d->num_nodes, d->num_features);
  return class_weights(t);
}

/* Node task: graph, features and per-split targets on the device, once (with sampling the whole graph serves
 * evaluation). Graph task: the batch order buffer. */
kp_status kp_trainer_prepare_device_data(kp_trainer *t) {
  int64_t one = 1;
  KP_TRY(kp_tensor_zeros(&t->loss_sum, KP_F32, t->st.dev, 1, &one));
  if (t->task == KP_GNN_GRAPH || t->sampling) {
    t->order = malloc(sizeof(int32_t) * (size_t)t->st.nids[KP_SPLIT_TRAIN]);
    if (!t->order) return oom("the batch order");
    if (t->task == KP_GNN_GRAPH) return KP_OK;
  }
  const kp_graph_data *d = &t->data;
  int64_t N = d->num_nodes, sx[2] = {N, d->num_features};
  KP_TRY(kp_gnn_graph_init(&t->graph, t->st.dev, N, d->indptr, d->indices, d->edge_weight, 0, NULL, t->graph_flags));
  t->graph_ready = true;
  kp_tensor hx = kp_tensor_wrap(d->x, KP_F32, kp_cpu(), 2, sx);
  if (t->st.dev.type == KP_DEV_CPU) {
    t->x = hx;
  } else {
    KP_TRY(kp_tensor_alloc(&t->x, KP_F32, t->st.dev, 2, sx));
    KP_TRY(kp_tensor_copy(&t->x, &hx));
  }
  int32_t *y = malloc(sizeof(int32_t) * (size_t)(N ? N : 1));
  if (!y) return oom("targets");
  kp_status s = KP_OK;
  for (int sp = 0; sp < 3 && s == KP_OK; sp++) {
    for (int64_t i = 0; i < N; i++) y[i] = t->split[i] == sp ? d->y[i] : KP_GNN_IGNORE;
    kp_tensor h = kp_tensor_wrap(y, KP_I32, kp_cpu(), 1, &N);
    s = kp_tensor_alloc(&t->targets[sp], KP_I32, t->st.dev, 1, &N);
    if (s == KP_OK) s = kp_tensor_copy(&t->targets[sp], &h);
  }
  free(y);
  return s;
}
