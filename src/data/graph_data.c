/* Graph datasets ("kprca.graph" v1): validation of every invariant, HDF5 load and atomic save. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "data/h5_internal.h"
#include "kprca/graph_data.h"

const char *kp_graph_task_name(kp_graph_task t) { return t == KP_TASK_GRAPH ? "graph" : "node"; }

void kp_graph_data_free(kp_graph_data *g) {
  if (!g) return;
  free(g->x);
  free(g->indptr);
  free(g->indices);
  free(g->edge_weight);
  free(g->y);
  free(g->train_mask);
  free(g->val_mask);
  free(g->test_mask);
  free(g->node_flag);
  free(g->graph_ptr);
  free(g->graph_y);
  free(g->graph_split);
  kp_strings_free(&g->label_names);
  memset(g, 0, sizeof *g);
}

/* ---- validation ---------------------------------------------------------------------------- */

static kp_status check_finite(const char *where, const char *name, const float *v, int64_t n, int64_t cols) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(v[i])) {
      if (cols > 0)
        return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 ", %" PRId64 "] = %g is not finite", where, name,
                       i / cols, i % cols, (double)v[i]);
      return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 "] = %g is not finite", where, name, i, (double)v[i]);
    }
  return KP_OK;
}

/* ptr[0] == 0, non-decreasing, ptr[n] == total. */
static kp_status check_ptr(const char *where, const char *name, const int32_t *p, int64_t n, int64_t total,
                           const char *total_what) {
  if (p[0] != 0) return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [0] = %d, must be 0", where, name, p[0]);
  for (int64_t i = 1; i <= n; i++)
    if (p[i] < p[i - 1])
      return kp_fail(KP_ERR_FORMAT,
                     "%s: dataset '%s' [%" PRId64 "] = %d is below [%" PRId64 "] = %d (must be non-decreasing)", where,
                     name, i, p[i], i - 1, p[i - 1]);
  if (p[n] != total)
    return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 "] = %d, must equal %s (%" PRId64 ")", where, name, n,
                   p[n], total_what, total);
  return KP_OK;
}

static kp_status check_range(const char *where, const char *name, const int32_t *v, int64_t n, int64_t lo, int64_t hi,
                             const char *why) {
  for (int64_t i = 0; i < n; i++)
    if (v[i] < lo || v[i] >= hi)
      return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 "] = %d outside [%" PRId64 ", %" PRId64 ")%s", where,
                     name, i, v[i], lo, hi, why);
  return KP_OK;
}

static kp_status check_i8(const char *where, const char *name, const int8_t *v, int64_t n, int hi) {
  for (int64_t i = 0; i < n; i++)
    if (v[i] < 0 || v[i] > hi)
      return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 "] = %d, must be %s", where, name, i, v[i],
                     hi == 1 ? "0 or 1" : "0 (train), 1 (val) or 2 (test)");
  return KP_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Class names: at least one, none empty, all distinct. */
kp_status kp_check_label_names_(const kp_strings *names, const char *where) {
  if (names->n < 1)
    return kp_fail(KP_ERR_FORMAT, "%s: dataset 'labels/names' is empty (need at least one class)", where);
  for (int64_t i = 0; i < names->n; i++)
    if (!names->s[i] || !names->s[i][0])
      return kp_fail(KP_ERR_FORMAT, "%s: dataset 'labels/names' [%" PRId64 "] is an empty name", where, i);
  char **tmp = malloc(sizeof(char *) * (size_t)names->n);
  if (!tmp) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", where);
  memcpy(tmp, names->s, sizeof(char *) * (size_t)names->n);
  qsort(tmp, (size_t)names->n, sizeof(char *), cmp_str);
  kp_status s = KP_OK;
  for (int64_t i = 1; i < names->n && s == KP_OK; i++)
    if (!strcmp(tmp[i], tmp[i - 1]))
      s = kp_fail(KP_ERR_FORMAT, "%s: dataset 'labels/names' names class \"%s\" twice", where, tmp[i]);
  free(tmp);
  return s;
}

