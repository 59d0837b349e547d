/* Scoring lines with the current weights (inference forward, no dropout; the split's lines in
 * order of length so that batches pad little, results put back in row order), and the end-of-run
 * files: report.txt, metrics.json (the GNN runs' keys plus "f1" of class 1 for binary tasks),
 * predictions.csv (train_report.h) and candidates.csv: lines labelled ordinary (class 0) but
 * predicted otherwise, the candidate new root causes, by score 1 - p(ordinary), highest first. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/csv.h"
#include "kprca/split.h"
#include "kprca/train_report.h"
#include "train/lines_internal.h"

static const int32_t *len_key; /* lengths for the sort below (scoring is single-threaded at this level) */
static int by_length(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  if (len_key[x] != len_key[y]) return len_key[x] < len_key[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

kp_status kp_line_trainer_evaluate(kp_line_trainer *t, int split, kp_split_eval *e) {
  KP_TRY(kp_split_eval_begin(e, &t->st, split, t->num_classes, "lines"));
  int64_t n = e->n, C = t->num_classes;
  size_t m = (size_t)(n ? n : 1);
  int64_t *order = malloc(sizeof(int64_t) * m);
  float *pb = malloc(sizeof(float) * (size_t)(t->batch_size * C));
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)t->batch_size);
  kp_status s = KP_OK;
  if (!order || !pb || !rows) s = kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory for %lld lines", (long long)n);
  double total = 0.0;
  if (s == KP_OK) {
    for (int64_t k = 0; k < n; k++) order[k] = k; /* positions in e->ids */
    for (int64_t k = 0; k < n; k++) e->y_true[k] = t->data.label[e->ids[k]];
    int32_t *lens = malloc(sizeof(int32_t) * m);
    if (!lens) s = kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory");
    else {
      for (int64_t k = 0; k < n; k++) lens[k] = t->tok.lengths[e->ids[k]];
      len_key = lens;
      qsort(order, (size_t)n, sizeof *order, by_length);
      free(lens);
    }
  }
  for (int64_t k0 = 0; k0 < n && s == KP_OK; k0 += t->batch_size) {
    int64_t nb = n - k0 < t->batch_size ? n - k0 : t->batch_size;
    for (int64_t i = 0; i < nb; i++) rows[i] = e->ids[order[k0 + i]];
    kp_bert_batch b;
    float loss = 0.0f;
    s = kp_lines_fill_batch(t, rows, nb, &b);
    if (s == KP_OK) s = kp_bert_forward(&t->model, &b, false);
    if (s == KP_OK) s = kp_bert_loss(&t->model, t->b_labels, NULL, &loss);
    if (s == KP_OK) {
      int64_t sh[2] = {nb, C};
      kp_tensor h = kp_tensor_wrap(pb, KP_F32, kp_cpu(), 2, sh);
      s = kp_tensor_copy(&h, &t->model.probs);
    }
    if (s != KP_OK) break;
    total += (double)loss * (double)nb;
    for (int64_t i = 0; i < nb; i++) memcpy(e->probs + order[k0 + i] * C, pb + i * C, sizeof(float) * (size_t)C);
  }
  free(order);
  free(pb);
  free(rows);
  if (s == KP_OK) e->loss = n ? total / (double)n : 0.0;
  return kp_split_eval_finish(e, s);
}

/* ---- candidates.csv ---- */

typedef struct {
  float score;
  int split;
  int32_t id, pred;
} cand;

static int by_score(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->split != y->split) return x->split < y->split ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

