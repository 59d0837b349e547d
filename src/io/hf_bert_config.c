/* BERT config.json (transformers' BertConfig) and the parameter table of a BERT with that config. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/hf_bert.h"

void kp_bert_config_defaults(kp_bert_config *c) {
  *c = (kp_bert_config){.vocab_size = 30522, .hidden_size = 768, .num_hidden_layers = 12,
                        .num_attention_heads = 12, .intermediate_size = 3072, .max_position_embeddings = 512,
                        .type_vocab_size = 2, .pad_token_id = 0, .layer_norm_eps = 1e-12f,
                        .hidden_dropout_prob = 0.1f, .attention_probs_dropout_prob = 0.1f,
                        .initializer_range = 0.02f, .num_labels = 0, .id2label = NULL};
}

void kp_bert_config_free(kp_bert_config *c) {
  if (!c || !c->id2label) return;
  for (int i = 0; i < c->num_labels; i++) free(c->id2label[i]);
  free(c->id2label);
  c->id2label = NULL;
}

kp_status kp_bert_config_check(const kp_bert_config *c, const char *what) {
  const struct {
    const char *key;
    int v;
  } sizes[] = {{"vocab_size", c->vocab_size},
               {"hidden_size", c->hidden_size},
               {"num_hidden_layers", c->num_hidden_layers},
               {"num_attention_heads", c->num_attention_heads},
               {"intermediate_size", c->intermediate_size},
               {"max_position_embeddings", c->max_position_embeddings},
               {"type_vocab_size", c->type_vocab_size}};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    if (sizes[i].v < 1) return kp_fail(KP_ERR_FORMAT, "%s: %s is %d, must be at least 1", what, sizes[i].key, sizes[i].v);
  if (c->hidden_size % c->num_attention_heads)
    return kp_fail(KP_ERR_FORMAT, "%s: hidden_size %d is not a multiple of num_attention_heads %d", what,
                   c->hidden_size, c->num_attention_heads);
  if (c->num_hidden_layers > 1000) return kp_fail(KP_ERR_FORMAT, "%s: num_hidden_layers %d is too large", what, c->num_hidden_layers);
  if (!(c->layer_norm_eps > 0.0f) || !isfinite(c->layer_norm_eps))
    return kp_fail(KP_ERR_FORMAT, "%s: layer_norm_eps must be positive", what);
  if (!(c->hidden_dropout_prob >= 0.0f && c->hidden_dropout_prob < 1.0f))
    return kp_fail(KP_ERR_FORMAT, "%s: hidden_dropout_prob must be in [0, 1)", what);
  if (!(c->attention_probs_dropout_prob >= 0.0f && c->attention_probs_dropout_prob < 1.0f))
    return kp_fail(KP_ERR_FORMAT, "%s: attention_probs_dropout_prob must be in [0, 1)", what);
  if (c->pad_token_id < 0 || c->pad_token_id >= c->vocab_size)
    return kp_fail(KP_ERR_FORMAT, "%s: pad_token_id %d is outside the vocabulary (%d)", what, c->pad_token_id,
                   c->vocab_size);
  if (c->num_labels < 0) return kp_fail(KP_ERR_FORMAT, "%s: num_labels is negative", what);
  return KP_OK;
}

static char *read_text(const char *path, size_t *n, kp_status *s) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *s = kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (size_t r; buf && (r = fread(buf + len, 1, cap - len, f)) > 0;) {
    len += r;
    if (len == cap) {
      char *q = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
      if (!q) free(buf);
      buf = q, cap *= 2;
    }
  }
  bool err = ferror(f);
  fclose(f);
  if (!buf || err) {
    free(buf);
    *s = err ? kp_fail(KP_ERR_IO, "%s: cannot read", path) : kp_fail(KP_ERR_FORMAT, "%s: too large for a config", path);
    return NULL;
  }
  *n = len;
  return buf;
}

/* An integer key: absent keeps *v; present must be a whole number (null allowed when nullable). */
static kp_status get_int(const cJSON *root, const char *key, int *v, bool nullable, const char *path) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j || (nullable && cJSON_IsNull(j))) return KP_OK;
  if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) || fabs(j->valuedouble) > 2147483647.0)
    return kp_fail(KP_ERR_FORMAT, "%s: \"%s\" must be an integer", path, key);
  *v = (int)j->valuedouble;
  return KP_OK;
}
static kp_status get_float(const cJSON *root, const char *key, float *v, const char *path) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j) return KP_OK;
  if (!cJSON_IsNumber(j)) return kp_fail(KP_ERR_FORMAT, "%s: \"%s\" must be a number", path, key);
  *v = (float)j->valuedouble;
  return KP_OK;
}
/* A string key that must equal want when present. */
static kp_status want_str(const cJSON *root, const char *key, const char *want, const char *why, const char *path) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j) return KP_OK;
  if (!cJSON_IsString(j)) return kp_fail(KP_ERR_FORMAT, "%s: \"%s\" must be a string", path, key);
  if (strcmp(j->valuestring, want) != 0)
    return kp_fail(KP_ERR_UNSUPPORTED, "%s: %s \"%s\" is not supported (%s)", path, key, j->valuestring, why);
  return KP_OK;
}

