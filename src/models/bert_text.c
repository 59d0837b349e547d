/* A BERT that reads log text (bert_text.h): opening it from a Hugging Face directory or a kprca-train bert
 * checkpoint, with tokenizer and class names, and the length order and softmax its scoring loops share. */
#include "kprca/bert_text.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kprca/hf_bert.h"

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool kp_bert_text_is_hf_dir(const char *path) {
  char cfgjson[4200];
  struct stat st;
  snprintf(cfgjson, sizeof cfgjson, "%s/config.json", path);
  return is_dir(path) && stat(cfgjson, &st) == 0;
}

/* C class names: names, or LABEL_c where names is NULL. */
static kp_status set_labels(kp_bert_text *b, int C, char *const *names) {
  b->C = C;
  if (C == 0) return KP_OK;
  b->labels = calloc((size_t)C, sizeof *b->labels);
  if (!b->labels) return kp_fail(KP_ERR_NOMEM, "bert: out of memory for %d class names", C);
  for (int c = 0; c < C; c++) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "LABEL_%d", c);
    b->labels[c] = strdup(names ? names[c] : tmp);
    if (!b->labels[c]) return kp_fail(KP_ERR_NOMEM, "bert: out of memory for %d class names", C);
  }
  return KP_OK;
}

/* The model and tokenizer of a HF directory; num_labels > 0 builds a head of that many classes, else the file's
 * head when it has one, else (need_head) one of config.json's num_labels, else none. */
static kp_status open_base(kp_bert_text *b, const char *dir, int num_labels, bool need_head, kp_device dev,
                           kp_hf_bert **h) {
  KP_TRY(kp_hf_bert_open(dir, h));
  bool file_head = kp_hf_bert_parts(*h) & KP_BERT_CLASSIFIER;
  if (need_head && !num_labels && !file_head && kp_hf_bert_config(*h)->num_labels < 1)
    return kp_fail(KP_ERR_INVALID,
                   "%s: the model has no classification head (classifier.weight) and config.json names no labels; "
                   "give a fine-tuned model or a kprca-train checkpoint",
                   dir);
  kp_status s = kp_wordpiece_load_dir(dir, &b->wp);
  if (s != KP_OK) return kp_fail_context(s, "%s: tokenizer", dir);
  if (!num_labels && (file_head || need_head)) num_labels = kp_hf_bert_config(*h)->num_labels;
  KP_TRY(kp_bert_from_hf(&b->bert, *h, num_labels, dev, 0));
  b->have_bert = true;
  if (need_head && (b->bert.cfg.num_labels < 1 || !(b->bert.parts & KP_BERT_CLASSIFIER)))
    return kp_fail(KP_ERR_INTERNAL, "%s: the classifier was not built", dir);
  return KP_OK;
}

kp_status kp_bert_text_open_dir(kp_bert_text *b, const char *dir, bool need_head, kp_device dev) {
  kp_hf_bert *h = NULL;
  kp_status s = open_base(b, dir, 0, need_head, dev, &h);
  if (s == KP_OK) {
    const kp_bert_config *c = kp_hf_bert_config(h);
    int C = (b->bert.parts & KP_BERT_CLASSIFIER) ? b->bert.cfg.num_labels : 0;
    s = set_labels(b, C, c->id2label && c->num_labels == C ? c->id2label : NULL);
  }
  kp_hf_bert_close(h);
  return s;
}

kp_status kp_bert_text_open_ckpt(kp_bert_text *b, kp_ckpt *c, const char *file, const char *base, kp_device dev) {
  if (!is_dir(base))
    return kp_fail(KP_ERR_IO,
                   "%s: model.path '%s' (the base model: architecture and vocab.txt) is not a directory here", file,
                   base);
  kp_strings labels = {0};
  kp_hf_bert *h = NULL;
  kp_status s = kp_ckpt_get_strings(c, "labels/names", &labels);
  if (s == KP_OK && labels.n < 1) s = kp_fail(KP_ERR_FORMAT, "%s: no class names", file);
  if (s == KP_OK) s = open_base(b, base, (int)labels.n, false, dev, &h);
  if (s == KP_OK) {
    s = kp_ckpt_get_flat(c, "params", &b->bert.params, &b->bert.params.data);
    if (s != KP_OK) s = kp_fail_context(s, "%s does not match the model of %s", file, base);
  }
  if (s == KP_OK) s = set_labels(b, (int)labels.n, labels.s);
  kp_strings_free(&labels);
  kp_hf_bert_close(h);
  return s;
}

void kp_bert_text_free(kp_bert_text *b) {
  if (b->have_bert) kp_bert_free(&b->bert);
  kp_wordpiece_free(b->wp);
  for (int c = 0; c < b->C && b->labels; c++) free(b->labels[c]);
  free(b->labels);
  memset(b, 0, sizeof *b);
}

static const kp_wp_batch *sort_tok;
static int by_len(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  int32_t lx = sort_tok->lengths[x], ly = sort_tok->lengths[y];
  if (lx != ly) return lx < ly ? -1 : 1;
  return (x > y) - (x < y);
}

void kp_bert_text_order(const kp_wp_batch *tok, int64_t n, int64_t *order) {
  for (int64_t i = 0; i < n; i++) order[i] = i;
  sort_tok = tok;
  qsort(order, (size_t)n, sizeof *order, by_len);
}

void kp_bert_text_softmax(const float *z, int C, float *p) {
  float mx = z[0];
  for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
  double sum = 0;
  for (int c = 0; c < C; c++) sum += exp((double)z[c] - mx);
  for (int c = 0; c < C; c++) p[c] = (float)(exp((double)z[c] - mx) / sum);
}
