/* kprca-prep build --kind incident-graphs / case-graph: options to the builders of src/graph/ (TF-IDF or
 * --encoder sentence embeddings as node text features), a summary and the class counts per split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/prep_build.h"
#include "kprca/case_graph.h"
#include "kprca/h5.h"
#include "kprca/incident_graph.h"
#include "kprca/split.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double file_mb(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
}

/* kp_graph_data_save plus the root attribute node_features ("tfidf" or "encoder: <model>"). */
static kp_status save_case_graph(const char *path, const kp_graph_data *g, const kp_text_encoder *enc) {
  KP_TRY(kp_graph_data_validate(g, path));
  kp_h5 *h;
  KP_TRY(kp_h5_create(path, &h));
  kp_status s = kp_graph_data_write(h, g);
  char src[700];
  snprintf(src, sizeof src, "encoder: %s", enc ? kp_text_encoder_describe(enc) : "");
  if (s == KP_OK) s = kp_h5_set_attr_str(h, "/", "node_features", enc ? src : "tfidf");
  if (s != KP_OK) {
    kp_h5_abort(h);
    return s;
  }
  return kp_h5_commit(h);
}

int build_open_encoder(const build_opts *o, kp_text_encoder **e) {
  *e = NULL;
  if (!o->encoder) return 0;
  kp_status s = kp_text_encoder_open(o->encoder, 0, 0, e);
  if (s != KP_OK) return build_fail(build_code(s), "--encoder %s: %s", o->encoder, kp_last_error());
  if (o->fault_predicted && kp_text_encoder_classes(*e) < 1) {
    kp_text_encoder_free(*e);
    *e = NULL;
    return build_fail(2, "--encoder %s: --fault-lines predicted needs a line classifier (a kprca-train bert run); this "
                      "model has no classification head", o->encoder);
  }
  return 0;
}

void build_encoder_summary(const kp_text_encoder *e, double seconds) {
  if (!e) return;
  kp_text_encoder_stats st = kp_text_encoder_get_stats(e);
  printf("encoder: %s\n", kp_text_encoder_describe(e));
  printf("encoder: %lld texts, %lld distinct encoded in %lld batches (%lld tokens, %.1f%% padding); %.2f s\n",
         (long long)st.requested, (long long)st.encoded, (long long)st.batches, (long long)st.tokens,
         st.padded ? 100.0 * (double)(st.padded - st.tokens) / (double)st.padded : 0.0, seconds);
}

int build_incident_graphs(const build_opts *o) {
  double t0 = now_s();
  kp_incident_dir *d = NULL;
  kp_status s = build_open_dir(o, &d);
  if (s != KP_OK) return build_fail(build_code(s), "%s", kp_last_error());
  if (d->n == 0) {
    kp_incident_dir_free(d);
    return build_fail(2, "%s/labels.csv: no incidents listed", o->input);
  }
  kp_text_encoder *enc = NULL;
  int erc = build_open_encoder(o, &enc);
  if (erc) {
    kp_incident_dir_free(d);
    return erc;
  }
  kp_incident_graph_options go = kp_incident_graph_defaults();
  go.window_s = o->window_s, go.features = o->features, go.val = o->val, go.test = o->test, go.seed = o->seed;
  go.encoder = enc;
  kp_incident_graphs ig;
  double te = now_s();
  s = kp_incident_graphs_build(d, &go, &ig);
  te = now_s() - te;
  if (s == KP_OK) s = kp_incident_graphs_save(o->out, &ig);
  int rc = 0;
  if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
  else {
    const kp_graph_data *g = &ig.g;
    int64_t flagged = 0;
    for (int64_t v = 0; v < g->num_nodes; v++) flagged += g->node_flag[v];
    printf("wrote %s: %lld graphs, %lld nodes (%lld flagged), %lld edges, %lld features, %lld templates from %lld "
           "lines in %g s windows, %.1f MB; %.2f s\n",
           o->out, (long long)g->num_graphs, (long long)g->num_nodes, (long long)flagged, (long long)g->num_edges,
           (long long)g->num_features, (long long)ig.templates.n, (long long)ig.lines, o->window_s, file_mb(o->out),
           now_s() - t0);
    build_encoder_summary(enc, te);
    kp_split_print_counts(stdout, g->graph_y, g->graph_split, g->num_graphs, (const char *const *)g->label_names.s,
                          g->label_names.n);
  }
  kp_text_encoder_free(enc);
  kp_incident_graphs_free(&ig);
  kp_incident_dir_free(d);
  return rc;
}

int build_case_graph(const build_opts *o) {
  double t0 = now_s();
  kp_incident_dir *d = NULL;
  kp_status s = build_open_dir(o, &d);
  if (s != KP_OK) return build_fail(build_code(s), "%s", kp_last_error());
  kp_text_encoder *enc = NULL;
  int erc = build_open_encoder(o, &enc);
  if (erc) {
    kp_incident_dir_free(d);
    return erc;
  }
  kp_case_graph_options co = kp_case_graph_defaults();
  co.fault_window = o->fault_window, co.window_s = o->window_s, co.features = o->features, co.k = o->k;
  co.val = o->val, co.test = o->test, co.seed = o->seed;
  co.encoder = enc, co.fault_predicted = o->fault_predicted;
  kp_graph_data g;
  double te = now_s();
  s = kp_case_graph_build(d, &co, &g);
  te = now_s() - te;
  if (s == KP_OK) s = save_case_graph(o->out, &g, enc);
  int rc = 0;
  if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
  else {
    int64_t n = g.num_nodes, nofault = 0, same = 0;
    for (int64_t i = 0; i < n; i++) {
      nofault += g.x[i * g.num_features + g.num_features - 1] > 0;
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) same += g.y[g.indices[e]] == g.y[i];
    }
    printf("wrote %s: %lld incidents, %lld edges (k %d, symmetrised; %.1f%% join incidents of one label), %lld "
           "%s features from %s, %lld incidents without fault lines, %.1f MB; %.2f s\n",
           o->out, (long long)n, (long long)g.num_edges, o->k, g.num_edges ? 100.0 * (double)same / (double)g.num_edges : 0.0,
           (long long)g.num_features, enc ? "encoder" : "TF-IDF",
           o->fault_predicted ? "the predicted root-cause lines"
           : o->fault_window  ? "the window lines"
                              : "the labelled root-cause lines",
           (long long)nofault, file_mb(o->out), now_s() - t0);
    build_encoder_summary(enc, te);
    int8_t *split = malloc((size_t)(n ? n : 1));
    if (split) {
      for (int64_t i = 0; i < n; i++) split[i] = g.train_mask[i] ? 0 : g.val_mask[i] ? 1 : g.test_mask[i] ? 2 : -1;
      kp_split_print_counts(stdout, g.y, split, n, (const char *const *)g.label_names.s, g.label_names.n);
      free(split);
    }
  }
  kp_text_encoder_free(enc);
  kp_graph_data_free(&g);
  kp_incident_dir_free(d);
  return rc;
}
