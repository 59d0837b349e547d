/* Incident event graphs: pass 1 mines the window lines of every incident with Drain (after the
 * default kernel masks) and keeps a compact record per line; pass 2 gives each distinct message the
 * template of the cluster its last occurrence joined, and turns templates into hashed TF-IDF rows
 * (idf over incidents); pass 3 assembles nodes, features, succession edges, labels and the split.
 * What pass 2 decides is kept (builder state) so that incident_featurize.c repeats it for new logs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/incident_graph.h"
#include "data/strtab.h"
#include "graph/incident_graph_internal.h"
#include "kprca/incident_window.h"
#include "kprca/mask.h"
#include "kprca/split.h"
#include "kprca/tfidf.h"

kp_incident_graph_options kp_incident_graph_defaults(void) {
  kp_incident_graph_options o;
  memset(&o, 0, sizeof o);
  o.window_s = 1800;
  o.features = 128;
  o.drain = kp_drain_default_params();
  o.val = 0.15, o.test = 0.15;
  return o;
}

kp_status kp_build_masker_new(kp_masker **out) {
  KP_TRY(kp_masker_new(out));
  kp_status s = kp_masker_add(*out, KP_HEX_BYTES_MASK);
  if (s == KP_OK) s = kp_masker_add_defaults(*out);
  if (s != KP_OK) {
    kp_masker_free(*out);
    *out = NULL;
  }
  return s;
}

void kp_incident_graphs_free(kp_incident_graphs *ig) {
  if (!ig) return;
  kp_graph_data_free(&ig->g);
  kp_strings_free(&ig->templates);
  free(ig->node_template);
  free(ig->feature_source);
  kp_incident_builder_state *st = &ig->state;
  free(st->drain_json);
  kp_strings_free(&st->messages);
  free(st->message_template), free(st->cluster_template), free(st->idf);
  memset(ig, 0, sizeof *ig);
}

kp_status ig_push(ig_lines *m, ig_line w) {
  if (m->n == m->cap) {
    int64_t c = m->cap ? 2 * m->cap : 1 << 16;
    ig_line *p = realloc(m->l, sizeof *p * (size_t)c);
    if (!p) return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for %lld lines", (long long)c);
    m->l = p, m->cap = c;
  }
  m->l[m->n++] = w;
  return KP_OK;
}

/* Joins runs of "<*>" tokens into one "<*>" (in place; returns the new length), so rows of tables such
 * as the OOM task list, all parameters but a name, still reach Drain's similarity threshold. */
static size_t collapse_params(char *m, size_t len) {
  size_t o = 0;
  bool prev_param = false;
  for (size_t i = 0; i < len;) {
    size_t ws = i;
    while (i < len && (m[i] == ' ' || m[i] == '\t')) i++;
    size_t a = i;
    while (i < len && m[i] != ' ' && m[i] != '\t') i++;
    bool param = i - a == 3 && !memcmp(m + a, "<*>", 3);
    if (param && prev_param) continue;
    memmove(m + o, m + ws, i - ws);
    o += i - ws;
    prev_param = param;
  }
  m[o] = 0;
  return o;
}

kp_status ig_message(kp_masker *mask, const char *msg, size_t len, char **buf, size_t *cap, size_t *n) {
  const char *m;
  KP_TRY(kp_masker_apply(mask, msg, len, &m, n));
  if (*n + 1 > *cap) {
    char *p = realloc(*buf, *n + 1);
    if (!p) return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
    *buf = p, *cap = *n + 1;
  }
  memcpy(*buf, m, *n + 1);
  *n = collapse_params(*buf, *n);
  return KP_OK;
}

static ig_line line_of(const kp_incident_log *l, const kp_incident_times *t, int64_t k) {
  const kp_klog_record *r = &l->log->rec[k];
  ig_line w = {0, (float)t->rel[k], r->level, (r->flags & KP_KLOG_HEAD) != 0, (r->flags & KP_KLOG_CONT) != 0,
               l->root ? l->root[k] : 0};
  return w;
}

