/* Reading a run directory back for its report: metrics.jsonl (per-epoch curves), metrics.json (per-split
 * metrics and run facts), config.yaml (text, seed, writer). Lenient: what is missing or damaged becomes a
 * note on the run, never a failure. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "eval/report_html_internal.h"
#include "kprca/config.h"

void kp_run_note(kp_run *run, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char **q = realloc(run->notes, (size_t)(run->nnotes + 1) * sizeof *q);
  if (!q) return;
  run->notes = q;
  if ((q[run->nnotes] = strdup(buf))) run->nnotes++;
}

char *kp_run_read_file(const char *dir, const char *name, size_t *len, int *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  *err = f ? 0 : errno;
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *s = malloc(cap);
  while (s) {
    size_t k = fread(s + n, 1, cap - n - 1, f);
    n += k;
    if (k == 0) break;
    if (n + 1 >= cap) {
      char *q = realloc(s, cap *= 2);
      if (!q) free(s);
      s = q;
    }
  }
  if (ferror(f)) {
    *err = EIO;
    free(s);
    s = NULL;
  }
  fclose(f);
  if (!s) return NULL;
  s[n] = 0;
  if (len) *len = n;
  return s;
}

static double num_or_nan(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static char *str_or_null(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? strdup(v->valuestring) : NULL;
}

/* Index of key in run->keys, adding a column (NaN-filled for earlier rows) when new; -1 without memory. */
static int key_index(kp_run *run, const char *key, int64_t rows_cap) {
  for (int k = 0; k < run->n_keys; k++)
    if (!strcmp(run->keys[k], key)) return k;
  char **nk = realloc(run->keys, (size_t)(run->n_keys + 1) * sizeof *nk);
  if (!nk) return -1;
  run->keys = nk;
  double **nc = realloc(run->cols, (size_t)(run->n_keys + 1) * sizeof *nc);
  if (!nc) return -1;
  run->cols = nc;
  double *col = malloc((size_t)rows_cap * sizeof *col);
  char *name = strdup(key);
  if (!col || !name) {
    free(col);
    free(name);
    return -1;
  }
  for (int64_t i = 0; i < rows_cap; i++) col[i] = NAN;
  run->keys[run->n_keys] = name;
  run->cols[run->n_keys] = col;
  return run->n_keys++;
}

static void load_log(kp_run *run) {
  size_t len = 0;
  int err = 0;
  char *text = kp_run_read_file(run->dir, "metrics.jsonl", &len, &err);
  if (!text) {
    kp_run_note(run, "metrics.jsonl is missing (%s): no training curves", strerror(err));
    return;
  }
  run->has_log = true;
  int64_t rows_cap = 1, bad = 0, first_bad = 0, lineno = 0;
  for (const char *p = text; *p; p++) rows_cap += *p == '\n';
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    lineno++;
    if (line[strspn(line, " \t\r")]) {
      cJSON *o = cJSON_Parse(line);
      if (!cJSON_IsObject(o)) {
        if (!bad++) first_bad = lineno;
      } else {
        for (const cJSON *it = o->child; it; it = it->next) {
          if (!cJSON_IsNumber(it) || !it->string) continue;
          int k = key_index(run, it->string, rows_cap);
          if (k >= 0) run->cols[k][run->n_log] = it->valuedouble;
        }
        run->n_log++;
      }
      cJSON_Delete(o);
    }
    line = nl ? nl + 1 : NULL;
  }
  free(text);
  if (bad)
    kp_run_note(run, "metrics.jsonl: %lld line(s) are not JSON objects (first: line %lld), skipped", (long long)bad,
                (long long)first_bad);
  if (!run->n_log) kp_run_note(run, "metrics.jsonl has no epochs");
}