static kp_status validate_node_task(const kp_graph_data *g, const char *where, int64_t N) {
  if (g->graph_ptr || g->graph_y || g->graph_split)
    return kp_fail(KP_ERR_FORMAT, "%s: task is \"node\" but graph_ptr/graph_y/graph_split are present", where);
  if (!g->y) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'y' missing (task \"node\" needs a label per node)", where);
  const int8_t *m[3] = {g->train_mask, g->val_mask, g->test_mask};
  const char *mn[3] = {"train_mask", "val_mask", "test_mask"};
  for (int k = 0; k < 3; k++) {
    if (!m[k]) continue;
    KP_TRY(check_i8(where, mn[k], m[k], N, 1));
    for (int64_t i = 0; i < N; i++) {
      if (!m[k][i]) continue;
      if (g->y[i] < 0)
        return kp_fail(KP_ERR_FORMAT, "%s: dataset '%s' [%" PRId64 "] selects node %" PRId64 " whose label y is -1",
                       where, mn[k], i, i);
      for (int j = 0; j < k; j++)
        if (m[j] && m[j][i])
          return kp_fail(KP_ERR_FORMAT, "%s: node %" PRId64 " is in both %s and %s (masks must be disjoint)", where, i,
                         mn[j], mn[k]);
    }
  }
  return KP_OK;
}

static kp_status validate_graph_task(const kp_graph_data *g, const char *where, int64_t N) {
  if (g->train_mask || g->val_mask || g->test_mask)
    return kp_fail(KP_ERR_FORMAT, "%s: task is \"graph\" but node masks are present (use graph_split)", where);
  if (!g->graph_ptr) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'graph_ptr' missing (task \"graph\")", where);
  if (!g->graph_y) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'graph_y' missing (task \"graph\")", where);
  int64_t G = g->num_graphs;
  if (G < 0) return kp_fail(KP_ERR_INVALID, "%s: num_graphs = %" PRId64 " is negative", where, G);
  KP_TRY(check_ptr(where, "graph_ptr", g->graph_ptr, G, N, "the number of nodes"));
  KP_TRY(check_range(where, "graph_y", g->graph_y, G, 0, g->label_names.n, " (labels/names has that many classes)"));
  if (g->graph_split) KP_TRY(check_i8(where, "graph_split", g->graph_split, G, 2));
  /* no edge may cross from one graph into another */
  for (int64_t k = 0; k < G; k++)
    for (int64_t i = g->graph_ptr[k]; i < g->graph_ptr[k + 1]; i++)
      for (int64_t e = g->indptr[i]; e < g->indptr[i + 1]; e++)
        if (g->indices[e] < g->graph_ptr[k] || g->indices[e] >= g->graph_ptr[k + 1])
          return kp_fail(KP_ERR_FORMAT,
                         "%s: dataset 'indices' [%" PRId64 "] = %d links node %" PRId64 " of graph %" PRId64
                         " to a node outside it (nodes %d..%d)",
                         where, e, g->indices[e], i, k, g->graph_ptr[k], g->graph_ptr[k + 1] - 1);
  return KP_OK;
}

kp_status kp_graph_data_validate(const kp_graph_data *g, const char *where) {
  int64_t N = g->num_nodes, F = g->num_features, E = g->num_edges;
  if (g->task != KP_TASK_NODE && g->task != KP_TASK_GRAPH)
    return kp_fail(KP_ERR_INVALID, "%s: task %d is neither node nor graph", where, (int)g->task);
  if (N < 0 || F < 0 || E < 0)
    return kp_fail(KP_ERR_INVALID, "%s: negative size (nodes %" PRId64 ", features %" PRId64 ", edges %" PRId64 ")",
                   where, N, F, E);
  if (N > INT32_MAX || E > INT32_MAX)
    return kp_fail(KP_ERR_FORMAT, "%s: %" PRId64 " nodes / %" PRId64 " edges exceed the int32 indices kprca uses",
                   where, N, E);
  if (!g->x && N * F > 0) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'x' missing", where);
  if (!g->indptr) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'indptr' missing", where);
  if (!g->indices && E > 0) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'indices' missing", where);
  if (g->x) KP_TRY(check_finite(where, "x", g->x, N * F, F));
  KP_TRY(check_ptr(where, "indptr", g->indptr, N, E, "the number of entries in 'indices'"));
  KP_TRY(check_range(where, "indices", g->indices, E, 0, N, " (node ids)"));
  if (g->edge_weight) KP_TRY(check_finite(where, "edge_weight", g->edge_weight, E, 0));
  KP_TRY(kp_check_label_names_(&g->label_names, where));
  int64_t C = g->label_names.n;
  if (g->y) KP_TRY(check_range(where, "y", g->y, N, -1, C, " (-1 = unlabelled; labels/names has that many classes)"));
  if (g->node_flag) KP_TRY(check_i8(where, "node_flag", g->node_flag, N, 1));
  return g->task == KP_TASK_NODE ? validate_node_task(g, where, N) : validate_graph_task(g, where, N);
}

