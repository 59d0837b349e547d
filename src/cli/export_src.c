/* kprca-export's source: what the user names (a run directory, its checkpoints/ folder, a checkpoint file
 * or a Hugging Face BERT directory) resolved to one checkpoint, and the model rebuilt from it on the CPU
 * with its weights: a BERT classifier (architecture and tokenizer from the base directory named by the
 * stored model.path, weights and class names from the checkpoint) or a GCN / SAGE / GAT model (architecture
 * from the stored config, feature width from the first layer's weight). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/common.h"
#include "cli/export.h"
#include "kprca/checkpoint.h"
#include "kprca/device.h"
#include "kprca/hf_bert.h"

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* path + which -> a checkpoint file. */
static kp_status resolve(const char *path, const char *which, char *file, size_t n) {
  char ckdir[4200];
  if (!is_dir(path)) {
    if (which) return kp_fail(KP_ERR_INVALID, "%s: --which needs a run directory or checkpoints/ folder", path);
    return kp_ckpt_resolve(path, file, n);
  }
  snprintf(ckdir, sizeof ckdir, "%s/checkpoints", path);
  if (!is_dir(ckdir)) snprintf(ckdir, sizeof ckdir, "%s", path);
  char best[4300];
  snprintf(best, sizeof best, "%s/best.h5", ckdir);
  if (which && !strcmp(which, "best") && !is_file(best))
    return kp_fail(KP_ERR_IO, "%s: no best.h5 (the run kept no best weights; try --which latest)", ckdir);
  if ((!which || !strcmp(which, "best")) && is_file(best)) {
    size_t len = strlen(best);
    if (len >= n) return kp_fail(KP_ERR_INVALID, "%s: path too long", best);
    memcpy(file, best, len + 1);
    return KP_OK;
  }
  return kp_ckpt_resolve(ckdir, file, n);
}

/* The stored config as a kp_config. */
static kp_status load_config(const char *file, const char *text, kp_config **out) {
  char where[4200];
  snprintf(where, sizeof where, "%s:config", file);
  kp_status s = kp_config_new(out);
  if (s == KP_OK) s = kp_config_merge_yaml(*out, text, strlen(text), where);
  if (s == KP_OK) s = kp_config_finish(*out);
  return s;
}

static kp_status open_bert(export_src *src, kp_ckpt *c) {
  char *base = NULL;
  kp_status s = KP_OK;
  if (kp_ckpt_has(c, "model/path")) s = kp_ckpt_get_text(c, "model/path", &base);
  else if (kp_config_string(src->cfg, "model.path")) base = strdup(kp_config_string(src->cfg, "model.path"));
  if (s != KP_OK) return s;
  if (!base || !base[0]) {
    free(base);
    return kp_fail(KP_ERR_FORMAT, "%s: a bert checkpoint without model.path (the base model directory)", src->file);
  }
  snprintf(src->base_dir, sizeof src->base_dir, "%s", base);
  free(base);
  if (!is_dir(src->base_dir))
    return kp_fail(KP_ERR_IO, "%s: model.path '%s' (the base model: config.json and tokenizer files) is not a directory "
                   "here", src->file, src->base_dir);
  kp_hf_bert *h = NULL;
  KP_TRY(kp_hf_bert_open(src->base_dir, &h));
  s = kp_bert_from_hf(&src->bert, h, (int)src->labels.n, kp_cpu(), 0);
  kp_hf_bert_close(h);
  if (s != KP_OK) return s;
  src->have_model = true;
  s = kp_ckpt_get_flat(c, "params", &src->bert.params, &src->bert.params.data);
  if (s != KP_OK) return kp_fail_context(s, "%s does not match the model of %s", src->file, src->base_dir);
  return KP_OK;
}

static kp_status open_gnn(export_src *src, kp_ckpt *c) {
  kp_h5 *h = NULL;
  int nd = 0;
  int64_t shape[8] = {0};
  KP_TRY(kp_h5_open(src->file, &h));
  const char *first[] = {"params/convs.0.lin.weight", "params/convs.0.lin_l.weight"};
  kp_status s = kp_fail(KP_ERR_FORMAT, "%s: no first-layer weight (params/convs.0.lin.weight or lin_l.weight)",
                        src->file);
  for (int i = 0; i < 2; i++)
    if (kp_h5_exists(h, first[i])) {
      s = kp_h5_shape_nd(h, first[i], &nd, shape);
      if (s == KP_OK && nd != 2) s = kp_fail(KP_ERR_FORMAT, "%s: %s is not a matrix", src->file, first[i]);
      break;
    }
  kp_h5_close(h);
  if (s != KP_OK) return s;
  kp_gnn_config mc;
  KP_TRY(export_gnn_config(src->cfg, shape[1], src->labels.n, &mc));
  KP_TRY(kp_gnn_init(&src->gnn, &mc, kp_cpu()));
  src->have_model = true;
  s = kp_ckpt_get_flat(c, "params", &src->gnn.params, &src->gnn.params.data);
  if (s != KP_OK) return kp_fail_context(s, "%s does not match the model its config describes", src->file);
  return KP_OK;
}

