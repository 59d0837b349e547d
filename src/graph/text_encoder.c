/* Sentence embeddings of log texts with a BERT encoder (text_encoder.h): the model comes from a HF directory or
 * a kprca-train bert checkpoint (base directory from the stored config's model.path); distinct texts are
 * interned, the new ones tokenized, sorted by length and encoded in padded batches; each text's embedding (and
 * class probabilities when there is a head) stays in the cache. */
#include "kprca/text_encoder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data/strtab.h"
#include "kprca/bert_text.h"
#include "kprca/checkpoint.h"
#include "kprca/config.h"
#include "kprca/device.h"

struct kp_text_encoder {
  kp_bert_text bt;    /* model, tokenizer, class names (bt.C 0: no head) */
  int H;              /* hidden size (the width of an embedding) */
  int32_t max_len;
  int64_t batch;
  char desc[600];
  kp_strtab tab;      /* distinct texts; id = cache row */
  float *emb, *prob;  /* [cap, H], [cap, C] */
  int64_t done, cap;  /* rows 0 .. done-1 are encoded */
  kp_text_encoder_stats st;
};

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* A kprca-train checkpoint of a bert line classifier: base model from model.path, weights from params. */
static kp_status open_checkpoint(kp_text_encoder *e, const char *path, char *file, size_t n) {
  KP_TRY(kp_ckpt_resolve(path, file, n));
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(file, &c));
  char *text = NULL;
  kp_config *cfg = NULL;
  kp_status s = kp_ckpt_get_text(c, "config", &text);
  if (s == KP_OK) s = kp_config_new(&cfg);
  if (s == KP_OK) s = kp_config_merge_yaml(cfg, text, strlen(text), file);
  const char *name = s == KP_OK ? kp_config_string(cfg, "model.name") : NULL;
  const char *base = s == KP_OK ? kp_config_string(cfg, "model.path") : NULL;
  if (s == KP_OK && (!name || strcmp(name, "bert")))
    s = kp_fail(KP_ERR_UNSUPPORTED, "%s: a %s checkpoint; the encoder needs a bert line classifier (model.name bert)",
                file, name ? name : "(unnamed)");
  if (s == KP_OK && (!base || !*base))
    s = kp_fail(KP_ERR_FORMAT, "%s: the stored config has no model.path (the base BERT directory)", file);
  if (s == KP_OK && e->max_len <= 0) e->max_len = (int32_t)kp_config_int(cfg, "data.max_seq_len");
  if (s == KP_OK) s = kp_bert_text_open_ckpt(&e->bt, c, file, base, kp_cpu());
  kp_config_free(cfg);
  free(text);
  kp_ckpt_close(c);
  return s;
}

kp_status kp_text_encoder_open(const char *path, int32_t max_len, int64_t batch, kp_text_encoder **out) {
  *out = NULL;
  if (!path || !exists(path))
    return kp_fail(KP_ERR_IO, "%s: no such encoder (a HF BERT directory, or a kprca-train bert run or checkpoint)",
                   path ? path : "(null)");
  kp_text_encoder *e = calloc(1, sizeof *e);
  if (!e) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  e->max_len = max_len;
  e->batch = batch > 0 ? batch : 64;
  char file[4096];
  snprintf(file, sizeof file, "%s", path);
  kp_status s = kp_bert_text_is_hf_dir(path) ? kp_bert_text_open_dir(&e->bt, path, false, kp_cpu())
                                             : open_checkpoint(e, path, file, sizeof file);
  if (s == KP_OK) {
    e->H = e->bt.bert.cfg.hidden_size;
    int pos = e->bt.bert.cfg.max_position_embeddings;
    if (e->max_len <= 0) e->max_len = 256;
    if (e->max_len > pos) e->max_len = pos;
    if (e->max_len < 2) e->max_len = 2;
    snprintf(e->desc, sizeof e->desc, "bert %d layers, hidden %d, %d classes, max %d tokens, mean pooling, from %.400s",
             e->bt.bert.cfg.num_hidden_layers, e->H, e->bt.C, e->max_len, file);
  }
  if (s != KP_OK) {
    kp_text_encoder_free(e);
    return s;
  }
  *out = e;
  return KP_OK;
}

void kp_text_encoder_free(kp_text_encoder *e) {
  if (!e) return;
  kp_bert_text_free(&e->bt);
  kp_strtab_free(&e->tab);
  free(e->emb), free(e->prob);
  free(e);
}

int kp_text_encoder_dim(const kp_text_encoder *e) { return e->H; }
int kp_text_encoder_classes(const kp_text_encoder *e) { return e->bt.C; }
const char *kp_text_encoder_label(const kp_text_encoder *e, int c) {
  return c >= 0 && c < e->bt.C ? e->bt.labels[c] : NULL;
}
const char *kp_text_encoder_describe(const kp_text_encoder *e) { return e->desc; }
kp_text_encoder_stats kp_text_encoder_get_stats(const kp_text_encoder *e) { return e->st; }

