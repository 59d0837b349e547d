/* A Hugging Face BERT checkpoint directory: config.json + model.safetensors, every stored name mapped to its
 * canonical name (no "bert." prefix, LayerNorm weight/bias) and checked against the table kp_bert_declare
 * makes for the config, so what is missing, unexpected or mis-shaped is reported together, up front. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kprca/hf_bert.h"

#define SHOW 3 /* names listed per kind of mismatch */

struct kp_hf_bert {
  kp_bert_config config;
  unsigned parts;
  int ignored;
  kp_safetensors *st;
  kp_params expect;               /* declared, never allocated: names and shapes only */
  const kp_st_tensor **stored;    /* per expect entry */
};

typedef struct canon {
  char name[KP_PARAM_NAME_MAX + 16];
  const kp_st_tensor *t;
  bool used;
} canon;

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }
static bool ends(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && strcmp(s + n - k, suf) == 0;
}

/* The canonical name of a stored one; false when the loader ignores it (buffers, pretraining heads). In a file
 * with "bert." names, a name without it (other than the classifier's) is foreign: it gets a '!' in front, which
 * no declared name has, so it is reported as unexpected. */
static bool canonical(const char *stored, bool prefixed, char *out, size_t cap) {
  const char *s = stored;
  if (prefixed && starts(s, "bert.")) s += 5;
  else if (prefixed && !starts(s, "classifier.") && !starts(s, "cls.")) {
    snprintf(out, cap, "!%s", s);
    return true;
  }
  if (starts(s, "cls.") || strcmp(s, "embeddings.position_ids") == 0) return false;
  snprintf(out, cap, "%s", s);
  size_t n = strlen(out);
  if (ends(out, ".LayerNorm.gamma") && n + 1 < cap) strcpy(out + n - 5, "weight");
  else if (ends(out, ".LayerNorm.beta")) strcpy(out + n - 4, "bias");
  return true;
}

static int canon_cmp(const void *a, const void *b) { return strcmp(((const canon *)a)->name, ((const canon *)b)->name); }

static void shape_str(char *b, size_t cap, int nd, const int64_t *sh) {
  size_t at = (size_t)snprintf(b, cap, "[");
  for (int d = 0; d < nd && at < cap; d++) at += (size_t)snprintf(b + at, cap - at, d ? ",%lld" : "%lld", (long long)sh[d]);
  if (at < cap) snprintf(b + at, cap - at, "]");
}

static bool float_dtype(kp_st_dtype dt) {
  return dt == KP_ST_F32 || dt == KP_ST_F16 || dt == KP_ST_BF16 || dt == KP_ST_F64;
}

/* A list "N kind (a, b, c, ...)" appended to msg. */
typedef struct list {
  int n;
  char text[600];
} list;
static void list_add(list *l, const char *item) {
  if (l->n < SHOW) {
    size_t at = strlen(l->text);
    snprintf(l->text + at, sizeof l->text - at, "%s%s", l->n ? ", " : "", item);
  }
  l->n++;
}

static kp_status check_names(kp_hf_bert *m, canon *c, size_t nc, const char *model_path) {
  list miss = {0}, extra = {0}, shape = {0};
  kp_params *e = &m->expect;
  for (int i = 0; i < e->count; i++) {
    canon key;
    snprintf(key.name, sizeof key.name, "%s", e->items[i].name);
    canon *hit = bsearch(&key, c, nc, sizeof *c, canon_cmp);
    if (!hit) {
      list_add(&miss, e->items[i].name);
      continue;
    }
    hit->used = true;
    const kp_st_tensor *t = hit->t;
    bool same = t->ndim == e->items[i].ndim && float_dtype(t->dtype);
    for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == e->items[i].shape[d];
    if (!same) {
      char got[96], want[96], item[300];
      shape_str(got, sizeof got, t->ndim, t->shape);
      shape_str(want, sizeof want, e->items[i].ndim, e->items[i].shape);
      snprintf(item, sizeof item, "%s is %s%s, expected %s%s", t->name, kp_st_dtype_name(t->dtype), got,
               float_dtype(t->dtype) ? "" : "a float dtype ", want);
      list_add(&shape, item);
    }
    m->stored[i] = t;
  }
  for (size_t i = 0; i < nc; i++)
    if (!c[i].used) list_add(&extra, c[i].t->name);
  if (!miss.n && !extra.n && !shape.n) return KP_OK;
  const kp_bert_config *g = &m->config;
  char msg[900];
  int at = snprintf(msg, sizeof msg,
                    "%s does not match its config.json (%d layers, hidden %d, intermediate %d, vocab %d, %d positions, "
                    "%d token types)",
                    model_path, g->num_hidden_layers, g->hidden_size, g->intermediate_size, g->vocab_size,
                    g->max_position_embeddings, g->type_vocab_size);
  const list *ls[3] = {&miss, &extra, &shape};
  const char *kind[3] = {"missing", "unexpected", "mis-shaped"};
  for (int k = 0; k < 3; k++)
    if (ls[k]->n && at < (int)sizeof msg)
      at += snprintf(msg + at, sizeof msg - (size_t)at, "; %d %s: %s%s", ls[k]->n, kind[k], ls[k]->text,
                     ls[k]->n > SHOW ? ", ..." : "");
  return kp_fail(KP_ERR_FORMAT, "%s", msg);
}

