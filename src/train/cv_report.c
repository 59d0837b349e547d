/* Cross-validation summary: per-fold rows of the test metrics and the mean and sample standard
 * deviation of every metric over the folds, as cv.json and the cv.txt table. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/cv.h"

/* The scalar metrics summarised, by offset into kp_metrics. */
static const struct {
  const char *name;
  size_t off;
} scalars[] = {
    {"accuracy", offsetof(kp_metrics, accuracy)},
    {"balanced_accuracy", offsetof(kp_metrics, balanced_accuracy)},
    {"macro_precision", offsetof(kp_metrics, macro_precision)},
    {"macro_recall", offsetof(kp_metrics, macro_recall)},
    {"macro_f1", offsetof(kp_metrics, macro_f1)},
    {"micro_precision", offsetof(kp_metrics, micro_precision)},
    {"micro_recall", offsetof(kp_metrics, micro_recall)},
    {"micro_f1", offsetof(kp_metrics, micro_f1)},
    {"weighted_precision", offsetof(kp_metrics, weighted_precision)},
    {"weighted_recall", offsetof(kp_metrics, weighted_recall)},
    {"weighted_f1", offsetof(kp_metrics, weighted_f1)},
};
#define NSCALARS (sizeof scalars / sizeof scalars[0])

static double scalar(const kp_metrics *m, size_t i) { return *(const double *)((const char *)m + scalars[i].off); }

/* Per-class value: 0 precision, 1 recall, 2 f1. */
static double per_class(const kp_metrics *m, int64_t c, int which) {
  const kp_class_scores *s = &m->per_class[c];
  return which == 0 ? s->precision : which == 1 ? s->recall : s->f1;
}

static const char *class_name(const char *const *names, int64_t c, char *buf, size_t n) {
  if (names) return names[c];
  snprintf(buf, n, "%lld", (long long)c);
  return buf;
}

/* {metric: mean or std, ..., "per_class": {name: {precision, recall, f1}}} */
static cJSON *summary(const kp_cv_fold *f, int k, const char *const *names, bool want_std) {
  cJSON *o = cJSON_CreateObject(), *pc = cJSON_CreateObject();
  double *v = malloc(sizeof(double) * (size_t)(k ? k : 1)), mean, std;
  if (!o || !pc || !v) {
    cJSON_Delete(o), cJSON_Delete(pc), free(v);
    return NULL;
  }
  for (size_t i = 0; i < NSCALARS; i++) {
    for (int j = 0; j < k; j++) v[j] = scalar(f[j].test, i);
    kp_cv_mean_std(v, k, &mean, &std);
    cJSON_AddNumberToObject(o, scalars[i].name, want_std ? std : mean);
  }
  static const char *const which[3] = {"precision", "recall", "f1"};
  int64_t C = k ? f[0].test->num_classes : 0;
  for (int64_t c = 0; c < C; c++) {
    char buf[32];
    cJSON *cls = cJSON_AddObjectToObject(pc, class_name(names, c, buf, sizeof buf));
    for (int w = 0; w < 3; w++) {
      for (int j = 0; j < k; j++) v[j] = per_class(f[j].test, c, w);
      kp_cv_mean_std(v, k, &mean, &std);
      cJSON_AddNumberToObject(cls, which[w], want_std ? std : mean);
    }
  }
  cJSON_AddItemToObject(o, "per_class", pc);
  free(v);
  return o;
}

