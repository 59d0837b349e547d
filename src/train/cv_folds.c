/* Cross-validation folds: stratified (group) K-fold and leave-one-group-out assignment, day buckets
 * of times, and the train/val/test split of one fold. Seeds draw kprca's Philox streams. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kprca/cv.h"
#include "kprca/rng.h"
#include "kprca/split.h"

static kp_status oom(int64_t n) { return kp_fail(KP_ERR_NOMEM, "cv: out of memory for %" PRId64 " items", n); }

typedef struct {
  int32_t key, pos;
} pair;

static int cmp_pair(const void *a, const void *b) {
  const pair *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The groups of the labelled items: gid[i] (dense, in ascending group id order; -1 unlabelled), each
 * group's size and most frequent label (ties: the smallest). Returns the number of groups in *ng. */
static kp_status make_groups(const int32_t *label, const int32_t *group, int64_t n, int32_t *gid, int64_t **size,
                             int32_t **major, int64_t *ng) {
  pair *p = malloc(sizeof(pair) * (size_t)(n ? n : 1));
  int32_t *lab = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  *size = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  *major = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  if (!p || !lab || !*size || !*major) {
    free(p), free(lab);
    return oom(n);
  }
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    gid[i] = -1;
    if (label[i] >= 0) p[m++] = (pair){group ? group[i] : (int32_t)i, (int32_t)i};
  }
  qsort(p, (size_t)m, sizeof *p, cmp_pair);
  int64_t g = 0;
  for (int64_t a = 0; a < m; g++) {
    int64_t b = a;
    while (b < m && p[b].key == p[a].key) b++;
    for (int64_t j = a; j < b; j++) gid[p[j].pos] = (int32_t)g, lab[j - a] = label[p[j].pos];
    qsort(lab, (size_t)(b - a), sizeof *lab, cmp_i32);
    int32_t best = lab[0];
    int64_t best_run = 0;
    for (int64_t j = 0; j < b - a;) {
      int64_t e = j;
      while (e < b - a && lab[e] == lab[j]) e++;
      if (e - j > best_run) best_run = e - j, best = lab[j];
      j = e;
    }
    (*size)[g] = b - a;
    (*major)[g] = best;
    a = b;
  }
  free(p), free(lab);
  *ng = g;
  return KP_OK;
}

/* Groups of one stratum, in shuffled order, then stably by size (largest first). */
typedef struct {
  int64_t size;
  int32_t order, g;
} slot;

static int cmp_slot(const void *a, const void *b) {
  const slot *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return (x->order > y->order) - (x->order < y->order);
}

/* K-fold over groups: strata in ascending order, each one dealt greedily (see cv.h). */
static kp_status deal_folds(const int64_t *size, const int32_t *major, int64_t ng, int k, bool stratify,
                            uint64_t seed, int32_t *gfold) {
  pair *p = malloc(sizeof(pair) * (size_t)ng);
  int32_t *idx = malloc(sizeof(int32_t) * (size_t)ng);
  slot *sl = malloc(sizeof(slot) * (size_t)ng);
  int64_t *in_stratum = calloc((size_t)k, sizeof(int64_t)), *total = calloc((size_t)k, sizeof(int64_t));
  if (!p || !idx || !sl || !in_stratum || !total) {
    free(p), free(idx), free(sl), free(in_stratum), free(total);
    return oom(ng);
  }
  for (int64_t g = 0; g < ng; g++) p[g] = (pair){stratify ? major[g] : 0, (int32_t)g};
  qsort(p, (size_t)ng, sizeof *p, cmp_pair);
  for (int64_t a = 0; a < ng;) {
    int64_t b = a;
    while (b < ng && p[b].key == p[a].key) b++;
    for (int64_t j = a; j < b; j++) idx[j - a] = p[j].pos;
    kp_rng r = {seed, (uint64_t)(uint32_t)p[a].key << 32};
    kp_rng_shuffle_i32(&r, idx, b - a);
    for (int64_t j = 0; j < b - a; j++) sl[j] = (slot){size[idx[j]], (int32_t)j, idx[j]};
    qsort(sl, (size_t)(b - a), sizeof *sl, cmp_slot);
    memset(in_stratum, 0, sizeof(int64_t) * (size_t)k);
    for (int64_t j = 0; j < b - a; j++) {
      int f = 0;
      for (int c = 1; c < k; c++)
        if (in_stratum[c] < in_stratum[f] || (in_stratum[c] == in_stratum[f] && total[c] < total[f])) f = c;
      gfold[sl[j].g] = f;
      in_stratum[f] += sl[j].size;
      total[f] += sl[j].size;
    }
    a = b;
  }
  free(p), free(idx), free(sl), free(in_stratum), free(total);
  return KP_OK;
}

