/* The trainer's checkpoints (checkpoint.h files): everything a resumed run needs to continue bit
 * for bit — weights, optimizer moments and step, the dropout and data-order Philox offsets,
 * epoch/step, early-stopping state and best weights — plus the resolved config and label names
 * so that kprca-eval can rebuild the model from the file alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/checkpoint.h"
#include "kprca/rundir.h"
#include "train/trainer_internal.h"

/* Integer state, in one table so that save and load cannot drift apart. */
typedef struct {
  const char *name;
  int64_t *v;
} int_field;

static int int_fields(kp_trainer *t, int_field *f, int64_t *tmp) {
  int n = 0;
  tmp[0] = t->epoch, tmp[1] = t->best_epoch, tmp[2] = t->bad_evals, tmp[3] = t->have_best, tmp[4] = t->finished,
  tmp[5] = t->early_stopped, tmp[6] = (int64_t)t->seed, tmp[7] = (int64_t)t->model.drop_seed,
  tmp[8] = (int64_t)t->model.drop_offset, tmp[9] = (int64_t)t->data_rng.seed, tmp[10] = (int64_t)t->data_rng.offset;
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
  f[n++] = (int_field){"state/step", &t->step};
  f[n++] = (int_field){"optim/step", &t->opt.step};
  return n;
}

static kp_status write_ckpt(kp_trainer *t, const char *path, const kp_tensor *weights, bool final) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_create(path, &c));
  const kp_params *p = &t->model.params;
  char *cfg_text = kp_config_to_yaml(t->cfg, 0);
  char dev[32];
  kp_device_str(t->dev, dev, sizeof dev);
  int_field f[16];
  int64_t tmp[16];
  int nf = int_fields(t, f, tmp);
  tmp[4] = final;
  kp_status s = cfg_text ? KP_OK : kp_fail(KP_ERR_NOMEM, "checkpoint: out of memory");
  if (s == KP_OK) s = kp_ckpt_put_flat(c, "params", p, weights);
  if (s == KP_OK && !final) {
    s = kp_ckpt_put_flat(c, "optim/m", p, &t->opt.m);
    if (s == KP_OK && t->opt.o.kind != KP_OPT_SGD) s = kp_ckpt_put_flat(c, "optim/v", p, &t->opt.v);
    if (s == KP_OK && t->have_best && t->restore_best) s = kp_ckpt_put_flat(c, "best_params", p, &t->best);
  }
  for (int i = 0; i < nf && s == KP_OK; i++) s = kp_ckpt_put_int(c, f[i].name, *f[i].v);
  if (s == KP_OK) s = kp_ckpt_put_double(c, "state/best_metric", t->best_metric);
  if (s == KP_OK) s = kp_ckpt_put_text(c, "config", cfg_text);
  if (s == KP_OK) s = kp_ckpt_put_text(c, "model/name", kp_conv_type_name(t->model.cfg.conv));
  if (s == KP_OK) s = kp_ckpt_put_text(c, "device", dev);
  if (s == KP_OK)
    s = kp_ckpt_put_strings(c, "labels/names", t->data.label_names.n, (const char *const *)t->data.label_names.s);
  free(cfg_text);
  if (s != KP_OK) {
    kp_ckpt_abort(c);
    return s;
  }
  return kp_ckpt_commit(c);
}

kp_status kp_trainer_save_checkpoint(kp_trainer *t, const char *path, bool final) {
  return write_ckpt(t, path, &t->model.params.data, final);
}

kp_status kp_trainer_checkpoint_run(kp_trainer *t, const char *run_dir, bool final, char *written, size_t n) {
  char dir[4096], name[64], path[4200];
  snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
  KP_TRY(kp_mkdirs(dir));
  snprintf(name, sizeof name, "epoch-%06d.h5", t->epoch);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  KP_TRY(kp_trainer_save_checkpoint(t, path, final));
  KP_TRY(kp_ckpt_set_latest(dir, name));
  const char *protect[] = {"best.h5", name, NULL};
  KP_TRY(kp_ckpt_prune(dir, "epoch-", (int)kp_config_int(t->cfg, "output.keep_checkpoints"), protect));
  if (written) snprintf(written, n, "%s", path);
  return KP_OK;
}

kp_status kp_trainer_write_best(kp_trainer *t, const char *run_dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/checkpoints/best.h5", run_dir);
  int saved_epoch = t->epoch;
  t->epoch = t->best_epoch; /* best.h5 describes the best epoch */
  kp_status s = write_ckpt(t, path, &t->best, true);
  t->epoch = saved_epoch;
  return s;
}

/* Checks that the checkpoint was made for a model with these parameters (names and shapes), with a message that
 * says so before the details. */
static kp_status get_params(kp_ckpt *c, const char *path, const char *group, kp_trainer *t, kp_tensor *dst) {
  kp_status s = kp_ckpt_get_flat(c, group, &t->model.params, dst);
  if (s == KP_OK) return KP_OK;
  return kp_fail_context(s == KP_ERR_IO ? s : KP_ERR_INVALID, "%s does not match the configured model", path);
}

kp_status kp_trainer_load_weights(kp_trainer *t, const char *path) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(path, &c));
  kp_status s = get_params(c, path, "params", t, &t->model.params.data);
  kp_ckpt_close(c);
  return s;
}

kp_status kp_trainer_load_checkpoint(kp_trainer *t, const char *path, bool *finished) {
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(path, &c));
  const kp_params *p = &t->model.params;
  int_field f[16];
  int64_t tmp[16];
  int nf = int_fields(t, f, tmp);
  kp_status s = get_params(c, path, "params", t, (kp_tensor *)&p->data);
  for (int i = 0; i < nf && s == KP_OK; i++) s = kp_ckpt_get_int(c, f[i].name, f[i].v);
  if (s == KP_OK) s = kp_ckpt_get_double(c, "state/best_metric", &t->best_metric);
  if (s == KP_OK && (uint64_t)tmp[6] != t->seed)
    s = kp_fail(KP_ERR_INVALID, "%s was trained with train.seed = %lld, the config says %llu", path, (long long)tmp[6],
                (unsigned long long)t->seed);
  if (s == KP_OK && tmp[0] > t->epochs)
    s = kp_fail(KP_ERR_INVALID, "%s is at epoch %lld, beyond train.epochs = %d", path, (long long)tmp[0], t->epochs);
  bool fin = s == KP_OK && tmp[4];
  if (s == KP_OK && !fin) {
    s = get_params(c, path, "optim/m", t, &t->opt.m);
    if (s == KP_OK && t->opt.o.kind != KP_OPT_SGD) s = get_params(c, path, "optim/v", t, &t->opt.v);
    if (s == KP_OK && tmp[3] && t->restore_best) s = get_params(c, path, "best_params", t, &t->best);
  }
  kp_ckpt_close(c);
  if (s != KP_OK) return s;
  t->epoch = (int)tmp[0];
  t->best_epoch = (int)tmp[1];
  t->bad_evals = (int)tmp[2];
  t->have_best = tmp[3] != 0;
  t->finished = fin;
  t->early_stopped = tmp[5] != 0;
  t->model.drop_seed = (uint64_t)tmp[7];
  t->model.drop_offset = (uint64_t)tmp[8];
  t->data_rng.seed = (uint64_t)tmp[9];
  t->data_rng.offset = (uint64_t)tmp[10];
  if (finished) *finished = fin;
  return KP_OK;
}
