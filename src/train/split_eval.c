/* A scored split (kp_split_eval) as both trainers fill it: the arrays for the split's items, then
 * predictions (highest probability, lower class on ties) and scikit-learn's metrics from the
 * probabilities the trainer wrote. */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

void kp_split_eval_free(kp_split_eval *e) {
  if (!e) return;
  free(e->ids), free(e->y_true), free(e->y_pred), free(e->probs);
  kp_metrics_free(&e->metrics);
  memset(e, 0, sizeof *e);
}

kp_status kp_split_eval_begin(kp_split_eval *e, const kp_train_state *st, int split, int64_t num_classes,
                              const char *noun) {
  memset(e, 0, sizeof *e);
  if (split < 0 || split > 2) return kp_fail(KP_ERR_INVALID, "evaluate: split %d is not train, val or test", split);
  int64_t n = st->nids[split], C = num_classes;
  e->split = split;
  e->n = n;
  e->num_classes = C;
  size_t m = (size_t)(n ? n : 1);
  e->ids = malloc(sizeof(int32_t) * m);
  e->y_true = malloc(sizeof(int32_t) * m);
  e->y_pred = malloc(sizeof(int32_t) * m);
  e->probs = malloc(sizeof(float) * m * (size_t)C);
  if (!e->ids || !e->y_true || !e->y_pred || !e->probs) {
    kp_split_eval_free(e);
    return kp_fail(KP_ERR_NOMEM, "evaluate: out of host memory for %lld %s", (long long)n, noun);
  }
  memcpy(e->ids, st->ids[split], sizeof(int32_t) * (size_t)n);
  return KP_OK;
}

static int32_t argmax(const float *p, int64_t c) {
  int32_t best = 0;
  for (int64_t k = 1; k < c; k++)
    if (p[k] > p[best]) best = (int32_t)k;
  return best;
}

kp_status kp_split_eval_finish(kp_split_eval *e, kp_status s) {
  if (s == KP_OK) {
    int64_t C = e->num_classes;
    for (int64_t k = 0; k < e->n; k++) e->y_pred[k] = argmax(e->probs + k * C, C);
    s = kp_metrics_compute(e->y_true, e->y_pred, e->n, C, &e->metrics);
  }
  if (s != KP_OK) kp_split_eval_free(e);
  return s;
}
