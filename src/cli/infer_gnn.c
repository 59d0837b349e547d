/* kprca-infer --incident with a GNN checkpoint (model.task graph, trained on incident graphs): each input
 * file is one incident, built into its incident graph exactly as kprca-prep build made the training graphs
 * (the dataset's builder/ state: kp_incident_featurize), scored by the model in evaluation mode, and its
 * root-cause labels printed ranked by probability. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli/infer.h"
#include "cli/infer_print.h"
#include "kprca/checkpoint.h"
#include "kprca/config.h"
#include "kprca/incident_graph.h"
#include "kprca/trainer.h"

typedef struct gnn_run {
  char file[4096];
  kp_config *cfg;
  kp_trainer *t;
  kp_incident_featurizer *f;
  kp_strings labels;
  char data[4096];
} gnn_run;

/* The resolved config stored in checkpoint file (data.path replaced by data when given). */
static kp_status load_config(const char *file, const char *data, const char *device, kp_config **out,
                             kp_strings *labels) {
  kp_config *cfg = NULL;
  *out = NULL;
  KP_TRY(kp_ckpt_read_config(file, &cfg, labels));
  kp_status s = KP_OK;
  if (data) s = kp_config_set(cfg, "data.path", data, "--graph-data");
  if (s == KP_OK) s = kp_config_set(cfg, "train.progress", "none", "kprca-infer");
  if (s == KP_OK && device) s = kp_config_set(cfg, "device", device, "--device");
  if (s != KP_OK) {
    kp_config_free(cfg);
    return s;
  }
  *out = cfg;
  return KP_OK;
}

kp_status infer_gnn_probe(const char *model_path, bool *is_gnn) {
  *is_gnn = false;
  struct stat st;
  char cj[4200];
  snprintf(cj, sizeof cj, "%s/config.json", model_path);
  if (stat(model_path, &st) != 0 || stat(cj, &st) == 0) return KP_OK; /* missing, or a Hugging Face directory */
  char file[4096];
  if (kp_ckpt_resolve(model_path, file, sizeof file) != KP_OK) return KP_OK; /* the line model's open explains it */
  kp_config *cfg = NULL;
  kp_strings labels = {0};
  if (load_config(file, NULL, NULL, &cfg, &labels) == KP_OK) {
    *is_gnn = strcmp(kp_config_string(cfg, "model.name"), "bert") != 0;
    kp_config_free(cfg);
  }
  kp_strings_free(&labels);
  return KP_OK;
}

static bool same_names(const kp_strings *a, const kp_strings *b) {
  bool same = a->n == b->n;
  for (int64_t i = 0; same && i < a->n; i++) same = !strcmp(a->s[i], b->s[i]);
  return same;
}

