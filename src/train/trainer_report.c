/* The end-of-run report shared by kprca-train (GNN and line runs) and kprca-eval --checkpoint: the
 * splits to score, the text report printed, report.txt, metrics.json and predictions.csv written;
 * kp_trainer_report does it for the GNN trainer. */
#include <stdlib.h>
#include <string.h>

#include "kprca/split.h"
#include "kprca/train_report.h"
#include "train/trainer_internal.h"

static int split_of(const char *name) {
  return !strcmp(name, "train") ? KP_SPLIT_TRAIN : !strcmp(name, "val") ? KP_SPLIT_VAL : KP_SPLIT_TEST;
}

int kp_train_report_splits(const kp_train_state *st, int split, bool skip_empty, int want[3]) {
  int nw = 0;
  if (split >= 0) {
    want[nw++] = split;
    return nw;
  }
  size_t ns = 0;
  const char *const *names = kp_config_strings(st->cfg, "eval.splits", &ns);
  for (size_t i = 0; i < ns && nw < 3; i++) {
    int sp = split_of(names[i]);
    if (skip_empty && st->nids[sp] == 0) continue;
    want[nw++] = sp;
  }
  return nw;
}

kp_status kp_train_report_write(const kp_split_eval *ev, int n, const kp_strings *labels, const char *json,
                                const char *dir, FILE *out) {
  char *text = kp_train_report_text(ev, n, labels);
  kp_status s = text && json ? KP_OK : kp_fail(KP_ERR_NOMEM, "report: out of memory");
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
  }
  free(text);
  return s;
}

kp_status kp_trainer_report(kp_trainer *t, int split, const char *dir, const char *extra, FILE *out) {
  kp_split_eval ev[3];
  int want[3], nw = kp_train_report_splits(&t->st, split, false, want), n = 0;
  kp_status s = KP_OK;
  for (int i = 0; i < nw && s == KP_OK; i++)
    if ((s = kp_trainer_evaluate(t, want[i], &ev[n])) == KP_OK) n++;
  const kp_strings *labels = &t->data.label_names;
  char *json = s == KP_OK ? kp_train_metrics_json(ev, n, labels, extra) : NULL;
  if (s == KP_OK) s = kp_train_report_write(ev, n, labels, json, dir, out);
  free(json);
  for (int i = 0; i < n; i++) kp_split_eval_free(&ev[i]);
  return s;
}
