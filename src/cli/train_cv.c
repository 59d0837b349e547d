/* kprca-train with eval.cv.folds set: assign folds (src/train/cv_folds.c), then per fold write
 * RUN/fold-k/data.h5 (the dataset with the fold's split), RUN/fold-k/config.yaml (data.split: file) and
 * train, evaluate and report there as an ordinary run; at the end RUN/cv.json and RUN/cv.txt. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/train.h"
#include "kprca/cv.h"
#include "kprca/line_trainer.h"
#include "kprca/lines_data.h"
#include "kprca/progress.h"
#include "kprca/report_html.h"
#include "kprca/rundir.h"
#include "kprca/split.h"
#include "kprca/train_report.h"

static volatile sig_atomic_t cv_stop = 0;

static void on_sigint(int sig) {
  if (cv_stop) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  cv_stop = 1;
}

/* The dataset being cross-validated and what the folds need from it. */
typedef struct cv_data {
  bool lines; /* model.name bert: a kprca.lines file */
  kp_graph_data g;
  kp_lines_data l;
  int64_t n;
  const int32_t *label;
  int32_t *group; /* NULL: group_by none */
  const char *unit; /* "graphs", "nodes", "lines" */
  const kp_strings *names;
} cv_data;

static void cv_data_free(cv_data *d) {
  kp_graph_data_free(&d->g);
  kp_lines_data_free(&d->l);
  free(d->group);
}

/* An optional per-item array of the file (incident, time), NULL in *out when absent. */
static kp_status read_extra(const char *path, const char *name, kp_h5_type t, int64_t n, const char *unit,
                            void **out) {
  *out = NULL;
  kp_h5 *h = NULL;
  KP_TRY(kp_h5_open(path, &h));
  kp_status s = KP_OK;
  if (kp_h5_exists(h, name)) {
    int64_t shape[1];
    s = kp_h5_read(h, name, t, 1, shape, out);
    if (s == KP_OK && shape[0] != n) {
      s = kp_fail(KP_ERR_FORMAT, "%s: '%s' has %lld entries but the file has %lld %s", path, name, (long long)shape[0],
                  (long long)n, unit);
      free(*out);
      *out = NULL;
    }
  }
  kp_h5_close(h);
  return s;
}

static kp_status load_groups(const kp_config *cfg, cv_data *d) {
  const char *by = kp_config_string(cfg, "eval.cv.group_by"), *path = kp_config_string(cfg, "data.path");
  if (!strcmp(by, "none")) return KP_OK;
  int64_t n = d->n;
  if (!strcmp(by, "day")) {
    double *time = NULL;
    if (!d->lines) KP_TRY(read_extra(path, "time", KP_H5_F64, n, d->unit, (void **)&time));
    if (!time)
      return kp_fail(KP_ERR_INVALID,
                     "eval.cv.group_by = day: %s has no 'time' array (float64 seconds since 1970, one for each of its "
                     "%lld %s)",
                     path, (long long)n, d->unit);
    d->group = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    kp_status s = d->group ? kp_cv_day_groups(time, n, d->group) : kp_fail(KP_ERR_NOMEM, "cv: out of memory");
    free(time);
    if (s != KP_OK) return kp_fail(s, "%s: %s", path, kp_last_error());
    return KP_OK;
  }
  if (d->lines) { /* lines of no incident (-1) each stand alone */
    d->group = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!d->group) return kp_fail(KP_ERR_NOMEM, "cv: out of memory");
    int32_t top = 0;
    for (int64_t i = 0; i < n; i++)
      if (d->l.incident[i] > top) top = d->l.incident[i];
    for (int64_t i = 0; i < n; i++) d->group[i] = d->l.incident[i] >= 0 ? d->l.incident[i] : top + 1 + (int32_t)i;
    return KP_OK;
  }
  KP_TRY(read_extra(path, "incident", KP_H5_I32, n, d->unit, (void **)&d->group));
  if (d->group) return KP_OK;
  if (d->g.task == KP_TASK_NODE)
    return kp_fail(KP_ERR_INVALID,
                   "eval.cv.group_by = incident: %s is a node dataset without an 'incident' array (int32, one per "
                   "node); use group_by none",
                   path);
  d->group = malloc(sizeof(int32_t) * (size_t)(n ? n : 1)); /* graph task: each graph is an incident */
  if (!d->group) return kp_fail(KP_ERR_NOMEM, "cv: out of memory");
  for (int64_t i = 0; i < n; i++) d->group[i] = (int32_t)i;
  return KP_OK;
}

