/* The line trainer's loop: epochs of length-bucketed mini-batches, gradients of data.grad_accum
 * mini-batches averaged into one optimizer step (AdamW, warm-up and decay per optimizer step),
 * evaluation on val every train.eval_every epochs, early stopping with patience on train.monitor,
 * restore of the best weights, metrics.jsonl, progress (with a line every tenth of an epoch, as an
 * epoch of BERT fine-tuning is long) and checkpoints at epoch ends. */
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
#include "train/lines_internal.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Forward, loss and backward of one mini-batch (gradients accumulate); *loss gets its mean loss. */
static kp_status micro_step(kp_line_trainer *t, const int64_t *rows, int64_t nb, float *loss) {
  const kp_tensor *cw = t->use_cw ? &t->class_w : NULL;
  kp_bert_batch b;
  KP_TRY(kp_lines_fill_batch(t, rows, nb, &b));
  KP_TRY(kp_bert_forward(&t->model, &b, true));
  KP_TRY(kp_bert_loss(&t->model, t->b_labels, cw, loss));
  return kp_bert_backward(&t->model, cw);
}

/* One epoch; *loss gets the mean training loss over lines, *items the lines trained on. */
static kp_status train_epoch(kp_line_trainer *t, const kp_fit_opts *o, double *loss, int64_t *items, float *lr) {
  KP_TRY(kp_lines_plan_epoch(t, &t->data_rng, t->bucket_size, &t->plan));
  const lines_plan *p = &t->plan;
  double sum = 0.0;
  int64_t n = 0, k = 0, every = t->steps_per_epoch >= 20 ? t->steps_per_epoch / 10 : 0, step0 = t->step;
  double s0 = now_s(), epoch0 = s0;
  for (int64_t b = 0; b < p->nb; b++) {
    if (k == 0) KP_TRY(kp_params_zero_grad(&t->model.params));
    int64_t nb = p->start[b + 1] - p->start[b];
    float l = 0.0f;
    KP_TRY(micro_step(t, p->rows + p->start[b], nb, &l));
    sum += (double)l * (double)nb;
    n += nb;
    if (++k < t->grad_accum && b + 1 < p->nb) continue;
    if (k > 1) KP_TRY(kp_scale(&t->model.params.grad, 1.0f / (float)k));
    k = 0;
    *lr = kp_lr_at(&t->sched, t->step);
    KP_TRY(kp_optimizer_step(&t->opt, &t->model.params, *lr, NULL));
    t->step++;
    double s1 = now_s();
    t->step_time_sum += s1 - s0;
    t->step_count++;
    s0 = s1;
    int64_t done = t->step - step0;
    if (o->progress && every > 0 && done % every == 0 && done < t->steps_per_epoch) {
      char msg[256];
      snprintf(msg, sizeof msg, "epoch %d: step %lld/%lld, train loss %.4f, lr %.3g, %.3f s/step", t->epoch,
               (long long)done, (long long)t->steps_per_epoch, n ? sum / (double)n : 0.0, *lr,
               (s1 - epoch0) / (double)done);
      kp_progress_note(o->progress, msg);
    }
  }
  *loss = n ? sum / (double)n : 0.0;
  *items = n;
  return KP_OK;
}

static double monitor_value(const kp_line_trainer *t, const kp_split_eval *v) {
  return t->monitor == LMON_VAL_LOSS  ? v->loss
         : t->monitor == LMON_VAL_ACC ? v->metrics.accuracy
                                      : v->metrics.macro_f1;
}

static kp_status evaluate_epoch(kp_line_trainer *t, kp_split_eval *v, kp_epoch_log *log, bool *stop) {
  KP_TRY(kp_line_trainer_evaluate(t, KP_SPLIT_VAL, v));
  double m = monitor_value(t, v);
  bool better = t->monitor == LMON_VAL_LOSS ? m < t->best_metric : m > t->best_metric;
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

static kp_status final_files(kp_line_trainer *t, const kp_fit_opts *o, bool final, kp_fit_result *r) {
  if (!o->run_dir) return KP_OK;
  KP_TRY(kp_lines_checkpoint_run(t, o->run_dir, final, r->last_checkpoint, sizeof r->last_checkpoint));
  return t->have_best && t->restore_best ? kp_lines_write_best(t, o->run_dir) : KP_OK;
}

kp_status kp_line_trainer_fit(kp_line_trainer *t, const kp_fit_opts *opts, kp_fit_result *r) {
  kp_fit_opts none = {0};
  const kp_fit_opts *o = opts ? opts : &none;
  memset(r, 0, sizeof *r);
  kp_epoch_sink sink;
  KP_TRY(kp_epoch_sink_open(&sink, o->run_dir));
  if (o->progress) o->progress->first_epoch = t->epoch + 1;
  t->step_time_sum = 0.0;
  t->step_count = 0;
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
    s = train_epoch(t, o, &log.train_loss, &items, &lr);
    double train_s = now_s() - e0;
    if (s != KP_OK) break;
    log.step = t->step;
    log.lr = lr;
    /* the last epoch is evaluated even off the eval_every beat when something uses val (early stopping, restoring
     * the best epoch); otherwise the end-of-run report scores val if eval.splits asks, and an eval_every beyond
     * train.epochs spares a long run the val pass */
    bool need_val = t->patience > 0 || t->restore_best;
    bool eval_now = t->nids[KP_SPLIT_VAL] > 0 && (t->epoch % t->eval_every == 0 || (t->epoch == t->epochs && need_val));
    kp_split_eval_free(&val);
    if (eval_now && (s = evaluate_epoch(t, &val, &log, &stop_early)) != KP_OK) break;
    log.best_epoch = t->best_epoch;
    log.time_s = now_s() - e0;
    log.items_per_s = train_s > 0 ? (double)items / train_s : 0.0;
    if ((s = kp_epoch_sink_write(&sink, &log, t->cfg)) != KP_OK) break;
    if (o->progress) kp_progress_epoch(o->progress, &log);
    int every = o->run_dir ? (int)kp_config_int(t->cfg, "output.checkpoint_every") : 0;
    if (every > 0 && t->epoch % every == 0 && t->epoch < t->epochs && !stop_early)
      if ((s = kp_lines_checkpoint_run(t, o->run_dir, false, r->last_checkpoint, sizeof r->last_checkpoint)) != KP_OK)
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
  r->epochs_run = t->epoch;
  r->best_epoch = t->best_epoch;
  r->best_metric = t->best_metric;
  if (was_finished) {
    r->early_stopped = t->early_stopped;
    return KP_OK;
  }
  if (!interrupted) {
    if (stop_early && !t->finished) t->early_stopped = true;
    t->finished = true;
    if (t->restore_best && t->have_best) KP_TRY(kp_tensor_copy(&t->model.params.data, &t->best));
  }
  r->early_stopped = t->early_stopped;
  r->interrupted = interrupted;
  return final_files(t, o, !interrupted, r);
}
