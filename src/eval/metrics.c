/* Classification metrics from (true, predicted) class pairs, with scikit-learn's definitions:
 * the confusion matrix, accuracy, balanced accuracy and precision / recall / F1 per class and
 * averaged (macro, micro, weighted). Ratios with a zero denominator are 0 (sklearn's
 * zero_division default); F1 is 2 tp / (2 tp + fp + fn), as sklearn computes it. */
#include <stdlib.h>
#include <string.h>
#include "kprca/metrics.h"

/* a / b, or 0 when b is 0 (sklearn's zero_division="warn" result). */
static double ratio(double a, double b) { return b != 0 ? a / b : 0.0; }

void kp_metrics_free(kp_metrics *m) {
  if (!m) return;
  free(m->confusion);
  free(m->per_class);
  memset(m, 0, sizeof *m);
}

kp_status kp_metrics_compute(const int32_t *y_true, const int32_t *y_pred, int64_t n, int64_t num_classes,
                             kp_metrics *m) {
  if (!m) return kp_fail(KP_ERR_INVALID, "metrics: output is NULL");
  memset(m, 0, sizeof *m);
  const int64_t C = num_classes;
  if (C < 1) return kp_fail(KP_ERR_INVALID, "metrics: %lld classes (at least 1 is needed)", (long long)C);
  if (C > (int64_t)1 << 24) return kp_fail(KP_ERR_INVALID, "metrics: %lld classes is too many", (long long)C);
  if (n < 0) return kp_fail(KP_ERR_INVALID, "metrics: negative item count %lld", (long long)n);
  if (n > 0 && (!y_true || !y_pred)) return kp_fail(KP_ERR_INVALID, "metrics: y_true or y_pred is NULL");
  m->confusion = calloc((size_t)(C * C), sizeof *m->confusion);
  m->per_class = calloc((size_t)C, sizeof *m->per_class);
  if (!m->confusion || !m->per_class) {
    kp_metrics_free(m);
    return kp_fail(KP_ERR_NOMEM, "metrics: out of memory for %lld classes", (long long)C);
  }
  m->num_classes = C;
  int64_t counted = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t t = y_true[i], p = y_pred[i];
    if (t < 0) continue; /* unlabelled */
    if (t >= C || p < 0 || p >= C) {
      kp_metrics_free(m);
      return kp_fail(KP_ERR_INVALID, "metrics: item %lld has %s %d, outside the classes [0, %lld)", (long long)i,
                     t >= C ? "y_true" : "y_pred", t >= C ? t : p, (long long)C);
    }
    m->confusion[(int64_t)t * C + p]++;
    counted++;
  }
  if (counted == 0) {
    kp_metrics_free(m);
    return kp_fail(KP_ERR_INVALID, "metrics: no labelled items among %lld (scikit-learn refuses empty input too)",
                   (long long)n);
  }
  m->n = counted;

  int64_t tp_all = 0, classes_present = 0;
  double bal = 0, mp = 0, mr = 0, mf = 0, wp = 0, wr = 0, wf = 0;
  for (int64_t c = 0; c < C; c++) {
    int64_t tp = m->confusion[c * C + c], true_sum = 0, pred_sum = 0;
    for (int64_t j = 0; j < C; j++) true_sum += m->confusion[c * C + j], pred_sum += m->confusion[j * C + c];
    kp_class_scores *s = &m->per_class[c];
    s->precision = ratio((double)tp, (double)pred_sum);
    s->recall = ratio((double)tp, (double)true_sum);
    s->f1 = ratio(2.0 * (double)tp, (double)true_sum + (double)pred_sum);
    s->support = true_sum;
    tp_all += tp;
    if (true_sum > 0) bal += s->recall, classes_present++; /* sklearn skips classes absent from y_true */
    mp += s->precision, mr += s->recall, mf += s->f1;
    wp += s->precision * (double)true_sum, wr += s->recall * (double)true_sum, wf += s->f1 * (double)true_sum;
  }
  m->accuracy = (double)tp_all / (double)counted;
  m->balanced_accuracy = bal / (double)classes_present;
  m->macro_precision = mp / (double)C, m->macro_recall = mr / (double)C, m->macro_f1 = mf / (double)C;
  m->weighted_precision = wp / (double)counted, m->weighted_recall = wr / (double)counted;
  m->weighted_f1 = wf / (double)counted;
  /* Every item's true and predicted class are among the labels, so the pooled counts are
   * tp = correct items, tp + fp = tp + fn = all items. */
  m->micro_precision = m->micro_recall = (double)tp_all / (double)counted;
  m->micro_f1 = ratio(2.0 * (double)tp_all, 2.0 * (double)counted);
  return KP_OK;
}