static kp_status load_data(const kp_config *cfg, cv_data *d) {
  const char *path = kp_config_string(cfg, "data.path"), *fmt = kp_config_string(cfg, "data.format");
  d->lines = !strcmp(kp_config_string(cfg, "model.name"), "bert");
  if (d->lines) {
    if (!strcmp(fmt, "tsv") || !strcmp(fmt, "csv"))
      return kp_fail(KP_ERR_UNSUPPORTED, "eval.cv with model.name bert needs a kprca.lines HDF5 file, not %s %s", fmt,
                     path);
    KP_TRY(kp_lines_data_load(path, &d->l));
    d->n = d->l.n, d->label = d->l.label, d->unit = "lines", d->names = &d->l.label_names;
  } else {
    KP_TRY(kp_graph_data_load(path, &d->g));
    bool graph = !strcmp(kp_config_string(cfg, "model.task"), "graph");
    if ((d->g.task == KP_TASK_GRAPH) != graph)
      return kp_fail(KP_ERR_INVALID, "%s holds a %s-classification dataset but model.task is '%s'", path,
                     kp_graph_task_name(d->g.task), graph ? "graph" : "node");
    if (!graph && !d->g.y) return kp_fail(KP_ERR_INVALID, "%s: no node labels 'y'", path);
    d->n = graph ? d->g.num_graphs : d->g.num_nodes;
    d->label = graph ? d->g.graph_y : d->g.y;
    d->unit = graph ? "graphs" : "nodes";
    d->names = &d->g.label_names;
  }
  return load_groups(cfg, d);
}

/* The dataset with split sp, written to path. */
static kp_status write_fold_data(cv_data *d, const int8_t *sp, const char *path) {
  int64_t n = d->n;
  if (d->lines) {
    memcpy(d->l.split, sp, (size_t)n);
    return kp_lines_data_save(path, &d->l);
  }
  kp_graph_data *g = &d->g;
  if (g->task == KP_TASK_GRAPH) {
    if (!g->graph_split && !(g->graph_split = malloc((size_t)(n ? n : 1))))
      return kp_fail(KP_ERR_NOMEM, "cv: out of memory");
    memcpy(g->graph_split, sp, (size_t)n);
  } else {
    int8_t **m[3] = {&g->train_mask, &g->val_mask, &g->test_mask};
    for (int s = 0; s < 3; s++)
      if (!*m[s] && !(*m[s] = malloc((size_t)(n ? n : 1)))) return kp_fail(KP_ERR_NOMEM, "cv: out of memory");
    kp_split_to_masks(sp, n, g->train_mask, g->val_mask, g->test_mask);
  }
  return kp_graph_data_save(path, g);
}

/* The fold's config: the run's, reading dir/data.h5 with its stored split, cross-validation off. */
static kp_status fold_config(const kp_config *cfg, const cv_data *d, const char *dir, kp_config **out) {
  *out = NULL;
  char *yaml = kp_config_to_yaml(cfg, 0), path[4200];
  if (!yaml) return kp_fail(KP_ERR_NOMEM, "cv: out of memory");
  kp_config *c = NULL;
  kp_status s = kp_config_new(&c);
  if (s == KP_OK) s = kp_config_merge_yaml(c, yaml, strlen(yaml), "config.yaml");
  free(yaml);
  snprintf(path, sizeof path, "%s/data.h5", dir);
  const char *src = "<cross-validation fold>";
  if (s == KP_OK) s = kp_config_set(c, "data.path", path, src);
  if (s == KP_OK) s = kp_config_set(c, "data.format", d->lines ? "lines" : "graph", src);
  if (s == KP_OK) s = kp_config_set(c, "data.split", "file", src);
  if (s == KP_OK) s = kp_config_set(c, "eval.cv.folds", "null", src);
  if (s == KP_OK)
    s = kp_config_set(c, "eval.splits", kp_config_float(cfg, "eval.cv.val_fraction") > 0 ? "[val, test]" : "[test]",
                      src);
  if (s == KP_OK) s = kp_config_finish(c);
  snprintf(path, sizeof path, "%s/config.yaml", dir);
  if (s == KP_OK) s = kp_config_save(c, path);
  if (s != KP_OK) {
    kp_config_free(c);
    return s;
  }
  *out = c;
  return KP_OK;
}

