/* A new incident as one incident graph, featurised exactly as kp_incident_graphs_build featurised
 * its corpus: the builder/ group of the file gives the window, the messages the corpus had and the
 * template each became, the final Drain state for messages it never had, and the idf weights. The
 * window, the messages and the assembly are the builder's own code (incident_graph_internal.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/strtab.h"
#include "graph/incident_graph_internal.h"
#include "kprca/h5.h"
#include "kprca/tfidf.h"

struct kp_incident_featurizer {
  char *path;
  double window_s;
  int32_t F, T;        /* text width; the corpus' templates */
  kp_strtab msgs;      /* the corpus' messages (ids = builder/messages order) */
  int32_t *msg_tpl;    /* [msgs.n] */
  int32_t *cl_tpl;     /* [ncl] */
  int64_t ncl;
  kp_strtab tpl;       /* template texts: the corpus' T, then those seen only in new incidents */
  float *rows;         /* [tpl.n, F] text features of every template in tpl */
  int64_t cap_rows;
  float *idf;          /* [F] */
  kp_drain *drain;     /* the corpus' final state: only matched against, never changed */
  kp_drain_params dp;
  kp_masker *mask;
  kp_strings labels;
  char *buf;
  size_t cap;
};

void kp_incident_featurizer_free(kp_incident_featurizer *f) {
  if (!f) return;
  kp_strtab_free(&f->msgs);
  kp_strtab_free(&f->tpl);
  free(f->msg_tpl), free(f->cl_tpl), free(f->rows), free(f->idf), free(f->buf), free(f->path);
  kp_drain_free(f->drain);
  kp_masker_free(f->mask);
  kp_strings_free(&f->labels);
  free(f);
}

const kp_strings *kp_incident_featurizer_labels(const kp_incident_featurizer *f) { return &f->labels; }

void kp_incident_featurizer_describe(const kp_incident_featurizer *f, double *window_s, int32_t *features,
                                     kp_drain_params *drain) {
  if (window_s) *window_s = f->window_s;
  if (features) *features = f->F;
  if (drain) *drain = f->dp;
}

/* Appends template text (new, or the corpus' own when index < T) with its TF-IDF row; *id gets its index. */
static kp_status add_template(kp_incident_featurizer *f, const char *text, int32_t *id) {
  int32_t before = f->tpl.n;
  *id = kp_strtab_intern(&f->tpl, text, strlen(text));
  if (*id < 0) return kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory");
  if (*id < before) return KP_OK;
  if (f->tpl.n > f->cap_rows) {
    int64_t c = f->cap_rows ? 2 * f->cap_rows : 256;
    if (c < f->tpl.n) c = f->tpl.n;
    float *p = realloc(f->rows, sizeof *p * (size_t)c * (size_t)f->F);
    if (!p) return kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory for %lld template rows", (long long)c);
    f->rows = p, f->cap_rows = c;
  }
  kp_terms t;
  memset(&t, 0, sizeof t);
  kp_status s = kp_terms_add_text(&t, text, strlen(text), f->F);
  if (s == KP_OK) kp_tfidf_row(&t, f->idf, f->F, f->rows + (size_t)*id * (size_t)f->F);
  kp_terms_free(&t);
  return s;
}