/* Which file holds the weights, with a clear message when it is not a safetensors file. */
static kp_status find_model(const char *dir, char *path, size_t cap) {
  struct stat sb;
  if (stat(dir, &sb) != 0) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
  if (!S_ISDIR(sb.st_mode)) return kp_fail(KP_ERR_INVALID, "%s: not a directory (give the model directory)", dir);
  snprintf(path, cap, "%s/model.safetensors", dir);
  if (stat(path, &sb) == 0) return KP_OK;
  const char *other[][2] = {
      {"model.safetensors.index.json", "sharded checkpoints are not supported; merge the shards into one model.safetensors"},
      {"pytorch_model.bin", "convert it to safetensors (python: safetensors.torch.save_file(torch.load(\"pytorch_model.bin\"), \"model.safetensors\", metadata={\"format\": \"pt\"}))"},
      {"tf_model.h5", "convert it to a PyTorch safetensors checkpoint (transformers: from_pretrained(..., from_tf=True).save_pretrained(...))"},
  };
  char alt[4096];
  for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
    snprintf(alt, sizeof alt, "%s/%s", dir, other[i][0]);
    if (stat(alt, &sb) == 0)
      return kp_fail(KP_ERR_UNSUPPORTED, "%s: has %s but no model.safetensors: %s", dir, other[i][0], other[i][1]);
  }
  return kp_fail(KP_ERR_IO, "%s: no model.safetensors (not a Hugging Face model directory? scripts/fetch-model.sh "
                            "puts all-MiniLM-L6-v2 in models/)", dir);
}

kp_status kp_hf_bert_open(const char *dir, kp_hf_bert **out) {
  *out = NULL;
  char model[4096], cfg[4096];
  KP_TRY(find_model(dir, model, sizeof model));
  kp_hf_bert *m = calloc(1, sizeof *m);
  if (!m) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir);
  kp_params_init(&m->expect, kp_cpu());
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  kp_status s = kp_bert_config_load(cfg, &m->config);
  if (s == KP_OK) s = kp_st_open(model, &m->st);
  size_t n = s == KP_OK ? kp_st_count(m->st) : 0, nc = 0;
  canon *c = s == KP_OK ? calloc(n + 1, sizeof *c) : NULL;
  if (s == KP_OK && !c) s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir);
  bool prefixed = false;
  for (size_t i = 0; i < n; i++) prefixed = prefixed || starts(kp_st_at(m->st, i)->name, "bert.");
  for (size_t i = 0; s == KP_OK && i < n; i++) {
    const kp_st_tensor *t = kp_st_at(m->st, i);
    if (!canonical(t->name, prefixed, c[nc].name, sizeof c[nc].name)) {
      m->ignored++;
      continue;
    }
    c[nc++].t = t;
    if (starts(c[nc - 1].name, "pooler.")) m->parts |= KP_BERT_POOLER;
    if (starts(c[nc - 1].name, "classifier.")) m->parts |= KP_BERT_CLASSIFIER;
  }
  if (s == KP_OK) {
    qsort(c, nc, sizeof *c, canon_cmp);
    for (size_t i = 1; s == KP_OK && i < nc; i++)
      if (strcmp(c[i].name, c[i - 1].name) == 0)
        s = kp_fail(KP_ERR_FORMAT, "%s: '%s' and '%s' are the same parameter", model, c[i - 1].t->name, c[i].t->name);
  }
  if (s == KP_OK && (m->parts & KP_BERT_CLASSIFIER) && m->config.num_labels == 0) {
    canon key = {.name = "classifier.bias"};
    canon *b = bsearch(&key, c, nc, sizeof *c, canon_cmp);
    m->config.num_labels = b && b->t->ndim == 1 && b->t->shape[0] > 0 && b->t->shape[0] < 1000000 ? (int)b->t->shape[0] : 2;
  }
  if (s == KP_OK) s = kp_bert_declare(&m->expect, &m->config, m->parts);
  if (s == KP_OK && !(m->stored = calloc((size_t)m->expect.count + 1, sizeof *m->stored)))
    s = kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir);
  if (s == KP_OK) s = check_names(m, c, nc, model);
  free(c);
  if (s != KP_OK) {
    kp_hf_bert_close(m);
    return s;
  }
  *out = m;
  return KP_OK;
}

