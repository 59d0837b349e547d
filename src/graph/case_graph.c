/* Case-similarity graph: per incident a TF-IDF document of its fault-indicating lines (masked), or the
 * normalised mean of a BERT encoder's embeddings of those lines (optionally the lines its classifier
 * predicts as root cause), kNN by cosine similarity (sgemm over blocks of rows), symmetrised edges,
 * stratified masks. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/text_encoder.h"
#include "kprca/case_graph.h"
#include "kprca/incident_graph.h"
#include "kprca/incident_window.h"
#include "kprca/split.h"
#include "kprca/tfidf.h"

kp_case_graph_options kp_case_graph_defaults(void) {
  kp_case_graph_options o;
  memset(&o, 0, sizeof o);
  o.window_s = 1800, o.features = 128, o.k = 10, o.val = 0.15, o.test = 0.15;
  return o;
}

/* Keeps the best k (value desc, index asc) of a row in a small sorted list. */
static void topk_insert(float *bv, int32_t *bi, int32_t *nb, int32_t k, float v, int32_t j) {
  if (*nb == k && !(v > bv[k - 1] || (v == bv[k - 1] && j < bi[k - 1]))) return;
  int32_t p = *nb < k ? (*nb)++ : k - 1;
  while (p > 0 && (v > bv[p - 1] || (v == bv[p - 1] && j < bi[p - 1]))) bv[p] = bv[p - 1], bi[p] = bi[p - 1], p--;
  bv[p] = v, bi[p] = j;
}

kp_status kp_knn_cosine(const float *x, int64_t n, int64_t f, int32_t k, int32_t *nbr) {
  if (k < 1 || k >= n) return kp_fail(KP_ERR_INVALID, "knn: k = %d needs 1 <= k < %lld nodes", k, (long long)n);
  const int64_t B = 512;
  float *s = malloc(sizeof *s * (size_t)B * (size_t)n), *bv = malloc(sizeof *bv * (size_t)k);
  if (!s || !bv) {
    free(s), free(bv);
    return kp_fail(KP_ERR_NOMEM, "knn: out of memory for %lld x %lld similarities", (long long)B, (long long)n);
  }
  for (int64_t r0 = 0; r0 < n; r0 += B) {
    int64_t rb = n - r0 < B ? n - r0 : B;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rb, (int)n, (int)f, 1.0f, x + r0 * f, (int)f, x, (int)f,
                0.0f, s, (int)n);
    for (int64_t r = 0; r < rb; r++) {
      int64_t i = r0 + r;
      int32_t nb = 0, *bi = nbr + i * k;
      const float *row = s + r * n;
      for (int64_t j = 0; j < n; j++)
        if (j != i) topk_insert(bv, bi, &nb, k, row[j], (int32_t)j);
    }
  }
  free(s), free(bv);
  return KP_OK;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The terms of incident i's fault-indicating lines; *nlines counts them. */
static kp_status incident_terms(const kp_incident_dir *d, int64_t i, const kp_case_graph_options *o, kp_masker *mask,
                                kp_terms *t, int64_t *nlines) {
  kp_incident_log l;
  kp_incident_times tm;
  KP_TRY(kp_incident_load_timed(d, i, &l, &tm));
  kp_status s = KP_OK;
  *nlines = 0;
  for (int64_t k = 0; k < l.log->n && s == KP_OK; k++) {
    const kp_klog_record *r = &l.log->rec[k];
    if (!kp_incident_is_event(r) || r->msg_len == 0) continue;
    if (o->fault_window ? !kp_incident_in_window(&tm, k, o->window_s) : !l.root[k]) continue;
    const char *m;
    size_t len;
    s = kp_masker_apply(mask, r->msg, r->msg_len, &m, &len);
    if (s == KP_OK) s = kp_terms_add_text(t, m, len, o->features);
    ++*nlines;
  }
  kp_incident_times_free(&tm);
  kp_incident_log_clear(&l);
  return s;
}

/* Masked texts of the candidate fault lines of every incident, back to back: incident i owns
 * text[off[i] .. off[i+1]). */
typedef struct case_texts {
  char **text;
  int64_t n, cap, *off;
} case_texts;

static void case_texts_free(case_texts *c) {
  for (int64_t j = 0; j < c->n; j++) free(c->text[j]);
  free(c->text), free(c->off);
  memset(c, 0, sizeof *c);
}

static kp_status collect_texts(const kp_incident_dir *d, int64_t i, const kp_case_graph_options *o, kp_masker *mask,
                               case_texts *c) {
  kp_incident_log l;
  kp_incident_times tm;
  KP_TRY(kp_incident_load_timed(d, i, &l, &tm));
  kp_status s = KP_OK;
  bool window = o->fault_window || o->fault_predicted;
  for (int64_t k = 0; k < l.log->n && s == KP_OK; k++) {
    const kp_klog_record *r = &l.log->rec[k];
    if (!kp_incident_is_event(r) || r->msg_len == 0) continue;
    if (window ? !kp_incident_in_window(&tm, k, o->window_s) : !l.root[k]) continue;
    const char *m;
    size_t len;
    s = kp_masker_apply(mask, r->msg, r->msg_len, &m, &len);
    if (s == KP_OK && c->n == c->cap) {
      int64_t cap = c->cap ? 2 * c->cap : 4096;
      char **p = realloc(c->text, sizeof *p * (size_t)cap);
      if (!p) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory for %lld lines", (long long)cap);
      else c->text = p, c->cap = cap;
    }
    if (s == KP_OK && !(c->text[c->n] = strndup(m, len))) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
    if (s == KP_OK) c->n++;
  }
  c->off[i + 1] = c->n;
  kp_incident_times_free(&tm);
  kp_incident_log_clear(&l);
  return s;
}

