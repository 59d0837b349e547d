/* Seeded dataset splits (stratified, grouped, by time) and class-count tables. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/rng.h"
#include "kprca/split.h"

static kp_status check_args(const char *op, int64_t n, double val, double test) {
  if (n < 0 || n > INT32_MAX) return kp_fail(KP_ERR_INVALID, "%s: %" PRId64 " items (0 .. 2^31-1 supported)", op, n);
  if (!(val >= 0 && val <= 1 && test >= 0 && test <= 1 && val + test <= 1 + 1e-12))
    return kp_fail(KP_ERR_INVALID, "%s: fractions val %g, test %g must lie in [0, 1] and sum to at most 1", op, val,
                   test);
  return KP_OK;
}

/* Shares of c items: round(c*test) to test, round(c*val) to val (trimmed so they fit), rest train. */
static void shares(int64_t c, double val, double test, int64_t *nval, int64_t *ntest) {
  int64_t t = llround((double)c * test), v = llround((double)c * val);
  if (t > c) t = c;
  if (v > c - t) v = c - t;
  *nval = v;
  *ntest = t;
}

/* Assigns the k items idx[0..k): first test, then val, then train. */
static void deal(const int32_t *idx, int64_t k, int64_t nval, int64_t ntest, int8_t *split) {
  for (int64_t j = 0; j < k; j++)
    split[idx[j]] = j < ntest ? KP_SPLIT_TEST : j < ntest + nval ? KP_SPLIT_VAL : KP_SPLIT_TRAIN;
}

/* qsort keys: sort positions by key (then strat, then position) */
typedef struct {
  int32_t key, sub, pos;
} triple;

