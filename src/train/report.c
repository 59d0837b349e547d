/* Reports of a training run: metrics.jsonl lines, the text report, metrics.json and
 * predictions.csv (cJSON for the JSON; every file written to a temporary name and renamed). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kprca/split.h"
#include "kprca/train_report.h"

kp_status kp_write_file_atomic(const char *path, const char *text) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) return kp_fail(KP_ERR_IO, "%s: cannot create a temporary file: %s", path, strerror(errno));
  size_t n = strlen(text), off = 0;
  bool ok = true;
  while (ok && off < n) {
    ssize_t w = write(fd, text + off, n - off);
    if (w <= 0)
      ok = false;
    else
      off += (size_t)w;
  }
  ok = ok && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (ok && rename(tmp, path) == 0) return KP_OK;
  int e = errno;
  unlink(tmp);
  return kp_fail(KP_ERR_IO, "%s: write failed: %s", path, strerror(e));
}

/* metric name in eval.metrics -> value */
static double metric_value(const kp_metrics *m, const char *name) {
  if (!strcmp(name, "accuracy")) return m->accuracy;
  if (!strcmp(name, "macro_precision")) return m->macro_precision;
  if (!strcmp(name, "macro_recall")) return m->macro_recall;
  if (!strcmp(name, "macro_f1")) return m->macro_f1;
  if (!strcmp(name, "weighted_precision")) return m->weighted_precision;
  if (!strcmp(name, "weighted_recall")) return m->weighted_recall;
  if (!strcmp(name, "weighted_f1")) return m->weighted_f1;
  return 0.0;
}

char *kp_epoch_log_json(const kp_epoch_log *e, const kp_config *cfg) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "epoch", e->epoch);
  cJSON_AddNumberToObject(o, "step", (double)e->step);
  cJSON_AddNumberToObject(o, "lr", e->lr);
  cJSON_AddNumberToObject(o, "train_loss", e->train_loss);
  if (e->evaluated) {
    cJSON_AddNumberToObject(o, "val_loss", e->val_loss);
    cJSON_AddNumberToObject(o, "val_accuracy", e->val_accuracy);
    cJSON_AddNumberToObject(o, "val_macro_f1", e->val_macro_f1);
    size_t n = 0;
    const char *const *names = cfg ? kp_config_strings(cfg, "eval.metrics", &n) : NULL;
    for (size_t i = 0; e->val && i < n; i++) {
      char key[64];
      snprintf(key, sizeof key, "val_%s", names[i]);
      if (!cJSON_GetObjectItemCaseSensitive(o, key)) cJSON_AddNumberToObject(o, key, metric_value(e->val, names[i]));
    }
    cJSON_AddBoolToObject(o, "improved", e->improved);
  }
  cJSON_AddNumberToObject(o, "best_epoch", e->best_epoch);
  cJSON_AddNumberToObject(o, "time_s", e->time_s);
  cJSON_AddNumberToObject(o, "items_per_s", e->items_per_s);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

/* A growing text buffer. */
typedef struct {
  char *s;
  size_t n, cap;
  bool bad;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...) {
  if (b->bad) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->bad = true;
      return;
    }
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = (b->cap + (size_t)k + 1) * 2;
    char *q = realloc(b->s, cap);
    if (!q) {
      b->bad = true;
      return;
    }
    b->s = q;
    b->cap = cap;
  }
}

char *kp_train_report_text(const kp_split_eval *ev, int n, const kp_strings *names) {
  sbuf b = {0};
  const char *const *nm = names && names->n ? (const char *const *)names->s : NULL;
  for (int i = 0; i < n; i++) {
    const kp_metrics *m = &ev[i].metrics;
    put(&b, "%s== %s: %lld items ==\n", i ? "\n" : "", kp_split_name(ev[i].split), (long long)ev[i].n);
    put(&b, "accuracy           %.4f\n", m->accuracy);
    put(&b, "balanced accuracy  %.4f\n", m->balanced_accuracy);
    put(&b, "macro     precision %.4f  recall %.4f  f1 %.4f\n", m->macro_precision, m->macro_recall, m->macro_f1);
    put(&b, "weighted  precision %.4f  recall %.4f  f1 %.4f\n", m->weighted_precision, m->weighted_recall,
        m->weighted_f1);
    put(&b, "loss               %.4f\n\n", ev[i].loss);
    char *rep = kp_metrics_report(m, nm, 4), *cm = kp_metrics_confusion_text(m, nm, 0);
    if (!rep || !cm)
      b.bad = true;
    else
      put(&b, "%s\n%s", rep, cm);
    free(rep);
    free(cm);
  }
  if (b.bad) {
    free(b.s);
    return NULL;
  }
  return b.s ? b.s : calloc(1, 1);
}

char *kp_train_metrics_json(const kp_split_eval *ev, int n, const kp_strings *names, const char *extra) {
  cJSON *root = cJSON_CreateObject();
  const char *const *nm = names && names->n ? (const char *const *)names->s : NULL;
  bool ok = root != NULL;
  for (int i = 0; ok && i < n; i++) {
    char *js = kp_metrics_json(&ev[i].metrics, nm);
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (!o)
      ok = false;
    else {
      cJSON_AddNumberToObject(o, "loss", ev[i].loss);
      cJSON_AddItemToObject(root, kp_split_name(ev[i].split), o);
    }
  }
  if (ok && extra) {
    cJSON *x = cJSON_Parse(extra);
    if (!x) ok = false;
    while (ok && x->child) {
      cJSON *it = cJSON_DetachItemViaPointer(x, x->child);
      cJSON_AddItemToObject(root, it->string, it);
    }
    cJSON_Delete(x);
  }
  char *s = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  return s;
}

/* A CSV cell: quoted when it holds a comma, quote or newline. */
static void put_cell(sbuf *b, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    put(b, "%s", s);
    return;
  }
  put(b, "\"");
  for (const char *p = s; *p; p++) put(b, *p == '"' ? "\"\"" : "%c", *p);
  put(b, "\"");
}

kp_status kp_train_write_predictions(const char *path, const kp_split_eval *ev, int n, const kp_strings *names) {
  sbuf b = {0};
  int64_t C = n ? ev[0].num_classes : 0;
  put(&b, "id,split,true,pred");
  for (int64_t c = 0; c < C; c++) {
    put(&b, ",");
    char col[256];
    snprintf(col, sizeof col, "p_%s", c < names->n ? names->s[c] : "?");
    put_cell(&b, col);
  }
  put(&b, "\n");
  for (int i = 0; i < n; i++)
    for (int64_t k = 0; k < ev[i].n; k++) {
      put(&b, "%d,%s,", ev[i].ids[k], kp_split_name(ev[i].split));
      put_cell(&b, names->s[ev[i].y_true[k]]);
      put(&b, ",");
      put_cell(&b, names->s[ev[i].y_pred[k]]);
      for (int64_t c = 0; c < C; c++) put(&b, ",%.6g", (double)ev[i].probs[k * C + c]);
      put(&b, "\n");
    }
  if (b.bad) {
    free(b.s);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  }
  kp_status s = kp_write_file_atomic(path, b.s ? b.s : "");
  free(b.s);
  return s;
}
