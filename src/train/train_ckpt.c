/* The checkpoints of both trainers (checkpoint.h files): everything a resumed run needs to continue
 * bit for bit — weights, optimizer moments and step, the dropout and data-order Philox offsets,
 * epoch/step, early-stopping state and best weights — plus the resolved config, the model's name (and
 * base directory for BERT) and the label names, so that kprca-eval and kprca-export can rebuild the
 * model from the file alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/checkpoint.h"
#include "kprca/rundir.h"
#include "train/train_internal.h"

/* Integer state, in one table so that save and load cannot drift apart. */
typedef struct {
  const char *name;
  int64_t *v;
} int_field;

static int int_fields(kp_train_state *st, int_field *f, int64_t *tmp) {
  int n = 0;
  tmp[0] = st->epoch, tmp[1] = st->best_epoch, tmp[2] = st->bad_evals, tmp[3] = st->have_best,
  tmp[4] = st->finished, tmp[5] = st->early_stopped, tmp[6] = (int64_t)st->seed, tmp[7] = (int64_t)*st->drop_seed,
  tmp[8] = (int64_t)*st->drop_offset, tmp[9] = (int64_t)st->data_rng.seed, tmp[10] = (int64_t)st->data_rng.offset;
  f[n++] = (int_field){"state/epoch", &tmp[0]};
  f[n++] = (int_field){"state/best_epoch", &tmp[1]};
  f[n++] = (int_field){"state/bad_evals", &tmp[2]};
  f[n++] = (int_field){"state/have_best", &tmp[3]};
  f[n++] = (int_field){"state/finished", &tmp[4]};
  f[n++] = (int_field){"state/early_stopped", &tmp[5]};
  f[n++] = (int_field){"state/seed", &tmp[6]};
  f[n++] = (int_field){"rng/dropout_seed", &tmp[7]};
  f[n++] = (int_field){"rng/dropout_offset", &tmp[8]};
  f[n++] = (int_field){"rng/data_seed", &tmp[9]};
  f[n++] = (int_field){"rng/data_offset", &tmp[10]};
  f[n++] = (int_field){"state/step", &st->step};
  f[n++] = (int_field){"optim/step", &st->opt.step};
  return n;
}

static kp_status write_ckpt(kp_train_state *st, const char *path, const kp_tensor *weights, bool final) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_create(path, &c));
  const kp_params *p = st->params;
  char *cfg_text = kp_config_to_yaml(st->cfg, 0);
  char dev[32];
  kp_device_str(st->dev, dev, sizeof dev);
  int_field f[16];
  int64_t tmp[16];
  int nf = int_fields(st, f, tmp);
  tmp[4] = final;
  kp_status s = cfg_text ? KP_OK : kp_fail(KP_ERR_NOMEM, "checkpoint: out of memory");
  if (s == KP_OK) s = kp_ckpt_put_flat(c, "params", p, weights);
  if (s == KP_OK && !final) {
    s = kp_ckpt_put_flat(c, "optim/m", p, &st->opt.m);
    if (s == KP_OK && st->opt.o.kind != KP_OPT_SGD) s = kp_ckpt_put_flat(c, "optim/v", p, &st->opt.v);
    if (s == KP_OK && st->have_best && st->restore_best) s = kp_ckpt_put_flat(c, "best_params", p, &st->best);
  }
  for (int i = 0; i < nf && s == KP_OK; i++) s = kp_ckpt_put_int(c, f[i].name, *f[i].v);
  if (s == KP_OK) s = kp_ckpt_put_double(c, "state/best_metric", st->best_metric);
  if (s == KP_OK) s = kp_ckpt_put_text(c, "config", cfg_text);
  if (s == KP_OK) s = kp_ckpt_put_text(c, "model/name", st->model_name);
  if (s == KP_OK && st->model_path) s = kp_ckpt_put_text(c, "model/path", st->model_path);
  if (s == KP_OK) s = kp_ckpt_put_text(c, "device", dev);
  if (s == KP_OK) s = kp_ckpt_put_strings(c, "labels/names", st->labels->n, (const char *const *)st->labels->s);
  free(cfg_text);
  if (s != KP_OK) {
    kp_ckpt_abort(c);
    return s;
  }
  return kp_ckpt_commit(c);
}

