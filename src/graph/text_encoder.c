/* Sentence embeddings of log texts with a BERT encoder (text_encoder.h): the model comes from a HF directory or
 * a kprca-train bert checkpoint (base directory from the stored config's model.path); distinct texts are
 * interned, the new ones tokenized, sorted by length and encoded in padded batches; each text's embedding (and
 * class probabilities when there is a head) stays in the cache. */
#include "kprca/text_encoder.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data/strtab.h"
#include "kprca/bert.h"
#include "kprca/checkpoint.h"
#include "kprca/config.h"
#include "kprca/device.h"
#include "kprca/hf_bert.h"
#include "kprca/wordpiece.h"

struct kp_text_encoder {
  kp_bert bert;
  bool have_bert;
  kp_wordpiece *wp;
  int H, C;
  char **labels;
  int32_t max_len;
  int64_t batch;
  char desc[600];
  kp_strtab tab;      /* distinct texts; id = cache row */
  float *emb, *prob;  /* [cap, H], [cap, C] */
  int64_t done, cap;  /* rows 0 .. done-1 are encoded */
  kp_text_encoder_stats st;
};

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static kp_status set_labels(kp_text_encoder *e, int C, char *const *names) {
  e->C = C;
  if (C == 0) return KP_OK;
  e->labels = calloc((size_t)C, sizeof *e->labels);
  if (!e->labels) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  for (int c = 0; c < C; c++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "LABEL_%d", c);
    e->labels[c] = strdup(names ? names[c] : tmp);
    if (!e->labels[c]) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  }
  return KP_OK;
}

/* The model and tokenizer of a HF directory; num_labels > 0 builds a head of that many classes, else the
 * file's head when it has one, else none. */
static kp_status open_base(kp_text_encoder *e, const char *dir, int num_labels, kp_hf_bert **h) {
  KP_TRY(kp_hf_bert_open(dir, h));
  kp_status s = kp_wordpiece_load_dir(dir, &e->wp);
  if (s != KP_OK) return kp_fail_context(s, "%s: tokenizer", dir);
  if (!num_labels && (kp_hf_bert_parts(*h) & KP_BERT_CLASSIFIER)) num_labels = kp_hf_bert_config(*h)->num_labels;
  KP_TRY(kp_bert_from_hf(&e->bert, *h, num_labels, kp_cpu(), 0));
  e->have_bert = true;
  e->H = e->bert.cfg.hidden_size;
  return KP_OK;
}

static kp_status open_hf_dir(kp_text_encoder *e, const char *dir) {
  kp_hf_bert *h = NULL;
  kp_status s = open_base(e, dir, 0, &h);
  if (s == KP_OK) {
    const kp_bert_config *c = kp_hf_bert_config(h);
    int C = (e->bert.parts & KP_BERT_CLASSIFIER) ? e->bert.cfg.num_labels : 0;
    s = set_labels(e, C, c->id2label && c->num_labels == C ? c->id2label : NULL);
  }
  kp_hf_bert_close(h);
  return s;
}