static kp_status open_checkpoint(export_src *src) {
  kp_ckpt *c = NULL;
  char *text = NULL;
  KP_TRY(kp_ckpt_open(src->file, &c));
  kp_status s = kp_ckpt_get_text(c, "config", &text);
  if (s == KP_OK) s = kp_ckpt_get_strings(c, "labels/names", &src->labels);
  if (s != KP_OK) s = kp_fail_context(KP_ERR_FORMAT, "%s is not a kprca-train checkpoint", src->file);
  if (s == KP_OK && src->labels.n < 1) s = kp_fail(KP_ERR_FORMAT, "%s: no class names", src->file);
  if (s == KP_OK && kp_ckpt_has(c, "state/epoch")) s = kp_ckpt_get_int(c, "state/epoch", &src->epoch);
  if (s == KP_OK) s = load_config(src->file, text, &src->cfg);
  free(text);
  if (s == KP_OK) {
    bool bert = !strcmp(kp_config_string(src->cfg, "model.name"), "bert");
    src->kind = bert ? EXPORT_BERT : EXPORT_GNN;
    s = bert ? open_bert(src, c) : open_gnn(src, c);
  }
  kp_ckpt_close(c);
  return s;
}

static kp_status open_hf(export_src *src, const char *dir) {
  kp_hf_bert *h = NULL;
  src->kind = EXPORT_BERT;
  src->from_hf = true;
  snprintf(src->file, sizeof src->file, "%s", dir);
  snprintf(src->base_dir, sizeof src->base_dir, "%s", dir);
  KP_TRY(kp_hf_bert_open(dir, &h));
  kp_status s = KP_OK;
  if (!(kp_hf_bert_parts(h) & KP_BERT_CLASSIFIER))
    s = kp_fail(KP_ERR_INVALID, "%s: the model has no classification head (classifier.weight) to export", dir);
  if (s == KP_OK) s = kp_bert_from_hf(&src->bert, h, 0, kp_cpu(), 0);
  if (s == KP_OK) {
    src->have_model = true;
    const kp_bert_config *hc = kp_hf_bert_config(h);
    int C = src->bert.cfg.num_labels;
    char **names = calloc((size_t)C, sizeof *names);
    char tmp[32];
    for (int i = 0; names && i < C; i++) {
      snprintf(tmp, sizeof tmp, "LABEL_%d", i);
      names[i] = hc->id2label && hc->num_labels == C ? hc->id2label[i] : tmp;
      names[i] = strdup(names[i]);
    }
    s = names ? kp_strings_copy(&src->labels, C, (const char *const *)names) : kp_fail(KP_ERR_NOMEM, "out of memory");
    for (int i = 0; names && i < C; i++) free(names[i]);
    free(names);
  }
  kp_hf_bert_close(h);
  return s;
}

kp_status export_src_open(const char *path, const char *which, export_src *src) {
  memset(src, 0, sizeof *src);
  src->epoch = -1;
  struct stat st;
  if (stat(path, &st) != 0)
    return kp_fail(KP_ERR_IO, "%s: no such run, checkpoint or model directory", path);
  char cj[4200];
  snprintf(cj, sizeof cj, "%s/config.json", path);
  if (is_dir(path) && is_file(cj)) {
    if (which) return kp_fail(KP_ERR_INVALID, "%s: --which applies to runs, and this is a model directory", path);
    return open_hf(src, path);
  }
  KP_TRY(resolve(path, which, src->file, sizeof src->file));
  cli_checkpoint_run_dir(src->file, src->run_dir, sizeof src->run_dir);
  return open_checkpoint(src);
}

void export_src_close(export_src *src) {
  if (src->have_model) {
    if (src->kind == EXPORT_BERT) kp_bert_free(&src->bert);
    else kp_gnn_free(&src->gnn);
  }
  kp_config_free(src->cfg);
  kp_strings_free(&src->labels);
  memset(src, 0, sizeof *src);
}
