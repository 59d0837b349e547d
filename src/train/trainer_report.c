/* The end-of-run report shared by kprca-train and kprca-eval --checkpoint: score the splits, print
 * the text report, write report.txt, metrics.json and predictions.csv. */
#include <stdlib.h>
#include <string.h>

#include "kprca/split.h"
#include "kprca/train_report.h"

static int split_of(const char *name) {
  return !strcmp(name, "train") ? KP_SPLIT_TRAIN : !strcmp(name, "val") ? KP_SPLIT_VAL : KP_SPLIT_TEST;
}

kp_status kp_trainer_report(kp_trainer *t, int split, const char *dir, const char *extra, FILE *out) {
  kp_split_eval ev[3];
  int n = 0;
  size_t ns = 0;
  const char *const *names = kp_config_strings(kp_trainer_config(t), "eval.splits", &ns);
  int want[3], nw = 0;
  if (split >= 0)
    want[nw++] = split;
  else
    for (size_t i = 0; i < ns && nw < 3; i++) want[nw++] = split_of(names[i]);
  kp_status s = KP_OK;
  for (int i = 0; i < nw && s == KP_OK; i++)
    if ((s = kp_trainer_evaluate(t, want[i], &ev[n])) == KP_OK) n++;
  const kp_strings *labels = &kp_trainer_data(t)->label_names;
  char *text = s == KP_OK ? kp_train_report_text(ev, n, labels) : NULL;
  char *json = s == KP_OK ? kp_train_metrics_json(ev, n, labels, extra) : NULL;
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
  }
  free(text);
  free(json);
  for (int i = 0; i < n; i++) kp_split_eval_free(&ev[i]);
  return s;
}