static kp_status setup(gnn_run *r, const infer_opts *o) {
  KP_TRY(kp_ckpt_resolve(o->model_path, r->file, sizeof r->file));
  KP_TRY(load_config(r->file, o->graph_data, o->device, &r->cfg, &r->labels));
  const char *name = kp_config_string(r->cfg, "model.name"), *task = kp_config_string(r->cfg, "model.task");
  if (!strcmp(name, "bert"))
    return kp_fail(KP_ERR_INVALID, "%s: a bert line model; --graph-data is for GNN incident models", r->file);
  if (strcmp(task, "graph"))
    return kp_fail(KP_ERR_INVALID, "%s: a %s model of task %s (node classification); --incident needs a graph model "
                   "trained on incident graphs (kprca-prep build --kind incident-graphs)", r->file, name, task);
  snprintf(r->data, sizeof r->data, "%s", kp_config_string(r->cfg, "data.path"));
  struct stat st;
  if (stat(r->data, &st) != 0)
    return kp_fail(KP_ERR_IO, "%s: its dataset %s (data.path) is not here: give --graph-data FILE (the incident-graphs "
                   "file it was trained on)", r->file, r->data);
  KP_TRY(kp_incident_featurizer_open(r->data, &r->f));
  KP_TRY(kp_config_finish(r->cfg));
  KP_TRY(kp_trainer_create(r->cfg, &r->t));
  KP_TRY(kp_trainer_load_weights(r->t, r->file));
  if (!same_names(&r->labels, kp_incident_featurizer_labels(r->f)))
    return kp_fail(KP_ERR_INVALID, "%s: its classes differ from those of the checkpoint %s", r->data, r->file);
  return KP_OK;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const float *sort_p;
static int by_prob(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  if (sort_p[i] != sort_p[j]) return sort_p[i] > sort_p[j] ? -1 : 1;
  return i - j; /* ties: the lower class, as argmax */
}

static void print_ranking(const infer_opts *o, const char *src, const kp_strings *names, const float *p,
                          const kp_incident_log *l, const kp_graph_data *g, const kp_incident_featurize_info *in) {
  int C = (int)names->n, *ord = malloc(sizeof *ord * (size_t)C);
  infer_rank *e = malloc(sizeof *e * (size_t)C);
  if (!ord || !e) {
    free(ord), free(e);
    return;
  }
  for (int c = 0; c < C; c++) ord[c] = c;
  sort_p = p;
  qsort(ord, (size_t)C, sizeof *ord, by_prob);
  int shown = o->top < C ? o->top : C;
  for (int k = 0; k < shown; k++) e[k] = (infer_rank){names->s[ord[k]], p[ord[k]], 0, NULL, "model"};
  int64_t panic = l->panic >= 0 ? l->log->rec[l->panic].lineno : 0;
  cJSON *j = NULL;
  if (o->json) {
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", src);
    cJSON_AddNumberToObject(j, "lines", (double)l->log->n);
    cJSON_AddNumberToObject(j, "window_lines", (double)in->lines);
    cJSON_AddNumberToObject(j, "unseen_lines", (double)in->unseen_lines);
    cJSON_AddNumberToObject(j, "nodes", (double)g->num_nodes);
    cJSON_AddNumberToObject(j, "edges", (double)g->num_edges);
    if (panic) cJSON_AddNumberToObject(j, "panic_line", (double)panic);
    else cJSON_AddNullToObject(j, "panic_line");
  } else {
    printf("incident %s: %lld lines, %lld in the window (%lld unseen), %lld nodes, %lld edges, panic line %s%lld\n",
           src, (long long)l->log->n, (long long)in->lines, (long long)in->unseen_lines, (long long)g->num_nodes,
           (long long)g->num_edges, panic ? "" : "none: last timed line, ", (long long)(panic ? panic : 0));
  }
  infer_print_ranking(o->json, j, shown, e);
  free(ord), free(e);
}

/* Featurises and scores one incident file. */
static kp_status score_one(gnn_run *r, const infer_opts *o, const char *path, int64_t *lines) {
  kp_klog_options ko;
  memset(&ko, 0, sizeof ko);
  ko.format = o->format;
  kp_incident_log l;
  KP_TRY(kp_incident_log_from_file(path, &ko, &l));
  kp_graph_data g;
  kp_incident_featurize_info info;
  int64_t C = r->labels.n;
  float *p = malloc(sizeof *p * (size_t)C);
  kp_status s = p ? kp_incident_featurize(r->f, &l, &g, &info) : kp_fail(KP_ERR_NOMEM, "out of memory");
  if (s == KP_OK) {
    s = kp_trainer_predict_graphs(r->t, &g, p);
    if (s == KP_OK) print_ranking(o, path, &r->labels, p, &l, &g, &info);
    kp_graph_data_free(&g);
  }
  *lines += l.log->n;
  free(p);
  kp_incident_log_clear(&l);
  return s;
}

int infer_gnn_run(const infer_opts *o, int nin, char **inputs) {
  gnn_run r;
  memset(&r, 0, sizeof r);
  kp_status s = KP_OK;
  if (!o->incident)
    s = kp_fail(KP_ERR_INVALID, "%s: a GNN incident model ranks whole incidents: add --incident", o->model_path);
  else if (o->rules_path)
    s = kp_fail(KP_ERR_INVALID, "--rules with a GNN incident model: not supported (run the rules separately)");
  else if (o->follow)
    s = kp_fail(KP_ERR_INVALID, "--follow with a GNN incident model: not supported (an incident is a whole file)");
  for (int i = 0; i < nin && s == KP_OK; i++)
    if (!strcmp(inputs[i], "-"))
      s = kp_fail(KP_ERR_INVALID, "--incident with a GNN model reads incident files, not standard input");
  if (s == KP_OK) s = setup(&r, o);
  double t0 = now_s();
  int64_t lines = 0, done = 0;
  for (int i = 0; i < nin && s == KP_OK && !infer_stop; i++, done++) {
    s = score_one(&r, o, inputs[i], &lines);
    fflush(stdout);
  }
  double dt = now_s() - t0;
  int rc = infer_print_status(s);
  if (rc == 0 && o->stats) {
    fprintf(stderr,
            "kprca-infer: %lld incidents, %lld lines in %.3f s (%.1f incidents/s, %.0f lines/s); %s incident model "
            "from %s, graphs as %s\n",
            (long long)done, (long long)lines, dt, dt > 0 ? (double)done / dt : 0.0, dt > 0 ? (double)lines / dt : 0.0,
            kp_config_string(r.cfg, "model.name"), r.file, r.data);
  }
  kp_trainer_free(r.t);
  kp_config_free(r.cfg);
  kp_incident_featurizer_free(r.f);
  kp_strings_free(&r.labels);
  return rc;
}
