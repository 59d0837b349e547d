/* Score-based metrics with scikit-learn's definitions: ROC-AUC (roc_auc_score) and average
 * precision (average_precision_score) of binary scores, and Acc@k (top_k_accuracy_score) and
 * mean reciprocal rank of the true class in rows of class scores. Items with a negative label
 * are unlabelled and skipped, as in kp_metrics_compute. */
#include <math.h>
#include <stdlib.h>
#include "kprca/metrics.h"

typedef struct scored {
  float s;
  int32_t y;
} scored;

static int by_score_desc(const void *a, const void *b) {
  float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return (x < y) - (x > y);
}

/* The labelled items (y 0 or 1) sorted by descending score, with the count of each class. */
static kp_status binary_items(const char *op, const float *score, const int32_t *y, int64_t n, scored **out,
                              int64_t *count, int64_t *pos, int64_t *neg) {
  *out = NULL;
  if (n < 0) return kp_fail(KP_ERR_INVALID, "%s: negative item count %lld", op, (long long)n);
  if (n > 0 && (!score || !y)) return kp_fail(KP_ERR_INVALID, "%s: score or y is NULL", op);
  int64_t k = 0, p = 0;
  for (int64_t i = 0; i < n; i++) {
    if (y[i] < 0) continue;
    if (y[i] > 1) return kp_fail(KP_ERR_INVALID, "%s: item %lld has y %d (binary labels are 0 and 1)", op, (long long)i, y[i]);
    if (isnan(score[i])) return kp_fail(KP_ERR_INVALID, "%s: item %lld has a NaN score", op, (long long)i);
    k++, p += y[i];
  }
  if (k == 0) return kp_fail(KP_ERR_INVALID, "%s: no labelled items among %lld", op, (long long)n);
  scored *v = malloc((size_t)k * sizeof *v);
  if (!v) return kp_fail(KP_ERR_NOMEM, "%s: out of memory for %lld items", op, (long long)k);
  for (int64_t i = 0, j = 0; i < n; i++)
    if (y[i] >= 0) v[j].s = score[i], v[j].y = y[i], j++;
  qsort(v, (size_t)k, sizeof *v, by_score_desc);
  *out = v, *count = k, *pos = p, *neg = k - p;
  return KP_OK;
}

kp_status kp_roc_auc(const float *score, const int32_t *y, int64_t n, double *auc) {
  scored *v;
  int64_t k, pos, neg;
  KP_TRY(binary_items("roc_auc", score, y, n, &v, &k, &pos, &neg));
  if (pos == 0 || neg == 0) {
    free(v);
    return kp_fail(KP_ERR_INVALID, "roc_auc: only one class (%d) among the %lld labelled items; ROC-AUC is undefined",
                   pos ? 1 : 0, (long long)k);
  }
  /* Trapezoids under the ROC steps, in units of (1 false positive) x (1/2 true positive);
   * each term is an integer, so the sum is exact below 2^53. */
  double area = 0;
  int64_t tp = 0, fp = 0;
  for (int64_t i = 0; i < k;) {
    int64_t tp0 = tp, fp0 = fp;
    for (float s = v[i].s; i < k && v[i].s == s; i++) tp += v[i].y, fp += 1 - v[i].y;
    area += (double)(fp - fp0) * (double)(tp + tp0);
  }
  free(v);
  *auc = area / (2.0 * (double)pos * (double)neg);
  return KP_OK;
}

kp_status kp_average_precision(const float *score, const int32_t *y, int64_t n, double *ap) {
  scored *v;
  int64_t k, pos, neg;
  KP_TRY(binary_items("average_precision", score, y, n, &v, &k, &pos, &neg));
  /* sum over thresholds of (recall gain) x (precision there); with no positives sklearn
   * warns and returns 0, which this sum gives too. */
  double sum = 0;
  int64_t tp = 0, fp = 0;
  for (int64_t i = 0; i < k;) {
    int64_t tp0 = tp;
    for (float s = v[i].s; i < k && v[i].s == s; i++) tp += v[i].y, fp += 1 - v[i].y;
    if (tp > tp0) sum += (double)(tp - tp0) / (double)pos * ((double)tp / (double)(tp + fp));
  }
  free(v);
  *ap = sum;
  return KP_OK;
}

/* Rank (1 = first) of class y in row s[0..C): classes with a higher score come first, and
 * among equal scores the higher class index first, as sklearn's top_k_accuracy_score orders
 * them (a stable ascending argsort, reversed). */
static int64_t rank_of(const float *s, int64_t C, int32_t y) {
  int64_t r = 1;
  float t = s[y];
  for (int64_t j = 0; j < C; j++) r += s[j] > t || (s[j] == t && j > y);
  return r;
}

/* Checks a [n, C] score table and its labels; counts the labelled rows. */
static kp_status rank_check(const char *op, const float *scores, const int32_t *y, int64_t n, int64_t C,
                            int64_t *labelled) {
  if (n < 0) return kp_fail(KP_ERR_INVALID, "%s: negative item count %lld", op, (long long)n);
  if (C < 1) return kp_fail(KP_ERR_INVALID, "%s: %lld classes (at least 1 is needed)", op, (long long)C);
  if (n > 0 && (!scores || !y)) return kp_fail(KP_ERR_INVALID, "%s: scores or y is NULL", op);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    if (y[i] < 0) continue;
    if (y[i] >= C)
      return kp_fail(KP_ERR_INVALID, "%s: item %lld has y %d, outside the classes [0, %lld)", op, (long long)i, y[i],
                     (long long)C);
    for (int64_t j = 0; j < C; j++)
      if (isnan(scores[i * C + j]))
        return kp_fail(KP_ERR_INVALID, "%s: item %lld has a NaN score for class %lld", op, (long long)i,
                       (long long)j);
    k++;
  }
  if (k == 0) return kp_fail(KP_ERR_INVALID, "%s: no labelled items among %lld", op, (long long)n);
  *labelled = k;
  return KP_OK;
}

kp_status kp_topk_accuracy(const float *scores, const int32_t *y, int64_t n, int64_t num_classes, int k,
                           double *acc) {
  if (k < 1) return kp_fail(KP_ERR_INVALID, "topk_accuracy: k is %d (at least 1 is needed)", k);
  int64_t labelled, hits = 0;
  KP_TRY(rank_check("topk_accuracy", scores, y, n, num_classes, &labelled));
  for (int64_t i = 0; i < n; i++)
    if (y[i] >= 0) hits += rank_of(scores + i * num_classes, num_classes, y[i]) <= k;
  *acc = (double)hits / (double)labelled;
  return KP_OK;
}

kp_status kp_mrr(const float *scores, const int32_t *y, int64_t n, int64_t num_classes, double *mrr) {
  int64_t labelled;
  KP_TRY(rank_check("mrr", scores, y, n, num_classes, &labelled));
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    if (y[i] >= 0) sum += 1.0 / (double)rank_of(scores + i * num_classes, num_classes, y[i]);
  *mrr = sum / (double)labelled;
  return KP_OK;
}
