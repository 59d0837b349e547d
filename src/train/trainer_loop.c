/* The GNN trainer's epochs: optimizer steps (one full-batch step for a node task, shuffled
 * mini-batches of graphs for a graph task, or neighbour-sampled mini-batches of target nodes), run
 * by the shared epoch loop (train_fit.c: evaluation, early stopping, logs, checkpoints). Nothing is
 * allocated per step once warmed up: the model's arenas, the batch buffers and the device pool are
 * reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/elementwise.h"
#include "kprca/split.h"
#include "train/trainer_internal.h"

/* One optimizer step on graph g with features x and targets y; the loss times items is summed on the device. */
static kp_status train_step(kp_trainer *t, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *y, int64_t items,
                            float *lr) {
  const kp_tensor *cw = t->use_cw ? &t->class_w : NULL;
  KP_TRY(kp_params_zero_grad(&t->model.params));
  KP_TRY(kp_gnn_forward(&t->model, g, x, true));
  KP_TRY(kp_gnn_loss(&t->model, y, cw, NULL));
  KP_TRY(kp_axpy(&t->loss_sum, (float)items, &t->model.loss));
  KP_TRY(kp_gnn_backward(&t->model, y, cw, NULL));
  *lr = kp_lr_at(&t->st.sched, t->st.step);
  KP_TRY(kp_optimizer_step(&t->st.opt, &t->model.params, *lr, NULL));
  t->st.step++;
  return KP_OK;
}

static kp_status grow_buf(void **p, int64_t *cap, int64_t need, size_t elem) {
  if (need <= *cap && *p) return KP_OK;
  int64_t n = need > 2 * *cap ? need : 2 * *cap;
  void *q = realloc(*p, (size_t)(n > 0 ? n : 1) * elem);
  if (!q) return kp_fail(KP_ERR_NOMEM, "trainer: out of host memory for a sampled subgraph of %lld", (long long)n);
  *p = q;
  *cap = n;
  return KP_OK;
}

/* One step on the neighbourhood of targets[0..n) sampled from (sample_seed, step): features, edge weights and
 * labels gathered for the subgraph's nodes; the loss covers the targets only. */
static kp_status sampled_step(kp_trainer *t, const int32_t *targets, int64_t n, float *lr) {
  const kp_graph_data *d = &t->data;
  kp_subgraph *sg = &t->sub;
  KP_TRY(kp_sampler_sample(&t->sampler, targets, n, t->sample_seed, (uint64_t)t->st.step, sg));
  int64_t N = sg->num_nodes, E = sg->num_edges, F = d->num_features;
  KP_TRY(grow_buf((void **)&t->sub_x, &t->sub_cap_x, N * F, sizeof(float)));
  KP_TRY(grow_buf((void **)&t->sub_y, &t->sub_cap_nodes, N, sizeof(int32_t)));
  if (d->edge_weight) {
    KP_TRY(grow_buf((void **)&t->sub_w, &t->sub_cap_edges, E, sizeof(float)));
    for (int64_t e = 0; e < E; e++) t->sub_w[e] = d->edge_weight[sg->e_id[e]];
  }
  for (int64_t i = 0; i < N; i++) {
    memcpy(t->sub_x + i * F, d->x + (int64_t)sg->n_id[i] * F, sizeof(float) * (size_t)F);
    t->sub_y[i] = i < sg->num_seeds ? d->y[sg->n_id[i]] : KP_GNN_IGNORE;
  }
  kp_gnn_graph g;
  KP_TRY(kp_gnn_graph_init(&g, t->st.dev, N, sg->indptr, sg->indices, d->edge_weight ? t->sub_w : NULL, 0, NULL,
                           t->graph_flags));
  int64_t sx[2] = {N, F}, sy[1] = {N};
  kp_tensor hx = kp_tensor_wrap(t->sub_x, KP_F32, kp_cpu(), 2, sx),
            hy = kp_tensor_wrap(t->sub_y, KP_I32, kp_cpu(), 1, sy);
  kp_tensor x = hx, y = hy;
  kp_status s = KP_OK;
  if (t->st.dev.type != KP_DEV_CPU) {
    memset(&x, 0, sizeof x), memset(&y, 0, sizeof y);
    s = kp_tensor_alloc(&x, KP_F32, t->st.dev, 2, sx);
    if (s == KP_OK) s = kp_tensor_copy(&x, &hx);
    if (s == KP_OK) s = kp_tensor_alloc(&y, KP_I32, t->st.dev, 1, sy);
    if (s == KP_OK) s = kp_tensor_copy(&y, &hy);
  }
  if (s == KP_OK) s = train_step(t, &g, &x, &y, n, lr);
  kp_gnn_graph_free(&g);
  if (t->st.dev.type != KP_DEV_CPU) kp_tensor_free(&x), kp_tensor_free(&y);
  return s;
}

