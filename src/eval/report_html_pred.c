/* predictions.csv for the report: the positive-class probability of each item of a binary task (column
 * p_<second class name>), and the ROC and PR curves drawn from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/report_html_internal.h"
#include "kprca/csv.h"

/* Appends (score, y) to split sp; false without memory. */
static bool push(kp_run_split *sp, int64_t *cap, float score, int32_t y) {
  if (sp->n_scored == *cap) {
    int64_t nc = *cap ? *cap * 2 : 1024;
    float *s = realloc(sp->pos_score, (size_t)nc * sizeof *s);
    if (!s) return false;
    sp->pos_score = s;
    int32_t *t = realloc(sp->pos_y, (size_t)nc * sizeof *t);
    if (!t) return false;
    sp->pos_y = t;
    *cap = nc;
  }
  sp->pos_score[sp->n_scored] = score;
  sp->pos_y[sp->n_scored++] = y;
  return true;
}

void kp_run_load_predictions(kp_run *run) {
  char path[4200];
  snprintf(path, sizeof path, "%s/predictions.csv", run->dir);
  kp_csv_reader *r = NULL;
  if (kp_csv_open(path, &r) != KP_OK) {
    kp_run_note(run, "predictions.csv is missing or unreadable (%s)", kp_last_error());
    return;
  }
  run->has_predictions = true;
  int binary = 0;
  for (int i = 0; i < run->nsplits; i++) binary += run->splits[i].num_classes == 2;
  if (!binary || kp_csv_read_header(r) != KP_OK) {
    if (binary) kp_run_note(run, "predictions.csv has no header: no ROC or PR curves");
    kp_csv_close(r);
    return;
  }
  int csplit = kp_csv_column(r, "split"), ctrue = kp_csv_column(r, "true"), cpos[3] = {-1, -1, -1};
  int64_t cap[3] = {0, 0, 0};
  for (int i = 0; i < run->nsplits; i++) {
    kp_run_split *sp = &run->splits[i];
    if (sp->num_classes != 2 || !sp->labels[1]) continue;
    char col[512];
    snprintf(col, sizeof col, "p_%s", sp->labels[1]);
    if ((cpos[i] = kp_csv_column(r, col)) < 0)
      kp_run_note(run, "predictions.csv has no column '%s' (positive-class probability): no ROC or PR curves for %s",
                  col, sp->name);
  }
  if (csplit < 0 || ctrue < 0) {
    kp_run_note(run, "predictions.csv lacks a 'split' or 'true' column: no ROC or PR curves");
    kp_csv_close(r);
    return;
  }
  bool eof = false;
  int64_t bad = 0;
  for (;;) {
    kp_status s = kp_csv_next(r, &eof);
    if (s != KP_OK) {
      kp_run_note(run, "predictions.csv: %s (read up to there)", kp_last_error());
      break;
    }
    if (eof) break;
    const char *split = kp_csv_get(r, csplit, NULL), *truth = kp_csv_get(r, ctrue, NULL);
    for (int i = 0; i < run->nsplits; i++) {
      kp_run_split *sp = &run->splits[i];
      if (cpos[i] < 0 || !split || strcmp(split, sp->name)) continue;
      const char *v = kp_csv_get(r, cpos[i], NULL);
      char *end = NULL;
      double score = v ? strtod(v, &end) : NAN;
      int32_t y = truth && !strcmp(truth, sp->labels[1]) ? 1 : truth && !strcmp(truth, sp->labels[0]) ? 0 : -1;
      if (!v || end == v || *end || !isfinite(score) || y < 0) bad++;
      else if (!push(sp, &cap[i], (float)score, y)) bad++;
    }
  }
  if (bad) kp_run_note(run, "predictions.csv: %lld row(s) with an unreadable score or an unknown class, left out",
                       (long long)bad);
  kp_csv_close(r);
}

typedef struct {
  float s;
  int32_t y;
} scored;

static int by_score_desc(const void *a, const void *b) {
  float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return (x < y) - (x > y);
}

void kp_curve_free(kp_curve *c) {
  free(c->x);
  free(c->y);
  memset(c, 0, sizeof *c);
}

bool kp_binary_curves(const float *score, const int32_t *y, int64_t n, kp_curve *roc, kp_curve *pr) {
  memset(roc, 0, sizeof *roc);
  memset(pr, 0, sizeof *pr);
  int64_t P = 0, N = 0;
  for (int64_t i = 0; i < n; i++) P += y[i] == 1, N += y[i] == 0;
  if (!P || !N) return false;
  scored *v = malloc((size_t)n * sizeof *v);
  roc->x = malloc((size_t)(n + 1) * sizeof(double));
  roc->y = malloc((size_t)(n + 1) * sizeof(double));
  pr->x = malloc((size_t)(n + 1) * sizeof(double));
  pr->y = malloc((size_t)(n + 1) * sizeof(double));
  if (!v || !roc->x || !roc->y || !pr->x || !pr->y) {
    free(v);
    kp_curve_free(roc);
    kp_curve_free(pr);
    return false;
  }
  for (int64_t i = 0; i < n; i++) v[i] = (scored){score[i], y[i]};
  qsort(v, (size_t)n, sizeof *v, by_score_desc);
  roc->x[0] = roc->y[0] = 0;
  pr->x[0] = 0;
  pr->y[0] = 1;
  roc->n = pr->n = 1;
  int64_t tp = 0, fp = 0;
  for (int64_t i = 0; i < n; i++) {
    tp += v[i].y == 1;
    fp += v[i].y == 0;
    if (i + 1 < n && v[i + 1].s == v[i].s) continue; /* one point per distinct threshold */
    roc->x[roc->n] = (double)fp / (double)N;
    roc->y[roc->n++] = (double)tp / (double)P;
    pr->x[pr->n] = (double)tp / (double)P;
    pr->y[pr->n++] = (double)tp / (double)(tp + fp);
  }
  free(v);
  return true;
}