kp_status kp_cv_assign(const int32_t *label, const int32_t *group, int64_t n, int k, bool stratify, uint64_t seed,
                       int32_t *fold, int *nfolds) {
  *nfolds = 0;
  if (n < 0 || n > INT32_MAX) return kp_fail(KP_ERR_INVALID, "cv: %" PRId64 " items (0 .. 2^31-1 supported)", n);
  if (k < 0 || k == 1) return kp_fail(KP_ERR_INVALID, "cv: %d folds (at least 2, or leave-one-group-out)", k);
  if (k == KP_CV_LOGO && !group) return kp_fail(KP_ERR_INVALID, "cv: leave-one-group-out needs groups");
  int64_t *size = NULL, ng = 0;
  int32_t *major = NULL;
  kp_status s = make_groups(label, group, n, fold, &size, &major, &ng);
  if (s == KP_OK && ng == 0) s = kp_fail(KP_ERR_INVALID, "cv: no labelled item to cross-validate");
  if (s == KP_OK && k > ng)
    s = kp_fail(KP_ERR_INVALID, "cv: %d folds but only %" PRId64 " %s", k, ng, group ? "groups" : "labelled items");
  if (s == KP_OK && ng > INT32_MAX / 2) s = kp_fail(KP_ERR_INVALID, "cv: too many groups");
  int32_t *gfold = s == KP_OK ? malloc(sizeof(int32_t) * (size_t)ng) : NULL;
  if (s == KP_OK && !gfold) s = oom(ng);
  if (s == KP_OK) {
    if (k == KP_CV_LOGO) {
      for (int64_t g = 0; g < ng; g++) gfold[g] = (int32_t)g;
      k = (int)ng;
    } else {
      s = deal_folds(size, major, ng, k, stratify, seed, gfold);
    }
  }
  if (s == KP_OK) {
    for (int64_t i = 0; i < n; i++)
      if (fold[i] >= 0) fold[i] = gfold[fold[i]];
    *nfolds = k;
  } else {
    for (int64_t i = 0; i < n; i++) fold[i] = -1;
  }
  free(gfold), free(size), free(major);
  return s;
}

kp_status kp_cv_day_groups(const double *time, int64_t n, int32_t *group) {
  for (int64_t i = 0; i < n; i++) {
    double d = floor(time[i] / 86400.0);
    if (!isfinite(d) || d < (double)INT32_MIN || d > (double)INT32_MAX)
      return kp_fail(KP_ERR_INVALID, "cv: time[%" PRId64 "] = %g is not a time in seconds since 1970", i, time[i]);
    group[i] = (int32_t)d;
  }
  return KP_OK;
}

/* splitmix64 of (seed, k): the val carve of each fold draws its own stream. */
static uint64_t fold_seed(uint64_t seed, int k) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(k + 101);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

kp_status kp_cv_fold_split(const int32_t *fold, const int32_t *label, const int32_t *group, int64_t n, int k,
                           double val_frac, bool stratify, uint64_t seed, int8_t *split) {
  if (!(val_frac >= 0 && val_frac < 1)) return kp_fail(KP_ERR_INVALID, "cv: val fraction %g not in [0, 1)", val_frac);
  int32_t *lab = malloc(sizeof(int32_t) * (size_t)(n ? n : 1)), *grp = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  int64_t *where = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  int8_t *sp = malloc((size_t)(n ? n : 1));
  if (!lab || !grp || !where || !sp) {
    free(lab), free(grp), free(where), free(sp);
    return oom(n);
  }
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    split[i] = fold[i] < 0 ? KP_SPLIT_NONE : fold[i] == k ? KP_SPLIT_TEST : KP_SPLIT_TRAIN;
    if (fold[i] < 0 || fold[i] == k) continue;
    lab[m] = stratify ? label[i] : 0;
    grp[m] = group ? group[i] : 0;
    where[m++] = i;
  }
  kp_status s = group ? kp_split_group(grp, lab, m, val_frac, 0.0, fold_seed(seed, k), sp)
                      : kp_split_stratified(lab, m, val_frac, 0.0, fold_seed(seed, k), sp);
  if (s == KP_OK)
    for (int64_t j = 0; j < m; j++) split[where[j]] = sp[j];
  free(lab), free(grp), free(where), free(sp);
  return s;
}

void kp_cv_mean_std(const double *v, int n, double *mean, double *std) {
  double s = 0, q = 0;
  for (int i = 0; i < n; i++) s += v[i];
  double mu = n > 0 ? s / n : 0.0;
  for (int i = 0; i < n; i++) q += (v[i] - mu) * (v[i] - mu);
  *mean = mu;
  *std = n > 1 ? sqrt(q / (n - 1)) : 0.0;
}