/* The fault-line texts predicted by the encoder's head: lines whose most probable class is not the
 * ordinary one ("ordinary" when the head names it, else class 0); keeps them in place, updates off. */
static kp_status keep_predicted(kp_text_encoder *enc, case_texts *c, int64_t n) {
  int C = kp_text_encoder_classes(enc), ord = 0;
  if (C < 1) return kp_fail(KP_ERR_INVALID, "case graph: --fault-lines predicted needs a line classifier (%s has no head)",
                            kp_text_encoder_describe(enc));
  for (int k = 0; k < C; k++)
    if (!strcmp(kp_text_encoder_label(enc, k), "ordinary")) ord = k;
  float *p = malloc(sizeof *p * (size_t)(c->n ? c->n : 1) * (size_t)C);
  if (!p) return kp_fail(KP_ERR_NOMEM, "case graph: out of memory for %lld line scores", (long long)c->n);
  kp_status s = kp_text_encoder_classify(enc, c->n, (const char *const *)c->text, p);
  int64_t w = 0;
  for (int64_t i = 0, j = 0; i < n && s == KP_OK; i++) {
    for (; j < c->off[i + 1]; j++) {
      const float *q = p + j * C;
      int best = 0;
      for (int k = 1; k < C; k++) best = q[k] > q[best] ? k : best;
      if (best != ord) c->text[w++] = c->text[j];
      else free(c->text[j]);
    }
    c->off[i + 1] = w;
  }
  if (s == KP_OK) c->n = w;
  free(p);
  return s;
}

/* x[i] = the L2-normalised mean of the embeddings of incident i's fault lines (dim columns), plus the
 * no-fault column; nl[i] = its line count. */
static kp_status encoder_rows(const kp_incident_dir *d, const kp_case_graph_options *o, kp_masker *mask, float *x,
                              int64_t Fx, int64_t *nl) {
  int64_t n = d->n, H = kp_text_encoder_dim(o->encoder);
  case_texts c;
  memset(&c, 0, sizeof c);
  c.off = calloc((size_t)n + 1, sizeof *c.off);
  kp_status s = c.off ? KP_OK : kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
  for (int64_t i = 0; i < n && s == KP_OK; i++) s = collect_texts(d, i, o, mask, &c);
  if (s == KP_OK && o->fault_predicted) s = keep_predicted(o->encoder, &c, n);
  float *e = s == KP_OK ? malloc(sizeof *e * (size_t)(c.n ? c.n : 1) * (size_t)H) : NULL;
  if (s == KP_OK && !e) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory for %lld embeddings", (long long)c.n);
  if (s == KP_OK) s = kp_text_encoder_embed(o->encoder, c.n, (const char *const *)c.text, e);
  for (int64_t i = 0; i < n && s == KP_OK; i++) {
    float *row = x + i * Fx;
    double *acc = calloc((size_t)H, sizeof *acc), ss = 0;
    if (!acc) {
      s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
      break;
    }
    for (int64_t j = c.off[i]; j < c.off[i + 1]; j++)
      for (int64_t h = 0; h < H; h++) acc[h] += e[j * H + h];
    for (int64_t h = 0; h < H; h++) ss += acc[h] * acc[h];
    double inv = ss > 0 ? 1.0 / sqrt(ss) : 0;
    for (int64_t h = 0; h < H; h++) row[h] = (float)(acc[h] * inv);
    row[H] = ss > 0 ? 0.0f : 1.0f;
    nl[i] = c.off[i + 1] - c.off[i];
    free(acc);
  }
  free(e);
  case_texts_free(&c);
  return s;
}