/* One epoch of training; *loss gets the mean training loss, *items the items trained on. */
static kp_status train_epoch(kp_trainer *t, double *loss, int64_t *items, float *lr) {
  KP_TRY(kp_tensor_fill(&t->loss_sum, 0.0));
  int64_t ntr = t->st.nids[KP_SPLIT_TRAIN];
  if (t->sampling) {
    memcpy(t->order, t->st.ids[KP_SPLIT_TRAIN], sizeof(int32_t) * (size_t)ntr);
    if (t->shuffle) kp_rng_shuffle_i32(&t->st.data_rng, t->order, ntr);
    for (int64_t k0 = 0; k0 < ntr; k0 += t->batch_size)
      KP_TRY(sampled_step(t, t->order + k0, ntr - k0 < t->batch_size ? ntr - k0 : t->batch_size, lr));
  } else if (t->task == KP_GNN_NODE) {
    KP_TRY(train_step(t, &t->graph, &t->x, &t->targets[KP_SPLIT_TRAIN], ntr, lr));
  } else {
    /* the order restarts from the sorted ids each epoch, so the data RNG offset alone fixes it */
    memcpy(t->order, t->st.ids[KP_SPLIT_TRAIN], sizeof(int32_t) * (size_t)ntr);
    if (t->shuffle) kp_rng_shuffle_i32(&t->st.data_rng, t->order, ntr);
    for (int64_t k0 = 0; k0 < ntr; k0 += t->batch_size) {
      int64_t nb = ntr - k0 < t->batch_size ? ntr - k0 : t->batch_size;
      KP_TRY(kp_graph_batch_gather(&t->batch, &t->data, t->order + k0, nb));
      kp_gnn_graph g;
      kp_tensor x, y;
      KP_TRY(kp_graph_batch_upload(&t->batch, t->st.dev, t->graph_flags, &g, &x, &y));
      kp_status s = train_step(t, &g, &x, &y, nb, lr);
      kp_gnn_graph_free(&g);
      kp_tensor_free(&x);
      kp_tensor_free(&y);
      KP_TRY(s);
    }
  }
  float sum = 0.0f;
  int64_t one = 1;
  kp_tensor h = kp_tensor_wrap(&sum, KP_F32, kp_cpu(), 1, &one);
  KP_TRY(kp_tensor_copy(&h, &t->loss_sum));
  *loss = (double)sum / (double)ntr;
  *items = ntr;
  return KP_OK;
}

/* train_epoch as kp_train_fit's hook: the rate is logged as the float reads (0.01, not 0.009999999776). */
static kp_status epoch_hook(void *trainer, const kp_fit_opts *o, double *loss, int64_t *items, double *lr) {
  float rate = 0.0f;
  KP_TRY(train_epoch(trainer, loss, items, &rate));
  char text[32];
  snprintf(text, sizeof text, "%.7g", (double)rate);
  *lr = strtod(text, NULL);
  return KP_OK;
}

static kp_status evaluate_hook(void *trainer, int split, kp_split_eval *out) {
  return kp_trainer_evaluate(trainer, split, out);
}

kp_status kp_trainer_fit(kp_trainer *t, const kp_fit_opts *opts, kp_fit_result *r) {
  static const kp_train_hooks hooks = {epoch_hook, evaluate_hook};
  return kp_train_fit(&t->st, &hooks, t, opts, r);
}