static kp_status read_state(kp_incident_featurizer *f, kp_h5 *h) {
  const char *p = f->path;
  if (!kp_h5_exists(h, "builder/drain_state"))
    return kp_fail(KP_ERR_FORMAT, "%s: no builder/ group (written before kprca stored the builder's state, or not an "
                   "incident-graphs file): rebuild it with kprca-prep build --kind incident-graphs", p);
  char *src = NULL;
  if (kp_h5_get_attr_str(h, "/", "node_features", &src) == KP_OK && strcmp(src, "tfidf")) {
    kp_status s = kp_fail(KP_ERR_FORMAT, "%s: node features from '%s': featurising new incidents supports TF-IDF "
                          "features only", p, src);
    free(src);
    return s;
  }
  free(src);
  int64_t F, shape[1];
  KP_TRY(kp_h5_get_attr_int(h, "builder", "features", &F));
  if (F < 1 || F > INT32_MAX) return kp_fail(KP_ERR_FORMAT, "%s: builder features %lld, expected >= 1", p, (long long)F);
  f->F = (int32_t)F;
  KP_TRY(kp_h5_read_scalar(h, "builder/window_s", KP_H5_F64, &f->window_s));
  char *json = NULL;
  KP_TRY(kp_h5_read_text(h, "builder/drain_state", &json));
  char **masks = NULL;
  size_t nmasks = 0, nwant = 0;
  char where[4200];
  snprintf(where, sizeof where, "%s:builder/drain_state", p);
  kp_status s = kp_drain_from_json(json, strlen(json), where, &f->drain, &masks, &nmasks);
  free(json);
  const char **want = s == KP_OK ? ig_masks(&nwant) : NULL;
  if (s == KP_OK && !want) s = kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory");
  bool same = s == KP_OK && nmasks == nwant;
  for (size_t i = 0; same && i < nmasks; i++) same = !strcmp(masks[i], want[i]);
  if (s == KP_OK && !same)
    s = kp_fail(KP_ERR_FORMAT, "%s: built with other masking passes than this kprca's (%zu vs %zu): rebuild it", p,
                nmasks, nwant);
  free(want);
  kp_drain_free_masks(masks, nmasks);
  KP_TRY(s);
  f->dp = kp_drain_get_params(f->drain);
  f->ncl = (int64_t)kp_drain_count(f->drain);
  void *v = NULL;
  KP_TRY(kp_h5_read(h, "builder/idf", KP_H5_F32, 1, shape, &v));
  f->idf = v;
  if (shape[0] != F) return kp_fail(KP_ERR_FORMAT, "%s: builder/idf has %lld entries, expected %lld", p, (long long)shape[0], (long long)F);
  KP_TRY(kp_h5_read(h, "builder/cluster_template", KP_H5_I32, 1, shape, &v));
  f->cl_tpl = v;
  if (shape[0] != f->ncl)
    return kp_fail(KP_ERR_FORMAT, "%s: builder/cluster_template has %lld entries, the Drain state %lld clusters", p,
                   (long long)shape[0], (long long)f->ncl);
  kp_strings ms = {0}, tp = {0};
  KP_TRY(kp_h5_read_strings(h, "templates", &tp));
  s = kp_h5_read_strings(h, "builder/messages", &ms);
  if (s == KP_OK) s = kp_h5_read(h, "builder/message_template", KP_H5_I32, 1, shape, &v);
  if (s == KP_OK) {
    f->msg_tpl = v;
    if (shape[0] != ms.n)
      s = kp_fail(KP_ERR_FORMAT, "%s: builder/message_template has %lld entries, builder/messages %lld", p,
                  (long long)shape[0], (long long)ms.n);
  }
  f->T = (int32_t)tp.n;
  for (int64_t i = 0; i < tp.n && s == KP_OK; i++) {
    int32_t id;
    s = add_template(f, tp.s[i], &id);
    if (s == KP_OK && id != i) s = kp_fail(KP_ERR_FORMAT, "%s: templates[%lld] appears twice", p, (long long)i);
  }
  for (int64_t i = 0; i < ms.n && s == KP_OK; i++) {
    if (kp_strtab_intern(&f->msgs, ms.s[i], strlen(ms.s[i])) != i)
      s = kp_fail(KP_ERR_FORMAT, "%s: builder/messages[%lld] appears twice", p, (long long)i);
    else if (f->msg_tpl[i] < 0 || f->msg_tpl[i] >= f->T)
      s = kp_fail(KP_ERR_FORMAT, "%s: builder/message_template[%lld] = %d is not a template", p, (long long)i, f->msg_tpl[i]);
  }
  for (int64_t c = 0; c < f->ncl && s == KP_OK; c++)
    if (f->cl_tpl[c] < -1 || f->cl_tpl[c] >= f->T)
      s = kp_fail(KP_ERR_FORMAT, "%s: builder/cluster_template[%lld] = %d is not a template", p, (long long)c, f->cl_tpl[c]);
  kp_strings_free(&ms);
  kp_strings_free(&tp);
  return s;
}

kp_status kp_incident_featurizer_open(const char *path, kp_incident_featurizer **out) {
  *out = NULL;
  kp_incident_featurizer *f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) {
    free(f);
    return kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory");
  }
  kp_h5 *h = NULL;
  kp_status s = kp_h5_open(path, &h);
  if (s == KP_OK) s = kp_h5_check_format(h, KP_GRAPH_FORMAT, KP_GRAPH_VERSION, NULL);
  if (s == KP_OK) s = read_state(f, h);
  if (s == KP_OK) s = kp_h5_read_strings(h, "labels/names", &f->labels);
  kp_h5_close(h);
  if (s == KP_OK) s = kp_build_masker_new(&f->mask);
  if (s != KP_OK) {
    kp_incident_featurizer_free(f);
    return s;
  }
  *out = f;
  return KP_OK;
}

/* Lines of one incident; line.cluster: a template index >= 0, or -(k + 1) for unseen message k. */
typedef struct fz {
  kp_incident_featurizer *f;
  ig_lines *m;
  kp_drain *fresh;      /* unseen messages that no corpus cluster takes, mined among themselves */
  int32_t *pend;        /* [unseen]: >= 0 a corpus cluster without template; < 0: -(fresh cluster + 1) */
  int64_t npend, cap_pend;
  kp_incident_featurize_info info;
} fz;