static char *fold_extra(const kp_fit_result *r, const char *dir, int k, int K) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
  cJSON_AddNumberToObject(o, "epochs_run", r->epochs_run);
  cJSON_AddBoolToObject(o, "early_stopped", r->early_stopped);
  cJSON_AddNumberToObject(o, "train_time_s", r->train_time_s);
  cJSON_AddNumberToObject(o, "cv_fold", k + 1);
  cJSON_AddNumberToObject(o, "cv_folds", K);
  cJSON_AddStringToObject(o, "run_dir", dir);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

/* Trains one fold in dir and leaves its test metrics in *m; returns the exit code (0 fine). */
static int run_fold(const kp_config *fc, bool lines, const char *dir, int k, int K, const char *header,
                    kp_metrics *m) {
  kp_trainer *t = NULL;
  kp_line_trainer *lt = NULL;
  kp_status s = lines ? kp_line_trainer_create(fc, &lt) : kp_trainer_create(fc, &t);
  if (s != KP_OK) return train_fail(s);
  fputs(header, stderr); /* after the trainer accepted the config, so a bad one prints only its error */
  kp_progress prog;
  kp_progress_init(&prog, kp_progress_mode_for(kp_config_string(fc, "train.progress"), stderr), stderr,
                   (int)kp_config_int(fc, "train.log_every"), kp_config_string(fc, "train.monitor"));
  kp_fit_opts fo = {.run_dir = dir, .progress = &prog, .stop = &cv_stop};
  kp_fit_result res;
  s = lines ? kp_line_trainer_fit(lt, &fo, &res) : kp_trainer_fit(t, &fo, &res);
  int rc = 0;
  kp_split_eval ev = {0};
  if (s == KP_OK && res.interrupted) {
    fprintf(stderr, "kprca-train: interrupted in fold %d after epoch %d; no cv.json written\n", k + 1,
            res.epochs_run);
    rc = 130;
  } else if (s == KP_OK) {
    char *extra = fold_extra(&res, dir, k, K);
    s = lines ? kp_line_trainer_report(lt, dir, extra, NULL) : kp_trainer_report(t, -1, dir, extra, NULL);
    free(extra);
    if (s == KP_OK && kp_report_html_write(dir) != KP_OK)
      fprintf(stderr, "kprca-train: warning: %s/report.html not written: %s\n", dir, kp_last_error());
    if (s == KP_OK)
      s = lines ? kp_line_trainer_evaluate(lt, KP_SPLIT_TEST, &ev) : kp_trainer_evaluate(t, KP_SPLIT_TEST, &ev);
    if (s == KP_OK) {
      *m = ev.metrics; /* moved out */
      memset(&ev.metrics, 0, sizeof ev.metrics);
    }
  }
  if (s != KP_OK && rc == 0) {
    fprintf(stderr, "kprca-train: %s\n", kp_last_error());
    rc = 1;
  }
  kp_split_eval_free(&ev);
  kp_trainer_free(t);
  kp_line_trainer_free(lt);
  return rc;
}

/* Removes what a run that failed before training wrote (fold-1's files, the run's config, the directories). */
static void remove_run(const char *run) {
  static const char *const files[] = {"fold-1/data.h5", "fold-1/config.yaml", "fold-1", "config.yaml", ""};
  char p[4200];
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s/%s", run, files[i]);
    if (unlink(p) != 0) rmdir(p);
  }
  snprintf(p, sizeof p, "%s", run); /* then OUTPUT/NAME and OUTPUT, when that left them empty */
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(p, '/');
    if (!slash || slash == p) break;
    *slash = 0;
    if (rmdir(p) != 0) break;
  }
}

