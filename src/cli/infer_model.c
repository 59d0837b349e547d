/* kprca-infer's line model: a BERT sequence classifier from a Hugging Face directory (config.json with a
 * classifier head, model.safetensors, vocab.txt) or from a kprca-train checkpoint of model.name bert (the
 * checkpoint's config names the base directory in model.path, which gives the architecture and the
 * tokenizer; the weights and class names come from the checkpoint). Texts are tokenized with WordPiece,
 * sorted by length and run in batches padded to their longest line; probabilities are the softmax of the
 * logits. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>
#include "cli/infer.h"
#include "kprca/bert_text.h"
#include "kprca/checkpoint.h"
#include "kprca/device.h"

struct infer_model {
  kp_bert_text bt; /* model, tokenizer, class names */
  kp_device dev;
  int32_t max_len;
  int64_t batch;
  char desc[512];
  kp_wp_batch tok;
  int32_t *ids, *mask;
  int64_t *order;
  float *logits;
  int64_t cap_rows, cap_cells;
};

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* The scalar at section.key of a YAML mapping text (the resolved config a checkpoint stores), copied into out;
 * false when absent. */
static bool yaml_get(const char *text, const char *section, const char *key, char *out, size_t n) {
  yaml_parser_t p;
  yaml_document_t d;
  bool ok = false;
  if (!yaml_parser_initialize(&p)) return false;
  yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
  if (!yaml_parser_load(&p, &d)) {
    yaml_parser_delete(&p);
    return false;
  }
  yaml_node_t *root = yaml_document_get_root_node(&d);
  for (int level = 0; root && root->type == YAML_MAPPING_NODE && level < 2 && !ok; level++) {
    const char *want = level == 0 ? section : key;
    yaml_node_t *next = NULL;
    for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top; q++) {
      yaml_node_t *k = yaml_document_get_node(&d, q->key);
      if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, want))
        next = yaml_document_get_node(&d, q->value);
    }
    root = next;
    if (level == 1 && root && root->type == YAML_SCALAR_NODE) {
      snprintf(out, n, "%s", (const char *)root->data.scalar.value);
      ok = strcmp(out, "null") && strcmp(out, "~") && out[0];
    }
  }
  yaml_document_delete(&d);
  yaml_parser_delete(&p);
  return ok;
}

static kp_status open_checkpoint(infer_model *m, const char *path, char *file, size_t n) {
  KP_TRY(kp_ckpt_resolve(path, file, n));
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(file, &c));
  char *cfg = NULL, name[64] = "", base[4096] = "", maxlen[32] = "";
  kp_status s = kp_ckpt_get_text(c, "config", &cfg);
  if (s == KP_OK && !yaml_get(cfg, "model", "name", name, sizeof name))
    s = kp_fail(KP_ERR_FORMAT, "%s: the stored config has no model.name", file);
  if (s == KP_OK && strcmp(name, "bert"))
    s = kp_fail(KP_ERR_UNSUPPORTED,
                "%s: a %s checkpoint (graph model); kprca-infer scores lines with a bert line classifier "
                "(docs/infer.md says what incident graphs still need)",
                file, name);
  if (s == KP_OK && !yaml_get(cfg, "model", "path", base, sizeof base))
    s = kp_fail(KP_ERR_FORMAT, "%s: the stored config has no model.path (the base BERT directory)", file);
  if (s == KP_OK && yaml_get(cfg, "data", "max_seq_len", maxlen, sizeof maxlen) && !m->max_len)
    m->max_len = (int32_t)atoi(maxlen);
  if (s == KP_OK) s = kp_bert_text_open_ckpt(&m->bt, c, file, base, m->dev);
  free(cfg);
  kp_ckpt_close(c);
  return s;
}