kp_status ig_window_lines(const kp_incident_log *l, const kp_incident_times *t, double window_s, ig_line_fn fn,
                          void *ctx) {
  int64_t kept = 0, last_event = -1;
  for (int64_t k = 0; k < l->log->n; k++) {
    const kp_klog_record *r = &l->log->rec[k];
    if (!kp_incident_is_event(r) || r->msg_len == 0) continue;
    last_event = k;
    if (!kp_incident_in_window(t, k, window_s)) continue;
    kept++;
    kp_status s = fn(ctx, r, line_of(l, t, k));
    if (s != KP_OK) return kp_fail_context(s, "%s:%lld", l->log->name, (long long)r->lineno);
  }
  if (kept == 0 && last_event >= 0) /* nothing in the window: keep the last line */
    return fn(ctx, &l->log->rec[last_event], line_of(l, t, last_event));
  return KP_OK;
}

/* Pass 1: each window line's message is interned (line.cluster = message id) and mined; a message's
 * cluster is that of its last occurrence. */
typedef struct miner {
  kp_masker *mask;
  kp_drain *drain;
  kp_strtab msgs;
  int32_t *msg_cluster; /* [msgs.n] */
  int64_t cap_mc;
  char *buf;
  size_t cap;
  ig_lines *m;
} miner;

static kp_status mine_line(void *ctx, const kp_klog_record *r, ig_line w) {
  miner *mi = ctx;
  size_t n;
  int32_t cluster;
  bool created;
  KP_TRY(ig_message(mi->mask, r->msg, r->msg_len, &mi->buf, &mi->cap, &n));
  int32_t id = kp_strtab_intern(&mi->msgs, mi->buf, n);
  if (id < 0) return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for messages");
  if (id >= mi->cap_mc) {
    int64_t c = mi->cap_mc ? 2 * mi->cap_mc : 1 << 12;
    int32_t *p = realloc(mi->msg_cluster, sizeof *p * (size_t)c);
    if (!p) return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for messages");
    mi->msg_cluster = p, mi->cap_mc = c;
  }
  KP_TRY(kp_drain_add(mi->drain, mi->buf, n, &cluster, &created));
  mi->msg_cluster[id] = cluster;
  w.cluster = id;
  return ig_push(mi->m, w);
}

static kp_status mine_incident(const kp_incident_dir *d, int64_t i, const kp_incident_graph_options *o, miner *mi) {
  kp_incident_log l;
  kp_incident_times t;
  KP_TRY(kp_incident_load_timed(d, i, &l, &t));
  kp_status s = ig_window_lines(&l, &t, o->window_s, mine_line, mi);
  mi->m->off[i + 1] = mi->m->n;
  kp_incident_times_free(&t);
  kp_incident_log_clear(&l);
  return s;
}

/* Pass 2: clusters -> templates in order of first use (clusters with equal templates are one), and
 * the templates' rows: the encoder's sentence embeddings when there is one, else TF-IDF with idf over
 * incidents (an incident = the union of its templates). */
