/* The line trainer: from a resolved config to tokenizer, data, BERT classifier, optimizer and
 * schedule (kp_line_trainer_create), plus what --dry-run prints. The loop is in lines_loop.c,
 * scoring and reports in lines_eval.c, checkpoints in lines_ckpt.c. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/split.h"
#include "train/lines_internal.h"

/* splitmix64 of (seed, stream): independent Philox keys for initialisation, dropout and data order
 * (the same streams as the GNN trainer: 1 init, 2 dropout, 3 data). */
static uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Opens model.path and checks it against the config before the data is read. */
static kp_status model_open(kp_line_trainer *t, kp_hf_bert **h) {
  kp_status s = kp_hf_bert_open(t->model_path, h);
  if (s != KP_OK) return kp_fail_context(s, "model.path = %s", t->model_path);
  const kp_bert_config *bc = kp_hf_bert_config(*h);
  if (t->max_seq_len > bc->max_position_embeddings)
    return kp_fail(KP_ERR_INVALID, "data.max_seq_len = %lld exceeds max_position_embeddings = %d of %s/config.json",
                   (long long)t->max_seq_len, bc->max_position_embeddings, t->model_path);
  s = kp_wordpiece_load_dir(t->model_path, &t->wp);
  if (s != KP_OK) return kp_fail_context(s, "model.path = %s", t->model_path);
  int32_t nv = kp_vocab_size(kp_wordpiece_vocab(t->wp));
  if (nv > bc->vocab_size)
    return kp_fail(KP_ERR_FORMAT, "%s/vocab.txt has %d tokens but config.json says vocab_size = %d", t->model_path,
                   (int)nv, bc->vocab_size);
  return KP_OK;
}

static kp_status model_setup(kp_line_trainer *t, const kp_hf_bert *h) {
  kp_status s;
  s = kp_bert_from_hf(&t->model, h, (int)t->num_classes, t->dev, stream_seed(t->seed, 1));
  KP_TRY(s);
  t->model_ready = true;
  t->model.drop_seed = stream_seed(t->seed, 2);
  t->model.drop_offset = 0;
  return KP_OK;
}

static kp_status optimizer_setup(kp_line_trainer *t) {
  const kp_config *c = t->cfg;
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
  if (strcmp(kp_config_string(c, "optim.weight_decay_scope"), "all"))
    return kp_fail(KP_ERR_UNSUPPORTED, "optim.weight_decay_scope = first_layer is for GNNs; use all with bert");
  o.clip_norm = (float)kp_config_float(c, "optim.clip_norm");
  KP_TRY(kp_optimizer_init(&t->opt, &t->model.params, &o));
  KP_TRY(kp_lr_kind_parse(kp_config_string(c, "optim.schedule"), &t->sched.kind));
  t->sched.base_lr = (float)kp_config_float(c, "optim.lr");
  t->sched.warmup_steps = kp_config_int(c, "optim.warmup_steps");
  t->sched.total_steps = (int64_t)t->epochs * t->steps_per_epoch;
  if (kp_lr_schedule_check(&t->sched) != KP_OK)
    return kp_fail(KP_ERR_INVALID, "optim.warmup_steps = %lld exceeds the %lld optimizer steps of the run",
                   (long long)t->sched.warmup_steps, (long long)t->sched.total_steps);
  return KP_OK;
}

