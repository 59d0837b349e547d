/* Classification metrics with scikit-learn's definitions: confusion matrix, accuracy, balanced
 * accuracy, precision/recall/F1 (per class, macro, micro, weighted), the classification_report
 * text layout, ROC-AUC and average precision (PR-AUC) for binary scores, and Acc@k / MRR for
 * rankings. Undefined ratios (0/0) are 0, as scikit-learn's zero_division default gives. */
#ifndef KPRCA_METRICS_H
#define KPRCA_METRICS_H
#include <stdint.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kp_class_scores {
  double precision, recall, f1;
  int64_t support; /* true items of the class */
} kp_class_scores;

/* Metrics of one set of predictions over classes 0..C-1 (every class listed, as sklearn with labels=range(C)). */
typedef struct kp_metrics {
  int64_t num_classes; /* C */
  int64_t n;           /* items scored */
  int64_t *confusion;  /* [C*C], row = true class, column = predicted class */
  kp_class_scores *per_class; /* [C] */
  double accuracy, balanced_accuracy;
  double macro_precision, macro_recall, macro_f1;
  double micro_precision, micro_recall, micro_f1;
  double weighted_precision, weighted_recall, weighted_f1;
} kp_metrics;

/** Fills m from n (true, predicted) pairs in [0, C); an item with y_true < 0 is skipped (unlabelled). No
 *  labelled item is an error (as sklearn refuses empty input); on error m is left zeroed. */
kp_status kp_metrics_compute(const int32_t *y_true, const int32_t *y_pred, int64_t n, int64_t num_classes,
                             kp_metrics *m);
/** Frees the arrays in m and zeroes it; NULL is fine. */
void kp_metrics_free(kp_metrics *m);
/** scikit-learn's classification_report text (digits decimals; names NULL: "0", "1", ...); malloc'd. */
char *kp_metrics_report(const kp_metrics *m, const char *const *names, int digits);
/** The confusion matrix as an aligned text table with class names on rows (true) and columns (predicted);
 *  normalized != 0 prints each row divided by its sum. malloc'd. */
char *kp_metrics_confusion_text(const kp_metrics *m, const char *const *names, int normalized);
/** m as a JSON object text: accuracy, balanced_accuracy, macro_/micro_/weighted_ precision, recall, f1,
 *  per_class {name: {precision, recall, f1, support}}, confusion_matrix [[...]], labels [...], n. malloc'd. */
char *kp_metrics_json(const kp_metrics *m, const char *const *names);

/** ROC-AUC of scores for the positive class (y 1) against y 0, ties averaged as sklearn's roc_auc_score;
 *  an error when only one class is present. Items with y < 0 are skipped. */
kp_status kp_roc_auc(const float *score, const int32_t *y, int64_t n, double *auc);
/** Average precision (sklearn's average_precision_score, the PR-AUC step sum) of scores for y 1; 0 when no
 *  item is positive (as sklearn). Items with y < 0 are skipped. */
kp_status kp_average_precision(const float *score, const int32_t *y, int64_t n, double *ap);
/** Fraction of rows whose true class is among the k highest of scores [n, C] (ties: the higher class index
 *  ranks first, as sklearn's top_k_accuracy_score); rows with y < 0 are skipped. */
kp_status kp_topk_accuracy(const float *scores, const int32_t *y, int64_t n, int64_t num_classes, int k,
                           double *acc);
/** Mean reciprocal rank of the true class in each row of scores [n, C] (rank 1 = highest; ties as in
 *  kp_topk_accuracy); rows with y < 0 are skipped. */
kp_status kp_mrr(const float *scores, const int32_t *y, int64_t n, int64_t num_classes, double *mrr);

#ifdef __cplusplus
}
#endif
#endif