static kp_status templates_and_rows(kp_drain *drain, ig_lines *m, int64_t G, int32_t F, kp_text_encoder *enc,
                                    kp_strings *tpl, float **rows, kp_incident_builder_state *st) {
  size_t nc = kp_drain_count(drain);
  int32_t *ev = malloc(sizeof *ev * (nc + 1)), *tid = malloc(sizeof *tid * (nc + 1));
  if (!ev || !tid) {
    free(ev), free(tid);
    return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  }
  kp_status s = kp_drain_event_of(drain, ev);
  for (size_t c = 0; c < nc; c++) tid[c] = -1;
  int32_t T = 0;
  for (int64_t j = 0; j < m->n && s == KP_OK; j++) {
    int32_t e = ev[m->l[j].cluster];
    if (tid[e] < 0) tid[e] = T++;
    m->l[j].cluster = tid[e];
  }
  const char **text = calloc((size_t)T + 1, sizeof *text);
  kp_terms *terms = calloc((size_t)T + 1, sizeof *terms);
  if (s == KP_OK && (!text || !terms)) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  for (size_t c = 0; c < nc && s == KP_OK; c++)
    if (tid[c] >= 0) text[tid[c]] = kp_drain_template(drain, c); /* valid: no add until the copy */
  if (s == KP_OK) s = kp_strings_copy(tpl, T, text);
  st->nclusters = (int64_t)nc;
  st->cluster_template = malloc(sizeof(int32_t) * (nc + 1));
  if (s == KP_OK && !st->cluster_template) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  for (size_t c = 0; c < nc && s == KP_OK; c++) st->cluster_template[c] = tid[ev[c]];
  *rows = NULL;
  if (enc) { /* F == kp_text_encoder_dim(enc) */
    if (s == KP_OK) *rows = malloc(sizeof **rows * (size_t)(T ? T : 1) * (size_t)F);
    if (s == KP_OK && !*rows) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for %d template rows", T);
    if (s == KP_OK) s = kp_text_encoder_embed(enc, T, (const char *const *)tpl->s, *rows);
    if (s != KP_OK) s = kp_fail_context(s, "incident graphs: embedding %d templates", T);
    free(terms), free(text), free(ev), free(tid);
    return s;
  }
  for (int32_t t = 0; t < T && s == KP_OK; t++) s = kp_terms_add_text(&terms[t], tpl->s[t], strlen(tpl->s[t]), F);
  /* idf over incidents */
  kp_idf idf;
  memset(&idf, 0, sizeof idf);
  kp_terms doc;
  memset(&doc, 0, sizeof doc);
  uint8_t *in = calloc((size_t)T + 1, 1);
  float *w = malloc(sizeof *w * (size_t)F);
  if (s == KP_OK && (!in || !w)) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  if (s == KP_OK) s = kp_idf_init(&idf, F);
  for (int64_t g = 0; g < G && s == KP_OK; g++) {
    doc.n = 0;
    for (int64_t j = m->off[g]; j < m->off[g + 1] && s == KP_OK; j++) {
      int32_t t = m->l[j].cluster;
      if (!in[t]) in[t] = 1, s = kp_terms_append(&doc, &terms[t]);
    }
    for (int64_t j = m->off[g]; j < m->off[g + 1]; j++) in[m->l[j].cluster] = 0;
    kp_idf_add_doc(&idf, &doc);
  }
  if (s == KP_OK) {
    kp_idf_weights(&idf, w);
    st->idf = malloc(sizeof *w * (size_t)F);
    if (st->idf) memcpy(st->idf, w, sizeof *w * (size_t)F);
    else s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  }
  if (s == KP_OK) {
    *rows = malloc(sizeof **rows * (size_t)(T ? T : 1) * (size_t)F);
    if (!*rows) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for %d template rows", T);
  }
  for (int32_t t = 0; t < T && s == KP_OK; t++) kp_tfidf_row(&terms[t], w, F, *rows + (size_t)t * (size_t)F);
  for (int32_t t = 0; t < T && terms; t++) kp_terms_free(&terms[t]);
  free(terms), free(text), free(in), free(w), free(ev), free(tid);
  kp_terms_free(&doc);
  kp_idf_free(&idf);
  return s;
}