static int cmp_triple(const void *a, const void *b) {
  const triple *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  if (x->sub != y->sub) return x->sub < y->sub ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The stratified split of n units by label; each label's shuffle draws from its own stream
 * (seed, offset label << 32), so a class's split depends only on its members and the seed. */
static kp_status stratified(const int32_t *label, int64_t n, double val, double test, uint64_t seed, int8_t *split) {
  triple *t = malloc(sizeof(triple) * (size_t)(n ? n : 1));
  int32_t *idx = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  if (!t || !idx) {
    free(t);
    free(idx);
    return kp_fail(KP_ERR_NOMEM, "split: out of memory for %" PRId64 " items", n);
  }
  for (int64_t i = 0; i < n; i++) t[i] = (triple){label[i], 0, (int32_t)i};
  qsort(t, (size_t)n, sizeof *t, cmp_triple);
  for (int64_t i = 0; i < n; i++) idx[i] = t[i].pos;
  for (int64_t a = 0; a < n;) {
    int64_t b = a;
    while (b < n && t[b].key == t[a].key) b++;
    kp_rng r = {seed, (uint64_t)(uint32_t)t[a].key << 32};
    kp_rng_shuffle_i32(&r, idx + a, b - a);
    int64_t nv, nt;
    shares(b - a, val, test, &nv, &nt);
    deal(idx + a, b - a, nv, nt, split);
    a = b;
  }
  free(t);
  free(idx);
  return KP_OK;
}

kp_status kp_split_stratified(const int32_t *label, int64_t n, double val_frac, double test_frac, uint64_t seed,
                              int8_t *split) {
  KP_TRY(check_args("split_stratified", n, val_frac, test_frac));
  return stratified(label, n, val_frac, test_frac, seed, split);
}

/* Groups of items: sorts positions by (group, strat) into t and numbers the groups 0..G-1 in
 * ascending id order; gid[i] = group number of item i; gstrat[g] = the group's majority strat. */
static kp_status make_groups(const int32_t *group, const int32_t *strat, int64_t n, triple **t_out, int32_t *gid,
                             int32_t *gstrat, int64_t *G_out) {
  triple *t = malloc(sizeof(triple) * (size_t)(n ? n : 1));
  if (!t) return kp_fail(KP_ERR_NOMEM, "split: out of memory for %" PRId64 " items", n);
  for (int64_t i = 0; i < n; i++) t[i] = (triple){group[i], strat ? strat[i] : 0, (int32_t)i};
  qsort(t, (size_t)n, sizeof *t, cmp_triple);
  int64_t G = 0;
  for (int64_t a = 0; a < n;) {
    int64_t b = a, best = 0;
    int32_t best_v = 0;
    while (b < n && t[b].key == t[a].key) {
      int64_t c = b; /* a run of equal strat values; runs come in ascending value order */
      while (c < n && t[c].key == t[a].key && t[c].sub == t[b].sub) c++;
      if (c - b > best) best = c - b, best_v = t[b].sub;
      b = c;
    }
    for (int64_t j = a; j < b; j++) gid[t[j].pos] = (int32_t)G;
    gstrat[G++] = best_v;
    a = b;
  }
  *t_out = t;
  *G_out = G;
  return KP_OK;
}

kp_status kp_split_group(const int32_t *group, const int32_t *strat, int64_t n, double val_frac, double test_frac,
                         uint64_t seed, int8_t *split) {
  KP_TRY(check_args("split_group", n, val_frac, test_frac));
  int32_t *gid = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  int32_t *gstrat = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  int8_t *gsplit = malloc((size_t)(n ? n : 1));
  triple *t = NULL;
  int64_t G = 0;
  kp_status s = (gid && gstrat && gsplit) ? make_groups(group, strat, n, &t, gid, gstrat, &G)
                                          : kp_fail(KP_ERR_NOMEM, "split_group: out of memory");
  if (s == KP_OK) s = stratified(gstrat, G, val_frac, test_frac, seed, gsplit);
  if (s == KP_OK)
    for (int64_t i = 0; i < n; i++) split[i] = gsplit[gid[i]];
  free(t);
  free(gid);
  free(gstrat);
  free(gsplit);
  return s;
}

typedef struct {
  double time;
  int32_t pos;
} timed;

static int cmp_timed(const void *a, const void *b) {
  const timed *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

kp_status kp_split_time(const double *time, const int32_t *group, int64_t n, double val_frac, double test_frac,
                        int8_t *split) {
  KP_TRY(check_args("split_time", n, val_frac, test_frac));
  for (int64_t i = 0; i < n; i++)
    if (isnan(time[i])) return kp_fail(KP_ERR_INVALID, "split_time: time[%" PRId64 "] is NaN", i);
  int32_t *gid = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  int32_t *unused = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  timed *u = malloc(sizeof(timed) * (size_t)(n ? n : 1));
  int8_t *usplit = malloc((size_t)(n ? n : 1));
  triple *t = NULL;
  int64_t U = n; /* units: items, or groups */
  kp_status s = (gid && unused && u && usplit) ? KP_OK : kp_fail(KP_ERR_NOMEM, "split_time: out of memory");
  if (s == KP_OK && group) s = make_groups(group, NULL, n, &t, gid, unused, &U);
  if (s == KP_OK) {
    for (int64_t g = 0; g < U; g++) u[g] = (timed){INFINITY, (int32_t)g};
    for (int64_t i = 0; i < n; i++) {
      int64_t g = group ? gid[i] : i;
      if (time[i] < u[g].time || (group == NULL)) u[g].time = time[i];
    }
    qsort(u, (size_t)U, sizeof *u, cmp_timed);
    int64_t nv, nt;
    shares(U, val_frac, test_frac, &nv, &nt);
    int64_t ntrain = U - nv - nt;
    for (int64_t j = 0; j < U; j++)
      usplit[u[j].pos] = j < ntrain ? KP_SPLIT_TRAIN : j < ntrain + nv ? KP_SPLIT_VAL : KP_SPLIT_TEST;
    for (int64_t i = 0; i < n; i++) split[i] = usplit[group ? gid[i] : i];
  }
  free(t);
  free(gid);
  free(unused);
  free(u);
  free(usplit);
  return s;
}

kp_status kp_split_counts(const int32_t *label, const int8_t *split, int64_t n, int64_t num_classes, int64_t *counts) {
  memset(counts, 0, sizeof(int64_t) * 3 * (size_t)(num_classes > 0 ? num_classes : 0));
  for (int64_t i = 0; i < n; i++) {
    if (label[i] == -1 || split[i] == KP_SPLIT_NONE) continue;
    if (label[i] < 0 || label[i] >= num_classes)
      return kp_fail(KP_ERR_INVALID, "split_counts: label[%" PRId64 "] = %d outside [0, %" PRId64 ")", i, label[i],
                     num_classes);
    if (split[i] < 0 || split[i] > 2)
      return kp_fail(KP_ERR_INVALID, "split_counts: split[%" PRId64 "] = %d is not 0, 1, 2 or -1", i, split[i]);
    counts[label[i] * 3 + split[i]]++;
  }
  return KP_OK;
}

kp_status kp_split_print_counts(FILE *out, const int32_t *label, const int8_t *split, int64_t n,
                                const char *const *names, int64_t num_classes) {
  int64_t *c = calloc((size_t)(num_classes > 0 ? num_classes : 1) * 3, sizeof(int64_t));
  if (!c) return kp_fail(KP_ERR_NOMEM, "split_counts: out of memory");
  kp_status s = kp_split_counts(label, split, n, num_classes, c);
  if (s != KP_OK) {
    free(c);
    return s;
  }
  int w = 5;
  for (int64_t k = 0; k < num_classes; k++) {
    char nm[32];
    int l = names && names[k] ? (int)strlen(names[k]) : snprintf(nm, sizeof nm, "class %" PRId64, k);
    if (l > w) w = l < 48 ? l : 48;
  }
  int64_t tot[4] = {0, 0, 0, 0};
  fprintf(out, "%-*s %9s %9s %9s %9s\n", w, "class", "train", "val", "test", "total");
  for (int64_t k = 0; k < num_classes; k++) {
    int64_t *r = c + 3 * k, sum = r[0] + r[1] + r[2];
    char nm[32];
    const char *name = names && names[k] ? names[k] : (snprintf(nm, sizeof nm, "class %" PRId64, k), nm);
    fprintf(out, "%-*.*s %9" PRId64 " %9" PRId64 " %9" PRId64 " %9" PRId64 "\n", w, w, name, r[0], r[1], r[2], sum);
    for (int j = 0; j < 3; j++) tot[j] += r[j];
    tot[3] += sum;
  }
  fprintf(out, "%-*s %9" PRId64 " %9" PRId64 " %9" PRId64 " %9" PRId64 "\n", w, "total", tot[0], tot[1], tot[2],
          tot[3]);
  free(c);
  return KP_OK;
}

void kp_split_to_masks(const int8_t *split, int64_t n, int8_t *train, int8_t *val, int8_t *test) {
  for (int64_t i = 0; i < n; i++) {
    if (train) train[i] = split[i] == KP_SPLIT_TRAIN;
    if (val) val[i] = split[i] == KP_SPLIT_VAL;
    if (test) test[i] = split[i] == KP_SPLIT_TEST;
  }
}