void kp_hf_bert_close(kp_hf_bert *m) {
  if (!m) return;
  kp_st_close(m->st);
  kp_params_free(&m->expect);
  kp_bert_config_free(&m->config);
  free(m->stored);
  free(m);
}

const kp_bert_config *kp_hf_bert_config(const kp_hf_bert *m) { return &m->config; }
unsigned kp_hf_bert_parts(const kp_hf_bert *m) { return m->parts; }
int kp_hf_bert_ignored(const kp_hf_bert *m) { return m->ignored; }

const kp_st_tensor *kp_hf_bert_tensor(const kp_hf_bert *m, const char *name) {
  int i = kp_params_find(&m->expect, name);
  return i < 0 ? NULL : m->stored[i];
}

kp_status kp_hf_bert_read(const kp_hf_bert *m, const char *name, float *dst, int64_t n) {
  const kp_st_tensor *t = kp_hf_bert_tensor(m, name);
  if (!t) return kp_fail(KP_ERR_INVALID, "%s: the checkpoint has no parameter '%s'", kp_st_path(m->st), name);
  if (kp_st_to_f32(t, dst, n) != KP_OK) return kp_fail_context(KP_ERR_INVALID, "%s", kp_st_path(m->st));
  return KP_OK;
}

static unsigned part_of(const char *name) {
  if (starts(name, "pooler.")) return KP_BERT_POOLER;
  if (starts(name, "classifier.")) return KP_BERT_CLASSIFIER;
  return 0;
}

kp_status kp_hf_bert_load_params(const kp_hf_bert *m, kp_params *p, unsigned skip, int *loaded) {
  if (loaded) *loaded = 0;
  const char *file = kp_st_path(m->st);
  int64_t cap = 0;
  for (int i = 0; i < p->count; i++) cap = p->items[i].numel > cap ? p->items[i].numel : cap;
  float *buf = malloc((size_t)(cap ? cap : 1) * sizeof *buf);
  if (!buf) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", file);
  kp_status s = KP_OK;
  int count = 0;
  for (int i = 0; s == KP_OK && i < p->count; i++) {
    const kp_param *e = &p->items[i];
    unsigned part = part_of(e->name);
    if (part && ((skip & part) || !(m->parts & part))) continue;
    const kp_st_tensor *t = kp_hf_bert_tensor(m, e->name);
    if (!t) {
      s = kp_fail(KP_ERR_INVALID, "%s: the model's parameter '%s' is not in the checkpoint", file, e->name);
      break;
    }
    bool same = t->ndim == e->ndim;
    for (int d = 0; same && d < e->ndim; d++) same = t->shape[d] == e->shape[d];
    if (!same) {
      char got[96], want[96];
      shape_str(got, sizeof got, t->ndim, t->shape);
      shape_str(want, sizeof want, e->ndim, e->shape);
      s = kp_fail(KP_ERR_INVALID, "%s: '%s' is %s in the checkpoint but %s in the model", file, e->name, got, want);
      break;
    }
    s = kp_st_to_f32(t, buf, e->numel);
    if (s == KP_OK) s = kp_params_set(p, i, buf, e->numel);
    count += s == KP_OK;
  }
  free(buf);
  if (s == KP_OK && loaded) *loaded = count;
  return s;
}