static char *cv_extra(const kp_config *cfg, const cv_data *d, const char *run) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "folds_spec", kp_config_string(cfg, "eval.cv.folds"));
  cJSON_AddNumberToObject(o, "val_fraction", kp_config_float(cfg, "eval.cv.val_fraction"));
  cJSON_AddNumberToObject(o, "seed", (double)kp_config_int(cfg, "train.seed"));
  cJSON_AddStringToObject(o, "items", d->unit);
  cJSON_AddStringToObject(o, "data", kp_config_string(cfg, "data.path"));
  cJSON_AddStringToObject(o, "model", kp_config_string(cfg, "model.name"));
  cJSON_AddStringToObject(o, "run_dir", run);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int64_t distinct_groups(const cv_data *d, const int8_t *sp) {
  int64_t c = 0, g = 0;
  int32_t *v = malloc(sizeof(int32_t) * (size_t)(d->n ? d->n : 1));
  if (!v) return -1;
  for (int64_t i = 0; i < d->n; i++)
    if (sp[i] == KP_SPLIT_TEST) v[c++] = d->group ? d->group[i] : (int32_t)i;
  qsort(v, (size_t)c, sizeof *v, cmp_i32);
  for (int64_t i = 0; i < c; i++) g += i == 0 || v[i] != v[i - 1];
  free(v);
  return g;
}

/* Validates the folds before anything is written; returns the number of folds or a negative exit code. */
static int plan_folds(const kp_config *cfg, const cv_data *d, int32_t *fold) {
  const char *spec = kp_config_string(cfg, "eval.cv.folds"), *path = kp_config_string(cfg, "data.path");
  int k = strcmp(spec, "logo") ? atoi(spec) : KP_CV_LOGO, nf = 0;
  int64_t labelled = 0;
  for (int64_t i = 0; i < d->n; i++) labelled += d->label[i] >= 0;
  if (k > labelled) {
    kp_fail(KP_ERR_INVALID, "eval.cv.folds = %d but %s has only %lld labelled %s", k, path, (long long)labelled,
            d->unit);
    return -train_fail(KP_ERR_INVALID);
  }
  kp_status s = kp_cv_assign(d->label, d->group, d->n, k, kp_config_bool(cfg, "eval.cv.stratify"),
                             (uint64_t)kp_config_int(cfg, "train.seed"), fold, &nf);
  if (s != KP_OK) {
    kp_fail(s, "eval.cv.folds = %s on %s (group_by %s): %s", spec, path, kp_config_string(cfg, "eval.cv.group_by"),
            kp_last_error());
    return -train_fail(s);
  }
  return nf;
}