/* A kprca-train checkpoint of a bert line classifier: base model from model.path, weights from params. */
static kp_status open_checkpoint(kp_text_encoder *e, const char *path, char *file, size_t n) {
  KP_TRY(kp_ckpt_resolve(path, file, n));
  kp_ckpt *c = NULL;
  KP_TRY(kp_ckpt_open(file, &c));
  char *text = NULL;
  kp_config *cfg = NULL;
  kp_strings labels = {0};
  kp_hf_bert *h = NULL;
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
  if (s == KP_OK && !is_dir(base))
    s = kp_fail(KP_ERR_IO, "%s: model.path '%s' (the base model: architecture and vocab.txt) is not a directory here",
                file, base);
  if (s == KP_OK && e->max_len <= 0) e->max_len = (int32_t)kp_config_int(cfg, "data.max_seq_len");
  if (s == KP_OK) s = kp_ckpt_get_strings(c, "labels/names", &labels);
  if (s == KP_OK && labels.n < 1) s = kp_fail(KP_ERR_FORMAT, "%s: no class names", file);
  if (s == KP_OK) s = open_base(e, base, (int)labels.n, &h);
  if (s == KP_OK) {
    s = kp_ckpt_get_flat(c, "params", &e->bert.params, &e->bert.params.data);
    if (s != KP_OK) s = kp_fail_context(s, "%s does not match the model of %s", file, base);
  }
  if (s == KP_OK) s = set_labels(e, (int)labels.n, labels.s);
  kp_strings_free(&labels);
  kp_hf_bert_close(h);
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
  char file[4096], cfgjson[4200];
  snprintf(file, sizeof file, "%s", path);
  snprintf(cfgjson, sizeof cfgjson, "%s/config.json", path);
  kp_status s = is_dir(path) && exists(cfgjson) ? open_hf_dir(e, path) : open_checkpoint(e, path, file, sizeof file);
  if (s == KP_OK) {
    int pos = e->bert.cfg.max_position_embeddings;
    if (e->max_len <= 0) e->max_len = 256;
    if (e->max_len > pos) e->max_len = pos;
    if (e->max_len < 2) e->max_len = 2;
    snprintf(e->desc, sizeof e->desc, "bert %d layers, hidden %d, %d classes, max %d tokens, mean pooling, from %.400s",
             e->bert.cfg.num_hidden_layers, e->H, e->C, e->max_len, file);
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
  if (e->have_bert) kp_bert_free(&e->bert);
  kp_wordpiece_free(e->wp);
  for (int c = 0; c < e->C && e->labels; c++) free(e->labels[c]);
  free(e->labels);
  kp_strtab_free(&e->tab);
  free(e->emb), free(e->prob);
  free(e);
}

int kp_text_encoder_dim(const kp_text_encoder *e) { return e->H; }
int kp_text_encoder_classes(const kp_text_encoder *e) { return e->C; }
const char *kp_text_encoder_label(const kp_text_encoder *e, int c) { return c >= 0 && c < e->C ? e->labels[c] : NULL; }
const char *kp_text_encoder_describe(const kp_text_encoder *e) { return e->desc; }
kp_text_encoder_stats kp_text_encoder_get_stats(const kp_text_encoder *e) { return e->st; }

static const kp_wp_batch *sort_tok;
static int by_len(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  int32_t lx = sort_tok->lengths[x], ly = sort_tok->lengths[y];
  if (lx != ly) return lx < ly ? -1 : 1;
  return (x > y) - (x < y);
}

/* Encodes cache rows done .. tab.n-1 (texts interned but not yet run). */
static kp_status encode_pending(kp_text_encoder *e) {
  int64_t n0 = e->done, n = (int64_t)e->tab.n - n0;
  if (n <= 0) return KP_OK;
  kp_wp_batch tok = {0};
  int64_t *order = malloc(sizeof *order * (size_t)n);
  int32_t *ids = malloc(sizeof *ids * (size_t)(e->batch * e->max_len));
  int32_t *mask = malloc(sizeof *mask * (size_t)(e->batch * e->max_len));
  float *logits = e->C ? malloc(sizeof *logits * (size_t)(e->batch * e->C)) : NULL;
  kp_status s = order && ids && mask && (logits || !e->C) ? KP_OK : kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  if (s == KP_OK) s = kp_wordpiece_encode_batch(e->wp, n, (const char *const *)e->tab.s + n0, e->max_len, 0, &tok);
  if (s == KP_OK) {
    for (int64_t i = 0; i < n; i++) order[i] = i;
    sort_tok = &tok;
    qsort(order, (size_t)n, sizeof *order, by_len);
  }
  float *rows = NULL;
  if (s == KP_OK) rows = malloc(sizeof *rows * (size_t)(e->batch * e->H));
  if (s == KP_OK && !rows) s = kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  for (int64_t b0 = 0; b0 < n && s == KP_OK; b0 += e->batch) {
    int64_t nb = n - b0 < e->batch ? n - b0 : e->batch;
    const int64_t *r = order + b0;
    int32_t width = tok.lengths[r[nb - 1]];
    s = kp_wp_batch_pad(e->wp, &tok, nb, r, width, ids, mask, NULL);
    kp_bert_batch bb = {nb, width, ids, mask, NULL};
    if (s == KP_OK) s = kp_bert_embed(&e->bert, &bb, KP_BERT_POOL_MEAN, true, rows);
    if (s == KP_OK && e->C) {
      int64_t shape[2] = {nb, e->C};
      kp_tensor host = kp_tensor_wrap(logits, KP_F32, kp_cpu(), 2, shape);
      s = kp_tensor_copy(&host, &e->bert.logits);
    }
    for (int64_t k = 0; k < nb && s == KP_OK; k++) {
      int64_t row = n0 + r[k];
      memcpy(e->emb + row * e->H, rows + k * e->H, sizeof *rows * (size_t)e->H);
      e->st.tokens += tok.lengths[r[k]];
      if (!e->C) continue;
      const float *z = logits + k * e->C;
      float *p = e->prob + row * e->C, mx = z[0];
      for (int c = 1; c < e->C; c++) mx = z[c] > mx ? z[c] : mx;
      double sum = 0;
      for (int c = 0; c < e->C; c++) sum += exp((double)z[c] - mx);
      for (int c = 0; c < e->C; c++) p[c] = (float)(exp((double)z[c] - mx) / sum);
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
      float *p = e->C ? realloc(e->prob, sizeof *p * (size_t)(c * e->C)) : NULL;
      if (p) e->prob = p;
      if (!a || (e->C && !p)) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory for %lld cached texts", (long long)c);
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
  if (!e->C) return kp_fail(KP_ERR_INVALID, "%s: the encoder has no classification head (give a fine-tuned line classifier)",
                           e->desc);
  if (n <= 0) return KP_OK;
  int32_t *row = malloc(sizeof *row * (size_t)n);
  if (!row) return kp_fail(KP_ERR_NOMEM, "encoder: out of memory");
  kp_status s = lookup(e, n, texts, row);
  for (int64_t i = 0; i < n && s == KP_OK; i++)
    memcpy(probs + i * e->C, e->prob + (int64_t)row[i] * e->C, sizeof *probs * (size_t)e->C);
  free(row);
  return s;
}