static kp_status get_labels(const cJSON *root, kp_bert_config *c, const char *path) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "id2label");
  if (!m || cJSON_IsNull(m)) return KP_OK;
  if (!cJSON_IsObject(m)) return kp_fail(KP_ERR_FORMAT, "%s: \"id2label\" must be an object", path);
  int n = cJSON_GetArraySize(m);
  if (c->num_labels && c->num_labels != n)
    return kp_fail(KP_ERR_FORMAT, "%s: num_labels is %d but id2label has %d entries", path, c->num_labels, n);
  if (n == 0) return KP_OK;
  c->id2label = calloc((size_t)n, sizeof *c->id2label);
  if (!c->id2label) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  c->num_labels = n;
  for (const cJSON *e = m->child; e; e = e->next) {
    char *end;
    long id = strtol(e->string, &end, 10);
    if (!*e->string || *end || id < 0 || id >= n || !cJSON_IsString(e))
      return kp_fail(KP_ERR_FORMAT, "%s: id2label entry \"%s\" is not id (0..%d) -> name", path, e->string, n - 1);
    if (c->id2label[id]) return kp_fail(KP_ERR_FORMAT, "%s: id2label gives id %ld twice", path, id);
    if (!(c->id2label[id] = strdup(e->valuestring))) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  return KP_OK;
}

kp_status kp_bert_config_load(const char *path, kp_bert_config *c) {
  kp_bert_config_defaults(c);
  size_t n = 0;
  kp_status s = KP_OK;
  char *text = read_text(path, &n, &s);
  if (!text) return s;
  cJSON *root = cJSON_ParseWithLength(text, n);
  if (!root) {
    const char *e = cJSON_GetErrorPtr();
    long line = 1, col = 1;
    for (const char *q = text; e && q < e && q < text + n; q++) {
      if (*q == '\n') line++, col = 1;
      else col++;
    }
    free(text);
    return kp_fail(KP_ERR_FORMAT, "%s:%ld:%ld: not valid JSON", path, line, col);
  }
  free(text);
  if (!cJSON_IsObject(root)) s = kp_fail(KP_ERR_FORMAT, "%s: not a JSON object", path);
  /* cJSON finds the first of repeated keys, Python's json the last: refuse the ambiguity */
  for (const cJSON *a = s == KP_OK ? root->child : NULL; a && s == KP_OK; a = a->next)
    for (const cJSON *b = a->next; b && s == KP_OK; b = b->next)
      if (strcmp(a->string, b->string) == 0) s = kp_fail(KP_ERR_FORMAT, "%s: key \"%s\" appears twice", path, a->string);
  const struct {
    const char *key;
    int *v;
  } ints[] = {{"vocab_size", &c->vocab_size},
              {"hidden_size", &c->hidden_size},
              {"num_hidden_layers", &c->num_hidden_layers},
              {"num_attention_heads", &c->num_attention_heads},
              {"intermediate_size", &c->intermediate_size},
              {"max_position_embeddings", &c->max_position_embeddings},
              {"type_vocab_size", &c->type_vocab_size},
              {"num_labels", &c->num_labels}};
  for (size_t i = 0; s == KP_OK && i < sizeof ints / sizeof *ints; i++) s = get_int(root, ints[i].key, ints[i].v, false, path);
  if (s == KP_OK) s = get_int(root, "pad_token_id", &c->pad_token_id, true, path);
  if (s == KP_OK) s = get_float(root, "layer_norm_eps", &c->layer_norm_eps, path);
  if (s == KP_OK) s = get_float(root, "hidden_dropout_prob", &c->hidden_dropout_prob, path);
  if (s == KP_OK) s = get_float(root, "attention_probs_dropout_prob", &c->attention_probs_dropout_prob, path);
  if (s == KP_OK) s = get_float(root, "initializer_range", &c->initializer_range, path);
  if (s == KP_OK) s = want_str(root, "hidden_act", "gelu", "kprca's BERT uses the exact erf GELU, \"gelu\"", path);
  if (s == KP_OK) s = want_str(root, "model_type", "bert", "not a BERT checkpoint", path);
  if (s == KP_OK)
    s = want_str(root, "position_embedding_type", "absolute", "only absolute position embeddings", path);
  if (s == KP_OK) {
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "is_decoder");
    if (cJSON_IsTrue(dec)) s = kp_fail(KP_ERR_UNSUPPORTED, "%s: is_decoder is true; kprca reads BERT encoders", path);
  }
  if (s == KP_OK) s = get_labels(root, c, path);
  cJSON_Delete(root);
  if (s == KP_OK) s = kp_bert_config_check(c, path);
  if (s != KP_OK) kp_bert_config_free(c);
  return s;
}

