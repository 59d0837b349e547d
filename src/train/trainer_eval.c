/* Scoring a split with the current weights: forward in evaluation mode (no dropout), mean
 * cross-entropy without class weights, softmax probabilities, predictions (highest probability,
 * lower class on ties) and scikit-learn's metrics. */
#include <stdlib.h>
#include <string.h>

#include "kprca/split.h"
#include "train/trainer_internal.h"

void kp_split_eval_free(kp_split_eval *e) {
  if (!e) return;
  free(e->ids), free(e->y_true), free(e->y_pred), free(e->probs);
  kp_metrics_free(&e->metrics);
  memset(e, 0, sizeof *e);
}

static int32_t argmax(const float *p, int64_t c) {
  int32_t best = 0;
  for (int64_t k = 1; k < c; k++)
    if (p[k] > p[best]) best = (int32_t)k;
  return best;
}

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
    KP_TRY(kp_graph_batch_upload(&t->batch, t->dev, t->graph_flags, &g, &x, &y));
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
  memset(e, 0, sizeof *e);
  if (split < 0 || split > 2) return kp_fail(KP_ERR_INVALID, "evaluate: split %d is not train, val or test", split);
  int64_t n = t->nids[split], C = t->num_classes;
  e->split = split;
  e->n = n;
  e->num_classes = C;
  size_t m = (size_t)(n ? n : 1);
  e->ids = malloc(sizeof(int32_t) * m);
  e->y_true = malloc(sizeof(int32_t) * m);
  e->y_pred = malloc(sizeof(int32_t) * m);
  e->probs = malloc(sizeof(float) * m * (size_t)C);
  if (!e->ids || !e->y_true || !e->y_pred || !e->probs) {
    kp_split_eval_free(e);
    return kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory for %lld items", (long long)n);
  }
  memcpy(e->ids, t->ids[split], sizeof(int32_t) * (size_t)n);
  kp_status s = t->task == KP_GNN_NODE ? eval_node(t, split, e) : eval_graph(t, split, e);
  if (s == KP_OK) {
    for (int64_t k = 0; k < n; k++) e->y_pred[k] = argmax(e->probs + k * C, C);
    s = kp_metrics_compute(e->y_true, e->y_pred, n, C, &e->metrics);
  }
  if (s != KP_OK) kp_split_eval_free(e);
  return s;
}
