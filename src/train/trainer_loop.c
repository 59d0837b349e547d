/* The training loop: epochs of optimizer steps (one full-batch step for a node task, shuffled
 * mini-batches of graphs for a graph task), evaluation on val every train.eval_every epochs,
 * early stopping on train.monitor with patience, restore of the best weights, metrics.jsonl,
 * progress display and checkpoints. Nothing is allocated per step once warmed up: the model's
 * arenas, the batch buffers and the device pool are reused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kprca/elementwise.h"
#include "kprca/progress.h"
#include "kprca/split.h"
#include "kprca/epoch_log.h"
#include "kprca/train_report.h"
#include "train/trainer_internal.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One optimizer step on graph g with features x and targets y; the loss times items is summed on the device. */
static kp_status train_step(kp_trainer *t, const kp_gnn_graph *g, const kp_tensor *x, const kp_tensor *y, int64_t items,
                            float *lr) {
  const kp_tensor *cw = t->use_cw ? &t->class_w : NULL;
  KP_TRY(kp_params_zero_grad(&t->model.params));
  KP_TRY(kp_gnn_forward(&t->model, g, x, true));
  KP_TRY(kp_gnn_loss(&t->model, y, cw, NULL));
  KP_TRY(kp_axpy(&t->loss_sum, (float)items, &t->model.loss));
  KP_TRY(kp_gnn_backward(&t->model, y, cw, NULL));
  *lr = kp_lr_at(&t->sched, t->step);
  KP_TRY(kp_optimizer_step(&t->opt, &t->model.params, *lr, NULL));
  t->step++;
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
  KP_TRY(kp_sampler_sample(&t->sampler, targets, n, t->sample_seed, (uint64_t)t->step, sg));
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
  KP_TRY(kp_gnn_graph_init(&g, t->dev, N, sg->indptr, sg->indices, d->edge_weight ? t->sub_w : NULL, 0, NULL,
                           t->graph_flags));
  int64_t sx[2] = {N, F}, sy[1] = {N};
  kp_tensor hx = kp_tensor_wrap(t->sub_x, KP_F32, kp_cpu(), 2, sx),
            hy = kp_tensor_wrap(t->sub_y, KP_I32, kp_cpu(), 1, sy);
  kp_tensor x = hx, y = hy;
  kp_status s = KP_OK;
  if (t->dev.type != KP_DEV_CPU) {
    memset(&x, 0, sizeof x), memset(&y, 0, sizeof y);
    s = kp_tensor_alloc(&x, KP_F32, t->dev, 2, sx);
    if (s == KP_OK) s = kp_tensor_copy(&x, &hx);
    if (s == KP_OK) s = kp_tensor_alloc(&y, KP_I32, t->dev, 1, sy);
    if (s == KP_OK) s = kp_tensor_copy(&y, &hy);
  }
  if (s == KP_OK) s = train_step(t, &g, &x, &y, n, lr);
  kp_gnn_graph_free(&g);
  if (t->dev.type != KP_DEV_CPU) kp_tensor_free(&x), kp_tensor_free(&y);
  return s;
}

