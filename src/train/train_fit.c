/* The epoch loop both trainers share: epochs of the trainer's training (a hook), evaluation on val
 * every train.eval_every epochs, early stopping on train.monitor with patience, restore of the best
 * weights, metrics.jsonl and TensorBoard scalars, the progress display, checkpoints every
 * output.checkpoint_every epochs and at the end, and stopping on request (Ctrl-C) with a checkpoint
 * to resume from. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kprca/epoch_log.h"
#include "kprca/progress.h"
#include "kprca/split.h"
#include "train/train_internal.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double monitor_value(const kp_train_state *st, const kp_split_eval *v) {
  return st->monitor == KP_MON_VAL_LOSS  ? v->loss
         : st->monitor == KP_MON_VAL_ACC ? v->metrics.accuracy
                                         : v->metrics.macro_f1;
}

/* Evaluates val, updates the early-stopping state; *stop when patience ran out. */
static kp_status evaluate_epoch(kp_train_state *st, const kp_train_hooks *h, void *trainer, kp_split_eval *v,
                                kp_epoch_log *log, bool *stop) {
  KP_TRY(h->evaluate(trainer, KP_SPLIT_VAL, v));
  double m = monitor_value(st, v);
  bool better = st->monitor == KP_MON_VAL_LOSS ? m < st->best_metric : m > st->best_metric;
  if (better) {
    st->best_metric = m;
    st->best_epoch = st->epoch;
    st->bad_evals = 0;
    st->have_best = true;
    if (st->restore_best) KP_TRY(kp_tensor_copy(&st->best, &st->params->data));
  } else {
    st->bad_evals++;
  }
  log->evaluated = true;
  log->val_loss = v->loss;
  log->val_accuracy = v->metrics.accuracy;
  log->val_macro_f1 = v->metrics.macro_f1;
  log->val = &v->metrics;
  log->improved = better;
  *stop = st->patience > 0 && st->bad_evals >= st->patience;
  return KP_OK;
}

/* Checkpoints at the end of fit: the state (or the final weights) and best.h5. */
static kp_status final_files(kp_train_state *st, const kp_fit_opts *o, bool final, kp_fit_result *r) {
  if (!o->run_dir) return KP_OK;
  KP_TRY(kp_train_checkpoint_run(st, o->run_dir, final, r->last_checkpoint, sizeof r->last_checkpoint));
  return st->have_best && st->restore_best ? kp_train_write_best(st, o->run_dir) : KP_OK;
}

kp_status kp_train_fit(kp_train_state *st, const kp_train_hooks *h, void *trainer, const kp_fit_opts *opts,
                       kp_fit_result *r) {
  kp_fit_opts none = {0};
  const kp_fit_opts *o = opts ? opts : &none;
  memset(r, 0, sizeof *r);
  kp_epoch_sink sink;
  KP_TRY(kp_epoch_sink_open(&sink, o->run_dir));
  if (o->progress) o->progress->first_epoch = st->epoch + 1;
  double t0 = now_s();
  kp_status s = KP_OK;
  kp_split_eval val = {0};
  bool was_finished = st->finished, stop_early = st->finished, interrupted = false;
  while (s == KP_OK && !stop_early && st->epoch < st->epochs) {
    double e0 = now_s();
    st->epoch++;
    kp_epoch_log log = {.epoch = st->epoch, .epochs = st->epochs};
    int64_t items = 0;
    s = h->train_epoch(trainer, o, &log.train_loss, &items, &log.lr);
    double train_s = now_s() - e0;
    if (s != KP_OK) break;
    log.step = st->step;
    bool eval_now = st->nids[KP_SPLIT_VAL] > 0 &&
                    (st->epoch % st->eval_every == 0 || (st->epoch == st->epochs && st->eval_last));
    kp_split_eval_free(&val);
    if (eval_now && (s = evaluate_epoch(st, h, trainer, &val, &log, &stop_early)) != KP_OK) break;
    log.best_epoch = st->best_epoch;
    log.time_s = now_s() - e0;
    log.items_per_s = train_s > 0 ? (double)items / train_s : 0.0;
    if ((s = kp_epoch_sink_write(&sink, &log, st->cfg)) != KP_OK) break;
    if (o->progress) kp_progress_epoch(o->progress, &log);
    int every = o->run_dir ? (int)kp_config_int(st->cfg, "output.checkpoint_every") : 0;
    if (every > 0 && st->epoch % every == 0 && st->epoch < st->epochs && !stop_early)
      if ((s = kp_train_checkpoint_run(st, o->run_dir, false, r->last_checkpoint, sizeof r->last_checkpoint)) != KP_OK)
        break;
    if ((o->stop && *o->stop) || (o->stop_after_epoch > 0 && st->epoch >= o->stop_after_epoch)) {
      interrupted = st->epoch < st->epochs && !stop_early;
      break;
    }
  }
  kp_split_eval_free(&val);
  if (o->progress) kp_progress_end(o->progress);
  kp_status sc = kp_epoch_sink_close(&sink);
  if (s == KP_OK) s = sc;
  r->train_time_s = now_s() - t0;
  if (s != KP_OK) return s;
  r->epochs_run = st->epoch;
  r->best_epoch = st->best_epoch;
  r->best_metric = st->best_metric;
  if (was_finished) { /* a finished run was loaded: nothing to train, nothing to write */
    r->early_stopped = st->early_stopped;
    return KP_OK;
  }
  if (!interrupted) {
    if (stop_early && !st->finished) st->early_stopped = true;
    st->finished = true;
    if (st->restore_best && st->have_best) KP_TRY(kp_tensor_copy(&st->params->data, &st->best));
  }
  r->early_stopped = st->early_stopped;
  r->interrupted = interrupted;
  return final_files(st, o, !interrupted, r);
}