static kp_status create(kp_line_trainer *t) {
  const kp_config *c = t->cfg;
  int64_t threads = kp_config_int(c, "train.threads");
  if (threads > 0) omp_set_num_threads((int)threads);
  t->data_path = kp_config_string(c, "data.path");
  t->model_path = kp_config_string(c, "model.path");
  if (!t->model_path) return kp_fail(KP_ERR_INVALID, "model.path: model.name bert needs a model directory");
  t->seed = (uint64_t)kp_config_int(c, "train.seed");
  t->epochs = (int)kp_config_int(c, "train.epochs");
  t->eval_every = (int)kp_config_int(c, "train.eval_every");
  t->patience = (int)kp_config_int(c, "train.patience");
  t->restore_best = kp_config_bool(c, "train.restore_best");
  const char *mon = kp_config_string(c, "train.monitor");
  t->monitor = !strcmp(mon, "val_acc") ? LMON_VAL_ACC : !strcmp(mon, "val_macro_f1") ? LMON_VAL_F1 : LMON_VAL_LOSS;
  t->shuffle = kp_config_bool(c, "data.shuffle");
  t->max_seq_len = kp_config_int(c, "data.max_seq_len");
  t->batch_size = kp_config_int(c, "data.batch_size");
  t->bucket_size = kp_config_int(c, "data.bucket_size");
  t->grad_accum = kp_config_int(c, "optim.grad_accum");
  if (t->batch_size < 1) return kp_fail(KP_ERR_INVALID, "data.batch_size = 0: bert needs lines per batch >= 1");
  KP_TRY(kp_device_parse(kp_config_string(c, "device"), &t->dev));
  KP_TRY(model_open(t, &t->hf));
  KP_TRY(kp_lines_load(t));
  if (t->patience > 0 && t->nids[KP_SPLIT_VAL] == 0)
    return kp_fail(KP_ERR_INVALID, "train.patience = %d needs a validation split, and %s has none (data.split)",
                   t->patience, t->data_path);
  int64_t lpe = kp_config_int(c, "data.lines_per_epoch");
  t->lines_per_epoch = lpe == 0 || lpe > t->nids[KP_SPLIT_TRAIN] ? t->nids[KP_SPLIT_TRAIN] : lpe;
  t->batches_per_epoch = (t->lines_per_epoch + t->batch_size - 1) / t->batch_size;
  t->steps_per_epoch = (t->batches_per_epoch + t->grad_accum - 1) / t->grad_accum;
  size_t cells = (size_t)t->batch_size * (size_t)t->max_seq_len;
  t->b_ids = malloc(sizeof(int32_t) * cells);
  t->b_mask = malloc(sizeof(int32_t) * cells);
  t->b_labels = malloc(sizeof(int32_t) * (size_t)t->batch_size);
  if (!t->b_ids || !t->b_mask || !t->b_labels) return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory (batch)");
  KP_TRY(model_setup(t, t->hf));
  kp_hf_bert_close(t->hf);
  t->hf = NULL;
  t->data_rng = kp_rng_make(stream_seed(t->seed, 3));
  KP_TRY(optimizer_setup(t));
  if (t->restore_best) KP_TRY(kp_tensor_zeros(&t->best, KP_F32, t->dev, 1, &t->model.params.total));
  t->best_metric = t->monitor == LMON_VAL_LOSS ? 1e300 : -1e300;
  return KP_OK;
}

kp_status kp_line_trainer_create(const kp_config *cfg, kp_line_trainer **out) {
  *out = NULL;
  kp_line_trainer *t = calloc(1, sizeof *t);
  if (!t) return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory");
  t->cfg = cfg;
  kp_status s = create(t);
  if (s != KP_OK) {
    kp_line_trainer_free(t);
    return s;
  }
  *out = t;
  return KP_OK;
}

void kp_line_trainer_free(kp_line_trainer *t) {
  if (!t) return;
  if (t->model_ready) kp_bert_free(&t->model);
  kp_hf_bert_close(t->hf);
  kp_optimizer_free(&t->opt);
  kp_tensor_free(&t->best);
  kp_tensor_free(&t->class_w);
  for (int s = 0; s < 3; s++) free(t->ids[s]);
  free(t->b_ids), free(t->b_mask), free(t->b_labels);
  kp_lines_plan_free(&t->plan);
  kp_wp_batch_free(&t->tok);
  kp_wordpiece_free(t->wp);
  kp_lines_data_free(&t->data);
  free(t);
}

void kp_line_trainer_describe(const kp_line_trainer *t, kp_line_trainer_info *in) {
  memset(in, 0, sizeof *in);
  kp_device_str(t->dev, in->device, sizeof in->device);
  in->model_path = t->model_path;
  in->num_lines = t->data.n;
  in->num_classes = t->num_classes;
  for (int s = 0; s < 3; s++) in->split_counts[s] = t->nids[s];
  in->batches_per_epoch = t->batches_per_epoch;
  in->steps_per_epoch = t->steps_per_epoch;
  in->num_params = kp_params_numel(&t->model.params);
  in->layers = t->model.cfg.num_hidden_layers;
  in->hidden = t->model.cfg.hidden_size;
  in->max_seq_len = t->max_seq_len;
  in->truncated = t->truncated;
  int64_t tokens = 0;
  for (int64_t i = 0; i < t->tok.n; i++) tokens += t->tok.lengths[i];
  in->mean_tokens = t->tok.n ? (double)tokens / (double)t->tok.n : 0.0;
  int copies = 2 + (t->opt.o.kind == KP_OPT_SGD ? 1 : 2) + (t->restore_best ? 1 : 0);
  in->param_bytes = (int64_t)copies * t->model.params.total * 4;
}

const kp_params *kp_line_trainer_params(const kp_line_trainer *t) { return &t->model.params; }
const kp_strings *kp_line_trainer_labels(const kp_line_trainer *t) { return &t->data.label_names; }
int kp_line_trainer_epoch(const kp_line_trainer *t) { return t->epoch; }
double kp_line_trainer_step_time(const kp_line_trainer *t) {
  return t->step_count ? t->step_time_sum / (double)t->step_count : 0.0;
}