/* --- the parameter table ---------------------------------------------------------------------------- */

static kp_status add(kp_params *p, kp_init init, float bound, int64_t rows, int64_t cols, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static kp_status add(kp_params *p, kp_init init, float bound, int64_t rows, int64_t cols, const char *fmt, ...) {
  char name[KP_PARAM_NAME_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  int64_t shape[2] = {rows, cols};
  return kp_params_add(p, name, cols ? 2 : 1, shape, init, bound, NULL);
}

kp_status kp_bert_declare(kp_params *p, const kp_bert_config *c, unsigned parts) {
  KP_TRY(kp_bert_config_check(c, "kp_bert_declare"));
  if ((parts & KP_BERT_CLASSIFIER) && c->num_labels < 1)
    return kp_fail(KP_ERR_INVALID, "kp_bert_declare: a classifier needs num_labels >= 1");
  const int64_t H = c->hidden_size, I = c->intermediate_size;
  const float r = c->initializer_range * 1.7320508f; /* U(-r*sqrt3, r*sqrt3) has std r */
  const kp_init W = KP_INIT_UNIFORM, Z = KP_INIT_ZEROS, O = KP_INIT_ONES;
  KP_TRY(add(p, W, r, c->vocab_size, H, "embeddings.word_embeddings.weight"));
  KP_TRY(add(p, W, r, c->max_position_embeddings, H, "embeddings.position_embeddings.weight"));
  KP_TRY(add(p, W, r, c->type_vocab_size, H, "embeddings.token_type_embeddings.weight"));
  KP_TRY(add(p, O, 0, H, 0, "embeddings.LayerNorm.weight"));
  KP_TRY(add(p, Z, 0, H, 0, "embeddings.LayerNorm.bias"));
  static const char *const qkv[3] = {"query", "key", "value"};
  for (int l = 0; l < c->num_hidden_layers; l++) {
    for (int k = 0; k < 3; k++) {
      KP_TRY(add(p, W, r, H, H, "encoder.layer.%d.attention.self.%s.weight", l, qkv[k]));
      KP_TRY(add(p, Z, 0, H, 0, "encoder.layer.%d.attention.self.%s.bias", l, qkv[k]));
    }
    KP_TRY(add(p, W, r, H, H, "encoder.layer.%d.attention.output.dense.weight", l));
    KP_TRY(add(p, Z, 0, H, 0, "encoder.layer.%d.attention.output.dense.bias", l));
    KP_TRY(add(p, O, 0, H, 0, "encoder.layer.%d.attention.output.LayerNorm.weight", l));
    KP_TRY(add(p, Z, 0, H, 0, "encoder.layer.%d.attention.output.LayerNorm.bias", l));
    KP_TRY(add(p, W, r, I, H, "encoder.layer.%d.intermediate.dense.weight", l));
    KP_TRY(add(p, Z, 0, I, 0, "encoder.layer.%d.intermediate.dense.bias", l));
    KP_TRY(add(p, W, r, H, I, "encoder.layer.%d.output.dense.weight", l));
    KP_TRY(add(p, Z, 0, H, 0, "encoder.layer.%d.output.dense.bias", l));
    KP_TRY(add(p, O, 0, H, 0, "encoder.layer.%d.output.LayerNorm.weight", l));
    KP_TRY(add(p, Z, 0, H, 0, "encoder.layer.%d.output.LayerNorm.bias", l));
  }
  if (parts & KP_BERT_POOLER) {
    KP_TRY(add(p, W, r, H, H, "pooler.dense.weight"));
    KP_TRY(add(p, Z, 0, H, 0, "pooler.dense.bias"));
  }
  if (parts & KP_BERT_CLASSIFIER) {
    KP_TRY(add(p, W, r, c->num_labels, H, "classifier.weight"));
    KP_TRY(add(p, Z, 0, c->num_labels, 0, "classifier.bias"));
  }
  return KP_OK;
}