static kp_status fz_line(void *ctx, const kp_klog_record *r, ig_line w) {
  fz *z = ctx;
  kp_incident_featurizer *f = z->f;
  size_t n;
  KP_TRY(ig_message(f->mask, r->msg, r->msg_len, &f->buf, &f->cap, &n));
  z->info.lines++;
  int32_t id = kp_strtab_find(&f->msgs, f->buf, n), c = -1;
  if (id >= 0) {
    w.cluster = f->msg_tpl[id];
    return ig_push(z->m, w);
  }
  z->info.unseen_lines++;
  KP_TRY(kp_drain_match(f->drain, f->buf, n, &c));
  if (c >= 0 && f->cl_tpl[c] >= 0) {
    w.cluster = f->cl_tpl[c];
    return ig_push(z->m, w);
  }
  if (c < 0) {
    bool created;
    if (!z->fresh) KP_TRY(kp_drain_new(&f->dp, &z->fresh));
    KP_TRY(kp_drain_add(z->fresh, f->buf, n, &c, &created));
    c = -(c + 1);
  }
  if (z->npend == z->cap_pend) {
    int64_t cap = z->cap_pend ? 2 * z->cap_pend : 64;
    int32_t *p = realloc(z->pend, sizeof *p * (size_t)cap);
    if (!p) return kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory");
    z->pend = p, z->cap_pend = cap;
  }
  z->pend[z->npend] = c;
  w.cluster = (int32_t)-(++z->npend);
  return ig_push(z->m, w);
}

/* The unseen lines' templates: the final text of their cluster, the corpus' template of that text when it has
 * one, else a new template. */
static kp_status resolve(fz *z) {
  kp_incident_featurizer *f = z->f;
  for (int64_t k = 0; k < z->npend; k++) {
    int32_t c = z->pend[k];
    const char *text = c >= 0 ? kp_drain_template(f->drain, (size_t)c) : kp_drain_template(z->fresh, (size_t)(-c - 1));
    KP_TRY(add_template(f, text, &z->pend[k]));
  }
  for (int64_t j = 0; j < z->m->n; j++)
    if (z->m->l[j].cluster < 0) z->m->l[j].cluster = z->pend[-z->m->l[j].cluster - 1];
  return KP_OK; /* templates first met here stay in f (with their rows) for later incidents */
}

kp_status kp_incident_featurize(kp_incident_featurizer *f, const kp_incident_log *l, kp_graph_data *g,
                                kp_incident_featurize_info *info) {
  memset(g, 0, sizeof *g);
  if (info) memset(info, 0, sizeof *info);
  kp_incident_times t;
  KP_TRY(kp_incident_times_get(l, &t));
  ig_lines m;
  memset(&m, 0, sizeof m);
  int64_t off[2] = {0, 0};
  m.off = off;
  fz z;
  memset(&z, 0, sizeof z);
  z.f = f, z.m = &m;
  kp_incident_graphs one;
  memset(&one, 0, sizeof one);
  kp_status s = ig_window_lines(l, &t, f->window_s, fz_line, &z);
  if (s == KP_OK && m.n == 0) s = kp_fail(KP_ERR_FORMAT, "%s: no lines with text", l->log->name);
  if (s == KP_OK) s = resolve(&z);
  off[1] = m.n;
  if (s == KP_OK) s = ig_assemble(&m, 1, f->F, f->tpl.n, f->rows, &one);
  if (s == KP_OK) {
    one.g.graph_y = malloc(sizeof *one.g.graph_y);
    if (!one.g.graph_y || kp_strings_copy(&one.g.label_names, f->labels.n, (const char *const *)f->labels.s) != KP_OK)
      s = kp_fail(KP_ERR_NOMEM, "incident featurizer: out of memory");
    else
      one.g.graph_y[0] = l->inc ? l->inc->label : -1;
  }
  if (s == KP_OK) {
    *g = one.g;
    memset(&one.g, 0, sizeof one.g);
    if (info) {
      /* distinct new templates among the graph's nodes */
      for (int64_t v = 0; v < g->num_nodes; v++) info->new_templates += one.node_template[v] >= f->T;
      info->lines = z.info.lines, info->unseen_lines = z.info.unseen_lines;
    }
  }
  kp_incident_graphs_free(&one);
  kp_drain_free(z.fresh);
  free(z.pend), free(m.l);
  kp_incident_times_free(&t);
  return s;
}

static bool is_panic(const kp_klog_record *r) {
  static const char want[] = "Kernel panic - not syncing";
  return r->msg_len >= sizeof want - 1 && !memcmp(r->msg, want, sizeof want - 1);
}

kp_status kp_incident_log_from_file(const char *path, const kp_klog_options *opts, kp_incident_log *out) {
  memset(out, 0, sizeof *out);
  out->panic = -1;
  kp_klog_options o;
  memset(&o, 0, sizeof o);
  KP_TRY(kp_klog_load(path, opts ? opts : &o, &out->log));
  int64_t n = out->log->n;
  out->root = calloc((size_t)(n ? n : 1), 1);
  if (!out->root) {
    kp_incident_log_clear(out);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  for (int64_t k = n - 1; k >= 0 && out->panic < 0; k--)
    if (is_panic(&out->log->rec[k])) out->panic = k;
  return KP_OK;
}