kp_status kp_case_graph_build(const kp_incident_dir *d, const kp_case_graph_options *opts, kp_graph_data *g) {
  memset(g, 0, sizeof *g);
  kp_case_graph_options o = opts ? *opts : kp_case_graph_defaults();
  if (o.encoder) o.features = kp_text_encoder_dim(o.encoder);
  if (o.fault_predicted && !o.encoder)
    return kp_fail(KP_ERR_INVALID, "case graph: predicted fault lines need an encoder with a classification head");
  int64_t n = d->n, F = o.features, Fx = F + 1;
  if (o.features < 1) return kp_fail(KP_ERR_INVALID, "case graph: features %d, expected >= 1", o.features);
  if (n > INT32_MAX / 64) return kp_fail(KP_ERR_INVALID, "%s: too many incidents (%lld)", d->dir, (long long)n);
  if (o.k < 1 || o.k >= n)
    return kp_fail(KP_ERR_INVALID, "%s: --k %d needs more incidents than neighbours (%lld incidents)", d->dir, o.k,
                   (long long)n);
  kp_terms *terms = calloc((size_t)n, sizeof *terms);
  int64_t *nl = calloc((size_t)n, sizeof *nl);
  float *w = malloc(sizeof *w * (size_t)F);
  int32_t *nbr = malloc(sizeof *nbr * (size_t)n * (size_t)o.k);
  uint64_t *keys = malloc(sizeof *keys * (size_t)n * (size_t)o.k * 2);
  kp_masker *mask = NULL;
  kp_idf idf;
  memset(&idf, 0, sizeof idf);
  kp_status s = terms && nl && w && nbr && keys ? KP_OK : kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
  if (s == KP_OK) s = kp_build_masker_new(&mask);
  if (s == KP_OK) s = kp_idf_init(&idf, o.features);
  for (int64_t i = 0; i < n && s == KP_OK && !o.encoder; i++) {
    s = incident_terms(d, i, &o, mask, &terms[i], &nl[i]);
    kp_idf_add_doc(&idf, &terms[i]);
  }
  g->task = KP_TASK_NODE;
  g->num_nodes = n, g->num_features = Fx;
  if (s == KP_OK) {
    kp_idf_weights(&idf, w);
    g->x = calloc((size_t)n * (size_t)Fx, sizeof *g->x);
    g->y = malloc(sizeof *g->y * (size_t)n);
    if (!g->x || !g->y) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
  }
  if (s == KP_OK && o.encoder) {
    s = encoder_rows(d, &o, mask, g->x, Fx, nl);
    for (int64_t i = 0; i < n && s == KP_OK; i++) g->y[i] = d->items[i].label;
  }
  for (int64_t i = 0; i < n && s == KP_OK && !o.encoder; i++) {
    float *x = g->x + i * Fx;
    kp_tfidf_row(&terms[i], w, o.features, x);
    double ss = 0;
    for (int64_t j = 0; j < F; j++) ss += (double)x[j] * x[j];
    x[F] = ss > 0 ? 0.0f : 1.0f; /* no fault text: a unit row of its own kind */
    g->y[i] = d->items[i].label;
  }
  if (s == KP_OK) s = kp_knn_cosine(g->x, n, Fx, o.k, nbr);
  /* symmetrise: entries (dst << 32 | src) both ways, sorted, duplicates dropped */
  int64_t ne = 0, E = 0;
  if (s == KP_OK) {
    for (int64_t i = 0; i < n; i++)
      for (int32_t q = 0; q < o.k; q++) {
        uint64_t j = (uint64_t)nbr[i * o.k + q];
        keys[ne++] = (uint64_t)i << 32 | j, keys[ne++] = j << 32 | (uint64_t)i;
      }
    qsort(keys, (size_t)ne, sizeof *keys, cmp_u64);
    g->indptr = calloc((size_t)n + 1, sizeof *g->indptr);
    g->indices = malloc(sizeof *g->indices * (size_t)ne);
    g->edge_weight = malloc(sizeof *g->edge_weight * (size_t)ne);
    if (!g->indptr || !g->indices || !g->edge_weight) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
  }
  for (int64_t e = 0; e < ne && s == KP_OK; e++) {
    if (e && keys[e] == keys[e - 1]) continue;
    int64_t dst = (int64_t)(keys[e] >> 32), src = (int64_t)(keys[e] & 0xffffffffu);
    double dot = 0; /* the same value both ways: a fixed-order double dot product */
    const float *a = g->x + (dst < src ? dst : src) * Fx, *b = g->x + (dst < src ? src : dst) * Fx;
    for (int64_t j = 0; j < Fx; j++) dot += (double)a[j] * b[j];
    g->indices[E] = (int32_t)src, g->edge_weight[E] = (float)dot, g->indptr[dst + 1]++, E++;
  }
  for (int64_t i = 0; i < n && s == KP_OK; i++) g->indptr[i + 1] += g->indptr[i];
  g->num_edges = E;
  if (s == KP_OK) {
    int8_t *split = malloc((size_t)n);
    g->train_mask = malloc((size_t)n), g->val_mask = malloc((size_t)n), g->test_mask = malloc((size_t)n);
    if (!split || !g->train_mask || !g->val_mask || !g->test_mask) s = kp_fail(KP_ERR_NOMEM, "case graph: out of memory");
    if (s == KP_OK) s = kp_split_stratified(g->y, n, o.val, o.test, o.seed, split);
    if (s == KP_OK) kp_split_to_masks(split, n, g->train_mask, g->val_mask, g->test_mask);
    free(split);
  }
  if (s == KP_OK) s = kp_strings_copy(&g->label_names, d->nlabels, (const char *const *)d->labels);
  if (s == KP_OK) s = kp_graph_data_validate(g, d->dir);
  for (int64_t i = 0; terms && i < n; i++) kp_terms_free(&terms[i]);
  free(terms), free(nl), free(w), free(nbr), free(keys);
  kp_masker_free(mask);
  kp_idf_free(&idf);
  if (s != KP_OK) kp_graph_data_free(g);
  return s;
}