static float log_minutes(float sec) { return sec < 0 ? -log1pf(-sec / 60.0f) : log1pf(sec / 60.0f); }

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Pass 3: nodes, features and edges of every graph. */
kp_status ig_assemble(const ig_lines *m, int64_t G, int32_t F, int32_t T, const float *rows, kp_incident_graphs *ig) {
  kp_graph_data *g = &ig->g;
  int64_t Fx = F + KP_INCIDENT_GRAPH_EXTRA;
  int32_t *local = malloc(sizeof *local * (size_t)(T ? T : 1));
  g->graph_ptr = malloc(sizeof(int32_t) * (size_t)(G + 1));
  if (!local || !g->graph_ptr) {
    free(local);
    return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  }
  for (int32_t t = 0; t < T; t++) local[t] = -1;
  /* node count per graph: distinct templates */
  int64_t N = 0, maxlines = 1;
  g->graph_ptr[0] = 0;
  for (int64_t gi = 0; gi < G; gi++) {
    int64_t a = m->off[gi], b = m->off[gi + 1], k = 0;
    if (b - a > maxlines) maxlines = b - a;
    for (int64_t j = a; j < b; j++)
      if (local[m->l[j].cluster] < 0) local[m->l[j].cluster] = (int32_t)k++;
    for (int64_t j = a; j < b; j++) local[m->l[j].cluster] = -1;
    N += k;
    if (N > INT32_MAX) {
      free(local);
      return kp_fail(KP_ERR_INVALID, "incident graphs: more than 2^31 nodes");
    }
    g->graph_ptr[gi + 1] = (int32_t)N;
  }
  g->task = KP_TASK_GRAPH;
  g->num_nodes = N, g->num_features = Fx, g->num_graphs = G;
  g->x = calloc((size_t)(N ? N : 1) * (size_t)Fx, sizeof *g->x);
  g->node_flag = calloc((size_t)(N ? N : 1), 1);
  g->indptr = calloc((size_t)N + 1, sizeof *g->indptr);
  ig->node_template = malloc(sizeof(int32_t) * (size_t)(N ? N : 1));
  uint64_t *keys = malloc(sizeof *keys * (size_t)maxlines);
  int32_t *cnt = calloc((size_t)(N ? N : 1), sizeof *cnt);
  int64_t ecap = 1 << 16, E = 0;
  g->indices = malloc(sizeof *g->indices * (size_t)ecap);
  g->edge_weight = malloc(sizeof *g->edge_weight * (size_t)ecap);
  kp_status s = KP_OK;
  if (!g->x || !g->node_flag || !g->indptr || !ig->node_template || !keys || !cnt || !g->indices || !g->edge_weight)
    s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for %lld nodes", (long long)N);
  for (int64_t gi = 0; gi < G && s == KP_OK; gi++) {
    int64_t a = m->off[gi], b = m->off[gi + 1], base = g->graph_ptr[gi], k = 0;
    for (int64_t j = a; j < b; j++) {
      const ig_line *w = &m->l[j];
      int32_t v = local[w->cluster];
      if (v < 0) v = local[w->cluster] = (int32_t)k++, ig->node_template[base + v] = w->cluster;
      float *x = g->x + (size_t)(base + v) * (size_t)Fx + F;
      if (cnt[base + v]++ == 0) x[1] = log_minutes(w->rel);
      x[2] = log_minutes(w->rel);
      if (w->level >= 0 && (float)(8 - w->level) / 8.0f > x[3]) x[3] = (float)(8 - w->level) / 8.0f;
      x[4] += w->head, x[5] += w->cont;
      if (w->root) g->node_flag[base + v] = 1;
    }
    for (int64_t v = 0; v < k; v++) {
      float *x = g->x + (size_t)(base + v) * (size_t)Fx;
      memcpy(x, rows + (size_t)ig->node_template[base + v] * (size_t)F, sizeof *x * (size_t)F);
      float c = (float)cnt[base + v];
      x[F] = log1pf(c), x[F + 4] /= c, x[F + 5] /= c;
    }
    /* succession edges: (dst << 32 | src), sorted, counted */
    int64_t ne = 0;
    for (int64_t j = a + 1; j < b; j++) {
      uint32_t u = (uint32_t)local[m->l[j - 1].cluster], v = (uint32_t)local[m->l[j].cluster];
      if (u != v) keys[ne++] = (uint64_t)v << 32 | u;
    }
    qsort(keys, (size_t)ne, sizeof *keys, cmp_u64);
    for (int64_t e = 0; e < ne && s == KP_OK;) {
      int64_t f = e;
      while (f < ne && keys[f] == keys[e]) f++;
      if (E == ecap) {
        ecap *= 2;
        int32_t *pi = realloc(g->indices, sizeof *pi * (size_t)ecap);
        if (pi) g->indices = pi;
        float *pw = realloc(g->edge_weight, sizeof *pw * (size_t)ecap);
        if (pw) g->edge_weight = pw;
        if (!pi || !pw) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory for %lld edges", (long long)ecap);
      }
      if (s != KP_OK) break;
      g->indices[E] = (int32_t)(base + (int64_t)(keys[e] & 0xffffffffu));
      g->edge_weight[E] = (float)(f - e);
      g->indptr[base + (int64_t)(keys[e] >> 32) + 1]++;
      E++;
      e = f;
    }
    for (int64_t j = a; j < b; j++) local[m->l[j].cluster] = -1;
  }
  for (int64_t v = 0; v < N; v++) g->indptr[v + 1] += g->indptr[v];
  g->num_edges = E;
  free(local), free(keys), free(cnt);
  return s;
}