static void load_split(kp_run *run, const cJSON *o, const char *name) {
  kp_run_split *sp = &run->splits[run->nsplits++];
  snprintf(sp->name, sizeof sp->name, "%s", name);
  sp->accuracy = num_or_nan(o, "accuracy");
  sp->balanced_accuracy = num_or_nan(o, "balanced_accuracy");
  sp->macro_f1 = num_or_nan(o, "macro_f1");
  sp->weighted_f1 = num_or_nan(o, "weighted_f1");
  sp->loss = num_or_nan(o, "loss");
  double n = num_or_nan(o, "n");
  sp->n = isnan(n) ? -1 : (int64_t)n;
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
  int64_t C = cJSON_IsArray(labels) ? cJSON_GetArraySize(labels) : 0;
  if (C <= 0) {
    kp_run_note(run, "metrics.json: split '%s' has no labels: no per-class plots for it", name);
    return;
  }
  sp->labels = calloc((size_t)C, sizeof *sp->labels);
  if (!sp->labels) return;
  sp->num_classes = C;
  int64_t i = 0;
  for (const cJSON *it = labels->child; it; it = it->next, i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)i);
    sp->labels[i] = strdup(cJSON_IsString(it) ? it->valuestring : buf);
  }
  const cJSON *cm = cJSON_GetObjectItemCaseSensitive(o, "confusion_matrix");
  if (cJSON_IsArray(cm) && cJSON_GetArraySize(cm) == C) {
    sp->confusion = calloc((size_t)(C * C), sizeof *sp->confusion);
    int64_t t = 0;
    for (const cJSON *row = cm->child; sp->confusion && row; row = row->next, t++) {
      if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != C) {
        free(sp->confusion);
        sp->confusion = NULL;
        break;
      }
      int64_t p = 0;
      for (const cJSON *v = row->child; v; v = v->next, p++)
        sp->confusion[t * C + p] = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
    }
  }
  if (!sp->confusion) kp_run_note(run, "metrics.json: split '%s' has no usable confusion_matrix", name);
  const cJSON *pc = cJSON_GetObjectItemCaseSensitive(o, "per_class");
  if (cJSON_IsObject(pc)) {
    sp->precision = malloc((size_t)C * sizeof(double));
    sp->recall = malloc((size_t)C * sizeof(double));
    sp->f1 = malloc((size_t)C * sizeof(double));
    sp->support = malloc((size_t)C * sizeof(int64_t));
    for (int64_t c = 0; sp->f1 && sp->precision && sp->recall && sp->support && c < C; c++) {
      const cJSON *e = sp->labels[c] ? cJSON_GetObjectItemCaseSensitive(pc, sp->labels[c]) : NULL;
      sp->precision[c] = num_or_nan(e, "precision");
      sp->recall[c] = num_or_nan(e, "recall");
      sp->f1[c] = num_or_nan(e, "f1");
      double s = num_or_nan(e, "support");
      sp->support[c] = isnan(s) ? -1 : (int64_t)s;
    }
  } else {
    kp_run_note(run, "metrics.json: split '%s' has no per_class scores", name);
  }
}

static void load_metrics(kp_run *run) {
  int err = 0;
  char *text = kp_run_read_file(run->dir, "metrics.json", NULL, &err);
  if (!text) {
    kp_run_note(run, "metrics.json is missing (%s): the run did not finish its final evaluation", strerror(err));
    return;
  }
  cJSON *o = cJSON_Parse(text);
  free(text);
  if (!cJSON_IsObject(o)) {
    kp_run_note(run, "metrics.json is not a JSON object: final metrics unknown");
    cJSON_Delete(o);
    return;
  }
  run->has_metrics = true;
  static const char *const SPLITS[] = {"train", "val", "test"};
  for (int i = 0; i < 3; i++) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, SPLITS[i]);
    if (cJSON_IsObject(s)) load_split(run, s, SPLITS[i]);
  }
  if (!run->nsplits) kp_run_note(run, "metrics.json has no split (train, val, test)");
  run->best_epoch = num_or_nan(o, "best_epoch");
  run->epochs_run = num_or_nan(o, "epochs_run");
  run->train_time_s = num_or_nan(o, "train_time_s");
  run->num_params = num_or_nan(o, "num_params");
  const cJSON *es = cJSON_GetObjectItemCaseSensitive(o, "early_stopped");
  run->early_stopped = cJSON_IsBool(es) ? cJSON_IsTrue(es) : -1;
  run->model = str_or_null(o, "model");
  run->task = str_or_null(o, "task");
  run->device = str_or_null(o, "device");
  if (!run->has_config) run->config_text = str_or_null(o, "config");
  cJSON_Delete(o);
}