/* ---- load ---------------------------------------------------------------------------------- */

/* As kp_h5_read_1d_ when the dataset exists; leaves *out NULL otherwise. */
static kp_status read1_opt(kp_h5 *h, const char *name, kp_h5_type t, int64_t n, const char *why, void **out) {
  *out = NULL;
  if (!kp_h5_exists(h, name)) return KP_OK;
  return kp_h5_read_1d_(h, name, t, n, why, out, NULL);
}

static kp_status load(kp_h5 *h, void *arg) {
  kp_graph_data *g = arg;
  const char *path = kp_h5_path(h);
  KP_TRY(kp_h5_check_format(h, KP_GRAPH_FORMAT, KP_GRAPH_VERSION, NULL));
  char *task = NULL;
  KP_TRY(kp_h5_get_attr_str(h, "/", "task", &task));
  bool node = !strcmp(task, "node"), graph = !strcmp(task, "graph");
  if (!node && !graph) {
    kp_status s = kp_fail(KP_ERR_FORMAT, "%s: attribute 'task' is \"%s\", expected \"node\" or \"graph\"", path, task);
    free(task);
    return s;
  }
  free(task);
  g->task = node ? KP_TASK_NODE : KP_TASK_GRAPH;
  int64_t shape[2];
  KP_TRY(kp_h5_read(h, "x", KP_H5_F32, 2, shape, (void **)&g->x));
  g->num_nodes = shape[0];
  g->num_features = shape[1];
  int64_t N = g->num_nodes;
  KP_TRY(kp_h5_read_1d_(h, "indptr", KP_H5_I32, N + 1, "one more than the rows of x", (void **)&g->indptr, NULL));
  KP_TRY(kp_h5_read_1d_(h, "indices", KP_H5_I32, -1, "", (void **)&g->indices, &g->num_edges));
  KP_TRY(read1_opt(h, "edge_weight", KP_H5_F32, g->num_edges, "one per entry of indices", (void **)&g->edge_weight));
  KP_TRY(kp_h5_read_strings(h, "labels/names", &g->label_names));
  KP_TRY(read1_opt(h, "y", KP_H5_I32, N, "one per node", (void **)&g->y));
  KP_TRY(read1_opt(h, "train_mask", KP_H5_I8, N, "one per node", (void **)&g->train_mask));
  KP_TRY(read1_opt(h, "val_mask", KP_H5_I8, N, "one per node", (void **)&g->val_mask));
  KP_TRY(read1_opt(h, "test_mask", KP_H5_I8, N, "one per node", (void **)&g->test_mask));
  KP_TRY(read1_opt(h, "node_flag", KP_H5_I8, N, "one per node", (void **)&g->node_flag));
  bool has_graph = kp_h5_exists(h, "graph_ptr") || kp_h5_exists(h, "graph_y") || kp_h5_exists(h, "graph_split");
  if (node && has_graph)
    return kp_fail(KP_ERR_FORMAT, "%s: task is \"node\" but graph_ptr/graph_y/graph_split are present", path);
  if (graph) {
    if (!kp_h5_exists(h, "graph_ptr"))
      return kp_fail(KP_ERR_FORMAT, "%s: dataset 'graph_ptr' missing (task \"graph\")", path);
    int64_t np;
    KP_TRY(kp_h5_read_1d_(h, "graph_ptr", KP_H5_I32, -1, "", (void **)&g->graph_ptr, &np));
    if (np < 1) return kp_fail(KP_ERR_FORMAT, "%s: dataset 'graph_ptr' is empty (needs G+1 >= 1 entries)", path);
    g->num_graphs = np - 1;
    KP_TRY(read1_opt(h, "graph_y", KP_H5_I32, g->num_graphs, "one per graph: graph_ptr has G+1 entries",
                     (void **)&g->graph_y));
    KP_TRY(read1_opt(h, "graph_split", KP_H5_I8, g->num_graphs, "one per graph", (void **)&g->graph_split));
  }
  return kp_graph_data_validate(g, path);
}