const char **ig_masks(size_t *n) {
  size_t k = kp_mask_default_count();
  const char **m = malloc(sizeof *m * (k + 1));
  if (!m) return NULL;
  m[0] = KP_HEX_BYTES_MASK;
  for (size_t i = 0; i < k; i++) m[i + 1] = kp_mask_default_pattern(i);
  *n = k + 1;
  return m;
}

/* Pass 2 for the lines and the state: each message's template is its last cluster's; the messages and the
 * final Drain state are kept. */
static kp_status keep_state(miner *mi, ig_lines *m, const kp_incident_graph_options *o, kp_incident_builder_state *st) {
  for (int64_t j = 0; j < m->n; j++) m->l[j].cluster = mi->msg_cluster[m->l[j].cluster];
  st->window_s = o->window_s;
  st->features = o->features;
  size_t nm = 0;
  const char **masks = ig_masks(&nm);
  if (!masks) return kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  kp_status s = kp_drain_to_json(mi->drain, masks, nm, &st->drain_json);
  free(masks);
  if (s == KP_OK) s = kp_strings_copy(&st->messages, mi->msgs.n, (const char *const *)mi->msgs.s);
  return s;
}

kp_status kp_incident_graphs_build(const kp_incident_dir *d, const kp_incident_graph_options *opts,
                                   kp_incident_graphs *ig) {
  memset(ig, 0, sizeof *ig);
  kp_incident_graph_options o = opts ? *opts : kp_incident_graph_defaults();
  if (o.encoder) o.features = kp_text_encoder_dim(o.encoder);
  if (o.features < 1) return kp_fail(KP_ERR_INVALID, "incident graphs: features %d, expected >= 1", o.features);
  if (d->n < 1) return kp_fail(KP_ERR_INVALID, "%s: no incidents", d->dir);
  if (d->n > INT32_MAX) return kp_fail(KP_ERR_INVALID, "%s: more than 2^31 incidents", d->dir);
  int64_t G = d->n;
  ig_lines m;
  memset(&m, 0, sizeof m);
  miner mi;
  memset(&mi, 0, sizeof mi);
  mi.m = &m;
  m.off = calloc((size_t)G + 1, sizeof *m.off);
  float *rows = NULL;
  kp_incident_builder_state *st = &ig->state;
  kp_status s = m.off ? KP_OK : kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
  if (s == KP_OK) s = kp_build_masker_new(&mi.mask);
  if (s == KP_OK) s = kp_drain_new(&o.drain, &mi.drain);
  for (int64_t i = 0; i < G && s == KP_OK; i++) s = mine_incident(d, i, &o, &mi);
  if (s == KP_OK) s = keep_state(&mi, &m, &o, st);
  if (s == KP_OK) s = templates_and_rows(mi.drain, &m, G, o.features, o.encoder, &ig->templates, &rows, st);
  if (s == KP_OK) {
    st->message_template = malloc(sizeof(int32_t) * (size_t)(mi.msgs.n ? mi.msgs.n : 1));
    if (!st->message_template) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
    for (int32_t k = 0; k < mi.msgs.n && s == KP_OK; k++) st->message_template[k] = st->cluster_template[mi.msg_cluster[k]];
  }
  if (s == KP_OK) s = ig_assemble(&m, G, o.features, (int32_t)ig->templates.n, rows, ig);
  if (s == KP_OK) {
    kp_graph_data *g = &ig->g;
    ig->lines = m.n;
    g->graph_y = malloc(sizeof *g->graph_y * (size_t)G);
    g->graph_split = malloc((size_t)G);
    if (!g->graph_y || !g->graph_split) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
    for (int64_t i = 0; i < G && s == KP_OK; i++) g->graph_y[i] = d->items[i].label;
    if (s == KP_OK) s = kp_split_stratified(g->graph_y, G, o.val, o.test, o.seed, g->graph_split);
    if (s == KP_OK) s = kp_strings_copy(&g->label_names, d->nlabels, (const char *const *)d->labels);
    if (s == KP_OK) s = kp_graph_data_validate(g, d->dir);
    if (s == KP_OK && o.encoder) {
      int n = snprintf(NULL, 0, "encoder: %s", kp_text_encoder_describe(o.encoder));
      ig->feature_source = malloc((size_t)n + 1);
      if (!ig->feature_source) s = kp_fail(KP_ERR_NOMEM, "incident graphs: out of memory");
      else snprintf(ig->feature_source, (size_t)n + 1, "encoder: %s", kp_text_encoder_describe(o.encoder));
    }
  }
  free(m.l), free(m.off), free(rows);
  free(mi.msg_cluster), free(mi.buf);
  kp_strtab_free(&mi.msgs);
  kp_masker_free(mi.mask);
  kp_drain_free(mi.drain);
  if (s != KP_OK) kp_incident_graphs_free(ig);
  return s;
}

