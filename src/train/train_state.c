/* The training state both trainers share (train_internal.h): train.* read from the config, the seeded
 * Philox streams, the optimizer and LR schedule, the best weights, and freeing it all. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

uint64_t kp_train_stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void kp_train_state_config(kp_train_state *st, const kp_config *c) {
  st->cfg = c;
  int64_t threads = kp_config_int(c, "train.threads");
  if (threads > 0) omp_set_num_threads((int)threads);
  st->seed = (uint64_t)kp_config_int(c, "train.seed");
  st->epochs = (int)kp_config_int(c, "train.epochs");
  st->eval_every = (int)kp_config_int(c, "train.eval_every");
  st->patience = (int)kp_config_int(c, "train.patience");
  st->restore_best = kp_config_bool(c, "train.restore_best");
  const char *mon = kp_config_string(c, "train.monitor");
  st->monitor = !strcmp(mon, "val_acc")        ? KP_MON_VAL_ACC
                : !strcmp(mon, "val_macro_f1") ? KP_MON_VAL_F1
                                               : KP_MON_VAL_LOSS;
}

static kp_status optimizer_setup(kp_train_state *st, const char *decay_prefix) {
  const kp_config *c = st->cfg;
  kp_optimizer_opts o = {0};
  KP_TRY(kp_opt_kind_parse(kp_config_string(c, "optim.name"), &o.kind));
  size_t nb;
  const double *betas = kp_config_floats(c, "optim.betas", &nb);
  o.beta1 = (float)betas[0];
  o.beta2 = (float)betas[1];
  o.eps = (float)kp_config_float(c, "optim.eps");
  o.momentum = (float)kp_config_float(c, "optim.momentum");
  o.nesterov = kp_config_bool(c, "optim.nesterov");
  o.weight_decay = (float)kp_config_float(c, "optim.weight_decay");
  o.decay_prefix = decay_prefix;
  o.decay_skip_bias_norm = !strcmp(kp_config_string(c, "optim.weight_decay_scope"), "weights");
  o.clip_norm = (float)kp_config_float(c, "optim.clip_norm");
  KP_TRY(kp_optimizer_init(&st->opt, st->params, &o));
  KP_TRY(kp_lr_kind_parse(kp_config_string(c, "optim.schedule"), &st->sched.kind));
  st->sched.base_lr = (float)kp_config_float(c, "optim.lr");
  st->sched.warmup_steps = kp_config_int(c, "optim.warmup_steps");
  st->sched.total_steps = (int64_t)st->epochs * st->steps_per_epoch;
  if (kp_lr_schedule_check(&st->sched) != KP_OK)
    return kp_fail(KP_ERR_INVALID, "optim.warmup_steps = %lld exceeds the %lld optimizer steps of the run",
                   (long long)st->sched.warmup_steps, (long long)st->sched.total_steps);
  return KP_OK;
}

kp_status kp_train_state_start(kp_train_state *st, const char *decay_prefix) {
  *st->drop_seed = kp_train_stream_seed(st->seed, 2);
  *st->drop_offset = 0;
  st->data_rng = kp_rng_make(kp_train_stream_seed(st->seed, 3));
  KP_TRY(optimizer_setup(st, decay_prefix));
  if (st->restore_best) KP_TRY(kp_tensor_zeros(&st->best, KP_F32, st->dev, 1, &st->params->total));
  st->best_metric = st->monitor == KP_MON_VAL_LOSS ? 1e300 : -1e300;
  return KP_OK;
}

int64_t kp_train_state_param_bytes(const kp_train_state *st) {
  int copies = 2 + (st->opt.o.kind == KP_OPT_SGD ? 1 : 2) + (st->restore_best ? 1 : 0);
  return (int64_t)copies * st->params->total * 4;
}

void kp_train_state_free(kp_train_state *st) {
  kp_optimizer_free(&st->opt);
  kp_tensor_free(&st->best);
  for (int s = 0; s < 3; s++) free(st->ids[s]);
}