static void load_config(kp_run *run) {
  int err = 0;
  char *text = kp_run_read_file(run->dir, "config.yaml", NULL, &err);
  if (!text) {
    kp_run_note(run, "config.yaml is missing (%s)", strerror(err));
    return;
  }
  run->has_config = true;
  run->config_text = text;
  const char *w = strstr(text, "written by kprca ");
  if (w && w < text + strcspn(text, "\n")) {
    w += strlen("written by ");
    size_t k = strcspn(w, ". \n");
    if (w[k] == '.' && w[k + 1] && w[k + 1] != ' ' && w[k + 1] != '\n') k += 1 + strcspn(w + k + 1, " \n");
    while (k && w[k - 1] == '.') k--;
    run->written_by = strndup(w, k);
  }
  kp_config *cfg = NULL;
  char path[4200];
  snprintf(path, sizeof path, "%s/config.yaml", run->dir);
  if (kp_config_new(&cfg) == KP_OK && kp_config_merge_file(cfg, path) == KP_OK)
    run->seed = kp_config_int(cfg, "train.seed");
  else
    kp_run_note(run, "config.yaml does not load with this kprca (%s): seed unknown", kp_last_error());
  kp_config_free(cfg);
}

kp_status kp_run_load(const char *dir, kp_run *run) {
  memset(run, 0, sizeof *run);
  run->seed = -1;
  run->early_stopped = -1;
  run->best_epoch = run->epochs_run = run->train_time_s = run->num_params = NAN;
  struct stat st;
  if (stat(dir, &st) != 0) return kp_fail(KP_ERR_IO, "%s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return kp_fail(KP_ERR_IO, "%s: not a directory", dir);
  if (!(run->dir = strdup(dir))) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir);
  for (size_t n = strlen(run->dir); n > 1 && run->dir[n - 1] == '/'; n--) run->dir[n - 1] = 0; /* "run/" -> "run" */
  load_config(run);
  load_log(run);
  load_metrics(run);
  kp_run_load_predictions(run);
  if (!run->has_config && !run->has_log && !run->has_metrics && !run->has_predictions) {
    kp_run_free(run);
    return kp_fail(KP_ERR_FORMAT, "%s: not a run directory (no config.yaml, metrics.jsonl, metrics.json or "
                   "predictions.csv)", dir);
  }
  return KP_OK;
}

void kp_run_free(kp_run *run) {
  if (!run) return;
  free(run->dir);
  free(run->config_text);
  free(run->written_by);
  for (int k = 0; k < run->n_keys; k++) {
    free(run->keys[k]);
    free(run->cols[k]);
  }
  free(run->keys);
  free(run->cols);
  for (int i = 0; i < run->nsplits; i++) {
    kp_run_split *sp = &run->splits[i];
    for (int64_t c = 0; sp->labels && c < sp->num_classes; c++) free(sp->labels[c]);
    free(sp->labels);
    free(sp->confusion);
    free(sp->precision);
    free(sp->recall);
    free(sp->f1);
    free(sp->support);
    free(sp->pos_score);
    free(sp->pos_y);
  }
  free(run->model);
  free(run->task);
  free(run->device);
  for (int i = 0; i < run->nnotes; i++) free(run->notes[i]);
  free(run->notes);
  memset(run, 0, sizeof *run);
}

const double *kp_run_column(const kp_run *run, const char *key) {
  for (int k = 0; k < run->n_keys; k++)
    if (!strcmp(run->keys[k], key)) return run->cols[k];
  return NULL;
}

const kp_run_split *kp_run_split_named(const kp_run *run, const char *name) {
  for (int i = 0; i < run->nsplits; i++)
    if (!strcmp(run->splits[i].name, name)) return &run->splits[i];
  return NULL;
}

const kp_run_split *kp_run_main_split(const kp_run *run) {
  const kp_run_split *s = kp_run_split_named(run, "test");
  if (!s) s = kp_run_split_named(run, "val");
  return s ? s : run->nsplits ? &run->splits[0] : NULL;
}