/* One epoch of training; *loss gets the mean training loss, *items the items trained on. */
static kp_status train_epoch(kp_trainer *t, double *loss, int64_t *items, float *lr) {
  KP_TRY(kp_tensor_fill(&t->loss_sum, 0.0));
  int64_t ntr = t->nids[KP_SPLIT_TRAIN];
  if (t->sampling) {
    memcpy(t->order, t->ids[KP_SPLIT_TRAIN], sizeof(int32_t) * (size_t)ntr);
    if (t->shuffle) kp_rng_shuffle_i32(&t->data_rng, t->order, ntr);
    for (int64_t k0 = 0; k0 < ntr; k0 += t->batch_size)
      KP_TRY(sampled_step(t, t->order + k0, ntr - k0 < t->batch_size ? ntr - k0 : t->batch_size, lr));
  } else if (t->task == KP_GNN_NODE) {
    KP_TRY(train_step(t, &t->graph, &t->x, &t->targets[KP_SPLIT_TRAIN], ntr, lr));
  } else {
    /* the order restarts from the sorted ids each epoch, so the data RNG offset alone fixes it */
    memcpy(t->order, t->ids[KP_SPLIT_TRAIN], sizeof(int32_t) * (size_t)ntr);
    if (t->shuffle) kp_rng_shuffle_i32(&t->data_rng, t->order, ntr);
    for (int64_t k0 = 0; k0 < ntr; k0 += t->batch_size) {
      int64_t nb = ntr - k0 < t->batch_size ? ntr - k0 : t->batch_size;
      KP_TRY(kp_graph_batch_gather(&t->batch, &t->data, t->order + k0, nb));
      kp_gnn_graph g;
      kp_tensor x, y;
      KP_TRY(kp_graph_batch_upload(&t->batch, t->dev, t->graph_flags, &g, &x, &y));
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

static double monitor_value(const kp_trainer *t, const kp_split_eval *v) {
  return t->monitor == MON_VAL_LOSS ? v->loss : t->monitor == MON_VAL_ACC ? v->metrics.accuracy : v->metrics.macro_f1;
}

/* Evaluates val, updates the early-stopping state; *stop when patience ran out. */
static kp_status evaluate_epoch(kp_trainer *t, kp_split_eval *v, kp_epoch_log *log, bool *stop) {
  KP_TRY(kp_trainer_evaluate(t, KP_SPLIT_VAL, v));
  double m = monitor_value(t, v);
  bool better = t->monitor == MON_VAL_LOSS ? m < t->best_metric : m > t->best_metric;
  if (better) {
    t->best_metric = m;
    t->best_epoch = t->epoch;
    t->bad_evals = 0;
    t->have_best = true;
    if (t->restore_best) KP_TRY(kp_tensor_copy(&t->best, &t->model.params.data));
  } else {
    t->bad_evals++;
  }
  log->evaluated = true;
  log->val_loss = v->loss;
  log->val_accuracy = v->metrics.accuracy;
  log->val_macro_f1 = v->metrics.macro_f1;
  log->val = &v->metrics;
  log->improved = better;
  *stop = t->patience > 0 && t->bad_evals >= t->patience;
  return KP_OK;
}

/* Checkpoints at the end of fit: the state (or the final weights) and best.h5. */
static kp_status final_files(kp_trainer *t, const kp_fit_opts *o, bool final, kp_fit_result *r) {
  if (!o->run_dir) return KP_OK;
  KP_TRY(kp_trainer_checkpoint_run(t, o->run_dir, final, r->last_checkpoint, sizeof r->last_checkpoint));
  return t->have_best && t->restore_best ? kp_trainer_write_best(t, o->run_dir) : KP_OK;
}

kp_status kp_trainer_fit(kp_trainer *t, const kp_fit_opts *opts, kp_fit_result *r) {
  kp_fit_opts none = {0};
  const kp_fit_opts *o = opts ? opts : &none;
  memset(r, 0, sizeof *r);
  kp_epoch_sink sink;
  KP_TRY(kp_epoch_sink_open(&sink, o->run_dir));
  if (o->progress) o->progress->first_epoch = t->epoch + 1;
  double t0 = now_s();
  kp_status s = KP_OK;
  kp_split_eval val = {0};
  bool was_finished = t->finished, stop_early = t->finished, interrupted = false;
  while (s == KP_OK && !stop_early && t->epoch < t->epochs) {
    double e0 = now_s();
    t->epoch++;
    kp_epoch_log log = {.epoch = t->epoch, .epochs = t->epochs};
    int64_t items = 0;
    float lr = 0.0f;
    s = train_epoch(t, &log.train_loss, &items, &lr);
    double train_s = now_s() - e0;
    if (s != KP_OK) break;
    log.step = t->step;
    char lr_text[32]; /* the float rate as it reads (0.01, not 0.009999999776) */
    snprintf(lr_text, sizeof lr_text, "%.7g", (double)lr);
    log.lr = strtod(lr_text, NULL);
    bool eval_now = t->nids[KP_SPLIT_VAL] > 0 && (t->epoch % t->eval_every == 0 || t->epoch == t->epochs);
    kp_split_eval_free(&val);
    if (eval_now && (s = evaluate_epoch(t, &val, &log, &stop_early)) != KP_OK) break;
    log.best_epoch = t->best_epoch;
    log.time_s = now_s() - e0;
    log.items_per_s = train_s > 0 ? (double)items / train_s : 0.0;
    if ((s = kp_epoch_sink_write(&sink, &log, t->cfg)) != KP_OK) break;
    if (o->progress) kp_progress_epoch(o->progress, &log);
    int every = o->run_dir ? (int)kp_config_int(t->cfg, "output.checkpoint_every") : 0;
    if (every > 0 && t->epoch % every == 0 && t->epoch < t->epochs && !stop_early)
      if ((s = kp_trainer_checkpoint_run(t, o->run_dir, false, r->last_checkpoint, sizeof r->last_checkpoint)) != KP_OK)
        break;
    if ((o->stop && *o->stop) || (o->stop_after_epoch > 0 && t->epoch >= o->stop_after_epoch)) {
      interrupted = t->epoch < t->epochs && !stop_early;
      break;
    }
  }
  kp_split_eval_free(&val);
  if (o->progress) kp_progress_end(o->progress);
  kp_status sc = kp_epoch_sink_close(&sink);
  if (s == KP_OK) s = sc;
  r->train_time_s = now_s() - t0;
  if (s != KP_OK) return s;
  if (was_finished) { /* a finished run was loaded: nothing to train, nothing to write */
    r->epochs_run = t->epoch;
    r->best_epoch = t->best_epoch;
    r->best_metric = t->best_metric;
    r->early_stopped = t->early_stopped;
    return KP_OK;
  }
  if (!interrupted) {
    if (stop_early && !t->finished) t->early_stopped = true;
    t->finished = true;
    if (t->restore_best && t->have_best) KP_TRY(kp_tensor_copy(&t->model.params.data, &t->best));
  }
  r->epochs_run = t->epoch;
  r->best_epoch = t->best_epoch;
  r->best_metric = t->best_metric;
  r->early_stopped = t->early_stopped;
  r->interrupted = interrupted;
  return final_files(t, o, !interrupted, r);
}
