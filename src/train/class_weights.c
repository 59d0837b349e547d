/* train.class_weights resolved for a trainer (class_weights.h). */
#include "kprca/class_weights.h"

#include <stdlib.h>
#include <string.h>

kp_status kp_class_weights_from_config(const kp_config *cfg, const int32_t *train_labels, int64_t n, int64_t C,
                                       const char *where, kp_device dev, kp_tensor *out, bool *use) {
  *use = false;
  bool list = kp_config_is_list(cfg, "train.class_weights");
  if (!list && strcmp(kp_config_string(cfg, "train.class_weights"), "balanced") != 0) return KP_OK; /* none */
  float *w = malloc(sizeof(float) * (size_t)C);
  if (!w) return kp_fail(KP_ERR_NOMEM, "out of memory for class weights");
  if (list) {
    size_t m;
    const double *v = kp_config_floats(cfg, "train.class_weights", &m);
    if ((int64_t)m != C) {
      free(w);
      return kp_fail(KP_ERR_INVALID, "train.class_weights has %zu values but %s has %lld classes", m, where,
                     (long long)C);
    }
    for (int64_t c = 0; c < C; c++) w[c] = (float)v[c];
  } else {
    int64_t *count = calloc((size_t)C, sizeof(int64_t));
    if (!count) {
      free(w);
      return kp_fail(KP_ERR_NOMEM, "out of memory for class counts");
    }
    for (int64_t k = 0; k < n; k++) count[train_labels[k]]++;
    for (int64_t c = 0; c < C; c++) w[c] = count[c] ? (float)((double)n / ((double)C * (double)count[c])) : 1.0f;
    free(count);
  }
  kp_status s = kp_tensor_alloc(out, KP_F32, dev, 1, &C);
  kp_tensor h = kp_tensor_wrap(w, KP_F32, kp_cpu(), 1, &C);
  if (s == KP_OK) s = kp_tensor_copy(out, &h);
  free(w);
  *use = s == KP_OK;
  return s;
}
