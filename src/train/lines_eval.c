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

static int32_t argmax(const float *p, int64_t c) {
  int32_t best = 0;
  for (int64_t k = 1; k < c; k++)
    if (p[k] > p[best]) best = (int32_t)k;
  return best;
}

static const int32_t *len_key; /* lengths for the sort below (scoring is single-threaded at this level) */
static int by_length(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  if (len_key[x] != len_key[y]) return len_key[x] < len_key[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

kp_status kp_line_trainer_evaluate(kp_line_trainer *t, int split, kp_split_eval *e) {
  memset(e, 0, sizeof *e);
  if (split < 0 || split > 2) return kp_fail(KP_ERR_INVALID, "evaluate: split %d is not train, val or test", split);
  int64_t n = t->nids[split], C = t->num_classes;
  e->split = split;
  e->n = n;
  e->num_classes = C;
  size_t m = (size_t)(n ? n : 1);
  e->ids = malloc(sizeof(int32_t) * m);
  e->y_true = malloc(sizeof(int32_t) * m);
  e->y_pred = malloc(sizeof(int32_t) * m);
  e->probs = malloc(sizeof(float) * m * (size_t)C);
  int64_t *order = malloc(sizeof(int64_t) * m);
  float *pb = malloc(sizeof(float) * (size_t)(t->batch_size * C));
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)t->batch_size);
  kp_status s = KP_OK;
  if (!e->ids || !e->y_true || !e->y_pred || !e->probs || !order || !pb || !rows)
    s = kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory for %lld lines", (long long)n);
  double total = 0.0;
  if (s == KP_OK) {
    memcpy(e->ids, t->ids[split], sizeof(int32_t) * (size_t)n);
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
  if (s == KP_OK) {
    e->loss = n ? total / (double)n : 0.0;
    for (int64_t k = 0; k < n; k++) e->y_pred[k] = argmax(e->probs + k * C, C);
    s = kp_metrics_compute(e->y_true, e->y_pred, n, C, &e->metrics);
  }
  if (s != KP_OK) kp_split_eval_free(e);
  return s;
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

static int split_of(const char *name) {
  return !strcmp(name, "train") ? KP_SPLIT_TRAIN : !strcmp(name, "val") ? KP_SPLIT_VAL : KP_SPLIT_TEST;
}

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
  int n = 0;
  size_t ns = 0;
  const char *const *names = kp_config_strings(t->cfg, "eval.splits", &ns);
  kp_status s = KP_OK;
  for (size_t i = 0; i < ns && n < 3 && s == KP_OK; i++) {
    int sp = split_of(names[i]);
    if (t->nids[sp] == 0) continue; /* e.g. no val split in a [0.8, 0, 0.2] TSV run */
    if ((s = kp_line_trainer_evaluate(t, sp, &ev[n])) == KP_OK) n++;
  }
  const kp_strings *labels = &t->data.label_names;
  char *text = s == KP_OK ? kp_train_report_text(ev, n, labels) : NULL;
  char *json = s == KP_OK ? metrics_json(t, ev, n, extra) : NULL;
  if (s == KP_OK && (!text || !json)) s = kp_fail(KP_ERR_NOMEM, "report: out of memory");
  if (s == KP_OK && out) {
    fputs(text, out);
    fflush(out);
  }
  if (s == KP_OK && dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/report.txt", dir);
    s = kp_write_file_atomic(path, text);
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    if (s == KP_OK) s = kp_write_file_atomic(path, json);
    snprintf(path, sizeof path, "%s/predictions.csv", dir);
    if (s == KP_OK) s = kp_train_write_predictions(path, ev, n, labels);
    snprintf(path, sizeof path, "%s/candidates.csv", dir);
    if (s == KP_OK) s = kp_line_trainer_write_candidates(t, path, ev, n);
  }
  free(text);
  free(json);
  for (int i = 0; i < n; i++) kp_split_eval_free(&ev[i]);
  return s;
}