kp_status kp_train_save_checkpoint(kp_train_state *st, const char *path, bool final) {
  return write_ckpt(st, path, &st->params->data, final);
}

kp_status kp_train_checkpoint_run(kp_train_state *st, const char *run_dir, bool final, char *written, size_t n) {
  char dir[4096], name[64], path[4200];
  snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
  KP_TRY(kp_mkdirs(dir));
  snprintf(name, sizeof name, "epoch-%06d.h5", st->epoch);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  KP_TRY(kp_train_save_checkpoint(st, path, final));
  KP_TRY(kp_ckpt_set_latest(dir, name));
  const char *protect[] = {"best.h5", name, NULL};
  KP_TRY(kp_ckpt_prune(dir, "epoch-", (int)kp_config_int(st->cfg, "output.keep_checkpoints"), protect));
  if (written) snprintf(written, n, "%s", path);
  return KP_OK;
}

kp_status kp_train_write_best(kp_train_state *st, const char *run_dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/checkpoints/best.h5", run_dir);
  int saved_epoch = st->epoch;
  st->epoch = st->best_epoch; /* best.h5 describes the best epoch */
  kp_status s = write_ckpt(st, path, &st->best, true);
  st->epoch = saved_epoch;
  return s;
}

/* Checks that the checkpoint was made for a model with these parameters (names and shapes), with a message that
 * says so before the details. */
static kp_status get_params(kp_ckpt *c, const char *path, const char *group, kp_train_state *st, kp_tensor *dst) {
  kp_status s = kp_ckpt_get_flat(c, group, st->params, dst);
  if (s == KP_OK) return KP_OK;
  return kp_fail_context(s == KP_ERR_IO ? s : KP_ERR_INVALID, "%s does not match the configured model", path);
}

kp_status kp_train_load_weights(kp_train_state *st, const char *path) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(path, &c));
  kp_status s = get_params(c, path, "params", st, &st->params->data);
  kp_ckpt_close(c);
  return s;
}

kp_status kp_train_load_checkpoint(kp_train_state *st, const char *path, bool *finished) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(path, &c));
  int_field f[16];
  int64_t tmp[16];
  int nf = int_fields(st, f, tmp);
  kp_status s = get_params(c, path, "params", st, &st->params->data);
  for (int i = 0; i < nf && s == KP_OK; i++) s = kp_ckpt_get_int(c, f[i].name, f[i].v);
  if (s == KP_OK) s = kp_ckpt_get_double(c, "state/best_metric", &st->best_metric);
  if (s == KP_OK && (uint64_t)tmp[6] != st->seed)
    s = kp_fail(KP_ERR_INVALID, "%s was trained with train.seed = %lld, the config says %llu", path, (long long)tmp[6],
                (unsigned long long)st->seed);
  if (s == KP_OK && tmp[0] > st->epochs)
    s = kp_fail(KP_ERR_INVALID, "%s is at epoch %lld, beyond train.epochs = %d", path, (long long)tmp[0], st->epochs);
  bool fin = s == KP_OK && tmp[4];
  if (s == KP_OK && !fin) {
    s = get_params(c, path, "optim/m", st, &st->opt.m);
    if (s == KP_OK && st->opt.o.kind != KP_OPT_SGD) s = get_params(c, path, "optim/v", st, &st->opt.v);
    if (s == KP_OK && tmp[3] && st->restore_best) s = get_params(c, path, "best_params", st, &st->best);
  }
  kp_ckpt_close(c);
  if (s != KP_OK) return s;
  st->epoch = (int)tmp[0];
  st->best_epoch = (int)tmp[1];
  st->bad_evals = (int)tmp[2];
  st->have_best = tmp[3] != 0;
  st->finished = fin;
  st->early_stopped = tmp[5] != 0;
  *st->drop_seed = (uint64_t)tmp[7];
  *st->drop_offset = (uint64_t)tmp[8];
  st->data_rng.seed = (uint64_t)tmp[9];
  st->data_rng.offset = (uint64_t)tmp[10];
  if (finished) *finished = fin;
  return KP_OK;
}