/* The builder/ group (docs/datasets.md). */
static kp_status save_state(kp_h5 *h, const kp_incident_builder_state *st) {
  int64_t nm = st->messages.n, nc = st->nclusters, F = st->features;
  double w = st->window_s;
  KP_TRY(kp_h5_write_scalar(h, "builder/window_s", KP_H5_F64, &w));
  KP_TRY(kp_h5_set_attr_int(h, "builder", "version", 1));
  KP_TRY(kp_h5_set_attr_int(h, "builder", "features", st->features));
  KP_TRY(kp_h5_write_text(h, "builder/drain_state", st->drain_json));
  KP_TRY(kp_h5_write_strings(h, "builder/messages", nm, (const char *const *)st->messages.s));
  KP_TRY(kp_h5_write(h, "builder/message_template", KP_H5_I32, 1, &nm, st->message_template));
  KP_TRY(kp_h5_write(h, "builder/cluster_template", KP_H5_I32, 1, &nc, st->cluster_template));
  if (st->idf) KP_TRY(kp_h5_write(h, "builder/idf", KP_H5_F32, 1, &F, st->idf));
  return KP_OK;
}

kp_status kp_incident_graphs_save(const char *path, const kp_incident_graphs *ig) {
  KP_TRY(kp_graph_data_validate(&ig->g, path));
  kp_h5 *h;
  KP_TRY(kp_h5_create(path, &h));
  int64_t N = ig->g.num_nodes;
  kp_status s = kp_graph_data_write(h, &ig->g);
  if (s == KP_OK) s = kp_h5_write_strings(h, "templates", ig->templates.n, (const char *const *)ig->templates.s);
  if (s == KP_OK) s = kp_h5_write(h, "node_template", KP_H5_I32, 1, &N, ig->node_template);
  if (s == KP_OK) s = kp_h5_set_attr_int(h, "/", "text_features", ig->g.num_features - KP_INCIDENT_GRAPH_EXTRA);
  if (s == KP_OK) s = kp_h5_set_attr_str(h, "/", "node_features", ig->feature_source ? ig->feature_source : "tfidf");
  if (s == KP_OK && ig->state.drain_json) s = save_state(h, &ig->state);
  if (s != KP_OK) {
    kp_h5_abort(h);
    return s;
  }
  return kp_h5_commit(h);
}
