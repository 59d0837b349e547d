/* The line trainer: from a resolved config to tokenizer, data, BERT classifier, optimizer and
 * schedule (kp_line_trainer_create), plus what --dry-run prints. The epochs are in lines_loop.c,
 * scoring and reports in lines_eval.c; the state, checkpoints and epoch loop it shares with the GNN
 * trainer in train_*.c. */
#include <stdlib.h>
#include <string.h>
#include "kprca/split.h"
#include "train/lines_internal.h"

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

static kp_status create(kp_line_trainer *t, const kp_config *c) {
  kp_train_state_config(&t->st, c);
  /* the last epoch is evaluated even off the eval_every beat when something uses val (early stopping, restoring
   * the best epoch); otherwise the end-of-run report scores val if eval.splits asks, and an eval_every beyond
   * train.epochs spares a long run the val pass */
  t->st.eval_last = t->st.patience > 0 || t->st.restore_best;
  t->data_path = kp_config_string(c, "data.path");
  t->model_path = kp_config_string(c, "model.path");
  if (!t->model_path) return kp_fail(KP_ERR_INVALID, "model.path: model.name bert needs a model directory");
  t->shuffle = kp_config_bool(c, "data.shuffle");
  t->max_seq_len = kp_config_int(c, "data.max_seq_len");
  t->batch_size = kp_config_int(c, "data.batch_size");
  t->bucket_size = kp_config_int(c, "data.bucket_size");
  t->grad_accum = kp_config_int(c, "optim.grad_accum");
  if (t->batch_size < 1) return kp_fail(KP_ERR_INVALID, "data.batch_size = 0: bert needs lines per batch >= 1");
  KP_TRY(kp_device_parse(kp_config_string(c, "device"), &t->st.dev));
  KP_TRY(model_open(t, &t->hf));
  KP_TRY(kp_lines_load(t));
  if (t->st.patience > 0 && t->st.nids[KP_SPLIT_VAL] == 0)
    return kp_fail(KP_ERR_INVALID, "train.patience = %d needs a validation split, and %s has none (data.split)",
                   t->st.patience, t->data_path);
  int64_t lpe = kp_config_int(c, "data.lines_per_epoch");
  t->lines_per_epoch = lpe == 0 || lpe > t->st.nids[KP_SPLIT_TRAIN] ? t->st.nids[KP_SPLIT_TRAIN] : lpe;
  t->batches_per_epoch = (t->lines_per_epoch + t->batch_size - 1) / t->batch_size;
  t->st.steps_per_epoch = (t->batches_per_epoch + t->grad_accum - 1) / t->grad_accum;
  size_t cells = (size_t)t->batch_size * (size_t)t->max_seq_len;
  t->b_ids = malloc(sizeof(int32_t) * cells);
  t->b_mask = malloc(sizeof(int32_t) * cells);
  t->b_labels = malloc(sizeof(int32_t) * (size_t)t->batch_size);
  if (!t->b_ids || !t->b_mask || !t->b_labels) return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory (batch)");
  KP_TRY(kp_bert_from_hf(&t->model, t->hf, (int)t->num_classes, t->st.dev, kp_train_stream_seed(t->st.seed, 1)));
  t->model_ready = true;
  kp_hf_bert_close(t->hf);
  t->hf = NULL;
  t->st.params = &t->model.params;
  t->st.drop_seed = &t->model.drop_seed;
  t->st.drop_offset = &t->model.drop_offset;
  t->st.model_name = "bert";
  t->st.model_path = t->model_path;
  t->st.labels = &t->data.label_names;
  if (!strcmp(kp_config_string(c, "optim.weight_decay_scope"), "first_layer"))
    return kp_fail(KP_ERR_UNSUPPORTED, "optim.weight_decay_scope = first_layer is for GNNs; use all or weights with bert");
  return kp_train_state_start(&t->st, NULL);
}

kp_status kp_line_trainer_create(const kp_config *cfg, kp_line_trainer **out) {
  *out = NULL;
  kp_line_trainer *t = calloc(1, sizeof *t);
  if (!t) return kp_fail(KP_ERR_NOMEM, "line trainer: out of memory");
  kp_status s = create(t, cfg);
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
  kp_train_state_free(&t->st);
  kp_tensor_free(&t->class_w);
  free(t->b_ids), free(t->b_mask), free(t->b_labels);
  kp_lines_plan_free(&t->plan);
  kp_wp_batch_free(&t->tok);
  kp_wordpiece_free(t->wp);
  kp_lines_data_free(&t->data);
  free(t);
}

void kp_line_trainer_describe(const kp_line_trainer *t, kp_line_trainer_info *in) {
  memset(in, 0, sizeof *in);
  kp_device_str(t->st.dev, in->device, sizeof in->device);
  in->model_path = t->model_path;
  in->num_lines = t->data.n;
  in->num_classes = t->num_classes;
  for (int s = 0; s < 3; s++) in->split_counts[s] = t->st.nids[s];
  in->batches_per_epoch = t->batches_per_epoch;
  in->steps_per_epoch = t->st.steps_per_epoch;
  in->num_params = kp_params_numel(&t->model.params);
  in->layers = t->model.cfg.num_hidden_layers;
  in->hidden = t->model.cfg.hidden_size;
  in->max_seq_len = t->max_seq_len;
  in->truncated = t->truncated;
  int64_t tokens = 0;
  for (int64_t i = 0; i < t->tok.n; i++) tokens += t->tok.lengths[i];
  in->mean_tokens = t->tok.n ? (double)tokens / (double)t->tok.n : 0.0;
  in->param_bytes = kp_train_state_param_bytes(&t->st);
}

const kp_params *kp_line_trainer_params(const kp_line_trainer *t) { return &t->model.params; }
const kp_strings *kp_line_trainer_labels(const kp_line_trainer *t) { return &t->data.label_names; }
int kp_line_trainer_epoch(const kp_line_trainer *t) { return t->st.epoch; }
double kp_line_trainer_step_time(const kp_line_trainer *t) {
  return t->step_count ? t->step_time_sum / (double)t->step_count : 0.0;
}

kp_status kp_line_trainer_save_checkpoint(kp_line_trainer *t, const char *path, bool final) {
  return kp_train_save_checkpoint(&t->st, path, final);
}
kp_status kp_line_trainer_load_checkpoint(kp_line_trainer *t, const char *path, bool *finished) {
  return kp_train_load_checkpoint(&t->st, path, finished);
}
kp_status kp_line_trainer_load_weights(kp_line_trainer *t, const char *path) {
  return kp_train_load_weights(&t->st, path);
}
