/* Scoring a split with the GNN's current weights: forward in evaluation mode (no dropout), mean
 * cross-entropy without class weights and softmax probabilities, the whole graph at once (node task)
 * or in batches of graphs; predictions and metrics as split_eval.c makes them. */
#include <stdlib.h>
#include <string.h>

#include "kprca/split.h"
#include "train/trainer_internal.h"

/* Copies rows of the model's probabilities (on the device) into host memory dst [rows * C]. */
static kp_status fetch_probs(kp_trainer *t, float *dst, int64_t rows) {
  int64_t s[2] = {rows, t->num_classes};
  kp_tensor h = kp_tensor_wrap(dst, KP_F32, kp_cpu(), 2, s);
  return kp_tensor_copy(&h, &t->model.probs);
}

static kp_status eval_node(kp_trainer *t, int split, kp_split_eval *e) {
  int64_t N = t->data.num_nodes, C = t->num_classes;
  size_t cells = (size_t)(N * C) + 1;
  float *all = malloc(sizeof(float) * cells);
  if (!all) return kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory");
  float loss = 0.0f;
  kp_status s = kp_gnn_forward(&t->model, &t->graph, &t->x, false);
  if (s == KP_OK) s = kp_gnn_loss(&t->model, &t->targets[split], NULL, e->n ? &loss : NULL);
  if (s == KP_OK) s = fetch_probs(t, all, N);
  if (s == KP_OK) {
    e->loss = loss;
    for (int64_t k = 0; k < e->n; k++) {
      int32_t i = e->ids[k];
      memcpy(e->probs + k * C, all + (int64_t)i * C, sizeof(float) * (size_t)C);
      e->y_true[k] = t->data.y[i];
    }
  }
  free(all);
  return s;
}

static kp_status eval_graph(kp_trainer *t, int split, kp_split_eval *e) {
  int64_t C = t->num_classes;
  double total = 0.0;
  for (int64_t k0 = 0; k0 < e->n; k0 += t->eval_batch) {
    int64_t nb = e->n - k0 < t->eval_batch ? e->n - k0 : t->eval_batch;
    KP_TRY(kp_graph_batch_gather(&t->batch, &t->data, e->ids + k0, nb));
    kp_gnn_graph g;
    kp_tensor x, y;
    KP_TRY(kp_graph_batch_upload(&t->batch, t->st.dev, t->graph_flags, &g, &x, &y));
    float loss = 0.0f;
    kp_status s = kp_gnn_forward(&t->model, &g, &x, false);
    if (s == KP_OK) s = kp_gnn_loss(&t->model, &y, NULL, &loss);
    if (s == KP_OK) s = fetch_probs(t, e->probs + k0 * C, nb);
    kp_gnn_graph_free(&g);
    kp_tensor_free(&x);
    kp_tensor_free(&y);
    KP_TRY(s);
    total += (double)loss * (double)nb;
    memcpy(e->y_true + k0, t->batch.y, sizeof(int32_t) * (size_t)nb);
  }
  e->loss = e->n ? total / (double)e->n : 0.0;
  return KP_OK;
}

kp_status kp_trainer_evaluate(kp_trainer *t, int split, kp_split_eval *e) {
  KP_TRY(kp_split_eval_begin(e, &t->st, split, t->num_classes, "items"));
  kp_status s = t->task == KP_GNN_NODE ? eval_node(t, split, e) : eval_graph(t, split, e);
  return kp_split_eval_finish(e, s);
}