int train_cv_run(const kp_config *cfg, const train_cli *cli) {
  if (cli->resume) {
    fprintf(stderr, "kprca-train: --resume does not apply to cross-validation (eval.cv.folds is set)\n");
    return 2;
  }
  cv_data d = {0};
  kp_status s = load_data(cfg, &d);
  if (s != KP_OK) {
    cv_data_free(&d);
    return train_fail(s);
  }
  int32_t *fold = malloc(sizeof(int32_t) * (size_t)(d.n ? d.n : 1));
  int8_t *sp = malloc((size_t)(d.n ? d.n : 1));
  if (!fold || !sp) {
    free(fold), free(sp), cv_data_free(&d);
    return train_fail(kp_fail(KP_ERR_NOMEM, "cv: out of memory"));
  }
  int K = plan_folds(cfg, &d, fold), rc = 0;
  kp_metrics *ms = K > 0 ? calloc((size_t)K, sizeof *ms) : NULL;
  kp_cv_fold *fs = K > 0 ? calloc((size_t)K, sizeof *fs) : NULL;
  char (*dirs)[4200] = K > 0 ? calloc((size_t)K, sizeof *dirs) : NULL;
  char run[4096] = "", path[4300];
  if (K <= 0) rc = -K;
  else if (!ms || !fs || !dirs) rc = train_fail(kp_fail(KP_ERR_NOMEM, "cv: out of memory"));
  bool stratify = kp_config_bool(cfg, "eval.cv.stratify");
  uint64_t seed = (uint64_t)kp_config_int(cfg, "train.seed");
  double vf = kp_config_float(cfg, "eval.cv.val_fraction");
  if (rc == 0 && cli->dry_run) {
    printf("cross-validation: %d folds of %s %s (group_by %s)\n", K, kp_config_string(cfg, "data.path"), d.unit,
           kp_config_string(cfg, "eval.cv.group_by"));
    for (int k = 0; k < K && rc == 0; k++) {
      if ((s = kp_cv_fold_split(fold, d.label, d.group, d.n, k, vf, stratify, seed, sp)) != KP_OK) rc = train_fail(s);
      int64_t c[3] = {0};
      for (int64_t i = 0; i < d.n; i++)
        if (sp[i] >= 0) c[sp[i]]++;
      if (rc == 0) printf("fold %d: train %lld, val %lld, test %lld\n", k + 1, (long long)c[0], (long long)c[1], (long long)c[2]);
    }
    K = 0;
  }
  if (rc == 0 && K > 0) {
    char name[256];
    kp_config_run_name(cfg, name, sizeof name);
    s = kp_rundir_create(kp_config_string(cfg, "output.dir"), name, run, sizeof run);
    snprintf(path, sizeof path, "%s/config.yaml", run);
    if (s == KP_OK) s = kp_config_save(cfg, path);
    if (s != KP_OK) {
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      rc = 1;
    }
  }
  char header[8192];
  snprintf(header, sizeof header, "kprca-train: %d-fold cross-validation of %s on %s (%lld %s), run %s\n", K,
           kp_config_string(cfg, "model.name"), kp_config_string(cfg, "data.path"), (long long)d.n, d.unit, run);
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  for (int k = 0; rc == 0 && k < K; k++) {
    snprintf(dirs[k], sizeof dirs[k], "%s/fold-%d", run, k + 1);
    kp_config *fc = NULL;
    s = kp_cv_fold_split(fold, d.label, d.group, d.n, k, vf, stratify, seed, sp);
    if (s == KP_OK) s = kp_mkdirs(dirs[k]);
    snprintf(path, sizeof path, "%s/data.h5", dirs[k]);
    if (s == KP_OK) s = write_fold_data(&d, sp, path);
    if (s == KP_OK) s = fold_config(cfg, &d, dirs[k], &fc);
    if (s != KP_OK) {
      rc = train_fail(s);
    } else {
      for (int i = 0; i < 3; i++) fs[k].n_split[i] = 0;
      for (int64_t i = 0; i < d.n; i++)
        if (sp[i] >= 0) fs[k].n_split[sp[i]]++;
      size_t used = k == 0 ? strlen(header) : 0;
      snprintf(header + used, sizeof header - used, "kprca-train: fold %d/%d: train %lld, val %lld, test %lld %s\n",
               k + 1, K, (long long)fs[k].n_split[0], (long long)fs[k].n_split[1], (long long)fs[k].n_split[2], d.unit);
      rc = run_fold(fc, d.lines, dirs[k], k, K, header, &ms[k]);
      if (rc == 0)
        fprintf(stderr, "kprca-train: fold %d/%d: test accuracy %.4f, macro F1 %.4f (%s)\n", k + 1, K, ms[k].accuracy,
                ms[k].macro_f1, dirs[k]);
    }
    kp_config_free(fc);
    if (rc == 2 && k == 0) remove_run(run); /* a bad config or data: leave nothing behind */
    fs[k].dir = dirs[k] + strlen(run) + 1;
    fs[k].test_groups = distinct_groups(&d, sp);
    fs[k].test = &ms[k];
  }
  sigaction(SIGINT, &old, NULL);
  if (rc == 0 && K > 0) {
    const char *const *names = (const char *const *)d.names->s;
    char *extra = cv_extra(cfg, &d, run);
    char *js = kp_cv_json(fs, K, names, kp_config_string(cfg, "eval.cv.group_by"), stratify, extra);
    char *txt = kp_cv_text(fs, K, names);
    free(extra);
    if (!js || !txt) s = kp_fail(KP_ERR_NOMEM, "cv: out of memory for the summary");
    snprintf(path, sizeof path, "%s/cv.json", run);
    if (s == KP_OK) s = kp_write_file_atomic(path, js);
    snprintf(path, sizeof path, "%s/cv.txt", run);
    if (s == KP_OK) s = kp_write_file_atomic(path, txt);
    if (s != KP_OK) {
      fprintf(stderr, "kprca-train: %s\n", kp_last_error());
      rc = 1;
    } else {
      fputs(txt, stdout);
      printf("\nrun directory: %s (cv.json, cv.txt; fold-1 .. fold-%d)\n", run, K);
    }
    free(js), free(txt);
  }
  for (int k = 0; ms && k < K; k++) kp_metrics_free(&ms[k]);
  free(ms), free(fs), free(dirs), free(fold), free(sp);
  cv_data_free(&d);
  return rc;
}
