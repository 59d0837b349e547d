/* kprca-prep build --kind incident-graphs / case-graph: options to the builders of src/graph/,
 * a summary and the class counts per split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/prep_build.h"
#include "kprca/case_graph.h"
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

int build_incident_graphs(const build_opts *o) {
  double t0 = now_s();
  kp_incident_dir *d = NULL;
  kp_status s = build_open_dir(o, &d);
  if (s != KP_OK) return build_fail(build_code(s), "%s", kp_last_error());
  if (d->n == 0) {
    kp_incident_dir_free(d);
    return build_fail(2, "%s/labels.csv: no incidents listed", o->input);
  }
  kp_incident_graph_options go = kp_incident_graph_defaults();
  go.window_s = o->window_s, go.features = o->features, go.val = o->val, go.test = o->test, go.seed = o->seed;
  kp_incident_graphs ig;
  s = kp_incident_graphs_build(d, &go, &ig);
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
    kp_split_print_counts(stdout, g->graph_y, g->graph_split, g->num_graphs, (const char *const *)g->label_names.s,
                          g->label_names.n);
  }
  kp_incident_graphs_free(&ig);
  kp_incident_dir_free(d);
  return rc;
}

int build_case_graph(const build_opts *o) {
  double t0 = now_s();
  kp_incident_dir *d = NULL;
  kp_status s = build_open_dir(o, &d);
  if (s != KP_OK) return build_fail(build_code(s), "%s", kp_last_error());
  kp_case_graph_options co = kp_case_graph_defaults();
  co.fault_window = o->fault_window, co.window_s = o->window_s, co.features = o->features, co.k = o->k;
  co.val = o->val, co.test = o->test, co.seed = o->seed;
  kp_graph_data g;
  s = kp_case_graph_build(d, &co, &g);
  if (s == KP_OK) s = kp_graph_data_save(o->out, &g);
  int rc = 0;
  if (s != KP_OK) rc = build_fail(build_code(s), "%s", kp_last_error());
  else {
    int64_t n = g.num_nodes, nofault = 0, same = 0;
    for (int64_t i = 0; i < n; i++) {
      nofault += g.x[i * g.num_features + g.num_features - 1] > 0;
      for (int32_t e = g.indptr[i]; e < g.indptr[i + 1]; e++) same += g.y[g.indices[e]] == g.y[i];
    }
    printf("wrote %s: %lld incidents, %lld edges (k %d, symmetrised; %.1f%% join incidents of one label), %lld "
           "features from %s, %lld incidents without fault lines, %.1f MB; %.2f s\n",
           o->out, (long long)n, (long long)g.num_edges, o->k, g.num_edges ? 100.0 * (double)same / (double)g.num_edges : 0.0,
           (long long)g.num_features, o->fault_window ? "the window lines" : "the labelled root-cause lines",
           (long long)nofault, file_mb(o->out), now_s() - t0);
    int8_t *split = malloc((size_t)(n ? n : 1));
    if (split) {
      for (int64_t i = 0; i < n; i++) split[i] = g.train_mask[i] ? 0 : g.val_mask[i] ? 1 : g.test_mask[i] ? 2 : -1;
      kp_split_print_counts(stdout, g.y, split, n, (const char *const *)g.label_names.s, g.label_names.n);
      free(split);
    }
  }
  kp_graph_data_free(&g);
  kp_incident_dir_free(d);
  return rc;
}