char *kp_cv_json(const kp_cv_fold *folds, int k, const char *const *names, const char *group_by, bool stratify,
                 const char *extra) {
  cJSON *o = cJSON_CreateObject(), *rows = cJSON_CreateArray();
  if (!o || !rows) {
    cJSON_Delete(o), cJSON_Delete(rows);
    return NULL;
  }
  cJSON_AddNumberToObject(o, "folds", k);
  cJSON_AddStringToObject(o, "group_by", group_by ? group_by : "none");
  cJSON_AddBoolToObject(o, "stratify", stratify);
  bool ok = true;
  for (int j = 0; j < k && ok; j++) {
    cJSON *r = cJSON_CreateObject();
    char *mj = kp_metrics_json(folds[j].test, names);
    cJSON *m = mj ? cJSON_Parse(mj) : NULL;
    free(mj);
    ok = r && m;
    if (!ok) {
      cJSON_Delete(r), cJSON_Delete(m);
      break;
    }
    cJSON_AddNumberToObject(r, "fold", j + 1);
    cJSON_AddStringToObject(r, "dir", folds[j].dir ? folds[j].dir : "");
    cJSON_AddNumberToObject(r, "n_train", (double)folds[j].n_split[0]);
    cJSON_AddNumberToObject(r, "n_val", (double)folds[j].n_split[1]);
    cJSON_AddNumberToObject(r, "n_test", (double)folds[j].n_split[2]);
    cJSON_AddNumberToObject(r, "test_groups", (double)folds[j].test_groups);
    cJSON_AddItemToObject(r, "test", m);
    cJSON_AddItemToArray(rows, r);
  }
  cJSON_AddItemToObject(o, "rows", rows);
  cJSON *mean = ok ? summary(folds, k, names, false) : NULL, *std = ok ? summary(folds, k, names, true) : NULL;
  ok = ok && mean && std;
  cJSON_AddItemToObject(o, "mean", mean);
  cJSON_AddItemToObject(o, "std", std);
  if (ok && extra) {
    cJSON *x = cJSON_Parse(extra);
    ok = x && cJSON_IsObject(x);
    for (cJSON *e = x ? x->child : NULL; ok && e;) {
      cJSON *next = e->next;
      cJSON_AddItemToObject(o, e->string, cJSON_DetachItemViaPointer(x, e));
      e = next;
    }
    cJSON_Delete(x);
  }
  char *s = ok ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  return s;
}

/* A growing text buffer. */
typedef struct {
  char *p;
  size_t len, cap;
  bool oom;
} buf_t;

static void put(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(buf_t *b, const char *fmt, ...) {
  if (b->oom) return;
  va_list ap;
  va_start(ap, fmt);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)need + 1 > b->cap) {
    size_t cap = (b->cap + (size_t)need + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p, b->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  b->len += (size_t)need;
}

char *kp_cv_text(const kp_cv_fold *folds, int k, const char *const *names) {
  buf_t b = {0};
  put(&b, "cross-validation: %d folds (test metrics of each fold)\n\n", k);
  put(&b, "%6s %8s %8s %8s %10s %10s %10s %11s\n", "fold", "train", "val", "test", "accuracy", "bal_acc", "macro_f1",
      "weighted_f1");
  for (int j = 0; j < k; j++) {
    const kp_metrics *m = folds[j].test;
    put(&b, "%6d %8lld %8lld %8lld %10.4f %10.4f %10.4f %11.4f\n", j + 1, (long long)folds[j].n_split[0],
        (long long)folds[j].n_split[1], (long long)folds[j].n_split[2], m->accuracy, m->balanced_accuracy,
        m->macro_f1, m->weighted_f1);
  }
  double *v = malloc(sizeof(double) * (size_t)(k ? k : 1)), mean, std;
  if (!v) {
    free(b.p);
    return NULL;
  }
  put(&b, "\n%-20s %s\n", "metric", "mean ± std (sample std over folds)");
  for (size_t i = 0; i < NSCALARS; i++) {
    for (int j = 0; j < k; j++) v[j] = scalar(folds[j].test, i);
    kp_cv_mean_std(v, k, &mean, &std);
    put(&b, "%-20s %.4f ± %.4f\n", scalars[i].name, mean, std);
  }
  int64_t C = k ? folds[0].test->num_classes : 0;
  for (int64_t c = 0; c < C; c++) {
    char nb[32], label[128];
    for (int j = 0; j < k; j++) v[j] = folds[j].test->per_class[c].f1;
    kp_cv_mean_std(v, k, &mean, &std);
    snprintf(label, sizeof label, "f1[%s]", class_name(names, c, nb, sizeof nb));
    put(&b, "%-20s %.4f ± %.4f\n", label, mean, std);
  }
  free(v);
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