kp_status kp_line_trainer_write_candidates(const kp_line_trainer *t, const char *path, const kp_split_eval *ev,
                                           int n) {
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += ev[i].n;
  cand *c = malloc(sizeof(cand) * (size_t)(total ? total : 1));
  if (!c) return kp_fail(KP_ERR_NOMEM, "candidates: out of memory");
  int64_t nc = 0;
  for (int i = 0; i < n; i++) {
    int64_t C = ev[i].num_classes;
    for (int64_t k = 0; k < ev[i].n; k++)
      if (ev[i].y_true[k] == 0 && ev[i].y_pred[k] != 0)
        c[nc++] = (cand){1.0f - ev[i].probs[k * C], ev[i].split, ev[i].ids[k], ev[i].y_pred[k]};
  }
  qsort(c, (size_t)nc, sizeof *c, by_score);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  kp_csv_writer *w = NULL;
  kp_status s = f ? kp_csv_writer_new(f, path, false, &w) : kp_fail(KP_ERR_NOMEM, "candidates: out of memory");
  const char *head[] = {"split", "id", "incident", "score", "pred", "text"};
  if (s == KP_OK) {
    kp_csv_row_begin(w);
    for (int j = 0; j < 6; j++) kp_csv_field_str(w, head[j]);
    s = kp_csv_row_end(w);
  }
  const kp_strings *names = &t->data.label_names;
  for (int64_t i = 0; i < nc && s == KP_OK; i++) {
    char score[32];
    snprintf(score, sizeof score, "%.6f", (double)c[i].score);
    kp_csv_row_begin(w);
    kp_csv_field_str(w, kp_split_name(c[i].split));
    kp_csv_field_i64(w, c[i].id);
    kp_csv_field_i64(w, t->data.incident[c[i].id]);
    kp_csv_field_str(w, score);
    kp_csv_field_str(w, names->s[c[i].pred]);
    kp_csv_field_str(w, t->data.text.s[c[i].id]);
    s = kp_csv_row_end(w);
  }
  if (w) {
    kp_status s2 = kp_csv_writer_close(w);
    if (s == KP_OK) s = s2;
  }
  if (f) fclose(f);
  if (s == KP_OK) s = kp_write_file_atomic(path, buf ? buf : "");
  free(buf);
  free(c);
  return s;
}

/* ---- the report ---- */

/* metrics.json from train_report.h, plus "f1" (class 1's F1) in each split's object for a binary task. */
static char *metrics_json(const kp_line_trainer *t, const kp_split_eval *ev, int n, const char *extra) {
  char *base = kp_train_metrics_json(ev, n, &t->data.label_names, extra);
  if (!base || t->num_classes != 2) return base;
  cJSON *o = cJSON_Parse(base);
  free(base);
  if (!o) return NULL;
  for (int i = 0; i < n; i++) {
    cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, kp_split_name(ev[i].split));
    if (cJSON_IsObject(sp) && !cJSON_GetObjectItemCaseSensitive(sp, "f1"))
      cJSON_AddNumberToObject(sp, "f1", ev[i].metrics.per_class[1].f1);
  }
  char *out = cJSON_Print(o);
  cJSON_Delete(o);
  return out;
}

kp_status kp_line_trainer_report(kp_line_trainer *t, const char *dir, const char *extra, FILE *out) {
  kp_split_eval ev[3];
  /* splits with no lines are passed over (e.g. no val split in a [0.8, 0, 0.2] TSV run) */
  int want[3], nw = kp_train_report_splits(&t->st, -1, true, want), n = 0;
  kp_status s = KP_OK;
  for (int i = 0; i < nw && s == KP_OK; i++)
    if ((s = kp_line_trainer_evaluate(t, want[i], &ev[n])) == KP_OK) n++;
  const kp_strings *labels = &t->data.label_names;
  char *json = s == KP_OK ? metrics_json(t, ev, n, extra) : NULL;
  if (s == KP_OK) s = kp_train_report_write(ev, n, labels, json, dir, out);
  if (s == KP_OK && dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/candidates.csv", dir);
    s = kp_line_trainer_write_candidates(t, path, ev, n);
  }
  free(json);
  for (int i = 0; i < n; i++) kp_split_eval_free(&ev[i]);
  return s;
}
