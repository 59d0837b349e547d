/* The line trainer's epochs: length-bucketed mini-batches, gradients of data.grad_accum mini-batches
 * averaged into one optimizer step (AdamW, warm-up and decay per optimizer step), with a progress
 * line every tenth of an epoch, as an epoch of BERT fine-tuning is long. The shared epoch loop
 * (train_fit.c) runs them: evaluation, early stopping, logs, checkpoints. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "kprca/elementwise.h"
#include "kprca/progress.h"
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

/* One epoch (kp_train_fit's hook); *loss gets the mean training loss over lines, *items the lines trained on, *lr
 * the rate of the last step. */
static kp_status train_epoch(void *trainer, const kp_fit_opts *o, double *loss, int64_t *items, double *lr) {
  kp_line_trainer *t = trainer;
  KP_TRY(kp_lines_plan_epoch(t, &t->st.data_rng, t->bucket_size, &t->plan));
  const lines_plan *p = &t->plan;
  double sum = 0.0;
  int64_t n = 0, k = 0, every = t->st.steps_per_epoch >= 20 ? t->st.steps_per_epoch / 10 : 0, step0 = t->st.step;
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
    float rate = kp_lr_at(&t->st.sched, t->st.step);
    *lr = rate;
    KP_TRY(kp_optimizer_step(&t->st.opt, &t->model.params, rate, NULL));
    t->st.step++;
    double s1 = now_s();
    t->step_time_sum += s1 - s0;
    t->step_count++;
    s0 = s1;
    int64_t done = t->st.step - step0;
    if (o->progress && every > 0 && done % every == 0 && done < t->st.steps_per_epoch) {
      char msg[256];
      snprintf(msg, sizeof msg, "epoch %d: step %lld/%lld, train loss %.4f, lr %.3g, %.3f s/step", t->st.epoch,
               (long long)done, (long long)t->st.steps_per_epoch, n ? sum / (double)n : 0.0, rate,
               (s1 - epoch0) / (double)done);
      kp_progress_note(o->progress, msg);
    }
  }
  *loss = n ? sum / (double)n : 0.0;
  *items = n;
  return KP_OK;
}

static kp_status evaluate_hook(void *trainer, int split, kp_split_eval *out) {
  return kp_line_trainer_evaluate(trainer, split, out);
}

kp_status kp_line_trainer_fit(kp_line_trainer *t, const kp_fit_opts *opts, kp_fit_result *r) {
  static const kp_train_hooks hooks = {train_epoch, evaluate_hook};
  t->step_time_sum = 0.0;
  t->step_count = 0;
  return kp_train_fit(&t->st, &hooks, t, opts, r);
}