/* Encodes cache rows done .. tab.n-1 (texts interned but not yet run). */
static kp_status encode_pending(kp_text_encoder *e) {
  int64_t n0 = e->done, n = (int64_t)e->tab.n - n0;
  if (n <= 0) return KP_OK;
  kp_wp_batch tok = {0};
  int64_t *order = malloc(sizeof *order * (size_t)n);
  int32_t *ids = malloc(sizeof *ids * (size_t)(e->batch * e->max_len));
  int32_t *mask = malloc(sizeof *mask * (size_t)(e->batch * e->max_len));
  float *logits = e->bt.C ? malloc(sizeof *logits * (size_t)(e->batch * e->bt.C)) : NULL;
  kp_status s = order && ids && mask && (logits || !e->bt.C) ? KP_OK : kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  if (s == KP_OK) s = kp_wordpiece_encode_batch(e->bt.wp, n, (const char *const *)e->tab.s + n0, e->max_len, 0, &tok);
  if (s == KP_OK) kp_bert_text_order(&tok, n, order);
  float *rows = NULL;
  if (s == KP_OK) rows = malloc(sizeof *rows * (size_t)(e->batch * e->H));
  if (s == KP_OK && !rows) s = kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  for (int64_t b0 = 0; b0 < n && s == KP_OK; b0 += e->batch) {
    int64_t nb = n - b0 < e->batch ? n - b0 : e->batch;
    const int64_t *r = order + b0;
    int32_t width = tok.lengths[r[nb - 1]];
    s = kp_wp_batch_pad(e->bt.wp, &tok, nb, r, width, ids, mask, NULL);
    kp_bert_batch bb = {nb, width, ids, mask, NULL};
    if (s == KP_OK) s = kp_bert_embed(&e->bt.bert, &bb, KP_BERT_POOL_MEAN, true, rows);
    if (s == KP_OK && e->bt.C) {
      int64_t shape[2] = {nb, e->bt.C};
      kp_tensor host = kp_tensor_wrap(logits, KP_F32, kp_cpu(), 2, shape);
      s = kp_tensor_copy(&host, &e->bt.bert.logits);
    }
    for (int64_t k = 0; k < nb && s == KP_OK; k++) {
      int64_t row = n0 + r[k];
      memcpy(e->emb + row * e->H, rows + k * e->H, sizeof *rows * (size_t)e->H);
      e->st.tokens += tok.lengths[r[k]];
      if (e->bt.C) kp_bert_text_softmax(logits + k * e->bt.C, e->bt.C, e->prob + row * e->bt.C);
    }
    e->st.batches++, e->st.padded += nb * width;
  }
  if (s == KP_OK) e->done = e->tab.n, e->st.encoded += n;
  kp_wp_batch_free(&tok);
  free(order), free(ids), free(mask), free(logits), free(rows);
  return s;
}

/* Interns texts (growing the cache), encodes the new ones, and writes each text's row id into row. */
static kp_status lookup(kp_text_encoder *e, int64_t n, const char *const *texts, int32_t *row) {
  for (int64_t i = 0; i < n; i++) {
    if (!texts[i]) return kp_fail(KP_ERR_INVALID, "encoder: text %lld is NULL", (long long)i);
    row[i] = kp_strtab_intern(&e->tab, texts[i], strlen(texts[i]));
    if (row[i] < 0) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory for the text cache");
    if (row[i] >= e->cap) {
      int64_t c = e->cap ? 2 * e->cap : 1024;
      float *a = realloc(e->emb, sizeof *a * (size_t)(c * e->H));
      if (a) e->emb = a;
      float *p = e->bt.C ? realloc(e->prob, sizeof *p * (size_t)(c * e->bt.C)) : NULL;
      if (p) e->prob = p;
      if (!a || (e->bt.C && !p))
        return kp_fail(KP_ERR_NOMEM, "encoder: out of memory for %lld cached texts", (long long)c);
      e->cap = c;
    }
  }
  e->st.requested += n;
  return encode_pending(e);
}

kp_status kp_text_encoder_embed(kp_text_encoder *e, int64_t n, const char *const *texts, float *out) {
  if (n <= 0) return KP_OK;
  int32_t *row = malloc(sizeof *row * (size_t)n);
  if (!row) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  kp_status s = lookup(e, n, texts, row);
  for (int64_t i = 0; i < n && s == KP_OK; i++)
    memcpy(out + i * e->H, e->emb + (int64_t)row[i] * e->H, sizeof *out * (size_t)e->H);
  free(row);
  return s;
}

kp_status kp_text_encoder_classify(kp_text_encoder *e, int64_t n, const char *const *texts, float *probs) {
  if (!e->bt.C)
    return kp_fail(KP_ERR_INVALID, "%s: the encoder has no classification head (give a fine-tuned line classifier)",
                   e->desc);
  if (n <= 0) return KP_OK;
  int32_t *row = malloc(sizeof *row * (size_t)n);
  if (!row) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  kp_status s = lookup(e, n, texts, row);
  for (int64_t i = 0; i < n && s == KP_OK; i++)
    memcpy(probs + i * e->bt.C, e->prob + (int64_t)row[i] * e->bt.C, sizeof *probs * (size_t)e->bt.C);
  free(row);
  return s;
}
