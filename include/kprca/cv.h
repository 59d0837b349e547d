/* Cross-validation (docs/metrics.md, "Cross-validation"): fold assignment (stratified K-fold, group
 * K-fold, leave-one-group-out), the train/val/test split of one fold, and the summary of the folds'
 * test metrics (per-fold rows, mean and sample standard deviation of every metric) as cv.json / cv.txt. */
#ifndef KPRCA_CV_H
#define KPRCA_CV_H
#include <stdbool.h>
#include <stdint.h>

#include "kprca/metrics.h"
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

enum { KP_CV_LOGO = 0 }; /* k for leave-one-group-out: one fold per distinct group */

/** Gives each of n items a fold in [0, *nfolds); items with label < 0 take no part (fold -1). Items with one
 *  group id always share a fold (group NULL: each item is its own group). k = KP_CV_LOGO: one fold per group,
 *  numbered by ascending group id. k >= 2: per stratum (a group's most frequent label, ties the smallest, when
 *  stratify; else one stratum), groups are shuffled by Philox stream (seed, stratum), stably sorted largest
 *  first, and each goes to the fold with the fewest items of its stratum (ties: fewest items, then the lowest
 *  fold); without groups every class is thus spread within one item over the folds. Errors: k 1 or < 0, k above
 *  the number of groups, no labelled item, logo without groups. */
kp_status kp_cv_assign(const int32_t *label, const int32_t *group, int64_t n, int k, bool stratify, uint64_t seed,
                       int32_t *fold, int *nfolds);
/** group[i] = the UTC day of time[i] (seconds since the Unix epoch): floor(time / 86400); an error names the first
 *  time that is not finite or lies outside int32 days. */
kp_status kp_cv_day_groups(const double *time, int64_t n, int32_t *group);
/** The split of fold k: its items test; the other labelled items train, except val_frac of them (of their groups
 *  when group is non-NULL: kp_split_group, else kp_split_stratified; stratified by label when stratify) carved out
 *  as val with a seed derived from (seed, k); fold -1 items KP_SPLIT_NONE. */
kp_status kp_cv_fold_split(const int32_t *fold, const int32_t *label, const int32_t *group, int64_t n, int k,
                           double val_frac, bool stratify, uint64_t seed, int8_t *split);
/** Mean and sample standard deviation (denominator n - 1, as numpy's std(ddof=1) and pandas' std) of v[0..n);
 *  std 0 when n < 2, both 0 when n < 1. */
void kp_cv_mean_std(const double *v, int n, double *mean, double *std);

/* One fold's outcome, for the summary. */
typedef struct kp_cv_fold {
  const char *dir;      /* the fold's run directory, as written in cv.json ("fold-1") */
  int64_t n_split[3];   /* items in train / val / test */
  int64_t test_groups;  /* distinct groups in the test fold */
  const kp_metrics *test; /* metrics of the test fold */
} kp_cv_fold;

/** cv.json: {"folds", "group_by", "stratify", "rows": [{"fold", "dir", "n_train", "n_val", "n_test", "test_groups",
 *  "test": kp_metrics_json}], "mean": {metric: v, "per_class": {name: {precision, recall, f1}}}, "std": {same}}
 *  over accuracy, balanced accuracy, macro/micro/weighted precision, recall and F1, and per class P/R/F1; extra (a
 *  JSON object text or NULL) has its members appended. malloc'd; NULL without memory or on a bad extra. */
char *kp_cv_json(const kp_cv_fold *folds, int k, const char *const *names, const char *group_by, bool stratify,
                 const char *extra);
/** cv.txt: one row per fold (test size, accuracy, balanced accuracy, macro and weighted F1), then mean ± std of every
 *  metric and of each class's F1; malloc'd. */
char *kp_cv_text(const kp_cv_fold *folds, int k, const char *const *names);

#ifdef __cplusplus
}
#endif
#endif