kp_status kp_graph_data_load(const char *path, kp_graph_data *g) {
  memset(g, 0, sizeof *g);
  kp_status s = kp_h5_load_with_(path, load, g);
  if (s != KP_OK) kp_graph_data_free(g);
  return s;
}

/* ---- save ---------------------------------------------------------------------------------- */

static kp_status save(kp_h5 *h, const void *arg) {
  const kp_graph_data *g = arg;
  int64_t N = g->num_nodes, E = g->num_edges, G = g->num_graphs;
  KP_TRY(kp_h5_set_attr_str(h, "/", "format", KP_GRAPH_FORMAT));
  KP_TRY(kp_h5_set_attr_int(h, "/", "version", KP_GRAPH_VERSION));
  KP_TRY(kp_h5_set_attr_str(h, "/", "task", kp_graph_task_name(g->task)));
  int64_t xs[2] = {N, g->num_features}, np1 = N + 1;
  KP_TRY(kp_h5_write(h, "x", KP_H5_F32, 2, xs, g->x));
  KP_TRY(kp_h5_write(h, "indptr", KP_H5_I32, 1, &np1, g->indptr));
  KP_TRY(kp_h5_write(h, "indices", KP_H5_I32, 1, &E, g->indices));
  if (g->edge_weight) KP_TRY(kp_h5_write(h, "edge_weight", KP_H5_F32, 1, &E, g->edge_weight));
  if (g->y) KP_TRY(kp_h5_write(h, "y", KP_H5_I32, 1, &N, g->y));
  if (g->train_mask) KP_TRY(kp_h5_write(h, "train_mask", KP_H5_I8, 1, &N, g->train_mask));
  if (g->val_mask) KP_TRY(kp_h5_write(h, "val_mask", KP_H5_I8, 1, &N, g->val_mask));
  if (g->test_mask) KP_TRY(kp_h5_write(h, "test_mask", KP_H5_I8, 1, &N, g->test_mask));
  if (g->node_flag) KP_TRY(kp_h5_write(h, "node_flag", KP_H5_I8, 1, &N, g->node_flag));
  if (g->task == KP_TASK_GRAPH) {
    /* graph_ptr is stored as int64 (as PyG's batch.ptr); readers accept int32 too */
    int64_t gp1 = G + 1;
    int64_t *p = malloc(sizeof(int64_t) * (size_t)gp1);
    if (!p) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", kp_h5_path(h));
    for (int64_t i = 0; i < gp1; i++) p[i] = g->graph_ptr[i];
    kp_status s = kp_h5_write(h, "graph_ptr", KP_H5_I64, 1, &gp1, p);
    free(p);
    KP_TRY(s);
    KP_TRY(kp_h5_write(h, "graph_y", KP_H5_I32, 1, &G, g->graph_y));
    if (g->graph_split) KP_TRY(kp_h5_write(h, "graph_split", KP_H5_I8, 1, &G, g->graph_split));
  }
  return kp_h5_write_strings(h, "labels/names", g->label_names.n, (const char *const *)g->label_names.s);
}

kp_status kp_graph_data_write(kp_h5 *h, const kp_graph_data *g) {
  KP_TRY(kp_graph_data_validate(g, kp_h5_path(h)));
  return save(h, g);
}

kp_status kp_graph_data_save(const char *path, const kp_graph_data *g) {
  KP_TRY(kp_graph_data_validate(g, path));
  return kp_h5_save_with_(path, save, g);
}

void kp_graph_normalize_features(float *x, int64_t n, int64_t f) {
  if (n * f == 0) return;
  float lo = x[0];
  for (int64_t i = 1; i < n * f; i++)
    if (x[i] < lo) lo = x[i];
  for (int64_t i = 0; i < n; i++) {
    float *r = x + i * f, sum = 0.0f;
    for (int64_t j = 0; j < f; j++) sum += (r[j] -= lo);
    if (sum < 1.0f) sum = 1.0f;
    for (int64_t j = 0; j < f; j++) r[j] /= sum;
  }
}
