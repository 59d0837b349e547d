/* Dataset splits, reproducible from a seed (kprca's Philox streams): stratified random by label,
 * by group (one incident's lines never sit in two splits), and by time; plus class counts per
 * split. A split array holds one int8 per item: 0 train, 1 val, 2 test (-1: unassigned). */
#ifndef KPRCA_SPLIT_H
#define KPRCA_SPLIT_H
#include <stdint.h>
#include <stdio.h>
#include "kprca/status.h"
#ifdef __cplusplus
extern "C" {
#endif

enum { KP_SPLIT_NONE = -1, KP_SPLIT_TRAIN = 0, KP_SPLIT_VAL = 1, KP_SPLIT_TEST = 2 };

/** Stratified random split of n items. For each distinct label with c items, a shuffle seeded by
 *  (seed, label) puts round(c*test_frac) of them in test, round(c*val_frac) in val and the rest in
 *  train, so every class is within half an item of its share. 0 <= fractions, sum <= 1. */
kp_status kp_split_stratified(const int32_t *label, int64_t n, double val_frac, double test_frac, uint64_t seed,
                              int8_t *split);
/** Group split: items with equal group ids always share a split. The groups themselves are split as
 *  kp_split_stratified splits items (fractions count groups), stratified by each group's most
 *  frequent strat value (ties: the smallest); strat NULL: one stratum. */
kp_status kp_split_group(const int32_t *group, const int32_t *strat, int64_t n, double val_frac, double test_frac,
                         uint64_t seed, int8_t *split);
/** Time split: items in order of time (ties by position) — the first n - round(n*val) - round(n*test)
 *  train, then val, the latest test, so no training item is later than a val or test item. group
 *  non-NULL: whole groups move together, ordered by their earliest time; fractions count groups. */
kp_status kp_split_time(const double *time, const int32_t *group, int64_t n, double val_frac, double test_frac,
                        int8_t *split);
/** counts[c*3 + s] = items with label c in split s, for c < num_classes; label -1 or split -1 items are
 *  skipped; any other label or split out of range is an error naming the item. */
kp_status kp_split_counts(const int32_t *label, const int8_t *split, int64_t n, int64_t num_classes, int64_t *counts);
/** Prints a table of class counts per split (one row per class, then totals) to out; names may be NULL. */
kp_status kp_split_print_counts(FILE *out, const int32_t *label, const int8_t *split, int64_t n,
                                const char *const *names, int64_t num_classes);
/** train/val/test masks (0/1 per item, any may be NULL) from a split array. */
void kp_split_to_masks(const int8_t *split, int64_t n, int8_t *train, int8_t *val, int8_t *test);

#ifdef __cplusplus
}
#endif
#endif