kp_status infer_model_open(const char *path, const char *device, int max_length, infer_model **out) {
  *out = NULL;
  if (!exists(path)) return kp_fail(KP_ERR_IO, "%s: no such model (a run directory, checkpoint or model directory)", path);
  infer_model *m = calloc(1, sizeof *m);
  if (!m) return kp_fail(KP_ERR_NOMEM, "model: out of memory");
  m->max_len = max_length;
  kp_status s = kp_device_parse(device, &m->dev);
  char file[4096];
  snprintf(file, sizeof file, "%s", path);
  if (s == KP_OK)
    s = kp_bert_text_is_hf_dir(path) ? kp_bert_text_open_dir(&m->bt, path, true, m->dev)
                                     : open_checkpoint(m, path, file, sizeof file);
  if (s == KP_OK) {
    int pos = m->bt.bert.cfg.max_position_embeddings;
    if (m->max_len <= 0) m->max_len = 128;
    if (m->max_len > pos) m->max_len = pos;
    if (m->max_len < 2) m->max_len = 2;
    char dev[32];
    snprintf(m->desc, sizeof m->desc, "bert %d layers, hidden %d, %d classes, max %d tokens, on %s, from %.400s",
             m->bt.bert.cfg.num_hidden_layers, m->bt.bert.cfg.hidden_size, m->bt.C, m->max_len,
             kp_device_str(m->dev, dev, sizeof dev), file);
  }
  if (s != KP_OK) {
    infer_model_close(m);
    return s;
  }
  *out = m;
  return KP_OK;
}

int infer_model_classes(const infer_model *m) { return m->bt.C; }
const char *infer_model_label(const infer_model *m, int c) { return m->bt.labels[c]; }
const char *infer_model_describe(const infer_model *m) { return m->desc; }

static kp_status reserve(infer_model *m, int64_t rows, int64_t cells) {
  if (rows > m->cap_rows) {
    int64_t *o = realloc(m->order, sizeof *o * (size_t)rows);
    if (o) m->order = o;
    float *l = realloc(m->logits, sizeof *l * (size_t)rows * (size_t)m->bt.C);
    if (l) m->logits = l;
    if (!o || !l) return kp_fail(KP_ERR_NOMEM, "model: out of memory for %lld lines", (long long)rows);
    m->cap_rows = rows;
  }
  if (cells > m->cap_cells) {
    int32_t *a = realloc(m->ids, sizeof *a * (size_t)cells);
    if (a) m->ids = a;
    int32_t *b = realloc(m->mask, sizeof *b * (size_t)cells);
    if (b) m->mask = b;
    if (!a || !b) return kp_fail(KP_ERR_NOMEM, "model: out of memory for a batch");
    m->cap_cells = cells;
  }
  return KP_OK;
}

kp_status infer_model_score(infer_model *m, int64_t n, const char *const *texts, int64_t batch, float *probs) {
  if (n == 0) return KP_OK;
  if (batch < 1) batch = n;
  KP_TRY(kp_wordpiece_encode_batch(m->bt.wp, n, texts, m->max_len, 0, &m->tok));
  KP_TRY(reserve(m, n, batch * (int64_t)m->max_len));
  kp_bert_text_order(&m->tok, n, m->order);
  int C = m->bt.C;
  for (int64_t b0 = 0; b0 < n; b0 += batch) {
    int64_t nb = n - b0 < batch ? n - b0 : batch;
    const int64_t *rows = m->order + b0;
    int32_t width = m->tok.lengths[rows[nb - 1]];
    KP_TRY(kp_wp_batch_pad(m->bt.wp, &m->tok, nb, rows, width, m->ids, m->mask, NULL));
    kp_bert_batch bb = {nb, width, m->ids, m->mask, NULL};
    KP_TRY(kp_bert_forward(&m->bt.bert, &bb, false));
    int64_t shape[2] = {nb, C};
    kp_tensor host = kp_tensor_wrap(m->logits, KP_F32, kp_cpu(), 2, shape);
    KP_TRY(kp_tensor_copy(&host, &m->bt.bert.logits));
    for (int64_t r = 0; r < nb; r++) kp_bert_text_softmax(m->logits + r * C, C, probs + rows[r] * C);
  }
  return KP_OK;
}

void infer_model_close(infer_model *m) {
  if (!m) return;
  kp_bert_text_free(&m->bt);
  kp_wp_batch_free(&m->tok);
  free(m->ids), free(m->mask), free(m->order), free(m->logits);
  free(m);
}
